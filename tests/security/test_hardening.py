"""What an attacker tried and found open, closed: the page cache keyed on the host, only a
real editor's session skipping it, a Content-Security-Policy on every response, bookmarklet
keys that expire and can be rotated and revoked, outbound fetches refusing IPv6 forms of
private addresses, and limits per client behind proxies."""

import datetime

import pytest
from django.core.cache import cache
from django.utils import timezone

from archive.ingest.inbox import bookmarklet_key, bookmarklet_user
from archive.ingest.outbound import address_allowed
from archive.models import BookmarkletKey, InboxItem
from archive.publishing import cache as page_cache
from tests.factories import make_issue_with_links

pytestmark = pytest.mark.django_db


@pytest.fixture
def page_cache_on(settings):
    settings.PAGE_CACHE_SECONDS = 3600
    cache.clear()
    page_cache.CacheDown.until = 0.0
    yield
    cache.clear()


@pytest.fixture
def archive():
    return make_issue_with_links(1, links=2)


# The page cache --------------------------------------------------------------------------


def test_a_page_rendered_for_one_host_is_never_served_to_another(client, archive, page_cache_on):
    first = client.get("/issues/1/", headers={"Host": "localhost"})
    again = client.get("/issues/1/", headers={"Host": "localhost"})
    other = client.get("/issues/1/", headers={"Host": "127.0.0.1"})
    assert (first["X-Cache"], again["X-Cache"], other["X-Cache"]) == ("miss", "hit", "miss")
    assert 'rel="canonical" href="http://localhost/issues/1/"' in again.content.decode()
    assert 'rel="canonical" href="http://127.0.0.1/issues/1/"' in other.content.decode()
    secure = client.get("/issues/1/", headers={"Host": "localhost"}, secure=True)
    assert secure["X-Cache"] == "miss"
    assert 'href="https://localhost/issues/1/"' in secure.content.decode()


def test_with_site_url_every_absolute_address_is_the_sites(client, archive, settings):
    settings.SITE_URL = "https://news.example.com"
    for host in ["localhost", "127.0.0.1"]:
        html = client.get("/issues/1/", headers={"Host": host}).content.decode()
        assert 'rel="canonical" href="https://news.example.com/issues/1/"' in html
        assert 'hreflang="en" href="https://news.example.com/en/issues/1/"' in html
        feed = client.get("/feed/", headers={"Host": host}).content.decode()
        assert "https://news.example.com/issues/1/" in feed and host not in feed
        api = client.get("/api/v1/issues/", headers={"Host": host}).json()
        assert api["results"][0]["url"] == "https://news.example.com/issues/1/"
        index = client.get("/sitemap.xml", headers={"Host": host}).content.decode()
        assert "<loc>https://news.example.com/sitemap-issues.xml</loc>" in index
        links = client.get("/sitemap-issues.xml", headers={"Host": host}).content.decode()
        assert "<loc>https://news.example.com/issues/1/</loc>" in links and host not in links
        robots = client.get("/robots.txt", headers={"Host": host}).content.decode()
        assert "Sitemap: https://news.example.com/sitemap.xml" in robots


def test_a_bad_site_url_is_a_clear_error():
    from tests.test_settings import PRODUCTION, manage

    result = manage("check", **PRODUCTION, SITE_URL="news.example.com/path")
    assert result.returncode != 0 and "SITE_URL must be a scheme and a host" in result.stderr


def test_a_made_up_session_cookie_is_served_the_cached_page(client, archive, page_cache_on):
    assert client.get("/issues/1/")["X-Cache"] == "miss"
    for cookie in ["made-up", "x" * 32, "0" * 40]:
        client.cookies["sessionid"] = cookie
        response = client.get("/issues/1/")
        assert response["X-Cache"] == "hit", cookie
        assert "public" in response["Cache-Control"]


def test_a_signed_in_reader_who_is_no_editor_is_served_the_cached_page(
    client, archive, page_cache_on, django_user_model
):
    client.get("/issues/1/")
    client.force_login(django_user_model.objects.create_user("reader", is_staff=True))
    assert client.get("/issues/1/")["X-Cache"] == "hit"


def test_a_real_editors_session_gets_a_fresh_page(editor_client, archive, page_cache_on):
    from django.test import Client

    Client().get("/issues/1/")  # in the cache
    response = editor_client.get("/issues/1/")
    assert "X-Cache" not in response and "no-cache" in response["Cache-Control"]


