"""Benchmark the Markdown importer on a generated archive. Never run by the test suite.

    python manage.py bench import [--files 2000] [--links 20] [--keep]

It writes ``--files`` issues of ``--links`` links each twice: once in the shapes other
newsletters keep (YAML front matter with entries before any heading, TOML front matter with
labelled bullets, Pelican headers with reference-style links, labelled lines or bold titles
in Chinese (one way a section), a month a file in a year's folder; a fifth each), once in
this archive's own shape (the baseline: the same issues as ``export_markdown`` writes them).
Each is imported into its own scratch database, beside the configured one (SQLite, or
PostgreSQL with DATABASE_URL), by ``import_markdown`` in a process of its own; it prints
files per second, links per second and the process's peak memory, for the first import and
for the second (every file unchanged), then ``check_import``'s recall figures for the shaped
archive.
"""

import io
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from archive.issuemd import parse_issue, render_issue
from bench.scratch import CATEGORIES, scratch_database, synthetic_text

SHAPES = ("yaml", "toml", "pelican", "labelled", "monthly")


def entries(rng, number, count):
    """[(title, url, annotation)] for one issue, in three or four categories."""
    found = []
    for index in range(count):
        title, annotation = synthetic_text(rng)
        host = f"site{rng.randint(1, 400)}.example.com"
        url = f"https://{host}/{number}/{index}/{rng.randint(1, 10**6)}"
        found.append((title.replace("[", "").replace("]", ""), url, annotation))
    return found


