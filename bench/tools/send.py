"""manage.py bench send (or bench_send): messages a second from the queue's real workers
(``manage.py db_worker`` processes) into a local SMTP sink (aiosmtpd), with one worker and with
four, and the peak memory of a worker at two list sizes (flat in the list's size, or not).

The rig (``SendRig``) is also what tests/test_delivery_crash.py kills a worker with: a scratch
database beside the configured one, an issue, subscribers, a mailing, and workers started as
their own processes, as in production."""

import json
import os
import subprocess
import sys
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from bench.scratch import production_env, scratch_database
from bench.smtp import SmtpServer

SETUP = """
import datetime, random, sys
from django.utils import timezone
from archive.ingest.loading import load_issue
from archive.issuemd import EntryDoc, IssueDoc, SectionDoc
from archive.mailing import delivery
from archive.models import Delivery, Issue, Subscriber
from bench.scratch import synthetic_text

subscribers, number, links = {subscribers}, {number}, {links}
rng = random.Random(number)
if not Subscriber.objects.exists():
    rows = (
        Subscriber(address=f"reader{{n}}@example.org", status="active", source="import",
                   language="en" if n % 3 == 0 else "zh-hans")
        for n in range(subscribers)
    )
    Subscriber.objects.bulk_create(rows, batch_size=5000)
sections = [SectionDoc(name) for name in ("工具", "文章", "资源", "新闻")]
for index in range(links):
    title, annotation = synthetic_text(rng)
    sections[index % 4].entries.append(
        EntryDoc(title, f"https://example.com/{{number}}/{{index}}", annotation=annotation)
    )
doc = IssueDoc(number=number, title=f"Issue {{number}}", date=datetime.date(2024, 1, 5),
               lede="A week of links, with a [link to the site](/issues/1/).", sections=sections)
issue = load_issue(doc, publish=True).issue
Issue.objects.filter(pk=issue.pk).update(published_at=timezone.now() - datetime.timedelta(hours=1))
issue.refresh_from_db()
mailing, queued = delivery.start_mailing(issue)
print(mailing.pk, queued)
"""

STATES = """
import json
from django.db.models import Count
from archive.models import Delivery
print(json.dumps(dict(Delivery.objects.filter(mailing={mailing}).values_list("state")
                      .annotate(n=Count("pk")).order_by())))
"""