def test_a_made_up_session_does_not_lift_the_api_limit(client, archive, settings, page_cache_on):
    settings.API_REQUESTS_PER_MINUTE = 2
    client.cookies["sessionid"] = "made-up"
    statuses = [client.get("/api/v1/tags/").status_code for _ in range(3)]
    assert statuses == [200, 200, 429]


# The Content-Security-Policy -----------------------------------------------------------


def policy(response):
    return dict(
        (part.split()[0], part.split()[1:])
        for part in response["Content-Security-Policy"].split(";")
        if part.strip()
    )


@pytest.mark.parametrize(
    "url", ["/", "/issues/1/", "/search/?q=a", "/feed/", "/api/v1/issues/", "/api/v1/docs/"]
)
def test_every_response_carries_a_policy_with_no_inline_script(client, archive, url):
    directives = policy(client.get(url))
    assert directives["script-src"] == ["'self'"] and directives["style-src"] == ["'self'"]
    assert directives["object-src"] == ["'none'"] and directives["frame-ancestors"] == ["'none'"]
    assert directives["base-uri"] == ["'self'"] and directives["form-action"] == ["'self'"]
    assert not any("unsafe" in source for sources in directives.values() for source in sources)


def test_cached_pages_carry_the_policy_too(client, archive, page_cache_on):
    client.get("/issues/1/")
    cached = client.get("/issues/1/")
    assert cached["X-Cache"] == "hit" and "script-src 'self'" in cached["Content-Security-Policy"]


def test_no_reader_page_has_an_inline_script(client, archive):
    from tests.security.liveness import live

    for url in ["/", "/issues/", "/issues/1/", "/categories/", "/tags/", "/search/?q=link"]:
        html = client.get(url).content.decode()
        assert "<script" not in html and live(html) == [], url


# Bookmarklet keys -------------------------------------------------------------------------

SAVE = "/admin/archive/inboxitem/bookmarklet/save/"
PAGE = "/admin/archive/inboxitem/bookmarklet/"


def saved_at_once(client, key, url):
    response = client.get(SAVE, {"key": key, "url": url})
    return InboxItem.objects.filter(url=url).exists(), response


def test_an_editor_sees_their_key_with_its_dates(editor_client, editor):
    html = editor_client.get(PAGE).content.decode()
    key = BookmarkletKey.objects.get(user=editor)
    assert bookmarklet_key(editor) in html
    assert "密钥生成于" in html and "过期时间" in html and "从未" in html
    assert key.expires_at - key.created_at == datetime.timedelta(days=90)


def test_a_rotated_key_stops_working_at_once(editor_client, editor):
    old = bookmarklet_key(editor)
    assert saved_at_once(editor_client, old, "https://a.example/")[0]
    response = editor_client.post(PAGE, {"key": "rotate"}, follow=True)
    new = bookmarklet_key(editor)
    assert new != old and new in response.content.decode()
    saved, answer = saved_at_once(editor_client, old, "https://b.example/")
    assert not saved and 'name="csrfmiddlewaretoken"' in answer.content.decode()
    assert saved_at_once(editor_client, new, "https://c.example/")[0]
    assert BookmarkletKey.objects.get(user=editor).last_used_at is not None


def test_a_revoked_key_stops_working_and_none_is_made_until_asked(editor_client, editor):
    old = bookmarklet_key(editor)
    editor_client.post(PAGE, {"key": "revoke"})
    assert not saved_at_once(editor_client, old, "https://a.example/")[0]
    html = editor_client.get(PAGE).content.decode()
    assert 'id="bookmarklet"' not in html and "你没有书签工具密钥" in html
    assert bookmarklet_key(editor) is None
    editor_client.post(PAGE, {"key": "rotate"})
    assert saved_at_once(editor_client, bookmarklet_key(editor), "https://b.example/")[0]


def test_an_expired_key_stops_working(editor_client, editor):
    old = bookmarklet_key(editor)
    BookmarkletKey.objects.filter(user=editor).update(
        expires_at=timezone.now() - datetime.timedelta(seconds=1)
    )
    assert bookmarklet_user(old) is None
    assert not saved_at_once(editor_client, old, "https://a.example/")[0]
    assert bookmarklet_key(editor) != old  # the page offers a new one


