"""Readers who get the newsletter by email, and each issue's delivery to each of them.

A ``Delivery`` is one (issue, subscriber) pair under a unique constraint: whatever sends an
issue, however often, and however many workers run, a subscriber gets each issue once. Its
state is the send's record (archive.mailing.delivery moves it on)."""

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .issues import Issue


class SubscriberQuerySet(models.QuerySet):
    def with_address(self, address):
        return self.filter(address__iexact=address.strip())


class Subscriber(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for confirmation")
        ACTIVE = "active", _("Subscribed")
        UNSUBSCRIBED = "unsubscribed", _("Unsubscribed")
        BOUNCED = "bounced", _("Bounced")
        COMPLAINED = "complained", _("Marked as spam")

    class Source(models.TextChoices):
        FORM = "form", _("Subscribe form")
        IMPORT = "import", _("CSV import")
        ADMIN = "admin", _("Added by an editor")

    address = models.EmailField(_("email address"), max_length=254)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.PENDING
    )
    language = models.CharField(
        _("language"),
        max_length=10,
        choices=settings.LANGUAGES,
        default=settings.LANGUAGE_CODE,
        help_text=_("The language of the emails' interface."),
    )
    source = models.CharField(_("source"), max_length=20, choices=Source.choices)
    subscribed_at = models.DateTimeField(_("subscribed"), default=timezone.now)
    confirmed_at = models.DateTimeField(_("confirmed"), null=True, blank=True)
    left_at = models.DateTimeField(_("left"), null=True, blank=True)
    hard_bounces = models.PositiveSmallIntegerField(_("hard bounces"), default=0)

    objects = SubscriberQuerySet.as_manager()

    class Meta:
        verbose_name = _("subscriber")
        verbose_name_plural = _("subscribers")
        ordering = ["-subscribed_at", "-id"]
        constraints = [
            models.UniqueConstraint(Lower("address"), name="subscriber_unique_address"),
        ]
        indexes = [models.Index(fields=["status", "id"], name="subscriber_status_idx")]

    def __str__(self):
        return self.address


class Mailing(models.Model):
    """One “send to subscribers” of an issue: who asked, when, and its deliveries."""

    issue = models.ForeignKey(
        Issue, on_delete=models.CASCADE, related_name="mailings", verbose_name=_("issue")
    )
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    automatic = models.BooleanField(default=False)  # sent by itself when the issue went live
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("mailing")
        verbose_name_plural = _("mailings")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.issue} · {self.created_at:%Y-%m-%d %H:%M}"


class Delivery(models.Model):
    class State(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        BOUNCED = "bounced", _("Bounced")
        SKIPPED = "skipped", _("Skipped (left before it was sent)")

    mailing = models.ForeignKey(Mailing, on_delete=models.CASCADE, related_name="deliveries")
    issue = models.ForeignKey(Issue, on_delete=models.CASCADE, related_name="deliveries")
    # Forgetting a subscriber keeps the count of what was sent, not who to.
    subscriber = models.ForeignKey(
        Subscriber, null=True, on_delete=models.SET_NULL, related_name="deliveries"
    )
    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    not_before = models.DateTimeField(null=True, blank=True)  # a retry's earliest time
    claimed_by = models.CharField(max_length=64, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        constraints = [
            models.UniqueConstraint(fields=["issue", "subscriber"], name="delivery_once"),
        ]
        indexes = [
            models.Index(fields=["mailing", "state"], name="delivery_mailing_state_idx"),
        ]

    def __str__(self):
        return f"{self.issue_id} → {self.subscriber_id}: {self.state}"
