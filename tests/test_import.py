"""`manage.py import_markdown`: the seed, idempotence, updates in place, bad files."""

import datetime
import io
import shutil

import pytest
from django.core.management import CommandError, call_command

from archive.ingest.loading import issue_to_doc
from archive.issuemd import parse_issue
from archive.models import Category, Issue, Link, Section
from tests.test_format import SEED_ORDER

pytestmark = pytest.mark.django_db

SMALL = """# 2024年02月02日第五期

## 工具

### [One](https://example.com/one)
* first

### [Two](https://example.com/two)
* second
"""


def run_import(*args):
    call_command("import_markdown", *map(str, args), stdout=io.StringIO())


def test_seed_imports_exactly(seed_path, seed_text):
    run_import(seed_path, "--publish")
    issue = Issue.objects.get()
    assert (issue.number, issue.date, issue.status) == (3, datetime.date(2022, 3, 11), "published")
    assert issue.lede_heading == "大模型是AI发展的新一波浪潮"
    assert "<p>最近国内的AIGC" in issue.lede_html
    sections = list(issue.sections.select_related("category").order_by("position"))
    assert [s.category.name for s in sections] == [name for name, _ in SEED_ORDER]
    assert list(Category.objects.values_list("name", flat=True)) == [n for n, _ in SEED_ORDER]
    for section, (_, titles) in zip(sections, SEED_ORDER, strict=True):
        top = section.links.filter(parent=None).order_by("position")
        assert [link.title for link in top] == titles
        assert [link.position for link in top] == list(range(len(titles)))
    assert Link.objects.count() == 28

    # Link by link, the database says what the file says.
    doc = parse_issue(seed_text)
    assert issue_to_doc(issue).comparable() == doc.comparable()

    luotuo = Link.objects.get(title="骆驼(Luotuo): Chinese-alpaca-lora")
    assert [c.title for c in luotuo.children.order_by("position")] == [
        "Chinese-Vicuna",
        "Flan-Alpaca: Instruction Tuning from Humans and Machines",
        "Code Alpaca: An Instruction-following LLaMA Model trained on code generation instructions",
        "alpaca_chinese_dataset",
    ]
    assert all(child.section_id == luotuo.section_id for child in luotuo.children.all())
    listing = Link.objects.get(title="新开源模型裂表@telegram")
    assert listing.annotation.startswith("- Google Bard\n- Adobe Firefly")
    assert "<li>ChatGPT starts adding plugins</li>" in listing.annotation_html
    zhihu = Link.objects.get(domain="zhuanlan.zhihu.com")
    # Readers get the page without its tracking parameters; export writes what the file said.
    assert zhihu.url == "https://zhuanlan.zhihu.com/p/615090047"
    assert "utm_source=ZHShareTargetIDMore" in zhihu.written_url
    assert zhihu.normalized_url == "https://zhuanlan.zhihu.com/p/615090047"


def test_reimporting_changes_nothing(seed_path):
    run_import(seed_path, "--publish")
    before = list(Link.objects.order_by("pk").values())
    issue_before = Issue.objects.values().get()
    run_import(seed_path, "--publish")
    assert Issue.objects.count() == 1
    assert Section.objects.count() == 5
    assert list(Link.objects.order_by("pk").values()) == before
    assert Issue.objects.values().get() == issue_before


def test_summary_counts(seed_path, capsys):
    call_command("import_markdown", str(seed_path))
    call_command("import_markdown", str(seed_path))
    out = [line for line in capsys.readouterr().out.splitlines() if "imported," in line]
    assert out[0].startswith(
        "1 files: 1 imported, 0 updated, 0 unchanged, 0 failed; 5 sections, 28 links, 0 warnings"
    )
    assert out[1].startswith("1 files: 0 imported, 0 updated, 1 unchanged")
    assert Issue.objects.get().status == "draft"


def test_dry_run_writes_nothing(seed_path, capsys):
    call_command("import_markdown", str(seed_path), "--dry-run")
    assert "Dry run, nothing written: 1 files: 1 imported" in capsys.readouterr().out
    assert not Issue.objects.exists()
    assert not Category.objects.exists()


