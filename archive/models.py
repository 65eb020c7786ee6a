import datetime
import hashlib
import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import models
from django.db.models import F, Q, Value
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.text import slugify
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from taggit.managers import TaggableManager
from taggit.models import TaggedItemBase

from .issuemd import default_title
from .issuemd.parse import url_problem
from .markup import render_markdown
from .urlnorm import clean_url, domain_of, normalize_url

http_url_validator = URLValidator(
    schemes=["http", "https"], message=_("Enter an http:// or https:// address.")
)


def http_only(field, blank=True):
    """A database check that ``field`` holds an http(s) address (or nothing, when ``blank``):
    a shell or a bulk write cannot store a javascript: or data: URL either."""
    allowed = Q(**{f"{field}__istartswith": "http://"}) | Q(**{f"{field}__istartswith": "https://"})
    return allowed | Q(**{field: ""}) if blank else allowed


def refuse_unsafe_url(url, field="url"):
    """Raise ValidationError unless ``url`` is empty or an http(s) address with a host: what
    save() checks, so that writing past the forms fails with a clear message."""
    if url and url_problem(url):
        raise ValidationError({field: http_url_validator.message})


class HttpURLField(models.URLField):
    """A URL field that accepts only http(s) and completes a bare domain with https://."""

    default_validators = [http_url_validator]

    def formfield(self, **kwargs):
        return super().formfield(**{"assume_scheme": "https", **kwargs})


def unicode_slug(text, taken=()):
    """A slug that keeps Chinese (``硬件加速``) and stays unique against ``taken``.

    ``C#`` and ``C++`` would both become ``c``; the symbols are spelled out first.
    """
    spelled = text.replace("#", " sharp").replace("++", " plus plus").replace("+", " plus")
    base = slugify(spelled, allow_unicode=True)[:90] or "section"
    slug, counter = base, 2
    while slug in taken:
        slug, counter = f"{base}-{counter}", counter + 1
    return slug


def tag_slug_of_symbols(name):
    """The slug of a tag whose name has no letter or digit to slugify: stable, unique by
    name (names are unique)."""
    return "tag-" + hashlib.sha1(name.encode()).hexdigest()[:10]


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
    link_count = models.PositiveIntegerField(default=0, editable=False)  # archive.tallies
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
            # archive.tallies.reconcile: issues whose tallies lag their publication.
            models.Index(fields=["tallied", "published_at"], name="issue_tallied_idx"),
        ]

    def __str__(self):
        return self.display_title

    def save(self, *args, **kwargs):
        self.lede_html = render_markdown(self.lede)
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


class Category(models.Model):
    name = models.CharField(_("name"), max_length=200, unique=True)
    slug = models.SlugField(_("slug"), max_length=100, unique=True, allow_unicode=True)
    description = models.TextField(_("description"), blank=True)
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["position", "name"]
        verbose_name = _("category")
        verbose_name_plural = _("categories")

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        if not self.slug:
            taken = set(Category.objects.exclude(pk=self.pk).values_list("slug", flat=True))
            self.slug = unicode_slug(self.name, taken)
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("archive:category", args=[self.slug])


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
        self.note_html = render_markdown(self.note)
        super().save(*args, **kwargs)


def link_rank(number, date, issue_id, section_position, position, child_position=None):
    """Where a link stands in the archive, newest first when sorted descending: its issue's
    place (numbered issues by number, before specials by date), then its section's, its
    own, and a similar link's right after its parent. One integer, so that a list of the
    links of a category, a tag or a domain walks an index and stops at its page."""
    if number is not None:
        issue = (1 << 35) | min(number, (1 << 35) - 1)
    else:
        ordinal = date.toordinal() if date else 0
        issue = (ordinal << 15) | (issue_id & 0x7FFF)
    within = (
        min(section_position, 255) << 19
        | min(position, 4095) << 7
        | (0 if child_position is None else 1 << 6 | min(child_position, 63))
    )
    return issue << 27 | ((1 << 27) - 1 - within)


