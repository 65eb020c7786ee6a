"""The endpoints of /api/v1/. Each makes a fixed number of queries whatever the archive's size:
lists read their page only, counts come from the tallies (archive.publishing.tallies), tags
are read in one query a page (``attach_tags``)."""

from typing import Literal

from django.http import Http404
from django.urls import reverse
from ninja import Path, Query, Router
from ninja.errors import HttpError
from taggit.models import Tag

from ..models import Category, Issue, Link, Tally, newest_date, newest_number
from ..publishing import tallies
from ..publishing.addresses import Addresses, absolute
from ..search import engine, tokens
from ..templatetags.archive_tags import http_url
from ..views.pages import also_featured, attach_tags, categories_with_counts, issue_contents
from . import schemas

Kind = Tally.Kind
PAGE_SIZE = 50
LINKS_PAGE_SIZE = 20
MAX_PAGE = 10_000
APPEARANCES = 20
MAX_TAGS = 5
MAX_ID = 2**31 - 1  # the databases' integer: anything past it is no id
ERRORS = {400: schemas.Error, 404: schemas.Error, 429: schemas.Error}

router = Router(tags=["archive"])


class UnknownValue(HttpError):
    """A 404 that names the parameter at fault: a filter by a category or tag that does not
    exist (well-formed, so no 400; the thing it names is not found)."""

    def __init__(self, field, message):
        super().__init__(404, message)
        self.field = field


# Building blocks ------------------------------------------------------------------------


def api_path(name, *args):
    return reverse(f"api:{name}", args=args)


