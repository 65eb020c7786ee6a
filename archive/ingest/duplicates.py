"""Where a URL was featured or saved before: for the composer, the inbox, its API and the
bookmarklet. Each answer is one query, whatever the number of URLs asked about."""

from dataclasses import dataclass

from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _

from ..models import InboxItem, Issue, Link
from ..publishing.addresses import absolute
from .urlnorm import normalize_url


@dataclass(frozen=True)
class Appearance:
    issue_id: int
    number: int | None
    slug: str
    published: bool

    @property
    def url(self):
        return Issue(number=self.number, slug=self.slug).get_absolute_url()

    @property
    def label(self):
        return Issue(number=self.number, slug=self.slug).label

    def as_json(self, request=None):
        url = absolute(request, self.url) if request else self.url
        return {"number": self.number, "url": url, "published": self.published}


def featured_in(urls, exclude_issue=None, exclude_link=None):
    """{normalised URL: [Appearance, newest issue first]} for the issues that hold these
    URLs (drafts too: an editor wants to know), leaving out ``exclude_issue`` and the link
    ``exclude_link`` (the one being edited)."""
    wanted = {normalize_url(url) for url in urls if url}
    found = {}
    if not wanted:
        return found
    rows = Link.objects.filter(normalized_url__in=wanted)
    if exclude_issue is not None:
        rows = rows.exclude(section__issue=exclude_issue)
    if exclude_link is not None:
        rows = rows.exclude(pk=exclude_link)
    now = timezone.now()
    values = rows.order_by("-rank").values_list(
        "normalized_url",
        "section__issue_id",
        "section__issue__number",
        "section__issue__slug",
        "section__issue__published_at",
    )
    for normalized, issue_id, number, slug, published_at in values:
        appearance = Appearance(
            issue_id, number, slug, published_at is not None and published_at <= now
        )
        seen = found.setdefault(normalized, [])
        if appearance not in seen:
            seen.append(appearance)
    return found


def in_inbox(urls, exclude_item=None):
    """{normalised URL: [InboxItem]} waiting in the inbox for these URLs."""
    wanted = {normalize_url(url) for url in urls if url}
    items = InboxItem.objects.waiting().filter(normalized_url__in=wanted)
    if exclude_item is not None:
        items = items.exclude(pk=exclude_item.pk)
    found = {}
    for item in items.order_by("-created_at"):
        found.setdefault(item.normalized_url, []).append(item)
    return found


def featured_sentence(appearances, links=True):
    """“已在第 213 期、第 200 期出现” / “already featured in issue 213, issue 200”, the issues
    linked to their pages when ``links``."""
    if not appearances:
        return ""
    if links:
        names = format_html_join(
            _(", "), '<a href="{}">{}</a>', ((a.url, a.label) for a in appearances[:5])
        )
    else:
        names = _(", ").join(a.label for a in appearances[:5])
    return format_html(_("already featured in {issues}"), issues=names)


def issue_warnings(issue):
    """What an editor saving ``issue`` should hear: each of its links featured in another
    issue, and each address it holds twice. Two queries."""
    links = list(Link.objects.filter(section__issue=issue).exclude(url="").order_by("-rank", "pk"))
    elsewhere = featured_in([link.url for link in links], exclude_issue=issue.pk)
    warnings, seen = [], {}
    for link in links:
        appearances = elsewhere.get(link.normalized_url)
        if appearances:
            warnings.append(format_html("{}: {}", link.title, featured_sentence(appearances)))
        seen.setdefault(link.normalized_url, []).append(link)
    for twins in seen.values():
        if len(twins) > 1:
            warnings.append(
                format_html("{}: {}", twins[0].title, _("This address is in this issue twice."))
            )
    return warnings