class TaggedLink(TaggedItemBase):
    """Tags through a real foreign key, so a page reads its links' tags in one join."""

    content_object = models.ForeignKey("Link", on_delete=models.CASCADE)
    rank = models.BigIntegerField(default=0, editable=False)  # its link's (archive.tallies)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["content_object", "tag"], name="taggedlink_unique_tag_per_link"
            ),
        ]
        indexes = [
            # /tags/<slug>/: a tag's links, newest first.
            models.Index(F("tag"), F("rank").desc(), name="taggedlink_tag_rank_idx"),
        ]


def tag_names_by_link(link_ids):
    """{link id: [tag names, alphabetical]} in one query, without instantiating taggit models."""
    return {
        link_id: [name for _id, name in tags] for link_id, tags in tags_by_link(link_ids).items()
    }


def tags_by_link(link_ids):
    """{link id: [(tag id, tag name), alphabetical]} in one query."""
    tags = {}
    rows = TaggedLink.objects.filter(content_object_id__in=link_ids).values_list(
        "content_object_id", "tag_id", "tag__name"
    )
    for link_id, tag_id, name in rows.order_by("tag__name"):
        tags.setdefault(link_id, []).append((tag_id, name))
    return tags


class LinkQuerySet(models.QuerySet):
    def published(self, now=None):
        return self.filter(section__issue__published_at__lte=now or timezone.now())

    def visible_to(self, user):
        """Readers see published links; editors (may_preview) also unpublished ones."""
        return self if may_preview(user) else self.published()

    def newest_first(self):
        """Newest issue first, each in its own order (link_rank)."""
        return self.order_by("-rank", "-pk")


class Link(models.Model):
    section = models.ForeignKey(
        Section, on_delete=models.CASCADE, related_name="links", verbose_name=_("section")
    )
    parent = models.ForeignKey(
        "self",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("parent link"),
        help_text=_("Set for a “similar” link shown under another link."),
    )
    position = models.PositiveIntegerField(_("position"), default=0)
    title = models.CharField(_("title"), max_length=1000)
    url = HttpURLField(
        _("URL"),
        max_length=2000,
        blank=True,
        help_text=_(
            "Empty for a text entry: a quote or an announcement without a link. Tracking "
            "parameters (utm_*, fbclid, …) are removed on save."
        ),
    )
    # What was typed or imported, when cleaning changed it: export writes it back.
    written_url = models.CharField(max_length=2000, blank=True, editable=False)
    normalized_url = models.CharField(max_length=2000, editable=False, db_index=True)
    domain = models.CharField(_("domain"), max_length=255, editable=False)
    annotation = models.TextField(_("annotation"), blank=True, help_text=_("Markdown."))
    annotation_html = models.TextField(editable=False, blank=True)
    # Kept by archive.tallies.recount: the section's category, and the link's place in the
    # archive (link_rank), so that lists read an index, newest first, a page at a time.
    category = models.ForeignKey(
        Category, null=True, editable=False, on_delete=models.PROTECT, related_name="+"
    )
    rank = models.BigIntegerField(default=0, editable=False)

    tags = TaggableManager(through=TaggedLink, blank=True)

    objects = LinkQuerySet.as_manager()

    class Meta:
        verbose_name = _("link")
        verbose_name_plural = _("links")
        ordering = ["section", "position"]
        constraints = [
            # Top-level links are ordered within their section, child links under their parent.
            models.UniqueConstraint(
                fields=["section", "position"],
                condition=Q(parent__isnull=True),
                name="link_unique_position_in_section",
            ),
            models.UniqueConstraint(
                fields=["parent", "position"],
                condition=Q(parent__isnull=False),
                name="link_unique_position_under_parent",
            ),
            models.CheckConstraint(condition=http_only("url"), name="link_url_http"),
        ]
        indexes = [
            # /domains/<domain>/: every link from one domain, newest first.
            models.Index(F("domain"), F("rank").desc(), name="link_domain_rank_idx"),
            # /categories/<slug>/: a category's links, newest first.
            models.Index(F("category"), F("rank").desc(), name="link_category_rank_idx"),
        ]

    def __str__(self):
        return self.title

    def save(self, *args, **kwargs):
        self.refresh_derived()
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("archive:link", args=[self.pk])

    def refresh_derived(self):
        """Compute every derived field. save() calls it; bulk writers must call it too."""
        if self.parent_id and self.parent is not None:
            self.section_id = self.parent.section_id
        typed = self.url.strip()
        refuse_unsafe_url(typed)
        self.url = clean_url(typed)
        if self.url != typed:
            self.written_url = typed
        elif self.written_url and clean_url(self.written_url) != self.url:
            self.written_url = ""  # the address was changed since
        self.normalized_url = normalize_url(self.url) if self.url else ""
        self.domain = domain_of(self.url)[:255] if self.url else ""
        self.annotation_html = render_markdown(self.annotation)


