"""Issues, years, categories, tags, domains and links. Each page makes a fixed number of
queries whatever the archive's size, and none of them counts links: counts come from the
tallies kept on write (archive.publishing.tallies), lists read their page only (in the order of an
index: models.link_rank), and their links' tags are read in one query (``attach_tags``)."""

import re
from itertools import groupby

from django.conf import settings
from django.db.models import CharField, OuterRef, Q, Subquery, Value
from django.db.models.functions import Cast, Concat
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.html import strip_tags
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET
from taggit.models import Tag

from ..models import (
    Category,
    CategoryAlias,
    Issue,
    Link,
    TaggedLink,
    Tally,
    newest_date,
    newest_number,
)
from ..publishing import tallies
from ..publishing.addresses import Addresses, absolute
from ..publishing.tallies import TalliedPaginator

Kind = Tally.Kind

PAGE_SIZE = 30
ISSUES_PAGE_SIZE = 60
TAGS_PAGE_SIZE = 300
CHECKS_SHOWN = 10
DESCRIPTION_LENGTH = 160
_IMAGE = re.compile(r'<img[^>]*\ssrc="(https?://[^"]+)"')


def summary(html, length=DESCRIPTION_LENGTH):
    """Plain text of some rendered Markdown, on one line, for a meta description."""
    text = " ".join(strip_tags(html).split())
    return Truncator(text).chars(length)


def first_image(*fragments):
    """The first http(s) image in these fragments of sanitised HTML, for a sharing card."""
    for html in fragments:
        match = _IMAGE.search(html or "")
        if match:
            return match.group(1).replace("&amp;", "&")
    return ""


def attach_tags(links):
    """Set ``link.tag_list`` to [(name, slug)] for every link, in one query."""
    links = list(links)
    by_id = {link.pk: link for link in links}
    for link in links:
        link.tag_list = []
    rows = TaggedLink.objects.filter(content_object_id__in=by_id).values_list(
        "content_object_id", "tag__name", "tag__slug"
    )
    for link_id, name, slug in rows:
        by_id[link_id].tag_list.append((name, slug))
    for link in links:  # sorted here: a few tags a link, and the query stays a lookup
        link.tag_list.sort()
    return links


def newest_links(queryset, order=None):
    """Links newest first with their issue and category. A tag's links are best ordered by
    ``("-taggedlink__rank", "-pk")``: the same order, read from the tag's own index."""
    queryset = queryset.select_related("section__issue", "section__category", "health")
    return queryset.order_by(*order) if order else queryset.newest_first()


def link_page(request, queryset, count, order=None):
    """A page of links, newest issue first, with their issue, category and tags; ``count``
    is the tally of the list, so the page is all that is read."""
    paginator = TalliedPaginator(newest_links(queryset, order), PAGE_SIZE, count)
    page = paginator.get_page(request.GET.get("page"))
    Addresses().present(attach_tags(page.object_list), where=True)
    return page


def categories_with_counts():
    """The categories readers know of, with their published links' counts: one that only
    drafts or scheduled issues use does not exist for them until its issue is live."""
    return tallies.with_counts(Category.objects.order_by("position", "name"), Kind.CATEGORY).filter(
        link_count__gt=0
    )


def nest_links(links):
    """Top-level links with ``child_links`` set; links must come ordered by position."""
    top, children = [], {}
    for link in links:
        link.child_links = []
        if link.parent_id is None:
            top.append(link)
        else:
            children.setdefault(link.parent_id, []).append(link)
    for link in top:
        link.child_links = children.get(link.pk, [])
    return top


def issue_years():
    """Every year with a published, dated issue, newest first (one query, of the tallies)."""
    keys = Tally.objects.filter(kind=Kind.ISSUES).exclude(key="").values_list("key", flat=True)
    return sorted((int(key) for key in keys), reverse=True)


def home(request):
    latest = Issue.objects.published().first()
    sections = []
    if latest is not None:
        links = (
            Link.objects.filter(section__issue=latest, parent=None)
            .select_related("section__category")
            .order_by("section__position", "position")
        )
        sections = [
            (section, list(group)) for section, group in groupby(links, key=lambda x: x.section)
        ]
    recent = Issue.objects.published()[1:9]
    categories = categories_with_counts()
    return render(
        request,
        "archive/home.html",
        {"latest": latest, "sections": sections, "recent": recent, "categories": categories},
    )


