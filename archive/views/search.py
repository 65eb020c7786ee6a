"""The search page: ranked results, filters and facets (archive.search)."""

from django.http import QueryDict
from django.shortcuts import render
from django.utils.translation import gettext as _
from taggit.models import Tag

from ..models import Category, Link, Tally
from ..publishing import tallies
from ..publishing.addresses import Addresses
from ..search import engine, highlight, tokens
from .pages import attach_tags

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


def printable(params):
    """The query string without NUL characters, which PostgreSQL refuses in any text."""
    if not any("\x00" in name + "".join(values) for name, values in params.lists()):
        return params
    clean = QueryDict(mutable=True)
    for name, values in params.lists():
        clean.setlist(name.replace("\x00", ""), [value.replace("\x00", "") for value in values])
    return clean


def _search_filters(params):
    """(filters, notices, satisfiable) from the query string; an unknown category or tag
    makes the search unsatisfiable rather than silently ignored."""
    filters = engine.Filters(domain=params.get("domain", "").strip().lower()[:255])
    notices, satisfiable = [], True
    if params.get("category"):
        known = tallies.counted(Category.objects.all(), Tally.Kind.CATEGORY)
        category = known.filter(slug=params["category"]).first()
        if category is None:
            notices.append(_("No category “%(name)s”.") % {"name": params["category"][:50]})
            satisfiable = False
        else:
            filters.category = category.pk
    tag_slugs = set(params.getlist("tag")[:5])
    if tag_slugs:
        known = tallies.counted(Tag.objects.filter(slug__in=tag_slugs), Tally.Kind.TAG)
        filters.tags = list(known.values_list("pk", flat=True))
        if len(filters.tags) < len(tag_slugs):
            notices.append(_("Some tags in the filter do not exist."))
            satisfiable = False
    year = params.get("year", "")
    if year:
        if year.isdigit() and 1900 <= int(year) <= 2999:
            filters.year = int(year)
        else:
            notices.append(_("“%(year)s” is not a year.") % {"year": year[:20]})
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
    params = printable(request.GET)
    text = params.get("q", "")[: tokens.MAX_QUERY_LENGTH]
    query = tokens.parse_query(text)
    sort = "new" if params.get("sort") == "new" else "relevance"
    filters, notices, satisfiable = _search_filters(params)
    if text.strip() and not query:
        notices.append(_("Nothing to search for in that query: here are the newest links."))
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
            "section__issue", "section__category", "health"
        )
    }
    links = Addresses().present(attach_tags([by_id[pk] for pk in result.ids if pk in by_id]), True)
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
