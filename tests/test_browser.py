"""End to end in a real Chromium: an editor composes and publishes, a reader sees it.

Uses Debian's chromium (/usr/bin/chromium) through Playwright. Skipped when no Chromium is
installed, unless REQUIRE_BROWSER=1 (as in CI), where a missing browser is a failure.
"""

import datetime
import os
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone

from archive.models import Category, Issue
from tests.browser import browser_marks

pytestmark = browser_marks()


def test_editor_publishes_an_issue_and_readers_see_it(page, django_user_model, transactional_db):
    from django.contrib.auth.models import Group

    editor = django_user_model.objects.create_user("editor", password="correct horse battery")
    editor.is_staff = True
    editor.save()
    editor.groups.add(Group.objects.get(name="editors"))
    Category.objects.create(name="实用工具")

    page.goto("/admin/login/?next=/admin/archive/issue/add/")
    page.fill("#id_username", "editor")
    page.fill("#id_password", "correct horse battery")
    page.click("input[type=submit]")
    page.wait_for_url("**/admin/archive/issue/add/")

    page.fill("#id_number", "77")
    page.fill("#id_date", "2024-06-07")
    page.fill("#id_lede", "浏览器里写的一期")
    moment = timezone.localtime() - datetime.timedelta(minutes=5)
    page.fill("#id_published_at_0", moment.strftime("%Y-%m-%d"))
    page.fill("#id_published_at_1", moment.strftime("%H:%M:%S"))

    page.click(".djn-add-handler.djn-model-archive-section")
    section = page.locator("#sections-0")
    section.locator(".select2-selection").click()
    page.fill(".select2-search__field", "实用")
    page.click(".select2-results__option >> text=实用工具")

    for index, (title, url) in enumerate(
        [
            ("ripgrep 代码搜索", "https://github.com/BurntSushi/ripgrep"),
            ("fzf", "https://github.com/junegunn/fzf"),
        ]
    ):
        section.locator(".djn-add-handler.djn-level-2").click()
        prefix = f"sections-0-links-{index}"
        page.fill(f"[name={prefix}-title]", title)
        page.fill(f"[name={prefix}-url]", url)
        page.fill(f"[name={prefix}-annotation]", f"* {title} 的注释")
        page.fill(f"[name={prefix}-tags]", "命令行")

    # The composer's own requests (URL checks, tag suggestions) finish first: the test
    # server shares one SQLite connection between its threads, so no two may overlap.
    page.wait_for_load_state("networkidle")
    page.click("input[name=_save]")
    page.wait_for_url("**/admin/archive/issue/")
    assert page.locator(".messagelist .success").count() == 1

    issue = Issue.objects.get(number=77)
    assert issue.status == "published"
    assert list(
        issue.sections.get().links.order_by("position").values_list("title", flat=True)
    ) == [
        "ripgrep 代码搜索",
        "fzf",
    ]

    # A reader, logged out, reads the issue and browses the category.
    page.context.clear_cookies()
    page.goto("/issues/77/")
    titles = page.locator(".link-title a").all_inner_texts()
    assert titles == ["ripgrep 代码搜索", "fzf"]
    assert "浏览器里写的一期" in page.inner_text(".lede")
    page.click(".section h2 a")
    assert page.url.endswith("/categories/%E5%AE%9E%E7%94%A8%E5%B7%A5%E5%85%B7/")
    assert page.locator(".link-title a").all_inner_texts() == ["ripgrep 代码搜索", "fzf"]
    assert page.locator(".tags a").first.inner_text() == "命令行"


