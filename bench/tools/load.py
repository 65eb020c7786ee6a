"""Load and faults, against gunicorn on a scratch PostgreSQL archive. Never run by the tests.

    DATABASE_URL=postgres://… python manage.py bench load [--links 30000] [--seconds 60]
        [--connections 64] [--no-restart] [--keep] [--reuse]

1. Load: ``--seconds`` at ``--connections`` concurrent clients, on a mix of pages (home,
   issue list, issues, years, categories, tags, domains, links, feeds) and searches for
   changing words. Prints requests per second, latency and every status and error seen.
2. An edit during the load (a link's title, through the ORM here): how soon every page that
   shows it says so.
3. PostgreSQL restarted during the load (``pg_ctlcluster … restart``): a timeline second by
   second, how long errors lasted, and whether throughput came back (a stuck worker would
   halve it).

gunicorn runs with 2 sync workers, production settings and Redis as the cache. The load comes
from this process (asyncio, one connection a request, as sync workers close them).
"""

import argparse
import asyncio
import os
import random
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path
from urllib.parse import quote

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from bench.scratch import (
    ZH_WORDS,
    Gunicorn,
    collect_static,
    production_env,
    scratch_database,
)
from bench.tools.pages import Command as BenchPages

REDIS_DB = 11
SEARCH_WORDS = [*ZH_WORDS[:40], "python", "rust", "data", "model", "cache", "search", "linux"]


