"""What the link checker found of each link (archive.linkhealth)."""

import datetime

from django.db import models
from django.db.models import F, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from .links import Link

NEVER_CHECKED = datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC)


def checked_order():
    """Least recently checked first, never checked before all, without NULLS FIRST (which
    SQLite cannot index)."""
    return Coalesce("checked_at", Value(NEVER_CHECKED)).asc()


class LinkHealth(models.Model):
    """What the link checker last found of a link (archive.linkhealth.checker). A link never checked
    has none, and shows nothing."""

    class Verdict(models.TextChoices):
        OK = "ok", _("fine")
        REDIRECTED = "redirected", _("redirected")
        GONE = "gone", _("gone")
        UNKNOWN = "unknown", _("unknown")
        REFUSED = "refused", _("not checked (not a public address)")

    link = models.OneToOneField(
        Link, on_delete=models.CASCADE, primary_key=True, related_name="health"
    )
    checked_at = models.DateTimeField(_("last checked"), null=True, blank=True)
    # The address those checks were of: a verdict on an address since replaced says nothing.
    checked_url = models.CharField(max_length=2000, blank=True, editable=False)
    status = models.PositiveSmallIntegerField(_("HTTP status"), null=True, blank=True)
    error = models.CharField(_("error"), max_length=300, blank=True)
    final_url = models.CharField(_("address after redirects"), max_length=2000, blank=True)
    verdict = models.CharField(_("verdict"), max_length=12, choices=Verdict.choices, blank=True)
    failures = models.PositiveIntegerField(_("failed checks in a row"), default=0)
    failing_since = models.DateTimeField(_("failing since"), null=True, blank=True)
    archived_url = models.CharField(_("archived copy"), max_length=2000, blank=True)
    claimed_until = models.DateTimeField(null=True, blank=True, editable=False)

    # What a check finds (and the admin shows but does not edit).
    FOUND = [
        "checked_at",
        "status",
        "error",
        "final_url",
        "verdict",
        "failures",
        "failing_since",
    ]

    class Meta:
        verbose_name = _("link health")
        verbose_name_plural = _("link health")
        ordering = ["-failures", "checked_at"]
        indexes = [
            # check_links: the links least recently checked first.
            models.Index(checked_order(), "link", name="linkhealth_due_idx"),
            # The admin's list of gone and redirected links.
            models.Index(fields=["verdict"], name="linkhealth_verdict_idx"),
        ]

    def __str__(self):
        return f"{self.link_id}: {self.verdict or 'unchecked'}"

    def get_absolute_url(self):
        return self.link.get_absolute_url()

    def is_gone(self, url):
        """Whether the link, at its address ``url``, is gone."""
        return self.verdict == self.Verdict.GONE and self.checked_url == url


class LinkCheck(models.Model):
    """One visit of the checker: the link page shows the last few."""

    link = models.ForeignKey(Link, on_delete=models.CASCADE, related_name="checks")
    checked_at = models.DateTimeField(_("checked"))
    status = models.PositiveSmallIntegerField(_("HTTP status"), null=True, blank=True)
    error = models.CharField(_("error"), max_length=300, blank=True)
    final_url = models.CharField(_("address after redirects"), max_length=2000, blank=True)
    verdict = models.CharField(
        _("verdict"), max_length=12, choices=LinkHealth.Verdict.choices, blank=True
    )

    class Meta:
        verbose_name = _("link check")
        verbose_name_plural = _("link checks")
        ordering = ["-checked_at", "-pk"]
        indexes = [
            # The link page: a link's latest checks.
            models.Index(F("link"), F("checked_at").desc(), name="linkcheck_latest_idx"),
        ]

    def __str__(self):
        return f"{self.link_id} at {self.checked_at:%Y-%m-%d %H:%M}: {self.status or self.error}"

    def get_absolute_url(self):
        return self.link.get_absolute_url()
