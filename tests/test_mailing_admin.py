"""Sending from the admin and the shell, issues that send themselves when they go live,
subscribers' admin (CSV in and out, Forget), and providers' tracking webhooks."""

import csv
import datetime
import hashlib
import hmac
import io
import json
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test.utils import override_settings
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from archive.mailing import delivery
from archive.models import Delivery, Issue, Mailing, Subscriber
from bench.smtp import SmtpServer
from tests.factories import make_issue, make_link, make_section
from tests.test_mailing import SITE, run_worker, subscribers

pytestmark = pytest.mark.django_db


@pytest.fixture
def smtp():
    with SmtpServer() as server, override_settings(**server.settings(), SITE_URL=SITE):
        yield server.handler


def an_issue(number=3, **fields):
    issue = make_issue(number, **fields)
    make_link(make_section(issue), f"Link of issue {number}")
    return issue


def test_the_email_page_previews_tests_sends_and_shows_progress(editor_client, editor, smtp):
    editor.email = "editor@example.org"
    editor.save()
    issue = an_issue()
    subscribers(3)
    page = editor_client.get(f"/admin/archive/issue/{issue.pk}/email/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "Link of issue 3" in html  # the text preview
    assert 'value="editor@example.org"' in html
    assert "3 active subscribers" in html or "3 位" in html

    preview = editor_client.get(f"/admin/archive/issue/{issue.pk}/email/preview/en/")
    assert preview.status_code == 200 and "Link of issue 3" in preview.content.decode()
    assert "'unsafe-inline'" in preview["Content-Security-Policy"].split("style-src")[1]
    assert (
        editor_client.get(f"/admin/archive/issue/{issue.pk}/email/preview/xx/").status_code == 404
    )

    answer = editor_client.post(
        f"/admin/archive/issue/{issue.pk}/email/",
        {"test": "1", "address": "editor@example.org", "language": "en"},
    )
    assert answer.status_code == 302
    assert smtp.messages == []  # queued, not sent inside the request
    run_worker()
    (test,) = smtp.to("editor@example.org")
    assert test["Subject"].startswith("[TEST]")
    assert not Delivery.objects.exists()

    editor_client.post(f"/admin/archive/issue/{issue.pk}/email/", {"send": "1"})
    mailing = Mailing.objects.get()
    assert mailing.started_by == editor and mailing.deliveries.count() == 3
    assert len(smtp.messages) == 1
    run_worker()
    assert len(smtp.messages) == 4
    html = editor_client.get(f"/admin/archive/issue/{issue.pk}/email/").content.decode()
    assert '<td class="state-sent">3</td>' in html and '<td class="state-queued">0</td>' in html


def test_the_email_page_shows_failures_and_refuses_to_send_a_draft(editor_client, smtp):
    issue = an_issue()
    (reader,) = subscribers(1)
    smtp.refuse(reader.address, "550 5.1.1 No such user")
    delivery.start_mailing(issue)
    run_worker()
    html = editor_client.get(f"/admin/archive/issue/{issue.pk}/email/").content.decode()
    assert reader.address in html and "550 5.1.1 No such user" in html

    draft = an_issue(4, published=False)
    editor_client.post(f"/admin/archive/issue/{draft.pk}/email/", {"send": "1"})
    assert not Mailing.objects.filter(issue=draft).exists()


def test_who_may_not_add_mailings_may_not_send(client, django_user_model):
    viewer = django_user_model.objects.create_user("viewer", password="x", is_staff=True)
    from django.contrib.auth.models import Permission

    viewer.user_permissions.add(Permission.objects.get(codename="view_issue"))
    client.force_login(viewer)
    issue = an_issue()
    assert client.get(f"/admin/archive/issue/{issue.pk}/email/").status_code == 200
    assert client.post(f"/admin/archive/issue/{issue.pk}/email/", {"send": "1"}).status_code == 403


def test_send_issue_from_the_shell(smtp):
    an_issue(5)
    subscribers(2)
    out = io.StringIO()
    call_command("send_issue", "5", stdout=out)
    assert "queued for 2 subscribers" in out.getvalue()
    run_worker()
    assert len(smtp.messages) == 2
    call_command("send_issue", "5", "--test", "me@example.org", "--language", "en", stdout=out)
    run_worker()
    assert smtp.to("me@example.org")[0]["Subject"].startswith("[TEST]")
    from django.core.management.base import CommandError

    an_issue(6, published=False)
    with pytest.raises(CommandError, match="not published"):
        call_command("send_issue", "6")
    with pytest.raises(CommandError, match="No issue 99"):
        call_command("send_issue", "99")


def test_an_issue_marked_to_send_itself_is_sent_when_published_now(editor_client, smtp):
    issue = an_issue(7, published=False, send_on_publish=True)
    subscribers(2)
    run_worker()
    assert smtp.messages == []  # a draft sends nothing
    editor_client.post(
        "/admin/archive/issue/", {"action": "publish_now", "_selected_action": [issue.pk]}
    )
    run_worker()
    assert len(smtp.messages) == 2
    assert Mailing.objects.get().automatic
    issue.refresh_from_db()
    issue.save()  # saved again after it went out: nothing more
    run_worker()
    assert len(smtp.messages) == 2 and Mailing.objects.count() == 1


def test_a_scheduled_issue_sends_itself_at_its_time_and_not_before(smtp):
    subscribers(2)
    at = timezone.now() + datetime.timedelta(seconds=2)
    issue = an_issue(8, published=at, send_on_publish=True)
    task = DBTaskResult.objects.get(task_path__endswith=".send_when_live")
    assert task.run_after == issue.published_at
    run_worker()
    assert smtp.messages == []
    time.sleep(max(0, (at - timezone.now()).total_seconds()) + 0.2)
    run_worker()
    assert len(smtp.messages) == 2


def test_a_scheduled_issue_moved_later_is_sent_at_its_new_time_only(smtp):
    subscribers(1)
    issue = an_issue(
        9, published=timezone.now() + datetime.timedelta(seconds=1), send_on_publish=True
    )
    issue.published_at = timezone.now() + datetime.timedelta(days=1)
    issue.save()
    time.sleep(1.2)
    run_worker()  # the first task finds the issue not yet live, and does nothing
    assert smtp.messages == [] and not Mailing.objects.exists()
    assert DBTaskResult.objects.filter(task_path__endswith=".send_when_live").count() == 2


def csv_upload(text):
    return SimpleUploadedFile("people.csv", text.encode("utf-8"), content_type="text/csv")


def test_csv_import_subscribes_people_who_consented_and_keeps_who_left(editor_client):
    Subscriber.objects.create(address="left@example.org", status="unsubscribed", source="form")
    answer = editor_client.post(
        "/admin/archive/subscriber/import/",
        {
            "file": csv_upload(
                "email,language\nOne@Example.org,en\ntwo@example.org\nLEFT@example.org\n"
            ),
            "language": "zh-hans",
            "consented": "on",
        },
    )
    assert answer.status_code == 302
    found = dict(Subscriber.objects.values_list("address", "status"))
    assert found == {
        "One@example.org": "active",
        "two@example.org": "active",
        "left@example.org": "unsubscribed",
    }
    assert Subscriber.objects.get(address="One@example.org").language == "en"
    assert Subscriber.objects.get(address="two@example.org").source == "import"


def test_csv_import_with_bad_rows_names_them_and_imports_nothing(editor_client):
    answer = editor_client.post(
        "/admin/archive/subscriber/import/",
        {
            "file": csv_upload(
                "good@example.org\nnot-an-address\nfine@example.org,fr\ngood@example.org\n"
            ),
            "language": "zh-hans",
            "consented": "on",
        },
    )
    html = answer.content.decode()
    assert answer.status_code == 200
    assert "not-an-address" in html and "“fr”" in html
    for line in (2, 3, 4):
        assert f"{line}" in html
    assert not Subscriber.objects.exists()


def test_csv_import_needs_the_consent_box(editor_client):
    answer = editor_client.post(
        "/admin/archive/subscriber/import/",
        {"file": csv_upload("good@example.org\n"), "language": "en"},
    )
    assert answer.status_code == 200 and not Subscriber.objects.exists()


def test_the_list_counts_export_and_forget(editor_client, smtp):
    readers = subscribers(2)
    Subscriber.objects.create(address="p@example.org", source="form")
    page = editor_client.get("/admin/archive/subscriber/").content.decode()
    assert "(2)" in page and "(1)" in page  # the status filter's counts

    export = editor_client.post(
        "/admin/archive/subscriber/",
        {"action": "export_csv", "_selected_action": [r.pk for r in readers]},
    )
    rows = list(csv.reader(io.StringIO(b"".join(export.streaming_content).decode())))
    assert rows[0][:3] == ["address", "status", "language"]
    assert sorted(row[0] for row in rows[1:]) == sorted(r.address for r in readers)

    delivery.start_mailing(an_issue())
    run_worker()
    editor_client.post(
        "/admin/archive/subscriber/", {"action": "forget", "_selected_action": [readers[0].pk]}
    )
    assert not Subscriber.objects.filter(address=readers[0].address).exists()
    assert Delivery.objects.count() == 2  # the send's record keeps its count
    assert Delivery.objects.filter(subscriber=None).count() == 1


SIGNING_KEY = "test-signing-key-0123456789"


def mailgun_event(event, recipient, key=SIGNING_KEY, **data):
    timestamp, token = str(int(time.time())), f"token-{event}-{recipient}-{time.monotonic()}"
    signature = hmac.new(key.encode(), f"{timestamp}{token}".encode(), hashlib.sha256).hexdigest()
    return {
        "signature": {"timestamp": timestamp, "token": token, "signature": signature},
        "event-data": {
            "event": event,
            "recipient": recipient,
            "timestamp": float(timestamp),
            "id": token,
            "message": {"headers": {"message-id": "issue-1.delivery-1@news.example.com"}},
            **data,
        },
    }


@override_settings(ANYMAIL={"MAILGUN_WEBHOOK_SIGNING_KEY": SIGNING_KEY})
def test_a_providers_signed_webhook_marks_bounces_and_complaints(client):
    (bouncing, complaining) = subscribers(2)

    def post(payload):
        return client.post(
            "/anymail/mailgun/tracking/", json.dumps(payload), content_type="application/json"
        )

    forged = mailgun_event("complained", complaining.address, key="not-the-key")
    assert post(forged).status_code == 400
    complaining.refresh_from_db()
    assert complaining.status == Subscriber.Status.ACTIVE

    assert post(mailgun_event("complained", complaining.address)).status_code == 200
    complaining.refresh_from_db()
    assert complaining.status == Subscriber.Status.COMPLAINED

    post(mailgun_event("failed", bouncing.address, severity="temporary"))  # deferred: nothing
    bouncing.refresh_from_db()
    assert bouncing.hard_bounces == 0
    for _ in range(3):
        assert (
            post(mailgun_event("failed", bouncing.address, severity="permanent")).status_code == 200
        )
    bouncing.refresh_from_db()
    assert bouncing.status == Subscriber.Status.BOUNCED and bouncing.hard_bounces == 3
    issue = an_issue(12)
    _mailing, queued = delivery.start_mailing(issue)
    assert queued == 0
    assert Issue.objects.count() == 1