class Command(BaseCommand):
    help = "Load gunicorn on a scratch PostgreSQL archive, edit during it, restart the database."

    def add_arguments(self, parser):
        parser.add_argument("--links", type=int, default=30_000)
        parser.add_argument("--seconds", type=int, default=60)
        parser.add_argument("--connections", type=int, default=64)
        parser.add_argument("--no-restart", action="store_true", help="skip the restart")
        parser.add_argument("--keep", action="store_true", help="keep the scratch database")
        parser.add_argument("--reuse", action="store_true", help="reuse a kept scratch database")
        parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)

    def handle(self, *args, **options):
        if not options["child"]:
            return self.run_child(options)
        if connection.vendor != "postgresql":
            raise CommandError("bench load needs PostgreSQL: set DATABASE_URL")
        if not options["no_restart"] and not shutil.which("pg_ctlcluster"):
            raise CommandError("pg_ctlcluster not found: run with --no-restart")
        call_command("migrate", verbosity=0)
        from archive.models import Link

        if not (options["reuse"] and Link.objects.exists()):
            filler = BenchPages(stdout=self.stdout, stderr=self.stderr)
            filler.verbosity = 1
            filler.fill(options["links"])
        paths = self.paths()
        import redis

        redis.Redis(host="127.0.0.1", port=6379, db=REDIS_DB).flushdb()
        with tempfile.TemporaryDirectory() as static_root:
            env = {**os.environ, "STATIC_ROOT": static_root}
            env["REDIS_URL"] = f"redis://127.0.0.1:6379/{REDIS_DB}"
            collect_static(env)
            log = Path(static_root) / "gunicorn.log"
            with Gunicorn(env, log=log, options=["--timeout", "30"]) as base:
                self.load(base, paths, options["seconds"], options["connections"])
                self.edit_during_load(base, paths, options["connections"])
                if not options["no_restart"]:
                    self.restart_during_load(base, paths, options["connections"])

    def run_child(self, options):
        if not settings.DATABASES["default"]["ENGINE"].endswith("postgresql"):
            raise CommandError("bench load needs PostgreSQL: set DATABASE_URL")
        url, cleanup = scratch_database("load", options["reuse"])
        try:
            command = [sys.executable, "manage.py", "bench", "load", "--child"]
            for name in ("links", "seconds", "connections"):
                command += [f"--{name}", str(options[name])]
            command += ["--no-restart"] * options["no_restart"] + ["--reuse"] * options["reuse"]
            # The edits this process makes reach the servers' cache, as an editor's would.
            env = production_env(url, REDIS_URL=f"redis://127.0.0.1:6379/{REDIS_DB}")
            result = subprocess.run(command, cwd=settings.BASE_DIR, env=env)
            if result.returncode:
                raise CommandError("the load test failed")
        finally:
            if not options["keep"]:
                cleanup()

    def paths(self):
        from taggit.models import Tag

        from archive.models import Category, Issue, Link
        from archive.views.pages import issue_years

        numbers = list(Issue.objects.values_list("number", flat=True))
        links = list(Link.objects.order_by("?").values_list("pk", flat=True)[:500])
        pages = ["/", "/issues/", "/en/", "/feed/", "/categories/", "/tags/"]
        pages += [f"/issues/{n}/" for n in random.sample(numbers, min(200, len(numbers)))]
        pages += [f"/years/{year}/" for year in issue_years()[:5]]
        pages += [
            f"/categories/{quote(s)}/" for s in Category.objects.values_list("slug", flat=True)
        ]
        pages += [f"/tags/{quote(s)}/" for s in Tag.objects.values_list("slug", flat=True)[:100]]
        pages += ["/domains/github.com/", "/domains/arxiv.org/", "/domains/site7.example.com/"]
        pages += [f"/links/{pk}/" for pk in links]
        return pages

    # The phases ---------------------------------------------------------------------------

    def load(self, base, paths, seconds, connections):
        self.stdout.write(
            f"\n== load: {seconds}s, {connections} connections, {len(paths)} pages + searches"
        )
        timeline = asyncio.run(hammer(base, paths, seconds, connections))
        self.summarize(timeline, seconds)

    def edit_during_load(self, base, paths, connections):
        from archive.models import Link

        self.stdout.write("\n== an edit during the load")
        link = (
            Link.objects.filter(parent=None, section__issue__number__isnull=False)
            .order_by("pk")
            .last()
        )
        issue_page = link.section.issue.get_absolute_url()
        marker = f"edited-{secrets.token_hex(4)}"

        async def edit_and_watch():
            load = asyncio.create_task(hammer(base, paths, 20, connections))
            await asyncio.sleep(5)
            link.title = f"{link.title[:50]} {marker}"
            await asyncio.to_thread(link.save)
            edited = time.monotonic()
            seen = None
            while time.monotonic() - edited < 15:
                status, body = await fetch(base, issue_page)
                if marker in body:
                    seen = time.monotonic() - edited
                    break
                await asyncio.sleep(0.05)
            return await load, seen

        timeline, seen = asyncio.run(edit_and_watch())
        self.summarize(timeline, 20)
        if seen is None:
            self.stdout.write(self.style.ERROR("the edit did not show within 15 s"))
        else:
            self.stdout.write(f"the edited title showed on {issue_page} after {seen * 1000:.0f} ms")
        for path in ["/", "/domains/" + link.domain + "/", link.get_absolute_url()]:
            status, body = asyncio.run(fetch(base, path))
            self.stdout.write(
                f"  {path}: {status}, {'shows' if marker in body else 'does not show'} it"
            )

    def restart_during_load(self, base, paths, connections):
        self.stdout.write("\n== PostgreSQL restarted during the load")
        cluster = sorted(Path("/etc/postgresql").iterdir())[0].name
        moments = {}

        async def restart_and_load():
            load = asyncio.create_task(hammer(base, paths, 40, connections))
            await asyncio.sleep(10)
            moments["stop"] = time.monotonic()
            await asyncio.to_thread(
                subprocess.run,
                [
                    "pg_ctlcluster",
                    "--skip-systemctl-redirect",
                    "--mode=fast",
                    cluster,
                    "main",
                    "stop",
                ],
                check=True,
            )
            await asyncio.sleep(5)
            await asyncio.to_thread(
                subprocess.run,
                ["pg_ctlcluster", "--skip-systemctl-redirect", cluster, "main", "start"],
                check=True,
            )
            moments["start"] = time.monotonic()
            return await load

        timeline = asyncio.run(restart_and_load())
        connection.close()  # ours died with the server
        start = timeline["started"]
        self.stdout.write(f"{'second':>6} {'requests':>9} {'ok':>6} {'errors':>7} {'5xx':>5}")
        for second in sorted(timeline["seconds"]):
            row = timeline["seconds"][second]
            ok, errors = row["2xx"] + row["3xx"], row["error"] + row["5xx"]
            self.stdout.write(
                f"{second:>6} {row['requests']:>9} {ok:>6} {errors:>7} {row['5xx']:>5}"
            )
        failing = sorted(s for s, row in timeline["seconds"].items() if row["error"] + row["5xx"])
        stopped, running = moments["stop"] - start, moments["start"] - start
        before = [timeline["seconds"][s]["requests"] for s in range(2, int(stopped))]
        after = [
            timeline["seconds"][s]["requests"]
            for s in range(int(running) + 5, 39)
            if s in timeline["seconds"]
        ]
        during = f"seconds {failing[0]}–{failing[-1]}" if failing else "no second"
        self.stdout.write(
            f"errors in {during}; the database stopped at {stopped:.1f} s and ran again at"
            f" {running:.1f} s; no error after second {failing[-1] if failing else '-'}."
            f" Throughput {statistics.median(before):.0f} req/s before, "
            f"{statistics.median(after):.0f} after (a stuck worker would halve it)"
        )

    def summarize(self, timeline, seconds):
        statuses = Counter()
        for row in timeline["seconds"].values():
            statuses.update({k: v for k, v in row.items() if k != "requests"})
        total = sum(row["requests"] for row in timeline["seconds"].values())
        latencies = sorted(timeline["latencies"])
        p = lambda q: latencies[int(len(latencies) * q)] * 1000 if latencies else 0  # noqa: E731
        self.stdout.write(
            f"{total:,} requests, {total / seconds:,.0f} req/s; latency p50 {p(0.5):.0f} ms,"
            f" p99 {p(0.99):.0f} ms, max {latencies[-1] * 1000 if latencies else 0:.0f} ms"
        )
        self.stdout.write(
            "  "
            + ", ".join(
                f"{name} {statuses[name]:,}" for name in ("2xx", "3xx", "4xx", "5xx", "error")
            )
        )
        if timeline["samples"]:
            self.stdout.write("  errors seen: " + "; ".join(sorted(timeline["samples"])[:5]))


