"""Pages cost the same at any size: the same queries for a small and a thirty times larger
archive, and on PostgreSQL no query needs to read more than its page of links: asked for the
plans a large archive gets (nested loops over indexes), each reads a small part of them."""

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from archive.models import Link
from tests.factories import make_issue_with_links

pytestmark = pytest.mark.django_db

PAGES = [
    "/",
    "/issues/",
    "/issues/1000/",
    "/years/2024/",
    "/categories/",
    "/categories/硬件加速/",
    "/categories/硬件加速/?page=2",
    "/tags/",
    "/tags/tag1/",
    "/domains/site1.example.com/",
    "/feed/",
    "/categories/硬件加速/feed/",
    "/sitemap-links.xml",
]
LINK_TABLES = ("archive_link", "archive_taggedlink")


def queries_of(client, url):
    with CaptureQueriesContext(connection) as context:
        assert client.get(url).status_code == 200, url
    return [query["sql"] for query in context.captured_queries]


# Plans are asked for as a large archive would get them: nested loops over indexes, with and
# without sorting. The cheaper in rows read is what the indexes allow.
STRATEGIES = [
    ("seqscan", "hashjoin", "mergejoin", "bitmapscan"),
    ("seqscan", "hashjoin", "mergejoin", "bitmapscan", "sort"),
]


def link_rows(plan, table):
    """Rows of ``table`` a plan read, filtered out or not."""
    read = 0
    if plan.get("Relation Name") == table:
        rows = plan.get("Actual Rows", 0) + plan.get("Rows Removed by Filter", 0)
        read += rows * plan.get("Actual Loops", 1)
    return read + sum(link_rows(child, table) for child in plan.get("Plans", []))


def fewest_link_rows(sql, table="archive_link"):
    """The rows of ``table`` a query reads under the best index-only strategy."""
    found = []
    with connection.cursor() as cursor:
        for strategy in STRATEGIES:
            for setting in strategy:
                cursor.execute(f"SET LOCAL enable_{setting} = off")
            cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + sql)
            plan = cursor.fetchone()[0]
            plan = json.loads(plan) if isinstance(plan, str) else plan
            found.append(link_rows(plan[0]["Plan"], table))
            for setting in strategy:
                cursor.execute(f"SET LOCAL enable_{setting} = on")
    return min(found)


@pytest.fixture
def small_and_large(client, monkeypatch):
    """The pages' queries on a small archive, then on one thirty times larger."""
    monkeypatch.setattr("archive.publishing.sitemaps.LinkSitemap.limit", 50)
    make_issue_with_links(1000, links=10)
    make_issue_with_links(1001, links=10)
    small = {url: queries_of(client, url) for url in PAGES}
    for number in range(1002, 1060):
        make_issue_with_links(number, links=10, tags_per_link=3)
    assert Link.objects.count() == 1200  # links and their similar links, 60 times 20
    large = {url: queries_of(client, url) for url in PAGES}
    return small, large


def test_the_same_queries_at_thirty_times_the_size(small_and_large):
    small, large = small_and_large
    for url in PAGES:
        assert len(large[url]) == len(small[url]), url


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's plans")
def test_no_page_reads_much_of_the_archive(small_and_large):
    """Each query of each page reads at most two fifths of the links and of their tags (the
    site feed's twenty whole issues are a third of these sixty, the rest read a page): a page
    reads its page, not the archive."""
    _small, large = small_and_large
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
        sizes = {}
        for table in LINK_TABLES:
            cursor.execute(f"SELECT count(*) FROM {table}")
            sizes[table] = cursor.fetchone()[0]
    heavy = {}
    for url, queries in large.items():
        for sql in queries:
            for table in LINK_TABLES:
                if f'"{table}"' in sql:
                    read = fewest_link_rows(sql, table)
                    if read > sizes[table] * 0.4:
                        heavy.setdefault(url, []).append((table, read, sql[:200]))
    assert heavy == {}
