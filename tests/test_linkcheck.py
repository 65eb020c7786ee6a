"""Link health against a real server on 127.0.0.1: statuses, redirects, HEAD refused,
timeouts, Retry-After, private addresses, the archive lookup, recovery after a false alarm,
what readers see, and two processes that never check the same link.

Longer than most (one file per feature): each verdict needs its own server answers."""

import datetime
import io
import json
import os
import subprocess
import sys
import threading
from urllib.parse import parse_qs, urlsplit

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from archive.ingest.loading import load_issue
from archive.issuemd import EntryDoc, IssueDoc, SectionDoc
from archive.linkhealth.checker import Checker
from archive.linkhealth.claims import claim, ensure_rows
from archive.linkhealth.visits import retry_after
from archive.models import Link, LinkCheck, LinkHealth
from tests.httpserver import LocalServer, html, redirect, slow

pytestmark = pytest.mark.django_db
SNAPSHOT = "http://web.archive.org/web/20240301000000/{url}"


class Flaky:
    """500 for the first ``failures`` visits (a HEAD and the GET that follows it), then 200."""

    def __init__(self, failures):
        self.left = failures

    def __call__(self, handler):
        if self.left > 0:
            self.left -= handler.command == "GET"
            return 500, {"Content-Type": "text/plain"}, b"oops"
        return html("<title>back</title>")(handler)


def no_head(handler):
    if handler.command == "HEAD":
        return 405, {"Allow": "GET"}, b""
    return html("<title>GET only</title>")(handler)


def wayback(handler):
    query = parse_qs(urlsplit(handler.path).query)
    url, day = query["url"][0], query["timestamp"][0]
    if "nothing-archived" in url:
        body = {"archived_snapshots": {}}
    else:
        body = {
            "archived_snapshots": {
                "closest": {"available": True, "url": SNAPSHOT.format(url=url), "timestamp": day}
            }
        }
    return 200, {"Content-Type": "application/json"}, json.dumps(body).encode()


@pytest.fixture
def server(monkeypatch, settings):
    monkeypatch.setenv("OUTBOUND_ALLOW_LOOPBACK", "1")
    settings.OUTBOUND_TIMEOUT = 1
    settings.LINKCHECK_GONE_AFTER = 3
    settings.LINKCHECK_GONE_DAYS = 2
    routes = {
        "/ok": html("<title>fine</title>"),
        "/moved": redirect("/new-home", status=301),
        "/new-home": html("<title>new</title>"),
        "/gone": lambda handler: (404, {"Content-Type": "text/plain"}, b"no"),
        "/removed": lambda handler: (410, {"Content-Type": "text/plain"}, b"gone"),
        "/nothing-archived": lambda handler: (404, {}, b""),
        "/busy": lambda handler: (429, {"Retry-After": "1"}, b""),
        "/broken": lambda handler: (500, {}, b""),
        "/no-head": no_head,
        "/slow": slow(3, html("<title>late</title>")),
        "/flaky": Flaky(2),
        "/wayback/available": wayback,
    }
    with LocalServer(routes) as running:
        settings.WAYBACK_AVAILABILITY_URL = running.url + "/wayback/available"
        yield running


def archive_of(server, *paths):
    entries = [EntryDoc(path.strip("/") or "root", server.url + path) for path in paths]
    load_issue(
        IssueDoc(
            number=7, date=datetime.date(2024, 3, 1), sections=[SectionDoc("工具", entries=entries)]
        ),
        publish=True,
    )
    return {link.url.removeprefix(server.url): link for link in Link.objects.all()}


def health(link):
    return LinkHealth.objects.get(link=link)


def check(**options):
    return Checker(polite=False, **options).run()


def days_later(monkeypatch, days):
    moment = timezone.now() + datetime.timedelta(days=days)
    monkeypatch.setattr("django.utils.timezone.now", lambda: moment)


