"""Stored XSS, tried the way an attacker would: hostile titles, annotations, notes, category and
tag names and URLs, through every way in (Markdown import, the admin's composer, the inbox
API, readers' suggestions, the bookmarklet), then looked for on every surface they reach:
reader pages in both languages, feeds, the API's JSON, and the editors' own admin pages.
Nothing may come back live (tests/security/liveness.py says what "live" is); the text itself
must come back, escaped, or the test proves nothing."""

import contextlib
import json
from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command
from django.utils import translation

from archive.ingest.inbox import add_items_to_issue
from archive.models import ApiToken, Category, InboxItem, Issue, Link
from tests.security.liveness import live, live_in_feed, live_in_json

pytestmark = pytest.mark.django_db

# Text that is markup to a careless template, each with a marker to find it by.
TEXT_PAYLOADS = [
    '<script>alert("x1")</script>',
    '<img src=x onerror=alert("x2")>',
    '"><svg onload=alert("x3")>',
    "'><iframe src=javascript:alert('x4')></iframe>",
    "<a href=\"javascript:alert('x5')\">x5</a>",
    '<details open ontoggle=alert("x6")>',
    "</title><script>alert('x7')</script>",
    "{{ x8 }}{% now 'Y' %}",
]
# Markdown that tries to make a live link or element in rendered HTML.
MARKDOWN_PAYLOADS = [
    '[m1](javascript:alert("m1"))',
    "[m2](  JaVaScRiPt:alert(1))",
    "[m3](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[m4](vbscript:msgbox(1))",
    "![m5](javascript:alert(1))",
    '<a href="javascript:alert(1)" onclick="alert(2)">m6</a>',
    "<script>alert('m7')</script>",
    "[m8][ref]\n\n[ref]: javascript:alert(1)",
    "<iframe src=//evil.example/>m9",
    '<img src="https://img.example/a.png" onerror="alert(\'m10\')">',
]
# The importer refuses a file with a dangerous Markdown link outright (file:line: why).
REFUSED_BY_IMPORT = [p for p in MARKDOWN_PAYLOADS if p.startswith("[")]
IMPORTABLE = [p for p in MARKDOWN_PAYLOADS if not p.startswith("[")]
# Addresses no way in may accept.
BAD_URLS = [
    "javascript:alert(1)",
    " javascript:alert(1)",
    "JAVASCRIPT:alert(1)",
    "JaVaScRiPt:alert(1)",
    "java\tscript:alert(1)",
    "\x01javascript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    " DATA:text/html;base64,PHNjcmlwdD4=",
    "vbscript:msgbox(1)",
    "VBScript:msgbox(1)",
    "file:///etc/passwd",
]


def markdown_issue(number, title_payload):
    """An issue in the newsletter's Markdown, hostile everywhere text goes."""
    entries = "\n\n".join(
        f"### [{payload.replace('[', '(').replace(']', ')')} t{index}](https://e{index}.example.com/p)\n"
        f"* {IMPORTABLE[index % len(IMPORTABLE)]}\n"
        f"* {payload}\n"
        f"<!-- tags: tag{index}{payload[:12]} -->"
        for index, payload in enumerate(TEXT_PAYLOADS)
    )
    return (
        f"# 第{number}期 {title_payload}\n\n"
        f"## 写在前面\n{TEXT_PAYLOADS[0]} {IMPORTABLE[0]}\n\n"
        f"## 分类{TEXT_PAYLOADS[1]}\n{IMPORTABLE[1]}\n\n{entries}\n"
    )


@pytest.fixture
def editor(django_user_model):
    user = django_user_model.objects.create_user("editor", password="correct horse battery")
    user.is_staff = True
    user.save()
    user.groups.add(Group.objects.get(name="editors"))
    return user


