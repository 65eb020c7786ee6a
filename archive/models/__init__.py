"""The archive's data: one module per aggregate. Everything is importable from here
(``from archive.models import Issue, Link``), as Django and the migrations expect."""

from .fields import HttpURLField, http_only, http_url_validator, refuse_unsafe_url
from .health import NEVER_CHECKED, LinkCheck, LinkHealth, checked_order
from .history import AuditEvent, Revision, TrashItem, Via
from .inbox import ApiToken, BookmarkletKey, InboxItem, InboxItemQuerySet, TaggedInboxItem
from .issues import (
    NO_DATE,
    NO_NUMBER,
    PREVIEW_PERMISSION,
    Issue,
    IssueQuerySet,
    Section,
    may_preview,
    newest_date,
    newest_number,
)
from .links import Link, LinkQuerySet, TaggedLink, link_rank, tag_names_by_link, tags_by_link
from .mailing import Delivery, Mailing, Subscriber
from .search import SearchEntry
from .tallies import ArchiveState, IssueTally, Tally
from .taxonomy import Category, CategoryAlias, tag_slug_of_symbols, unicode_slug

__all__ = [
    "NEVER_CHECKED",
    "NO_DATE",
    "NO_NUMBER",
    "PREVIEW_PERMISSION",
    "ApiToken",
    "ArchiveState",
    "AuditEvent",
    "BookmarkletKey",
    "Category",
    "CategoryAlias",
    "Delivery",
    "HttpURLField",
    "InboxItem",
    "InboxItemQuerySet",
    "Issue",
    "IssueQuerySet",
    "IssueTally",
    "Link",
    "Mailing",
    "LinkCheck",
    "LinkHealth",
    "LinkQuerySet",
    "Revision",
    "SearchEntry",
    "Section",
    "TaggedInboxItem",
    "TaggedLink",
    "TrashItem",
    "Via",
    "Subscriber",
    "Tally",
    "checked_order",
    "http_only",
    "http_url_validator",
    "link_rank",
    "may_preview",
    "newest_date",
    "newest_number",
    "refuse_unsafe_url",
    "tag_names_by_link",
    "tag_slug_of_symbols",
    "tags_by_link",
    "unicode_slug",
]
