import time
from collections import Counter
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, transaction
from django.urls import reverse
from django.utils import translation

from archive.history import audit
from archive.ingest import relative
from archive.ingest.loading import load_issue, undated_publish_dates
from archive.ingest.sources import (
    DatesError,
    date_for,
    file_name_of,
    git_first_dates,
    markdown_files,
    read_dates,
    read_issue,
)
from archive.ingest.urlnorm import clean_url, tracking_parameters
from archive.issuemd import ParseError
from archive.issuemd.parse import ENTRY_STYLES
from archive.management.progress import Progress
from archive.models import AuditEvent, Issue

CONFLICT_CHOICES = ("fail", "skip", "update")
LANGUAGES = ("en", "zh-hans")


class DryRun(Exception):
    """Raised inside the transaction to roll a dry run back."""


@dataclass
class Collision:
    """A file whose issue number (or special slug) is already taken by another source."""

    path: object
    label: str
    other: str  # the other file's name, or a description of where the issue came from

    def __str__(self):
        return f"{self.label}: {self.path.name} ≠ {self.other}"


def number_ranges(numbers):
    """``1-3, 7, 9-10`` for [1, 2, 3, 7, 9, 10]."""
    numbers = sorted(set(numbers))
    parts, start = [], None
    for index, number in enumerate(numbers):
        if start is None:
            start = number
        if index + 1 == len(numbers) or numbers[index + 1] != number + 1:
            parts.append(str(start) if start == number else f"{start}-{number}")
            start = None
    return ", ".join(parts)


