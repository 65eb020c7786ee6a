"""Two gunicorn processes sharing PostgreSQL and Redis, as when the site scales out: an edit
made through one invalidates the cached pages the other serves."""

import datetime
import os

import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.contrib.auth.models import Group, User
from django.db import connection

from archive.ingest.loading import load_issue
from archive.issuemd import EntryDoc, IssueDoc, SectionDoc
from tests.servers import Server, collect_static, production_env, redis_reachable

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="shared PostgreSQL"),
]
REDIS_DB = 13


@pytest.fixture
def redis_url():
    if not redis_reachable():
        if os.environ.get("REQUIRE_REDIS") == "1":
            pytest.fail("Redis is not running on 127.0.0.1:6379")
        pytest.skip("Redis is not running on 127.0.0.1:6379")
    import redis

    client = redis.Redis(host="127.0.0.1", port=6379, db=REDIS_DB)
    client.flushdb()
    yield f"redis://127.0.0.1:6379/{REDIS_DB}"
    client.flushdb()


@pytest.fixture
def servers(redis_url, tmp_path):
    env = production_env(tmp_path / "static", redis_url)
    collect_static(env)
    started = [Server(env), Server(env)]
    yield started
    for server in started:
        server.stop()
    connection.close()


def issue(number, title, publish):
    doc = IssueDoc(
        number=number,
        title=title,
        date=datetime.date(2024, 1, number),
        sections=[
            SectionDoc("实用工具", entries=[EntryDoc(f"{title} 的链接", f"https://x/{number}")])
        ],
    )
    return load_issue(doc, publish=publish).issue


def test_an_edit_through_one_process_is_seen_through_the_other(servers):
    one, other = servers
    issue(1, "已经发布的一期", publish=True)
    draft = issue(2, "刚写好的一期", publish=False)
    editor = User.objects.create(
        username="editor",
        is_staff=True,
        password=PBKDF2PasswordHasher().encode("correct horse battery", "saltsaltsalt"),
    )
    editor.groups.add(Group.objects.get(name="editors"))

    status, headers, html = other.get("/")
    assert status == 200 and "已经发布的一期" in html and "刚写好的一期" not in html
    status, headers, html = other.get("/")
    assert headers["X-Cache"] == "hit"

    one.log_in("editor", "correct horse battery")
    token = one.csrf_token("/admin/archive/issue/")
    one.post(
        "/admin/archive/issue/",
        {"action": "publish_now", "_selected_action": [draft.pk], "csrfmiddlewaretoken": token},
    )

    status, headers, html = other.get("/")
    assert status == 200
    assert headers["X-Cache"] == "miss"
    assert "刚写好的一期" in html
    assert other.get("/")[1]["X-Cache"] == "hit"
