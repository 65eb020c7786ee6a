"""Whole pages from the cache: served while the archive is unchanged, fresh after every kind of
change, never for editors, with validators and Cache-Control; and a site that still serves
when its cache is down."""

import datetime
import logging

import pytest
from django.core.cache import cache
from django.utils import timezone
from taggit.models import Tag

from archive.ingest.loading import load_issue
from archive.issuemd import EntryDoc, IssueDoc, SectionDoc
from archive.models import Category, Issue, Link
from archive.publishing import cache as page_cache
from tests.factories import make_issue, make_link, make_section

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def page_cache_on(settings):
    settings.PAGE_CACHE_SECONDS = 3600
    cache.clear()
    page_cache.CacheDown.until = 0.0
    page_cache._last_logged.clear()
    yield
    page_cache.CacheDown.call(cache.clear)
    page_cache.CacheDown.until = 0.0
    page_cache._last_logged.clear()


@pytest.fixture
def archive():
    load_issue(
        IssueDoc(
            number=1,
            date=datetime.date(2024, 1, 5),
            sections=[
                SectionDoc(
                    "实用工具",
                    entries=[EntryDoc("ripgrep", "https://github.com/BurntSushi/ripgrep")],
                )
            ],
        ),
        publish=True,
    )
    make_link(make_section(make_issue(2, published=False), "实用工具"), "Draft link")


def get(client, url, **headers):
    response = client.get(url, headers=headers)
    assert response.status_code in (200, 304), (url, response.status_code)
    return response


def test_a_page_is_rendered_once_then_served_from_the_cache(client, archive):
    first = get(client, "/issues/1/")
    assert first["X-Cache"] == "miss"
    second = get(client, "/issues/1/")
    assert second["X-Cache"] == "hit"
    assert second.content == first.content
    assert second["ETag"] == first["ETag"]
    # English is its own page.
    assert get(client, "/en/issues/1/")["X-Cache"] == "miss"
    assert get(client, "/en/issues/1/")["X-Cache"] == "hit"


def test_a_cached_page_costs_no_query(client, archive, django_assert_num_queries):
    get(client, "/")
    with django_assert_num_queries(0):
        assert get(client, "/")["X-Cache"] == "hit"


def test_validators_and_cache_control(client, archive):
    response = get(client, "/issues/1/")
    assert response["Cache-Control"] == (
        "public, max-age=0, s-maxage=60, stale-while-revalidate=60"
    )
    assert response["Last-Modified"]
    assert client.get("/issues/1/", headers={"if-none-match": response["ETag"]}).status_code == (
        304
    )
    modified = client.get("/issues/1/", headers={"if-modified-since": response["Last-Modified"]})
    assert modified.status_code == 304


def changes():
    """Every kind of change readers can see, and what each one makes a page show."""

    def edit():
        link = Link.objects.get(title="ripgrep")
        link.title = "ripgrep 改名了"
        link.save()
        return "/issues/1/", "ripgrep 改名了"

    def publish(client, editor):
        client.force_login(editor)
        draft = Issue.objects.get(number=2)
        client.post(
            "/admin/archive/issue/", {"action": "publish_now", "_selected_action": [draft.pk]}
        )
        client.logout()
        return "/", "Draft link"

    def import_():
        load_issue(
            IssueDoc(
                number=3, sections=[SectionDoc("新栏目", entries=[EntryDoc("fzf", "https://f/")])]
            ),
            publish=True,
        )
        return "/categories/", "新栏目"

    def rename_category():
        category = Category.objects.get(name="实用工具")
        category.name = "工具箱"
        category.save()
        return "/issues/1/", "工具箱"

    def rename_tag():
        Link.objects.get(title="ripgrep").tags.add("rust")
        tag = Tag.objects.get(name="rust")
        tag.name = "Rust 语言"
        tag.save()
        return "/issues/1/", "Rust 语言"

    return {
        "edit": edit,
        "publish": publish,
        "import": import_,
        "rename_category": rename_category,
        "rename_tag": rename_tag,
    }


@pytest.mark.parametrize("change", changes())
def test_every_change_shows_at_once(client, archive, editor, change):
    for url in ["/", "/issues/1/", "/categories/"]:
        get(client, url)
        assert get(client, url)["X-Cache"] == "hit"
    make = changes()[change]
    url, words = make(client, editor) if change == "publish" else make()
    response = get(client, url)
    assert response["X-Cache"] == "miss"
    assert words in response.content.decode()


def test_a_scheduled_issue_appears_at_its_time(client, archive, monkeypatch):
    soon = timezone.now() + datetime.timedelta(minutes=5)
    issue = make_issue(9, published=soon, title="定时发布的一期")
    make_link(make_section(issue, "实用工具"), "Scheduled link")
    assert "定时发布的一期" not in get(client, "/").content.decode()
    assert get(client, "/")["X-Cache"] == "hit"

    later = soon + datetime.timedelta(seconds=1)
    monkeypatch.setattr("django.utils.timezone.now", lambda: later)
    response = get(client, "/")
    assert response["X-Cache"] == "miss"
    assert "定时发布的一期" in response.content.decode()
    assert "Scheduled link" in get(client, "/categories/实用工具/").content.decode()


def test_editors_always_get_a_fresh_page_and_never_fill_the_cache(client, archive, editor):
    client.force_login(editor)
    response = get(client, "/issues/2/")
    assert "读者还看不到这一期" in response.content.decode()
    assert "X-Cache" not in response
    assert "private" in response["Cache-Control"] and "no-cache" in response["Cache-Control"]
    get(client, "/issues/1/")
    client.logout()
    assert client.get("/issues/2/").status_code == 404
    assert get(client, "/issues/1/")["X-Cache"] == "miss"  # the editor's view was not kept


def test_responses_that_set_cookies_are_not_kept(client, archive):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/issues/1/"})
    assert response.cookies
    assert cache.get(page_cache.page_key(response.wsgi_request)) is None


@pytest.fixture
def cache_down(settings):
    """Redis where nothing listens (Django resets its caches when CACHES changes)."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    }


def test_with_the_cache_down_pages_are_served_uncached_and_it_is_logged(
    client, archive, cache_down, caplog
):
    with caplog.at_level(logging.WARNING, logger="archive.publishing.cache"):
        for _ in range(3):
            response = client.get("/issues/1/")
            assert response.status_code == 200
            assert "ripgrep" in response.content.decode()
            assert response.get("X-Cache") != "hit"
        link = Link.objects.get(title="ripgrep")
        link.title = "ripgrep 新标题"
        link.save()
        assert "ripgrep 新标题" in client.get("/issues/1/").content.decode()
    warnings = [r for r in caplog.records if "cache unreachable" in r.getMessage()]
    assert len(warnings) == 1  # once, not once a request


def test_a_cached_page_goes_compressed_to_clients_that_take_gzip(client, archive):
    import gzip

    plain = get(client, "/issues/1/")
    compressed = get(client, "/issues/1/", accept_encoding="gzip, deflate, br")
    assert compressed["X-Cache"] == "hit" and compressed["Content-Encoding"] == "gzip"
    assert gzip.decompress(compressed.content) == plain.content
    assert "Accept-Encoding" in compressed["Vary"]
    assert compressed["ETag"] == "W/" + plain["ETag"]
    assert "Content-Encoding" not in get(client, "/issues/1/")  # still plain for the rest
