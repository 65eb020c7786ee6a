"""A link as the search index sees it (archive.search)."""

from django.db import models

from .issues import Issue
from .links import Link
from .taxonomy import Category


class SearchEntry(models.Model):
    """A link as the search index sees it: its tokens per field (archive.search.tokens) and the
    columns search filters on. PostgreSQL adds a weighted tsvector with a GIN index over the
    token columns; SQLite an FTS5 table kept in step by triggers (migration 0002).

    Rows are written by archive.search.index, never by hand."""

    link = models.OneToOneField(
        Link, on_delete=models.CASCADE, primary_key=True, related_name="search_entry"
    )
    issue = models.ForeignKey(Issue, on_delete=models.CASCADE, related_name="+")
    category = models.ForeignKey(Category, on_delete=models.CASCADE, related_name="+")
    issue_number = models.PositiveIntegerField(null=True)  # newest first, without a join
    published_at = models.DateTimeField(null=True)  # the issue's, so search needs no join
    domain = models.CharField(max_length=255, blank=True)
    year = models.PositiveSmallIntegerField(null=True)
    title = models.TextField(blank=True)
    meta = models.TextField(blank=True)  # tags and category
    body = models.TextField(blank=True)  # annotation
    address = models.TextField(blank=True)  # URL and domain

    class Meta:
        indexes = [
            # Filters without a query, and on PostgreSQL the newest link of a domain or a year,
            # where a filtered search starts reading (archive.search.engine).
            models.Index(fields=["domain", "link"], name="searchentry_domain_link_idx"),
            models.Index(fields=["year", "link"], name="searchentry_year_link_idx"),
        ]

    def __str__(self):
        return f"search entry of link {self.link_id}"