@pytest.fixture
def hostile_archive(tmp_path, editor, client, settings):
    """The payloads, in through every way there is, and published."""
    from django.core.cache import cache

    # 1. Markdown import.
    path = Path(tmp_path) / "2024-05-03-issue-7.md"
    path.write_text(markdown_issue(7, TEXT_PAYLOADS[2]), encoding="utf-8")
    call_command("import_markdown", str(path), "--publish", verbosity=0)
    # 2. The admin's composer.
    from tests.test_admin import new_issue_data

    client.force_login(editor)
    category = Category.objects.create(name=f"工具{TEXT_PAYLOADS[3]}")
    links = [
        (payload, f"https://admin{index}.example.com/", f'"{payload[:20]}"', [])
        for index, payload in enumerate(TEXT_PAYLOADS)
    ]
    data = new_issue_data(client, category=category, links=links, number=8, publish=True)
    data["lede"] = "\n\n".join(MARKDOWN_PAYLOADS)
    data["title"] = TEXT_PAYLOADS[4]
    data["sections-0-note"] = MARKDOWN_PAYLOADS[1] + TEXT_PAYLOADS[5]
    for index, payload in enumerate(MARKDOWN_PAYLOADS[: len(TEXT_PAYLOADS)]):
        data[f"sections-0-links-{index}-annotation"] = payload
    response = client.post("/admin/archive/issue/add/", data)
    assert response.status_code == 302, response.context["errors"] if response.context else ""
    # 3. The inbox API, 4. readers' suggestions: into the inbox, then into an issue.
    token = ApiToken(user=editor, name="t")
    key = token.issue()
    token.save()
    for index, payload in enumerate(TEXT_PAYLOADS):
        answer = client.post(
            "/api/inbox/",
            json.dumps(
                {
                    "url": f"https://api{index}.example.com/",
                    "title": payload,
                    "note": MARKDOWN_PAYLOADS[index],
                    "tags": [payload[:30]],
                }
            ),
            content_type="application/json",
            headers={"authorization": f"Bearer {key}"},
        )
        assert answer.status_code == 201, answer.content
    settings.SUGGESTIONS_ENABLED = True
    settings.SUGGESTIONS_PER_HOUR = 100
    cache.clear()
    client.logout()
    for index, payload in enumerate(TEXT_PAYLOADS):
        client.post(
            "/suggest/",
            {
                "url": f"https://suggested{index}.example.com/",
                "title": payload,
                "note": MARKDOWN_PAYLOADS[-1 - index],
                "name": payload,
            },
        )
    assert InboxItem.objects.count() == 2 * len(TEXT_PAYLOADS)
    client.force_login(editor)
    issue = Issue.objects.create(number=9, title=TEXT_PAYLOADS[6])
    add_items_to_issue(list(InboxItem.objects.order_by("pk")), issue, category)
    from django.utils import timezone

    issue.published_at = timezone.now()
    issue.save()
    from archive.publishing import tallies

    tallies.schedule(issues=[issue.pk])
    client.logout()
    return client


def reader_surfaces():
    with translation.override("zh-hans"):
        link_pages = [link.get_absolute_url() for link in Link.objects.order_by("pk")]
        category_pages = [c.get_absolute_url() for c in Category.objects.all()]
    from taggit.models import Tag

    tags = [f"/tags/{tag.slug}/" for tag in Tag.objects.all()]
    html = [
        "/",
        "/issues/",
        "/issues/7/",
        "/issues/8/",
        "/issues/9/",
        "/en/issues/8/",
        "/categories/",
        "/tags/",
        "/years/2024/",
        "/domains/admin0.example.com/",
        "/search/?q=alert",
        "/search/?q=script",
        "/en/search/?q=x1",
        *category_pages,
        *link_pages,
        *tags,
    ]
    feeds = [
        "/feed/",
        "/feed/rss/",
        "/domains/admin0.example.com/feed/",
        *[page + "feed/" for page in category_pages],
        *[page + "feed/" for page in tags],
    ]
    api = [
        "/api/v1/issues/",
        "/api/v1/issues/7/",
        "/api/v1/issues/8/",
        "/api/v1/issues/9/",
        "/api/v1/links/?q=alert",
        "/api/v1/categories/",
        "/api/v1/tags/",
        *[f"/api/v1/links/{link.pk}/" for link in Link.objects.all()],
    ]
    return html, feeds, api


