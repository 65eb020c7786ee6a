"""Keeping the search index current: one SearchEntry row per link.

``refresh(link_ids)`` recomputes the rows of those links in bulk. Signals (archive.signals)
schedule it for after an edit commits; the importer defers them and refreshes a whole issue at
once; ``manage.py rebuild_search_index`` refreshes everything."""

from __future__ import annotations

import html
import threading
from contextlib import contextmanager

from django.db import connection, transaction
from django.utils.html import strip_tags

from ..models import Link, SearchEntry, tag_names_by_link
from .tokens import index_tokens

BATCH = 2000
MAX_POSITIONS = 256  # per lexeme, as PostgreSQL allows
MAX_LEXEME = 200
_state = threading.local()


@contextmanager
def deferred():
    """Within this block, edits do not refresh the index; the caller refreshes once after."""
    previous = getattr(_state, "deferred", False)
    _state.deferred = True
    try:
        yield
    finally:
        _state.deferred = previous


def is_deferred():
    return getattr(_state, "deferred", False)


def schedule(link_ids):
    """Refresh these links once the current transaction commits (at once outside one)."""
    if is_deferred():
        return
    ids = set(link_ids)
    if ids:
        transaction.on_commit(lambda: refresh(ids))


def tsvector_literal(fields):
    """A tsvector in PostgreSQL's text form from [(tokens, weight)]: positions run on across
    fields with a gap between them, so no phrase spans two fields."""
    positions = {}
    position = 1
    for tokens, weight in fields:
        for token in tokens:
            if position > 16383:
                break
            if len(token) <= MAX_LEXEME:
                found = positions.setdefault(token, [])
                if len(found) < MAX_POSITIONS:
                    found.append(f"{position}{weight}")
            position += 1
        position += 1
    return " ".join(
        "'" + token.replace("\\", "\\\\").replace("'", "''") + "':" + ",".join(places)
        for token, places in positions.items()
    )


def entry_fields(link, tag_names):
    """The four weighted fields of a link: title; tags and category; annotation; address."""
    annotation = html.unescape(strip_tags(link.annotation_html))
    return [
        (index_tokens(link.title), "A"),
        (index_tokens(" ".join([*tag_names, link.section.category.name])), "B"),
        (index_tokens(annotation), "C"),
        (index_tokens(f"{link.url} {link.domain}") if link.url else [], "D"),
    ]


def refresh(link_ids):
    """Recompute the search entries of these links (deleted links lose theirs)."""
    ids = sorted(set(link_ids))
    postgres = connection.vendor == "postgresql"
    for start in range(0, len(ids), BATCH):
        chunk = ids[start : start + BATCH]
        links = Link.objects.filter(pk__in=chunk).select_related(
            "section__issue", "section__category"
        )
        tags = tag_names_by_link(chunk)
        rows, vectors = [], []
        for link in links:
            issue = link.section.issue
            fields = entry_fields(link, tags.get(link.pk, []))
            entry = SearchEntry(
                link_id=link.pk,
                issue_id=issue.pk,
                issue_number=issue.number,
                category_id=link.section.category_id,
                domain=link.domain,
                year=issue.date.year if issue.date else None,
            )
            if postgres:
                vectors.append((link.pk, (tsvector_literal(fields), tsvector_literal(fields[:2]))))
            else:
                entry.title, entry.meta, entry.body, entry.address = (
                    " ".join(tokens) for tokens, _weight in fields
                )
            rows.append(entry)
        with transaction.atomic():
            SearchEntry.objects.filter(link_id__in=chunk).delete()
            if postgres:
                _copy_rows(rows, dict(vectors))
            else:
                SearchEntry.objects.bulk_create(rows, batch_size=500)


COPY_COLUMNS = (
    "link_id",
    "issue_id",
    "issue_number",
    "category_id",
    "domain",
    "year",
    "title",
    "meta",
    "body",
    "address",
    "document",
    "heading",
)


def _copy_rows(rows, vectors):
    """PostgreSQL: the rows and their tsvectors in one COPY, the fastest way in."""
    with connection.cursor() as cursor:
        columns = ", ".join(COPY_COLUMNS)
        with cursor.cursor.copy(f"COPY archive_searchentry ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(
                    (
                        row.link_id,
                        row.issue_id,
                        row.issue_number,
                        row.category_id,
                        row.domain,
                        row.year,
                        row.title,
                        row.meta,
                        row.body,
                        row.address,
                        *vectors[row.link_id],
                    )
                )


GIN_INDEX = "archive_searchentry_document_gin"
BRIN_INDEX = "archive_searchentry_recency_brin"


def refresh_all(progress=None):
    """Rebuild every entry, in batches; returns the number of links indexed. On PostgreSQL
    the GIN index is dropped first and built again at the end, which is much faster than
    growing it row by row."""
    ids = list(Link.objects.order_by("pk").values_list("pk", flat=True))
    postgres = connection.vendor == "postgresql"
    with transaction.atomic():
        if postgres:
            with connection.cursor() as cursor:
                # Deferred foreign-key checks must run before the index can be dropped.
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                cursor.execute(f"DROP INDEX IF EXISTS {GIN_INDEX}")
                cursor.execute("DELETE FROM archive_searchentry")
        else:
            SearchEntry.objects.all().delete()
        step = BATCH * 5
        for start in range(0, len(ids), step):
            refresh(ids[start : start + step])
            if progress:
                progress(min(start + step, len(ids)), len(ids))
        if postgres:
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
                cursor.execute(
                    f"CREATE INDEX {GIN_INDEX} ON archive_searchentry USING gin (document)"
                )
                # Rows written since the BRIN index was built are in no summarised range yet.
                cursor.execute(f"SELECT brin_summarize_new_values('{BRIN_INDEX}')")
                cursor.execute("ANALYZE archive_searchentry")
    return len(ids)