def test_edited_file_updates_the_issue_in_place(tmp_path):
    path = tmp_path / "issue-5.md"
    path.write_text(SMALL, encoding="utf-8")
    run_import(path)
    one = Link.objects.get(title="One")
    two = Link.objects.get(title="Two")

    path.write_text(
        SMALL.replace("### [One](https://example.com/one)\n* first\n\n", "")
        + "\n### [Three](https://example.com/three)\n* third\n\n"
        "### [One again](https://example.com/one/)\n* moved to the end\n",
        encoding="utf-8",
    )
    run_import(path)
    links = list(Link.objects.order_by("position"))
    assert [link.title for link in links] == ["Two", "Three", "One again"]
    assert links[0].pk == two.pk  # unchanged URL, same row
    assert links[2].pk == one.pk  # same page (normalised URL), same row, new text
    assert links[2].annotation == "* moved to the end"
    assert Issue.objects.count() == 1


def test_section_removed_from_an_edited_file(tmp_path):
    path = tmp_path / "issue.md"
    path.write_text(SMALL + "\n## 杂谈\n\n### [Four](https://example.com/four)\n", "utf-8")
    run_import(path)
    assert Section.objects.count() == 2
    path.write_text(SMALL, encoding="utf-8")
    run_import(path)
    assert Section.objects.count() == 1
    assert sorted(Link.objects.values_list("title", flat=True)) == ["One", "Two"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "no H1 heading"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary data"),
        (b"# \xe7\xac\xac 1 \xff\xfe\n", "not UTF-8"),
        ("# 第 8 期\n\n## 工具\n\n### [x](javascript:alert(1))\n".encode(), ":5: link"),
        ("# No number here\n\n## 工具\n".encode(), "no issue number"),
    ],
)
def test_bad_file_fails_cleanly_and_others_still_import(tmp_path, capsys, content, message):
    (tmp_path / "a-bad.md").write_bytes(content)
    (tmp_path / "b-good.md").write_text(SMALL, encoding="utf-8")
    with pytest.raises(CommandError) as raised:
        call_command("import_markdown", str(tmp_path))
    assert "1 imported" in str(raised.value) and "1 failed" in str(raised.value)
    assert raised.value.returncode == 2  # some files came in, some failed
    error = capsys.readouterr().err
    assert f"{tmp_path / 'a-bad.md'}:" in error and message in error
    assert list(Issue.objects.values_list("number", flat=True)) == [5]


def test_huge_file_is_handled(tmp_path):
    entries = "".join(
        f"### [Entry {i}](https://example.com/{i})\n* {'注释' * 450}\n\n" for i in range(2000)
    )
    path = tmp_path / "huge.md"
    path.write_text(f"# 第 9 期\n\n## 工具\n\n{entries}", encoding="utf-8")
    assert path.stat().st_size > 5_000_000
    run_import(path)
    assert Link.objects.count() == 2000


def test_folders_skip_readme_source_and_meta(tmp_path, seed_path):
    shutil.copy(seed_path, tmp_path / "issue-3.md")
    (tmp_path / "README.md").write_text("# Not an issue\n", encoding="utf-8")
    (tmp_path / "SOURCE.md").write_text("# Not an issue\n", encoding="utf-8")
    (tmp_path / "_meta").mkdir()
    (tmp_path / "_meta" / "index.md").write_text("# 第 1 期\n", encoding="utf-8")
    (tmp_path / "nested").mkdir()
    (tmp_path / "nested" / "issue-5.markdown").write_text(SMALL, encoding="utf-8")
    run_import(tmp_path)
    assert sorted(Issue.objects.values_list("number", flat=True)) == [3, 5]


def test_missing_path_is_a_clear_error():
    with pytest.raises(CommandError, match="no such file or folder"):
        call_command("import_markdown", "/nonexistent/issue.md")


