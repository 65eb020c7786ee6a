"""Clean, comparable URLs: tracking parameters dropped on every way in, one normalised form
per page, the archive cleaned and renormalised."""

import io

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from archive.ingest import urlnorm
from archive.ingest.loading import issue_to_doc
from archive.ingest.urlnorm import clean_url, normalize_url
from archive.models import Issue, Link
from tests.factories import make_issue, make_link, make_section

WECHAT = (
    "https://mp.weixin.qq.com/s?__biz=MzA5&mid=2650&idx=1&sn=abc"
    "&chksm=8b4d&scene=21&sessionid=1700#wechat_redirect"
)


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("https://example.com/a?utm_source=x&id=2&utm_medium=y", "https://example.com/a?id=2"),
        ("https://example.com/a?b=2&a=1&fbclid=Z", "https://example.com/a?b=2&a=1"),  # order kept
        ("https://example.com/a?gclid=1#part", "https://example.com/a#part"),  # fragment kept
        ("https://example.com/P/?ref=hn", "https://example.com/P/"),  # path as typed
        ("https://example.com/a?mc_cid=1&mc_eid=2&spm=a.b&ref_src=twsrc", "https://example.com/a"),
        (
            "https://example.com/a?q=%E4%B8%AD%E6%96%87&utm_id=1",
            "https://example.com/a?q=%E4%B8%AD%E6%96%87",
        ),
        (WECHAT, "https://mp.weixin.qq.com/s?__biz=MzA5&mid=2650&idx=1&sn=abc#wechat_redirect"),
        # scene= means something elsewhere
        ("https://example.com/game?scene=2", "https://example.com/game?scene=2"),
        ("https://example.com/plain", "https://example.com/plain"),
    ],
)
def test_clean_url_drops_trackers_and_keeps_the_rest_as_typed(typed, stored):
    assert clean_url(typed) == stored


def test_a_setting_adds_parameters_to_drop():
    assert (
        clean_url("https://example.com/a?campaign=9&id=1")
        == "https://example.com/a?campaign=9&id=1"
    )
    urlnorm.extend_tracking_parameters(["campaign"])
    try:
        assert clean_url("https://example.com/a?campaign=9&id=1") == "https://example.com/a?id=1"
    finally:
        urlnorm.extend_tracking_parameters([])


@pytest.mark.parametrize(
    "same",
    [
        [
            "https://example.com/a?a=1&b=2",
            "https://example.com/a?b=2&a=1",
            "http://WWW.Example.COM:80/a/?b=2&a=1&utm_source=x#top",
            "HTTPS://example.com:443/a?ref=hn&a=1&b=2",
        ],
        [
            WECHAT,
            "https://mp.weixin.qq.com/s?__biz=MzA5&mid=2650&idx=1&sn=abc&scene=58",
        ],
        [
            "https://github.com/BurntSushi/ripgrep",
            "https://link.zhihu.com/?target=https%3A//github.com/BurntSushi/ripgrep",
            "https://hellogithub.com/periodical/statistics/click?target=https://github.com/BurntSushi/ripgrep",
            "https://www.google.com/url?q=https://github.com/BurntSushi/ripgrep&sa=D",
        ],
    ],
)
def test_normalisation_agrees_for_the_same_page(same):
    assert len({normalize_url(url) for url in same}) == 1, {normalize_url(u) for u in same}


def test_normalisation_keeps_distinct_pages_distinct():
    assert normalize_url("https://example.com/P") != normalize_url("https://example.com/p")
    assert normalize_url("https://example.com/a?id=1") != normalize_url(
        "https://example.com/a?id=2"
    )
    assert normalize_url("https://example.com:8080/a") != normalize_url("https://example.com/a")
    assert (
        normalize_url("https://www.google.com/search?q=rust") == "https://google.com/search?q=rust"
    )


