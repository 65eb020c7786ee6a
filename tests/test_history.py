"""Undo and history: a revision for every way a change comes in, readable diffs, restore
(tallies and search agreeing with a recount from scratch afterwards), the trash hidden from
every reader surface, two editors at once, and the audit log."""

import datetime
import io

import pytest
from django.core.management import call_command
from django.utils import timezone, translation

from archive.admin.categories import merge_categories
from archive.history import diff, revisions, trash
from archive.ingest.inbox import add_items_to_issue
from archive.ingest.loading import load_issue
from archive.issuemd import EntryDoc, IssueDoc, SectionDoc, parse_issue
from archive.models import (
    AuditEvent,
    Category,
    InboxItem,
    Issue,
    Link,
    Revision,
    SearchEntry,
    Tally,
    TrashItem,
    Via,
)
from archive.publishing import tallies
from tests.forms import form_data

pytestmark = pytest.mark.django_db


def doc(number=5, title="第五期", links=(("Rust 1.80", "https://blog.rust-lang.org/1.80"),)):
    return IssueDoc(
        number=number,
        title=title,
        date=datetime.date(2024, 5, 3),
        sections=[
            SectionDoc("工具", entries=[EntryDoc(t, u, annotation=f"关于 {t}") for t, u in links]),
            SectionDoc("文章", entries=[EntryDoc("Why SQLite", "https://sqlite.org/why.html")]),
        ],
    )


@pytest.fixture
def issue():
    return load_issue(doc(), publish=True).issue


def change_url(issue):
    return f"/admin/archive/issue/{issue.pk}/change/"


def composer(client, issue):
    return form_data(client.get(change_url(issue)))


def snapshot():
    """What the reader's counts and the search index say, to compare with a recount."""
    tallies_now = sorted(Tally.objects.values_list("kind", "key", "count"))
    search_now = sorted(SearchEntry.objects.values_list("link_id", flat=True))
    return tallies_now, search_now


def recounted():
    tallies.recount()
    call_command("rebuild_search_index", stdout=io.StringIO())
    return snapshot()


def test_an_import_records_a_revision_and_an_unchanged_one_none(issue):
    (first,) = Revision.objects.filter(issue=issue)
    assert first.via == Via.IMPORT and "Rust 1.80" in first.markdown
    load_issue(doc())
    assert Revision.objects.filter(issue=issue).count() == 1
    load_issue(doc(title="第五期（修订）"))
    newest = revisions.latest(issue)
    assert newest.via == Via.IMPORT and "第五期（修订）" in newest.markdown


def test_the_composer_records_who_saved_what(editor_client, editor, issue):
    data = composer(editor_client, issue)
    data["title"] = "编辑改过的标题"
    assert editor_client.post(change_url(issue), data).status_code == 302
    newest = revisions.latest(issue)
    assert newest.via == Via.ADMIN and newest.user == editor
    assert "编辑改过的标题" in newest.markdown
    count = Revision.objects.filter(issue=issue).count()
    editor_client.post(change_url(issue), composer(editor_client, issue))  # nothing changed
    assert Revision.objects.filter(issue=issue).count() == count


def test_the_inbox_a_merge_and_a_url_replacement_record_revisions(editor_client, editor, issue):
    item = InboxItem.objects.create(url="https://example.com/new", title="收件箱的链接")
    add_items_to_issue([item], issue, Category.objects.get(name="工具"), editor)
    assert revisions.latest(issue).via == Via.INBOX

    merge_categories([Category.objects.get(name="文章")], Category.objects.get(name="工具"), editor)
    merged = revisions.latest(issue)
    assert merged.via == Via.MERGE and "文章 → 工具" in merged.note
    assert AuditEvent.objects.filter(action="merge", username="editor").exists()

    link = Link.objects.get(title="Rust 1.80")
    from archive.models import LinkHealth

    health = LinkHealth.objects.create(link=link, verdict="gone")
    page = editor_client.get(f"/admin/archive/linkhealth/{health.pk}/change/")
    data = form_data(page)
    data["replacement"] = "https://blog.rust-lang.org/2024/07/25/Rust-1.80.0.html"
    editor_client.post(f"/admin/archive/linkhealth/{health.pk}/change/", data)
    replaced = revisions.latest(issue)
    assert replaced.via == Via.URL and "Rust-1.80.0.html" in replaced.markdown
    assert AuditEvent.objects.get(action="url").issue == issue


