"""Search: Chinese substrings, English words and prefixes, query syntax, filters, facets, bad
input, and an index that follows every edit. The same tests run on SQLite and PostgreSQL.

Longer than most (one file per feature): the engine's two backends answer the same
questions, and keeping those questions side by side is what shows they agree."""

import datetime

import pytest
from django.urls import reverse

from archive.ingest.loading import load_issue
from archive.issuemd import EntryDoc, IssueDoc, SectionDoc
from archive.models import Category, Link
from archive.search.tokens import (
    analyse,
    index_tokens,
    parse_query,
    to_fts5,
    to_tsquery,
)

pytestmark = pytest.mark.django_db


def entry(title, url, annotation="", tags=()):
    return EntryDoc(title=title, url=url, annotation=annotation, tags=list(tags))


@pytest.fixture
def corpus():
    """Two published issues, one draft; planted words in titles, annotations, tags, URLs."""
    load_issue(
        IssueDoc(
            number=1,
            date=datetime.date(2023, 3, 10),
            sections=[
                SectionDoc(
                    "模型算法",
                    entries=[
                        entry(
                            "中文大模型训练指南",
                            "https://llm.example.com/guide",
                            "* 讲解如何训练一个中文的大语言模型",
                            tags=["大模型"],
                        ),
                        entry(
                            "Attention Is All You Need",
                            "https://arxiv.org/abs/1706.03762",
                            "* The paper behind every large language model",
                        ),
                    ],
                ),
                SectionDoc(
                    "硬件加速",
                    entries=[
                        entry(
                            "百度的AI芯片采购",
                            "https://zhuanlan.example.cn/p/1",
                            "* 推理主要考虑INT8算力",
                            tags=["芯片"],
                        ),
                    ],
                ),
            ],
        ),
        publish=True,
    )
    load_issue(
        IssueDoc(
            number=2,
            date=datetime.date(2024, 5, 17),
            sections=[
                SectionDoc(
                    "数据库",
                    entries=[
                        entry(
                            "PostgreSQL 16 Released",
                            "https://www.postgresql.org/about/news/16/",
                            "* Logical replication from standbys",
                            tags=["postgres"],
                        ),
                        entry(
                            "SQLite: small, fast, reliable",
                            "https://sqlite.org/about.html",
                            "* An exact phrase lives here, `<script>alert(1)</script>` too",
                        ),
                    ],
                ),
                SectionDoc(
                    "编程语言",
                    entries=[
                        entry(
                            "Rust 异步编程",
                            "https://rust-lang.github.io/async-book/",
                            "* Future 和 async/await 的原理",
                            tags=["rust"],
                        ),
                        entry(
                            "Phrase exact, reversed",
                            "https://reversed.example.com/",
                            "* here the words are the other way round",
                        ),
                    ],
                ),
            ],
        ),
        publish=True,
    )
    load_issue(
        IssueDoc(
            number=3,
            sections=[
                SectionDoc(
                    "模型算法", entries=[entry("草稿里的大模型", "https://draft.example.com/")]
                )
            ],
        ),
        publish=False,
    )


def found(client, **params):
    response = client.get(reverse("archive:search"), params)
    assert response.status_code == 200
    return [link.title for link in response.context["links"]]


PLANTED = [
    ("大模型", {"中文大模型训练指南"}),  # inside 中文大模型训练 and a tag
    ("模型训练", {"中文大模型训练指南"}),
    ("芯片", {"百度的AI芯片采购"}),  # inside AI芯片采购
    ("算力", {"百度的AI芯片采购"}),  # in the annotation only
    ("postgr", {"PostgreSQL 16 Released"}),  # an English prefix
    ("POSTGRESQL", {"PostgreSQL 16 Released"}),
    ("rust 异步", {"Rust 异步编程"}),  # mixed
    ("async", {"Rust 异步编程"}),
    ("standbys", {"PostgreSQL 16 Released"}),
    ('"exact phrase"', {"SQLite: small, fast, reliable"}),
    ("exact phrase", {"SQLite: small, fast, reliable", "Phrase exact, reversed"}),
    ("exact -reversed", {"SQLite: small, fast, reliable"}),
    ("芯片 OR postgres", {"百度的AI芯片采购", "PostgreSQL 16 Released"}),
    ("arxiv", {"Attention Is All You Need"}),  # the domain
    ("训", {"中文大模型训练指南"}),  # one character: a prefix
    ("不存在的词", set()),
]


@pytest.mark.parametrize(("q", "expected"), PLANTED)
def test_planted_terms_are_found(client, corpus, q, expected):
    assert set(found(client, q=q)) == expected