def test_keys_signed_otherwise_or_of_another_shape_are_nobodys(editor):
    from django.core import signing

    bookmarklet_key(editor)
    nonce = BookmarkletKey.objects.get(user=editor).nonce
    assert bookmarklet_user(signing.dumps(editor.pk, salt="archive.inbox.bookmarklet")) is None
    assert bookmarklet_user(signing.dumps([editor.pk, nonce], salt="another.salt")) is None
    timestamped = signing.dumps([editor.pk, nonce], salt="archive.inbox.bookmarklet")
    assert bookmarklet_user(timestamped) is None
    assert bookmarklet_user(f'[{editor.pk}, "{nonce}"]') is None
    assert bookmarklet_user("") is None


def test_editors_manage_only_their_own_key(editor_client, editor, django_user_model):
    other = django_user_model.objects.create_user("other", is_staff=True)
    theirs = bookmarklet_key(other)
    editor_client.post(PAGE, {"key": "revoke"})
    assert bookmarklet_user(theirs) == other.pk


# Outbound requests ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "address",
    [
        "::10.0.0.1",  # IPv4-compatible
        "::127.0.0.1",
        "::8.8.8.8",  # IPv4-compatible at all: routed nowhere
        "64:ff9b::10.0.0.1",  # NAT64 of a private address
        "64:ff9b::127.0.0.1",
        "64:ff9b::169.254.169.254",  # NAT64 of the cloud metadata address
        "64:ff9b:1::a00:1",  # local-use NAT64
        "::ffff:192.168.1.1",
        "2002:c0a8:0101::1",  # 6to4 of 192.168.1.1
        "2001:0:4136:e378:8000:63bf:3fff:fdd2",  # Teredo
        "100.64.0.1",  # shared address space (carrier NAT)
        "192.0.0.8",
        "fc00::1",
        "fe80::1%eth0",
    ],
)
def test_embedded_and_other_non_global_addresses_are_refused(address):
    assert not address_allowed(address)


def test_nat64_of_a_public_address_is_allowed():
    assert address_allowed("64:ff9b::8.8.8.8") and address_allowed("64:ff9b::5db8:d822")


# Limits per client behind proxies ---------------------------------------------------------


@pytest.fixture
def suggestions(settings):
    settings.SUGGESTIONS_ENABLED = True
    settings.SUGGESTIONS_PER_HOUR = 1
    cache.clear()


def suggest(client, n, forwarded=None):
    headers = {"X-Forwarded-For": forwarded} if forwarded else {}
    return client.post(
        "/suggest/", {"url": f"https://s{n}.example/"}, headers=headers, REMOTE_ADDR="10.0.0.2"
    ).status_code


def test_behind_a_proxy_readers_suggestions_are_limited_each_on_their_own(
    client, suggestions, settings
):
    settings.NUM_PROXIES = 1
    assert suggest(client, 1, "203.0.113.1") == 200
    assert suggest(client, 2, "203.0.113.2") == 200  # another reader, the same proxy
    assert suggest(client, 3, "203.0.113.1") == 429
    # Writing one's own X-Forwarded-For changes nothing: the proxy's hop is the last.
    assert suggest(client, 4, "198.51.100.7, 203.0.113.1") == 429


def test_without_proxies_the_forwarded_header_is_not_believed(client, suggestions, settings):
    settings.NUM_PROXIES = 0
    assert suggest(client, 1, "203.0.113.1") == 200
    assert suggest(client, 2, "203.0.113.2") == 429  # the same REMOTE_ADDR


def test_a_short_or_odd_forwarded_header_falls_back_to_the_peer(rf, settings):
    from archive.views.limits import client_address

    settings.NUM_PROXIES = 2
    for forwarded, expected in [
        ("203.0.113.1", "10.0.0.2"),  # fewer hops than proxies
        ("not-an-address, 10.9.9.9", "10.0.0.2"),
        ("198.51.100.1, 203.0.113.1, 10.9.9.9", "203.0.113.1"),
        (" 2001:db8::1 , 10.9.9.9", "2001:db8::1"),
    ]:
        request = rf.get("/", HTTP_X_FORWARDED_FOR=forwarded, REMOTE_ADDR="10.0.0.2")
        assert client_address(request) == expected, forwarded
