"""Every public page: content, drafts hidden, 404s, and a fixed number of queries."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from archive.models import Link
from tests.factories import make_issue, make_issue_with_links, make_link, make_section

pytestmark = pytest.mark.django_db


@pytest.fixture
def archive():
    """Two published issues and a draft, with Chinese categories and tags."""
    first = make_issue(1, title="第一期：开张", date=datetime.date(2023, 12, 29))
    second = make_issue(2, lede_heading="本期导读", lede="关于**大模型**的一期")
    draft = make_issue(3, published=False, title="还没发布的草稿")
    tools = make_section(first, "实用工具")
    make_link(
        tools,
        "ripgrep",
        "https://github.com/BurntSushi/ripgrep",
        tags=["命令行", "rust"],
        annotation="* grep的替代工具, 使用时命令为**rg**",
    )
    llm = make_section(second, "模型算法")
    luotuo = make_link(
        llm,
        "Luotuo",
        "https://github.com/LC1332/Chinese-alpaca-lora",
        tags=["大模型"],
        annotation="* 中文大模型",
    )
    make_link(llm, "Chinese-Vicuna", "https://github.com/Facico/Chinese-Vicuna", parent=luotuo)
    make_link(
        make_section(second, "实用工具"), "hatch", "https://github.com/pypa/hatch", tags=["python"]
    )
    make_link(
        make_section(draft, "实用工具"),
        "Secret draft link",
        "https://secret.example.com/x",
        tags=["大模型", "秘密"],
    )
    return {"first": first, "second": second, "draft": draft, "luotuo": luotuo}


def test_home(client, archive):
    response = client.get("/")
    assert response.status_code == 200
    assert response.context["latest"] == archive["second"]
    assert [issue.number for issue in response.context["recent"]] == [1]
    assert [c.name for c in response.context["categories"]] == ["实用工具", "模型算法"]
    assert [c.link_count for c in response.context["categories"]] == [2, 2]
    assert "Secret draft link" not in response.content.decode()


def test_issue_page_reads_like_the_newsletter(client, archive):
    response = client.get("/issues/2/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "<title>" in html and "第二期" in html
    assert '<html lang="zh-Hans">' in html
    assert '<h2 id="lede-heading">本期导读</h2>' in html
    assert "<strong>大模型</strong>" in html
    assert html.index("Luotuo") < html.index("Chinese-Vicuna") < html.index("hatch")
    assert '<ul class="children"' in html
    assert 'href="/tags/%E5%A4%A7%E6%A8%A1%E5%9E%8B/"' in html
    assert 'href="/categories/%E6%A8%A1%E5%9E%8B%E7%AE%97%E6%B3%95/"' in html
    sections = response.context["sections"]
    assert [link.title for link in sections[0].top_links] == ["Luotuo"]
    assert [child.title for child in sections[0].top_links[0].child_links] == ["Chinese-Vicuna"]


def test_issue_list_groups_by_year(client, archive):
    response = client.get("/issues/")
    assert [(year, [i.number for i in issues]) for year, issues in response.context["years"]] == [
        (2024, [2]),
        (2023, [1]),
    ]
    assert "还没发布的草稿" not in response.content.decode()


def test_category_pages(client, archive):
    response = client.get("/categories/")
    assert [c.name for c in response.context["categories"]] == ["实用工具", "模型算法"]
    response = client.get("/categories/实用工具/")
    assert response.status_code == 200
    assert [link.title for link in response.context["page"]] == ["hatch", "ripgrep"]
    html = response.content.decode()
    assert "第 2 期" in html and "第 1 期" in html
    assert "Secret draft link" not in html


def test_tag_pages(client, archive):
    response = client.get("/tags/")
    counts = {tag.name: tag.link_count for tag in response.context["tags"]}
    assert counts == {"大模型": 1, "命令行": 1, "rust": 1, "python": 1}
    response = client.get("/tags/大模型/")
    assert [link.title for link in response.context["page"]] == ["Luotuo"]


def test_domain_page(client, archive):
    response = client.get("/domains/github.com/")
    assert response.status_code == 200
    assert [link.title for link in response.context["page"]] == [
        "Luotuo",
        "Chinese-Vicuna",
        "hatch",
        "ripgrep",
    ]


def test_link_page(client, archive):
    luotuo = archive["luotuo"]
    again = make_link(
        make_section(make_issue(4), "模型算法"),
        "Luotuo again",
        "https://github.com/LC1332/Chinese-alpaca-lora/",
    )
    response = client.get(luotuo.get_absolute_url())
    assert response.status_code == 200
    assert [child.title for child in response.context["children"]] == ["Chinese-Vicuna"]
    assert [link.pk for link in response.context["appearances"]] == [again.pk]
    assert response.context["link"].tag_list == [("大模型", "大模型")]


def test_drafts_and_scheduled_issues_are_invisible_to_readers(client, archive):
    scheduled = make_issue(5, published=timezone.now() + datetime.timedelta(hours=3))
    secret = Link.objects.get(title="Secret draft link")
    for url in [
        "/issues/3/",
        "/issues/5/",
        secret.get_absolute_url(),
        "/tags/秘密/",
        "/domains/secret.example.com/",
    ]:
        assert client.get(url).status_code == 404, url
    assert scheduled.status == "scheduled"
    assert "Secret draft link" not in client.get("/tags/大模型/").content.decode()


def test_staff_preview_drafts_with_a_banner(client, archive, editor):
    client.force_login(editor)
    response = client.get("/issues/3/")
    assert response.status_code == 200
    assert "读者还看不到这一期" in response.content.decode()
    secret = Link.objects.get(title="Secret draft link")
    assert client.get(secret.get_absolute_url()).status_code == 200
    assert "读者还看不到" not in client.get("/issues/2/").content.decode()


@pytest.mark.parametrize(
    "url",
    [
        "/issues/999/",
        "/issues/abc/",
        "/categories/不存在/",
        "/tags/nope/",
        "/domains/nope.example/",
        "/links/999999/",
        "/links/abc/",
        "/nowhere/",
        "/categories/a%00b/",
    ],
)
def test_unknown_things_are_404(client, archive, url):
    response = client.get(url)
    assert response.status_code == 404
    if "text/html" in response["Content-Type"]:
        assert "页面不存在" in response.content.decode()


@pytest.mark.parametrize("page", ["0", "-1", "999", "abc", "9" * 30])
def test_odd_page_numbers_do_not_fail(client, archive, page):
    assert client.get("/categories/实用工具/", {"page": page}).status_code == 200
    assert client.get("/issues/", {"page": page}).status_code == 200


# Query counts. Each page's queries are listed; lists must not grow with the data. Every
# reader page first reads the archive's state (archive.publishing.cache: its version, and when
# the next scheduled issue goes live) unless the page cache has it.
PAGES = {
    # state, latest issue, its links (with categories), recent issues, categories, tallies
    "/": 5,
    # state, the number of issues (a tally), a page of issues, years (tallies)
    "/issues/": 4,
    # state, issue, sections with categories, links, their tags, previous and next issue
    "/issues/1000/": 6,
    # state, years (tallies), issues of the year, categories of the year with their tallies
    "/years/2024/": 4,
    # state, categories with their tallies
    "/categories/": 2,
    # state, category with its tally, page of links with issue and category, tags
    "/categories/硬件加速/": 4,
    # state, a page of tag tallies, the number of tags, those tags
    "/tags/": 4,
    # state, tag with its tally, page of links, tags
    "/tags/tag1/": 4,
    # state, the domain's tally, page of links, tags
    "/domains/site1.example.com/": 4,
}


@pytest.mark.parametrize(("url", "queries"), PAGES.items())
def test_exact_query_counts(client, django_assert_num_queries, url, queries):
    make_issue_with_links(1000, links=10)
    with django_assert_num_queries(queries):
        assert client.get(url).status_code == 200


def test_link_page_query_count(client, django_assert_num_queries):
    issue = make_issue_with_links(1000, links=10)
    link = Link.objects.filter(section__issue=issue, parent=None).first()
    # state, link with issue, category, parent and health; its tags; its latest checks; its
    # children; other appearances; siblings
    with django_assert_num_queries(7):
        assert client.get(link.get_absolute_url()).status_code == 200


def count_queries(client, url):
    with CaptureQueriesContext(connection) as context:
        assert client.get(url).status_code == 200
    return len(context)


@pytest.mark.parametrize("url", [*PAGES, "link"])
def test_query_count_does_not_grow_with_the_data(client, url):
    small = make_issue_with_links(1000, links=10)
    link_url = Link.objects.filter(section__issue=small, parent=None).first().get_absolute_url()
    target = link_url if url == "link" else url
    with_ten = count_queries(client, target)
    more = make_issue_with_links(1001, links=200, tags_per_link=4)
    big_target = more.get_absolute_url() if url == "/issues/1000/" else target
    assert Link.objects.count() == 420
    assert count_queries(client, big_target) == with_ten


def test_reverse_names_are_namespaced():
    assert (
        reverse("archive:category", args=["硬件加速"])
        == "/categories/%E7%A1%AC%E4%BB%B6%E5%8A%A0%E9%80%9F/"
    )
    assert reverse("archive:tag", args=["大模型"]) == "/tags/%E5%A4%A7%E6%A8%A1%E5%9E%8B/"


def test_a_javascript_url_can_never_be_stored_nor_rendered_as_a_link(client):
    from django.core.exceptions import ValidationError
    from django.db import IntegrityError, transaction

    from archive.publishing.addresses import Addresses
    from archive.templatetags.archive_tags import link_card

    section = make_section(make_issue(1))
    link = make_link(section, "<script>alert(1)</script> evil", "https://example.com/ok")
    # Past the forms: save() refuses with a clear message, the database's check refuses a
    # raw update.
    for url in ["javascript:alert(1)", " JavaScript:alert(1)", "data:text/html,x", "ftp://x/"]:
        link.url = url
        with pytest.raises(ValidationError, match="http"):
            link.save()
    for url in ["javascript:alert(1)", "vbscript:x", "data:text/html,x"]:
        with pytest.raises(IntegrityError), transaction.atomic():
            Link.objects.filter(pk=link.pk).update(url=url)
    for url in ["/", "/issues/1/", link.get_absolute_url()]:
        html = client.get(url).content.decode()
        assert "<script>alert(1)</script>" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt; evil" in html
    # A row that came in some other way is still shown without a live address.
    link.url, link.domain, link.tag_list = "javascript:alert(1)", "", []
    html = link_card(Addresses().present([link])[0])
    assert "javascript:" not in html and "href" in html  # its permalink, nothing else


def test_special_issues_live_at_their_slug_and_list_by_their_date(client, archive):
    from archive.models import Issue

    special = Issue.objects.create(
        slug="2024-07-10-season",
        title="第一季精华合集",
        published_at=timezone.now(),
        date=datetime.date(2024, 7, 10),
    )
    make_link(make_section(special, "实用工具"), "Best of", "https://best.example.com/")
    assert special.get_absolute_url() == "/specials/2024-07-10-season/"
    response = client.get(special.get_absolute_url())
    assert response.status_code == 200 and "特刊" in response.content.decode()
    assert client.get("/specials/nope/").status_code == 404
    assert client.get("/").context["latest"] == archive["second"]
    titles = [link.title for link in client.get("/categories/实用工具/").context["page"]]
    assert titles == ["hatch", "ripgrep", "Best of"]
    # In its year, by its date among the numbered issues.
    years = client.get("/issues/").context["years"]
    assert [(year, [i.display_title for i in issues]) for year, issues in years] == [
        (2024, ["第一季精华合集", "2024年01月05日第二期"]),
        (2023, ["第一期：开张"]),
    ]


def test_every_part_of_a_link_is_escaped(client):
    issue = make_issue(1)
    section = make_section(issue, "实用工具")
    hostile = '"><img src=x onerror=alert(1)>'
    link = make_link(section, f"Title {hostile}", "https://example.com/?a=1&b=2", tags=[hostile])
    make_link(section, f"Child {hostile}", "https://example.com/child", parent=link)
    for url in ["/issues/1/", "/categories/实用工具/"]:
        html = client.get(url).content.decode()
        assert "<img src=x" not in html, url
        assert "Title &quot;&gt;&lt;img src=x onerror=alert(1)&gt;" in html, url
        assert 'href="https://example.com/?a=1&amp;b=2"' in html, url
    assert "Child &quot;&gt;&lt;img" in client.get("/issues/1/").content.decode()