def test_reader_searches_a_chinese_substring_and_applies_a_facet(page, transactional_db):
    from archive.ingest.loading import load_issue
    from archive.issuemd import EntryDoc, IssueDoc, SectionDoc

    load_issue(
        IssueDoc(
            number=5,
            date=datetime.date(2024, 3, 1),
            sections=[
                SectionDoc(
                    "模型算法",
                    entries=[
                        EntryDoc("中文大模型训练指南", "https://llm.example.com/", "* 从零开始"),
                    ],
                ),
                SectionDoc(
                    "实用工具",
                    entries=[
                        EntryDoc(
                            "大模型推理工具", "https://infer.example.com/", "* 在笔记本上运行"
                        ),
                        EntryDoc("ripgrep", "https://github.com/BurntSushi/ripgrep"),
                    ],
                ),
            ],
        ),
        publish=True,
    )
    page.goto("/")
    page.fill("#site-search-q", "模型")
    page.press("#site-search-q", "Enter")
    page.wait_for_url("**/search/?q=*")
    titles = page.locator(".result .link-title").all_inner_texts()
    assert sorted(titles) == ["中文大模型训练指南", "大模型推理工具"]
    assert page.locator(".result .link-title mark").first.inner_text() == "模型"

    page.click(".facet a:has-text('实用工具')")
    page.wait_for_url("**category=*")
    assert page.locator(".result .link-title").all_inner_texts() == ["大模型推理工具"]
    assert page.locator(".facet li.active").first.inner_text().startswith("✓ 实用工具")


AXE = Path(settings.BASE_DIR) / "node_modules" / "axe-core" / "axe.min.js"


@pytest.fixture
def reader_archive(transactional_db):
    """Every kind of public page has something on it: a long issue with a lede, text entries,
    similar links and tags, an earlier issue, an undated one and a special."""
    from archive.ingest.loading import load_issue
    from archive.issuemd import EntryDoc, IssueDoc, SectionDoc

    sections = [
        SectionDoc(
            "模型算法",
            note="本栏目的[说明](https://example.com/about)。",
            entries=[
                EntryDoc(
                    "中文大模型训练指南",
                    "https://llm.example.com/guide",
                    "* 从零开始, 详见[论文](https://arxiv.org/abs/2401.00001)",
                    tags=["大模型", "训练"],
                    children=[EntryDoc("相似的指南", "https://other.example.com/g")],
                ),
            ],
        ),
        SectionDoc(
            "实用工具",
            entries=[
                EntryDoc("ripgrep", "https://github.com/BurntSushi/ripgrep", "* 代码搜索"),
                EntryDoc("fzf", "https://github.com/junegunn/fzf", tags=["命令行"]),
            ],
        ),
        SectionDoc("言论", entries=[EntryDoc("“代码是写给人看的。”", "", "-- 某位程序员")]),
    ]
    load_issue(
        IssueDoc(
            number=12,
            date=datetime.date(2024, 3, 1),
            lede_heading="本期导读",
            lede="关于**搜索**的一期, 见[上期](/issues/11/)。",
            sections=sections,
        ),
        publish=True,
    )
    load_issue(
        IssueDoc(
            number=11,
            date=datetime.date(2023, 12, 29),
            sections=[SectionDoc("实用工具", entries=[EntryDoc("jq", "https://jqlang.org/")])],
        ),
        publish=True,
    )


def reader_pages():
    from archive.models import Link

    link = Link.objects.get(title="中文大模型训练指南")
    quote = Link.objects.get(url="")
    return [
        "/",
        "/issues/",
        "/issues/12/",
        "/years/2024/",
        "/categories/",
        "/categories/实用工具/",
        "/tags/",
        "/tags/大模型/",
        "/domains/github.com/",
        f"/links/{link.pk}/",
        f"/links/{quote.pk}/",
        "/search/?q=模型",
        "/search/?q=github&category=实用工具",
        "/nowhere/",
    ]


def test_every_public_page_has_no_accessibility_violations(audit_page, reader_archive):
    page = audit_page
    if not AXE.exists():
        message = "axe-core is not installed: run `npm ci` (package.json)"
        if os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail(message)
        pytest.skip(message)
    checked = []
    for language_prefix, scheme in [("", "light"), ("/en", "light"), ("", "dark")]:
        page.emulate_media(color_scheme=scheme)
        for url in reader_pages():
            page.goto(language_prefix + url)
            page.add_script_tag(path=str(AXE))
            result = page.evaluate(
                "async () => await axe.run(document, {resultTypes: ['violations']})"
            )
            violations = [
                (violation["id"], [node["target"] for node in violation["nodes"]][:3])
                for violation in result["violations"]
            ]
            assert violations == [], f"{language_prefix + url} ({scheme}): {violations}"
            checked.append(language_prefix + url)
    assert len(checked) == 3 * len(reader_pages())
    page.emulate_media(color_scheme="light")
    # Both languages really were checked, each in its own words.
    page.goto("/en/issues/12/")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator(".kicker").first.inner_text().startswith("Issue 12 · 1 March 2024")
    page.goto("/issues/12/")
    assert page.locator("html").get_attribute("lang") == "zh-Hans"
    assert page.locator(".kicker").first.inner_text().startswith("第 12 期 · 2024年3月1日")


