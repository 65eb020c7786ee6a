"""Keeping the search index current: one SearchEntry row per link.

``refresh(link_ids)`` recomputes the rows of those links in bulk. Signals
(archive.publishing.signals) schedule it for after an edit commits; the importer defers them
and refreshes a whole issue at once; ``manage.py rebuild_search_index`` refreshes everything."""

from __future__ import annotations

import collections
import multiprocessing
import os
import threading
from contextlib import contextmanager

from django.db import connection, transaction

from ..models import Link, SearchEntry, tags_by_link
from . import documents
from .documents import LinkValues

BATCH = 2000
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


def schedule_issues(issue_ids):
    """Refresh the links of these issues once the current transaction commits; for changes
    to issues made without signals, like ``QuerySet.update()``."""
    if not is_deferred():
        schedule(Link.objects.filter(section__issue__in=issue_ids).values_list("pk", flat=True))


def link_values(link_ids):
    """The LinkValues of these links, read in two queries without model instances, which
    would cost more than the tokens."""
    tags = tags_by_link(link_ids)
    rows = Link.objects.filter(pk__in=link_ids).values_list(
        "pk",
        "title",
        "url",
        "domain",
        "annotation_html",
        "section__category_id",
        "section__category__name",
        "section__issue_id",
        "section__issue__number",
        "section__issue__published_at",
        "section__issue__date",
    )
    return [
        LinkValues(
            *values[:10], year=values[10].year if values[10] else None, tags=tags.get(values[0], [])
        )
        for values in rows
    ]


def refresh(link_ids):
    """Recompute the search entries of these links (deleted links lose theirs)."""
    ids = sorted(set(link_ids))
    postgres = connection.vendor == "postgresql"
    for start in range(0, len(ids), BATCH):
        chunk = ids[start : start + BATCH]
        rows = _rows(chunk, postgres)
        with transaction.atomic():
            SearchEntry.objects.filter(link_id__in=chunk).delete()
            _write(rows, postgres)


def _rows(link_ids, postgres):
    """The entries of these links as each database takes them in: COPY text on PostgreSQL,
    SearchEntry instances on SQLite."""
    links = link_values(link_ids)
    return documents.copy_text(links) if postgres else _sqlite_entries(links)


def _write(rows, postgres, freeze=False):
    if postgres:
        _copy(rows, freeze=freeze)
    else:
        SearchEntry.objects.bulk_create(rows, batch_size=500)


def _sqlite_entries(links):
    entries = []
    for link in links:
        title, meta, body, address = (" ".join(tokens) for tokens, _x, _w in documents.fields(link))
        entries.append(
            SearchEntry(
                link_id=link.link_id,
                issue_id=link.issue_id,
                issue_number=link.issue_number,
                published_at=link.published_at,
                category_id=link.category_id,
                domain=link.domain,
                year=link.year,
                title=title,
                meta=meta,
                body=body,
                address=address,
            )
        )
    return entries


def _copy(text, freeze=False):
    """PostgreSQL: rows in COPY's text format (documents.copy_text), the fastest way in."""
    with connection.cursor() as cursor:
        columns = ", ".join(documents.COPY_COLUMNS)
        options = " WITH (FREEZE)" if freeze else ""
        statement = f"COPY archive_searchentry ({columns}) FROM STDIN{options}"
        with cursor.cursor.copy(statement) as copy:
            copy.write(text)


GIN_INDEX = "archive_searchentry_document_gin"
PARALLEL_MIN = 20_000  # links; fewer are rebuilt in this process


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
                # Emptied by TRUNCATE, the table is rewritten whole, leaving no dead rows,
                # and COPY can write its rows frozen (no later vacuum has to visit them).
                cursor.execute("TRUNCATE archive_searchentry")
        else:
            SearchEntry.objects.all().delete()
        done = 0
        chunks = [ids[start : start + REBUILD_STEP] for start in range(0, len(ids), REBUILD_STEP)]
        for chunk, rows in _rebuilt(chunks, postgres):
            _write(rows, postgres, freeze=True)
            done += len(chunk)
            if progress:
                progress(done, len(ids))
        if postgres:
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                cursor.execute("SET LOCAL maintenance_work_mem = '1GB'")
                cursor.execute(
                    f"CREATE INDEX {GIN_INDEX} ON archive_searchentry USING gin (document)"
                )
                cursor.execute("ANALYZE archive_searchentry")
    return len(ids)


REBUILD_STEP = 5000


def _rebuilt(chunks, postgres):
    """(chunk of link ids, their rows) in order. On PostgreSQL with many links, the rows are
    computed by a worker process per core while this one reads the next chunks and writes
    the rows (the tokens, not the database, are what a rebuild spends most on)."""
    workers = os.cpu_count() or 1
    if not postgres or workers < 2 or sum(map(len, chunks)) < PARALLEL_MIN:
        for chunk in chunks:
            yield chunk, _rows(chunk, postgres)
        return
    # spawn: the workers import archive.search.documents only, and share no connection.
    with multiprocessing.get_context("spawn").Pool(workers) as pool:
        pending = collections.deque()
        for chunk in chunks:
            work = pool.apply_async(documents.copy_text, (link_values(chunk),))
            pending.append((chunk, work))
            if len(pending) > workers:
                chunk, work = pending.popleft()
                yield chunk, work.get()
        while pending:
            chunk, work = pending.popleft()
            yield chunk, work.get()
