"""The editors' week: links collected in the inbox (admin, bookmarklet, API, readers'
suggestions), told when they were featured before, and added to a draft issue in one action.

Longer than most (one file per feature): the inbox has five ways in, each tested here."""

import datetime
import io
import json
import re

import pytest
from django.contrib.auth.models import Group, User
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from archive.ingest.inbox import bookmarklet_key
from archive.ingest.loading import load_issue
from archive.issuemd import EntryDoc, IssueDoc, SectionDoc
from archive.models import ApiToken, Category, InboxItem, Link
from tests.factories import make_issue
from tests.forms import form_data
from tests.httpserver import LocalServer, html

pytestmark = pytest.mark.django_db

FEATURED = "https://github.com/BurntSushi/ripgrep"
LIST_URL = "/admin/archive/inboxitem/"


@pytest.fixture
def featured():
    """Issue 213 featured ripgrep; issue 214 is a draft being composed."""
    load_issue(
        IssueDoc(
            number=213,
            date=datetime.date(2024, 3, 1),
            sections=[SectionDoc("实用工具", entries=[EntryDoc("ripgrep", FEATURED)])],
        ),
        publish=True,
    )
    return make_issue(214, published=False, date=datetime.date(2024, 3, 8))


@pytest.fixture
def site(monkeypatch):
    """A page on 127.0.0.1 for the title fetch, which the tests may reach."""
    monkeypatch.setenv("OUTBOUND_ALLOW_LOOPBACK", "1")
    page = (
        '<html><head><title>fzf</title><meta name="description" content="模糊查找"></head></html>'
    )
    with LocalServer({"/fzf": html(page)}) as server:
        yield server


def item(**fields):
    fields.setdefault("url", "https://example.com/a")
    return InboxItem.objects.create(**fields)


def test_an_editor_saves_a_link_in_the_admin_with_its_title_fetched(editor_client, site):
    data = form_data(editor_client.get(LIST_URL + "add/"))
    data.update(url=site.url + "/fzf?utm_source=weekly", title="", note="好用", tags="命令行")
    response = editor_client.post(LIST_URL + "add/", data, follow=True)
    assert response.status_code == 200
    saved = InboxItem.objects.get()
    assert saved.url == site.url + "/fzf"  # cleaned on the way in
    assert (saved.title, saved.description) == ("fzf", "模糊查找")
    assert saved.saved_by.username == "editor" and saved.source == "admin"
    assert list(saved.tags.names()) == ["命令行"]


def test_saving_a_featured_url_says_where(editor_client, featured):
    data = form_data(editor_client.get(LIST_URL + "add/"))
    data.update(url=FEATURED + "?utm_medium=x", title="rg")
    response = editor_client.post(LIST_URL + "add/", data, follow=True)
    html_text = response.content.decode()
    assert '已在<a href="/issues/213/">第 213 期</a>出现' in html_text
    data = form_data(editor_client.get(LIST_URL + "add/"))
    data.update(url=FEATURED, title="rg again")
    html_text = editor_client.post(LIST_URL + "add/", data, follow=True).content.decode()
    assert "收件箱里已有 1 次" in html_text


def test_in_english_it_says_so_in_english(editor_client, featured):
    item(url=FEATURED, title="rg")
    html_text = editor_client.get(LIST_URL, headers={"accept-language": "en"}).content.decode()
    assert 'already featured in <a href="/en/issues/213/">Issue 213</a>' in html_text


def test_the_inbox_list_makes_a_fixed_number_of_queries(editor_client, featured):
    def count():
        with CaptureQueriesContext(connection) as context:
            assert editor_client.get(LIST_URL).status_code == 200
        return len(context)

    for index in range(3):
        item(url=f"https://example.com/{index}", title=f"A {index}").tags.add("x")
    few = count()
    for index in range(3, 40):
        item(url=FEATURED if index % 2 else f"https://e.com/{index}", title=f"B {index}").tags.add(
            "y", "z"
        )
    assert count() == few


