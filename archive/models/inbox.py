"""The editors' inbox, and the keys that save to it: API tokens and bookmarklet keys."""

import datetime
import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from taggit.managers import TaggableManager
from taggit.models import TaggedItemBase

from ..ingest.urlnorm import clean_url, normalize_url
from .fields import HttpURLField, http_only, refuse_unsafe_url
from .links import Link


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