# A load generator ------------------------------------------------------------------------


async def fetch(base, path, timeout=10):
    """(status, body) of one GET, on a connection of its own; (0, reason) on failure."""
    host, port = base.removeprefix("http://").split(":")
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_connection(host, int(port)), timeout)
        writer.write(f"GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
        await writer.drain()
        data = await asyncio.wait_for(reader.read(-1), timeout)
        writer.close()
    except (TimeoutError, OSError) as error:
        return 0, type(error).__name__
    head, _, body = data.partition(b"\r\n\r\n")
    try:
        status = int(head.split(b" ", 2)[1])
    except (IndexError, ValueError):
        return 0, "bad response"
    return status, body.decode("utf-8", "replace")


async def hammer(base, paths, seconds, connections):
    """Requests from ``connections`` clients for ``seconds``: per second, how many and with
    which outcome, and every latency."""
    started = time.monotonic()
    seconds_rows = defaultdict(Counter)
    latencies, samples = [], set()
    rng = random.Random(7)

    async def client():
        while (elapsed := time.monotonic() - started) < seconds:
            if rng.random() < 0.2:
                words = " ".join(rng.sample(SEARCH_WORDS, rng.randint(1, 2)))
                path = "/search/?q=" + quote(words)
            else:
                path = rng.choice(paths)
            sent = time.monotonic()
            status, body = await fetch(base, path)
            latency = time.monotonic() - sent
            row = seconds_rows[int(elapsed)]
            row["requests"] += 1
            if status == 0:
                row["error"] += 1
                samples.add(body)
            else:
                kind = f"{status // 100}xx"
                row[kind] += 1
                if status >= 500:
                    samples.add(f"{status} on {path}")
            latencies.append(latency)

    await asyncio.gather(*(client() for _ in range(connections)))
    return {"seconds": seconds_rows, "latencies": latencies, "samples": samples, "started": started}
