"""sitemap.xml: an index of sections (issues, categories, tags, links), each page listing its
URLs in every language with ``hreflang`` alternates. Only what readers can see is listed.

Django's own ``i18n`` sitemaps pair every item with every language before paginating, which
reads every item on every page; here a page reads its items only (counts come from the
tallies) and writes each one out once per language."""

from django.conf import settings
from django.contrib.sitemaps import Sitemap
from django.contrib.sitemaps import views as sitemap_views
from django.db.models import CharField, Exists, Max, OuterRef
from django.db.models.functions import Cast
from django.urls import reverse
from django.utils import translation
from taggit.models import Tag

from ..models import Category, Issue, Link, Tally
from . import tallies
from .tallies import TalliedPaginator

Kind = Tally.Kind


class ReaderSitemap(Sitemap):
    limit = 5000  # items a page, each written once per language
    tally = None  # (kind, key) of the tally that counts the items

    def get_urls(self, page=1, site=None, protocol=None):
        if settings.SITE_URL:  # the site's own address, whatever host was asked
            protocol, _, domain = settings.SITE_URL.partition("://")
            return self._urls(page, protocol, domain)
        return super().get_urls(page, site, protocol)

    @property
    def paginator(self):
        return TalliedPaginator(self.items(), self.limit, tallies.count(*self.tally))

    def _urls(self, page, protocol, domain):
        urls, lastmods = [], []
        for item in self.paginator.page(page).object_list:
            locations = {}
            for code, _name in settings.LANGUAGES:
                with translation.override(code):
                    locations[code] = f"{protocol}://{domain}{self.location(item)}"
            alternates = [{"location": url, "lang_code": code} for code, url in locations.items()]
            alternates.append(
                {"location": locations[settings.LANGUAGE_CODE], "lang_code": "x-default"}
            )
            lastmod = self._get("lastmod", item)
            lastmods.append(lastmod)
            for url in locations.values():
                urls.append(
                    {
                        "item": item,
                        "location": url,
                        "lastmod": lastmod,
                        "changefreq": self._get("changefreq", item),
                        "priority": str(self._get("priority", item) or ""),
                        "alternates": alternates,
                    }
                )
        if lastmods and None not in lastmods:
            self.latest_lastmod = max(lastmods)
        return urls


class IssueSitemap(ReaderSitemap):
    changefreq = "monthly"
    tally = (Kind.ISSUES, "")

    def items(self):
        return Issue.objects.published().only("number", "slug", "updated_at").order_by("pk")

    def lastmod(self, issue):
        return issue.updated_at

    def get_latest_lastmod(self):
        """For the index, in one aggregate (Django's default reads every item)."""
        return Issue.objects.published().aggregate(latest=Max("updated_at"))["latest"]


class CategorySitemap(ReaderSitemap):
    changefreq = "weekly"
    tally = (Kind.DISTINCT, Kind.CATEGORY)

    def items(self):
        return tallies.with_counts(Category.objects.order_by("pk"), Kind.CATEGORY).filter(
            link_count__gt=0
        )


class TagSitemap(ReaderSitemap):
    changefreq = "weekly"
    tally = (Kind.DISTINCT, Kind.TAG)

    def items(self):
        counted = Tally.objects.filter(
            kind=Kind.TAG, key=Cast(OuterRef("pk"), output_field=CharField())
        )
        return Tag.objects.filter(Exists(counted)).only("slug").order_by("pk")

    def location(self, tag):
        return reverse("archive:tag", args=[tag.slug])


class LinkSitemap(ReaderSitemap):
    changefreq = "yearly"
    priority = 0.3
    tally = (Kind.LINKS, "")

    def items(self):
        return Link.objects.published().only("pk").order_by("pk")


def index(request, **kwargs):
    """Django's sitemap index, its entries on SITE_URL when that is set."""
    response = sitemap_views.index(request, **kwargs)
    if settings.SITE_URL:
        asked = f"{request.scheme}://{request.get_host()}"
        for entry in response.context_data["sitemaps"]:
            entry.location = settings.SITE_URL + entry.location.removeprefix(asked)
    return response


SITEMAPS = {
    "issues": IssueSitemap,
    "categories": CategorySitemap,
    "tags": TagSitemap,
    "links": LinkSitemap,
}