@pytest.mark.django_db
def test_the_composer_stores_a_clean_url(editor_client):
    from archive.models import Category
    from tests.test_admin import ADD_URL, new_issue_data

    typed = "https://example.com/x?utm_source=newsletter&id=3&fbclid=abc"
    data = new_issue_data(
        editor_client, category=Category.objects.create(name="工具"), links=[("X", typed, "", [])]
    )
    response = editor_client.post(ADD_URL, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    link = Link.objects.get()
    assert link.url == "https://example.com/x?id=3"
    assert link.written_url == "https://example.com/x?utm_source=newsletter&id=3&fbclid=abc"


@pytest.mark.django_db
def test_an_import_stores_clean_urls_and_exports_what_it_was_given(tmp_path):
    path = tmp_path / "issue-4.md"
    typed = "https://example.com/x?utm_source=rss&id=3"
    path.write_text(f"# 第 4 期\n\n## 工具\n\n### [X]({typed})\n* 说明\n", encoding="utf-8")
    out = io.StringIO()
    call_command("import_markdown", str(path), stdout=out, stderr=io.StringIO())
    assert "URLs cleaned of tracking parameters: 1 (utm_source 1)" in out.getvalue()
    link = Link.objects.get()
    assert link.url == "https://example.com/x?id=3"
    assert issue_to_doc(link.section.issue).sections[0].entries[0].url == typed
    again = io.StringIO()
    call_command("import_markdown", str(path), stdout=again, stderr=io.StringIO())
    assert "1 unchanged" in again.getvalue()
    # The editor removes the tracker from the file: the written form follows.
    path.write_text(
        "# 第 4 期\n\n## 工具\n\n### [X](https://example.com/x?id=3)\n* 说明\n", "utf-8"
    )
    call_command("import_markdown", str(path), stdout=io.StringIO(), stderr=io.StringIO())
    link.refresh_from_db()
    assert link.written_url == ""


@pytest.mark.django_db
def test_the_import_preview_says_what_is_cleaned(editor_client):
    text = "# 第 9 期\n\n## 工具\n\n### [X](https://example.com/x?utm_source=a&id=1)\n"
    response = editor_client.post("/admin/archive/issue/import/", {"markdown": text})
    html = response.content.decode()
    assert "1 个地址去掉了跟踪参数" in html
    assert "<code>https://example.com/x?id=1</code>" in html


@pytest.mark.django_db
def test_clean_urls_cleans_the_archive_and_reports_it():
    section = make_section(make_issue(1))
    link = make_link(section, "A", "https://example.com/a")
    Link.objects.filter(pk=link.pk).update(
        url="https://example.com/a?utm_source=x&utm_medium=y&k=1"
    )
    make_link(section, "B", "https://example.com/b")
    out = io.StringIO()
    call_command("clean_urls", "--dry-run", stdout=out)
    assert (
        "Dry run: would clean 1 of 2 URLs (removed: utm_source 1, utm_medium 1)" in out.getvalue()
    )
    assert Link.objects.get(pk=link.pk).url.endswith("utm_medium=y&k=1")
    out = io.StringIO()
    call_command("clean_urls", stdout=out)
    assert "cleaned 1 of 2 URLs" in out.getvalue()
    link.refresh_from_db()
    assert link.url == "https://example.com/a?k=1"
    assert link.written_url == "https://example.com/a?utm_source=x&utm_medium=y&k=1"
    assert link.normalized_url == "https://example.com/a?k=1"


@pytest.mark.django_db(transaction=True)
def test_existing_rows_are_renormalised_by_a_migration():
    link = make_link(make_section(make_issue(1)), "A", "https://example.com/a?b=2&a=1")
    Link.objects.filter(pk=link.pk).update(normalized_url="https://example.com/a?b=2&a=1")
    executor = MigrationExecutor(connection)
    latest = executor.loader.graph.leaf_nodes()
    executor.migrate([("archive", "0008_tallies")])
    executor.loader.build_graph()
    executor.migrate(latest)
    link.refresh_from_db()
    assert link.normalized_url == "https://example.com/a?a=1&b=2"
    assert Issue.objects.count() == 1
