"""Atom feeds of issues, categories, tags and domains, and the RSS twin: valid XML, readers'
content only, absolute URLs, conditional GET, a fixed number of queries."""

import datetime
import xml.etree.ElementTree as ET

import pytest
from django.utils import timezone

from archive.ingest.loading import load_issue
from archive.issuemd import EntryDoc, IssueDoc, SectionDoc
from archive.models import Issue, Link
from tests.factories import make_issue, make_issue_with_links, make_link, make_section
from tests.test_pages import count_queries

pytestmark = pytest.mark.django_db

ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture
def archive():
    first = load_issue(
        IssueDoc(
            number=1,
            date=datetime.date(2024, 1, 5),
            lede_heading="开张",
            lede="第一期, 见[关于](/about/)。<script>alert(1)</script>",
            sections=[
                SectionDoc(
                    "实用工具",
                    entries=[
                        EntryDoc(
                            "ripgrep",
                            "https://github.com/BurntSushi/ripgrep",
                            "* 比 grep 快 ![截图](/static/rg.png)",
                            tags=["命令行", "Rust"],
                            children=[
                                EntryDoc("ag", "https://github.com/ggreer/the_silver_searcher")
                            ],
                        ),
                    ],
                ),
                SectionDoc("言论", entries=[EntryDoc("“少即是多。”", "", "-- 某人")]),
            ],
        ),
        publish=True,
    ).issue
    second = load_issue(
        IssueDoc(
            number=2,
            date=datetime.date(2024, 1, 12),
            sections=[
                SectionDoc(
                    "实用工具",
                    entries=[EntryDoc("fzf", "https://github.com/junegunn/fzf", tags=["命令行"])],
                )
            ],
        ),
        publish=True,
    ).issue
    draft = make_issue(3, published=False, title="草稿")
    make_link(
        make_section(draft, "实用工具"), "Secret", "https://secret.example.com/", tags=["命令行"]
    )
    scheduled = make_issue(4, published=timezone.now() + datetime.timedelta(hours=2))
    make_link(make_section(scheduled, "实用工具"), "Soon", "https://soon.example.com/")
    return {"first": first, "second": second, "draft": draft, "scheduled": scheduled}


def parse(response):
    assert response.status_code == 200, response.status_code
    return ET.fromstring(response.content)


def entries(feed):
    return feed.findall(f"{ATOM}entry")


def test_site_feed_has_every_published_issue_whole(client, archive):
    response = client.get("/feed/")
    assert response["Content-Type"] == "application/atom+xml; charset=utf-8"
    feed = parse(response)
    assert feed.tag == f"{ATOM}feed"
    assert feed.find(f"{ATOM}link[@rel='self']").get("href") == "http://testserver/feed/"
    found = entries(feed)
    assert [e.find(f"{ATOM}title").text for e in found] == [
        "2024年01月12日第二期",
        "2024年01月05日第一期",
    ]
    first = found[1]
    assert first.find(f"{ATOM}link").get("href") == "http://testserver/issues/1/"
    assert first.find(f"{ATOM}id").text == "http://testserver/issues/1/"
    published = datetime.datetime.fromisoformat(first.find(f"{ATOM}published").text)
    assert published == archive["first"].published_at
    assert timezone.localtime(published).date() == datetime.date(2024, 1, 5)
    assert {c.get("term") for c in first.findall(f"{ATOM}category")} == {"实用工具", "言论"}

    content = first.find(f"{ATOM}content")
    assert content.get("type") == "html"
    html = content.text
    # The whole issue: lede, sections, links, annotations, similar links, text entries.
    for text in ["开张", "实用工具", "ripgrep", "比 grep 快", "the_silver_searcher", "少即是多"]:
        assert text in html, text
    # Sanitised, and every address absolute.
    assert "<script>" not in html and "alert(1)" not in html
    assert 'href="http://testserver/about/"' in html
    assert 'src="http://testserver/static/rg.png"' in html
    assert 'href="http://testserver/categories/' in html
    assert 'href="/' not in html and 'src="/' not in html


def test_drafts_and_scheduled_issues_stay_out_until_their_time(client, archive, monkeypatch):
    body = client.get("/feed/").content.decode()
    assert "Secret" not in body and "Soon" not in body and "草稿" not in body
    assert "Secret" not in client.get("/tags/命令行/feed/").content.decode()

    # Three hours later the scheduled issue is in, without anyone doing anything.
    later = timezone.now() + datetime.timedelta(hours=3)
    monkeypatch.setattr("django.utils.timezone.now", lambda: later)
    titles = [e.find(f"{ATOM}title").text for e in entries(parse(client.get("/feed/")))]
    assert titles[0] == archive["scheduled"].display_title
    assert "Soon" in client.get("/categories/实用工具/feed/").content.decode()


def test_rss_twin_of_the_site_feed(client, archive):
    response = client.get("/feed/rss/")
    assert response["Content-Type"] == "application/rss+xml; charset=utf-8"
    channel = parse(response).find("channel")
    items = channel.findall("item")
    assert [item.find("link").text for item in items] == [
        "http://testserver/issues/2/",
        "http://testserver/issues/1/",
    ]
    assert "ripgrep" in items[1].find("description").text
    assert items[1].find("pubDate").text == "Thu, 04 Jan 2024 16:00:00 +0000"  # 5 Jan, Beijing


