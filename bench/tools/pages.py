"""Benchmark the reader's pages on a scratch database of synthetic issues. Never run by the
test suite.

    python manage.py bench pages [--links 100000] [--keep] [--reuse] [--seconds 5]

For home, the issue list, a median and the largest issue, a category, a tag, a domain, a link,
a search and the same search through the API (``/api/v1/links/``) it prints:

- uncached: the median time of one request rendered afresh (the page cache off), in this
  process through the whole middleware stack, and its ratio to a minimal Django view (the
  plain ``/healthz``) measured the same way;
- cached: requests per second from gunicorn (2 sync workers, production settings, Redis as
  the cache) under ``wrk -t2 -c16`` taking gzip as browsers do, and the ratio to the minimal
  view run just before it under the same load.

The scratch database sits beside the configured one (``archive.management.scratch``); the
configured database is never touched. The command runs itself again in a child process
pointed at it.
"""

import argparse
import datetime
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from urllib.parse import quote

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from bench.scratch import (
    CATEGORIES,
    TAGS,
    Gunicorn,
    collect_static,
    production_env,
    scratch_database,
    synthetic_text,
)

SEED = 20261203
LINKS_PER_ISSUE = 50
LARGEST = 778  # links in the largest issue, as in the largest real one seen
REDIS_DB = 12