def test_a_diff_says_what_changed_in_words():
    old = revisions.markdown_of(load_issue(doc()).issue)
    changed = doc(
        title="第五期 改",
        links=(
            ("Rust 1.80 发布", "https://blog.rust-lang.org/1.80"),
            ("Zig", "https://ziglang.org"),
        ),
    )
    changed.sections[1].entries = []
    new = revisions.markdown_of(load_issue(changed).issue)
    changes = {(c.what, c.kind, c.label) for c in diff.diff(old, new)}
    assert ("changed", "issue", "") in changes
    assert ("changed", "link", "Rust 1.80 发布") in changes
    assert ("added", "link", "Zig") in changes
    assert ("removed", "link", "Why SQLite") in changes
    title = next(c for c in diff.diff(old, new) if c.kind == "issue")
    assert ("第五期", "第五期 改") in [(before, after) for _name, before, after in title.details]


def test_restoring_brings_back_the_issue_after_each_kind_of_change(editor_client, editor, issue):
    original = revisions.latest(issue)
    # An import, a merge and an inbox addition after it.
    load_issue(doc(links=(("Rust 1.81", "https://blog.rust-lang.org/1.81"),)))
    merge_categories([Category.objects.get(name="文章")], Category.objects.get(name="工具"), editor)
    add_items_to_issue(
        [InboxItem.objects.create(url="https://example.com/x", title="x")],
        issue,
        Category.objects.get(name="工具"),
        editor,
    )
    # The composer, and a URL replaced in link health.
    data = composer(editor_client, issue)
    data["title"] = "改过的标题"
    editor_client.post(change_url(issue), data)
    from archive.models import LinkHealth

    health = LinkHealth.objects.create(link=Link.objects.get(title="Why SQLite"), verdict="gone")
    data = form_data(editor_client.get(f"/admin/archive/linkhealth/{health.pk}/change/"))
    data["replacement"] = "https://www.sqlite.org/whentouse.html"
    editor_client.post(f"/admin/archive/linkhealth/{health.pk}/change/", data)
    vias = set(Revision.objects.filter(issue=issue).values_list("via", flat=True))
    assert vias >= {Via.IMPORT, Via.MERGE, Via.INBOX, Via.ADMIN, Via.URL}
    assert revisions.markdown_of(issue) != original.markdown

    answer = editor_client.post(
        f"/admin/archive/issue/{issue.pk}/history/", {"restore": original.pk}
    )
    assert answer.status_code == 302
    issue.refresh_from_db()
    assert revisions.markdown_of(issue) == original.markdown  # category names and URLs too
    newest = revisions.latest(issue)
    assert newest.via == Via.RESTORE and newest.user == editor
    assert AuditEvent.objects.get(action="restore").issue == issue
    assert snapshot() == recounted()
    page = editor_client.get(f"/issues/{issue.number}/").content.decode()
    assert "Rust 1.80" in page and "Rust 1.81" not in page and "Why SQLite" in page
    assert "https://sqlite.org/why.html" in page and "whentouse" not in page
    assert Category.objects.filter(name="文章").exists()  # merged away, and back


