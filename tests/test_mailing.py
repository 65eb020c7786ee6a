"""Sending issues by email: the message itself, the queue's worker, exactly once, retries and
bounces, into a real SMTP server on 127.0.0.1 (aiosmtpd)."""

import re
import time
from unittest import mock

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext, override_settings
from django_tasks_db.management.commands import db_worker

from archive.mailing import delivery
from archive.models import Delivery, Subscriber
from bench.scratch import free_port
from bench.smtp import SmtpServer
from tests.factories import make_issue, make_issue_with_links, make_link, make_section

SITE = "https://news.example.com"
pytestmark = pytest.mark.django_db


@pytest.fixture
def smtp():
    with SmtpServer() as server, override_settings(**server.settings(), SITE_URL=SITE):
        yield server.handler


def run_worker():
    """The queue's real worker, in this process, until nothing is left that is due. It
    keeps the test's connection (and so its transaction) instead of closing it between
    tasks as a worker process does."""
    with mock.patch(f"{db_worker.__name__}.close_old_connections", lambda: None):
        call_command(
            "db_worker",
            "--batch",
            "--no-startup-delay",
            "--interval",
            "0",
            "--no-reload",
            verbosity=0,
        )


def subscribers(count, language="zh-hans", start=0):
    return Subscriber.objects.bulk_create(
        [
            Subscriber(
                address=f"reader{start + n}@example.org",
                status=Subscriber.Status.ACTIVE,
                language=language,
                source=Subscriber.Source.IMPORT,
            )
            for n in range(count)
        ]
    )


def an_issue():
    issue = make_issue_with_links(7, links=4)
    issue.lede = (
        "本期介绍 [站内](/issues/6/) 与 https://example.net/bare 。\n\n![架构图](/static/x.png)"
    )
    issue.save()
    section = issue.sections.first()
    make_link(section, "Quote only", url="")
    return issue


def test_a_subscriber_gets_the_whole_issue_with_both_parts_and_every_header(smtp):
    issue = an_issue()
    (reader,) = subscribers(1)
    mailing, queued = delivery.start_mailing(issue)
    assert queued == 1
    run_worker()

    (message,) = smtp.to(reader.address)
    assert message["To"] == reader.address
    assert "Link Weekly" in message["From"]
    assert message["Subject"].endswith(issue.display_title)
    assert re.fullmatch(rf"<issue-{issue.pk}\.delivery-\d+@localhost>", message["Message-ID"])
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    https, mailto = (part.strip(" <>") for part in message["List-Unsubscribe"].split(","))
    assert https.startswith(f"{SITE}/unsubscribe/") and mailto.startswith("mailto:newsletter@")
    assert "<link-weekly.news.example.com>" in message["List-Id"]

    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    for link in issue.sections.first().links.all():
        assert link.title in text and link.title in html
        if link.url:
            assert link.url in text and f'href="{link.url}"' in html
    assert "Child 7-0" in html and "Child 7-0" in text  # similar links
    assert "note" in text and "<strong>0</strong>" in html  # annotations
    assert f"{SITE}/issues/7/" in text and f'href="{SITE}/issues/7/"' in html
    assert f'href="{SITE}/issues/6/"' in html  # a site-relative link in the lede, absolute
    assert 'href="https://example.net/bare"' in html  # bare URLs linked, as on the page
    assert "<style" not in html and 'style="' in html  # CSS inlined
    hrefs = re.findall(r'(?:href|src)="([^"]+)"', html)
    assert hrefs and all(h.startswith(("https://", "http://", "mailto:")) for h in hrefs)
    assert https in html and https in text
    (image,) = re.findall(r"<img[^>]*>", html)
    assert f'src="{SITE}/static/x.png"' in image and 'alt="架构图"' in image
    assert Delivery.objects.get().state == Delivery.State.SENT


def test_the_unsubscribe_link_and_its_one_click_post_work_without_a_login(smtp, client):
    issue = an_issue()
    (reader,) = subscribers(1)
    delivery.start_mailing(issue)
    run_worker()
    (message,) = smtp.to(reader.address)
    https = message["List-Unsubscribe"].split(",")[0].strip(" <>")
    path = https.removeprefix(SITE)

    page = client.get(path)
    assert page.status_code == 200 and "<form" in page.content.decode()
    reader.refresh_from_db()
    assert reader.status == Subscriber.Status.ACTIVE  # a GET (a link scanner) changes nothing
    assert "private" in page["Cache-Control"]

    answer = client.post(path, {"List-Unsubscribe": "One-Click"})
    assert answer.status_code == 200
    reader.refresh_from_db()
    assert reader.status == Subscriber.Status.UNSUBSCRIBED and reader.left_at is not None

    assert client.post(path.replace("/unsubscribe/", "/unsubscribe/x")).status_code == 404


def test_the_email_speaks_the_subscribers_language(smtp):
    issue = an_issue()
    subscribers(1, "zh-hans")
    subscribers(1, "en", start=1)
    delivery.start_mailing(issue)
    run_worker()
    (chinese,) = smtp.to("reader0@example.org")
    (english,) = smtp.to("reader1@example.org")
    assert "退订" in chinese.get_body(("plain",)).get_content()
    assert "Unsubscribe" in english.get_body(("plain",)).get_content()
    assert f"{SITE}/en/issues/7/" in english.get_body(("html",)).get_content()
    assert f"{SITE}/issues/7/" in chinese.get_body(("html",)).get_content()
    assert english["Content-Language"] == "en" and chinese["Content-Language"] == "zh-Hans"
    assert "/en/unsubscribe/" in english["List-Unsubscribe"]


