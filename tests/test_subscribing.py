"""Subscribing by email: double opt-in, the same answer for every address, honeypot and
limits, addresses that cannot reach a header, and leaving and coming back."""

import re

import pytest
from django.core.cache import cache
from django.test.utils import override_settings
from django_tasks_db.models import DBTaskResult

from archive.models import Subscriber
from bench.smtp import SmtpServer
from tests.factories import make_issue, make_link, make_section
from tests.test_mailing import SITE, run_worker

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_limits():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def smtp():
    with SmtpServer() as server, override_settings(**server.settings(), SITE_URL=SITE):
        yield server.handler


def confirmations():
    return DBTaskResult.objects.filter(task_path__endswith=".send_confirmation").count()


def confirm_link(message):
    text = message.get_body(("plain",)).get_content()
    return re.search(r"https://\S+/subscribe/confirm/\S+/", text).group(0).removeprefix(SITE)


def test_the_form_is_on_the_home_page_every_issue_page_and_its_own_page(client):
    issue = make_issue(3)
    make_link(make_section(issue), "A link")
    for path, action in [
        ("/", "/subscribe/"),
        ("/issues/3/", "/subscribe/"),
        ("/subscribe/", "/subscribe/"),
        ("/en/", "/en/subscribe/"),
        ("/en/issues/3/", "/en/subscribe/"),
        ("/en/subscribe/", "/en/subscribe/"),
    ]:
        page = client.get(path)
        html = page.content.decode()
        assert page.status_code == 200, path
        assert f'<form class="subscribe-form" method="post" action="{action}">' in html, path
        # Nothing per visitor: the pages stay cacheable.
        assert "csrfmiddlewaretoken" not in html and not page.cookies, path


def test_double_opt_in_from_the_form_to_an_active_subscriber(client, smtp):
    answer = client.post("/subscribe/", {"email": "  Reader@Example.ORG ", "website": ""})
    assert answer.status_code == 200 and 'role="status"' in answer.content.decode()
    subscriber = Subscriber.objects.get()
    assert subscriber.address == "Reader@example.org"
    assert subscriber.status == Subscriber.Status.PENDING
    assert subscriber.language == "zh-hans" and subscriber.source == "form"

    run_worker()
    (message,) = smtp.to("Reader@example.org")
    link = confirm_link(message)
    page = client.get(link)
    assert page.status_code == 200 and "<form" in page.content.decode()
    assert "private" in page["Cache-Control"]
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.PENDING  # a link scanner's GET confirms nothing

    assert client.post(link).status_code == 200
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.ACTIVE and subscriber.confirmed_at


def test_an_english_page_subscribes_in_english_and_confirms_in_english(client, smtp):
    client.post("/en/subscribe/", {"email": "reader@example.org"})
    assert Subscriber.objects.get().language == "en"
    run_worker()
    (message,) = smtp.to("reader@example.org")
    assert message["Subject"].startswith("Confirm your subscription")
    assert "/en/subscribe/confirm/" in confirm_link(message)


def test_every_address_gets_the_same_answer(client):
    Subscriber.objects.create(address="known@example.org", status="active", source="import")
    Subscriber.objects.create(address="gone@example.org", status="bounced", source="import")
    answers = {
        address: client.post("/subscribe/", {"email": address}).content
        for address in ("new@example.org", "known@example.org", "gone@example.org")
    }
    assert len(set(answers.values())) == 1
    assert confirmations() == 1  # the new address only
    statuses = dict(Subscriber.objects.values_list("address", "status"))
    assert statuses == {
        "new@example.org": "pending",
        "known@example.org": "active",
        "gone@example.org": "bounced",
    }


@pytest.mark.parametrize(
    "address",
    [
        "reader@example.org\r\nBcc: victim@example.org",
        "reader@example.org\nBcc: victim@example.org",
        "reader@example.org%0d%0aBcc:victim@example.org",
        "Reader <reader@example.org>, victim@example.org",
        "not an address",
        "reader@",
        "a" * 250 + "@example.org",
    ],
)
def test_addresses_that_could_reach_a_header_are_refused(client, address):
    answer = client.post("/en/subscribe/", {"email": address})
    assert answer.status_code == 400
    assert 'role="alert"' in answer.content.decode()
    assert not Subscriber.objects.exists() and confirmations() == 0


def test_an_international_domain_is_accepted_and_mailed_in_its_ascii_form(client, smtp):
    client.post("/subscribe/", {"email": "reader@例子.中国"})
    assert Subscriber.objects.get().address == "reader@例子.中国"
    client.post("/subscribe/", {"email": "reader@Bücher.de"})
    assert Subscriber.objects.filter(address="reader@bücher.de").exists()
    run_worker()
    (message,) = smtp.to("reader@xn--bcher-kva.de")
    assert message["To"] == "reader@xn--bcher-kva.de"
    assert smtp.to("reader@xn--fsqu00a.xn--fiqs8s")


def test_a_robot_filling_the_hidden_field_is_thanked_and_ignored(client):
    answer = client.post("/subscribe/", {"email": "bot@example.org", "website": "http://spam"})
    assert answer.status_code == 200 and not Subscriber.objects.exists()


@override_settings(SUBSCRIBE_PER_HOUR=2)
def test_one_client_address_may_ask_a_few_times_an_hour(client):
    for n in range(2):
        assert client.post("/en/subscribe/", {"email": f"r{n}@example.org"}).status_code == 200
    limited = client.post("/en/subscribe/", {"email": "r9@example.org"})
    assert limited.status_code == 429 and "try again in an hour" in limited.content.decode()
    assert Subscriber.objects.count() == 2
    other = client.post("/subscribe/", {"email": "r9@example.org"}, REMOTE_ADDR="10.0.0.9")
    assert other.status_code == 200


def test_nobody_can_flood_an_inbox_with_confirmations(client):
    for n in range(6):
        client.post("/subscribe/", {"email": "victim@example.org"}, REMOTE_ADDR=f"10.0.0.{n}")
    assert confirmations() == 3


@override_settings(SUBSCRIBE_CONFIRM_DAYS=0)
def test_an_expired_or_altered_link_confirms_nothing(client, smtp):
    client.post("/subscribe/", {"email": "reader@example.org"})
    run_worker()
    link = confirm_link(smtp.to("reader@example.org")[0])
    assert client.post(link).status_code == 410
    assert client.post(link[:-3] + "xx/").status_code == 404
    assert client.get("/subscribe/confirm/%00/").status_code == 404
    assert Subscriber.objects.get().status == Subscriber.Status.PENDING


def test_coming_back_after_leaving_needs_a_new_confirmation(client, smtp):
    Subscriber.objects.create(
        address="back@example.org", status="unsubscribed", source="form", language="zh-hans"
    )
    client.post("/en/subscribe/", {"email": "BACK@example.org"})
    returning = Subscriber.objects.get()
    assert returning.status == Subscriber.Status.PENDING and returning.language == "en"
    run_worker()
    client.post(confirm_link(smtp.to("back@example.org")[0]))
    returning.refresh_from_db()
    assert returning.status == Subscriber.Status.ACTIVE


def test_addresses_are_unique_whatever_their_case():
    from django.db import IntegrityError, transaction

    Subscriber.objects.create(address="one@example.org", source="form")
    with pytest.raises(IntegrityError), transaction.atomic():
        Subscriber.objects.create(address="ONE@example.org", source="form")
