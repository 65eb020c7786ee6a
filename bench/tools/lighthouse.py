"""Lighthouse scores of the reader's pages, served as in production. Never run by the tests.

    python manage.py bench lighthouse [--import PATH ...] [--dates FILE] [--url BASE]

Without ``--url`` it fills a scratch SQLite database with the demo issues (or the archives
given to ``--import``), collects the static files, starts gunicorn with DEBUG off on a free
port of 127.0.0.1, and runs Lighthouse (``npm ci`` installs it) in Debian's Chromium against
home, the largest issue, the busiest tag and a search page, on mobile and desktop. It prints
performance, accessibility, best practices and SEO for each, and what kept a score below 100.
"""

import json
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import quote

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from bench.scratch import Gunicorn, collect_static, production_env

CATEGORIES = ["performance", "accessibility", "best-practices", "seo"]
CHROME_FLAGS = "--headless --no-sandbox --disable-gpu --disable-background-networking"


class Command(BaseCommand):
    help = "Print Lighthouse scores (mobile and desktop) of home, an issue, a tag and a search."

    def add_arguments(self, parser):
        parser.add_argument("--import", dest="archives", nargs="+", metavar="PATH", default=[])
        parser.add_argument("--dates", metavar="FILE", help="passed to import_markdown")
        parser.add_argument("--url", help="score a server already running at this address")
        parser.add_argument("--chromium", default=shutil.which("chromium") or "/usr/bin/chromium")

    def handle(self, *args, archives, dates, url, chromium, **options):
        cli = Path(settings.BASE_DIR) / "node_modules" / "lighthouse" / "cli" / "index.js"
        if not cli.exists():
            raise CommandError("Lighthouse is not installed: run `npm ci` in the project folder.")
        if not Path(chromium).exists():
            raise CommandError(f"No Chromium at {chromium} (apt-get install chromium).")
        if url:
            return self.score_all(cli, chromium, url.rstrip("/"), self.pages_from(url))
        with tempfile.TemporaryDirectory() as scratch:
            database = Path(scratch) / "lighthouse.sqlite3"
            env = production_env(f"sqlite:///{database}", LOG_LEVEL="WARNING")
            env.pop("REDIS_URL", None)
            self.prepare(env, archives, dates)
            pages = self.pick_pages(database)
            with Gunicorn(env) as base:
                self.score_all(cli, chromium, base, pages)

    def manage(self, env, *arguments):
        subprocess.run(
            [sys.executable, "manage.py", *arguments],
            cwd=settings.BASE_DIR,
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
        )

    def prepare(self, env, archives, dates):
        self.stdout.write("Preparing a scratch database and the static files…")
        self.manage(env, "migrate", "--noinput")
        sources = archives or [str(Path(settings.BASE_DIR) / "archive" / "demo")]
        extra = ["--dates", dates] if dates else []
        self.manage(env, "import_markdown", *sources, "--publish", "--on-conflict", "skip", *extra)
        collect_static(env)

    def pick_pages(self, database):
        """Home, the issue with the most links, the tag with the most links, a search."""
        with sqlite3.connect(database) as db:
            number, slug = db.execute(
                "SELECT i.number, i.slug FROM archive_issue i"
                " JOIN archive_section s ON s.issue_id = i.id"
                " JOIN archive_link l ON l.section_id = s.id"
                " GROUP BY i.id ORDER BY count(*) DESC, i.id LIMIT 1"
            ).fetchone()
            tag = db.execute(
                "SELECT t.slug FROM taggit_tag t JOIN archive_taggedlink x ON x.tag_id = t.id"
                " GROUP BY t.id ORDER BY count(*) DESC, t.id LIMIT 1"
            ).fetchone()
        issue = f"/issues/{number}/" if number is not None else f"/specials/{quote(slug)}/"
        pages = [("home", "/"), ("issue", issue)]
        if tag:
            pages.append(("tag", f"/tags/{quote(tag[0])}/"))
        pages.append(("search", "/search/?q=" + quote("搜索")))
        return pages

    def pages_from(self, url):
        return [
            ("home", "/"),
            ("issues", "/issues/"),
            ("tags", "/tags/"),
            ("search", "/search/?q=" + quote("搜索")),
        ]

    def score_all(self, cli, chromium, base, pages):
        """Each page in each language (by its address, and the browser asking for that
        language too, so nothing is redirected), on mobile and desktop."""
        rows, notes = [], []
        for language, prefix in [("zh-hans", ""), ("en", "/en")]:
            for name, path in pages:
                for form in ["mobile", "desktop"]:
                    report = self.lighthouse(cli, chromium, base + prefix + path, form, language)
                    categories = report["categories"]
                    scores = [round(100 * categories[c]["score"]) for c in CATEGORIES]
                    rows.append((language, name, prefix + path, form, scores))
                    notes += self.what_cost_points(report, f"{language} {name} {form}")
        self.stdout.write("")
        header = f"{'language':<8} {'page':<7} {'form':<8} {'perf':>5} {'a11y':>5} {'best':>5}"
        self.stdout.write(f"{header} {'seo':>5}")
        for language, name, path, form, scores in rows:
            cells = " ".join(f"{score:>5}" for score in scores)
            self.stdout.write(f"{language:<8} {name:<7} {form:<8} {cells}   {path}")
        lowest = min(min(scores) for *_, scores in rows)
        self.stdout.write(f"lowest of {len(rows) * len(CATEGORIES)} scores: {lowest}")
        for note in notes:
            self.stdout.write(f"  cost points: {note}")

    def what_cost_points(self, report, label):
        """The weighted audits that scored below 1."""
        found = []
        for category in report["categories"].values():
            for ref in category["auditRefs"]:
                audit = report["audits"][ref["id"]]
                if ref["weight"] > 0 and audit.get("score") is not None and audit["score"] < 1:
                    found.append(f"{label}: {ref['id']} {audit['score']:.2f}")
        return found

    def lighthouse(self, cli, chromium, url, form, language):
        command = [
            "node",
            str(cli),
            url,
            "--quiet",
            "--output=json",
            "--output-path=stdout",
            f"--only-categories={','.join(CATEGORIES)}",
            f"--chrome-path={chromium}",
            f"--chrome-flags={CHROME_FLAGS}",
            "--extra-headers=" + json.dumps({"Accept-Language": language}),
        ]
        command.append("--preset=desktop" if form == "desktop" else "--form-factor=mobile")
        for _attempt in range(3):
            # Headless Chromium now and then loses the trace's start (NO_NAVSTART): run again.
            result = subprocess.run(command, capture_output=True, text=True, timeout=180)
            if result.returncode == 0:
                return json.loads(result.stdout)
            if "NO_NAVSTART" not in result.stderr:
                break
        raise CommandError(f"Lighthouse failed on {url}: {result.stderr.strip()[-500:]}")
