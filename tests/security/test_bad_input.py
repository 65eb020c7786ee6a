"""Bad input of every kind, as a fuzzer or a careless client sends it: odd pages and ids, NUL
bytes, invalid UTF-8, huge and odd search queries, filters out of range, malformed headers and
bodies. Not one may answer 5xx; each gets a clear 4xx (or the page, ignoring what it cannot
use)."""

import json
from urllib.parse import quote

import pytest
from django.test import Client

from archive.models import ApiToken
from tests.factories import make_issue_with_links

pytestmark = pytest.mark.django_db

HUGE = 10_000

PATHS = [
    # Pages and ids.
    *[f"/issues/?page={page}" for page in ["abc", "-1", "0", "99999999999999999999", "1e9", ""]],
    *[f"/tags/?page={page}" for page in ["abc", "-1", "99999999999999999999"]],
    "/issues/0/",
    "/issues/99999999999999999999/",
    "/links/0/",
    "/links/99999999999999999999/",
    "/years/0/",
    "/years/99999999/",
    "/specials/%00/",
    "/specials/" + "a" * 500 + "/",
    # NUL bytes and invalid UTF-8 anywhere.
    "/search/?q=%00",
    "/search/?q=a%00b&category=%00&tag=%00&domain=%00&year=%00",
    "/tags/%00/",
    "/categories/%00/",
    "/domains/%00/",
    "/domains/%00/feed/",
    "/search/?q=%ff%fe%fd",
    "/tags/%ff/",
    "/categories/%C0%AF/",
    "/domains/%E4%B8/",
    "/issues/%ff/",
    "/%ff%fe/",
    "/en/search/?q=%ed%a0%80",  # a lone surrogate, UTF-8-encoded
    # Huge and odd queries.
    "/search/?q=" + "a" * HUGE,
    "/search/?q=" + quote("数据" * (HUGE // 2)),
    "/search/?q=" + quote("a " * 2000),
    "/search/?q=" + quote('"' * 1000),
    "/search/?q=" + quote("-" * 1000),
    "/search/?q=" + quote("OR " * 500),
    "/search/?q=" + quote('-a -b -c OR OR "" "x'),
    "/search/?q=" + quote(")(*&^%$#@!~`{}[]|\\:;'<>,.?/"),
    "/search/?q=" + quote("\u202e\u200b\ufeff\U0001f600"),
    "/search/?q=" + quote("%_%_\\"),
    "/search/?q=" + quote("a:*|b&!c"),  # tsquery operators
    # Filters out of range or odd.
    "/search/?year=abc",
    "/search/?year=99999",
    "/search/?year=-5",
    "/search/?sort=bogus",
    "/search/?" + "&".join(f"tag=t{n}" for n in range(200)),
    "/search/?category=" + "c" * 5000,
    "/search/?domain=" + "d" * 5000,
    "/search/?page=99999999999999999999&q=a",
    # Feeds and sitemaps with odd arguments.
    "/tags/" + quote("不存在") + "/feed/",
    "/categories/nope/feed/",
    "/sitemap-nope.xml",
    "/sitemap-links.xml?p=abc",
    "/sitemap-links.xml?p=99999",
    # The API.
    "/api/v1/links/?q=%00",
    "/api/v1/links/?q=" + "a" * HUGE,
    "/api/v1/links/?q=%ff%fe",
    "/api/v1/links/?year=abc",
    "/api/v1/links/?page=99999999999999999999",
    "/api/v1/issues/99999999999999999999/",
    "/api/v1/specials/%00/",
    "/api/v1/links/-1/",
    "/api/v1/tags/?page=abc",
    "/api/v1/nowhere/",
]

HEADERS = [
    {"Accept-Language": "*;q=xyz,,,,;;;"},
    {"Accept-Language": "zh-" + "x" * 5000},
    {"Accept-Language": "\x00"},
    {"Accept": "text/html" + ", */*" * 1000},
    {"If-None-Match": '"' * 100},
    {"If-None-Match": "W/" * 500},
    {"If-Modified-Since": "yesterday-ish"},
    {"If-Modified-Since": "Mon, 99 Foo 99999 99:99:99 GMT"},
    {"Cookie": "sessionid=%%%; django_language=../../etc/passwd"},
    {"Cookie": "django_language=" + "x" * 4000},
    {"Cookie": "sessionid=" + "a" * 4000},
    {"Cookie": "csrftoken=\x00"},
    {"X-Forwarded-For": "not-an-ip, , ,,999.999.1.1"},
    {"X-Forwarded-Proto": "gopher"},
    {"Range": "bytes=9999999-1"},
    {"Accept-Encoding": "gzip;q=abc, br;q=" + "9" * 100},
]


@pytest.fixture
def archive(settings):
    settings.SUGGESTIONS_ENABLED = True
    settings.NUM_PROXIES = 1
    make_issue_with_links(1, links=4)


def no_server_error(client, method, path, **kwargs):
    response = getattr(client, method)(path, **kwargs)
    assert response.status_code < 500, (method, path[:120], kwargs.keys(), response.status_code)
    return response


def test_odd_paths_and_queries_never_answer_5xx(archive):
    client = Client(raise_request_exception=False)
    statuses = {}
    for path in PATHS:
        status = no_server_error(client, "get", path).status_code
        statuses[status] = statuses.get(status, 0) + 1
    assert set(statuses) <= {200, 301, 302, 400, 404}, statuses
    assert statuses.get(404, 0) >= 10  # the unknown ids and slugs said so


def test_malformed_headers_never_answer_5xx(archive):
    client = Client(raise_request_exception=False)
    for headers in HEADERS:
        for path in ["/", "/issues/1/", "/search/?q=a", "/feed/", "/api/v1/issues/"]:
            no_server_error(client, "get", path, headers=headers)
    # A host that is not the site's is refused, not served.
    response = no_server_error(client, "get", "/", headers={"Host": "evil.example"})
    assert response.status_code == 400
    response = no_server_error(client, "get", "/", headers={"Host": "a" * 5000})
    assert response.status_code == 400


def test_odd_methods_and_forms_never_answer_5xx(archive):
    client = Client(raise_request_exception=False)
    for method in ["put", "delete", "patch", "options"]:
        for path in ["/", "/issues/1/", "/search/", "/api/v1/issues/"]:
            assert no_server_error(client, method, path).status_code in (200, 204, 405)
    for data in [{}, {"url": "\x00"}, {"url": "https://" + "a" * 5000 + ".example/"}]:
        no_server_error(client, "post", "/suggest/", data=data)
    no_server_error(client, "post", "/suggest/", data=b"\xff\xfe", content_type="text/plain")
    for target in ["javascript:alert(1)", "//evil.example/", "https://evil.example/", "\x00"]:
        response = no_server_error(
            client, "post", "/i18n/setlang/", data={"language": "en", "next": target}
        )
        assert "evil.example" not in response.get("Location", "")
        assert "javascript" not in response.get("Location", "")
    no_server_error(client, "post", "/i18n/setlang/", data={"language": "xx-\x00"})


@pytest.mark.parametrize(
    "body, message",
    [
        (b"[" * 1000, "nests too deeply"),
        (b"{" * 1000, "nests too deeply"),
        (b'{"tags": ' + b"[" * 50 + b"]" * 50 + b"}", "nests too deeply"),
        (b'{"url": "https://a.example/", "note": "' + b"x" * 70_000 + b'"}', "too large"),
        (b"\xff\xfe\x00", "not JSON"),
        (b'{"url": "https://a.example/"', "not JSON"),
        (b"NaN", "not JSON"),
        (b"[]", "a JSON object"),
        (b'"text"', "a JSON object"),
        (b'{"url": "https://a.example/", "tags": [[["x"]]]}', "tags must be a list of strings"),
        (b'{"url": 5, "title": {"a": 1}, "tags": "x"}', "Some fields are not right"),
    ],
)
def test_the_inbox_api_answers_bad_bodies_with_a_clear_400(body, message, editor):
    token = ApiToken(user=editor, name="t")
    key = token.issue()
    token.save()
    client = Client(raise_request_exception=False)
    response = client.post(
        "/api/inbox/",
        body,
        content_type="application/json",
        headers={"authorization": f"Bearer {key}"},
    )
    assert response.status_code == 400, response.content[:200]
    answer = json.loads(response.content)
    assert message in json.dumps(answer, ensure_ascii=False), answer


def test_the_inbox_api_refuses_a_declared_huge_body_without_reading_it(editor):
    token = ApiToken(user=editor, name="t")
    key = token.issue()
    token.save()
    client = Client(raise_request_exception=False)
    for length in ["10000000000", "-1", "abc"]:
        response = client.post(
            "/api/inbox/",
            b"{}",
            content_type="application/json",
            headers={"authorization": f"Bearer {key}"},
            CONTENT_LENGTH=length,
        )
        assert response.status_code == 400, (length, response.status_code)
