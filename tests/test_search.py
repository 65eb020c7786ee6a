"""Search: Chinese substrings, English words and prefixes, query syntax, filters, facets, bad
input, and an index that follows every edit. The same tests run on SQLite and PostgreSQL."""

import datetime

import pytest
from django.urls import reverse

from archive.issuemd import EntryDoc, IssueDoc, SectionDoc
from archive.loading import load_issue
from archive.models import Category, Link
from archive.search.tokens import index_tokens, parse_query, to_fts5, to_tsquery

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


def test_highlight_never_unescapes_user_text(client, corpus):
    html = client.get(reverse("archive:search"), {"q": "script exact"}).content.decode()
    assert "&lt;<mark>script</mark>&gt;alert(1)&lt;/<mark>script</mark>&gt;" in html
    assert "An <mark>exact</mark> phrase" in html


def test_search_page_makes_a_fixed_number_of_queries(client, corpus, django_assert_num_queries):
    from django.db import connection

    # PostgreSQL only: the newest link id (the bounds of the search's tiers); then the search
    # with its count and facets; the page's links; their tags
    queries = 3 + (connection.vendor == "postgresql")
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
    assert to_tsquery(query) == (
        "('大模' <-> '模型') & ('exact' <-> 'phrase') & ('rust' | 'go') & !'spam':*"
    )
    assert to_fts5(query) == '("大模 模型" AND "exact phrase" AND ("rust" OR "go")) NOT "spam"*'
    assert to_tsquery(parse_query("machine learn")) == "'machine' & 'learn':*"
    assert not parse_query("&|!:*()'\\ 😀")


def test_unknown_filters_say_so_and_find_nothing(client, corpus):
    response = client.get(reverse("archive:search"), {"q": "大模型", "category": "nope"})
    assert "No category “nope”." in response.content.decode()
    assert response.context["links"] == []
    response = client.get(reverse("archive:search"), {"q": "大模型", "year": "20x4"})
    assert "is not a year" in response.content.decode()
    assert [link.title for link in response.context["links"]] == ["中文大模型训练指南"]
