"""sitemap.xml: an index of sections (issues, categories, tags, links), each page listing its
URLs in every language with ``hreflang`` alternates. Only what readers can see is listed."""

from django.contrib.sitemaps import Sitemap
from django.db.models import Exists, Max, OuterRef, Q
from django.urls import reverse
from django.utils import timezone
from taggit.models import Tag

from .models import Category, Issue, Link, TaggedLink


class ReaderSitemap(Sitemap):
    i18n = True
    alternates = True
    x_default = True
    # URLs per page, before each is repeated once per language (the format allows 50,000).
    limit = 10_000


class IssueSitemap(ReaderSitemap):
    changefreq = "monthly"

    def items(self):
        return Issue.objects.published().only("number", "slug", "updated_at").order_by("pk")

    def lastmod(self, issue):
        return issue.updated_at

    def get_latest_lastmod(self):
        """For the index, in one aggregate (Django's default reads every item)."""
        return Issue.objects.published().aggregate(latest=Max("updated_at"))["latest"]


class CategorySitemap(ReaderSitemap):
    changefreq = "weekly"

    def items(self):
        return (
            Category.objects.annotate(
                lastmod=Max(
                    "sections__issue__updated_at",
                    filter=Q(sections__issue__published_at__lte=timezone.now()),
                )
            )
            .filter(lastmod__isnull=False)
            .order_by("pk")
        )

    def lastmod(self, category):
        return category.lastmod

    def get_latest_lastmod(self):
        return IssueSitemap().get_latest_lastmod()


class TagSitemap(ReaderSitemap):
    changefreq = "weekly"

    def items(self):
        published = TaggedLink.objects.filter(
            tag=OuterRef("pk"), content_object__section__issue__published_at__lte=timezone.now()
        )
        return Tag.objects.filter(Exists(published)).only("slug").order_by("pk")

    def location(self, tag):
        return reverse("archive:tag", args=[tag.slug])


class LinkSitemap(ReaderSitemap):
    changefreq = "yearly"
    priority = 0.3

    def items(self):
        return Link.objects.published().only("pk").order_by("pk")


SITEMAPS = {
    "issues": IssueSitemap,
    "categories": CategorySitemap,
    "tags": TagSitemap,
    "links": LinkSitemap,
}