def test_chosen_items_become_links_of_a_draft_issue(editor_client, featured):
    tools = Category.objects.get(name="实用工具")
    first = item(url="https://a.example/", title="A", note="* 说明 A")
    first.tags.add("rust", "命令行")
    second = item(url="https://b.example/", title="B")
    done = item(url="https://c.example/", title="C", status=InboxItem.Status.DISCARDED)
    action = {"action": "add_to_issue", "_selected_action": [first.pk, second.pk, done.pk]}

    page = editor_client.post(LIST_URL, action)
    assert page.status_code == 200
    choices = [issue.number for issue in page.context["form"].fields["issue"].queryset]
    assert choices == [214]  # drafts and scheduled issues only

    response = editor_client.post(
        LIST_URL, {**action, "apply": "1", "issue": featured.pk, "category": tools.pk}, follow=True
    )
    assert "2 个链接已加入" in response.content.decode()
    links = list(Link.objects.filter(section__issue=featured).order_by("position"))
    assert [(link.title, link.url, link.annotation) for link in links] == [
        ("A", "https://a.example/", "* 说明 A"),
        ("B", "https://b.example/", ""),
    ]
    assert sorted(links[0].tags.names()) == ["rust", "命令行"]
    assert links[0].section.category == tools
    first.refresh_from_db()
    assert (first.status, first.link) == ("used", links[0])
    done.refresh_from_db()
    assert done.status == "discarded" and done.link is None

    # Again, into the same section: after what is there.
    third = item(url="https://d.example/", title="D")
    editor_client.post(
        LIST_URL,
        {"action": "add_to_issue", "_selected_action": [third.pk], "apply": "1"}
        | {"issue": featured.pk, "category": tools.pk},
    )
    assert featured.sections.count() == 1
    assert list(
        featured.sections.get().links.order_by("position").values_list("title", flat=True)
    ) == [
        "A",
        "B",
        "D",
    ]


def test_discard_and_restore(editor_client):
    saved = item()
    editor_client.post(LIST_URL, {"action": "discard", "_selected_action": [saved.pk]})
    saved.refresh_from_db()
    assert saved.status == "discarded"
    assert editor_client.get(LIST_URL, {"status__exact": "new"}).context["cl"].result_count == 0
    editor_client.post(LIST_URL, {"action": "restore", "_selected_action": [saved.pk]})
    saved.refresh_from_db()
    assert saved.status == "new"


def test_with_no_draft_there_is_nowhere_to_add(editor_client):
    saved = item()
    response = editor_client.post(
        LIST_URL, {"action": "add_to_issue", "_selected_action": [saved.pk]}, follow=True
    )
    assert "没有可以加入的草稿" in response.content.decode()


# The bookmarklet ---------------------------------------------------------------------


def test_the_bookmarklet_page_offers_a_button_with_the_editors_key(editor_client, editor):
    html_text = editor_client.get(LIST_URL + "bookmarklet/").content.decode()
    assert 'id="bookmarklet" href="javascript:' in html_text
    assert bookmarklet_key(editor).split(":")[0] in html_text


def test_the_bookmarklet_saves_in_one_click(editor_client, editor, featured):
    response = editor_client.get(
        LIST_URL + "bookmarklet/save/",
        {
            "key": bookmarklet_key(editor),
            "url": FEATURED + "?fbclid=x",
            "title": "ripgrep, again",
            "note": "选中的文字",
        },
    )
    html_text = response.content.decode()
    assert "已保存到收件箱" in html_text and "已在" in html_text and "第 213 期" in html_text
    saved = InboxItem.objects.get()
    assert (saved.url, saved.title, saved.note, saved.source) == (
        FEATURED,
        "ripgrep, again",
        "选中的文字",
        "bookmarklet",
    )


def test_another_site_cannot_save_through_the_bookmarklet_address(editor_client, django_user_model):
    other = django_user_model.objects.create_user("other", is_staff=True)
    # No key, or someone else's: a page that opened this address gets a form to confirm.
    for params in [{}, {"key": "forged"}, {"key": bookmarklet_key(other)}]:
        response = editor_client.get(
            LIST_URL + "bookmarklet/save/", {"url": "https://spam.example/", **params}
        )
        assert 'name="csrfmiddlewaretoken"' in response.content.decode()
    assert not InboxItem.objects.exists()
    # The editor confirms: the form's CSRF token makes it theirs.
    data = form_data(
        editor_client.get(LIST_URL + "bookmarklet/save/", {"url": "https://ok.example/"})
    )
    editor_client.post(LIST_URL + "bookmarklet/save/", data)
    assert InboxItem.objects.get().url == "https://ok.example/"