def issue_list(request):
    """Published issues by year, newest first (specials by their date among the others);
    undated ones last."""
    issues = Issue.objects.published().order_by(newest_date(), newest_number())
    paginator = TalliedPaginator(issues, ISSUES_PAGE_SIZE, tallies.count(Kind.ISSUES))
    page = paginator.get_page(request.GET.get("page"))
    for issue in page.object_list:
        issue.year = issue.date.year if issue.date else None
    years = [(year, list(group)) for year, group in groupby(page.object_list, key=lambda x: x.year)]
    return render(
        request,
        "archive/issue_list.html",
        {"page": page, "years": years, "all_years": issue_years()},
    )


def year_detail(request, year):
    """One year's issues, and below them how many links each category had that year."""
    years = issue_years()
    if year not in years:
        raise Http404("No issue that year.")
    issues = list(
        Issue.objects.published().filter(date__year=year).order_by(newest_number(), newest_date())
    )
    key = Concat(Value(f"{year}:"), Cast(OuterRef("pk"), output_field=CharField()))
    categories = (
        tallies.with_counts(Category.objects.all(), Kind.YEAR_CATEGORY, key)
        .filter(link_count__gt=0)
        .order_by("-link_count", "position", "name")
    )
    at = years.index(year)
    return render(
        request,
        "archive/year_detail.html",
        {
            "year": year,
            "issues": issues,
            "categories": categories,
            "link_count": sum(issue.link_count for issue in issues),
            "description": _("The issues %(site)s published in %(year)s, and their categories.")
            % {"site": settings.SITE_NAME, "year": year},
            "newer_year": years[at - 1] if at > 0 else None,
            "older_year": years[at + 1] if at + 1 < len(years) else None,
        },
    )


def neighbours(issue):
    """(previous, next) published numbered issues around ``issue``, in one query."""
    if issue.number is None:
        return None, None
    published = Issue.objects.published()
    before = published.filter(number__lt=issue.number).order_by("-number").values("number")[:1]
    after = published.filter(number__gt=issue.number).order_by("number").values("number")[:1]
    found = {
        other.number: other
        for other in published.filter(Q(number=Subquery(before)) | Q(number=Subquery(after))).only(
            "number", "title", "date"
        )
    }
    previous = next((i for n, i in found.items() if n < issue.number), None)
    following = next((i for n, i in found.items() if n > issue.number), None)
    return previous, following


def issue_contents(issue, addresses):
    """(sections in order, each with its ``top_links`` nested, and every link of the issue,
    presented by ``addresses``): three queries, tags included."""
    sections = list(issue.sections.select_related("category").order_by("position"))
    links = attach_tags(
        Link.objects.filter(section__issue=issue)
        .select_related("health")
        .order_by("section_id", "position", "pk")
    )
    by_section = {
        section_id: nest_links(group)
        for section_id, group in groupby(links, key=lambda link: link.section_id)
    }
    addresses.present(links)
    for section in sections:
        section.top_links = by_section.get(section.pk, [])
    return sections, links


def also_featured(link, size=20):
    """The other published links to the same address, newest first, with their issue and
    category. A text entry (a quote, no URL) is featured nowhere else: other text entries
    share its empty address, not its page."""
    if not link.normalized_url:
        return []
    return (
        Link.objects.published()
        .filter(normalized_url=link.normalized_url)
        .exclude(pk=link.pk)
        .select_related("section__issue", "section__category")
        .newest_first()[:size]
    )


def issue_detail(request, number=None, slug=None):
    """A numbered issue at /issues/<number>/, a special one at /specials/<slug>/."""
    found = {"number": number} if slug is None else {"number": None, "slug": slug}
    issue = get_object_or_404(Issue.objects.visible_to(request.user), **found)
    addresses = Addresses()
    sections, links = issue_contents(issue, addresses)
    for section in sections:
        section.category_url = addresses.category(section.category.slug)
    previous, following = neighbours(issue)
    description = (
        issue.description
        or summary(issue.lede_html)
        or ", ".join(section.category.name for section in sections if not section.untitled)
    )
    image = issue.image or first_image(
        issue.lede_html,
        *(section.note_html for section in sections),
        *(link.annotation_html for link in links),
    )
    return render(
        request,
        "archive/issue_detail.html",
        {
            "issue": issue,
            "sections": sections,
            "link_count": len(links),
            "previous_issue": previous,
            "next_issue": following,
            "description": description,
            "image": image,
        },
    )


