import time

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from archive.issuemd import ParseError
from archive.issuemd.parse import ENTRY_STYLES
from archive.loading import load_issue
from archive.sources import markdown_files, read_issue


class DryRun(Exception):
    """Raised inside the transaction to roll a dry run back."""


class Progress:
    """A bar on a terminal; a plain line every tenth of the way otherwise."""

    def __init__(self, stream, total, enabled):
        self.stream, self.total, self.enabled = stream, total, enabled
        self.tty = enabled and stream.isatty()
        self.step = max(total // 10, 1)

    def update(self, done, label):
        if not self.enabled:
            return
        if self.tty:
            width = 30
            filled = width * done // self.total
            bar = "#" * filled + "-" * (width - filled)
            self.stream.write(f"\r[{bar}] {done}/{self.total} {label[-40:]:<40}", ending="")
            self.stream.flush()
        elif done % self.step == 0 or done == self.total:
            self.stream.write(f"{done}/{self.total} files")

    def finish(self):
        if self.tty:
            self.stream.write("")


class Command(BaseCommand):
    help = (
        "Import newsletter issues written in Markdown: files, or folders searched recursively. "
        "Each file is one issue, imported in one transaction and matched by issue number: "
        "re-importing changes nothing, an edited file updates its issue in place."
    )

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", metavar="PATH", help="files or folders")
        parser.add_argument("--dry-run", action="store_true", help="parse and report only")
        parser.add_argument(
            "--publish",
            action="store_true",
            help="publish imported issues (at their own date, or now when they have none)",
        )
        parser.add_argument(
            "--format",
            choices=ENTRY_STYLES,
            default="auto",
            help="how entries are written: link headings, numbered paragraphs or list items "
            "(default: detected in each file)",
        )

    def handle(self, *args, paths, dry_run, publish, format, **options):
        started = time.monotonic()
        verbosity = options["verbosity"]
        try:
            files, translations = markdown_files(paths)
        except FileNotFoundError as error:
            raise CommandError(str(error)) from None
        if not files:
            raise CommandError("No Markdown files found in " + ", ".join(paths))
        outcomes = {"created": 0, "updated": 0, "unchanged": 0}
        sections = links = 0
        warnings, failures = [], []
        progress = Progress(self.stdout, len(files), enabled=verbosity >= 1)
        for done, path in enumerate(files, start=1):
            try:
                result, doc = self.import_file(path, publish, dry_run, format)
            except ParseError as error:
                failures.append(str(error))
                if progress.tty:
                    progress.finish()
                self.stderr.write(self.style.ERROR(str(error)))
            else:
                outcomes[result.outcome] += 1
                sections += result.sections
                links += result.links
                warnings += doc.warnings
                if verbosity >= 2:
                    self.stdout.write(f"{path}: {result.issue.label} {result.outcome}")
            progress.update(done, path.name)
        progress.finish()
        for warning in warnings:
            self.stderr.write(self.style.WARNING(f"warning: {warning}"))

        elapsed = time.monotonic() - started
        parts = [
            f"{len(files)} files",
            f"{outcomes['created']} created",
            f"{outcomes['updated']} updated",
            f"{outcomes['unchanged']} unchanged",
            f"{sections} sections",
            f"{links} links",
            f"{len(warnings)} warnings",
            f"{len(failures)} failed",
        ]
        if translations:
            folders = sorted({str(path.parent) for path in translations})
            parts.append(f"{len(translations)} translations left out ({', '.join(folders)})")
        summary = ("Dry run: " if dry_run else "") + ", ".join(parts) + f", {elapsed:.1f}s"
        if failures:
            raise CommandError(summary)
        self.stdout.write(self.style.SUCCESS(summary))

    def import_file(self, path, publish, dry_run, style):
        doc = read_issue(path, style)
        try:
            with transaction.atomic():
                result = load_issue(doc, publish=publish)
                if dry_run:
                    raise DryRun
        except DryRun:
            pass
        return result, doc