def test_the_history_page_lists_revisions_and_compares_any_two(editor_client, issue):
    load_issue(doc(title="第二版"))
    load_issue(doc(title="第三版"))
    history = list(Revision.objects.filter(issue=issue).order_by("pk"))
    page = editor_client.get(
        f"/admin/archive/issue/{issue.pk}/history/?old={history[0].pk}&new={history[2].pk}"
    ).content.decode()
    assert "<del>第五期</del>" in page and "<ins>第三版</ins>" in page
    assert page.count('name="restore"') == 2  # every revision but the newest


def test_an_issue_deleted_in_the_admin_goes_to_the_trash_and_nowhere_else(
    editor_client, client, issue
):
    link = Link.objects.get(title="Rust 1.80")
    pages = ["/issues/5/", f"/links/{link.pk}/", "/categories/工具/"]
    surfaces = {
        "/": "Rust 1.80",
        "/feed/": "Rust 1.80",
        "/categories/": "工具",
        "/sitemap-issues.xml": "/issues/5/",
        "/search/?q=Rust": "Rust 1.80",
        "/api/v1/issues/": "第五期",
        "/api/v1/links/": "Rust 1.80",
    }
    for path in pages:
        assert client.get(path).status_code == 200, path
    for path, text in surfaces.items():
        assert text in client.get(path).content.decode(), path

    editor_client.post(
        "/admin/archive/issue/",
        {"action": "delete_selected", "_selected_action": [issue.pk], "post": "yes"},
    )
    assert not Issue.objects.exists()
    item = TrashItem.objects.get()
    assert item.kind == "issue" and "Rust 1.80" in item.markdown
    for path in pages:
        assert client.get(path).status_code == 404, path
    for path, text in surfaces.items():
        assert text not in client.get(path).content.decode(), path
    assert snapshot() == recounted()

    editor_client.post(
        "/admin/archive/trashitem/", {"action": "restore", "_selected_action": [item.pk]}
    )
    restored = Issue.objects.get(number=5)
    assert restored.is_public and client.get("/issues/5/").status_code == 200
    assert Revision.objects.filter(issue=restored).count() >= 2  # its history came back
    assert not TrashItem.objects.exists()
    assert snapshot() == recounted()
    assert {e.action for e in AuditEvent.objects.all()} >= {"trash", "untrash"}


def test_a_section_and_a_link_deleted_in_the_composer_can_be_put_back(editor_client, issue):
    data = composer(editor_client, issue)
    data["sections-1-DELETE"] = "on"  # 文章, with Why SQLite (the composer's script marks
    data["sections-1-links-0-DELETE"] = "on"  # a deleted section's links deleted too)
    data["sections-0-links-0-DELETE"] = "on"  # Rust 1.80
    assert editor_client.post(change_url(issue), data).status_code == 302
    assert list(Link.objects.values_list("title", flat=True)) == []
    kinds = sorted(TrashItem.objects.values_list("kind", "label"))
    assert kinds == [("link", "Rust 1.80"), ("section", "文章")]

    editor_client.post(
        "/admin/archive/trashitem/",
        {
            "action": "restore",
            "_selected_action": list(TrashItem.objects.values_list("pk", flat=True)),
        },
    )
    issue.refresh_from_db()
    restored = parse_issue(revisions.markdown_of(issue))
    assert [s.heading for s in restored.sections] == ["工具", "文章"]
    assert [e.title for e in restored.sections[0].entries] == ["Rust 1.80"]
    assert restored.sections[0].entries[0].annotation == "关于 Rust 1.80"
    assert [e.title for e in restored.sections[1].entries] == ["Why SQLite"]
    assert snapshot() == recounted()


def test_empty_trash_removes_what_is_older_than_trash_days(issue):
    item = trash.trash_issue(issue)
    TrashItem.objects.filter(pk=item.pk).update(
        deleted_at=timezone.now() - datetime.timedelta(days=31)
    )
    out = io.StringIO()
    call_command("empty_trash", stdout=out)
    assert "1" in out.getvalue()
    assert not TrashItem.objects.exists() and not Revision.objects.exists()


