"""Benchmark the link checker against servers on this machine. Never run by the test suite.

    python manage.py bench linkcheck [--links 10000] [--hosts 500] [--keep]

It serves a mix of answers from one small HTTP server on each of ``--hosts`` loopback
addresses (127.0.x.y): 200, 301 to a 200, 404, 410, 429 with ``Retry-After: 1``, 500,
slow (1.5 s, then 200) and never answering (until the client gives up). A scratch archive
(``archive.management.scratch``) gets ``--links`` links spread over the hosts, imported from
Markdown as an editor's archive would be; a fifth of them are dead (404, 410, 500 every
time, or no answer). Then ``check_links`` runs as its own process, as cron would run it:

1. with politeness off (no per-host limit or delay);
2. at the default politeness (``LINKCHECK_CONCURRENCY``, ``LINKCHECK_HOST_DELAY``);
3. once more after the first failures are dated two days back, as if the runs had been on
   different days, so dead links reach "gone" and are looked up in a local copy of the
   Internet Archive's availability API.

For the first two it prints links per second and the checker process's peak memory; for
the last, every link's verdict against the one its answer calls for.
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from bench.scratch import (
    LocalHTTPServer,
    free_port,
    production_env,
    scratch_database,
)

# (kind, share of the links, the verdict it calls for after three checks over two days)
MIX = [
    ("ok", 0.685, "ok"),
    ("moved", 0.10, "redirected"),
    ("404", 0.08, "gone"),
    ("410", 0.06, "gone"),
    ("500", 0.055, "gone"),
    ("hang", 0.005, "gone"),
    ("429", 0.01, "unknown"),
    ("slow", 0.005, "ok"),
]
DEAD = {kind for kind, _share, verdict in MIX if verdict == "gone"}
LINKS_PER_FILE = 100
REPORT = """
import json
from archive.models import LinkHealth
print(json.dumps(list(LinkHealth.objects.values_list("link__url", "verdict", "archived_url"))))
"""
AGE_FAILURES = """
import datetime
from django.db.models import F
from archive.models import LinkHealth
LinkHealth.objects.exclude(failing_since=None).update(
    failing_since=F("failing_since") - datetime.timedelta(days=2, minutes=1)
)
"""


class Answers(BaseHTTPRequestHandler):
    """Answers by the path's first part: /ok/…, /moved/…, /404/…, /hang/…"""

    protocol_version = "HTTP/1.1"
    stop = threading.Event()

    def do_HEAD(self):  # noqa: N802 (the http.server API)
        self.answer(body=False)

    def do_GET(self):  # noqa: N802
        self.answer(body=True)

    def answer(self, body):
        kind = self.path.strip("/").split("/")[0]
        if self.path.startswith("/wayback/"):
            query = self.path.partition("?")[2]
            snapshot = f"http://web.archive.org/web/2024/{query}"
            content = json.dumps(
                {"archived_snapshots": {"closest": {"available": True, "url": snapshot}}}
            ).encode()
            return self.send(200, content, {"Content-Type": "application/json"}, body)
        if kind == "hang":
            self.stop.wait(30)
            return
        if kind == "slow":
            time.sleep(1.5)
        if kind == "moved":
            return self.send(301, b"", {"Location": self.path.replace("/moved/", "/ok/")}, body)
        status = {"404": 404, "410": 410, "500": 500, "429": 429}.get(kind, 200)
        extra = {"Retry-After": "1"} if status == 429 else {}
        return self.send(
            status, b"<title>page</title>", {"Content-Type": "text/html", **extra}, body
        )

    def send(self, status, content, headers, body):
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(content)))
        self.end_headers()
        if body:
            self.wfile.write(content)

    def log_message(self, *args):
        pass


