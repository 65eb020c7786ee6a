from collections import defaultdict
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from archive.ingest.exporting import check_issue
from archive.ingest.sources import markdown_files, read_issue
from archive.issuemd import ParseError
from archive.models import Issue


class Command(BaseCommand):
    help = (
        "Check imported Markdown files against the database: the recall of their http(s) "
        "URLs (each must be a link's URL or stand in the stored Markdown), the recall of their "
        "entries as links (list items, headings, labelled URLs, bold titles and paragraphs "
        "that open with a link, inline or reference-style, as found line by line), and that "
        "exporting each issue and importing it again gives the same issue."
    )

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", metavar="PATH")
        parser.add_argument("--show", type=int, default=10, help="missing URLs to list")

    def handle(self, *args, paths, show, **options):
        try:
            files, _translations = markdown_files(paths)
        except FileNotFoundError as error:
            raise CommandError(str(error)) from None
        issues = {issue.number or issue.slug: issue for issue in Issue.objects.all()}
        totals = defaultdict(
            lambda: {
                "files": 0,
                "urls": 0,
                "missing": 0,
                "different": 0,
                "absent": 0,
                "entries": 0,
                "unlinked": 0,
            }
        )
        missing, different, unlinked = [], [], []
        for path in files:
            folder = totals[str(next((Path(p) for p in paths if _within(path, p)), path.parent))]
            folder["files"] += 1
            try:
                doc = read_issue(path)
            except ParseError:
                folder["absent"] += 1
                continue
            issue = issues.get(doc.number or doc.slug)
            if issue is None:
                folder["absent"] += 1
                continue
            result = check_issue(path.read_text(encoding="utf-8"), issue)
            folder["urls"] += result.urls
            folder["missing"] += len(result.missing)
            missing += [f"{path}: {url}" for url in result.missing]
            folder["entries"] += result.entries
            folder["unlinked"] += len(result.unlinked)
            unlinked += [f"{path}: entry not a link: {url}" for url in result.unlinked]
            if not result.round_trip:
                folder["different"] += 1
                different.append(f"{path}: {issue.label} {issue.display_title}")
        for name, row in totals.items():
            recall = 1 - row["missing"] / row["urls"] if row["urls"] else 1.0
            linked = 1 - row["unlinked"] / row["entries"] if row["entries"] else 1.0
            self.stdout.write(
                f"{name}: {row['files']} files, {row['absent']} not imported, "
                f"URL recall {recall:.4f} ({row['urls'] - row['missing']}/{row['urls']}), "
                f"entry recall {linked:.4f} ({row['entries'] - row['unlinked']}/{row['entries']}"
                " entries are links), "
                f"export → re-import identical {row['files'] - row['absent'] - row['different']}"
                f"/{row['files'] - row['absent']}"
            )
        for line in missing[:show] + different[:show] + unlinked[:show]:
            self.stdout.write(f"  {line}")
        if missing or different:
            raise CommandError(f"{len(missing)} URLs missing, {len(different)} issues differ")


def _within(path, root):
    try:
        path.relative_to(root)
    except ValueError:
        return False
    return True
