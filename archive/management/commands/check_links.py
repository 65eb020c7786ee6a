import datetime

from django.core.management.base import BaseCommand, CommandError

from archive.linkhealth.checker import BATCH, Checker
from archive.management.progress import Progress


class Command(BaseCommand):
    help = (
        "Check links, least recently checked first: record their status, tell gone links "
        "from a bad day, and find archived copies of the gone ones. Several processes may run "
        "at once on PostgreSQL (each claims its own links); on SQLite, one at a time."
    )

    def add_arguments(self, parser):
        parser.add_argument("--limit", type=int, help="check at most this many links")
        parser.add_argument(
            "--older-than", type=float, metavar="DAYS", help="only links not checked for so long"
        )
        parser.add_argument("--domain", help="only links to this domain")
        parser.add_argument("--progress", action="store_true", help="show a progress bar")
        parser.add_argument(
            "--seconds", type=int, default=3600, help="stop after this long (default an hour)"
        )
        parser.add_argument("--concurrency", type=int, help="requests at once, overall")
        parser.add_argument(
            "--batch",
            type=int,
            default=BATCH,
            help=f"links claimed at a time (default {BATCH}); smaller shares work more evenly "
            "between processes",
        )
        parser.add_argument(
            "--no-politeness",
            action="store_true",
            help="no per-host limit or delay (for your own servers only)",
        )

    def handle(self, *args, limit, older_than, domain, progress, seconds, **options):
        if limit is not None and limit < 1:
            raise CommandError("--limit must be at least 1.")
        if options["batch"] < 1 or (options["concurrency"] or 1) < 1:
            raise CommandError("--batch and --concurrency must be at least 1.")
        older = datetime.timedelta(days=older_than) if older_than is not None else None
        bars = []

        def show(done, total):
            if not bars:
                bars.append(Progress(self.stdout, total, enabled=True, unit="links"))
            bars[0].update(done, "")

        checker = Checker(
            concurrency=options["concurrency"],
            polite=not options["no_politeness"],
            older_than=older,
            domain=domain.lower() if domain else None,
            seconds=seconds,
            batch=options["batch"],
            progress=show if progress else None,
        )
        summary = checker.run(limit)
        for bar in bars:
            bar.finish()
        self.stdout.write(self.style.SUCCESS(summary.line()))