def test_no_payload_comes_back_live_on_any_reader_surface(hostile_archive):
    client = hostile_archive
    html, feeds, api = reader_surfaces()
    for url in html:
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        assert live(response.content.decode()) == [], (
            url,
            sorted(set(live(response.content.decode()))),
        )
    for url in feeds:
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        assert live_in_feed(response.content) == [], url
    for url in api:
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        assert response["Content-Type"].startswith("application/json")
        assert response["X-Content-Type-Options"] == "nosniff"
        assert live_in_json(response.content) == [], url
    # The text did arrive, as text: the surfaces were really tested.
    page = client.get("/issues/8/").content.decode()
    assert "&lt;script&gt;alert(&quot;x1&quot;)&lt;/script&gt;" in page
    assert "&lt;img src=x onerror=alert(&quot;x2&quot;)&gt;" in page
    issue = json.loads(client.get("/api/v1/issues/8/").content)
    titles = [link["title"] for section in issue["sections"] for link in section["links"]]
    assert TEXT_PAYLOADS[0] in titles


def test_no_payload_comes_back_live_in_the_editors_admin(hostile_archive, editor):
    client = hostile_archive
    client.force_login(editor)
    pages = [
        "/admin/",
        "/admin/archive/issue/",
        "/admin/archive/link/",
        "/admin/archive/link/?q=alert",
        "/admin/archive/inboxitem/",
        "/admin/archive/category/",
        "/admin/taggit/tag/",
        *[
            f"/admin/archive/issue/{pk}/change/"
            for pk in Issue.objects.values_list("pk", flat=True)
        ],
        *[
            f"/admin/archive/inboxitem/{pk}/change/"
            for pk in InboxItem.objects.values_list("pk", flat=True)[:4]
        ],
        *[
            f"/admin/archive/link/{pk}/change/"
            for pk in Link.objects.values_list("pk", flat=True)[:4]
        ],
    ]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        assert live(response.content.decode()) == [], (
            url,
            sorted(set(live(response.content.decode()))),
        )
    for url in [
        "/admin/archive/link/tag-suggestions/?q=script",
        "/admin/archive/link/check-url/?url=https://admin0.example.com/",
    ]:
        response = client.get(url)
        assert response["Content-Type"].startswith("application/json")


@pytest.mark.parametrize("url", BAD_URLS)
def test_no_way_in_accepts_a_non_http_address(url, client, editor, settings, tmp_path):
    from django.core.cache import cache

    from tests.test_admin import new_issue_data

    # Markdown import: the file fails, nothing is written.
    path = Path(tmp_path) / "2024-05-03-issue-7.md"
    path.write_text(f"# 第7期\n\n## 工具\n\n### [x]({url})\n* y\n", encoding="utf-8")
    with contextlib.suppress(CommandError):  # the file was refused
        call_command("import_markdown", str(path), "--publish", verbosity=0)
    assert not Link.objects.filter(title="x").exclude(url="").exists()
    assert not Link.objects.exclude(url="").exclude(url__istartswith="http").exists()
    # The composer.
    client.force_login(editor)
    category = Category.objects.create(name="工具")
    data = new_issue_data(client, category=category, links=[("x", url, "", [])], number=70)
    response = client.post("/admin/archive/issue/add/", data)
    assert response.status_code == 200 and not Issue.objects.filter(number=70).exists()
    # The inbox API.
    token = ApiToken(user=editor, name="t")
    key = token.issue()
    token.save()
    answer = client.post(
        "/api/inbox/",
        json.dumps({"url": url}),
        content_type="application/json",
        headers={"authorization": f"Bearer {key}"},
    )
    assert answer.status_code == 400 and "url" in json.loads(answer.content)["errors"]
    # The bookmarklet's confirmation form.
    answer = client.post("/admin/archive/inboxitem/bookmarklet/save/", {"url": url})
    assert answer.status_code == 200
    # Readers' suggestions.
    settings.SUGGESTIONS_ENABLED = True
    cache.clear()
    client.logout()
    assert client.post("/suggest/", {"url": url}).status_code == 200
    assert not InboxItem.objects.exists()
    assert not Link.objects.exists()


@pytest.mark.parametrize("payload", REFUSED_BY_IMPORT)
def test_the_importer_refuses_a_dangerous_markdown_link_with_its_line(payload, tmp_path, capsys):
    path = Path(tmp_path) / "2024-05-03-issue-7.md"
    path.write_text(f"# 第7期\n\n## 工具\n\n### [x](https://a.example/)\n* {payload}\n")
    with pytest.raises(CommandError):
        call_command("import_markdown", str(path), "--publish", verbosity=0)
    assert f"{path}:6: link " in capsys.readouterr().err
    assert not Issue.objects.exists()
