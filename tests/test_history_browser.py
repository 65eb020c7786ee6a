"""Two editors, two real browsers, one issue: the second save is not applied over the first,
the second editor sees what the first changed and keeps what they typed, and can then save
theirs on top."""

import datetime

import pytest

from archive.history import revisions
from archive.ingest.loading import load_issue
from archive.issuemd import EntryDoc, IssueDoc, SectionDoc
from archive.models import Issue, Revision
from tests.browser import browser_marks, browser_pages

pytestmark = browser_marks()


@pytest.fixture
def editors(django_user_model, transactional_db):
    from django.contrib.auth.models import Group

    for name in ("alice", "bob"):
        user = django_user_model.objects.create_user(name, password="correct horse battery")
        user.is_staff = True
        user.save()
        user.groups.add(Group.objects.get(name="editors"))


def log_in(page, name, path):
    page.goto(f"/admin/login/?next={path}")
    page.fill("#id_username", name)
    page.fill("#id_password", "correct horse battery")
    page.click("input[type=submit]")
    page.wait_for_url(f"**{path}")


def test_two_editors_at_once_in_real_browsers(live_server, editors):
    issue = load_issue(
        IssueDoc(
            number=9,
            title="第九期",
            date=datetime.date(2024, 6, 7),
            sections=[
                SectionDoc(
                    "工具", entries=[EntryDoc("ripgrep", "https://github.com/BurntSushi/ripgrep")]
                )
            ],
        ),
        publish=True,
    ).issue
    path = f"/admin/archive/issue/{issue.pk}/change/"
    with browser_pages(live_server, 2) as (alice, bob):
        log_in(alice, "alice", path)
        log_in(bob, "bob", path)

        alice.fill("#id_title", "Alice's title")
        alice.wait_for_load_state("networkidle")  # one request at a time on the test server
        alice.click("input[name=_continue]")
        alice.wait_for_selector(".messagelist .success")

        bob.fill("#id_lede", "Bob's lede, typed while Alice saved")
        bob.wait_for_load_state("networkidle")
        bob.click("input[name=_continue]")
        conflict = bob.locator(".conflict[role=alert]")
        conflict.wait_for()
        assert "Alice's title" in conflict.inner_text()  # what the other editor changed
        assert bob.input_value("#id_lede") == "Bob's lede, typed while Alice saved"
        assert Issue.objects.get(pk=issue.pk).lede == ""  # not applied

        bob.check("#id_apply_anyway")
        bob.wait_for_load_state("networkidle")
        bob.click("input[name=_continue]")
        bob.wait_for_selector(".messagelist .success")

    issue.refresh_from_db()
    assert issue.lede == "Bob's lede, typed while Alice saved"
    saved = [r.markdown for r in Revision.objects.filter(issue=issue)]
    assert any("Alice's title" in text for text in saved)  # nothing Alice typed is lost
    assert "Bob's lede" in revisions.latest(issue).markdown
