"""The family of archive formats the importer understands, one small fixture each.

The fixtures in tests/fixtures/archives/ are written for these tests in the shapes real
newsletters use; none is a copy of a real archive."""

import datetime

import pytest

from archive.issuemd import parse_issue, render_issue
from archive.issuemd.inline import missing_urls, unwrap_redirect
from archive.issuemd.meta import from_file_name, parse_heading, split_front_matter
from tests.conftest import FIXTURES

ARCHIVES = FIXTURES / "archives"


def parse_fixture(name, **options):
    return parse_issue((ARCHIVES / name).read_text(encoding="utf-8"), file_name=name, **options)


def entries(doc):
    return [(s.heading, [(e.title, e.url) for e in s.entries]) for s in doc.sections]


@pytest.mark.parametrize("name", sorted(p.name for p in ARCHIVES.glob("*.md")))
def test_nothing_is_lost_and_export_round_trips(name):
    text = (ARCHIVES / name).read_text(encoding="utf-8")
    doc = parse_issue(text, file_name=name)
    assert missing_urls(text, doc) == []
    assert parse_issue(render_issue(doc)).comparable() == doc.comparable()


@pytest.mark.parametrize(
    ("heading", "number", "date"),
    [
        ("科技爱好者周刊（第 300 期）：三十年", 300, None),
        ("每周分享第 44 期（20190222）", 44, datetime.date(2019, 2, 22)),
        ("科技爱好者周刊：第61期", 61, None),
        ("老司机 iOS 周报 #119 | 2020-07.13", 119, datetime.date(2020, 7, 13)),
        ("老司机 iOS 周报 #138| 2020-11-30", 138, datetime.date(2020, 11, 30)),
        ("《HelloGitHub》第 05 期", 5, None),
        ("HelloGitHub Vol.01", 1, None),
        ("Python 潮流周刊#104：Python 考虑添加虚拟线程啦？", 104, None),
        ("2022年03月11日第三期", 3, datetime.date(2022, 3, 11)),
        ("第一百零三期", 103, None),
        ("Data Weekly No. 5", 5, None),
    ],
)
def test_numbers_and_dates_in_headings(heading, number, date):
    assert parse_heading(heading) == (number, date)


@pytest.mark.parametrize(
    ("stem", "number", "date"),
    [
        ("issue-300", 300, None),
        ("HelloGitHub07", 7, None),
        ("#293-2024.06.17", 293, datetime.date(2024, 6, 17)),
        ("#10", 10, None),
        ("2023-05-13-weekly", None, datetime.date(2023, 5, 13)),
        ("2022-03-11-issue-3", 3, datetime.date(2022, 3, 11)),
    ],
)
def test_numbers_and_dates_in_file_names(stem, number, date):
    assert from_file_name(stem) == (number, date)


def test_yaml_front_matter_keeps_line_numbers():
    meta, text = split_front_matter("---\ntitle: 'A #4'\npubDate: 2024-03-02\n---\n\n## x\n")
    assert meta == {"title": "A #4", "pubdate": "2024-03-02"}
    assert text.split("\n")[5] == "## x"


def test_numbered_paragraph_entries():
    doc = parse_fixture("numbered-paragraphs.md")
    assert (doc.number, doc.title) == (12, "技术周刊（第 12 期）：为什么要写周刊")
    # Cover image and essay are prose before the first section with links: the lede.
    assert doc.lede_heading == ""
    assert "## 封面图" in doc.lede and "**（1）记录**" in doc.lede
    assert entries(doc)[0] == (
        "科技动态",
        [
            ("一款折叠电动车", "https://motors.example.com/fold?utm_source=weekly&id=7"),
            ("[免费电子书] 《系统设计入门》", "https://books.example.com/design"),
            ("Instagram", "https://instagram.example.com/"),
        ],
    )
    fold = doc.sections[0].entries[0]
    assert fold.annotation.startswith("（英文）\n\n一家公司推出了折叠电动车。")
    assert "另有一个[类似的产品](https://other.example.com/scooter)" in fold.annotation
    # The fake entry and heading inside a code fence stay code.
    assert "4、这不是条目\n## 这也不是章节" in doc.sections[0].entries[2].annotation