def test_an_issue_is_sent_once_however_often_it_is_sent(smtp):
    issue = an_issue()
    subscribers(3)
    delivery.start_mailing(issue)
    run_worker()
    _mailing, queued = delivery.start_mailing(issue)  # a second click
    assert queued == 0
    subscribers(1, start=3)  # somebody new
    _mailing, queued = delivery.start_mailing(issue)
    assert queued == 1
    run_worker()
    assert sorted(r[0] for r, _m in smtp.messages) == [f"reader{n}@example.org" for n in range(4)]


def test_only_a_published_issue_is_sent():
    draft = make_issue(8, published=False)
    with pytest.raises(ValueError):
        delivery.start_mailing(draft)


def test_who_left_after_the_send_was_queued_gets_nothing(smtp):
    issue = an_issue()
    readers = subscribers(3)
    delivery.start_mailing(issue)
    Subscriber.objects.filter(pk=readers[1].pk).update(status=Subscriber.Status.UNSUBSCRIBED)
    Subscriber.objects.filter(pk=readers[2].pk).update(status=Subscriber.Status.BOUNCED)
    run_worker()
    assert [r for r, _m in smtp.messages] == [[readers[0].address]]
    states = dict(Delivery.objects.values_list("subscriber_id", "state"))
    assert states[readers[1].pk] == states[readers[2].pk] == Delivery.State.SKIPPED


def test_a_permanent_failure_bounces_and_the_third_marks_the_subscriber_bounced(smtp):
    (reader, other) = subscribers(2)
    smtp.refuse(reader.address, "550 5.1.1 No such user")
    for number in (11, 12, 13):
        issue = make_issue(number)
        make_link(make_section(issue), f"Link {number}")
        delivery.start_mailing(issue)
        run_worker()
        reader.refresh_from_db()
        assert reader.status == (
            Subscriber.Status.BOUNCED if number == 13 else Subscriber.Status.ACTIVE
        )
    assert reader.hard_bounces == 3
    bounced = Delivery.objects.filter(subscriber=reader)
    assert {d.state for d in bounced} == {Delivery.State.BOUNCED}
    assert "550" in bounced.first().last_error
    assert len(smtp.to(other.address)) == 3 and smtp.to(reader.address) == []
    issue = make_issue(14)
    make_link(make_section(issue), "Link 14")
    _mailing, queued = delivery.start_mailing(issue)
    assert queued == 1  # the bounced reader is not even queued


@override_settings(DELIVERY_RETRY_SECONDS=0)
def test_a_temporary_failure_is_retried_and_succeeds(smtp):
    issue = an_issue()
    (reader, other) = subscribers(2)
    smtp.refuse(reader.address, "451 4.7.1 Try again later", times=2)
    delivery.start_mailing(issue)
    run_worker()  # the retries are queued for now (no wait): the batch worker runs them too
    assert len(smtp.to(reader.address)) == 1 and len(smtp.to(other.address)) == 1
    sent = Delivery.objects.get(subscriber=reader)
    assert sent.state == Delivery.State.SENT and sent.attempts == 3


@override_settings(DELIVERY_RETRY_SECONDS=0, DELIVERY_ATTEMPTS=3)
def test_a_failure_that_lasts_fails_the_delivery_after_the_last_try(smtp):
    issue = an_issue()
    (reader,) = subscribers(1)
    smtp.refuse(reader.address, "451 4.7.1 Try again later")
    delivery.start_mailing(issue)
    run_worker()
    failed = Delivery.objects.get()
    assert failed.state == Delivery.State.FAILED and failed.attempts == 3
    assert "451" in failed.last_error
    reader.refresh_from_db()
    assert reader.status == Subscriber.Status.ACTIVE and reader.hard_bounces == 0


@override_settings(DELIVERY_RETRY_SECONDS=60)
def test_a_server_that_refuses_connections_leaves_everything_queued_for_later():
    issue = an_issue()
    subscribers(3)
    with override_settings(
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=free_port(),  # nothing listens there
        SITE_URL=SITE,
    ):
        delivery.start_mailing(issue)
        run_worker()
    rows = list(Delivery.objects.all())
    assert {d.state for d in rows} == {Delivery.State.QUEUED}
    assert all(d.not_before is not None and d.last_error for d in rows)
    assert sum(d.attempts for d in rows) == 3  # each claimed once, none lost


def test_one_batch_makes_the_same_queries_for_one_subscriber_and_for_five_hundred(
    smtp, monkeypatch
):
    """A batch costs a fixed number of queries, plus the one write per message that
    recording it as sent (exactly once) needs; nothing per recipient besides."""
    monkeypatch.setattr(delivery, "BATCH", 500)
    counts = {}
    for size, number in ((1, 21), (500, 22)):
        Subscriber.objects.all().delete()
        subscribers(size, start=number * 1000)
        issue = make_issue_with_links(number, links=6)
        mailing, _queued = delivery.start_mailing(issue)
        delivery.deliver(mailing.pk)  # warm: the issue's email is rendered once per process
        Delivery.objects.filter(mailing=mailing).update(state=Delivery.State.QUEUED)
        with CaptureQueriesContext(connection) as queries:
            delivery.deliver(mailing.pk)
        counts[size] = len(queries) - size
    # The mailing; a claim (select, claim, skip who left, read the batch, in a savepoint
    # here); the last, empty claim.
    assert counts[1] == counts[500] == 1 + (4 + 2) + (1 + 2)
    assert len(smtp.messages) == 2 * (1 + 500)


def test_email_send_rate_caps_messages_a_second():
    throttle = delivery.Throttle(10)
    started = time.monotonic()
    for _ in range(25):  # the first ten in this second, ten in the next, five in the third
        throttle.wait()
    assert time.monotonic() - started >= 1.0