def test_each_answer_gets_its_verdict(server):
    links = archive_of(server, "/ok", "/moved", "/gone", "/removed", "/broken", "/no-head", "/slow")
    summary = check()
    assert summary.checked == 7
    verdicts = {path: health(link).verdict for path, link in links.items()}
    assert verdicts == {
        "/ok": "ok",
        "/moved": "redirected",
        "/no-head": "ok",  # HEAD refused, GET answered
        "/gone": "unknown",  # one failure is not yet gone
        "/removed": "unknown",
        "/broken": "unknown",
        "/slow": "unknown",  # timed out
    }
    assert health(links["/moved"]).final_url == server.url + "/new-home"
    assert health(links["/gone"]).status == 404 and health(links["/gone"]).failures == 1
    assert (
        "TimeoutError" in health(links["/slow"]).error
        or "timed out" in health(links["/slow"]).error
    )
    methods = [(command, path) for command, path, *_rest in server.seen if path == "/no-head"]
    assert methods == [("HEAD", "/no-head"), ("GET", "/no-head")]
    agent = next(headers for _c, path, headers, _t in server.seen if path == "/ok")["User-Agent"]
    assert "LinkWeekly" in agent
    assert LinkCheck.objects.count() == 7


def test_gone_needs_failures_on_several_days_and_then_finds_an_archived_copy(server, monkeypatch):
    links = archive_of(server, "/gone", "/nothing-archived")
    check()
    check()
    check()  # three failures within an hour: a bad day, not gone
    assert health(links["/gone"]).verdict == "unknown" and health(links["/gone"]).failures == 3
    days_later(monkeypatch, 2)
    summary = check()
    gone = health(links["/gone"])
    assert gone.verdict == "gone" and gone.failures == 4
    assert gone.archived_url == "https://web.archive.org/web/20240301000000/" + server.url + "/gone"
    wayback_asks = [path for _c, path, *_ in server.seen if path.startswith("/wayback/")]
    assert "timestamp=20240301" in wayback_asks[0]  # near the issue's date
    assert health(links["/nothing-archived"]).verdict == "gone"
    assert health(links["/nothing-archived"]).archived_url == ""
    assert summary.archived == 1


def test_a_link_that_answers_again_recovers(server, monkeypatch):
    links = archive_of(server, "/flaky")
    check()
    days_later(monkeypatch, 1)
    check()
    flaky = health(links["/flaky"])
    assert (flaky.verdict, flaky.failures) == ("unknown", 2)
    days_later(monkeypatch, 3)
    check()
    flaky.refresh_from_db()
    assert (flaky.verdict, flaky.failures, flaky.failing_since) == ("ok", 0, None)


def test_a_429_is_no_evidence_and_its_retry_after_is_honoured(server):
    links = archive_of(server, "/busy", "/ok")
    Checker(polite=True, host_delay=0).run()  # one host: in turn
    busy = health(links["/busy"])
    assert (busy.verdict, busy.failures, busy.status) == ("unknown", 0, 429)
    times = {path: moment for _c, path, _h, moment in server.seen}
    assert times["/ok"] - times["/busy"] >= 1.0  # it waited as asked
    assert retry_after("120") == 120.0 and retry_after("soon") is None
    later = (timezone.now() + datetime.timedelta(seconds=30)).strftime("%a, %d %b %Y %H:%M:%S GMT")
    assert 25 <= retry_after(later) <= 31


def test_a_private_address_is_refused_and_is_no_evidence(server):
    links = archive_of(server, "/ok")
    private = Link.objects.create(
        section=links["/ok"].section, title="intranet", url="http://10.0.0.1/wiki", position=5
    )
    check()
    refused = health(private)
    assert (refused.verdict, refused.failures) == ("refused", 0)
    assert "not public" in refused.error
    assert not any(path == "/wiki" for _c, path, *_ in server.seen)


def test_hosts_are_visited_one_request_at_a_time_with_a_delay(server):
    archive_of(server, "/ok", "/new-home", "/no-head")
    Checker(polite=True, host_delay=0.3).run()
    times = sorted(moment for _c, path, _h, moment in server.seen if path in ("/ok", "/new-home"))
    assert times[1] - times[0] >= 0.3


def test_readers_see_the_archived_copy_of_a_gone_link(server, monkeypatch, client):
    links = archive_of(server, "/gone", "/ok")
    for day in range(4):
        days_later(monkeypatch, day)
        check()
    archived = health(links["/gone"]).archived_url
    assert archived
    gone = links["/gone"]
    Link.objects.get(pk=gone.pk).tags.add("存档")
    pages = ["/issues/7/", "/categories/工具/", "/domains/127.0.0.1/", "/tags/存档/"]
    for url in [*pages, gone.get_absolute_url(), "/search/?q=gone"]:
        page = client.get(url).content.decode()
        assert "原链接已失效" in page and f'href="{archived}"' in page, url
    assert "原链接已失效" not in client.get(links["/ok"].get_absolute_url()).content.decode()
    assert "原链接已失效" in client.get("/en/issues/7/").content.decode().replace(
        "The link is dead", "原链接已失效"
    )
    feed = client.get("/categories/工具/feed/").content.decode()
    assert "原链接已失效" in feed and archived in feed
    history = client.get(gone.get_absolute_url()).content.decode()
    assert history.count("<tr><td><time") == 4  # the link page shows its checks


