"""Who gets the newsletter: subscribing with double opt-in, confirming, leaving, and what
bounces and complaints (from SMTP or a provider's webhook, through django-anymail) do."""

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from ..models import Subscriber
from ..views.limits import over_the_limit

CONFIRMATIONS_PER_ADDRESS_HOUR = 3  # a stranger cannot flood someone's inbox with them


def normalized(address):
    """An address as stored: no surrounding space, its domain in lower case (a mailbox's
    local part may be case-sensitive, so it is kept as written)."""
    local, _, domain = address.strip().rpartition("@")
    return f"{local}@{domain.lower()}"


def _may_send_confirmation(address):
    key = f"archive:subscribe:to:{address.lower()}"
    return not over_the_limit(key, CONFIRMATIONS_PER_ADDRESS_HOUR)


def request_subscription(address, language, source=Subscriber.Source.FORM):
    """Someone asked for the newsletter at ``address``. Whatever is known of it, the caller
    answers the same ("check your inbox"): a new or returning address gets a confirmation
    email; one already subscribed, bounced or that marked us as spam gets nothing."""
    from . import tasks

    address = normalized(address)
    with transaction.atomic():
        subscriber = Subscriber.objects.with_address(address).select_for_update().first()
        if subscriber is None:
            try:
                with transaction.atomic():
                    subscriber = Subscriber.objects.create(
                        address=address, language=language, source=source
                    )
            except IntegrityError:  # the same address, a moment ago, in another request
                return
        elif subscriber.status in (Subscriber.Status.PENDING, Subscriber.Status.UNSUBSCRIBED):
            # Coming back needs a new confirmation, as the first time did.
            subscriber.status = Subscriber.Status.PENDING
            subscriber.language = language
            subscriber.save(update_fields=["status", "language"])
        else:
            return
        if _may_send_confirmation(address):
            tasks.send_confirmation.enqueue(subscriber.pk)


def confirm(pk, address):
    """The confirmation link was followed: True when the subscriber is (now) active."""
    subscriber = Subscriber.objects.filter(pk=pk).with_address(address).first()
    if subscriber is None:
        return False
    if subscriber.status == Subscriber.Status.PENDING:
        subscriber.status = Subscriber.Status.ACTIVE
        subscriber.confirmed_at = timezone.now()
        subscriber.left_at = None
        subscriber.save(update_fields=["status", "confirmed_at", "left_at"])
    return subscriber.status == Subscriber.Status.ACTIVE


def leave(pk):
    """Unsubscribe (from a link, a one-click POST or a mailto handled by hand)."""
    return Subscriber.objects.filter(
        pk=pk, status__in=[Subscriber.Status.ACTIVE, Subscriber.Status.PENDING]
    ).update(status=Subscriber.Status.UNSUBSCRIBED, left_at=timezone.now())


def record_hard_bounce(subscribers):
    """A permanent failure for these subscribers (pks): the ``BOUNCES_BEFORE_BOUNCED``-th
    marks them bounced, and nothing is sent to them again."""
    Subscriber.objects.filter(pk__in=subscribers).update(hard_bounces=F("hard_bounces") + 1)
    Subscriber.objects.filter(
        pk__in=subscribers,
        status=Subscriber.Status.ACTIVE,
        hard_bounces__gte=settings.BOUNCES_BEFORE_BOUNCED,
    ).update(status=Subscriber.Status.BOUNCED, left_at=timezone.now())


def record_complaint(address):
    """The reader marked an email as spam: they never get another."""
    Subscriber.objects.with_address(address).exclude(status=Subscriber.Status.COMPLAINED).update(
        status=Subscriber.Status.COMPLAINED, left_at=timezone.now()
    )


def tracking_event(event):
    """A provider's tracking webhook (django-anymail) said what became of a message."""
    if not event.recipient:
        return
    found = list(Subscriber.objects.with_address(event.recipient).values_list("pk", flat=True))
    if event.event_type in ("bounced", "rejected"):
        record_hard_bounce(found)
    elif event.event_type == "complained":
        record_complaint(event.recipient)
    elif event.event_type == "unsubscribed":
        for pk in found:
            leave(pk)