def test_two_editors_at_once_the_second_save_is_not_applied_and_nothing_is_lost(
    client, editor, django_user_model
):
    issue = load_issue(doc(), publish=True).issue
    other = django_user_model.objects.create_user("bob", password="x", is_staff=True)
    other.groups.add(*editor.groups.all())
    from django.test import Client

    alice, bob = Client(), Client()
    alice.force_login(editor)
    bob.force_login(other)
    mine, theirs = composer(alice, issue), composer(bob, issue)

    mine["title"] = "Alice 的标题"
    assert alice.post(change_url(issue), mine).status_code == 302

    theirs["lede"] = "Bob 写的导读"
    refused = bob.post(change_url(issue), theirs)
    html = refused.content.decode()
    assert refused.status_code == 200 and 'role="alert"' in html
    assert "<ins>Alice 的标题</ins>" in html  # what the other editor changed
    assert "Bob 写的导读" in html  # what Bob typed is still in his form
    issue.refresh_from_db()
    assert issue.title == "Alice 的标题" and issue.lede == ""

    again = form_data(refused)
    again["apply_anyway"] = "on"
    assert bob.post(change_url(issue), again).status_code == 302
    issue.refresh_from_db()
    assert issue.lede == "Bob 写的导读"
    assert any("Alice 的标题" in r.markdown for r in Revision.objects.filter(issue=issue))


def test_publishing_scheduling_and_sending_are_in_the_audit_log(editor_client, editor, issue):
    draft = load_issue(doc(number=6)).issue
    editor_client.post(
        "/admin/archive/issue/", {"action": "publish_now", "_selected_action": [draft.pk]}
    )
    editor_client.post(
        "/admin/archive/issue/", {"action": "unpublish", "_selected_action": [draft.pk]}
    )
    data = composer(editor_client, draft)
    later = timezone.localtime() + datetime.timedelta(days=3)
    data["published_at_0"], data["published_at_1"] = later.strftime("%Y-%m-%d"), "08:00:00"
    editor_client.post(change_url(draft), data)
    from archive.mailing import delivery

    delivery.start_mailing(issue, editor)
    actions = list(AuditEvent.objects.order_by("pk").values_list("action", "username"))
    assert actions[-4:] == [
        ("publish", "editor"),
        ("unpublish", "editor"),
        ("schedule", "editor"),
        ("send", "editor"),
    ]
    listing = editor_client.get("/admin/archive/auditevent/")
    with translation.override("zh-hans"):
        sent, scheduled = str(AuditEvent.Action.SEND.label), str(AuditEvent.Action.SCHEDULE.label)
    assert listing.status_code == 200 and sent in listing.content.decode()
    event = AuditEvent.objects.first()
    assert editor_client.get(f"/admin/archive/auditevent/{event.pk}/delete/").status_code == 403
    assert editor_client.post(
        "/admin/archive/auditevent/",
        {"action": "delete_selected", "_selected_action": [event.pk], "post": "yes"},
    ).status_code in (200, 302)
    assert AuditEvent.objects.filter(pk=event.pk).exists()
    history = editor_client.get(f"/admin/archive/issue/{draft.pk}/history/").content.decode()
    assert scheduled in history


def test_a_link_edited_or_deleted_on_its_own_page_is_a_change_of_its_issue(editor_client, issue):
    link = Link.objects.get(title="Why SQLite")
    data = form_data(editor_client.get(f"/admin/archive/link/{link.pk}/change/"))
    data["annotation"] = "改在链接页上"
    assert editor_client.post(f"/admin/archive/link/{link.pk}/change/", data).status_code == 302
    assert "改在链接页上" in revisions.latest(issue).markdown
    editor_client.post(f"/admin/archive/link/{link.pk}/delete/", {"post": "yes"})
    assert not Link.objects.filter(pk=link.pk).exists()
    assert TrashItem.objects.get().label == "Why SQLite"
    assert "Why SQLite" not in revisions.latest(issue).markdown
