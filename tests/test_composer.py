"""Composing with the archive at hand: the URL check and title fetch the composer's script
calls, the warnings on save, and merging categories."""

import datetime

import pytest

from archive.ingest.loading import load_issue
from archive.issuemd import EntryDoc, IssueDoc, SectionDoc
from archive.models import Category, CategoryAlias, Issue, Link, Tally
from archive.publishing import tallies
from tests.httpserver import LocalServer, html
from tests.test_admin import ADD_URL, new_issue_data

pytestmark = pytest.mark.django_db

FEATURED = "https://github.com/BurntSushi/ripgrep"
CHECK = "/admin/archive/link/check-url/"
TITLE = "/admin/archive/link/page-title/"


@pytest.fixture
def issue_300():
    return load_issue(
        IssueDoc(
            number=300,
            date=datetime.date(2024, 3, 1),
            sections=[SectionDoc("实用工具", entries=[EntryDoc("ripgrep", FEATURED)])],
        ),
        publish=True,
    ).issue


def test_the_check_says_where_a_url_was_featured(editor_client, issue_300):
    found = editor_client.get(CHECK, {"url": FEATURED + "/?utm_source=x#readme"}).json()
    assert found["normalized"] == "https://github.com/BurntSushi/ripgrep"
    assert found["cleaned"] == FEATURED + "/#readme"
    assert found["featured"] == [{"label": "第 300 期", "url": "/issues/300/", "published": True}]
    assert found["notice"] == '已在<a href="/issues/300/">第 300 期</a>出现'
    # The issue being composed is not "before"; nor is a new address.
    assert (
        editor_client.get(CHECK, {"url": FEATURED, "issue": issue_300.pk}).json()["featured"] == []
    )
    assert editor_client.get(CHECK, {"url": "https://new.example/"}).json()["notice"] == ""
    assert editor_client.get(CHECK, {"url": "javascript:alert(1)"}).json()["normalized"] == ""


def test_the_check_and_title_fetch_are_for_editors_only(client):
    for url in [CHECK, TITLE]:
        response = client.get(url, {"url": FEATURED})
        assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_the_title_fetch_offers_the_pages_own_title(editor_client, monkeypatch):
    monkeypatch.setenv("OUTBOUND_ALLOW_LOOPBACK", "1")
    page = "<html><head><meta property='og:title' content='Tokio 教程'></head></html>"
    with LocalServer({"/tokio": html(page)}) as server:
        found = editor_client.get(TITLE, {"url": server.url + "/tokio"}).json()
    assert found == {"title": "Tokio 教程", "description": ""}
    refused = editor_client.get(TITLE, {"url": "http://10.0.0.1/"})
    assert refused.status_code == 422 and "not public" in refused.json()["error"]


def test_saving_an_issue_warns_of_featured_and_doubled_links(editor_client, issue_300):
    tools = Category.objects.get(name="实用工具")
    data = new_issue_data(
        editor_client,
        category=tools,
        links=[
            ("rg", FEATURED + "?utm_source=x", "", []),
            ("fd", "https://github.com/sharkdp/fd", "", []),
            ("fd again", "https://github.com/sharkdp/fd/", "", []),
        ],
    )
    response = editor_client.post(ADD_URL, data, follow=True)
    messages = [str(message) for message in response.context["messages"]]
    assert 'rg: 已在<a href="/issues/300/">第 300 期</a>出现' in messages
    assert "fd: 本期里已经有这个地址。" in messages
    assert Issue.objects.get(number=42).sections.get().links.count() == 3  # saved all the same


def test_merged_categories_move_their_links_and_redirect(editor_client, issue_300, client):
    load_issue(
        IssueDoc(
            number=301,
            sections=[
                SectionDoc("一次性的标题", entries=[EntryDoc("essay", "https://e.example/")]),
                SectionDoc("工具", entries=[EntryDoc("fzf", "https://github.com/junegunn/fzf")]),
            ],
        ),
        publish=True,
    )
    target = Category.objects.get(name="实用工具")
    once, tools = Category.objects.get(name="一次性的标题"), Category.objects.get(name="工具")
    old_slugs = [once.slug, tools.slug]
    action = {"action": "merge", "_selected_action": [target.pk, once.pk, tools.pk]}
    page = editor_client.post("/admin/archive/category/", action)
    assert page.status_code == 200 and "合并到" in page.content.decode()
    response = editor_client.post(
        "/admin/archive/category/", {**action, "apply": "1", "target": target.pk}, follow=True
    )
    assert "已把 2 个分类合并到“实用工具”：移动了 2 个链接" in response.content.decode()

    assert list(Category.objects.values_list("name", flat=True)) == ["实用工具"]
    assert set(Link.objects.values_list("category__name", flat=True)) == {"实用工具"}
    assert tallies.count(Tally.Kind.CATEGORY, target.pk) == 3
    assert not Tally.objects.filter(kind="category", key=str(once.pk)).exists()
    for slug in old_slugs:
        response = client.get(f"/categories/{slug}/")
        assert response.status_code == 301 and response["Location"] == target.get_absolute_url()
        assert client.get(f"/categories/{slug}/feed/").status_code == 200
    assert CategoryAlias.objects.count() == 2
    assert client.get("/categories/no-such-thing/").status_code == 404

    # Merging the merged again: the old addresses follow to the newest home.
    newer = Category.objects.create(name="工具箱")
    merged = {"action": "merge", "_selected_action": [target.pk, newer.pk]}
    editor_client.post("/admin/archive/category/", {**merged, "apply": "1", "target": newer.pk})
    assert client.get(f"/categories/{old_slugs[0]}/")["Location"] == newer.get_absolute_url()