def test_numbered_items_without_links_are_text_entries():
    doc = parse_fixture("numbered-paragraphs.md")
    quotes = doc.sections[1]
    assert quotes.heading == "言论"
    assert [(e.title, e.url) for e in quotes.entries] == [
        ("软件是一种负债，不是资产。", ""),
        ("第二句引言。", ""),
    ]
    assert "-- [《一篇博客》](https://blog.example.com/debt)" in quotes.entries[0].annotation
    events = doc.sections[2]
    assert [(e.title, e.url) for e in events.entries] == [("线下沙龙", "")]
    assert "<!-- entry -->" in render_issue(doc)


def test_h3_categories_under_one_h2_and_redirects():
    doc = parse_fixture("h3-under-h2.md")
    assert doc.number == 7
    assert [s.heading for s in doc.sections] == ["C 项目", "Python 项目", "赞助"]
    darktable, httpie = doc.sections[0].entries[0], doc.sections[1].entries[0]
    assert darktable.url == "https://github.com/darktable-org/darktable"
    assert darktable.annotation.startswith("开源的摄影后期处理工具。来自 [@someone]")
    assert "<img src='https://img.example.com/7/1.jpg'" in darktable.annotation
    assert "1、查询可用的模型\n## set ENV variables" in httpie.annotation
    assert "1. 安装\n2. 使用" in httpie.annotation
    assert "## 目录" in doc.lede and "<img src='https://img.example.com/logo.jpg'" in doc.lede
    assert "sponsor.example.com" in doc.sections[2].note


def test_link_headings_with_emoji_and_several_links():
    doc = parse_fixture("headings-emoji.md")
    assert (doc.number, doc.date) == (293, datetime.date(2024, 6, 17))
    assert entries(doc)[:3] == [
        (
            "新手推荐",
            [("🐎 Bad practice: not using a ButtonStyle", "https://swift.example.com/buttonstyle")],
        ),
        (
            "文章",
            [
                ("🌟 🐕  性能稳定性防劣化系统", "https://mp.example.com/s/abc"),
                ("🐎 A look at Animation Curves Part 1", "https://anim.example.com/1"),
            ],
        ),
        ("摸鱼周报", [("@摸鱼周报 #11", "https://mp.example.com/fish11")]),
    ]
    article = doc.sections[1].entries[0]
    assert article.annotation.startswith("[@Jony](https://github.com/jony)：")  # no blank line
    assert "[Part 2](https://anim.example.com/2)" in doc.sections[1].entries[1].annotation
    jobs = doc.sections[3]
    assert jobs.entries == [] and jobs.note.startswith("### 某公司招聘 iOS 工程师")


def test_front_matter_section_links_and_placeholders():
    doc = parse_fixture("front-matter.md")
    assert (doc.number, doc.date) == (40, datetime.date(2024, 3, 2))
    assert doc.title == "Python 周刊#40：内存安全的语言"
    assert doc.sections[0].heading == "🦄文章&教程"
    assert doc.sections[0].url == "https://paywall.example.com/p/weekly"
    assert [(e.title, e.url) for e in doc.sections[0].entries][2] == ("内容删除", "")
    exported = render_issue(doc)
    # Its front matter names an author, a key the archive has no field for: it is exported
    # as written, and the title stays in it rather than becoming an H1.
    front = "---\ntitle: 'Python 周刊#40：内存安全的语言'\npubDate: 2024-03-02\n"
    assert exported.startswith(front)
    assert "author: '某作者'" in exported and "\n# " not in exported
    assert "## [🦄文章&教程](https://paywall.example.com/p/weekly)" in exported