def test_a_link_never_checked_shows_nothing(server, client):
    archive_of(server, "/gone")
    assert "原链接已失效" not in client.get("/issues/7/").content.decode()
    assert "链接检查" not in client.get(Link.objects.get().get_absolute_url()).content.decode()


def test_check_links_command(server, monkeypatch):
    archive_of(server, "/ok", "/gone", "/moved")
    out = io.StringIO()
    call_command("check_links", "--limit", "2", "--no-politeness", stdout=out)
    assert "2 links checked" in out.getvalue() and "1 left" not in out.getvalue()
    out = io.StringIO()
    call_command("check_links", "--limit", "1", "--progress", "--no-politeness", stdout=out)
    assert "1/1 links" in out.getvalue() and "1 links checked" in out.getvalue()
    # the least recently checked first: the one never checked
    assert not LinkHealth.objects.filter(checked_at__isnull=True).exists()
    out = io.StringIO()
    call_command("check_links", "--older-than", "1", stdout=out)
    assert "0 links checked" in out.getvalue()  # all checked within the day
    days_later(monkeypatch, 2)
    out = io.StringIO()
    call_command(
        "check_links", "--older-than", "1", "--domain", "127.0.0.1", "--no-politeness", stdout=out
    )
    assert "3 links checked" in out.getvalue()