class SearchEntry(models.Model):
    """A link as the search index sees it: its tokens per field (archive.search.tokens) and the
    columns search filters on. PostgreSQL adds a weighted tsvector with a GIN index over the
    token columns; SQLite an FTS5 table kept in step by triggers (migration 0002).

    Rows are written by archive.search.index, never by hand."""

    link = models.OneToOneField(
        Link, on_delete=models.CASCADE, primary_key=True, related_name="search_entry"
    )
    issue = models.ForeignKey(Issue, on_delete=models.CASCADE, related_name="+")
    category = models.ForeignKey(Category, on_delete=models.CASCADE, related_name="+")
    issue_number = models.PositiveIntegerField(null=True)  # newest first, without a join
    published_at = models.DateTimeField(null=True)  # the issue's, so search needs no join
    domain = models.CharField(max_length=255, blank=True)
    year = models.PositiveSmallIntegerField(null=True)
    title = models.TextField(blank=True)
    meta = models.TextField(blank=True)  # tags and category
    body = models.TextField(blank=True)  # annotation
    address = models.TextField(blank=True)  # URL and domain

    class Meta:
        indexes = [
            # Filters without a query, and on PostgreSQL the newest link of a domain or a year,
            # where a filtered search starts reading (archive.search.engine).
            models.Index(fields=["domain", "link"], name="searchentry_domain_link_idx"),
            models.Index(fields=["year", "link"], name="searchentry_year_link_idx"),
        ]

    def __str__(self):
        return f"search entry of link {self.link_id}"


class Tally(models.Model):
    """How many published links a category, tag, domain or year holds, and how many published
    issues there are (in all and per year). Pages read these instead of counting links;
    archive.tallies keeps them as the sum of the issues' IssueTally rows."""

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


class TaggedInboxItem(TaggedItemBase):
    content_object = models.ForeignKey("InboxItem", on_delete=models.CASCADE)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["content_object", "tag"], name="taggedinboxitem_unique_tag_per_item"
            ),
        ]


class InboxItemQuerySet(models.QuerySet):
    def waiting(self):
        return self.filter(status=InboxItem.Status.NEW)


class InboxItem(models.Model):
    """A link saved for a future issue: collected during the week, triaged in the admin,
    added to a draft issue (it becomes a Link there) or discarded."""

    class Source(models.TextChoices):
        ADMIN = "admin", _("admin")
        BOOKMARKLET = "bookmarklet", _("bookmarklet")
        API = "api", _("API")
        SUGGESTION = "suggestion", _("reader suggestion")
        IMPORT = "import", _("import")

    class Status(models.TextChoices):
        NEW = "new", _("waiting")
        USED = "used", _("added to an issue")
        DISCARDED = "discarded", _("discarded")

    url = HttpURLField(_("URL"), max_length=2000)
    normalized_url = models.CharField(max_length=2000, editable=False, db_index=True)
    title = models.CharField(_("title"), max_length=1000, blank=True)
    note = models.TextField(
        _("note"), blank=True, help_text=_("Markdown; becomes the link's annotation.")
    )
    description = models.TextField(
        _("page description"),
        blank=True,
        help_text=_("What the page says of itself, fetched when it was saved."),
    )
    tags = TaggableManager(through=TaggedInboxItem, blank=True)
    saved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("saved by"),
    )
    source = models.CharField(
        _("from"), max_length=16, choices=Source.choices, default=Source.ADMIN
    )
    suggested_by = models.CharField(
        _("suggested by"), max_length=200, blank=True, help_text=_("A reader's name or address.")
    )
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.NEW
    )
    link = models.ForeignKey(
        Link,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("became"),
    )
    created_at = models.DateTimeField(_("saved at"), auto_now_add=True)

    objects = InboxItemQuerySet.as_manager()

    class Meta:
        verbose_name = _("inbox item")
        verbose_name_plural = _("inbox")
        ordering = ["-created_at", "-pk"]
        indexes = [
            # The inbox list: what waits, newest first.
            models.Index(F("status"), F("created_at").desc(), name="inboxitem_status_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=http_only("url", blank=False), name="inboxitem_url_http"
            ),
        ]

    def __str__(self):
        return self.title or self.url

    def save(self, *args, **kwargs):
        self.url = self.url.strip()
        refuse_unsafe_url(self.url or "-")
        self.url = clean_url(self.url)
        self.normalized_url = normalize_url(self.url)
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("admin:archive_inboxitem_change", args=[self.pk])


