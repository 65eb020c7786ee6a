"""The public API, /api/v1/: what each endpoint answers, bad input (400 naming the field),
unknown ids (404), pages with next links, ETag and 304, CORS, the rate limit, a fixed number of
queries per endpoint, the OpenAPI schema and its docs page, and schemathesis fuzzing the API
against that schema on a live server."""

import json
import os
import subprocess
import sys
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from archive.models import Issue, Link, LinkHealth
from tests.factories import make_issue, make_issue_with_links, make_link, make_section
from tests.servers import redis_reachable

pytestmark = pytest.mark.django_db


def make_special(slug, title):
    special = Issue.objects.create(
        number=None, slug=slug, title=title, published_at=timezone.now() - timedelta(days=1)
    )
    make_link(make_section(special), "Special", f"https://example.com/{slug}")
    return special


def get(client, url, **headers):
    response = client.get(url, headers=headers)
    assert response["Content-Type"].startswith("application/json"), response.content[:200]
    return response, json.loads(response.content)


@pytest.fixture
def archive():
    first = make_issue_with_links(1, links=4)
    second = make_issue_with_links(2, links=6)
    make_issue_with_links(3, links=2, published=False)  # a draft: never in the API
    return first, second


def test_issues_newest_first_without_drafts(client, archive):
    response, body = get(client, "/api/v1/issues/")
    assert response.status_code == 200
    assert [issue["number"] for issue in body["results"]] == [2, 1]
    assert body["count"] == 2 and body["next"] is None
    first = body["results"][1]
    assert first["link_count"] == 8  # four links, each with a child
    assert first["url"] == "http://testserver/issues/1/"
    assert first["api_url"] == "http://testserver/api/v1/issues/1/"


def test_an_issue_whole(client, archive):
    _response, body = get(client, "/api/v1/issues/1/")
    assert [section["category"]["name"] for section in body["sections"]] == ["硬件加速", "实用工具"]
    link = body["sections"][0]["links"][0]
    assert link["annotation"] == "* note **0**"
    assert "<strong>0</strong>" in link["annotation_html"]
    assert sorted(tag["slug"] for tag in link["tags"]) == ["tag0", "tag1"]
    assert link["children"][0]["title"] == "Child 1-0"
    assert link["dead"] is False and link["archived_copy"] == ""
    assert get(client, "/api/v1/issues/3/")[0].status_code == 404  # the draft
    missing, body = get(client, "/api/v1/issues/999/")
    assert missing.status_code == 404 and body["detail"]


def test_a_special_issue(client):
    make_special("year-end", "年终特刊")
    _response, body = get(client, "/api/v1/specials/year-end/")
    assert body["title"] == "年终特刊" and body["number"] is None
    assert body["sections"][0]["links"][0]["title"] == "Special"
    assert get(client, "/api/v1/specials/nothing/")[0].status_code == 404


