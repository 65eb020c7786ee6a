import time

from django.core.management.base import BaseCommand
from django.db import connection

from archive.search.index import refresh_all


def index_size():
    """The search index's size on disk in bytes, where the database can tell."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT pg_total_relation_size('archive_searchentry')")
            return cursor.fetchone()[0]
        try:
            cursor.execute("SELECT sum(pgsize) FROM dbstat WHERE name LIKE 'archive_searchentry%'")
        except Exception:  # SQLite built without the dbstat table
            return None
        return cursor.fetchone()[0]


class Command(BaseCommand):
    help = "Rebuild the search index of every link (after a bulk change made outside the app)."

    def handle(self, *args, **options):
        started = time.monotonic()

        def progress(done, total):
            if options["verbosity"] >= 2:
                self.stdout.write(f"{done}/{total} links, {time.monotonic() - started:.0f}s")

        count = refresh_all(progress)
        size = index_size()
        shown = f", index {size / 1e6:.1f} MB" if size else ""
        self.stdout.write(
            self.style.SUCCESS(f"{count} links indexed in {time.monotonic() - started:.1f}s{shown}")
        )