def paged(request, page, count, size):
    """(offset, next URL, previous URL) of page ``page``, or 404 past the last."""
    pages = max((count - 1) // size + 1, 1)
    if page > pages:
        raise Http404(f"Page {page} is past the last one ({pages}).")

    def at(number):
        query = request.GET.copy()
        query["page"] = str(number)
        return absolute(request, f"{request.path}?{query.urlencode()}")

    return (
        (page - 1) * size,
        at(page + 1) if page < pages else None,
        at(page - 1) if page > 1 else None,
    )


def issue_ref(request, issue):
    return {
        "number": issue.number,
        "slug": issue.slug if issue.number is None else "",
        "title": issue.display_title,
        "date": issue.date,
        "url": absolute(request, issue.get_absolute_url()),
    }


def category_ref(category):
    return {"name": category.name, "slug": category.slug}


def link_fields(request, link):
    """A link presented by Addresses (page_url, is_dead, archived_copy) with its tag_list."""
    return {
        "id": link.pk,
        "title": link.title,
        "url": link.target,  # Addresses.present: the http(s) address, or ""
        "domain": link.domain,
        "annotation": link.annotation,
        "annotation_html": link.annotation_html,
        "tags": [{"name": name, "slug": slug} for name, slug in link.tag_list],
        "dead": link.is_dead,
        "archived_copy": link.archived_copy,
        "page": absolute(request, link.page_url),
        "api_url": absolute(request, api_path("link", link.pk)),
    }


def child_fields(child):
    return {
        "id": child.pk,
        "title": child.title,
        "url": http_url(child.url),
        "annotation": child.annotation,
        "annotation_html": child.annotation_html,
    }


def found_link(request, link):
    return {
        **link_fields(request, link),
        "issue": issue_ref(request, link.section.issue),
        "category": category_ref(link.section.category),
    }


def issue_summary(request, issue):
    return {
        **issue_ref(request, issue),
        "published_at": issue.published_at,
        "link_count": issue.link_count,
        "api_url": absolute(
            request,
            api_path("issue", issue.number)
            if issue.number is not None
            else api_path("special", issue.slug),
        ),
    }


def published_issue(**found):
    issue = Issue.objects.published().filter(**found).first()
    if issue is None:
        raise Http404("No published issue with that number.")
    return issue


# Issues ---------------------------------------------------------------------------------


@router.get("issues/", response={200: schemas.IssuePage, **ERRORS}, url_name="issues")
def issues(request, page: int = Query(1, ge=1, le=MAX_PAGE)):
    """Published issues, newest first (undated ones last), a page at a time."""
    count = tallies.count(Kind.ISSUES)
    offset, following, previous = paged(request, page, count, PAGE_SIZE)
    rows = Issue.objects.published().order_by(newest_date(), newest_number(), "-pk")
    return {
        "count": count,
        "next": following,
        "previous": previous,
        "results": [issue_summary(request, issue) for issue in rows[offset : offset + PAGE_SIZE]],
    }


@router.get("issues/{number}/", response={200: schemas.Issue, **ERRORS}, url_name="issue")
def issue(request, number: int = Path(..., ge=1, le=MAX_ID)):
    """One issue whole: its lede, its sections in order, their links with annotations (as
    Markdown and as sanitised HTML), tags and the similar links grouped under each."""
    return whole_issue(request, published_issue(number=number))


@router.get("specials/{slug}/", response={200: schemas.Issue, **ERRORS}, url_name="special")
def special(request, slug: str = Path(..., max_length=100)):
    """A special issue (one without a number), whole."""
    return whole_issue(request, published_issue(number=None, slug=printable(slug)))


def whole_issue(request, found):
    sections, _links = issue_contents(found, Addresses())
    return {
        **issue_summary(request, found),
        "description": found.description,
        "image": found.image,
        "lede_heading": found.lede_heading,
        "lede": found.lede,
        "lede_html": found.lede_html,
        "sections": [
            {
                "category": category_ref(section.category),
                "untitled": section.untitled,
                "note": section.note,
                "note_html": section.note_html,
                "links": [
                    {
                        **link_fields(request, link),
                        "children": [child_fields(child) for child in link.child_links],
                    }
                    for link in section.top_links
                ],
            }
            for section in sections
        ],
    }


# Links ----------------------------------------------------------------------------------


def printable(text):
    """A parameter as the database may take it: PostgreSQL refuses NUL in any text."""
    return text.replace("\x00", "").strip()


def search_filters(category, tags, domain, year):
    category, domain = printable(category), printable(domain)
    filters = engine.Filters(domain=domain.lower(), year=year)
    if category:
        known = tallies.counted(Category.objects.filter(slug=category), Tally.Kind.CATEGORY)
        found = known.values_list("pk", flat=True).first()
        if found is None:
            raise UnknownValue("category", f"No category “{category[:50]}”.")
        filters.category = found
    tags = sorted({printable(slug) for slug in tags} - {""})
    if tags:
        known = tallies.counted(Tag.objects.filter(slug__in=tags), Tally.Kind.TAG)
        filters.tags = list(known.values_list("pk", flat=True))
        if len(filters.tags) < len(tags):
            raise UnknownValue("tag", "Some of these tags do not exist.")
    return filters


def facet_values(facets):
    def values(rows):
        return [{"value": slug, "name": name, "count": n} for _id, name, slug, n in rows]

    return {
        "categories": values(facets.get("categories", [])),
        "tags": values(facets.get("tags", [])),
        "domains": [
            {"value": domain, "name": domain, "count": n} for domain, n in facets.get("domains", [])
        ],
        "years": [
            {"value": str(year), "name": str(year), "count": n}
            for year, n in facets.get("years", [])
        ],
    }


@router.get("links/", response={200: schemas.LinkPage, **ERRORS}, url_name="links")
def links(
    request,
    q: str = Query("", max_length=tokens.MAX_QUERY_LENGTH, description="Words to search for."),
    category: str = Query("", max_length=100, description="A category's slug."),
    tag: list[str] = Query(
        [], max_length=MAX_TAGS, description="A tag's slug; repeat for links with all of them."
    ),
    domain: str = Query("", max_length=255),
    year: int | None = Query(None, ge=1900, le=2999, description="The issue's year."),
    sort: Literal["relevance", "new"] = Query("relevance", description="new: newest first."),
    page: int = Query(1, ge=1, le=engine.MATCH_CAP // LINKS_PAGE_SIZE),
):
    """Published links found by the site's search engine (Chinese and English alike), with
    the filters' facets. Without ``q``, the newest links."""
    filters = search_filters(category, tag, domain, year)
    result = engine.search(
        tokens.parse_query(printable(q)),
        filters,
        sort=sort,
        offset=(page - 1) * LINKS_PAGE_SIZE,
        limit=LINKS_PAGE_SIZE,
    )
    count = min(result.total, engine.MATCH_CAP)
    _offset, following, previous = paged(request, page, count, LINKS_PAGE_SIZE)
    by_id = Link.objects.select_related("section__issue", "section__category", "health").in_bulk(
        result.ids
    )
    found = Addresses().present(attach_tags([by_id[pk] for pk in result.ids if pk in by_id]))
    return {
        "count": count,
        "capped": result.capped,
        "next": following,
        "previous": previous,
        "facets": facet_values(result.facets),
        "results": [found_link(request, link) for link in found],
    }


@router.get("links/{link_id}/", response={200: schemas.LinkDetail, **ERRORS}, url_name="link")
def link(request, link_id: int = Path(..., ge=1, le=MAX_ID)):
    """One published link, its similar links, and the other issues that featured it."""
    found = (
        Link.objects.published()
        .select_related("section__issue", "section__category", "health")
        .filter(pk=link_id)
        .first()
    )
    if found is None:
        raise Http404("No published link with that id.")
    Addresses().present(attach_tags([found]))
    return {
        **found_link(request, found),
        "children": [child_fields(child) for child in found.children.order_by("position")],
        "also_featured_in": [
            {
                "link_id": other.pk,
                "issue": issue_ref(request, other.section.issue),
                "category": category_ref(other.section.category),
            }
            for other in also_featured(found, APPEARANCES)
        ],
    }


# Categories, tags, domains --------------------------------------------------------------


@router.get("categories/", response={200: list[schemas.Category], **ERRORS}, url_name="categories")
def categories(request):
    """Every category in the site's order, with how many published links it holds."""
    return [
        {
            "name": category.name,
            "slug": category.slug,
            "description": category.description,
            "link_count": category.link_count,
            "page": absolute(request, category.get_absolute_url()),
        }
        for category in categories_with_counts()
    ]


def ranked(request, kind, page):
    """(count, next, previous, tallies of the page) of a kind's tallies, most links first."""
    count = tallies.count(Kind.DISTINCT, kind)
    offset, following, previous = paged(request, page, count, PAGE_SIZE)
    rows = list(
        Tally.objects.filter(kind=kind).order_by("-count", "key")[offset : offset + PAGE_SIZE]
    )
    return count, following, previous, rows


@router.get("tags/", response={200: schemas.CountedPage, **ERRORS}, url_name="tags")
def tags(request, page: int = Query(1, ge=1, le=MAX_PAGE)):
    """Tags, most used first, with how many published links carry each."""
    count, following, previous, rows = ranked(request, Kind.TAG, page)
    names = Tag.objects.in_bulk([int(row.key) for row in rows])
    addresses = Addresses()
    results = [
        {
            "name": names[int(row.key)].name,
            "slug": names[int(row.key)].slug,
            "link_count": row.count,
            "page": absolute(request, addresses.tag(names[int(row.key)].slug)),
        }
        for row in rows
        if int(row.key) in names
    ]
    return {"count": count, "next": following, "previous": previous, "results": results}


@router.get("domains/", response={200: schemas.CountedPage, **ERRORS}, url_name="domains")
def domains(request, page: int = Query(1, ge=1, le=MAX_PAGE)):
    """Domains, most featured first, with how many published links point there."""
    count, following, previous, rows = ranked(request, Kind.DOMAIN, page)
    addresses = Addresses()
    results = [
        {
            "name": row.key,
            "slug": row.key,
            "link_count": row.count,
            "page": absolute(request, addresses.domain(row.key)),
        }
        for row in rows
    ]
    return {"count": count, "next": following, "previous": previous, "results": results}
