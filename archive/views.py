"""Public pages. Each makes a fixed number of queries whatever the archive's size: lists are
paginated first, then their links' tags are read in one query (``attach_tags``)."""

from itertools import groupby

from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from taggit.models import Tag

from .models import Category, Issue, Link, TaggedLink
from .search import engine, highlight, tokens

PAGE_SIZE = 30
ISSUES_PAGE_SIZE = 60


def attach_tags(links):
    """Set ``link.tag_list`` to [(name, slug)] for every link, in one query."""
    links = list(links)
    by_id = {link.pk: link for link in links}
    for link in links:
        link.tag_list = []
    rows = (
        TaggedLink.objects.filter(content_object_id__in=by_id)
        .order_by("tag__name")
        .values_list("content_object_id", "tag__name", "tag__slug")
    )
    for link_id, name, slug in rows:
        by_id[link_id].tag_list.append((name, slug))
    return links


def link_page(request, queryset):
    """A page of links, newest issue first, with their issue, category and tags."""
    queryset = queryset.select_related("section__issue", "section__category").newest_first()
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    attach_tags(page.object_list)
    return page


def published_link_counts():
    return Count("sections__links", filter=Q(sections__issue__published_at__lte=timezone.now()))


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
    categories = (
        Category.objects.annotate(link_count=published_link_counts())
        .filter(link_count__gt=0)
        .order_by("position", "name")
    )
    return render(
        request,
        "archive/home.html",
        {"latest": latest, "sections": sections, "recent": recent, "categories": categories},
    )


def issue_list(request):
    issues = (
        Issue.objects.published()
        .annotate(link_count=Count("sections__links"))
        .order_by(*Issue._meta.ordering)
    )
    page = Paginator(issues, ISSUES_PAGE_SIZE).get_page(request.GET.get("page"))
    years = [
        (year, list(group))
        for year, group in groupby(
            page.object_list, key=lambda issue: getattr(issue.display_date, "year", None)
        )
    ]
    return render(request, "archive/issue_list.html", {"page": page, "years": years})


def issue_detail(request, number=None, slug=None):
    """A numbered issue at /issues/<number>/, a special one at /specials/<slug>/."""
    found = {"number": number} if slug is None else {"number": None, "slug": slug}
    issue = get_object_or_404(Issue.objects.visible_to(request.user), **found)
    sections = list(issue.sections.select_related("category").order_by("position"))
    links = attach_tags(
        Link.objects.filter(section__issue=issue).order_by("section_id", "position", "pk")
    )
    by_section = {}
    for section_id, group in groupby(links, key=lambda link: link.section_id):
        by_section[section_id] = nest_links(group)
    for section in sections:
        section.top_links = by_section.get(section.pk, [])
    return render(request, "archive/issue_detail.html", {"issue": issue, "sections": sections})


def category_list(request):
    categories = Category.objects.annotate(link_count=published_link_counts()).order_by(
        "position", "name"
    )
    return render(request, "archive/category_list.html", {"categories": categories})


def category_detail(request, slug):
    category = get_object_or_404(Category, slug=slug)
    page = link_page(request, Link.objects.published().filter(section__category=category))
    return render(request, "archive/category_detail.html", {"category": category, "page": page})


def tag_list(request):
    published = Q(
        archive_taggedlink_items__content_object__section__issue__published_at__lte=(timezone.now())
    )
    tags = (
        Tag.objects.annotate(link_count=Count("archive_taggedlink_items", filter=published))
        .filter(link_count__gt=0)
        .order_by("-link_count", "name")
    )
    return render(request, "archive/tag_list.html", {"tags": tags})


def tag_detail(request, slug):
    tag = get_object_or_404(Tag, slug=slug)
    page = link_page(request, Link.objects.published().filter(taggedlink__tag=tag))
    if not page.paginator.count:
        raise Http404("No published link has this tag.")
    return render(request, "archive/tag_detail.html", {"tag": tag, "page": page})


def domain_detail(request, domain):
    page = link_page(request, Link.objects.published().filter(domain=domain))
    if not page.paginator.count:
        raise Http404("No link from this domain.")
    return render(request, "archive/domain_detail.html", {"domain": domain, "page": page})


def link_detail(request, pk):
    visible = Link.objects.all() if request.user.is_staff else Link.objects.published()
    link = get_object_or_404(
        visible.select_related("section__issue", "section__category", "parent"), pk=pk
    )
    attach_tags([link])
    children = list(link.children.order_by("position"))
    appearances = (
        Link.objects.published()
        .filter(normalized_url=link.normalized_url)
        .exclude(pk=link.pk)
        .select_related("section__issue", "section__category")
        .newest_first()[:20]
    )
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
        },
    )


