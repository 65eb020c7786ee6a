"""Which links a run checks, and claiming them: least recently checked first, each leased to
one process (``SELECT … FOR UPDATE SKIP LOCKED``), so several checkers never visit a link
twice."""

from __future__ import annotations

import datetime

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from ..models import Link, LinkHealth, checked_order

BATCH = 200
LEASE = datetime.timedelta(minutes=30)


def ensure_rows():
    """A LinkHealth row for every link with an address (made unchecked)."""
    missing = Link.objects.exclude(url="").filter(health__isnull=True).values_list("pk", flat=True)
    while True:
        chunk = list(missing[:5000])
        if not chunk:
            return
        LinkHealth.objects.bulk_create(
            [LinkHealth(link_id=pk) for pk in chunk], ignore_conflicts=True
        )


def due(checked_before, domain=None):
    """The links a run may check: with an address, never checked or last checked before
    ``checked_before``, and to ``domain`` when one is given."""
    found = LinkHealth.objects.filter(
        Q(checked_at__isnull=True) | Q(checked_at__lt=checked_before)
    ).exclude(link__url="")
    return found.filter(link__domain=domain) if domain else found


def claim(size, checked_before, domain=None, now=None):
    """Link ids to check (``due``), least recently checked first, leased to this process:
    rows that another process holds are skipped, not waited for."""
    now = now or timezone.now()
    with transaction.atomic():
        ids = list(
            due(checked_before, domain)
            .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
            .order_by(checked_order(), "link_id")
            .select_for_update(skip_locked=True, of=("self",))
            .values_list("link_id", flat=True)[:size]
        )
        LinkHealth.objects.filter(link_id__in=ids).update(claimed_until=now + LEASE)
    return ids


def release(ids):
    LinkHealth.objects.filter(link_id__in=ids).update(claimed_until=None)
