"""Atom feeds (and an RSS 2.0 twin of the site's): the newest issues, each entry the whole
issue as HTML; and the newest links of a category, a tag or a domain, one entry per link.

Each feed reads its items and everything they show in a fixed number of queries. Every URL in
an entry's content is absolute and the content is sanitised once more as a whole.
``Last-Modified`` is the newest entry's update, and ConditionalGetMiddleware adds an ``ETag``,
so a feed reader polling every few minutes gets ``304 Not Modified``.
"""

from dataclasses import dataclass, field
from itertools import groupby

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import feedgenerator
from django.utils.html import escape
from django.utils.translation import gettext as _
from taggit.models import Tag

from ..models import Category, CategoryAlias, Issue, Link, Section
from ..views.pages import attach_tags, nest_links, newest_links, summary
from .addresses import Addresses, absolute, on_site_url
from .markup import sanitize_html

ISSUES_IN_FEED = 20
LINKS_IN_FEED = 50


class AtomWithContent(feedgenerator.Atom1Feed):
    """Atom with the entry's whole text in ``<content type="html">`` beside its summary."""

    def add_item_elements(self, handler, item):
        super().add_item_elements(handler, item)
        if item.get("content"):
            handler.addQuickElement("content", item["content"], {"type": "html"})


@dataclass
class Subject:
    """What a feed is about, with what its entries need to build absolute URLs."""

    base: str  # https://example.com/
    title: str
    link: str
    obj: object = None
    items: list = field(default_factory=list)


class ArchiveFeed(Feed):
    feed_type = AtomWithContent

    def get_feed(self, obj, request):
        return super().get_feed(obj, on_site_url(request))  # its links on SITE_URL, if set

    def link(self, subject):
        return subject.link

    def title(self, subject):
        return subject.title

    def items(self, subject):
        return subject.items

    def item_title(self, item):
        return item.title  # plain text; the feed generator escapes it

    def item_updateddate(self, item):
        return item.feed_updated

    def item_pubdate(self, item):
        return item.feed_published


class IssueFeed(ArchiveFeed):
    """/feed/: the newest published issues, one entry each, its content the whole issue."""

    def get_object(self, request):
        issues = list(
            Issue.objects.published().order_by("-published_at", "-number")[:ISSUES_IN_FEED]
        )
        subject = Subject(
            base=absolute(request, "/"),
            title=settings.SITE_NAME,
            link=reverse("archive:home"),
            items=issues,
        )
        sections = list(
            Section.objects.filter(issue__in=issues)
            .select_related("category")
            .order_by("issue_id", "position")
        )
        links = attach_tags(
            Link.objects.filter(section__in=sections)
            .select_related("health")
            .order_by("section_id", "position", "pk")
        )
        by_section = {
            key: nest_links(group) for key, group in groupby(links, lambda x: x.section_id)
        }
        addresses = Addresses()
        addresses.present(links)
        by_issue = {}
        for section in sections:
            section.top_links = by_section.get(section.pk, [])
            section.category_url = addresses.category(section.category.slug)
            by_issue.setdefault(section.issue_id, []).append(section)
        for issue in issues:
            issue.page_url = addresses.issue(issue)
            issue.feed_sections = by_issue.get(issue.pk, [])
            issue.feed_published = issue.published_at
            issue.feed_updated = max(issue.updated_at, issue.published_at)
            html = render_to_string("feeds/issue.html", {"issue": issue})
            issue.feed_content = sanitize_html(html, base=subject.base)
        return subject

    def subtitle(self, subject):
        return _("Every issue of %(site)s, whole.") % {"site": settings.SITE_NAME}

    def item_title(self, issue):
        return issue.display_title

    def item_description(self, issue):
        return escape(summary(issue.lede_html)) or None

    def item_extra_kwargs(self, issue):
        return {"content": issue.feed_content}

    def item_categories(self, issue):
        return [section.category.name for section in issue.feed_sections]


class IssueRssFeed(IssueFeed):
    """/feed/rss/: the same issues for readers that want RSS 2.0."""

    feed_type = feedgenerator.Rss201rev2Feed

    def description(self, subject):
        return self.subtitle(subject)

    def item_description(self, issue):
        return issue.feed_content


class LinkFeed(ArchiveFeed):
    """The newest published links of something, one entry per link."""

    empty_is_404 = True
    order = None  # newest first

    def get_object(self, request, **kwargs):
        obj, title, link, links = self.subject(**kwargs)
        items = attach_tags(newest_links(links, self.order)[:LINKS_IN_FEED])
        Addresses().present(items, where=True)
        if not items and self.empty_is_404:
            raise Http404("Nothing published here.")
        subject = Subject(base=absolute(request, "/"), title=title, link=link, obj=obj, items=items)
        for item in items:
            issue = item.section.issue
            # Known by its link page, a stable address even when the target moves.
            item.feed_guid = subject.base.rstrip("/") + item.page_url
            item.feed_published = issue.published_at
            item.feed_updated = max(issue.updated_at, issue.published_at)
            html = render_to_string("feeds/link.html", {"link": item, "issue": issue})
            item.feed_content = sanitize_html(html, base=subject.base)
        return subject

    def item_link(self, link):
        return link.target or link.get_absolute_url()

    def item_guid(self, link):
        return link.feed_guid

    def item_guid_is_permalink(self, link):
        return False

    def item_description(self, link):
        return escape(summary(link.annotation_html)) or None

    def item_extra_kwargs(self, link):
        return {"content": link.feed_content}

    def item_categories(self, link):
        return [name for name, _slug in link.tag_list]


class CategoryFeed(LinkFeed):
    def subject(self, slug):
        category = Category.objects.filter(slug=slug).first()
        if category is None:  # merged into another: follow it
            alias = get_object_or_404(CategoryAlias.objects.select_related("category"), slug=slug)
            category = alias.category
        title = f"{category.name} · {settings.SITE_NAME}"
        links = Link.objects.published().filter(category=category)
        return category, title, category.get_absolute_url(), links


class TagFeed(LinkFeed):
    order = ("-taggedlink__rank", "-pk")  # read from the tag's own index

    def subject(self, slug):
        tag = get_object_or_404(Tag, slug=slug)
        title = f"#{tag.name} · {settings.SITE_NAME}"
        links = Link.objects.published().filter(taggedlink__tag=tag)
        return tag, title, reverse("archive:tag", args=[tag.slug]), links


class DomainFeed(LinkFeed):
    def subject(self, domain):
        title = f"{domain} · {settings.SITE_NAME}"
        links = Link.objects.published().filter(domain=domain)
        return domain, title, reverse("archive:domain", args=[domain]), links