def test_language_switcher_remembers_the_choice(page, reader_archive):
    page.goto("/issues/12/")
    page.click(".languages button[lang=en]")
    page.wait_for_url("**/en/issues/12/")
    assert page.locator("nav[aria-label=Main] a").first.inner_text() == "Issues"
    # The choice is remembered: an unprefixed address now leads to the English page.
    page.goto("/tags/")
    assert page.url.endswith("/en/tags/")
    page.click(".languages button[lang=zh-Hans]")
    page.wait_for_url("**/tags/")
    assert not page.url.endswith("/en/tags/")
    assert page.locator("h1").inner_text() == "标签"
    page.goto("/issues/")
    assert page.locator("h1").inner_text() == "全部往期"


def test_the_composer_flags_featured_and_doubled_urls_and_offers_titles(
    page, transactional_db, django_user_model, monkeypatch
):
    from django.contrib.auth.models import Group

    from archive.ingest.loading import load_issue
    from archive.issuemd import EntryDoc, IssueDoc, SectionDoc
    from tests.httpserver import LocalServer, html

    monkeypatch.setenv("OUTBOUND_ALLOW_LOOPBACK", "1")
    load_issue(
        IssueDoc(
            number=300,
            date=datetime.date(2024, 3, 1),
            sections=[
                SectionDoc(
                    "实用工具",
                    entries=[EntryDoc("ripgrep", "https://github.com/BurntSushi/ripgrep")],
                )
            ],
        ),
        publish=True,
    )
    editor = django_user_model.objects.create_user("editor", password="correct horse battery")
    editor.is_staff = True
    editor.save()
    editor.groups.add(Group.objects.get(name="editors"))
    title_page = "<html><head><title>fd：更快的 find</title></head></html>"

    with LocalServer({"/fd": html(title_page), "/fd/": html(title_page)}) as server:
        page.goto("/admin/login/?next=/admin/archive/issue/add/")
        page.fill("#id_username", "editor")
        page.fill("#id_password", "correct horse battery")
        page.click("input[type=submit]")
        page.wait_for_url("**/admin/archive/issue/add/")
        page.click(".djn-add-handler.djn-model-archive-section")
        section = page.locator("#sections-0")
        for _ in range(3):
            section.locator(".djn-add-handler.djn-level-2").click()

        # A URL featured in issue 300, typed with a tracker.
        page.fill(
            "[name=sections-0-links-0-url]", "https://github.com/BurntSushi/ripgrep?utm_source=x"
        )
        featured = page.locator("#sections-0-links-0 .url-featured")
        featured.wait_for()
        page.wait_for_function(
            "el => el.textContent.includes('第 300 期')", arg=featured.element_handle()
        )
        assert featured.locator("a").get_attribute("href") == "/issues/300/"

        # One address twice in this issue.
        page.fill("[name=sections-0-links-1-title]", "fd")
        page.fill("[name=sections-0-links-1-url]", server.url + "/fd")
        page.fill("[name=sections-0-links-2-url]", server.url + "/fd/")
        twice = page.locator("#sections-0-links-2 .url-twice")
        twice.wait_for()
        assert twice.inner_text() == "本期里已经有这个地址。"
        assert (
            page.locator("#sections-0-links-1 .url-twice").inner_text() == "本期里已经有这个地址。"
        )

        # The third has no title yet: the page's own is offered, and one click takes it.
        offer = page.locator("#sections-0-links-2 .title-offer button")
        offer.wait_for()
        assert offer.inner_text() == "使用页面自己的标题：fd：更快的 find"
        offer.click()
        assert page.input_value("[name=sections-0-links-2-title]") == "fd：更快的 find"
        # The second had a title: nothing was offered there.
        assert page.locator("#sections-0-links-1 .title-offer").count() == 0