def test_category_tag_and_domain_feeds_have_one_entry_per_link(client, archive):
    feed = parse(client.get("/categories/实用工具/feed/"))
    found = entries(feed)
    assert [e.find(f"{ATOM}title").text for e in found] == ["fzf", "ripgrep", "ag"]
    ripgrep = found[1]
    # The entry leads to the page it recommends, and is known by its page on the archive.
    assert ripgrep.find(f"{ATOM}link").get("href") == "https://github.com/BurntSushi/ripgrep"
    link = Link.objects.get(title="ripgrep")
    assert ripgrep.find(f"{ATOM}id").text == f"http://testserver/links/{link.pk}/"
    assert [c.get("term") for c in ripgrep.findall(f"{ATOM}category")] == ["Rust", "命令行"]
    content = ripgrep.find(f"{ATOM}content").text
    assert "比 grep 快" in content
    assert (
        '<a href="http://testserver/issues/1/" rel="noopener noreferrer nofollow">第 1 期</a>'
        in (content)
    )

    tag_feed = parse(client.get("/tags/命令行/feed/"))
    assert [e.find(f"{ATOM}title").text for e in entries(tag_feed)] == ["fzf", "ripgrep"]
    domain_feed = parse(client.get("/domains/github.com/feed/"))
    assert len(entries(domain_feed)) == 3

    # A text entry has no address of its own: its entry leads to its page on the archive.
    quote = Link.objects.get(url="")
    text_feed = entries(parse(client.get("/categories/言论/feed/")))
    assert text_feed[0].find(f"{ATOM}link").get("href") == f"http://testserver/links/{quote.pk}/"


def test_feeds_speak_the_language_of_their_address(client, archive):
    feed = parse(client.get("/en/categories/实用工具/feed/"))
    assert feed.get("{http://www.w3.org/XML/1998/namespace}lang") == "en"
    content = entries(feed)[1].find(f"{ATOM}content").text
    assert ">Issue 1</a>" in content and "http://testserver/en/issues/1/" in content


@pytest.mark.parametrize(
    "url", ["/categories/不存在/feed/", "/tags/nope/feed/", "/domains/nope.example/feed/"]
)
def test_unknown_subjects_have_no_feed(client, archive, url):
    assert client.get(url).status_code == 404


def test_a_draft_only_tag_has_no_feed(client, archive):
    make_link(make_section(archive["draft"]), "Hidden", "https://h.example.com/", tags=["秘密"])
    assert client.get("/tags/秘密/feed/").status_code == 404


def test_conditional_get_answers_304_until_something_changes(client, archive, monkeypatch):
    first = client.get("/feed/")
    etag, modified = first["ETag"], first["Last-Modified"]
    assert etag and modified
    assert client.get("/feed/", headers={"if-none-match": etag}).status_code == 304
    assert client.get("/feed/", headers={"if-modified-since": modified}).status_code == 304

    # An editor changes a link a minute later.
    later = timezone.now() + datetime.timedelta(minutes=1)
    monkeypatch.setattr("django.utils.timezone.now", lambda: later)
    link = Link.objects.get(title="fzf")
    link.annotation = "* 模糊查找, 改过了"
    link.save()
    changed = client.get("/feed/", headers={"if-none-match": etag})
    assert changed.status_code == 200 and "改过了" in changed.content.decode()
    assert changed["ETag"] != etag
    # The edit moved the issue's update time, so a reader sending only a date sees it too.
    assert client.get("/feed/", headers={"if-modified-since": modified}).status_code == 200


FEEDS = {
    # state, issues, their sections with categories, their links, those links' tags
    "/feed/": 5,
    "/feed/rss/": 5,
    # state, category, links with issue and category, tags
    "/categories/硬件加速/feed/": 4,
    # state, tag, links, tags
    "/tags/tag1/feed/": 4,
    # state, links, tags
    "/domains/site1.example.com/feed/": 3,
}


@pytest.mark.parametrize(("url", "queries"), FEEDS.items())
def test_feeds_make_a_fixed_number_of_queries(client, django_assert_num_queries, url, queries):
    make_issue_with_links(1000, links=10)
    with django_assert_num_queries(queries):
        assert client.get(url).status_code == 200
    for number in range(1001, 1031):
        make_issue_with_links(number, links=20, tags_per_link=4)
    assert Issue.objects.count() == 31
    assert count_queries(client, url) == queries


@pytest.mark.parametrize(
    ("url", "feed"),
    [
        ("/", "/feed/"),
        ("/categories/实用工具/", "/categories/%E5%AE%9E%E7%94%A8%E5%B7%A5%E5%85%B7/feed/"),
        ("/tags/命令行/", "/tags/%E5%91%BD%E4%BB%A4%E8%A1%8C/feed/"),
        ("/domains/github.com/", "/domains/github.com/feed/"),
    ],
)
def test_pages_announce_their_feed(client, archive, url, feed):
    html = client.get(url).content.decode()
    assert '<link rel="alternate" type="application/atom+xml" title="' in html
    assert f'href="{feed}"' in html
    assert '<link rel="alternate" type="application/rss+xml"' in html
