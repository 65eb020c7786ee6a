"""The reader's pages. Each makes a fixed number of queries whatever the archive's size."""

from .pages import (
    category_detail,
    category_list,
    domain_detail,
    healthz,
    home,
    issue_detail,
    issue_list,
    link_detail,
    robots_txt,
    tag_detail,
    tag_list,
    year_detail,
)
from .search import search
from .subscribe import confirm, subscribe, unsubscribe
from .suggest import suggest

__all__ = [
    "category_detail",
    "confirm",
    "category_list",
    "domain_detail",
    "healthz",
    "home",
    "issue_detail",
    "issue_list",
    "link_detail",
    "robots_txt",
    "search",
    "subscribe",
    "suggest",
    "tag_detail",
    "tag_list",
    "unsubscribe",
    "year_detail",
]
