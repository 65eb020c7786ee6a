"""manage.py bench history: what history costs. The time of a save of a 778-link issue (the
largest real one seen) with and without its revision, measured in the same run on a scratch
database, and the storage of a revision (the issue's Markdown) for the median issue of each
corpus archive beside this checkout (../shared/corpus), or of generated issues."""

import argparse
import datetime
import os
import random
import statistics
import subprocess
import sys
import time
import zlib
from pathlib import Path
from unittest import mock

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from bench.scratch import scratch_database, synthetic_text

LARGEST = 778
CORPUS = Path(settings.BASE_DIR).parent / "shared" / "corpus"


def big_issue_doc(number, links, rng):
    from archive.issuemd import EntryDoc, IssueDoc, SectionDoc

    sections = [SectionDoc(name) for name in ("工具", "文章", "资源", "新闻", "代码")]
    for index in range(links):
        title, annotation = synthetic_text(rng)
        sections[index % 5].entries.append(
            EntryDoc(
                title,
                f"https://site{index % 37}.example.com/{number}/{index}",
                annotation=annotation,
                tags=[f"tag{rng.randrange(150)}" for _ in range(2)],
            )
        )
    return IssueDoc(
        number=number, title=f"Issue {number}", date=datetime.date(2024, 5, 3), sections=sections
    )


class Command(BaseCommand):
    help = "The cost of a save with its revision (778 links), and a revision's size."

    def add_arguments(self, parser):
        parser.add_argument("--repeat", type=int, default=7)
        parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)

    def handle(self, *args, repeat, child, **options):
        if child:
            return self.measure(repeat)
        url, drop = scratch_database("history")
        env = {**os.environ, "DATABASE_URL": url, "DEBUG": "1", "BENCH_TOOLS": "1"}
        try:
            for arguments in (
                ["migrate", "--noinput"],
                ["bench", "history", "--child", "--repeat", str(repeat)],
            ):
                done = subprocess.run(
                    [sys.executable, "manage.py", *arguments],
                    cwd=settings.BASE_DIR,
                    env=env,
                    capture_output=True,
                    text=True,
                )
                if done.returncode:
                    raise CommandError(done.stderr[-3000:])
            self.stdout.write(done.stdout.rstrip())
        finally:
            drop()
        self.sizes()

    def measure(self, repeat):
        from django.db import connection

        from archive.history import revisions
        from archive.ingest.loading import load_issue
        from archive.models import Revision

        rng = random.Random(778)
        doc = big_issue_doc(1, LARGEST, rng)
        load_issue(doc, publish=True)

        def one_save(step):
            # An editor's save: one annotation changed, the rest written again.
            doc.sections[0].entries[0].annotation = f"changed {step}"
            started = time.perf_counter()
            load_issue(doc)
            return (time.perf_counter() - started) * 1000

        timings = {"without": [], "with": []}
        for step in range(repeat * 2):
            label = "with" if step % 2 else "without"
            if label == "without":
                with (
                    mock.patch.object(revisions, "record"),
                    mock.patch.object(revisions, "ensure_baseline"),
                ):
                    timings[label].append(one_save(step))
            else:
                timings[label].append(one_save(step))
        issue = Revision.objects.latest("pk").issue
        started = time.perf_counter()
        for _ in range(repeat):
            revisions.markdown_of(issue)
        render = (time.perf_counter() - started) * 1000 / repeat
        without, with_ = (statistics.median(timings[k]) for k in ("without", "with"))
        size = len(Revision.objects.latest("pk").markdown.encode())
        self.stdout.write(
            f"{connection.vendor}: a save of the {LARGEST}-link issue takes {without:.0f} ms "
            f"without history and {with_:.0f} ms with it ({with_ / without:.2f} ×; of that, "
            f"{render:.0f} ms reads and writes the issue's Markdown); its revision is "
            f"{size / 1024:.0f} KB"
        )

    def sizes(self):
        from archive.issuemd import ParseError, parse_issue, render_issue

        if not CORPUS.exists():
            self.stdout.write("no corpus beside this checkout: revision sizes not measured")
            return
        for folder in sorted(p for p in CORPUS.iterdir() if p.is_dir()):
            sizes = []
            for path in sorted(folder.rglob("*.md")):
                if path.name in {"SOURCE.md", "README.md"}:
                    continue
                try:
                    doc = parse_issue(path.read_text(encoding="utf-8"), file_name=path.name)
                except (ParseError, UnicodeDecodeError):
                    continue
                text = render_issue(doc).encode()
                sizes.append((len(text), len(zlib.compress(text, 6))))
            if not sizes:
                continue
            raw = statistics.median(size for size, _ in sizes)
            packed = statistics.median(packed for _, packed in sizes)
            self.stdout.write(
                f"  {folder.name}: {len(sizes)} issues, a median revision is {raw / 1024:.1f} KB "
                f"({packed / 1024:.1f} KB compressed)"
            )