def test_title_matches_rank_first(client, corpus):
    assert found(client, q="大模型")[0] == "中文大模型训练指南"
    load_issue(
        IssueDoc(
            number=4,
            date=datetime.date(2024, 6, 1),
            sections=[
                SectionDoc(
                    "杂谈",
                    entries=[
                        entry("周末读物", "https://weekend.example.com/", "* 顺便提到了大模型")
                    ],
                )
            ],
        ),
        publish=True,
    )
    assert found(client, q="大模型") == ["中文大模型训练指南", "周末读物"]
    assert found(client, q="大模型", sort="new") == ["周末读物", "中文大模型训练指南"]


def test_drafts_are_never_found(client, corpus):
    assert "草稿里的大模型" not in found(client, q="草稿")
    assert "草稿里的大模型" not in found(client)


def test_filters_and_facets(client, corpus):
    response = client.get(reverse("archive:search"), {"q": "大模型 OR postgres OR rust"})
    facets = response.context["facets"]
    assert {name: count for name, count, _a, _u in facets["categories"]} == {
        "模型算法": 1,
        "数据库": 1,
        "编程语言": 1,
    }
    assert {name: count for name, count, _a, _u in facets["years"]} == {"2024": 2, "2023": 1}
    # A facet is a link that adds its filter; applied, the same link removes it.
    url = next(url for name, _c, _a, url in facets["categories"] if name == "数据库")
    response = client.get(reverse("archive:search") + url)
    assert [link.title for link in response.context["links"]] == ["PostgreSQL 16 Released"]
    active = [item for item in response.context["facets"]["categories"] if item[2]]
    assert active[0][0] == "数据库" and "category" not in active[0][3]

    assert found(client, q="大模型 OR rust", year="2024") == ["Rust 异步编程"]
    assert found(client, tag="rust") == ["Rust 异步编程"]
    assert found(client, domain="postgresql.org") == ["PostgreSQL 16 Released"]
    assert set(found(client, category="模型算法")) == {
        "中文大模型训练指南",
        "Attention Is All You Need",
    }


def test_empty_query_shows_newest_links(client, corpus):
    titles = found(client)
    assert titles[:4] == [
        "PostgreSQL 16 Released",
        "SQLite: small, fast, reliable",
        "Rust 异步编程",
        "Phrase exact, reversed",
    ]


@pytest.mark.parametrize(
    "q",
    [
        "x" * 10_000,
        '"unbalanced',
        "&|!:*()'\\",
        "!!!",
        "😀🚀",
        "'; DROP TABLE archive_link; --",
        "a:* & b",
        '大模型 "',
        "-",
        "OR",
        "\x00",
        "<script>alert(1)</script>",
    ],
)
def test_odd_queries_never_fail(client, corpus, q):
    response = client.get(reverse("archive:search"), {"q": q})
    assert response.status_code == 200
    assert "<script>alert(1)</script>" not in response.content.decode()
    assert Link.objects.count() == 8


@pytest.mark.parametrize(
    "params",
    [
        {"year": "abc"},
        {"category": "nope"},
        {"tag": "nope"},
        {"page": "-3"},
        {"page": "99999999999999999999"},
        {"sort": "bogus"},
    ],
)
def test_odd_parameters_give_a_message_not_an_error(client, corpus, params):
    response = client.get(reverse("archive:search"), {"q": "大模型", **params})
    assert response.status_code == 200


def test_highlight_reads_phrases_as_the_search_does():
    from archive.search.highlight import mark

    assert mark("数据库 and 数据  库", ['"数据 库"']) == (
        "<mark>数据库</mark> and <mark>数据  库</mark>"
    )
    assert mark("Deep   dive <b>", ['"deep dive"']) == "<mark>Deep   dive</mark> &lt;b&gt;"


def test_highlight_never_unescapes_user_text(client, corpus):
    html = client.get(reverse("archive:search"), {"q": "script exact"}).content.decode()
    assert "&lt;<mark>script</mark>&gt;alert(1)&lt;/<mark>script</mark>&gt;" in html
    assert "An <mark>exact</mark> phrase" in html


