"""Benchmark search on a scratch database of synthetic links. Never run by the test suite.

    python manage.py bench search --links 100000 [--keep] [--reuse]

The scratch database sits beside the configured one (a temporary SQLite file, or a PostgreSQL
database named ``<name>_bench``); the configured database is never touched. The command runs
itself again in a child process pointed at the scratch database."""

import argparse
import datetime
import os
import random
import statistics
import subprocess
import sys
import time

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.db.models import Q

from bench.scratch import (
    CATEGORIES,
    TAGS,
    ZH_WORDS,
    scratch_database,
    synthetic_text,
)

SEED = 20260101
PLANTED_TABLE = "bench_planted"  # in the scratch database: which links hold which term
# Planted terms: each stands in a known set of links; recall is measured on them. Chinese ones
# sit inside longer runs, where word segmentation splits them differently.
PLANTED = [
    ("湖仓大模型", "zh"),
    ("可观测性", "zh"),
    ("鲲鹏", "zh"),
    ("芯片采购", "zh"),
    ("量子纠缠", "zh"),
    ("向量检索", "zh"),
    ("零拷贝", "zh"),
    ("灰度发布", "zh"),
    ("zyxquark", "en"),
    ("flumphbench", "en"),
    ("snarkle", "en"),
    ("quibbleweb", "en"),
    ("PostgreSQLx", "prefix"),
    ("Kubernetix", "prefix"),
    ("Microvaxion", "prefix"),
]
QUERIES = [
    # class, query, planted term whose links it must find (or None)
    ("rare_en", "zyxquark", "zyxquark"),
    ("rare_en", "flumphbench", "flumphbench"),
    ("rare_en", "snarkle", "snarkle"),
    ("rare_en", "QUIBBLEWEB", "quibbleweb"),
    ("rare_en", "zyxquark python", None),
    ("rare_en", "snarkle OR flumphbench", None),
    ("common_en", "data", None),
    ("common_en", "python", None),
    ("common_en", "the", None),
    ("common_en", "machine learning", None),
    ("common_en", "search index", None),
    ("common_en", "rust async", None),
    ("zh_2", "鲲鹏", "鲲鹏"),
    ("zh_2", "芯片", None),
    ("zh_2", "模型", None),
    ("zh_2", "数据", None),
    ("zh_2", "缓存", None),
    ("zh_2", "观测", None),
    ("zh_3_4", "湖仓大模型", "湖仓大模型"),
    ("zh_3_4", "大模型", None),
    ("zh_3_4", "可观测性", "可观测性"),
    ("zh_3_4", "芯片采购", "芯片采购"),
    ("zh_3_4", "量子纠缠", "量子纠缠"),
    ("zh_3_4", "向量检索", "向量检索"),
    ("zh_3_4", "零拷贝", "零拷贝"),
    ("zh_3_4", "灰度发布", "灰度发布"),
    ("zh_3_4", "分布式", None),
    ("prefix", "postgresq", "PostgreSQLx"),
    ("prefix", "kuberneti", "Kubernetix"),
    ("prefix", "microvax", "Microvaxion"),
    ("prefix", "pyth", None),
    ("prefix", "tran", None),
    ("prefix", "kube", None),
    ("phrase", '"machine learning"', None),
    ("phrase", '"deep dive"', None),
    ("phrase", '"数据 库"', None),
    ("phrase", '"open source"', None),
    ("phrase", '"the guide"', None),
    ("phrase", '"灰度发布"', "灰度发布"),
    ("mixed", "rust 异步", None),
    ("mixed", "python 数据", None),
    ("mixed", "kubernetes 集群", None),
    ("mixed", "鲲鹏 zyxquark", None),
    ("filter", "模型 category=模型算法", None),
    ("filter", "data year=2020", None),
    ("filter", "大模型 tag=大模型", None),
    ("filter", "search domain=site3.example.com", None),
    ("exclude", "python -rust", None),
    ("exclude", "数据 -模型", None),
]


