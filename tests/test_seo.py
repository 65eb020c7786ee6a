"""Found, cited and shared: sitemap.xml, robots.txt, canonical addresses, descriptions and
sharing cards."""

import datetime
import re
import xml.etree.ElementTree as ET
from html import unescape

import pytest
from django.utils.timezone import localdate

from archive.models import Link
from tests.factories import make_issue, make_link, make_section

pytestmark = pytest.mark.django_db

SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
XHTML = "{http://www.w3.org/1999/xhtml}"


@pytest.fixture
def archive():
    issue = make_issue(
        7,
        date=datetime.date(2024, 3, 1),
        lede_heading="导读",
        lede="本期讲**搜索**。\n\n![封面](https://img.example.com/cover.png)",
    )
    tools = make_section(issue, "实用工具")
    make_link(
        tools,
        "ripgrep",
        "https://github.com/BurntSushi/ripgrep",
        annotation="* 按正则表达式**递归**搜索目录, 速度极快",
        tags=["命令行"],
    )
    draft = make_issue(8, published=False)
    make_link(
        make_section(draft, "草稿栏目"), "Draft link", "https://draft.example.com/", tags=["秘密"]
    )
    return issue


def head_tags(html):
    head = html.split("</head>", 1)[0]
    return dict(re.findall(r'<meta (?:name|property)="([^"]+)" content="([^"]*)"', head))


def test_sitemap_index_and_sections_list_what_readers_see(client, archive):
    index = ET.fromstring(client.get("/sitemap.xml").content)
    sections = [loc.text for loc in index.iter(f"{SITEMAP}loc")]
    assert sections == [
        "http://testserver/sitemap-issues.xml",
        "http://testserver/sitemap-categories.xml",
        "http://testserver/sitemap-tags.xml",
        "http://testserver/sitemap-links.xml",
    ]
    locations = []
    for section in sections:
        response = client.get(section.removeprefix("http://testserver"))
        assert response.status_code == 200
        locations += [loc.text for loc in ET.fromstring(response.content).iter(f"{SITEMAP}loc")]
    link = Link.objects.get(title="ripgrep")
    expected = {
        "http://testserver/issues/7/",
        "http://testserver/categories/%E5%AE%9E%E7%94%A8%E5%B7%A5%E5%85%B7/",
        "http://testserver/tags/%E5%91%BD%E4%BB%A4%E8%A1%8C/",
        f"http://testserver/links/{link.pk}/",
    }
    # Each page once per language.
    assert set(locations) == expected | {
        url.replace("testserver/", "testserver/en/") for url in expected
    }
    assert not any("issues/8" in url or "draft" in url or "%E7%A7%98" in url for url in locations)


def test_sitemap_gives_every_language_as_an_alternate(client, archive):
    urlset = ET.fromstring(client.get("/sitemap-issues.xml").content)
    first = urlset.find(f"{SITEMAP}url")
    alternates = {a.get("hreflang"): a.get("href") for a in first.iter(f"{XHTML}link")}
    assert alternates == {
        "zh-hans": "http://testserver/issues/7/",
        "en": "http://testserver/en/issues/7/",
        "x-default": "http://testserver/issues/7/",
    }
    # the site's own day (TIME_ZONE), as the sitemap dates it
    assert first.find(f"{SITEMAP}lastmod").text == localdate(archive.updated_at).isoformat()


def test_robots_txt_names_the_sitemap(client):
    response = client.get("/robots.txt")
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    lines = response.content.decode().splitlines()
    assert "Sitemap: http://testserver/sitemap.xml" in lines
    assert "Disallow: /admin/" in lines


@pytest.mark.parametrize(
    ("url", "canonical"),
    [
        ("/", "http://testserver/"),
        ("/issues/7/", "http://testserver/issues/7/"),
        ("/en/issues/7/", "http://testserver/en/issues/7/"),
        (
            "/categories/实用工具/?page=1&utm_source=x",
            "http://testserver/categories/%E5%AE%9E%E7%94%A8%E5%B7%A5%E5%85%B7/",
        ),
        ("/issues/?page=2&x=1", "http://testserver/issues/?page=2"),
        ("/search/?q=rg&utm_source=x&tag=a", "http://testserver/search/?q=rg&tag=a"),
    ],
)
def test_every_page_has_one_canonical_address(client, archive, url, canonical):
    html = client.get(url).content.decode()
    found = re.findall(r'<link rel="canonical" href="([^"]+)">', html)
    assert [unescape(url) for url in found] == [canonical]


def test_pages_name_their_other_languages(client, archive):
    html = client.get("/issues/7/").content.decode()
    alternates = re.findall(r'<link rel="alternate" hreflang="([^"]+)" href="([^"]+)">', html)
    assert alternates == [
        ("zh-Hans", "http://testserver/issues/7/"),
        ("en", "http://testserver/en/issues/7/"),
        ("x-default", "http://testserver/issues/7/"),
    ]


def test_issue_page_describes_itself_with_its_lede_and_first_image(client, archive):
    tags = head_tags(client.get("/issues/7/").content.decode())
    assert tags["description"] == "本期讲搜索。"
    assert tags["og:description"] == "本期讲搜索。"
    assert tags["og:title"] == "2024年03月01日第七期"
    assert tags["og:type"] == "article"
    assert tags["og:url"] == "http://testserver/issues/7/"
    assert tags["og:site_name"] == "Link Weekly"
    assert tags["og:image"] == "https://img.example.com/cover.png"
    assert tags["twitter:card"] == "summary_large_image"


def test_link_page_describes_itself_with_its_annotation(client, archive):
    link = Link.objects.get(title="ripgrep")
    tags = head_tags(client.get(link.get_absolute_url()).content.decode())
    assert tags["description"] == "按正则表达式递归搜索目录, 速度极快"
    assert tags["og:title"] == "ripgrep"
    assert tags["twitter:card"] == "summary"
    assert "og:image" not in tags


def test_a_long_annotation_is_cut_for_the_description(client, archive):
    link = Link.objects.get(title="ripgrep")
    link.annotation = "很长的点评。" * 100
    link.save()
    description = head_tags(client.get(link.get_absolute_url()).content.decode())["description"]
    # Django's Chinese catalog ends a cut text with "...", its English one with "…".
    assert len(description) <= 160 and description.endswith(("…", "..."))


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("/", "周刊推荐过的每一个链接"),
        ("/categories/实用工具/", "“实用工具”栏目推荐过的所有链接"),
        ("/tags/命令行/", "带 #命令行 标签的链接"),
        ("/domains/github.com/", "来自 github.com 的链接"),
        ("/years/2024/", "在 2024 年发布的各期"),
        ("/en/tags/命令行/", "with the tag #命令行"),
    ],
)
def test_every_page_has_its_own_description(client, archive, url, words):
    tags = head_tags(client.get(url).content.decode())
    assert words in tags["description"]
    assert tags["og:description"] == tags["description"]


@pytest.mark.parametrize(
    "url",
    [
        "/sitemap.xml",
        "/sitemap-issues.xml",
        "/sitemap-categories.xml",
        "/sitemap-tags.xml",
        "/sitemap-links.xml",
    ],
)
def test_sitemaps_make_a_fixed_number_of_queries(client, url):
    from tests.factories import make_issue_with_links
    from tests.test_pages import count_queries

    make_issue_with_links(1000, links=10)
    few = count_queries(client, url)
    for number in range(1001, 1021):
        make_issue_with_links(number, links=20, tags_per_link=4)
    assert count_queries(client, url) == few