def test_search_page_makes_a_fixed_number_of_queries(client, corpus, django_assert_num_queries):
    from django.db import connection

    # The archive's state (archive.publishing.cache); PostgreSQL only: the newest link id (the
    # bounds of the search's tiers); then the search with its count and facets; the page's links;
    # their tags
    queries = 4 + (connection.vendor == "postgresql")
    with django_assert_num_queries(queries):
        client.get(reverse("archive:search"), {"q": "大模型 OR postgres"})
    for number in range(10, 30):
        load_issue(
            IssueDoc(
                number=number,
                date=datetime.date(2024, 1, 1),
                sections=[
                    SectionDoc(
                        "模型算法",
                        entries=[
                            entry(
                                f"大模型 {number}-{i}",
                                f"https://e.example/{number}/{i}",
                                tags=["t"],
                            )
                            for i in range(10)
                        ],
                    )
                ],
            ),
            publish=True,
        )
    with django_assert_num_queries(queries):
        response = client.get(reverse("archive:search"), {"q": "大模型 OR postgres"})
    assert len(response.context["links"]) == 20 and response.context["total"] == 202


def test_index_follows_edits(client, corpus, django_capture_on_commit_callbacks):
    link = Link.objects.get(title="Attention Is All You Need")
    with django_capture_on_commit_callbacks(execute=True):
        link.title = "Transformer 论文"
        link.save()
    assert found(client, q="transformer") == ["Transformer 论文"]
    with django_capture_on_commit_callbacks(execute=True):
        link.tags.add("注意力机制")
    assert found(client, q="注意力") == ["Transformer 论文"]
    with django_capture_on_commit_callbacks(execute=True):
        tag = link.tags.get(name="注意力机制")
        tag.name = "自注意力"
        tag.save()
    assert found(client, q="自注意力") == ["Transformer 论文"]
    assert found(client, q="注意力机制") == []
    with django_capture_on_commit_callbacks(execute=True):
        category = Category.objects.get(name="模型算法")
        category.name = "深度学习"
        category.save()
    assert "Transformer 论文" in found(client, q="深度学习")
    with django_capture_on_commit_callbacks(execute=True):
        link.delete()
    assert found(client, q="transformer") == []


def test_rebuild_search_index_command(client, corpus, capsys):
    from django.core.management import call_command

    from archive.models import SearchEntry

    SearchEntry.objects.all().delete()
    assert found(client, q="大模型") == []
    call_command("rebuild_search_index")
    assert "8 links indexed" in capsys.readouterr().out
    assert found(client, q="大模型") == ["中文大模型训练指南"]


def test_tokens_and_query_compilation():
    assert index_tokens("中文大模型 PostgreSQL１６") == [
        "中文",
        "文大",
        "大模",
        "模型",
        "型",
        "postgresql16",
    ]
    query = parse_query('大模型 "exact phrase" -spam rust OR go')
    # PostgreSQL: a two-word phrase is its pair lexeme; an excluded word is not a prefix.
    assert to_tsquery(query) == ("('大模' <-> '模型') & 'exact phrase' & ('rust' | 'go') & !'spam'")
    assert to_fts5(query) == '("大模 模型" AND "exact phrase" AND ("rust" OR "go")) NOT "spam"'
    # The last word is also a prefix, through its prefix lexeme.
    assert to_tsquery(parse_query("machine learn")) == "'machine' & ('learn' | '>learn')"
    assert to_tsquery(parse_query('"a deep dive"')) == (
        "('a deep' & 'deep dive' & ('a' <-> 'deep' <-> 'dive'))"
    )
    assert to_tsquery(parse_query("rust异步")) == "('rust' <-> '异步')"
    # Spaces inside Chinese are layout: 数据 库 is 数据库, in the index and in queries.
    assert index_tokens("数据 库，前端") == ["数据", "据库", "库", "前端", "端"]
    assert to_tsquery(parse_query('"数据 库"')) == "('数据' <-> '据库')"
    assert analyse("Deep dive, 深度 Go") == (
        ["deep", "dive", "深度", "度", "go"],
        {">dee", "deep dive", ">div"},
    )
    assert not parse_query("&|!:*()'\\ 😀")


def test_unknown_filters_say_so_and_find_nothing(client, corpus):
    response = client.get(reverse("archive:search"), {"q": "大模型", "category": "nope"})
    assert "没有“nope”这个分类。" in response.content.decode()
    assert response.context["links"] == []
    response = client.get(reverse("archive:search"), {"q": "大模型", "year": "20x4"})
    assert "不是年份" in response.content.decode()
    assert [link.title for link in response.context["links"]] == ["中文大模型训练指南"]


