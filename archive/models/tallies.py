"""Counts kept on write, and the archive's version (archive.publishing.tallies keeps them)."""

from django.db import models
from django.db.models import F
from django.utils import timezone

from .issues import Issue


class Tally(models.Model):
    """How many published links a category, tag, domain or year holds, and how many published
    issues there are (in all and per year). Pages read these instead of counting links;
    archive.publishing.tallies keeps them as the sum of the issues' IssueTally rows."""

    class Kind(models.TextChoices):
        CATEGORY = "category"  # key: category id
        TAG = "tag"  # key: tag id
        DOMAIN = "domain"  # key: the domain
        YEAR = "year"  # key: the year of the issue's date
        YEAR_CATEGORY = "year-category"  # key: "2024:<category id>"
        ISSUES = "issues"  # published issues; key "" for all, or a year
        LINKS = "links"  # published links; key ""
        DISTINCT = "distinct"  # how many tallies of a kind there are; key: the kind

    kind = models.CharField(max_length=16, choices=Kind.choices)
    key = models.CharField(max_length=255)
    count = models.PositiveIntegerField()

    class Meta:
        ordering = ["kind", "-count", "key"]
        constraints = [models.UniqueConstraint(fields=["kind", "key"], name="tally_unique_key")]
        indexes = [
            # /tags/: the most used tags first, a page at a time.
            models.Index(F("kind"), F("count").desc(), F("key"), name="tally_ranked_idx"),
        ]

    def __str__(self):
        return f"{self.kind} {self.key}: {self.count}"


class IssueTally(models.Model):
    """What one public issue adds to a Tally; none for a draft or a scheduled issue."""

    issue = models.ForeignKey(Issue, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=16, choices=Tally.Kind.choices)
    key = models.CharField(max_length=255)
    count = models.PositiveIntegerField()

    class Meta:
        ordering = ["issue", "kind", "key"]
        constraints = [
            models.UniqueConstraint(
                fields=["issue", "kind", "key"], name="issuetally_unique_key_per_issue"
            )
        ]
        indexes = [
            # Summing a tally over the issues that add to it.
            models.Index(fields=["kind", "key"], name="issuetally_key_idx"),
        ]

    def __str__(self):
        return f"issue {self.issue_id} adds {self.count} to {self.kind} {self.key}"


class ArchiveState(models.Model):
    """One row: the archive's version, bumped by every change readers could see, and the
    next moment a scheduled issue goes live. Page caches are keyed on the version."""

    version = models.PositiveBigIntegerField(default=1)
    changed_at = models.DateTimeField(default=timezone.now)
    next_go_live = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["pk"]

    def __str__(self):
        return f"archive version {self.version}"