def test_key_value_header_lists_bold_titles_and_link_fields():
    doc = parse_fixture("key-value-header.md")
    assert (doc.number, doc.date, doc.title) == (5, datetime.date(2021, 9, 3), "Data Weekly No. 5")
    assert entries(doc) == [
        (
            "Reading",
            [
                (
                    "The Log: What every software engineer should know",
                    "https://engineering.example.com/the-log",
                ),
                ("Designing Data-Intensive Applications", "https://dataintensive.example.net/"),
                ("Use the index", "https://index.example.org/"),
            ],
        ),
        (
            "Tools",
            [
                ("ripgrep", "https://github.com/BurntSushi/ripgrep"),
                ("jq", "https://jqlang.example.org/"),
            ],
        ),
    ]
    log = doc.sections[0].entries[0]
    assert log.annotation == "a classic essay.\nWorth re-reading every year."
    assert doc.sections[1].entries[1].annotation == "处理 JSON 的命令行工具。"


def test_bold_lines_as_sections():
    doc = parse_fixture("bold-sections.md")
    assert [(s.heading, s.url) for s in doc.sections] == [
        ("🦄文章&教程", "https://weekly.example.com"),
        ("🐿️项目&资源", "https://weekly.example.com/projects"),
    ]
    assert [e.title for e in doc.sections[0].entries] == ["PEP 840 解读", "Python 3.15 预览"]
    assert doc.sections[1].note == "① 一个只有名字的项目\n\n② 另一个"


def test_format_option_forces_the_entry_style():
    text = "# 第 2 期\n\n## 工具\n\n- [A](https://a.example/)\n- [B](https://b.example/)\n"
    assert [e.title for e in parse_issue(text).sections[0].entries] == ["A", "B"]
    doc = parse_issue(text, style="numbered")
    assert doc.sections == [] and "[A](https://a.example/)" in doc.lede


def test_crlf_full_width_punctuation_and_invisible_characters():
    text = (
        "\ufeff# 周刊（第 ９ 期）\r\n\r\n## 工具\r\n\r\n"
        "1、[Too\u200bl](https://tool.example/)：说明\r\n"
    )
    doc = parse_issue(text)
    assert doc.number == 9
    assert [(e.title, e.annotation) for e in doc.sections[0].entries] == [("Tool", "说明")]


def test_redirects_are_unwrapped_and_others_left_alone():
    assert (
        unwrap_redirect(
            "https://hg.example/periodical/statistics/click?target=https://github.com/a/b"
        )
        == "https://github.com/a/b"
    )
    assert unwrap_redirect("https://example.com/search?url=https://x.example") == (
        "https://example.com/search?url=https://x.example"
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("# 第1期\n\n## 工具\n\n### [broken](https://example.com/x\n", "broken link syntax"),
        ("# 第1期\n\n## 工具\n\n1、[broken](https://example.com/x\n", "broken link syntax"),
        ("# 第1期\n\n## 工具\n\n1、[bad](javascript:alert(1))\n", "not an http(s) URL"),
    ],
)
def test_broken_entries_fail_with_a_line_number(text, message):
    from archive.issuemd import ParseError

    with pytest.raises(ParseError) as raised:
        parse_issue(text, source="bad.md")
    assert str(raised.value).startswith("bad.md:5:") and message in str(raised.value)


def test_relative_links_are_kept_as_text():
    doc = parse_issue(
        "# 第1期\n\n## 工具\n\n1、[本地图片](./img/cat.jpg)\n\n2、[ok](https://ok.example/)\n"
    )
    assert [e.url for e in doc.sections[0].entries] == ["https://ok.example/"]
    assert doc.sections[0].note == "1、[本地图片](./img/cat.jpg)"


def test_special_issue_without_a_number_is_known_by_its_slug():
    doc = parse_fixture("2024-07-10-season.md")
    assert (doc.number, doc.slug, doc.date) == (
        None,
        "2024-07-10-season",
        datetime.date(2024, 7, 10),
    )
    assert doc.title == "周刊第一季精华合集（1~30）"
    assert render_issue(doc).startswith("---\nslug: 2024-07-10-season\ndate: 2024-07-10\n---")


def test_a_file_without_number_or_date_is_not_an_issue():
    from archive.issuemd import ParseError

    with pytest.raises(ParseError, match="no issue number"):
        parse_issue(
            "# Release notes\n\n## Fixed\n\n- [bug](https://bug.example/)\n", file_name="CHANGES.md"
        )