def test_tags_are_imported_and_reimporting_them_changes_nothing(tmp_path):
    path = tmp_path / "issue-5.md"
    path.write_text(SMALL.replace("* first\n", "* first\n<!-- tags: Rust, 异步 -->\n"), "utf-8")
    run_import(path)
    assert sorted(Link.objects.get(title="One").tags.names()) == ["Rust", "异步"]
    assert list(Link.objects.get(title="Two").tags.names()) == []
    out = io.StringIO()
    call_command("import_markdown", str(path), stdout=out)
    assert "1 unchanged" in out.getvalue()
    path.write_text(SMALL.replace("* first\n", "* first\n<!-- tags: rust -->\n"), "utf-8")
    run_import(path)
    assert list(Link.objects.get(title="One").tags.names()) == ["Rust"]


def test_demo_issues_import_and_export_unchanged():
    from django.conf import settings

    demo = sorted((settings.BASE_DIR / "archive" / "demo").glob("*.md"))
    assert len(demo) >= 3
    run_import(settings.BASE_DIR / "archive" / "demo", "--publish")
    assert Issue.objects.published().count() == len(demo)
    assert Link.objects.filter(taggedlink__isnull=False).distinct().count() > 10
    for path in demo:
        doc = parse_issue(path.read_text(encoding="utf-8"))
        assert issue_to_doc(Issue.objects.get(number=doc.number)).comparable() == doc.comparable()


def test_translation_folders_are_left_out_and_reported(tmp_path, capsys):
    (tmp_path / "issue-5.md").write_text(SMALL, encoding="utf-8")
    (tmp_path / "en").mkdir()
    (tmp_path / "en" / "issue-5.md").write_text(
        SMALL.replace("第五期", "Vol.5").replace("工具", "Tools"), encoding="utf-8"
    )
    call_command("import_markdown", str(tmp_path))
    out = capsys.readouterr().out
    assert f"1 translations left out ({tmp_path / 'en'})" in out
    assert Issue.objects.get().sections.get().category.name == "工具"


def test_progress_is_plain_lines_when_not_a_terminal(tmp_path, capsys):
    for number in range(1, 13):
        (tmp_path / f"issue-{number}.md").write_text(
            SMALL.replace("第五期", f"第{number}期"), "utf-8"
        )
    call_command("import_markdown", str(tmp_path))
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "1/12 files" and "12/12 files" in lines
    assert lines[-1].startswith("12 files: 12 imported")
    assert "\r" not in "".join(lines)


def test_export_of_the_seed_is_the_seed(seed_path, seed_text, tmp_path):
    run_import(seed_path)
    call_command("export_markdown", "--out", str(tmp_path), stdout=io.StringIO())
    exported = tmp_path / "2022-03-11-issue-3.md"
    assert exported.read_text(encoding="utf-8").rstrip() == seed_text.rstrip()


def test_export_then_import_changes_nothing(tmp_path):
    from django.conf import settings

    run_import(settings.BASE_DIR / "archive" / "demo", "--publish")
    before = sorted(Link.objects.values_list("pk", "title", "url", "annotation", "position"))
    call_command("export_markdown", "--out", str(tmp_path / "out"), stdout=io.StringIO())
    out = io.StringIO()
    call_command("import_markdown", str(tmp_path / "out"), stdout=out)
    assert "0 imported, 0 updated, 3 unchanged" in out.getvalue()
    assert sorted(Link.objects.values_list("pk", "title", "url", "annotation", "position")) == (
        before
    )


def test_export_unknown_number_is_an_error(tmp_path):
    with pytest.raises(CommandError, match="No issue numbered 99"):
        call_command("export_markdown", "99", "--out", str(tmp_path))


def test_check_import_prints_recall_and_round_trip(tmp_path, capsys):
    from tests.test_archive_formats import ARCHIVES

    run_import(ARCHIVES)
    call_command("check_import", str(ARCHIVES))
    out = capsys.readouterr().out
    assert "URL recall 1.0000" in out
    assert f"export → re-import identical {len(list(ARCHIVES.glob('*.md')))}/" in out


def test_check_import_reports_what_the_database_lacks(tmp_path, capsys):
    path = tmp_path / "issue-5.md"
    path.write_text(SMALL, encoding="utf-8")
    run_import(path)
    Link.objects.filter(title="Two").update(url="https://elsewhere.example/")
    with pytest.raises(CommandError, match="1 URLs missing"):
        call_command("check_import", str(path))
    assert "https://example.com/two" in capsys.readouterr().out