@pytest.mark.django_db(transaction=True)
def test_two_processes_never_check_the_same_link(server, monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("several checkers at once need PostgreSQL (SELECT … FOR UPDATE SKIP LOCKED)")
    paths = [f"/ok?n={n}" for n in range(60)]
    entries = [EntryDoc(f"ok {n}", server.url + path) for n, path in enumerate(paths)]
    load_issue(IssueDoc(number=8, sections=[SectionDoc("工具", entries=entries)]), publish=True)
    ensure_rows()

    # While one transaction holds its claim, another claim takes the rest.
    held = threading.Event()
    done = threading.Event()
    first = []

    def hold():
        with transaction.atomic():
            first.extend(
                LinkHealth.objects.order_by("link_id")
                .select_for_update(skip_locked=True)
                .values_list("link_id", flat=True)[:20]
            )
            held.set()
            done.wait(10)
        connection.close()

    holder = threading.Thread(target=hold)
    holder.start()
    held.wait(10)
    second = claim(100, checked_before=timezone.now())
    done.set()
    holder.join()
    assert len(first) == 20 and len(second) == 40 and not set(first) & set(second)
    LinkHealth.objects.update(claimed_until=None)

    # Two check_links processes at once: every link visited exactly once.
    db = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DATABASE_URL": "postgres://{}@{}:{}/{}".format(
            db["USER"] or "postgres", db["HOST"] or "127.0.0.1", db["PORT"] or 5432, db["NAME"]
        ),
        "OUTBOUND_ALLOW_LOOPBACK": "1",
    }
    # --older-than: a process that starts a moment after the other has finished some links
    # leaves them alone (without it, a run checks every link, however recently checked).
    command = [
        sys.executable,
        "manage.py",
        "check_links",
        "--no-politeness",
        "--batch",
        "5",
        "--older-than",
        "1",
    ]
    runs = [
        subprocess.Popen(command, cwd=settings.BASE_DIR, env=env, stdout=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    outputs = [run.communicate(timeout=120)[0] for run in runs]
    assert all(run.returncode == 0 for run in runs), outputs
    visits = [path for command_, path, *_ in server.seen if path.startswith("/ok?n=")]
    assert sorted(visits) == sorted(paths)  # each once, whoever did it
    assert LinkHealth.objects.filter(verdict="ok").count() == 60
    checked = [int(out.split(" links checked")[0].split()[-1]) for out in outputs]
    assert sum(checked) == 60


def gone_and_moved(server, monkeypatch):
    links = archive_of(server, "/gone", "/moved", "/ok")
    for day in range(4):
        days_later(monkeypatch, day)
        check()
    return links


def test_editors_see_the_gone_and_redirected_links_first(server, monkeypatch, editor_client):
    links = gone_and_moved(server, monkeypatch)
    listed = editor_client.get("/admin/archive/linkhealth/").content.decode()
    assert server.url + "/gone" in listed and server.url + "/new-home" in listed
    assert f"{server.url}/ok<" not in listed  # a fine link needs nothing
    everything = editor_client.get("/admin/archive/linkhealth/?verdict=all").content.decode()
    assert f"{server.url}/ok<" in everything
    assert health(links["/gone"]).archived_url in listed


def test_the_health_list_makes_a_fixed_number_of_queries(server, monkeypatch, editor_client):
    gone_and_moved(server, monkeypatch)
    with CaptureQueriesContext(connection) as few:
        assert editor_client.get("/admin/archive/linkhealth/?verdict=all").status_code == 200
    archive_of(server, *[f"/gone?n={n}" for n in range(30)])
    check()
    with CaptureQueriesContext(connection) as many:
        assert editor_client.get("/admin/archive/linkhealth/?verdict=all").status_code == 200
    assert len(many) == len(few)


def test_accepting_a_redirect_moves_the_link(server, monkeypatch, editor_client):
    links = gone_and_moved(server, monkeypatch)
    moved = links["/moved"]
    editor_client.post(
        "/admin/archive/linkhealth/",
        {"action": "accept_redirect", "_selected_action": [moved.pk, links["/gone"].pk]},
    )
    moved.refresh_from_db()
    assert moved.url == server.url + "/new-home"
    assert health(moved).verdict == "ok"
    assert Link.objects.get(pk=links["/gone"].pk).url == server.url + "/gone"  # not redirected


def test_replacing_a_url_and_marking_one_fine(server, monkeypatch, editor_client, client):
    links = gone_and_moved(server, monkeypatch)
    gone = links["/gone"]
    page = f"/admin/archive/linkhealth/{gone.pk}/change/"
    refused = editor_client.post(page, {"replacement": "javascript:alert(1)", "archived_url": ""})
    assert refused.status_code == 200 and "http://" in refused.content.decode()
    assert Link.objects.get(pk=gone.pk).url == server.url + "/gone"  # nothing lost
    editor_client.post(page, {"replacement": server.url + "/ok?moved=1", "archived_url": ""})
    gone.refresh_from_db()
    assert gone.url == server.url + "/ok?moved=1"
    fresh = health(gone)
    assert (fresh.verdict, fresh.checked_at, fresh.archived_url) == ("", None, "")
    assert "原链接已失效" not in client.get("/issues/7/").content.decode()

    moved = links["/moved"]
    editor_client.post(
        "/admin/archive/linkhealth/", {"action": "mark_fine", "_selected_action": [moved.pk]}
    )
    assert health(moved).verdict == "ok"


def test_readers_cannot_reach_the_health_list(client):
    assert client.get("/admin/archive/linkhealth/").status_code == 302


def test_a_run_is_bounded_in_time_and_leaves_the_rest_for_the_next(server):
    # One host, so one at a time; each times out after a second.
    archive_of(server, *[f"/slow?n={n}" for n in range(5)])
    summary = Checker(polite=True, host_delay=0, seconds=2).run()
    assert summary.checked + summary.left == 5 and summary.left >= 2
    assert LinkHealth.objects.filter(checked_at__isnull=True).count() == summary.left
    assert not LinkHealth.objects.exclude(claimed_until=None).exists()  # released, not leased


def test_a_verdict_is_of_an_address_and_an_edited_link_starts_afresh(server, monkeypatch, client):
    links = archive_of(server, "/gone")
    for day in range(4):
        days_later(monkeypatch, day)
        check()
    assert "原链接已失效" in client.get("/issues/7/").content.decode()
    link = Link.objects.get(pk=links["/gone"].pk)
    link.url = server.url + "/removed"  # an editor corrects it, anywhere
    link.save()
    assert "原链接已失效" not in client.get("/issues/7/").content.decode()
    days_later(monkeypatch, 5)
    check()
    fresh = health(link)
    assert (fresh.verdict, fresh.failures, fresh.archived_url) == ("unknown", 1, "")
    assert fresh.checked_url == server.url + "/removed"