class Command(BaseCommand):
    help = "Time the reader's pages uncached and cached on a scratch archive of N links."

    def add_arguments(self, parser):
        parser.add_argument("--links", type=int, default=100_000)
        parser.add_argument("--keep", action="store_true", help="keep the scratch database")
        parser.add_argument("--reuse", action="store_true", help="reuse a kept scratch database")
        parser.add_argument("--seconds", type=int, default=5, help="wrk's run for each page")
        parser.add_argument("--repeat", type=int, default=15, help="uncached requests a page")
        parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)

    def handle(self, *args, links, keep, reuse, seconds, repeat, child, **options):
        self.verbosity = options["verbosity"]
        if child:
            return self.run_benchmark(links, reuse, seconds, repeat)
        url, cleanup = scratch_database("pages", reuse)
        try:
            # The benchmark is one address asking many times: no API rate limit.
            env = production_env(url, API_REQUESTS_PER_MINUTE=str(10**9))
            env.pop("REDIS_URL", None)  # the child's own requests use the in-process cache
            command = [sys.executable, "manage.py", "bench", "pages", "--child"]
            command += ["--links", str(links), "--seconds", str(seconds), "--repeat", str(repeat)]
            if reuse:
                command.append("--reuse")
            with tempfile.TemporaryDirectory() as static_root:
                # Production storage renders pages from its manifest, in the child too.
                env["STATIC_ROOT"] = static_root
                collect_static(env)
                result = subprocess.run(command, cwd=settings.BASE_DIR, env=env, check=False)
            if result.returncode:
                raise CommandError("the benchmark failed")
        finally:
            if not keep:
                cleanup()

    # In the child process, on the scratch database ---------------------------------------

    def run_benchmark(self, count, reuse, seconds, repeat):
        from archive.models import Link

        call_command("migrate", verbosity=0)
        existing = Link.objects.count()
        if not (reuse and existing):
            if existing:
                raise CommandError("the scratch database is not empty; run without --reuse")
            self.fill(count)
        pages = self.pick_pages()
        total = Link.objects.count()
        self.stdout.write(f"{connection.vendor}, {total:,} links")
        uncached = self.measure_uncached(pages, repeat)
        cached = self.measure_cached(pages, seconds)
        self.report(pages, uncached, cached)

    def fill(self, count):
        """Issues of 50 links in 5 sections (a tenth with a similar link), one issue of 778,
        tags on most links, a few big domains: written in bulk, then tallied and indexed as
        the application would."""
        from taggit.models import Tag

        from archive.models import Category, Issue, Link, Section, TaggedLink, link_rank
        from archive.publishing import tallies
        from archive.search.index import refresh_all

        started = time.monotonic()
        rng = random.Random(SEED)
        categories = Category.objects.bulk_create(
            [Category(name=name, slug=f"c{i}", position=i) for i, name in enumerate(CATEGORIES)]
        )
        tags = Tag.objects.bulk_create(
            [Tag(name=name, slug=f"t{i}") for i, name in enumerate(TAGS)]
        )
        sizes = [LINKS_PER_ISSUE] * max((count - LARGEST) // LINKS_PER_ISSUE, 1)
        sizes.insert(len(sizes) // 2, LARGEST)
        # Weekly, ending last week; a larger archive than forty years of weeks comes daily.
        step = datetime.timedelta(days=max(1, min(7, 365 * 40 // len(sizes))))
        last = datetime.date.today() - datetime.timedelta(days=7)
        first = last - step * len(sizes)
        issues = Issue.objects.bulk_create(
            [
                Issue(
                    number=n + 1,
                    date=first + step * n,
                    published_at=datetime.datetime.combine(
                        first + step * n, datetime.time(8), tzinfo=datetime.UTC
                    ),
                )
                for n in range(len(sizes))
            ],
            batch_size=5000,
        )
        domains = ["github.com", "arxiv.org", "zhuanlan.zhihu.com", "mp.weixin.qq.com"]
        domains += [f"site{i}.example.com" for i in range(300)]
        weights = [20, 8, 6, 6] + [1] * 300
        written = 0
        for start in range(0, len(issues), 200):
            chunk = list(zip(issues[start : start + 200], sizes[start : start + 200], strict=True))
            sections = Section.objects.bulk_create(
                [
                    Section(
                        issue=issue, category=categories[(issue.number * 3 + k) % 15], position=k
                    )
                    for issue, _size in chunk
                    for k in range(5)
                ]
            )
            links, tagged = [], []
            for index, (issue, size) in enumerate(chunk):
                own = sections[index * 5 : index * 5 + 5]
                for position in range(size):
                    section = own[position * 5 // size]
                    title, annotation = synthetic_text(rng)
                    domain = rng.choices(domains, weights)[0]
                    url = f"https://{domain}/{issue.number}/{position}"
                    links.append(
                        Link(
                            section=section,
                            category_id=section.category_id,
                            position=position,
                            title=title[:1000],
                            url=url,
                            normalized_url=url,
                            domain=domain,
                            annotation=annotation,
                            annotation_html=f"<p>{annotation}</p>",
                            rank=link_rank(
                                issue.number, issue.date, issue.pk, section.position, position
                            ),
                        )
                    )
            links = Link.objects.bulk_create(links, batch_size=5000)
            children = []
            for link in links:
                for tag in rng.sample(tags, rng.randint(0, 3)):
                    tagged.append(TaggedLink(content_object=link, tag=tag, rank=link.rank))
                if rng.random() < 0.1:
                    issue = link.section.issue
                    url = f"https://{rng.choice(domains)}/similar/{link.pk}"
                    children.append(
                        Link(
                            section=link.section,
                            category_id=link.category_id,
                            parent=link,
                            position=0,
                            title=f"{link.title[:60]} (similar)",
                            url=url,
                            normalized_url=url,
                            domain=url.split("/")[2],
                            rank=link_rank(
                                issue.number,
                                issue.date,
                                issue.pk,
                                link.section.position,
                                link.position,
                                0,
                            ),
                        )
                    )
            Link.objects.bulk_create(children, batch_size=5000)
            TaggedLink.objects.bulk_create(tagged, batch_size=5000)
            written += len(links) + len(children)
            if self.verbosity >= 1 and self.stdout.isatty():
                self.stdout.write(f"\r{written:,} links", ending="")
                self.stdout.flush()
        self.stdout.write(f"\rfilled {written:,} links in {time.monotonic() - started:.0f}s")
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
        started = time.monotonic()
        tallies.recount(Issue.objects.values_list("pk", flat=True))
        self.stdout.write(f"tallied in {time.monotonic() - started:.0f}s")
        started = time.monotonic()
        with transaction.atomic():
            refresh_all()
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        self.stdout.write(f"search index built in {time.monotonic() - started:.0f}s")

    def pick_pages(self):
        from django.db.models import Count
        from taggit.models import Tag

        from archive.models import Category, Issue, Link

        issues = list(
            Issue.objects.order_by("link_count", "number").values_list("number", flat=True)
        )
        median = issues[len(issues) // 2]
        largest = Issue.objects.order_by("-link_count").values_list("number", flat=True).first()
        category = (
            Category.objects.annotate(n=Count("sections"))
            .order_by("-n")
            .values_list("slug", flat=True)
            .first()
        )
        tag = (
            Tag.objects.annotate(n=Count("archive_taggedlink_items"))
            .order_by("-n")
            .values_list("slug", flat=True)
            .first()
        )
        link = (
            Link.objects.filter(section__issue__number=median, parent=None).order_by("pk").first()
        )
        return [
            ("home", "/"),
            ("issue list", "/issues/"),
            ("median issue", f"/issues/{median}/"),
            ("largest issue", f"/issues/{largest}/"),
            ("category", f"/categories/{quote(category)}/"),
            ("tag", f"/tags/{quote(tag)}/"),
            ("domain", "/domains/github.com/"),
            ("link", f"/links/{link.pk}/"),
            ("search", "/search/?q=" + quote("模型")),
            ("api search", "/api/v1/links/?q=" + quote("模型")),
        ]

    def measure_uncached(self, pages, repeat):
        """{path: median ms} of requests rendered afresh, in this process, and the minimal
        view's under the key ``None``."""
        from django.test import Client

        settings.PAGE_CACHE_SECONDS = 0
        client = Client(SERVER_NAME="127.0.0.1")
        found = {}
        for _name, path in [(None, "/healthz"), *pages]:
            for _ in range(3):  # warm: templates compiled, connections open
                response = client.get(path)
                if response.status_code != 200:
                    raise CommandError(f"{path} answered {response.status_code}")
            timings = []
            for _ in range(repeat):
                started = time.perf_counter()
                client.get(path)
                timings.append((time.perf_counter() - started) * 1000)
            found[None if path == "/healthz" else path] = statistics.median(timings)
        return found

    def measure_cached(self, pages, seconds):
        """{path: (req/s, non-2xx)} from gunicorn under wrk, and the minimal view's."""
        if not shutil.which("wrk"):
            self.stderr.write("wrk is not installed (apt-get install wrk): no cached figures")
            return {}
        import redis

        redis.Redis(host="127.0.0.1", port=6379, db=REDIS_DB).flushdb()
        with tempfile.TemporaryDirectory() as static_root:
            env = {**os.environ, "STATIC_ROOT": static_root}
            env["REDIS_URL"] = f"redis://127.0.0.1:6379/{REDIS_DB}"
            collect_static(env)
            with Gunicorn(env) as base:
                wrk(base + "/healthz", 1)  # warm
                found = {}
                for _name, path in pages:
                    with urllib.request.urlopen(base + path) as response:  # fills the cache
                        response.read()
                    # The machine's pace drifts: each page is paired with a run of the
                    # minimal view just before it.
                    found[("minimal", path)] = wrk(base + "/healthz", seconds)
                    found[path] = wrk(base + path, seconds)
        return found

    def report(self, pages, uncached, cached):
        minimal_ms = uncached[None]
        minimal = [cached[("minimal", path)][0] for _name, path in pages] if cached else []
        self.stdout.write(
            f"minimal view: {minimal_ms:.2f} ms uncached"
            + (
                f", {statistics.median(minimal):,.0f} req/s under wrk"
                f" ({min(minimal):,.0f}–{max(minimal):,.0f} over the run)"
                if cached
                else ""
            )
        )
        self.stdout.write(
            f"{'page':<14} {'uncached ms':>12} {'× minimal':>10} {'cached req/s':>13}"
            f" {'of minimal':>11} {'non-2xx':>8}   path"
        )
        for name, path in pages:
            ms = uncached[path]
            line = f"{name:<14} {ms:>12.2f} {ms / minimal_ms:>9.1f}×"
            if path in cached:
                rps, errors = cached[path]
                ratio = rps / cached[("minimal", path)][0]
                line += f" {rps:>13,.0f} {ratio:>10.0%} {errors:>8}"
            self.stdout.write(f"{line}   {path}")
        html, api = pages[-2][1], pages[-1][1]
        line = f"API search / HTML search: {uncached[html] / uncached[api]:.2f}× as fast uncached"
        if cached:
            line += f", {cached[api][0] / cached[html][0]:.2f}× the req/s cached"
        self.stdout.write(line)


def wrk(url, seconds):
    """(requests per second, non-2xx/3xx responses) of ``wrk -t2 -c16``, taking gzip as
    browsers do."""
    command = ["wrk", "-t2", "-c16", f"-d{seconds}s", "-H", "Accept-Encoding: gzip", url]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    errors = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    return rps, int(errors.group(1)) if errors else 0