def test_links_through_the_search_engine_with_facets(client, archive):
    _response, body = get(client, "/api/v1/links/?q=Link")
    assert body["count"] == 10
    assert {facet["value"] for facet in body["facets"]["categories"]} == {"硬件加速", "实用工具"}
    found = body["results"][0]
    assert found["issue"]["number"] in (1, 2) and found["category"]["slug"]
    _response, body = get(client, "/api/v1/links/?category=硬件加速&tag=tag0&tag=tag1")
    assert body["count"] >= 1
    assert all({"tag0", "tag1"} <= {t["slug"] for t in link["tags"]} for link in body["results"])
    assert all(link["category"]["name"] == "硬件加速" for link in body["results"])
    _response, body = get(client, "/api/v1/links/?domain=site0.example.com&year=2024&sort=new")
    assert body["count"] == 3 and all(
        link["domain"] == "site0.example.com" for link in body["results"]
    )


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("year=abc", "year"),
        ("year=1066", "year"),
        ("sort=oldest", "sort"),
        ("page=0", "page"),
        ("q=" + "长" * 1000, "q"),
        ("tag=a&tag=b&tag=c&tag=d&tag=e&tag=f", "tag"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(client, archive, query, field):
    response, body = get(client, f"/api/v1/links/?{query}")
    assert response.status_code == 400
    assert [error["field"] for error in body["errors"]] == [field]
    assert field in body["detail"]


def test_odd_input_is_no_500(client, archive):
    odd = ["q=%00", "domain=%00x", "category=%00", "tag=%00", "q=' OR 1=1 --", "q=%F0%9F%98%80"]
    for query in odd:
        response, _body = get(client, f"/api/v1/links/?{query}")
        assert response.status_code in (200, 404), query
    assert get(client, "/api/v1/specials/%00/")[0].status_code == 404


def test_filters_by_what_does_not_exist_are_404s_naming_the_field(client, archive):
    response, body = get(client, "/api/v1/links/?category=nothing")
    assert response.status_code == 404 and body["errors"][0]["field"] == "category"
    response, body = get(client, "/api/v1/links/?tag=tag0&tag=nothing")
    assert response.status_code == 404 and body["errors"][0]["field"] == "tag"
    for url in ["/api/v1/links/999999/", "/api/v1/nothing/", "/api/v1/specials/nothing/"]:
        assert get(client, url)[0].status_code == 404, url
    for url in ["/api/v1/links/0/", "/api/v1/links/abc/", f"/api/v1/issues/{10**30}/"]:
        response, body = get(client, url)
        assert response.status_code == 400 and body["errors"], url


def test_a_link_and_where_else_it_was_featured(client, archive):
    first, _second = archive
    again = make_issue_with_links(4, links=1)
    link = Link.objects.filter(section__issue=first, parent=None).order_by("pk").first()
    repeat = make_link(again.sections.first(), "Again", link.url)
    _response, body = get(client, f"/api/v1/links/{link.pk}/")
    assert body["title"] == link.title and body["children"][0]["title"].startswith("Child")
    assert [(a["link_id"], a["issue"]["number"]) for a in body["also_featured_in"]] == [
        (repeat.pk, 4)
    ]
    draft_link = Link.objects.filter(section__issue__number=3).first()
    assert get(client, f"/api/v1/links/{draft_link.pk}/")[0].status_code == 404


def test_a_dead_link_carries_its_archived_copy(client, archive):
    link = Link.objects.filter(section__issue__number=1, parent=None).order_by("pk").first()
    LinkHealth.objects.create(
        link=link,
        checked_at=timezone.now(),
        checked_url=link.url,
        verdict="gone",
        archived_url="https://web.archive.org/web/2024/" + link.url,
    )
    _response, body = get(client, f"/api/v1/links/{link.pk}/")
    assert body["dead"] is True and body["archived_copy"].startswith("https://web.archive.org/")


def test_categories_tags_and_domains_with_counts(client, archive):
    _response, body = get(client, "/api/v1/categories/")
    assert {category["name"]: category["link_count"] for category in body} == {
        "硬件加速": 10,
        "实用工具": 10,
    }  # parents and children of published issues
    _response, body = get(client, "/api/v1/tags/")
    assert (
        body["count"] == 7 and body["results"][0]["link_count"] >= body["results"][-1]["link_count"]
    )
    _response, body = get(client, "/api/v1/domains/")
    counts = {domain["name"]: domain["link_count"] for domain in body["results"]}
    assert counts["example.com"] == 10 and counts["site0.example.com"] == 3


def test_pages_have_stable_order_and_next_links(client):
    for number in range(1, 56):
        make_issue(number, date=timezone.localdate())
    _response, first = get(client, "/api/v1/issues/")
    assert first["count"] == 55 and len(first["results"]) == 50
    assert first["next"] == "http://testserver/api/v1/issues/?page=2"
    _response, second = get(client, first["next"])
    assert [issue["number"] for issue in second["results"]] == [5, 4, 3, 2, 1]
    assert second["previous"] == "http://testserver/api/v1/issues/?page=1"
    assert get(client, "/api/v1/issues/?page=3")[0].status_code == 404


def test_etag_and_304(client, archive):
    response, _body = get(client, "/api/v1/issues/1/")
    again = client.get("/api/v1/issues/1/", headers={"If-None-Match": response["ETag"]})
    assert again.status_code == 304 and not again.content


def test_cors_is_open_for_get(client, archive):
    response, _body = get(client, "/api/v1/tags/", Origin="https://elsewhere.example")
    assert response["Access-Control-Allow-Origin"] == "*"
    assert "ETag" in response["Access-Control-Expose-Headers"]
    preflight = client.options(
        "/api/v1/tags/",
        headers={"Origin": "https://elsewhere.example", "Access-Control-Request-Method": "GET"},
    )
    assert preflight.status_code == 204
    assert "GET" in preflight["Access-Control-Allow-Methods"]
    assert "If-None-Match" in preflight["Access-Control-Allow-Headers"]
    refused = client.post("/api/v1/tags/")
    assert refused.status_code == 405 and refused["Allow"] == "GET"


@pytest.fixture(params=["memory", "redis"])
def cache_backend(request, settings):
    """The rate limit on the in-process cache, and on Redis as in production."""
    from django.core.cache import cache

    if request.param == "redis":
        if not redis_reachable():
            if os.environ.get("REQUIRE_REDIS") == "1":
                pytest.fail("Redis is not running on 127.0.0.1:6379")
            pytest.skip("Redis is not running on 127.0.0.1:6379")
        settings.CACHES = {
            "default": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": "redis://127.0.0.1:6379/14",
            }
        }
    cache.clear()
    yield request.param
    cache.clear()