def test_the_bookmarklet_needs_a_logged_in_editor(client):
    response = client.get(LIST_URL + "bookmarklet/save/", {"url": "https://a.example/"})
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    assert not InboxItem.objects.exists()


# The API -----------------------------------------------------------------------------


@pytest.fixture
def token(editor):
    token = ApiToken(user=editor, name="phone")
    key = token.issue()
    token.save()
    return key


def post(client, data, key=None, raw=None):
    headers = {"authorization": f"Bearer {key}"} if key else {}
    body = raw if raw is not None else json.dumps(data)
    return client.post("/api/inbox/", body, content_type="application/json", headers=headers)


def test_the_api_saves_and_says_where_the_url_was_featured(client, token, featured):
    response = post(
        client,
        {"url": FEATURED + "?utm_source=app", "title": "rg", "note": "n", "tags": ["cli", "rust"]},
        token,
    )
    assert response.status_code == 201
    body = response.json()
    assert body["url"] == FEATURED and body["tags"] == ["cli", "rust"]
    assert body["featured_in"] == [
        {"number": 213, "url": "http://testserver/issues/213/", "published": True}
    ]
    assert body["source"] == "api" and body["in_inbox"] == 0
    saved = InboxItem.objects.get()
    assert saved.saved_by.username == "editor"
    assert post(client, {"url": FEATURED}, token).json()["in_inbox"] == 1