class SendRig:
    """A scratch database with a mailing queued, an SMTP sink, and workers on demand."""

    def __init__(self, suffix="send", parse=False, latency=0.0, **environment):
        self.smtp = SmtpServer(parse=parse, latency=latency)
        self.url, self.drop = scratch_database(suffix)
        self.env = production_env(
            self.url,
            EMAIL_URL=f"smtp://127.0.0.1:{self.smtp.port}",
            SITE_URL="https://news.example.com",
            NEWSLETTER_FROM="Link Weekly <news@news.example.com>",
            BENCH_TOOLS="1",
            **{name: str(value) for name, value in environment.items()},
        )
        self.workers = []

    def __enter__(self):
        self.smtp.__enter__()
        try:
            self.manage("migrate", "--noinput")
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, *exc):
        for worker in self.workers:
            if worker.returncode is None and worker.poll() is None:
                worker.kill()
                worker.wait()
            worker.stderr.close()
        self.smtp.__exit__(*exc)
        self.drop()

    def manage(self, *arguments):
        done = subprocess.run(
            [sys.executable, "manage.py", *arguments],
            cwd=settings.BASE_DIR,
            env=self.env,
            capture_output=True,
            text=True,
        )
        if done.returncode:
            raise CommandError(f"manage.py {arguments[0]} failed:\n{done.stderr[-3000:]}")
        return done.stdout

    def shell(self, code):
        return self.manage("shell", "--no-imports", "-c", code)

    def queue_mailing(self, subscribers, number, links=40):
        """(mailing pk, deliveries queued) of a new issue sent to ``subscribers``."""
        out = self.shell(SETUP.format(subscribers=subscribers, number=number, links=links))
        mailing, queued = out.split()[-2:]
        return int(mailing), int(queued)

    def states(self, mailing):
        return json.loads(self.shell(STATES.format(mailing=mailing)).strip().splitlines()[-1])

    def start_worker(self, batch=True):
        arguments = ["--no-reload", "--no-startup-delay", "--interval", "0.05"]
        worker = subprocess.Popen(
            [sys.executable, "manage.py", "db_worker", *arguments, *(["--batch"] if batch else [])],
            cwd=settings.BASE_DIR,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        self.workers.append(worker)
        return worker


def wait_with_usage(process):
    """Wait for a process: (exit code, peak resident memory in KB)."""
    _pid, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    return process.returncode, usage.ru_maxrss


class Command(BaseCommand):
    help = "Messages a second into a local SMTP sink with 1 and 4 workers, and a worker's memory."

    def add_arguments(self, parser):
        parser.add_argument("--subscribers", type=int, default=10_000)
        parser.add_argument("--links", type=int, default=40, help="links in the issue sent")
        parser.add_argument("--workers", type=int, default=4, help="the larger pool measured")
        parser.add_argument(
            "--latency",
            type=float,
            default=20,
            help="ms the sink waits before accepting a message, as a provider's relay does, "
            "for a second pair of runs (0: none)",
        )

    def handle(self, *args, subscribers, links, workers, latency, **options):
        if subscribers < 100:
            raise CommandError("--subscribers must be at least 100.")
        database = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
        self.stdout.write(
            f"{subscribers:,} subscribers, an issue of {links} links, {database}, into aiosmtpd "
            f"on 127.0.0.1; this machine has {os.cpu_count()} CPUs for the workers and the sink"
        )
        peaks = {}
        for delay in [0.0, latency / 1000] if latency else [0.0]:
            label = f"a relay answering in {delay * 1000:.0f} ms" if delay else "loopback"
            self.stdout.write(f" {label}:")
            with SendRig("send-bench", latency=delay) as rig:
                rates = {}
                number = 1
                for pool in (1, workers):
                    number += 1
                    rates[pool], peak = self.measure(rig, subscribers, number, links, pool)
                    peaks.setdefault(subscribers, peak)
            self.stdout.write(
                f"  {workers} workers send at {rates[workers] / rates[1]:.2f} × the rate of one"
            )
        # Memory in the list's size: the same worker, a tenth of the list.
        small = subscribers // 10
        with SendRig("send-bench-small") as rig:
            _rate, peaks[small] = self.measure(rig, small, 2, links, 1, quiet=True)
        self.stdout.write(
            f"  a worker's peak memory: {peaks[small] / 1024:.0f} MB for {small:,} "
            f"subscribers, {peaks[subscribers] / 1024:.0f} MB for {subscribers:,} "
            f"({peaks[subscribers] / peaks[small]:.2f} ×)"
        )

    def measure(self, rig, subscribers, number, links, pool, quiet=False):
        rig.smtp.handler.reset()
        started = time.monotonic()
        mailing, queued = rig.queue_mailing(subscribers, number, links)
        queued_in = time.monotonic() - started
        started = time.monotonic()
        processes = [rig.start_worker() for _ in range(pool)]
        peak = 0
        for process in processes:
            code, memory = wait_with_usage(process)
            if code:
                raise CommandError(f"a worker failed:\n{process.stderr.read().decode()[-3000:]}")
            peak = max(peak, memory)
        wall = time.monotonic() - started
        received = rig.smtp.handler.count
        first, last = rig.smtp.handler.first, rig.smtp.handler.last
        states = rig.states(mailing)
        if received != queued or states.get("sent") != queued:
            raise CommandError(f"{received} of {queued} received; deliveries: {states}")
        rate = received / (last - first) if last > first else float("inf")
        if not quiet:
            self.stdout.write(
                f"  {pool} worker{'s' if pool > 1 else ' '}  {rate:7.0f} messages/s "
                f"(first to last message; {received / wall:5.0f}/s counting the workers' start), "
                f"queued in {queued_in:.1f} s, peak memory {peak / 1024:.0f} MB"
            )
        return rate, peak
