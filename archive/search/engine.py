"""Running a search on PostgreSQL (tsvector, GIN, ts_rank) or SQLite (FTS5, bm25).

One SQL statement finds the matches, bounded to ``MATCH_CAP`` rows so that a common word never
makes a page rank half the archive, and returns in the same round trip the page of link ids,
the number of matches and the facet counts over them. The page's links are then read by the
view with the ORM."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from django.db import connection
from django.utils import timezone

from .tokens import to_fts5, to_tsquery

MATCH_CAP = 5000
FACET_SIZE = 12
WEIGHTS_FTS = "10.0, 5.0, 2.0, 1.0"  # title, tags and category, annotation, address


@dataclass
class Filters:
    category: int | None = None
    tags: list[int] = field(default_factory=list)
    domain: str = ""
    year: int | None = None
    published_only: bool = True  # the admin searches drafts too


@dataclass
class Result:
    ids: list[int]
    total: int
    capped: bool
    facets: dict


def _filters_sql(filters, params, now):
    clauses = ["i.published_at <= %s"] if filters.published_only else ["1 = 1"]
    if filters.published_only:
        params.append(now)
    if filters.category is not None:
        clauses.append("se.category_id = %s")
        params.append(filters.category)
    if filters.domain:
        clauses.append("se.domain = %s")
        params.append(filters.domain)
    if filters.year is not None:
        clauses.append("se.year = %s")
        params.append(filters.year)
    for tag in filters.tags:
        clauses.append(
            "se.link_id IN (SELECT content_object_id FROM archive_taggedlink WHERE tag_id = %s)"
        )
        params.append(tag)
    return " AND ".join(clauses)


def _facets_sql(json_agg):
    """The counting half of the statement, shared by both engines (``json_agg`` differs)."""
    limit = FACET_SIZE
    return f"""
        (SELECT count(*) FROM matches) AS total,
        (SELECT {json_agg}(x) FROM (
            SELECT json_array(c.id, c.name, c.slug, count(*)) AS x FROM matches m
            JOIN archive_category c ON c.id = m.category_id
            GROUP BY c.id, c.name, c.slug ORDER BY count(*) DESC, c.name LIMIT {limit}) f
        ) AS categories,
        (SELECT {json_agg}(x) FROM (
            SELECT json_array(t.id, t.name, t.slug, count(*)) AS x FROM matches m
            JOIN archive_taggedlink tl ON tl.content_object_id = m.link_id
            JOIN taggit_tag t ON t.id = tl.tag_id
            GROUP BY t.id, t.name, t.slug ORDER BY count(*) DESC, t.name LIMIT {limit}) f
        ) AS tags,
        (SELECT {json_agg}(x) FROM (
            SELECT json_array(m.domain, count(*)) AS x FROM matches m WHERE m.domain <> ''
            GROUP BY m.domain ORDER BY count(*) DESC, m.domain LIMIT {limit}) f
        ) AS domains,
        (SELECT {json_agg}(x) FROM (
            SELECT json_array(m.year, count(*)) AS x FROM matches m WHERE m.year IS NOT NULL
            GROUP BY m.year ORDER BY m.year DESC LIMIT {limit}) f
        ) AS years
    """


def search(query, filters, *, sort="relevance", offset=0, limit=20, now=None):
    """Link ids of one page of results, most relevant (or newest) first, with the facets.

    Without a query, the newest links that pass the filters."""
    now = now or timezone.now()
    params = []
    where = _filters_sql(filters, params, now)
    postgres = connection.vendor == "postgresql"
    if not query:
        sql = _browse_sql(where, "json_agg" if postgres else "json_group_array", postgres)
        params = [*params, MATCH_CAP]
    elif postgres:
        sql = _postgres_sql(where, sort)
        params = [to_tsquery(query), *params, MATCH_CAP]
    else:
        sql = _sqlite_sql(where, sort)
        params = [to_fts5(query), *params, MATCH_CAP]
    params += [limit, offset]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        page, total, categories, tags, domains, years = cursor.fetchone()
    facets = {
        "categories": _decode(categories),
        "tags": _decode(tags),
        "domains": _decode(domains),
        "years": _decode(years),
    }
    return Result(ids=_decode(page), total=total, capped=total >= MATCH_CAP, facets=facets)


def _decode(value):
    """A JSON array from either engine; SQLite may hand nested arrays over as text."""
    if isinstance(value, str):
        value = json.loads(value)
    return [
        json.loads(item) if isinstance(item, str) and item[:1] == "[" else item
        for item in value or []
    ]


NEWEST = "m.issue_number DESC NULLS LAST, m.link_id"


def _facets(json_agg, postgres):
    sql = _facets_sql(json_agg)
    return sql.replace("json_array(", "json_build_array(") if postgres else sql


def _postgres_sql(where, sort):
    rank = "ts_rank(m.document, q.query)"
    ordering = NEWEST if sort == "new" else f"{rank} DESC, {NEWEST}"
    return f"""
        WITH q AS (SELECT to_tsquery('simple', %s) AS query),
        matches AS MATERIALIZED (
            SELECT se.link_id, se.issue_number, se.category_id, se.domain, se.year, se.document
            FROM archive_searchentry se
            JOIN archive_issue i ON i.id = se.issue_id
            CROSS JOIN q
            WHERE se.document @@ q.query AND {where}
            LIMIT %s
        )
        SELECT
            (SELECT json_agg(x) FROM (
                SELECT m.link_id AS x FROM matches m CROSS JOIN q
                ORDER BY {ordering} LIMIT %s OFFSET %s) p
            ) AS page,
            {_facets("json_agg", True)}
    """


def _sqlite_sql(where, sort):
    ordering = NEWEST if sort == "new" else f"m.rank, {NEWEST}"
    return f"""
        WITH matches AS MATERIALIZED (
            SELECT se.link_id, se.issue_number, se.category_id, se.domain, se.year,
                   bm25(archive_searchentry_fts, {WEIGHTS_FTS}) AS rank
            FROM archive_searchentry_fts
            JOIN archive_searchentry se ON se.link_id = archive_searchentry_fts.rowid
            JOIN archive_issue i ON i.id = se.issue_id
            WHERE archive_searchentry_fts MATCH %s AND {where}
            LIMIT %s
        )
        SELECT
            (SELECT json_group_array(x) FROM (
                SELECT m.link_id AS x FROM matches m ORDER BY {ordering} LIMIT %s OFFSET %s)
            ) AS page,
            {_facets("json_group_array", False)}
    """


def _browse_sql(where, json_agg, postgres):
    return f"""
        WITH matches AS MATERIALIZED (
            SELECT se.link_id, se.issue_number, se.category_id, se.domain, se.year
            FROM archive_searchentry se
            JOIN archive_issue i ON i.id = se.issue_id
            WHERE {where}
            ORDER BY se.issue_number DESC NULLS LAST, se.link_id
            LIMIT %s
        )
        SELECT
            (SELECT {json_agg}(x) FROM (
                SELECT m.link_id AS x FROM matches m ORDER BY {NEWEST} LIMIT %s OFFSET %s) p
            ) AS page,
            {_facets(json_agg, postgres)}
    """