class Command(BaseCommand):
    help = (
        "Import newsletter issues written in Markdown: files, or folders searched recursively. "
        "Each file is one issue, imported in one transaction and matched by issue number: "
        "re-importing changes nothing, an edited file updates its issue in place. An issue's "
        "date is the one its file gives; --dates and --dates-from-git date the files that "
        "give none. Exit status: 0 when every file was read, 2 when some failed (each listed "
        "with its line), 1 when nothing could be done."
    )

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", metavar="PATH", help="files or folders")
        parser.add_argument("--dry-run", action="store_true", help="parse and report only")
        parser.add_argument(
            "--publish",
            action="store_true",
            help="publish imported issues at their own date; an undated issue at the date of "
            "the nearest dated issue before it (or, for the first ones, after it)",
        )
        parser.add_argument(
            "--format",
            choices=ENTRY_STYLES,
            default="auto",
            help="how entries are written: link headings, numbered paragraphs or list items "
            "(default: detected in each file)",
        )
        parser.add_argument(
            "--dates",
            metavar="FILE",
            help="a two-column file (TSV or CSV): a file name or an issue number, then its "
            "date; for files that carry no date",
        )
        parser.add_argument(
            "--dates-from-git",
            action="store_true",
            help="date a file that carries none by the day it first appeared in the history "
            "of the git repository it lives in",
        )
        parser.add_argument(
            "--on-conflict",
            choices=CONFLICT_CHOICES,
            default="fail",
            help="when an issue number is already taken by an issue from another file (or "
            "made in the admin): fail before importing anything (default), skip those files, "
            "or update the issues with them",
        )
        parser.add_argument(
            "--base-url",
            metavar="URL",
            help="the archive's own address (e.g. its raw-file address), against which "
            "relative images and links are resolved; links to sibling issue files become "
            "links to those issues here either way",
        )
        parser.add_argument(
            "--language",
            choices=LANGUAGES,
            help="the language of what the importer writes itself (the name of the section "
            "of links before any heading, the report); default: the site's LANGUAGE_CODE",
        )

    def handle(self, *args, language=None, **options):
        with translation.override(language or settings.LANGUAGE_CODE):
            return self.run(**options)

    def run(self, *, paths, dry_run, publish, format, base_url, **options):
        started = time.monotonic()
        verbosity = options["verbosity"]
        on_conflict = options["on_conflict"]
        if base_url and not base_url.startswith(("http://", "https://")):
            raise CommandError(f"--base-url must be an http(s) address, not “{base_url[:80]}”")
        if base_url and not base_url.endswith("/"):
            base_url += "/"
        try:
            files, translations = markdown_files(paths)
            dates = read_dates(options["dates"]) if options["dates"] else {}
            git_dates = git_first_dates(files) if options["dates_from_git"] else {}
        except (FileNotFoundError, DatesError) as error:
            raise CommandError(str(error)) from None
        if not files:
            raise CommandError("No Markdown files found in " + ", ".join(paths))

        parsed, failures = [], []
        for path in files:
            try:
                parsed.append((path, read_issue(path, format)))
            except ParseError as error:
                failures.append(str(error))
        dated = self.apply_dates(parsed, dates, git_dates)
        unresolved = relative.resolve(parsed, paths, base_url, issue_address)
        cleaned = Counter(
            name.lower()
            for _path, doc in parsed
            for entry in doc.iter_entries()
            if entry.url
            for name in tracking_parameters(entry.url)
        )
        cleaned_urls = sum(
            1
            for _path, doc in parsed
            for entry in doc.iter_entries()
            if entry.url and clean_url(entry.url) != entry.url
        )

        collisions = self.find_collisions(parsed)
        if collisions and on_conflict == "fail":
            listed = "; ".join(str(collision) for collision in collisions[:20])
            more = f"; and {len(collisions) - 20} more" if len(collisions) > 20 else ""
            raise CommandError(
                f"{len(collisions)} issues are already taken by other sources, nothing was "
                f"imported ({listed}{more}). Use --on-conflict skip to leave them, or update "
                "to overwrite them."
            )
        skipped = {collision.path for collision in collisions} if on_conflict == "skip" else set()
        to_load = [(path, doc) for path, doc in parsed if path not in skipped]
        undated_at = undated_publish_dates([doc for _, doc in to_load]) if publish else {}

        outcomes = {"created": 0, "updated": 0, "unchanged": 0}
        sections = links = 0
        warnings = []
        progress = Progress(self.stdout, len(to_load), enabled=verbosity >= 1)
        for done, (path, doc) in enumerate(to_load, start=1):
            try:
                result = self.load(path, doc, publish, dry_run, undated_at.get(doc.number))
            except (ValidationError, DatabaseError) as error:
                reason = "; ".join(getattr(error, "messages", None) or [str(error)])
                failures.append(f"{path}: {reason}")
                continue
            finally:
                progress.update(done, path.name)
            outcomes[result.outcome] += 1
            sections += result.sections
            links += result.links
            warnings += doc.warnings
            if verbosity >= 2:
                self.stdout.write(f"{path}: {result.issue.label} {result.outcome}")
        progress.finish()
        for warning in warnings:
            self.stderr.write(self.style.WARNING(f"warning: {warning}"))
        for failure in failures:
            self.stderr.write(self.style.ERROR(f"failed: {failure}"))

        elapsed = time.monotonic() - started
        parts = [
            f"{outcomes['created']} imported",
            f"{outcomes['updated']} updated",
            f"{outcomes['unchanged']} unchanged",
        ]
        if skipped:
            parts.append(f"{len(skipped)} skipped")
        parts.append(f"{len(failures)} failed")
        details = [f"{sections} sections", f"{links} links", f"{len(warnings)} warnings"]
        if translations:
            folders = sorted({str(path.parent) for path in translations})
            details.append(f"{len(translations)} translations left out ({', '.join(folders)})")
        summary = (
            ("Dry run, nothing written: " if dry_run else "")
            + f"{len(files)} files: "
            + ", ".join(parts)
            + "; "
            + ", ".join(details)
            + f"; {elapsed:.1f}s"
        )
        self.report_dates(dated, parsed)
        if cleaned_urls:
            counts = ", ".join(f"{name} {n}" for name, n in cleaned.most_common(8))
            self.stdout.write(
                f"URLs cleaned of tracking parameters: {cleaned_urls} ({counts}); "
                "the files' own addresses are kept for export"
            )
        self.report_unresolved(unresolved, base_url, verbosity)
        self.report_collisions(collisions, on_conflict, verbosity)
        if not dry_run and (outcomes["created"] or outcomes["updated"]):
            audit.record(
                AuditEvent.Action.IMPORT, None, None, f"manage.py import_markdown: {summary}"
            )
        if failures:
            done = sum(outcomes.values())
            raise CommandError(summary, returncode=2 if done else 1)
        self.stdout.write(self.style.SUCCESS(summary))

    def report_unresolved(self, unresolved, base_url, verbosity):
        if not unresolved:
            return
        files = len({item.path for item in unresolved})
        hint = "" if base_url else "; give --base-url to resolve them"
        self.stdout.write(
            self.style.WARNING(
                f"{len(unresolved)} relative addresses in {files} files left as written{hint}:"
            )
        )
        shown = unresolved if verbosity >= 2 else unresolved[:20]
        for item in shown:
            self.stdout.write(f"  {item}")
        if len(shown) < len(unresolved):
            self.stdout.write(f"  … and {len(unresolved) - len(shown)} more (-v 2 lists all)")

    def apply_dates(self, parsed, dates, git_dates):
        """Give undated documents the date --dates or git gives them; {source: count}."""
        dated = {"file": 0, "dates": 0, "git": 0}
        for path, doc in parsed:
            if doc.date is not None:
                dated["file"] += 1
                continue
            date = date_for(dates, path, doc.number)
            if date is not None:
                doc.date, dated["dates"] = date, dated["dates"] + 1
                continue
            date = git_dates.get(path.resolve())
            if date is not None:
                doc.date, dated["git"] = date, dated["git"] + 1
        return dated

    def find_collisions(self, parsed):
        """Files whose issue is already taken: by a stored issue from another file (or made
        in the admin), or by an earlier file of this run."""
        numbers = [doc.number for _, doc in parsed if doc.number is not None]
        slugs = [doc.slug for _, doc in parsed if doc.number is None]
        stored = {
            ("number", number): source
            for number, source in Issue.objects.filter(number__in=numbers).values_list(
                "number", "source"
            )
        }
        stored.update(
            (("slug", slug), source)
            for slug, source in Issue.objects.filter(number=None, slug__in=slugs).values_list(
                "slug", "source"
            )
        )
        seen, collisions = {}, []
        for path, doc in parsed:
            key = ("number", doc.number) if doc.number is not None else ("slug", doc.slug)
            label = f"#{doc.number}" if doc.number is not None else doc.slug
            if key in seen:
                collisions.append(Collision(path, label, str(seen[key])))
                continue
            seen[key] = path
            if key in stored and stored[key] != file_name_of(path):
                other = stored[key] or "an issue not imported from a file"
                collisions.append(Collision(path, label, other))
        return collisions

    def report_dates(self, dated, parsed):
        undated = sum(1 for _, doc in parsed if doc.date is None)
        parts = [f"{dated['file']} from the files"]
        if dated["dates"]:
            parts.append(f"{dated['dates']} from --dates")
        if dated["git"]:
            parts.append(f"{dated['git']} from git")
        parts.append(f"{undated} undated")
        self.stdout.write("Dates: " + ", ".join(parts))

    def report_collisions(self, collisions, on_conflict, verbosity):
        if not collisions:
            return
        done = {"update": "updated", "skip": "skipped"}[on_conflict]
        numbers = [int(c.label[1:]) for c in collisions if c.label.startswith("#")]
        specials = [c.label for c in collisions if not c.label.startswith("#")]
        listed = ", ".join(filter(None, [number_ranges(numbers), ", ".join(specials)]))
        self.stdout.write(
            self.style.WARNING(
                f"{len(collisions)} {'issue' if len(collisions) == 1 else 'issues'} already "
                f"taken by other sources ({done}): {listed}"
            )
        )
        if verbosity >= 2:
            for collision in collisions:
                self.stdout.write(f"  {collision}")

    def load(self, path, doc, publish, dry_run, undated_at):
        try:
            with transaction.atomic():
                result = load_issue(
                    doc, publish=publish, source=file_name_of(path), undated_at=undated_at
                )
                if dry_run:
                    raise DryRun
        except DryRun:
            pass
        return result


def issue_address(doc):
    """Where an issue being imported will be, for links to it from its siblings."""
    if doc.number is not None:
        return reverse("archive:issue", args=[doc.number])
    return reverse("archive:special", args=[doc.slug])
