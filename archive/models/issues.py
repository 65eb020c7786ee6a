"""Issues and their sections, and who may see an issue before it is published."""

import datetime

from django.conf import settings
from django.db import models
from django.db.models import F, Q, Value
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from ..issuemd import default_title
from ..publishing.markup import render_markdown
from .fields import HttpURLField, http_only, refuse_unsafe_url
from .taxonomy import Category

# Orders that put numbered issues before specials and dated before undated, spelled without
# NULLS LAST so that SQLite can index them as PostgreSQL does (it takes NULLS LAST in a query,
# not in an index).
NO_NUMBER = -1
NO_DATE = datetime.date(1, 1, 1)


def newest_number(prefix=""):
    return Coalesce(f"{prefix}number", NO_NUMBER).desc()


def newest_date(prefix=""):
    return Coalesce(f"{prefix}date", Value(NO_DATE)).desc()


# Who may see what is not yet published (drafts, scheduled issues and their links): whoever
# may view issues in the admin (the editors group, superusers). Being staff is not enough.
PREVIEW_PERMISSION = "archive.view_issue"


def may_preview(user):
    """Whether ``user`` sees unpublished issues and their links. The one place that decides
    it: pages, the page cache, the API and the admin's helpers all ask here."""
    return bool(
        user is not None and getattr(user, "is_active", False) and user.has_perm(PREVIEW_PERMISSION)
    )


class IssueQuerySet(models.QuerySet):
    def published(self, now=None):
        return self.filter(published_at__lte=now or timezone.now())

    def visible_to(self, user):
        """Readers see published issues; editors (may_preview) also drafts and scheduled."""
        return self if may_preview(user) else self.published()


