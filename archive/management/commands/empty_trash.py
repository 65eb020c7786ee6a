"""manage.py empty_trash [--days N]: delete what has been in the trash longer than
TRASH_DAYS (30), with the history of the issues it held."""

from django.conf import settings
from django.core.management.base import BaseCommand

from archive.history import trash


class Command(BaseCommand):
    help = "Delete what has been in the trash longer than TRASH_DAYS."

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=settings.TRASH_DAYS)

    def handle(self, *args, days, **options):
        count = trash.empty(days)
        self.stdout.write(f"{count} items older than {days} days removed from the trash.")