def test_the_api_fetches_a_missing_title(client, token, site):
    response = post(client, {"url": site.url + "/fzf"}, token)
    assert response.status_code == 201 and response.json()["title"] == "fzf"


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"title": "no url"}, "url"),
        ({"url": "javascript:alert(1)"}, "url"),
        ({"url": "ftp://example.com/x"}, "url"),
        ({"url": "https://a.example/", "tags": "rust"}, "__all__"),
        ({"url": "https://a.example/", "title": "x" * 1001}, "title"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(client, token, data, field):
    response = post(client, data, token)
    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert not InboxItem.objects.exists()


def test_a_body_that_is_not_json_is_a_400(client, token):
    assert post(client, None, token, raw="not json{").status_code == 400
    assert post(client, None, token, raw="[1, 2]").status_code == 400


def test_without_a_valid_token_it_is_401(client, token, editor):
    assert post(client, {"url": "https://a.example/"}).status_code == 401
    assert post(client, {"url": "https://a.example/"}, "lw_wrong").status_code == 401
    ApiToken.objects.update(revoked_at=datetime.datetime.now(datetime.UTC))
    response = post(client, {"url": "https://a.example/"}, token)
    assert response.status_code == 401 and response["WWW-Authenticate"].startswith("Bearer")
    assert client.get("/api/inbox/").status_code == 405
    assert not InboxItem.objects.exists()


def test_a_token_of_someone_who_is_no_editor_is_refused(client):
    reader = User.objects.create_user("reader")
    token = ApiToken(user=reader, name="x")
    key = token.issue()
    token.save()
    assert post(client, {"url": "https://a.example/"}, key).status_code == 403


def test_editors_make_and_revoke_their_own_tokens(editor_client, client):
    response = editor_client.post("/admin/archive/apitoken/add/", {"name": "laptop"}, follow=True)
    message = [str(m) for m in response.context["messages"]][0]
    key = re.search(r"lw_[\w-]+", message).group(0)
    assert key.startswith("lw_")
    token = ApiToken.objects.get()
    assert token.key_hash == ApiToken.hash(key) and key not in token.key_hash
    assert post(client, {"url": "https://a.example/"}, key).status_code == 201
    assert token.__class__.objects.get().last_used_at is not None
    editor_client.post(
        "/admin/archive/apitoken/", {"action": "revoke", "_selected_action": [token.pk]}
    )
    assert post(client, {"url": "https://b.example/"}, key).status_code == 401
    # Nobody sees another editor's tokens.
    other = User.objects.create_user("other", password="x", is_staff=True)
    other.groups.add(Group.objects.get(name="editors"))
    client.force_login(other)
    assert client.get("/admin/archive/apitoken/").context["cl"].result_count == 0


def test_create_token_prints_a_key_for_scripts(editor, client):
    out = io.StringIO()
    call_command("create_token", "editor", "--name", "cron", stdout=out)
    key = out.getvalue().strip()
    assert post(client, {"url": "https://a.example/"}, key).status_code == 201
    with pytest.raises(CommandError, match="No user named"):
        call_command("create_token", "nobody")
    User.objects.create_user("reader")
    with pytest.raises(CommandError, match="may not save to the inbox"):
        call_command("create_token", "reader")


# Readers' suggestions ------------------------------------------------------------------


def test_suggestions_are_off_by_default(client):
    assert client.get("/suggest/").status_code == 404


@pytest.fixture
def suggestions(settings):
    settings.SUGGESTIONS_ENABLED = True
    settings.SUGGESTIONS_PER_HOUR = 3
    from django.core.cache import cache

    cache.clear()


def test_a_reader_suggests_a_link_and_it_waits_in_the_inbox(client, suggestions):
    assert client.get("/suggest/").status_code == 200
    response = client.post(
        "/suggest/", {"url": "https://good.example/?utm_source=x", "note": "很好", "name": "小王"}
    )
    assert "谢谢" in response.content.decode()
    saved = InboxItem.objects.get()
    assert (saved.url, saved.source, saved.suggested_by, saved.saved_by) == (
        "https://good.example/",
        "suggestion",
        "小王",
        None,
    )
    assert client.get("/").status_code == 200
    assert "good.example" not in client.get("/").content.decode()  # never on the site by itself


def test_robots_that_fill_the_hidden_field_are_thanked_and_ignored(client, suggestions):
    response = client.post("/suggest/", {"url": "https://spam.example/", "website": "x"})
    assert response.status_code == 200 and not InboxItem.objects.exists()


def test_suggestions_are_limited_per_address(client, suggestions):
    for index in range(3):
        assert client.post("/suggest/", {"url": f"https://a{index}.example/"}).status_code == 200
    assert client.post("/suggest/", {"url": "https://a9.example/"}).status_code == 429
    assert InboxItem.objects.count() == 3
    other = client.post("/suggest/", {"url": "https://b.example/"}, REMOTE_ADDR="10.1.2.3")
    assert other.status_code == 200


def test_a_bad_suggestion_says_what_is_wrong(client, suggestions):
    response = client.post("/suggest/", {"url": "javascript:alert(1)"})
    assert response.status_code == 200 and not InboxItem.objects.exists()
    assert response.context["form"].errors["url"]


def test_bookmarks_exported_from_a_browser_come_into_the_inbox(tmp_path, editor):
    bookmarks = tmp_path / "bookmarks.html"
    bookmarks.write_text(
        '<!DOCTYPE NETSCAPE-Bookmark-file-1><DL><DT><A HREF="https://a.example/?utm_source=x">'
        'A 页面</A><DT><A HREF="javascript:void(0)">bad</A>'
        '<DT><A HREF="https://b.example/">B</A></DL>',
        encoding="utf-8",
    )
    item(url="https://b.example/")
    out = io.StringIO()
    call_command("import_inbox", str(bookmarks), "--user", "editor", stdout=out)
    assert (
        "1 saved to the inbox, 1 already waiting there, 1 not http(s) addresses" in out.getvalue()
    )
    saved = InboxItem.objects.get(source="import")
    assert (saved.url, saved.title, saved.saved_by) == ("https://a.example/", "A 页面", editor)
    lines = tmp_path / "links.txt"
    lines.write_text("# to read\nhttps://c.example/ 一篇文章\n", encoding="utf-8")
    call_command("import_inbox", str(lines), stdout=io.StringIO())
    assert InboxItem.objects.get(url="https://c.example/").title == "一篇文章"
