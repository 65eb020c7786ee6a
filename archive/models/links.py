"""Links: an issue's annotated entries, their tags, and their place in the archive."""

from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from taggit.managers import TaggableManager
from taggit.models import TaggedItemBase

from ..ingest.urlnorm import clean_url, domain_of, normalize_url
from ..publishing.markup import render_markdown
from .fields import HttpURLField, http_only, refuse_unsafe_url
from .issues import Section, may_preview
from .taxonomy import Category


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
    rank = models.BigIntegerField(default=0, editable=False)  # its link's (publishing.tallies)

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
    # The title's link as the file wrote it when not ``[title](url)``: ``[title][1]``.
    link_source = models.CharField(max_length=2000, blank=True, editable=False)
    normalized_url = models.CharField(max_length=2000, editable=False, db_index=True)
    domain = models.CharField(_("domain"), max_length=255, editable=False)
    annotation = models.TextField(_("annotation"), blank=True, help_text=_("Markdown."))
    annotation_html = models.TextField(editable=False, blank=True)
    # Kept by archive.publishing.tallies.recount: the section's category, and the link's place
    # in the archive (link_rank), so that lists read an index, newest first, a page at a time.
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
        self.annotation_html = render_markdown(self.annotation, self.references())

    def references(self):
        """The issue's reference-style link definitions, when the annotation may use one."""
        if "]" not in self.annotation or self.section_id is None:
            return ""
        return self.section.issue.references