def test_publishing_and_dates_reach_the_index(
    client, corpus, admin_client, django_capture_on_commit_callbacks
):
    """Entries carry their issue's publication time and year: the admin's bulk actions and an
    issue's edits keep them current."""
    from archive.models import Issue

    draft, first = Issue.objects.get(number=3), Issue.objects.get(number=1)
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(
            "/admin/archive/issue/", {"action": "publish_now", "_selected_action": [draft.pk]}
        )
    assert "草稿里的大模型" in found(client, q="大模型")
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(
            "/admin/archive/issue/", {"action": "unpublish", "_selected_action": [first.pk]}
        )
    assert found(client, q="大模型") == ["草稿里的大模型"]
    with django_capture_on_commit_callbacks(execute=True):
        draft.refresh_from_db()
        draft.date = datetime.date(2021, 6, 1)
        draft.save()
    assert found(client, q="大模型", year="2021") == ["草稿里的大模型"]
    assert found(client, q="大模型", year="2024") == []


@pytest.fixture
def postgres_only():
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("the newest-first tiers are PostgreSQL's")


def test_tiers_cover_every_id_once():
    from archive.search import documents, engine

    for newest in (1, 1023, 1024, 100_000, 1_000_000, 20_000_000):
        tiers = engine._tiers(newest)
        lowest = [low for _buckets, low in tiers]
        assert lowest == sorted(lowest, reverse=True) and lowest[-1] == 0
        newest_bucket = newest >> documents.RECENCY_LEVELS[0]
        assert tiers[0][0][0] == documents.recency_lexeme(
            documents.RECENCY_LEVELS[0], newest_bucket
        )
    assert len(engine._tiers(100_000)) == 3  # 2^10 and 2^13 ids, then all


def test_tiers_stop_once_enough_is_found(client, postgres_only, monkeypatch):
    """With tiny buckets, a common word is read from the newest tiers only, a year's search
    starts from that year's newest link, and a word found only in the oldest link is still
    found, by the last tier."""
    from archive.search import documents, engine

    monkeypatch.setattr(documents, "RECENCY_LEVELS", (1, 2, 3))
    monkeypatch.setattr(engine, "ENOUGH", 3)
    for number, year in ((1, 2020), (2, 2024)):
        load_issue(
            IssueDoc(
                number=number,
                date=datetime.date(year, 1, 5),
                sections=[
                    SectionDoc(
                        "工具",
                        entries=[
                            entry(
                                f"{'gadget ' if number == 1 and i == 0 else ''}widget {i}",
                                f"https://w{year}.example.com/{i}",
                            )
                            for i in range(30)
                        ],
                    )
                ],
            ),
            publish=True,
        )
    ids = sorted(Link.objects.values_list("pk", flat=True), reverse=True)
    result = engine.search(parse_query("widget"), engine.Filters(), limit=100)
    assert 3 <= result.total < 30 and result.capped
    assert sorted(result.ids, reverse=True) == ids[: result.total]  # the newest, none skipped
    of_2020 = sorted(Link.objects.filter(url__contains="w2020").values_list("pk", flat=True))
    assert engine._newest(engine.Filters(year=2020)) == of_2020[-1]
    result = engine.search(parse_query("widget"), engine.Filters(year=2020), limit=100)
    assert 3 <= result.total < 30
    assert sorted(result.ids, reverse=True) == of_2020[::-1][: result.total]
    assert [
        Link.objects.get(pk=pk).title
        for pk in engine.search(parse_query("gadget"), engine.Filters()).ids
    ] == ["gadget widget 0"]


def test_migration_rebuilds_existing_entries(client, corpus):
    """Migration 0004 rebuilds the entries an older index wrote."""
    import importlib
    from types import SimpleNamespace

    from django.apps import apps
    from django.db import connection

    from archive.models import SearchEntry

    if connection.vendor == "postgresql":
        SearchEntry.objects.update(published_at=None)
        with connection.cursor() as cursor:
            cursor.execute("UPDATE archive_searchentry SET document = '', heading = ''")
    else:
        SearchEntry.objects.update(published_at=None, title="", meta="", body="", address="")
    assert found(client, q="大模型") == []
    migration = importlib.import_module("archive.migrations.0004_search_published_at")
    with connection.cursor() as cursor:  # what the migration uses of a schema editor
        migration.forwards(apps, SimpleNamespace(connection=connection, execute=cursor.execute))
    assert found(client, q="大模型") == ["中文大模型训练指南"]


def test_rebuild_in_worker_processes_writes_the_same_index(corpus, postgres_only, monkeypatch):
    from django.db import connection

    from archive.search import index

    def entries():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT link_id, published_at, document::text, heading::text "
                "FROM archive_searchentry ORDER BY link_id"
            )
            return cursor.fetchall()

    before = entries()
    monkeypatch.setattr(index, "PARALLEL_MIN", 1)
    monkeypatch.setattr(index, "REBUILD_STEP", 3)
    assert index.refresh_all() == len(before) == 8
    assert entries() == before