def sections_of(rng, items):
    names = rng.sample(CATEGORIES, 3)
    size = -(-len(items) // 3)
    return [(names[index // size], item) for index, item in enumerate(items)]


def shaped(rng, number, shape, count):
    """(relative path, text) of one issue in one of the SHAPES."""
    date = f"{2010 + number // 52}-{number % 12 + 1:02d}-{number % 28 + 1:02d}"
    items = entries(rng, number, count)
    by_section = sections_of(rng, items[2:])
    if shape == "yaml":
        lines = [
            "---",
            f'title: "Issue {number}: {items[0][0][:40]}"',
            f"date: {date}",
            f"issue: {number}",
            "tags: [weekly, generated]",
            "author: bench",
            "---",
            "",
            "The week's picks:",
            "",
        ]
        lines += [f"- [{t}]({u}) — {a}" for t, u, a in items[:2]]
        current = None
        for name, (t, u, a) in by_section:
            if name != current:
                lines += ["", f"## {name}", ""]
                current = name
            lines.append(f"- [{t}]({u}) — {a}")
        return f"go-weekly/{number}-weekly-{number}.md", "\n".join(lines) + "\n"
    if shape == "toml":
        lines = ["+++", f'title = "Weekly {number}"', f"date = {date}", f"number = {number}"]
        lines += ['layout = "issue"', "+++", "", "Hello again.", ""]
        current = None
        for name, (t, u, a) in [(by_section[0][0], item) for item in items[:2]] + by_section:
            if name != current:
                lines += [f"## {name}", ""]
                current = name
            lines += [f"### {t}", "", f"- Link: <{u}>", f"- Description: {a}", ""]
        return f"haskell-weekly/issue-{number}.md", "\n".join(lines)
    if shape == "pelican":
        lines = [f"Title: This Week {number}", f"Number: {number}", f"Date: {date}"]
        lines += ["Category: Weekly", "", "Welcome!", ""]
        definitions, current = [], None
        for index, (name, (t, u, a)) in enumerate(
            [(by_section[0][0], item) for item in items[:2]] + by_section, start=1
        ):
            if name != current:
                lines += ["", f"## {name}", ""]
                current = name
            lines.append(f"* [{t}][{index}] — {a}")
            definitions.append(f"[{index}]: {u}")
        return f"rust-weekly/{date}-this-week-{number}.md", "\n".join(
            lines + [""] + definitions
        ) + "\n"
    if shape == "labelled":
        lines = [f"# 技术周刊（第 {number} 期）", "", "本期内容如下。", ""]
        current, bold = None, True
        for name, (t, u, a) in [(by_section[0][0], item) for item in items[:2]] + by_section:
            if name != current:
                lines += [f"## {name}", ""]
                current, bold = name, not bold  # one way of writing entries a section
            if bold:
                lines += [f"**{t}**", u, a, ""]
            else:
                lines += [f"### {t}", "", f"链接：{u}", f"介绍：{a}", ""]
        return f"zh-weekly/weekly/issue-{number}.md", "\n".join(lines)
    year, month = 1900 + number // 12, number % 12 + 1
    lines = [f"# 编程月刊 {year} 年 {month} 月", ""]
    lines += [f"[{t}]({u})：{a}" + "\n" for t, u, a in items[:2]]
    current = None
    for name, (t, u, a) in by_section:
        if name != current:
            lines += [f"## {name}", ""]
            current = name
        lines += [f"[{t}]({u})：{a}", ""]
    return f"monthly/docs/{year}/{month:02d}.md", "\n".join(lines)


def write_archives(folder, files, links, seed=7):
    """Write the shaped archive and its baseline; the number of links written."""
    rng = random.Random(seed)
    total = 0
    for number in range(1, files + 1):
        name, text = shaped(rng, number, SHAPES[number % len(SHAPES)], links)
        path = folder / "shaped" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        doc = parse_issue(text, file_name=Path(name).name if "docs/" not in name else name[-10:])
        doc.front_matter, doc.heading, doc.references = "", "title", ""
        for entry in doc.iter_entries():
            entry.link_source = ""
        if doc.number is None:
            doc.number = 100_000 + number  # our own shape numbers every issue
        baseline = folder / "baseline" / f"issue-{doc.number}.md"
        baseline.parent.mkdir(parents=True, exist_ok=True)
        baseline.write_text(render_issue(doc), encoding="utf-8")
        total += sum(1 for _ in doc.iter_entries())
    return total


class Command(BaseCommand):
    help = "Import throughput and memory on a generated archive of other shapes, against ours."

    def add_arguments(self, parser):
        parser.add_argument("--files", type=int, default=2000)
        parser.add_argument("--links", type=int, default=20, help="links a file")
        parser.add_argument("--keep", action="store_true", help="keep the archive and databases")
        parser.add_argument("--child", help="internal: import this folder, print figures as JSON")

    def handle(self, *args, files, links, keep, child, **options):
        if child:
            return self.child(child)
        folder = Path(tempfile.mkdtemp(prefix="bench-import-"))
        try:
            started = time.monotonic()
            written = write_archives(folder, files, links)
            self.stdout.write(
                f"{files} files, {written} links written in {time.monotonic() - started:.1f}s "
                f"({folder})"
            )
            figures, recall = {}, []
            for kind in ("baseline", "shaped"):
                url, drop = scratch_database(f"bench_import_{kind}")
                env = {"DATABASE_URL": url, "BENCH_TOOLS": "1"}
                self.manage(env, "migrate", "--noinput", "-v0")
                first = self.run_child(env, folder / kind)
                again = self.run_child(env, folder / kind)
                figures[kind] = (first, again)
                if kind == "shaped":
                    check = self.manage(env, "check_import", str(folder / kind), "--show", "3")
                    recall = [line for line in check.splitlines() if "recall" in line]
                if not keep:
                    drop()
            self.report(figures, files, written)
            for line in recall:
                self.stdout.write("check_import: " + line.replace(str(folder), "…"))
        finally:
            if not keep:
                shutil.rmtree(folder, ignore_errors=True)

    def manage(self, env, *args):
        result = subprocess.run(
            [sys.executable, "manage.py", *args],
            env={**os.environ, **env},
            capture_output=True,
            text=True,
        )
        if result.returncode != 0 and args[0] != "check_import":
            raise CommandError(f"manage.py {' '.join(args)}: {result.stderr.strip()[-2000:]}")
        return result.stdout + result.stderr

    def run_child(self, env, folder):
        out = self.manage(env, "bench", "import", "--child", str(folder))
        return json.loads(out.strip().splitlines()[-1])

    def child(self, folder):
        out = io.StringIO()
        started = time.monotonic()
        call_command(
            "import_markdown", folder, "--publish", "-v0", stdout=out, stderr=io.StringIO()
        )
        elapsed = time.monotonic() - started
        summary = out.getvalue().strip().splitlines()[-1]
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
        self.stdout.write(json.dumps({"seconds": elapsed, "peak_mb": peak, "summary": summary}))

    def report(self, figures, files, links):
        self.stdout.write(f"database: {connection.vendor}")
        for kind, (first, again) in figures.items():
            self.stdout.write(
                f"{kind:>8}: first import {first['seconds']:.1f}s = {files / first['seconds']:.0f} "
                f"files/s, {links / first['seconds']:.0f} links/s, peak {first['peak_mb']} MB; "
                f"again (all unchanged) {again['seconds']:.1f}s = "
                f"{files / again['seconds']:.0f} files/s"
            )
            self.stdout.write(f"          {first['summary']}")
            self.stdout.write(f"          {again['summary']}")
        ratio = figures["baseline"][0]["seconds"] / figures["shaped"][0]["seconds"]
        self.stdout.write(f"shaped archive at {ratio:.2f}× the speed of our own shape")