class Command(BaseCommand):
    help = "Links checked per second, politely and not, memory, and verdicts against the truth."

    def add_arguments(self, parser):
        parser.add_argument("--links", type=int, default=10_000)
        parser.add_argument("--hosts", type=int, default=500, help="loopback addresses served")
        parser.add_argument("--keep", action="store_true", help="keep the scratch database")

    def handle(self, *args, links, hosts, keep, **options):
        if not 1 <= hosts <= 60_000 or links < len(MIX):
            raise CommandError(f"--hosts must be 1 to 60000 and --links at least {len(MIX)}.")
        port = free_port()
        addresses = [f"127.0.{1 + n // 250}.{1 + n % 250}" for n in range(hosts)]
        servers = [LocalHTTPServer((address, port), Answers) for address in addresses]
        for server in servers:
            threading.Thread(target=server.serve_forever, daemon=True).start()
        database_url, drop = scratch_database("linkcheck")
        folder = Path(tempfile.mkdtemp(prefix="bench-linkcheck-"))
        try:
            truth = self.write_archive(folder, links, addresses, port)
            env = production_env(
                database_url,
                OUTBOUND_ALLOW_LOOPBACK="1",
                WAYBACK_AVAILABILITY_URL=f"http://{addresses[0]}:{port}/wayback/available",
            )
            self.manage(env, "migrate", "--noinput")
            self.manage(env, "import_markdown", str(folder), "--publish")
            dead = sum(kind in DEAD for kind in truth.values())
            self.stdout.write(
                f"{links:,} links on {hosts} hosts, {dead:,} dead; "
                f"concurrency {settings.LINKCHECK_CONCURRENCY}, host delay "
                f"{settings.LINKCHECK_HOST_DELAY} s, timeout {settings.OUTBOUND_TIMEOUT} s"
            )
            rates = {}
            for label, extra in [("politeness off", ["--no-politeness"]), ("default", [])]:
                seconds, peak, output = self.run_checker(env, extra)
                rates[label] = links / seconds
                self.stdout.write(
                    f"  {label:<15} {seconds:7.1f} s  {links / seconds:7.0f} links/s  "
                    f"peak memory {peak / 1024:5.0f} MB  ({output.strip().splitlines()[-1]})"
                )
            ratio = rates["default"] / rates["politeness off"]
            self.stdout.write(
                f"  the default politeness checks at {ratio:.2f} × the speed without it"
            )
            self.manage(env, "shell", "--no-imports", "-c", AGE_FAILURES)
            self.run_checker(env, ["--no-politeness"])
            self.verdicts(env, truth)
        finally:
            Answers.stop.set()
            for server in servers:
                server.shutdown()
                server.server_close()
            shutil.rmtree(folder, ignore_errors=True)
            if not keep:
                drop()

    def write_archive(self, folder, links, addresses, port):
        """Markdown issues of ``links`` links; {url: kind}."""
        kinds = [kind for kind, share, _verdict in MIX for _ in range(round(share * links))]
        kinds = (kinds + ["ok"] * links)[:links]
        truth = {}
        for start in range(0, links, LINKS_PER_FILE):
            number = start // LINKS_PER_FILE + 1
            lines = [f"# 第 {number} 期", "", "## 工具", ""]
            for index in range(start, min(start + LINKS_PER_FILE, links)):
                # Kinds are spread round the hosts, so every host serves a little of each.
                kind = kinds[(index * 7919) % links]
                url = f"http://{addresses[index % len(addresses)]}:{port}/{kind}/{index}"
                truth[url] = kinds[(index * 7919) % links]
                lines += [f"### [链接 {index}]({url})", f"* {kind}", ""]
            day = f"2024-{1 + number % 12:02d}-{1 + number % 28:02d}"
            (folder / f"{day}-issue-{number}.md").write_text("\n".join(lines), encoding="utf-8")
        return truth

    def manage(self, env, *arguments):
        done = subprocess.run(
            [sys.executable, "manage.py", *arguments],
            cwd=settings.BASE_DIR,
            env=env,
            check=True,
            capture_output=True,
            text=True,
        )
        return done.stdout

    def run_checker(self, env, extra):
        """(seconds, peak resident memory in KB, output) of one check_links process."""
        started = time.monotonic()
        process = subprocess.Popen(
            [sys.executable, "manage.py", "check_links", *extra],
            cwd=settings.BASE_DIR,
            env=env,
            stdout=subprocess.PIPE,
            text=True,
        )
        output = process.stdout.read()
        _pid, status, usage = os.wait4(process.pid, 0)
        seconds = time.monotonic() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode:
            raise CommandError(f"check_links failed:\n{output}")
        return seconds, usage.ru_maxrss, output

    def verdicts(self, env, truth):
        found = {
            url: (verdict, archived)
            for url, verdict, archived in json.loads(
                self.manage(env, "shell", "--no-imports", "-c", REPORT)
            )
        }
        expected = {kind: verdict for kind, _share, verdict in MIX}
        wrong = Counter()
        for url, kind in truth.items():
            verdict, archived = found[url]
            if verdict != expected[kind] or (kind in DEAD and not archived):
                wrong[(kind, verdict)] += 1
        dead = sum(kind in DEAD for kind in truth.values())
        gone_right = sum(
            1
            for url, kind in truth.items()
            if kind in DEAD and found[url][0] == "gone" and found[url][1]
        )
        self.stdout.write(
            f"  verdicts after three runs two days apart: {len(truth) - sum(wrong.values()):,} of "
            f"{len(truth):,} as their answers call for; {gone_right:,} of {dead:,} dead links gone "
            "with an archived copy"
        )
        for (kind, verdict), count in sorted(wrong.items()):
            self.stdout.write(f"    {count} {kind} links judged {verdict or 'unchecked'}")