def test_anonymous_clients_are_rate_limited(client, archive, settings, cache_backend):
    settings.API_REQUESTS_PER_MINUTE = 3
    assert [client.get("/api/v1/tags/").status_code for _ in range(3)] == [200, 200, 200]
    response, body = get(client, "/api/v1/tags/")
    assert response.status_code == 429 and 1 <= int(response["Retry-After"]) <= 60
    assert "3 a minute" in body["detail"]
    other = client.get("/api/v1/tags/", REMOTE_ADDR="10.1.2.3")
    assert other.status_code == 200  # per address
    assert client.get("/").status_code == 200  # the pages are not limited by it


def test_behind_proxies_the_limit_counts_clients(client, archive, settings, cache_backend):
    settings.API_REQUESTS_PER_MINUTE, settings.NUM_PROXIES = 1, 1
    first = {"HTTP_X_FORWARDED_FOR": "203.0.113.1"}
    assert client.get("/api/v1/tags/", **first).status_code == 200
    assert client.get("/api/v1/tags/", **first).status_code == 429
    assert client.get("/api/v1/tags/", HTTP_X_FORWARDED_FOR="203.0.113.2").status_code == 200
    # A client cannot pass as another by adding its own X-Forwarded-For: the proxy's is last.
    spoofed = {"HTTP_X_FORWARDED_FOR": "198.51.100.9, 203.0.113.1"}
    assert client.get("/api/v1/tags/", **spoofed).status_code == 429


ENDPOINTS = [
    "/api/v1/issues/",
    "/api/v1/issues/1/",
    "/api/v1/links/",
    "/api/v1/links/?q=Link&tag=tag0",
    "/api/v1/links/?category=硬件加速&sort=new",
    "link",
    "/api/v1/specials/year-end/",
    "/api/v1/categories/",
    "/api/v1/tags/",
    "/api/v1/domains/",
]


def count_queries(client, url):
    with CaptureQueriesContext(connection) as context:
        assert client.get(url).status_code == 200, url
    return len(context)


@pytest.mark.parametrize("url", ENDPOINTS)
def test_query_count_does_not_grow_with_the_data(client, url):
    issue = make_issue_with_links(1, links=4)
    special = make_special("year-end", "年终特刊")
    link_url = f"/api/v1/links/{Link.objects.filter(section__issue=issue).first().pk}/"
    target = link_url if url == "link" else url
    small = count_queries(client, target)
    make_issue_with_links(2, links=120, tags_per_link=4)
    for index in range(30):
        make_link(special.sections.first(), f"More {index}", f"https://example.com/more/{index}")
    for number in range(3, 40):
        make_issue_with_links(number, links=2)
    assert count_queries(client, target) == small


def test_the_openapi_schema_and_its_docs_page(client):
    response, schema = get(client, "/api/v1/openapi.json")
    assert schema["openapi"].startswith("3.")
    paths = schema["paths"]
    for path in [
        "/api/v1/issues/",
        "/api/v1/issues/{number}/",
        "/api/v1/links/",
        "/api/v1/links/{link_id}/",
        "/api/v1/categories/",
        "/api/v1/tags/",
        "/api/v1/domains/",
    ]:
        assert set(paths[path]) == {"get"}, path
        assert {"200", "400", "404", "429"} <= set(paths[path]["get"]["responses"]), path
    names = {parameter["name"] for parameter in paths["/api/v1/links/"]["get"]["parameters"]}
    assert names == {"q", "category", "tag", "domain", "year", "sort", "page"}
    inbox = paths["/api/inbox/"]["post"]
    assert {"201", "400", "401", "403"} <= set(inbox["responses"])
    assert inbox["security"] == [{"editorToken": []}]
    assert schema["components"]["securitySchemes"]["editorToken"]["scheme"] == "bearer"
    assert "url" in inbox["requestBody"]["content"]["application/json"]["schema"]["properties"]
    docs = client.get("/api/v1/docs/")
    assert docs.status_code == 200 and b"/api/v1/openapi.json" in docs.content
    assert b"cdn" not in docs.content.lower()  # served from our own static files


@pytest.mark.django_db(transaction=True)
def test_schemathesis_finds_nothing_wrong(live_server, settings, tmp_path):
    """Fuzzing every endpoint against the schema: no 5xx, no response the schema does not
    describe, none slower than a second."""
    settings.API_REQUESTS_PER_MINUTE = 10**9
    call_command("import_markdown", str(settings.BASE_DIR / "archive" / "demo"), "--publish")
    make_special("special", "特刊")
    run = subprocess.run(
        [sys.executable, "-m", "schemathesis.cli", "run"]
        + [f"{live_server.url}/api/v1/openapi.json", "--checks", "all"]
        + ["--max-response-time", "1", "--max-examples", "30", "--seed", "20261203"]
        + ["--report-dir", str(tmp_path), "--warnings", "off", "--no-color"],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=tmp_path,  # its example database stays out of the checkout
    )
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]
    assert "Tested: 9" in run.stdout  # the eight of v1 and the inbox
