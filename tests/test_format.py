"""The Markdown format module, without Django: parse, render, numerals."""

import datetime

import pytest

from archive.issuemd import ParseError, default_title, parse_issue, render_issue
from archive.issuemd.numerals import parse_number, to_chinese
from tests.conftest import FIXTURES

SEED_ORDER = [
    (
        "硬件加速",
        [
            "Fine-tune FLAN-T5 XL/XXL using DeepSpeed & Hugging Face Transformers",
            "The Technology Behind BLOOM Training",
            "万字长文：想训大模型？这里有一份避坑指南",
            "Serge - LLaMa made easy",
            "FidelityFX Super Resolution 2.2 (FSR 2.2)",
            "Apple Neural Engine (ANE) Transformers",
        ],
    ),
    (
        "模型算法",
        [
            "What Is ChatGPT Doing … and Why Does It Work?",
            "gpt3.5-turbo-pgvector@github",
            "awesome-ai-coding@gihub",
            "Awesome GPT-4@github",
            "Position Embedding: A Detailed Explanation",
            "Machine learning design primer",
            "Stable unCLIP@github",
            "Dolly",
            "骆驼(Luotuo): Chinese-alpaca-lora",
            "新开源模型裂表@telegram",
        ],
    ),
    ("计算基础", ["聊聊系统设计中的缓存"]),
    (
        "实用工具",
        [
            "anandtech",
            "huntly@github",
            "hatch@github",
            "wukong-robot@github",
            "ripgrep (rg)@github",
            "Donut 🍩 : Document Understanding Transformer",
        ],
    ),
    ("生活杂谈", ["百度AI专家关于文心一言采购AI芯片的一些交流"]),
]


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("三", 3),
        ("十", 10),
        ("十二", 12),
        ("二十", 20),
        ("一百零三", 103),
        ("两千零二十四", 2024),
        ("407", 407),
        ("４２", 42),
        ("", None),
        ("abc", None),
    ],
)
def test_parse_number(text, number):
    assert parse_number(text) == number


@pytest.mark.parametrize("number", [1, 3, 10, 12, 20, 101, 110, 1000, 2024, 10001])
def test_chinese_numerals_round_trip(number):
    assert parse_number(to_chinese(number)) == number


def test_seed_structure(seed_text):
    doc = parse_issue(seed_text)
    assert doc.number == 3
    assert doc.date == datetime.date(2022, 3, 11)
    assert doc.lede_heading == "大模型是AI发展的新一波浪潮"
    assert doc.lede.startswith("最近国内的AIGC又开始大火起来了")
    assert [(s.heading, [e.title for e in s.entries]) for s in doc.sections] == SEED_ORDER
    luotuo = doc.sections[1].entries[8]
    assert luotuo.annotation == "* 中文大模型,非商汤正式项目"
    assert [(c.title, c.url) for c in luotuo.children] == [
        ("Chinese-Vicuna", "https://github.com/Facico/Chinese-Vicuna"),
        (
            "Flan-Alpaca: Instruction Tuning from Humans and Machines",
            "https://github.com/declare-lab/flan-alpaca",
        ),
        (
            "Code Alpaca: An Instruction-following LLaMA Model trained on code generation "
            "instructions",
            "https://github.com/sahil280114/codealpaca",
        ),
        ("alpaca_chinese_dataset", "https://github.com/hikariming/alpaca_chinese_dataset"),
    ]
    plain_list = doc.sections[1].entries[9]
    assert plain_list.annotation.splitlines()[0] == "- Google Bard"
    assert len(plain_list.annotation.splitlines()) == 8
    assert plain_list.children == []
    bloom = doc.sections[0].entries[1]
    assert "  * ZeRO数据并行" in bloom.annotation.splitlines()
    assert sum(1 for _ in doc.iter_entries()) == 28


def test_seed_renders_back_to_itself(seed_text):
    assert render_issue(parse_issue(seed_text)).rstrip() == seed_text.rstrip()


def test_code_fences_hide_fake_headings_and_entries():
    doc = parse_issue((FIXTURES / "tricky-issue.md").read_text(encoding="utf-8"))
    assert doc.number == 12
    assert doc.date == datetime.date(2023, 12, 1)
    assert doc.lede_heading == "编辑的话"
    assert [s.heading for s in doc.sections] == ["实用工具", "生活杂谈"]
    titles = [e.title for e in doc.iter_entries()]
    assert titles == [
        "Tool One",
        "Tool Two",
        "Sibling A",
        "Sibling B",
        "A title with [brackets] and *stars*",
    ]
    assert "### [Not an entry](https://example.com/fake)" in doc.sections[0].entries[0].annotation
    assert doc.sections[0].entries[1].annotation == "- 只有破折号列表"


def test_tricky_issue_round_trips():
    doc = parse_issue((FIXTURES / "tricky-issue.md").read_text(encoding="utf-8"))
    again = parse_issue(render_issue(doc))
    assert again.comparable() == doc.comparable()
    assert again.sections[1].entries[0].url == "https://example.net/x_(y)"


def test_crlf_bom_and_zero_width_characters():
    text = (
        "\ufeff# 第 7 期\r\n\r\n## 工具\r\n\r\n### [T\u200bool](https://example.com/t)\r\n* 注\r\n"
    )
    doc = parse_issue(text)
    assert doc.number == 7
    assert doc.sections[0].entries[0].title == "Tool"
    assert doc.sections[0].entries[0].annotation == "* 注"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "no H1 heading"),
        ("## 工具\n\n### [x](https://example.com)\n", "no H1 heading"),
        ("# Hello world\n\n## 工具\n", "no issue number"),
        ("# 第1期\n\n## 工具\n\n### [x](javascript:alert(1))\n", "not an http(s) URL"),
        ("# 第1期\n\n## 工具\n\n### [x](data:text/html,hi)\n", "not an http(s) URL"),
        ("# 第1期\n\n## 工具\n\n### [x](https://)\n", "not an http(s) URL"),
        ("# 第1期\x00\x01\x02", "binary data"),
    ],
)
def test_bad_files_fail_with_a_line_number(text, message):
    with pytest.raises(ParseError) as raised:
        parse_issue(text, source="bad.md")
    assert message in str(raised.value)
    assert str(raised.value).startswith("bad.md:")


def test_file_name_number_is_used_when_the_heading_has_none():
    doc = parse_issue("## 工具\n\n### [x](https://example.com)\n", number=9)
    assert doc.number == 9
    assert doc.title == ""


def test_tags_live_in_an_html_comment_under_the_entry():
    text = (
        "# 第 1 期\n\n## 工具\n\n### [Tokio](https://tokio.rs/)\n* 异步运行时\n"
        "  * 子项\n<!-- tags: Rust, 异步，网络 -->\n\n### [B](https://b.example/)\n"
    )
    doc = parse_issue(text)
    tokio = doc.sections[0].entries[0]
    assert tokio.tags == ["Rust", "异步", "网络"]
    assert tokio.annotation == "* 异步运行时\n  * 子项"
    assert "<!-- tags: Rust, 异步, 网络 -->" in render_issue(doc)
    assert parse_issue(render_issue(doc)).comparable() == doc.comparable()


def test_an_issue_number_beyond_chinese_numerals_is_written_in_digits():
    doc = parse_issue("## 工具\n\n### [A](https://a.example.com/)\n", number=123456)
    assert default_title(123456) == "第123456期"
    assert parse_issue(render_issue(doc)).comparable() == doc.comparable()