class Command(BaseCommand):
    help = "Benchmark search on N synthetic links in a scratch database (p50/p95, recall)."

    def add_arguments(self, parser):
        parser.add_argument("--links", type=int, default=100_000)
        parser.add_argument("--keep", action="store_true", help="keep the scratch database")
        parser.add_argument("--reuse", action="store_true", help="reuse a kept scratch database")
        parser.add_argument("--repeat", type=int, default=5, help="runs of each query")
        parser.add_argument(
            "--no-baseline",
            action="store_true",
            help="skip the icontains baseline (at a million links it takes about a minute a query)",
        )
        parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)

    def handle(self, *args, links, keep, reuse, repeat, child, verbosity, **options):
        self.verbosity = verbosity
        self.baseline = not options["no_baseline"]
        if child:
            return self.run_benchmark(links, reuse, repeat)
        url, cleanup = scratch_database("bench", reuse)
        try:
            env = {**os.environ, "DATABASE_URL": url, "DEBUG": "1"}
            command = [
                sys.executable,
                "manage.py",
                "bench",
                "--verbosity",  # an option of `bench` itself, before the tool's name
                str(verbosity),
                "search",
                "--child",
                "--links",
                str(links),
                "--repeat",
                str(repeat),
            ]
            if not self.baseline:
                command.append("--no-baseline")
            if reuse:
                command.append("--reuse")
            result = subprocess.run(command, cwd=settings.BASE_DIR, env=env, check=False)
            if result.returncode:
                raise CommandError("the benchmark failed")
        finally:
            if not keep:
                cleanup()

    # In the child process, on the scratch database ---------------------------------------

    def run_benchmark(self, count, reuse, repeat):
        from archive.models import Link

        call_command("migrate", verbosity=0)
        existing = Link.objects.count()
        if not reuse or existing != count:
            if existing:
                raise CommandError("the scratch database is not empty; run without --reuse")
            planted = self.fill(count)
        else:
            planted = self.planted_from_database()
        self.stdout.write(f"{connection.vendor}, {count:,} links")
        self.measure(planted, repeat)

    def fill(self, count):
        from taggit.models import Tag

        from archive.models import Category, Issue, Link, Section, TaggedLink
        from archive.search.index import refresh_all

        rng = random.Random(SEED)
        self.planted_rows = []
        started = time.monotonic()
        categories = Category.objects.bulk_create(
            [Category(name=name, slug=f"c{i}", position=i) for i, name in enumerate(CATEGORIES)]
        )
        tags = Tag.objects.bulk_create(
            [Tag(name=name, slug=f"t{i}") for i, name in enumerate(TAGS)]
        )
        issue_count = max(count // 50, 1)
        published = datetime.datetime(2015, 1, 1, tzinfo=datetime.UTC)
        issues = Issue.objects.bulk_create(
            [
                Issue(
                    number=n + 1,
                    date=datetime.date(2015 + n * 11 // issue_count, 1 + n % 12, 1 + n % 28),
                    published_at=published,
                )
                for n in range(issue_count)
            ],
            batch_size=5000,
        )
        sections = Section.objects.bulk_create(
            [
                Section(
                    issue=issue,
                    category=categories[(issue.number + k) % len(categories)],
                    position=k,
                )
                for issue in issues
                for k in range(5)
            ],
            batch_size=5000,
        )
        batch, tagged, planted_in = [], [], []
        for index in range(count):
            section = sections[(index // 10) % len(sections)]
            title, annotation = synthetic_text(rng)
            terms = []
            for term, kind in PLANTED:
                if rng.random() < 150 / count:
                    terms.append(term)
                    filler = rng.choice(ZH_WORDS)
                    if kind == "zh":
                        title = f"{title} {filler}{term}{rng.choice(ZH_WORDS)}"
                    elif rng.random() < 0.5:
                        title = f"{title} {term}"
                    else:
                        annotation = f"{annotation} about {term} here"
            domain = f"site{rng.randrange(200)}.example.com"
            batch.append(
                Link(
                    section=section,
                    position=index,
                    title=title[:1000],
                    url=f"https://{domain}/p/{index}",
                    normalized_url=f"https://{domain}/p/{index}",
                    domain=domain,
                    annotation=annotation,
                    annotation_html=f"<p>{annotation}</p>",
                )
            )
            planted_in.append(terms)
            if len(batch) == 5000 or index == count - 1:
                for link, terms in zip(Link.objects.bulk_create(batch), planted_in, strict=True):
                    for tag in rng.sample(tags, rng.randint(0, 3)):
                        tagged.append(TaggedLink(content_object=link, tag=tag))
                    self.planted_rows.extend((term, link.pk) for term in terms)
                TaggedLink.objects.bulk_create(tagged, ignore_conflicts=True)
                batch, tagged, planted_in = [], [], []
        with connection.cursor() as cursor:  # which links hold which planted term
            cursor.execute(f"CREATE TABLE {PLANTED_TABLE} (term text, link_id integer)")
            cursor.executemany(f"INSERT INTO {PLANTED_TABLE} VALUES (%s, %s)", self.planted_rows)
        filled = time.monotonic() - started
        self.stdout.write(f"filled {count:,} links in {filled:.0f}s")
        # Settle the fresh tables first, as in an archive that has been running (else
        # autovacuum works through them while the index is timed).
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
        started = time.monotonic()
        written = {}

        def progress(done, total):
            if done == total:
                written["at"] = time.monotonic()

        with transaction.atomic():
            refresh_all(progress)
        built = time.monotonic() - started
        entries = written.get("at", started) - started
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        from archive.management.commands.rebuild_search_index import index_size

        size = index_size()
        self.stdout.write(
            f"index built in {built:.0f}s (entries {entries:.0f}s, then the index "
            f"{built - entries:.0f}s)" + (f", {size / 1e6:.0f} MB" if size else "")
        )
        return self.planted_from_database()

    def planted_from_database(self):
        planted = {term: set() for term, _kind in PLANTED}
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT term, link_id FROM {PLANTED_TABLE}")
            for term, link_id in cursor.fetchall():
                planted[term].add(link_id)
        return planted

    def measure(self, planted, repeat):
        from taggit.models import Tag

        from archive.models import Category, Link
        from archive.search import engine
        from archive.search.tokens import parse_query

        rows = []
        recall_found = recall_total = 0
        for kind, text, term in QUERIES:
            words, filters = [], engine.Filters()
            for part in text.split():
                if "=" in part and not part.startswith('"'):
                    name, value = part.split("=", 1)
                    if name == "category":
                        filters.category = Category.objects.get(name=value).pk
                    elif name == "year":
                        filters.year = int(value)
                    elif name == "tag":
                        filters.tags = [Tag.objects.get(name=value).pk]
                    elif name == "domain":
                        filters.domain = value
                else:
                    words.append(part)
            query = parse_query(" ".join(words))
            timings = []
            for _ in range(repeat):
                started = time.perf_counter()
                result = engine.search(query, filters)
                timings.append((time.perf_counter() - started) * 1000)
            baseline = []
            for _ in range(max(repeat // 2, 1) if self.baseline else 0):
                started = time.perf_counter()
                self.icontains(words, Link)
                baseline.append((time.perf_counter() - started) * 1000)
            if term:
                everything = engine.search(query, filters, limit=engine.MATCH_CAP).ids
                expected = planted[term]
                recall_found += len(expected & set(everything))
                recall_total += len(expected)
            rows.append(
                (
                    kind,
                    text,
                    statistics.median(timings),
                    statistics.median(baseline) if baseline else 0.0,
                    result.total,
                )
            )
        self.report(rows, recall_found, recall_total)

    @staticmethod
    def icontains(words, Link):
        queryset = Link.objects.filter(section__issue__published_at__isnull=False)
        for word in words:
            if word.startswith("-") or word == "OR":
                continue
            word = word.strip('"')
            queryset = queryset.filter(Q(title__icontains=word) | Q(annotation__icontains=word))
        list(queryset.order_by("-pk")[:20])
        queryset.count()

    def report(self, rows, found, total):
        if self.verbosity >= 2:  # every query, with -v 2
            for kind, text, search, base, hits in rows:
                self.stdout.write(f"{kind:<10} {text:<32} {search:8.1f} {base:8.1f} {hits:>6}")
        self.stdout.write(
            f"{'class':<10} {'n':>3} {'p50 ms':>8} {'p95 ms':>8} "
            f"{'icontains p50':>14} {'p95':>8} {'ratio p95':>10}"
        )
        classes = sorted({row[0] for row in rows}, key=[r[0] for r in rows].index)
        for kind in [*classes, "all"]:
            chosen = rows if kind == "all" else [row for row in rows if row[0] == kind]
            search = [row[2] for row in chosen]
            base = [row[3] for row in chosen]
            ratio = percentile(base, 95) / max(percentile(search, 95), 0.001)
            compared = (
                f"{percentile(base, 50):>14.1f} {percentile(base, 95):>8.1f} {ratio:>9.1f}x"
                if self.baseline
                else f"{'-':>14} {'-':>8} {'-':>10}"
            )
            self.stdout.write(
                f"{kind:<10} {len(chosen):>3} {percentile(search, 50):>8.1f} "
                f"{percentile(search, 95):>8.1f} {compared}"
            )
        slowest = sorted(rows, key=lambda row: -row[2])[:5]
        self.stdout.write(
            "slowest: " + "; ".join(f"{r[1]} {r[2]:.1f} ms ({r[4]} hits)" for r in slowest)
        )
        self.stdout.write(
            f"recall on planted terms: {found / total if total else 1:.4f} ({found}/{total})"
        )


def percentile(values, p):
    values = sorted(values)
    if not values:
        return 0.0
    index = (len(values) - 1) * p / 100
    low = int(index)
    high = min(low + 1, len(values) - 1)
    return values[low] + (values[high] - values[low]) * (index - low)
