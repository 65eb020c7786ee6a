from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from archive.ingest.exporting import export_file_name
from archive.ingest.loading import issue_to_doc
from archive.issuemd import render_issue
from archive.models import Issue


class Command(BaseCommand):
    help = (
        "Write issues as Markdown in the newsletter's format, one file per issue "
        "(all issues, or the numbers given). Importing the files gives the same issues back."
    )

    def add_arguments(self, parser):
        parser.add_argument("numbers", nargs="*", type=int, metavar="NUMBER")
        parser.add_argument("--out", required=True, help="folder to write into (created)")

    def handle(self, *args, numbers, out, **options):
        issues = Issue.objects.order_by("number")
        if numbers:
            issues = issues.filter(number__in=numbers)
            missing = sorted(set(numbers) - set(issues.values_list("number", flat=True)))
            if missing:
                raise CommandError(f"No issue numbered {', '.join(map(str, missing))}.")
        folder = Path(out)
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise CommandError(f"{out}: {error.strerror}") from None
        count = 0
        for issue in issues.iterator():
            path = folder / export_file_name(issue)
            path.write_text(render_issue(issue_to_doc(issue)), encoding="utf-8")
            count += 1
        self.stdout.write(self.style.SUCCESS(f"{count} issues written to {folder}"))