SEARCH_PAGE_SIZE = 20


def _query_string(params, **changes):
    """The current search's query string with some parameters changed (None removes)."""
    query = params.copy()
    for name, value in changes.items():
        if value is None:
            query.pop(name, None)
        elif isinstance(value, list):
            query.setlist(name, value)
        else:
            query[name] = value
    query.pop("page", None)
    return "?" + query.urlencode()


def _search_filters(params):
    """(filters, notices, satisfiable) from the query string; an unknown category or tag
    makes the search unsatisfiable rather than silently ignored."""
    filters = engine.Filters(domain=params.get("domain", "").strip().lower()[:255])
    notices, satisfiable = [], True
    if params.get("category"):
        category = Category.objects.filter(slug=params["category"]).first()
        if category is None:
            notices.append(f"No category “{params['category'][:50]}”.")
            satisfiable = False
        else:
            filters.category = category.pk
    tag_slugs = set(params.getlist("tag")[:5])
    if tag_slugs:
        filters.tags = list(Tag.objects.filter(slug__in=tag_slugs).values_list("pk", flat=True))
        if len(filters.tags) < len(tag_slugs):
            notices.append("Some tags in the filter do not exist.")
            satisfiable = False
    year = params.get("year", "")
    if year:
        if year.isdigit() and 1900 <= int(year) <= 2999:
            filters.year = int(year)
        else:
            notices.append(f"“{year[:20]}” is not a year.")
    return filters, notices, satisfiable


def _facet_items(params, result, filters):
    """Each facet value with its count, whether it is applied, and the link that adds it (or,
    applied, removes it)."""
    active_tags = set(params.getlist("tag"))

    def toggle_tag(slug):
        chosen = active_tags - {slug} if slug in active_tags else active_tags | {slug}
        return _query_string(params, tag=sorted(chosen))

    def toggle(name, value, active):
        return _query_string(params, **{name: None if active else value})

    category = params.get("category")
    facets = result.facets
    return {
        "categories": [
            (name, count, slug == category, toggle("category", slug, slug == category))
            for _id, name, slug, count in facets.get("categories", [])
        ],
        "tags": [
            (name, count, slug in active_tags, toggle_tag(slug))
            for _id, name, slug, count in facets.get("tags", [])
        ],
        "domains": [
            (
                domain,
                count,
                domain == filters.domain,
                toggle("domain", domain, domain == filters.domain),
            )
            for domain, count in facets.get("domains", [])
        ],
        "years": [
            (
                str(year),
                count,
                year == filters.year,
                toggle("year", str(year), year == filters.year),
            )
            for year, count in facets.get("years", [])
        ],
    }


def search(request):
    """Ranked search over published links, with filters and facets (archive.search)."""
    params = request.GET
    text = params.get("q", "")[: tokens.MAX_QUERY_LENGTH]
    query = tokens.parse_query(text)
    sort = "new" if params.get("sort") == "new" else "relevance"
    filters, notices, satisfiable = _search_filters(params)
    if text.strip() and not query:
        notices.append("Nothing to search for in that query: here are the newest links.")
    try:
        page_number = max(int(params.get("page", 1)), 1)
    except ValueError:
        page_number = 1
    page_number = min(page_number, engine.MATCH_CAP // SEARCH_PAGE_SIZE)

    if satisfiable:
        result = engine.search(
            query,
            filters,
            sort=sort,
            offset=(page_number - 1) * SEARCH_PAGE_SIZE,
            limit=SEARCH_PAGE_SIZE,
        )
    else:
        result = engine.Result(ids=[], total=0, capped=False, facets={})
    by_id = {
        link.pk: link
        for link in Link.objects.filter(pk__in=result.ids).select_related(
            "section__issue", "section__category"
        )
    }
    links = attach_tags([by_id[pk] for pk in result.ids if pk in by_id])
    for link in links:
        link.marked_title = highlight.mark(link.title, query.words)
        link.snippet = highlight.snippet(link.annotation_html, query.words)

    pages = max((min(result.total, engine.MATCH_CAP) - 1) // SEARCH_PAGE_SIZE + 1, 1)
    base = _query_string(params)
    return render(
        request,
        "archive/search.html",
        {
            "q": text,
            "sort": sort,
            "links": links,
            "total": result.total,
            "capped": result.capped,
            "facets": _facet_items(params, result, filters),
            "notices": notices,
            "has_query": bool(query),
            "page_number": page_number,
            "previous_url": f"{base}&page={page_number - 1}" if page_number > 1 else None,
            "next_url": f"{base}&page={page_number + 1}" if page_number < pages else None,
            "sort_urls": {
                "relevance": _query_string(params, sort=None),
                "new": _query_string(params, sort="new"),
            },
        },
    )
