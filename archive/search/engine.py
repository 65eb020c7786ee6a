"""Running a search on PostgreSQL (tsvector, GIN, ts_rank) or SQLite (FTS5, bm25).

One SQL statement finds the matches, bounded to the newest ``MATCH_CAP`` so that a common word
never makes a page rank half the archive, and returns in the same round trip the page of link ids,
the number of matches and the facet counts over them (on PostgreSQL one cheap query before it
reads the newest link id, which picks the recency buckets its tiers read). The page's links
are then read by the view with the ORM."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from django.db import connection
from django.utils import timezone

from . import documents
from .tokens import to_fts5, to_tsquery, ts_lexeme

MATCH_CAP = 2000
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
    """The WHERE conditions of the filters, with their values added to ``params`` (named)."""
    clauses = ["1 = 1"]
    if filters.published_only:
        clauses.append("se.published_at <= %(now)s")
        params["now"] = now
    if filters.category is not None:
        clauses.append("se.category_id = %(category)s")
        params["category"] = filters.category
    if filters.domain:
        clauses.append("se.domain = %(domain)s")
        params["domain"] = filters.domain
    if filters.year is not None:
        clauses.append("se.year = %(year)s")
        params["year"] = filters.year
    for index, tag in enumerate(filters.tags):
        clauses.append(
            "se.link_id IN (SELECT content_object_id FROM archive_taggedlink "
            f"WHERE tag_id = %(tag{index})s)"
        )
        params[f"tag{index}"] = tag
    return " AND ".join(clauses)


def _facets_sql(json_agg):
    """The counting half of the statement, shared by both engines (``json_agg`` differs).
    Counts are taken from the matches first and named after, so that the plans start from
    the (bounded) matches, never from every tag or category."""
    limit = FACET_SIZE
    return f"""
        (SELECT count(*) FROM matches) AS total,
        (SELECT {json_agg}(json_array(c.id, c.name, c.slug, f.n)) FROM (
            SELECT m.category_id, count(*) AS n FROM matches m
            GROUP BY m.category_id ORDER BY n DESC LIMIT {limit}) f
            CROSS JOIN archive_category c WHERE c.id = f.category_id
        ) AS categories,
        (SELECT {json_agg}(json_array(t.id, t.name, t.slug, f.n)) FROM (
            SELECT tl.tag_id, count(*) AS n FROM matches m
            CROSS JOIN {{tags_of_match}} tl WHERE tl.content_object_id = m.link_id
            GROUP BY tl.tag_id ORDER BY n DESC LIMIT {limit}) f
            CROSS JOIN taggit_tag t WHERE t.id = f.tag_id
        ) AS tags,
        (SELECT {json_agg}(json_array(f.domain, f.n)) FROM (
            SELECT m.domain, count(*) AS n FROM matches m WHERE m.domain <> ''
            GROUP BY m.domain ORDER BY n DESC, m.domain LIMIT {limit}) f
        ) AS domains,
        (SELECT {json_agg}(json_array(f.year, f.n)) FROM (
            SELECT m.year, count(*) AS n FROM matches m WHERE m.year IS NOT NULL
            GROUP BY m.year ORDER BY m.year DESC LIMIT {limit}) f
        ) AS years
    """


def search(query, filters, *, sort="relevance", offset=0, limit=20, now=None):
    """Link ids of one page of results, most relevant (or newest) first, with the facets.

    Without a query, the newest links that pass the filters."""
    now = now or timezone.now()
    params = {"cap": MATCH_CAP, "limit": limit, "offset": offset}
    postgres = connection.vendor == "postgresql"
    if not query:
        where = _filters_sql(filters, params, now)
        sql = _browse_sql(where, "json_agg" if postgres else "json_group_array", postgres)
    elif postgres:
        newest = _newest(filters)
        sql = _postgres_sql(query, filters, params, now, sort, newest)
    else:
        where = _filters_sql(filters, params, now)
        sql = _sqlite_sql(where, sort)
        params["match"] = to_fts5(query)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        result = _result(cursor.fetchone())
    if postgres and query and result.total >= ENOUGH:
        result.capped = True  # the tiers may have stopped before the oldest matches
    return result


def _newest(filters):
    """PostgreSQL: the newest link id the filters let through, where the tiers start. A year
    or a domain may lie far back; categories and tags run through the whole archive."""
    clauses, params = ["TRUE"], []
    if filters.year is not None:
        clauses.append("year = %s")
        params.append(filters.year)
    if filters.domain:
        clauses.append("domain = %s")
        params.append(filters.domain)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT coalesce(max(link_id), 0) FROM archive_searchentry "
            f"WHERE {' AND '.join(clauses)}",
            params,
        )
        return int(cursor.fetchone()[0])


def _result(row):
    page, total, categories, tags, domains, years = row
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
    if postgres:
        # LATERAL: look each match's tags up in the index; a hash of every tagging is what
        # the planner picks otherwise, and it grows with the archive.
        tags = (
            "LATERAL (SELECT tag_id, content_object_id FROM archive_taggedlink "
            "WHERE content_object_id = m.link_id OFFSET 0)"
        )
        return sql.replace("json_array(", "json_build_array(").replace("{tags_of_match}", tags)
    # SQLite joins in the order written: matches first, then the index on the tagged link.
    return sql.replace("{tags_of_match}", "archive_taggedlink")


# PostgreSQL reads the matches newest first, in tiers: the ids in the newest two buckets of
# 2^10 ids, then those of 2^13, 2^16, ... (archive.search.documents.RECENCY_LEVELS), then the rest.
# Each tier asks the GIN index for ``words & filters & (bucket | bucket before)``, and GIN skips
# through a common word's list straight to those ids, so a tier costs what it finds, never what
# the whole archive holds. A tier is read only while the tiers before it found fewer than
# ENOUGH matches: a common word is done after a thousand-odd rows, a rare one goes through all.
# (JIT compilation, which costs more than these queries take, is off: settings.py.)
ENOUGH = 200


def _tiers(newest):
    """[(bucket lexemes, lowest id of the tier)], newest first; the last covers the rest."""
    tiers = []
    for level in documents.RECENCY_LEVELS:
        bucket = newest >> level
        lowest = max(bucket - 1, 0) << level
        if tiers and lowest >= tiers[-1][1]:
            continue  # no older ids than the tier before
        buckets = [documents.recency_lexeme(level, b) for b in (bucket, bucket - 1) if b >= 0]
        tiers.append((buckets, lowest))
        if lowest == 0:
            return tiers
    return [*tiers, ([], 0)]


def _filter_lexemes(filters):
    lexemes = [documents.tag_lexeme(tag) for tag in filters.tags]
    if filters.category is not None:
        lexemes.append(documents.category_lexeme(filters.category))
    if filters.domain:
        lexemes.append(documents.domain_lexeme(filters.domain))
    if filters.year is not None:
        lexemes.append(documents.year_lexeme(filters.year))
    return [ts_lexeme(lexeme) for lexeme in lexemes]


def _postgres_sql(query, filters, params, now, sort, newest):
    # Ranked on title, tags and category; matches in the annotation only come after, newest
    # first. The small heading vector keeps ranking a few thousand matches cheap.
    params["tsquery"] = words = to_tsquery(query)
    rank = "ts_rank(m.heading, %(tsquery)s::tsquery)"
    ordering = NEWEST if sort == "new" else f"{rank} DESC, {NEWEST}"
    columns = "se.link_id, se.issue_number, se.category_id, se.domain, se.year, se.heading"
    published = "se.published_at <= %(now)s" if filters.published_only else "TRUE"
    params["now"] = now
    required = " & ".join([f"({words})", *_filter_lexemes(filters)])
    tiers, newer = [], None
    for number, (buckets, lowest) in enumerate(_tiers(newest)):
        params[f"tier{number}"] = (
            f"{required} & ({' | '.join(ts_lexeme(b) for b in buckets)})" if buckets else required
        )
        conditions = [f"se.document @@ %(tier{number})s::tsquery", published]
        if newer is not None:
            # Not the index on link_id: ``+ 0`` leaves only the GIN index to the planner.
            conditions.append(f"se.link_id + 0 < {newer:d}")
        if number:
            found = " + ".join(f"(SELECT count(*) FROM t{earlier})" for earlier in range(number))
            conditions.append(f"{found} < {ENOUGH}")
        tiers.append(
            f"""t{number} AS MATERIALIZED (
                SELECT {columns} FROM archive_searchentry se
                WHERE {" AND ".join(conditions)}
                ORDER BY se.link_id + 0 DESC LIMIT %(cap)s)"""
        )
        newer = lowest
    union = " UNION ALL ".join(f"SELECT * FROM t{number}" for number in range(len(tiers)))
    return f"""
        WITH {", ".join(tiers)},
        matches AS MATERIALIZED (SELECT * FROM ({union}) tiers LIMIT %(cap)s)
        SELECT
            (SELECT json_agg(x) FROM (
                SELECT m.link_id AS x FROM matches m
                ORDER BY {ordering} LIMIT %(limit)s OFFSET %(offset)s) p
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
            WHERE archive_searchentry_fts MATCH %(match)s AND {where}
            ORDER BY archive_searchentry_fts.rowid DESC
            LIMIT %(cap)s
        )
        SELECT
            (SELECT json_group_array(x) FROM (
                SELECT m.link_id AS x FROM matches m ORDER BY {ordering}
                LIMIT %(limit)s OFFSET %(offset)s)
            ) AS page,
            {_facets("json_group_array", False)}
    """


def _browse_sql(where, json_agg, postgres):
    return f"""
        WITH matches AS MATERIALIZED (
            SELECT se.link_id, se.issue_number, se.category_id, se.domain, se.year
            FROM archive_searchentry se
            WHERE {where}
            ORDER BY se.issue_number DESC NULLS LAST, se.link_id
            LIMIT %(cap)s
        )
        SELECT
            (SELECT {json_agg}(x) FROM (
                SELECT m.link_id AS x FROM matches m ORDER BY {NEWEST}
                LIMIT %(limit)s OFFSET %(offset)s) p
            ) AS page,
            {_facets(json_agg, postgres)}
    """
