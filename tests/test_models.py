import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from archive.ingest.urlnorm import domain_of, normalize_url
from archive.models import Category, Issue, Link, unicode_slug
from tests.factories import make_issue, make_link, make_section

pytestmark = pytest.mark.django_db


def test_issue_number_is_unique():
    make_issue(5)
    with pytest.raises(IntegrityError), transaction.atomic():
        make_issue(5)


def test_section_positions_are_unique_within_an_issue():
    issue = make_issue()
    make_section(issue, "工具", position=0)
    with pytest.raises(IntegrityError), transaction.atomic():
        make_section(issue, "杂谈", position=0)


def test_link_positions_are_unique_among_siblings_only():
    section = make_section(make_issue())
    parent = make_link(section, "Parent", position=0)
    make_link(section, "Child", position=0, parent=parent)  # its own position space
    with pytest.raises(IntegrityError), transaction.atomic():
        make_link(section, "Clash", position=0)
    with pytest.raises(IntegrityError), transaction.atomic():
        make_link(section, "Child clash", position=0, parent=parent)


def test_statuses_and_published_querysets():
    now = timezone.now()
    draft = make_issue(1, published=False)
    scheduled = make_issue(2, published=now + datetime.timedelta(days=2))
    live = make_issue(3, published=now - datetime.timedelta(minutes=1))
    assert [draft.status, scheduled.status, live.status] == ["draft", "scheduled", "published"]
    assert list(Issue.objects.published()) == [live]
    for issue in (draft, scheduled, live):
        make_link(make_section(issue), f"In {issue.number}")
    assert [link.title for link in Link.objects.published()] == ["In 3"]


def test_derived_fields_are_computed_on_save():
    section = make_section(make_issue())
    link = make_link(
        section,
        "Zhihu",
        "https://WWW.Zhihu.com/p/1/?utm_source=share&id=2#comments",
        annotation="* **bold** <script>x</script>",
    )
    assert link.domain == "zhihu.com"
    assert link.normalized_url == "https://zhihu.com/p/1?id=2"
    assert link.annotation_html == "<ul>\n<li><strong>bold</strong> </li>\n</ul>"
    child = make_link(section, "Child", "https://example.org/c", parent=link)
    assert child.section_id == section.pk


def test_normalisation_agrees_for_the_same_page():
    same = [
        "https://github.com/BurntSushi/ripgrep",
        "http://www.github.com/BurntSushi/ripgrep/",
        "https://github.com:443/BurntSushi/ripgrep?utm_medium=x#readme",
    ]
    assert len({normalize_url(url) for url in same}) == 1
    assert normalize_url("https://例子.测试/路径").startswith("https://xn--")
    assert domain_of("https://例子.测试/路径") == "例子.测试"


def test_link_url_must_be_http():
    section = make_section(make_issue())
    for bad in ["javascript:alert(1)", "data:text/html,<b>x</b>", "ftp://example.com/x"]:
        link = Link(section=section, title="Bad", url=bad, position=9)
        with pytest.raises(ValidationError) as raised:
            link.full_clean()
        assert "url" in raised.value.message_dict


def test_unicode_slugs():
    assert unicode_slug("硬件加速") == "硬件加速"
    assert unicode_slug("C 项目") == "c-项目"
    assert unicode_slug("C# 项目") == "c-sharp-项目"
    assert unicode_slug("C++ 项目") == "c-plus-plus-项目"
    assert unicode_slug("工具", taken={"工具"}) == "工具-2"
    category = Category.objects.create(name="大模型 LLM")
    assert category.slug == "大模型-llm"
    assert category.get_absolute_url() == "/categories/%E5%A4%A7%E6%A8%A1%E5%9E%8B-llm/"


def test_str_and_urls():
    issue = make_issue(3, date=datetime.date(2022, 3, 11))
    section = make_section(issue, "实用工具")
    link = make_link(section, "ripgrep")
    assert str(issue) == "2022年03月11日第三期"
    assert issue.get_absolute_url() == "/issues/3/"
    assert str(section) == "实用工具 · 2022年03月11日第三期"
    assert str(link) == "ripgrep"
    assert link.get_absolute_url() == f"/links/{link.pk}/"


def test_an_issue_needs_a_number_or_a_slug():
    with pytest.raises(IntegrityError), transaction.atomic():
        Issue.objects.create(title="Neither")
    Issue.objects.create(slug="special-1")
    with pytest.raises(IntegrityError), transaction.atomic():
        Issue.objects.create(slug="special-1")
