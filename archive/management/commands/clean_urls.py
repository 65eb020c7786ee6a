from collections import Counter

from django.core.management.base import BaseCommand
from django.db import transaction

from archive.ingest.urlnorm import clean_url, normalize_url, tracking_parameters
from archive.models import Link
from archive.publishing import tallies
from archive.search import index as search_index

BATCH = 1000


class Command(BaseCommand):
    help = (
        "Remove tracking parameters (utm_*, fbclid, WeChat's chksm, …) from the stored URLs of "
        "the whole archive and report what changed. What was written stays for export."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="report only")
        parser.add_argument("--examples", type=int, default=5, help="changed URLs to show")

    def handle(self, *args, dry_run, examples, verbosity, **options):
        removed, examples_shown, changed = Counter(), [], []
        rows = Link.objects.exclude(url="").only("pk", "url", "written_url", "normalized_url")
        for link in rows.order_by("pk").iterator(chunk_size=BATCH):
            cleaned = clean_url(link.url)
            if cleaned == link.url:
                continue
            removed.update(name.lower() for name in tracking_parameters(link.url))
            if len(examples_shown) < examples:
                examples_shown.append((link.url, cleaned))
            link.written_url = link.written_url or link.url
            link.url = cleaned
            link.normalized_url = normalize_url(cleaned)
            changed.append(link)
        if changed and not dry_run:
            with transaction.atomic():
                Link.objects.bulk_update(
                    changed, ["url", "written_url", "normalized_url"], batch_size=BATCH
                )
                search_index.refresh(link.pk for link in changed)
                tallies.changed()
        for before, after in examples_shown:
            self.stdout.write(f"  {before}\n  → {after}")
        counts = ", ".join(f"{name} {n}" for name, n in removed.most_common())
        verb = "would clean" if dry_run else "cleaned"
        self.stdout.write(
            self.style.SUCCESS(
                f"{'Dry run: ' if dry_run else ''}{verb} {len(changed)} of "
                f"{rows.count()} URLs" + (f" (removed: {counts})" if counts else "")
            )
        )
