"""Browsing by time: year pages, every year linked from /issues/, undated issues, the previous
and next issue."""

import datetime

import pytest
from django.utils import timezone

from archive.models import Link
from tests.factories import make_issue, make_link, make_section

pytestmark = pytest.mark.django_db


@pytest.fixture
def years():
    issues = {
        1: make_issue(1, date=None),  # an undated back-catalogue issue
        2: make_issue(2, date=datetime.date(2023, 6, 2)),
        3: make_issue(3, date=datetime.date(2023, 12, 29)),
        4: make_issue(4, date=datetime.date(2024, 1, 5)),
        5: make_issue(5, date=datetime.date(2024, 1, 12), published=False),  # a draft
    }
    scheduled = make_issue(6, date=datetime.date(2024, 1, 19), published=False)
    scheduled.published_at = timezone.now() + datetime.timedelta(days=1)
    scheduled.save()
    issues[6] = scheduled
    for number, issue in issues.items():
        tools = make_section(issue, "实用工具")
        make_link(tools, f"Tool {number}", f"https://tools.example.com/{number}")
        if number in (3, 4):
            make_link(
                make_section(issue, "模型算法"), f"Model {number}", f"https://m.example/{number}"
            )
    return issues


def test_year_page_lists_the_years_issues_and_counts_by_category(client, years):
    response = client.get("/years/2023/")
    assert response.status_code == 200
    assert [issue.number for issue in response.context["issues"]] == [3, 2]
    counts = [(c.name, c.link_count) for c in response.context["categories"]]
    assert counts == [("实用工具", 2), ("模型算法", 1)]
    assert response.context["link_count"] == 3
    html = response.content.decode()
    assert "<h1>2023 年的各期</h1>" in html
    assert 'href="/years/2024/"' in html  # the next year


def test_a_year_counts_only_what_readers_see(client, years):
    response = client.get("/years/2024/")
    assert [issue.number for issue in response.context["issues"]] == [4]
    assert [(c.name, c.link_count) for c in response.context["categories"]] == [
        ("实用工具", 1),
        ("模型算法", 1),
    ]
    assert "Tool 5" not in response.content.decode()


@pytest.mark.parametrize("year", ["2022", "1999", "9999"])
def test_a_year_without_issues_is_404(client, years, year):
    assert client.get(f"/years/{year}/").status_code == 404


def test_issue_list_links_every_year_and_shows_undated_issues_last(client, years):
    response = client.get("/issues/")
    assert response.context["all_years"] == [2024, 2023]
    html = response.content.decode()
    assert 'href="/years/2024/"' in html and 'href="/years/2023/"' in html
    grouped = [(year, [i.number for i in issues]) for year, issues in response.context["years"]]
    assert grouped == [(2024, [4]), (2023, [3, 2]), (None, [1])]
    assert "日期不详" in html


def test_issue_page_links_the_previous_and_next_published_issue(client, years):
    response = client.get("/issues/3/")
    assert response.context["previous_issue"].number == 2
    assert response.context["next_issue"].number == 4
    html = response.content.decode()
    assert '<a rel="prev" href="/issues/2/">' in html
    assert '<a rel="next" class="next" href="/issues/4/">' in html
    # The newest published issue has no next one: the draft and the scheduled one are skipped.
    newest = client.get("/issues/4/")
    assert newest.context["previous_issue"].number == 3
    assert newest.context["next_issue"] is None
    assert client.get("/issues/1/").context["previous_issue"] is None


def test_an_undated_issue_says_so(client, years):
    html = client.get("/issues/1/").content.decode()
    assert "第 1 期 · 日期不详" in html
    assert "Undated" not in html


def test_a_text_entry_is_not_featured_with_other_text_entries(client, years):
    quotes = make_section(years[4], "言论")
    quote = make_link(quotes, "“少即是多。”", url="")
    make_link(make_section(years[3], "言论"), "“另一句话。”", url="")
    response = client.get(quote.get_absolute_url())
    assert response.status_code == 200
    assert list(response.context["appearances"]) == []
    assert "其他期也推荐过" not in response.content.decode()
    # A link featured twice still lists its other appearance.
    again = make_link(
        make_section(years[2], "模型算法"), "Tool 4 again", "https://tools.example.com/4"
    )
    tool = Link.objects.get(title="Tool 4")
    assert [link.pk for link in client.get(tool.get_absolute_url()).context["appearances"]] == [
        again.pk
    ]