class Issue(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SCHEDULED = "scheduled", _("Scheduled")
        PUBLISHED = "published", _("Published")

    number = models.PositiveIntegerField(
        _("number"), null=True, blank=True, help_text=_("Empty for a special issue.")
    )
    slug = models.SlugField(
        _("slug"),
        max_length=100,
        blank=True,
        allow_unicode=True,
        help_text=_("A special issue's address, /specials/<slug>/. Numbered issues need none."),
    )
    title = models.CharField(
        _("title"), max_length=300, blank=True, help_text=_("Left empty: “2022年03月11日第三期”.")
    )
    date = models.DateField(_("issue date"), null=True, blank=True)
    lede_heading = models.CharField(_("lede heading"), max_length=300, blank=True)
    lede = models.TextField(_("lede"), blank=True, help_text=_("Markdown."))
    lede_html = models.TextField(editable=False, blank=True)
    published_at = models.DateTimeField(
        _("publish at"),
        null=True,
        blank=True,
        help_text=_("Empty: a draft. In the future: scheduled. Readers see it from then on."),
    )
    send_on_publish = models.BooleanField(
        _("email it to subscribers when it goes live"),
        default=False,
        help_text=_("A scheduled issue is sent at its time; a published one when saved."),
    )
    description = models.CharField(
        _("description"),
        max_length=500,
        blank=True,
        help_text=_("A sentence for search engines and link previews. Empty: the lede's start."),
    )
    image = HttpURLField(
        _("sharing image"),
        max_length=2000,
        blank=True,
        help_text=_("The picture shown where the issue is shared (an https address)."),
    )
    # What an imported file said that has no field of its own, written back on export: its
    # front matter as written (an author, a layout…), its reference-style link definitions
    # (``[1]: https://…``, which the lede, notes and annotations may use), and whether it had
    # an H1 for its title.
    front_matter = models.TextField(editable=False, blank=True)
    references = models.TextField(editable=False, blank=True)
    title_heading = models.BooleanField(default=True, editable=False)
    link_count = models.PositiveIntegerField(default=0, editable=False)  # publishing.tallies
    tallied = models.BooleanField(default=False, editable=False)  # in the tallies as public
    source = models.CharField(
        _("source file"),
        max_length=255,
        blank=True,
        editable=False,
        help_text=_("The Markdown file this issue was last imported from."),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = IssueQuerySet.as_manager()

    class Meta:
        verbose_name = _("issue")
        verbose_name_plural = _("issues")
        ordering = [newest_number(), newest_date(), "-id"]
        constraints = [
            models.UniqueConstraint(fields=["number"], name="issue_unique_number"),
            models.UniqueConstraint(
                fields=["slug"], condition=~Q(slug=""), name="issue_unique_special_slug"
            ),
            models.CheckConstraint(
                condition=Q(number__isnull=False) | ~Q(slug=""), name="issue_number_or_slug"
            ),
            models.CheckConstraint(condition=http_only("image"), name="issue_image_http"),
        ]
        indexes = [
            # Home page and /issues/: published issues, newest first.
            models.Index(fields=["published_at", "number"], name="issue_published_idx"),
            # The newest issue, and lists of links newest issue first (newest_first).
            models.Index(
                newest_number(), newest_date(), F("id").desc(), name="issue_newest_first_idx"
            ),
            # /issues/: by date, newest first, undated last.
            models.Index(newest_date(), newest_number(), name="issue_by_date_idx"),
            # archive.publishing.tallies.reconcile: issues whose tallies lag their publication.
            models.Index(fields=["tallied", "published_at"], name="issue_tallied_idx"),
        ]

    def __str__(self):
        return self.display_title

    def save(self, *args, **kwargs):
        self.image = self.image.strip()
        refuse_unsafe_url(self.image, "image")
        self.lede_html = render_markdown(self.lede, self.references)
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        if self.number is None:
            return reverse("archive:special", args=[self.slug])
        return reverse("archive:issue", args=[self.number])

    @property
    def display_title(self):
        """Its own title; without one, the newsletter's own heading in Chinese
        (“2022年03月11日第三期”) and its label in other languages (“Issue 3”)."""
        if self.title:
            return self.title
        if self.number is None:
            return self.slug
        if (translation.get_language() or settings.LANGUAGE_CODE).startswith("zh"):
            return default_title(self.number, self.date)
        return self.label

    @property
    def label(self):
        """How readers refer to it: 第 3 期 / Issue 3, or 特刊 / Special issue."""
        if self.number is None:
            return gettext("Special issue")
        return gettext("Issue %(number)s") % {"number": self.number}

    @property
    def status(self):
        if self.published_at is None:
            return self.Status.DRAFT
        if self.published_at > timezone.now():
            return self.Status.SCHEDULED
        return self.Status.PUBLISHED

    @property
    def is_public(self):
        return self.status == self.Status.PUBLISHED

    @property
    def display_date(self):
        """The issue's own date. An imported issue without one shows none: its publish time
        is when it was imported, not when it came out."""
        return self.date


class Section(models.Model):
    issue = models.ForeignKey(
        Issue, on_delete=models.CASCADE, related_name="sections", verbose_name=_("issue")
    )
    category = models.ForeignKey(
        Category, on_delete=models.PROTECT, related_name="sections", verbose_name=_("category")
    )
    position = models.PositiveIntegerField(_("position"), default=0)
    heading_url = HttpURLField(
        _("heading link"), max_length=2000, blank=True, help_text=_("Where the heading links to.")
    )
    note = models.TextField(_("note"), blank=True, help_text=_("Markdown, shown above the links."))
    note_html = models.TextField(editable=False, blank=True)
    # Links written before any heading of the imported file: shown, and exported, without
    # a heading (their category is the archive's "Uncategorized").
    untitled = models.BooleanField(
        _("without a heading"),
        default=False,
        help_text=_("Shown as the issue's opening links, with no section heading."),
    )
    heading_level = models.PositiveSmallIntegerField(default=2, editable=False)  # 1: a later H1

    class Meta:
        verbose_name = _("section")
        verbose_name_plural = _("sections")
        ordering = ["issue", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["issue", "position"], name="section_unique_position_in_issue"
            ),
            models.CheckConstraint(
                condition=http_only("heading_url"), name="section_heading_url_http"
            ),
        ]

    def __str__(self):
        return f"{self.category} · {self.issue}"

    def save(self, *args, **kwargs):
        self.heading_url = self.heading_url.strip()
        refuse_unsafe_url(self.heading_url, "heading_url")
        self.note_html = render_markdown(self.note, self.issue.references if self.note else "")
        super().save(*args, **kwargs)
