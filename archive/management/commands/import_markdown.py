import re
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from archive.issuemd import ParseError, parse_issue
from archive.loading import load_issue

MARKDOWN_SUFFIXES = {".md", ".markdown"}
SKIPPED_NAMES = {"source.md", "readme.md", "index.md"}
_NUMBER_IN_NAME = re.compile(r"(?:issue|weekly|vol|no)[-_ .]?(\d+)$|^#?(\d+)$", re.IGNORECASE)


class DryRun(Exception):
    """Raised inside the transaction to roll a dry run back."""


def markdown_files(paths):
    """Files named on the command line, and Markdown files found below named folders."""
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            for found in sorted(path.rglob("*")):
                if (
                    found.is_file()
                    and found.suffix.lower() in MARKDOWN_SUFFIXES
                    and found.name.lower() not in SKIPPED_NAMES
                    and "_meta" not in found.relative_to(path).parts
                ):
                    yield found
        elif path.is_file():
            yield path
        else:
            raise CommandError(f"{raw}: no such file or folder")


def number_from_name(path):
    match = _NUMBER_IN_NAME.search(path.stem)
    if match:
        return int(match.group(1) or match.group(2))
    return None


class Command(BaseCommand):
    help = (
        "Import newsletter issues written in Markdown. Each file is one issue, imported in one "
        "transaction and matched by issue number: re-importing changes nothing, an edited file "
        "updates its issue in place."
    )

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", metavar="PATH", help="files or folders")
        parser.add_argument(
            "--dry-run", action="store_true", help="parse and report, write nothing"
        )
        parser.add_argument(
            "--publish",
            action="store_true",
            help="publish imported issues (at their own date, or now when they have none)",
        )

    def handle(self, *args, paths, dry_run, publish, **options):
        started = time.monotonic()
        files = list(markdown_files(paths))
        if not files:
            raise CommandError("No Markdown files found in " + ", ".join(paths))
        outcomes = {"created": 0, "updated": 0, "unchanged": 0}
        sections = links = 0
        failures = []
        for path in files:
            try:
                result = self.import_file(path, publish=publish, dry_run=dry_run)
            except ParseError as error:
                failures.append(str(error))
                self.stderr.write(self.style.ERROR(str(error)))
                continue
            outcomes[result.outcome] += 1
            sections += result.sections
            links += result.links
            if options["verbosity"] >= 2:
                self.stdout.write(f"{path}: issue {result.issue.number} {result.outcome}")

        elapsed = time.monotonic() - started
        summary = (
            f"{'Dry run: ' if dry_run else ''}{len(files)} files, "
            f"{outcomes['created']} created, {outcomes['updated']} updated, "
            f"{outcomes['unchanged']} unchanged, {sections} sections, {links} links, "
            f"{len(failures)} failed, {elapsed:.1f}s"
        )
        if failures:
            raise CommandError(summary)
        self.stdout.write(self.style.SUCCESS(summary))

    def import_file(self, path, *, publish, dry_run):
        data = path.read_bytes()
        if b"\x00" in data:
            raise ParseError("binary data, not a Markdown text", line=1, source=str(path))
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as error:
            raise ParseError(
                f"not UTF-8 text (byte {error.start})", line=1, source=str(path)
            ) from None
        doc = parse_issue(text, source=str(path), number=number_from_name(path))
        try:
            with transaction.atomic():
                result = load_issue(doc, publish=publish)
                if dry_run:
                    raise DryRun
        except DryRun:
            pass
        return result