class ApiToken(models.Model):
    """A key for scripts, phones and extensions to save to the inbox as an editor
    (``Authorization: Bearer <key>``). Only a hash of the key is stored."""

    PREFIX = "lw_"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="api_tokens",
        verbose_name=_("user"),
    )
    name = models.CharField(_("name"), max_length=100, help_text=_("Where it is used."))
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    hint = models.CharField(_("starts with"), max_length=12, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"{self.name} ({self.hint}…)"

    def get_absolute_url(self):
        return reverse("admin:archive_apitoken_change", args=[self.pk])

    @staticmethod
    def hash(key):
        return hashlib.sha256(key.encode()).hexdigest()

    def issue(self):
        """Give this (unsaved) token a new key; returns the key, shown once."""
        key = self.PREFIX + secrets.token_urlsafe(32)
        self.key_hash = self.hash(key)
        self.hint = key[:10]
        return key

    @classmethod
    def authenticate(cls, key):
        """The live token for ``key``, its use recorded, or None."""
        if not key or not key.startswith(cls.PREFIX):
            return None
        token = (
            cls.objects.select_related("user")
            .filter(key_hash=cls.hash(key), revoked_at=None, user__is_active=True)
            .first()
        )
        if token is not None:
            cls.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
        return token


class BookmarkletKey(models.Model):
    """An editor's bookmarklet key: what tells their click on the bookmarklet from another
    site opening the save address (which also needs the editor's session). The key is the
    editor's id and this row's nonce, signed with SECRET_KEY, so the bookmarklet page can show
    it again; a new nonce (rotate) or no row (revoke) makes the old key worthless at once, and
    it expires ``BOOKMARKLET_KEY_DAYS`` after it was made."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="bookmarklet_key",
        verbose_name=_("user"),
    )
    nonce = models.CharField(max_length=43, editable=False)
    created_at = models.DateTimeField(_("made"))
    expires_at = models.DateTimeField(_("expires"))
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)

    class Meta:
        verbose_name = _("bookmarklet key")
        verbose_name_plural = _("bookmarklet keys")
        ordering = ["user"]

    def __str__(self):
        return f"bookmarklet key of {self.user}"

    def renew(self, now=None):
        """A new nonce and expiry (unsaved): every key made before stops working."""
        now = now or timezone.now()
        self.nonce = secrets.token_urlsafe(32)
        self.created_at = now
        self.expires_at = now + datetime.timedelta(days=settings.BOOKMARKLET_KEY_DAYS)
        return self

    @property
    def is_expired(self):
        return self.expires_at <= timezone.now()

    @property
    def is_revoked(self):
        return not self.nonce


class CategoryAlias(models.Model):
    """A slug a category was known by before it was merged into another: its pages redirect."""

    slug = models.SlugField(max_length=100, unique=True, allow_unicode=True)
    category = models.ForeignKey(Category, on_delete=models.CASCADE, related_name="aliases")

    class Meta:
        verbose_name = _("former category address")
        verbose_name_plural = _("former category addresses")
        ordering = ["slug"]

    def __str__(self):
        return f"{self.slug} → {self.category.slug}"

    def get_absolute_url(self):
        return self.category.get_absolute_url()


NEVER_CHECKED = datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC)


def checked_order():
    """Least recently checked first, never checked before all, without NULLS FIRST (which
    SQLite cannot index)."""
    return Coalesce("checked_at", Value(NEVER_CHECKED)).asc()


class LinkHealth(models.Model):
    """What the link checker last found of a link (archive.linkcheck). A link never checked
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
