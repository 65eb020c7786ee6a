"""What the public API answers with: the OpenAPI schema is generated from these."""

import datetime

from ninja import Schema
from pydantic import Field


class Error(Schema):
    detail: str = Field(description="What went wrong, in words.")
    errors: list["FieldError"] = Field(default_factory=list)


class FieldError(Schema):
    field: str = Field(description="The parameter at fault.")
    message: str


Error.model_rebuild()


class Tag(Schema):
    name: str
    slug: str


class CategoryRef(Schema):
    name: str
    slug: str


class IssueRef(Schema):
    number: int | None = Field(description="None for a special issue.")
    slug: str = Field(description="A special issue's name in its address; empty otherwise.")
    title: str
    date: datetime.date | None = Field(description="The issue's own date; None if undated.")
    url: str = Field(description="The issue's page.")


class Child(Schema):
    id: int
    title: str
    url: str
    annotation: str = Field(description="Markdown, as the editor wrote it.")
    annotation_html: str = Field(description="The annotation rendered and sanitised.")


class Link(Schema):
    id: int
    title: str
    url: str = Field(description="The address featured; empty for a text entry (a quote).")
    domain: str
    annotation: str = Field(description="Markdown, as the editor wrote it.")
    annotation_html: str = Field(description="The annotation rendered and sanitised.")
    tags: list[Tag]
    dead: bool = Field(description="The link checker found it gone.")
    archived_copy: str = Field(description="An Internet Archive snapshot of a gone link, or ''.")
    page: str = Field(description="The link's page on the site.")
    api_url: str


class FoundLink(Link):
    issue: IssueRef
    category: CategoryRef


class IssueLink(Link):
    children: list[Child] = Field(description="Similar links the editor grouped under it.")


class Section(Schema):
    category: CategoryRef
    untitled: bool = Field(
        description="The issue's opening links, shown without a heading (their category is "
        "the archive's “Uncategorized”)."
    )
    note: str = Field(description="Markdown, above the section's links.")
    note_html: str
    links: list[IssueLink]


class IssueSummary(IssueRef):
    published_at: datetime.datetime
    link_count: int
    api_url: str


class Issue(IssueSummary):
    description: str = Field(description="A sentence for link previews; may be empty.")
    image: str = Field(description="The issue's sharing image (an address); may be empty.")
    lede_heading: str
    lede: str = Field(description="Markdown.")
    lede_html: str
    sections: list[Section]


class Appearance(Schema):
    link_id: int
    issue: IssueRef
    category: CategoryRef


class LinkDetail(FoundLink):
    children: list[Child]
    also_featured_in: list[Appearance] = Field(
        description="Other published issues that featured the same address, newest first."
    )


class Page(Schema):
    count: int = Field(description="How many there are in all.")
    next: str | None = Field(description="The next page's address, or None on the last.")
    previous: str | None


class IssuePage(Page):
    results: list[IssueSummary]


class FacetValue(Schema):
    value: str = Field(description="What to pass as the filter: a slug, a domain or a year.")
    name: str
    count: int


class Facets(Schema):
    categories: list[FacetValue]
    tags: list[FacetValue]
    domains: list[FacetValue]
    years: list[FacetValue]


class LinkPage(Page):
    capped: bool = Field(description="More matched than the search ranks; count is the cap.")
    facets: Facets
    results: list[FoundLink]


class Category(Schema):
    name: str
    slug: str
    description: str
    link_count: int
    page: str


class Counted(Schema):
    name: str
    slug: str = Field(description="The value of the links endpoint's filter.")
    link_count: int
    page: str


class CountedPage(Page):
    results: list[Counted]


# The editors' inbox (POST /api/inbox/, with a token) ------------------------------------


class InboxIn(Schema):
    url: str = Field(description="An http(s) address.", max_length=2000)
    title: str = Field("", max_length=1000, description="Without one, the page's own.")
    note: str = Field("", max_length=20_000, description="Markdown: the annotation to be.")
    tags: list[str] = Field(default_factory=list, max_length=20)


class Featured(Schema):
    number: int | None
    url: str
    published: bool


class InboxItem(Schema):
    id: int
    url: str
    title: str
    note: str
    description: str = Field(description="The page's own description, fetched.")
    tags: list[str]
    source: str
    created_at: datetime.datetime
    admin_url: str
    featured_in: list[Featured] = Field(description="Issues that featured the address before.")
    in_inbox: int = Field(description="How many other inbox items wait with the address.")
    notices: list[str]


class InboxError(Schema):
    error: str
    errors: dict[str, list[str]] = Field(
        default_factory=dict, description="Each field's errors; __all__ for the whole body."
    )
