"""What happened to the issues: each version of an issue (a ``Revision``, the issue's own
Markdown export), what was deleted (the ``TrashItem``s, restorable for ``TRASH_DAYS``), and
who published, sent, restored, merged or imported what (``AuditEvent``, which nobody edits)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .issues import Issue


class Via(models.TextChoices):
    BEFORE = "before", _("As it was before history was kept")
    ADMIN = "admin", _("The composer")
    IMPORT = "import", _("Markdown import")
    INBOX = "inbox", _("Added from the inbox")
    MERGE = "merge", _("Category merge")
    URL = "url", _("URL replaced (link health)")
    RESTORE = "restore", _("Restored")
    OTHER = "other", _("Another editor's save")


class Revision(models.Model):
    """An issue as it was after one save: its whole content as Markdown (titles, addresses,
    annotations, tags, categories by name), which the importer restores exactly."""

    # Kept when the issue is deleted: restoring it from the trash brings its history back.
    issue = models.ForeignKey(Issue, null=True, on_delete=models.SET_NULL, related_name="revisions")
    created_at = models.DateTimeField(_("when"), auto_now_add=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        verbose_name=_("who"),
    )
    via = models.CharField(_("how"), max_length=10, choices=Via.choices)
    note = models.CharField(_("note"), max_length=300, blank=True)
    markdown = models.TextField()
    digest = models.CharField(max_length=40)  # sha1 of the Markdown: an unchanged save adds none

    class Meta:
        verbose_name = _("revision")
        verbose_name_plural = _("revisions")
        ordering = ["-pk"]
        indexes = [models.Index(fields=["issue", "-id"], name="revision_issue_idx")]

    def __str__(self):
        return f"{self.issue_id} · {self.created_at:%Y-%m-%d %H:%M}"


class TrashItem(models.Model):
    class Kind(models.TextChoices):
        ISSUE = "issue", _("Issue")
        SECTION = "section", _("Section")
        LINK = "link", _("Link")

    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    label = models.CharField(_("what"), max_length=1000)
    # The issue it belonged to (for a section or a link), and its label should it be gone.
    issue = models.ForeignKey(
        Issue, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    issue_label = models.CharField(_("issue"), max_length=300)
    # An issue: its Markdown. A section or a link: a one-section issue holding it.
    markdown = models.TextField()
    position = models.PositiveIntegerField(default=0)  # where it stood among its siblings
    parent_url = models.CharField(max_length=2000, blank=True)  # a similar link's parent
    published_at = models.DateTimeField(null=True, blank=True)  # a deleted issue's
    revision_ids = models.JSONField(default=list, blank=True)  # a deleted issue's history
    deleted_at = models.DateTimeField(_("deleted"), auto_now_add=True)
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        verbose_name=_("deleted by"),
    )

    class Meta:
        verbose_name = _("item in the trash")
        verbose_name_plural = _("trash")
        ordering = ["-deleted_at", "-pk"]

    def __str__(self):
        return self.label


class AuditEvent(models.Model):
    class Action(models.TextChoices):
        PUBLISH = "publish", _("Published")
        UNPUBLISH = "unpublish", _("Unpublished")
        SCHEDULE = "schedule", _("Scheduled")
        SEND = "send", _("Sent to subscribers")
        RESTORE = "restore", _("Restored a revision")
        MERGE = "merge", _("Merged categories")
        URL = "url", _("Replaced a URL")
        IMPORT = "import", _("Imported")
        TRASH = "trash", _("Moved to the trash")
        UNTRASH = "untrash", _("Restored from the trash")

    at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        verbose_name=_("who"),
    )
    username = models.CharField(_("who"), max_length=150, blank=True)
    action = models.CharField(_("what"), max_length=10, choices=Action.choices)
    issue = models.ForeignKey(
        Issue, null=True, blank=True, on_delete=models.SET_NULL, related_name="audit_events"
    )
    issue_label = models.CharField(_("issue"), max_length=300, blank=True)
    detail = models.CharField(_("detail"), max_length=1000, blank=True)

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit log")
        ordering = ["-at", "-pk"]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.username} {self.action} {self.issue_label}"