def category_list(request):
    categories = categories_with_counts()
    return render(request, "archive/category_list.html", {"categories": categories})


def category_detail(request, slug):
    categories = tallies.with_counts(Category.objects.all(), Kind.CATEGORY)
    category = categories.filter(slug=slug).first()
    if category is None:  # merged into another: its old address leads there
        alias = get_object_or_404(CategoryAlias.objects.select_related("category"), slug=slug)
        return redirect(alias.category, permanent=True)
    if not category.link_count:
        raise Http404("No published link in this category.")
    links = Link.objects.published().filter(category=category)
    page = link_page(request, links, category.link_count)
    description = summary(category.description) or _(
        "Every link %(site)s featured under “%(name)s”, newest first."
    ) % {"site": settings.SITE_NAME, "name": category.name}
    return render(
        request,
        "archive/category_detail.html",
        {"category": category, "page": page, "description": description},
    )


def tag_list(request):
    """The tags, most used first, a page at a time: the tallies say which and how often."""
    ranked = Tally.objects.filter(kind=Kind.TAG).order_by("-count", "key")
    number = tallies.count(Kind.DISTINCT, Kind.TAG)
    page = TalliedPaginator(ranked, TAGS_PAGE_SIZE, number).get_page(request.GET.get("page"))
    counts = {int(tally.key): tally.count for tally in page.object_list}
    names = Tag.objects.in_bulk(counts)
    tags = []
    for tag_id, link_count in counts.items():
        if tag_id in names:
            names[tag_id].link_count = link_count
            tags.append(names[tag_id])
    return render(request, "archive/tag_list.html", {"tags": tags, "page": page})


def tag_detail(request, slug):
    tag = get_object_or_404(tallies.with_counts(Tag.objects.all(), Kind.TAG), slug=slug)
    if not tag.link_count:
        raise Http404("No published link has this tag.")
    links = Link.objects.published().filter(taggedlink__tag=tag)
    page = link_page(request, links, tag.link_count, order=("-taggedlink__rank", "-pk"))
    description = _("Every link %(site)s featured with the tag #%(name)s, newest first.") % {
        "site": settings.SITE_NAME,
        "name": tag.name,
    }
    return render(
        request, "archive/tag_detail.html", {"tag": tag, "page": page, "description": description}
    )


def domain_detail(request, domain):
    count = tallies.count(Kind.DOMAIN, domain)
    if not count:
        raise Http404("No link from this domain.")
    page = link_page(request, Link.objects.published().filter(domain=domain), count)
    description = _("Every link from %(domain)s that %(site)s featured, newest first.") % {
        "domain": domain,
        "site": settings.SITE_NAME,
    }
    return render(
        request,
        "archive/domain_detail.html",
        {"domain": domain, "page": page, "description": description},
    )


def link_detail(request, pk):
    visible = Link.objects.visible_to(request.user)
    link = get_object_or_404(
        visible.select_related("section__issue", "section__category", "parent", "health"),
        pk=pk,
    )
    Addresses().present(attach_tags([link]))
    checks = list(link.checks.order_by("-checked_at", "-pk")[:CHECKS_SHOWN])
    children = list(link.children.order_by("position"))
    appearances = also_featured(link)
    related = (
        visible.filter(section=link.section_id, parent=None)
        .exclude(pk=link.pk)
        .exclude(pk=link.parent_id)
        .order_by("position")[:10]
    )
    return render(
        request,
        "archive/link_detail.html",
        {
            "link": link,
            "issue": link.section.issue,
            "children": children,
            "appearances": appearances,
            "related": related,
            "checks": checks,
            "description": summary(link.annotation_html),
        },
    )


def healthz(request):
    return HttpResponse("ok", content_type="text/plain")


@require_GET
def robots_txt(request):
    sitemap = absolute(request, reverse("sitemap"))
    lines = ["User-agent: *", "Disallow: /admin/", "Allow: /", f"Sitemap: {sitemap}", ""]
    return HttpResponse("\n".join(lines), content_type="text/plain; charset=utf-8")
