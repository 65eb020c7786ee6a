"""The reader's addresses, reversed once per kind and filled in per object.

Reversing a URL is most of what a long page costs (a 778-link issue names each link's page,
domain and tags): here each kind is reversed once, in the active language, and an object's
address is that pattern with its key quoted the way ``reverse()`` quotes it. Tests check the
two agree."""

from urllib.parse import quote

from django.conf import settings
from django.urls import reverse
from django.utils.http import RFC3986_SUBDELIMS
from django.utils.translation import gettext

from ..models import Link
from ..templatetags.archive_tags import http_url


def absolute(request, path):
    """``path`` as an absolute address: on ``SITE_URL`` when it is set, else on the scheme
    and host the request came by (one of ALLOWED_HOSTS)."""
    if settings.SITE_URL:
        return settings.SITE_URL + path
    return request.build_absolute_uri(path)


class OnSiteUrl:
    """A request as if it had come to ``SITE_URL``: for Django's own views that make absolute
    addresses from the request's host (the feeds' links and ids)."""

    def __init__(self, request):
        self._request = request
        self._scheme, _, self._host = settings.SITE_URL.partition("://")

    def __getattr__(self, name):
        return getattr(self._request, name)

    def get_host(self):
        return self._host

    def is_secure(self):
        return self._scheme == "https"


def on_site_url(request):
    return OnSiteUrl(request) if settings.SITE_URL else request


SAFE = RFC3986_SUBDELIMS + "/~:@"  # what reverse() leaves unquoted
SLUG = "0slug0"
NUMBER = 987654321


def cached_health(link):
    """The link's LinkHealth when the query selected it (``select_related("health")``),
    else None: a page never makes a query per link to find it."""
    if not Link.health.is_cached(link):
        return None
    return Link.health.related.get_cached_value(link, default=None)


class Addresses:
    def __init__(self):
        self._link = reverse("archive:link", args=[NUMBER])
        self._issue = reverse("archive:issue", args=[NUMBER])
        self._special = reverse("archive:special", args=[SLUG])
        self._category = reverse("archive:category", args=[SLUG])
        self._tag = reverse("archive:tag", args=[SLUG])
        self._domain = reverse("archive:domain", args=[SLUG])

    @staticmethod
    def _fill(pattern, placeholder, value):
        return pattern.replace(placeholder, quote(str(value), safe=SAFE), 1)

    def link(self, pk):
        return self._fill(self._link, str(NUMBER), pk)

    def issue(self, issue):
        if issue.number is None:
            return self._fill(self._special, SLUG, issue.slug)
        return self._fill(self._issue, str(NUMBER), issue.number)

    def category(self, slug):
        return self._fill(self._category, SLUG, slug)

    def tag(self, slug):
        return self._fill(self._tag, SLUG, slug)

    def domain(self, domain):
        return self._fill(self._domain, SLUG, domain)

    def present(self, links, where=False):
        """Give each link (and its similar links) what a template shows of it: ``target``
        (its http(s) address, or ""), ``page_url``, ``permalink_label``, ``domain_url`` and
        ``tag_links`` [(name, url)] from ``tag_list``; with ``where``, the ``issue_url`` and
        ``category_url`` of its (selected) section."""
        for link in links:
            link.target = http_url(link.url) if link.url else ""
            link.page_url = self.link(link.pk)
            link.permalink_label = gettext("Permalink: %(title)s") % {"title": link.title}
            link.domain_url = self.domain(link.domain) if link.domain else ""
            link.tag_links = [(name, self.tag(slug)) for name, slug in link.tag_list]
            health = cached_health(link)
            link.is_dead = bool(health and health.is_gone(link.url))
            link.archived_copy = health.archived_url if link.is_dead else ""
            for child in getattr(link, "child_links", ()):
                child.target = http_url(child.url) if child.url else ""
            if where:
                link.issue_url = self.issue(link.section.issue)
                link.category_url = self.category(link.section.category.slug)
        return links
