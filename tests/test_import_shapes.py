"""Archives kept in other shapes (tests/fixtures/shapes/, one folder a shape, written for these
tests): front matter of every kind, numbers and dates from file names, entries that are not
list items, entries before any heading, reference-style links, bare URLs, several H1s and
relative addresses. Each is read, imported, shown and exported back as written."""

import datetime
import html
import io
import re
import shutil
import subprocess

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from archive.ingest.exporting import check_issue, entry_census
from archive.ingest.loading import issue_to_doc
from archive.ingest.sources import read_issue
from archive.issuemd import ParseError, parse_issue, render_issue
from archive.issuemd.inline import missing_urls
from archive.models import Category, Issue, Link
from tests.conftest import FIXTURES

SHAPES = FIXTURES / "shapes"
SHAPE_FILES = sorted(p for p in SHAPES.rglob("*.md") if p.name != "README.md")


def ids(path):
    return str(path.relative_to(SHAPES))


def run_import(*args, language=None):
    out, err = io.StringIO(), io.StringIO()
    options = ["--language", language] if language else []
    call_command("import_markdown", *map(str, args), *options, stdout=out, stderr=err)
    return out.getvalue() + err.getvalue()


def writes(queries):
    return [
        q["sql"]
        for q in queries
        if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))
    ]


# Read: every shape, whole ---------------------------------------------------------------------


@pytest.mark.parametrize("path", SHAPE_FILES, ids=ids)
def test_every_shape_reads_whole_and_round_trips(path):
    text = path.read_text(encoding="utf-8")
    doc = read_issue(path)
    assert missing_urls(text, doc) == []
    assert parse_issue(render_issue(doc)).comparable() == doc.comparable()
    entries = list(doc.iter_entries())
    assert sum(1 for entry in entries if entry.url) / len(entries) >= 0.95
    # Every entry its shape shows (found line by line, not by the parser) is a link.
    linked = {entry.url for entry in entries}
    assert entry_census(text) and set(entry_census(text)) <= linked
    assert doc.date is not None


def test_yaml_front_matter_entries_before_any_heading_and_a_numbered_file_name():
    doc = read_issue(SHAPES / "go-weekly" / "150-generics-everywhere.md")
    assert (doc.number, doc.date, doc.title) == (
        150,
        datetime.date(2024, 5, 13),
        "Generics everywhere",
    )
    assert doc.description.startswith("Iterators land")
    assert doc.image == "https://goweekly.example.org/images/150.png"
    opening = doc.sections[0]
    assert opening.untitled and opening.heading == ""
    assert [e.title for e in opening.entries] == [
        "Range over func is coming",
        "Go 1.23 Release Candidate 1",
    ]
    assert doc.lede == "This week's top stories, picked by hand:"
    exported = render_issue(doc)
    # Unknown keys are kept and written back, and the untitled section gets no heading.
    assert exported.startswith('---\ntitle: "Generics everywhere"\n')
    assert 'sponsor_slot: "bottom"' in exported and "\n# " not in exported
    assert exported.index("Range over func") < exported.index("## Articles")


def test_the_number_in_a_file_name_makes_a_numbered_issue_with_its_title():
    text = "Intro.\n\n## Links\n\n- [A](https://a.example.com/) — first\n"
    doc = parse_issue(text, file_name="151-the-loop-variable.md")
    assert (doc.number, doc.title) == (151, "the loop variable")
    assert parse_issue(render_issue(doc)).comparable() == doc.comparable()
    untitled = parse_issue(text, file_name="issue-42.md")
    assert (untitled.number, untitled.title, untitled.heading) == (42, "", "none")
    assert "\n# " not in render_issue(untitled)  # no made-up title is written back
    assert render_issue(untitled).startswith("---\nnumber: 42\n---\n")


@pytest.mark.parametrize(
    ("name", "number", "date"),
    [
        ("2024-05-13-title.md", None, datetime.date(2024, 5, 13)),
        ("20240513-20240519.md", None, datetime.date(2024, 5, 19)),
        ("2024/05.md", None, datetime.date(2024, 5, 1)),
        ("issue-42.md", 42, None),
        ("150-some-title.md", 150, None),
        ("2024-03-13-this-week-in-rust-540.md", 540, datetime.date(2024, 3, 13)),
    ],
)
def test_numbers_and_dates_from_file_names(name, number, date):
    doc = parse_issue("## Links\n\n- [A](https://a.example.com/)\n", file_name=name)
    assert (doc.number, doc.date) == (number, date)


def test_toml_front_matter_and_labelled_bullets():
    doc = read_issue(SHAPES / "haskell-weekly" / "issue-42.md")
    assert (doc.number, doc.date, doc.title) == (42, datetime.date(2024, 3, 14), "Issue 42")
    ghc = doc.sections[0].entries[0]
    assert (ghc.title, ghc.url) == (
        "GHC 9.10.1 released",
        "https://ghc.example.org/blog/ghc-9.10.1-released",
    )
    assert ghc.annotation.startswith("The new release brings")  # the label is dropped
    exported = render_issue(doc)
    assert (
        exported.startswith('+++\ntitle = "Issue 42"\n') and 'newsletter_id = "hw-42"' in exported
    )


def test_pelican_headers_and_reference_style_links_export_as_written():
    path = SHAPES / "rust-weekly" / "2024-03-13-this-week-in-rust-540.md"
    doc = read_issue(path)
    assert (doc.number, doc.date) == (540, datetime.date(2024, 3, 13))
    official = doc.sections[0].entries
    assert [(e.title, e.url) for e in official] == [
        ("Announcing Rust 1.77.0", "https://blog.rust.example.org/2024/03/21/Rust-1.77.0.html"),
        ("Rust Foundation fellowship", "https://foundation.rust.example.org/fellowships"),
    ]
    exported = render_issue(doc)
    assert "### [Announcing Rust 1.77.0][1]" in exported
    assert "### [Rust Foundation fellowship][]" in exported
    assert '[1]: https://blog.rust.example.org/2024/03/21/Rust-1.77.0.html "Rust 1.77"' in exported
    assert exported.startswith("Title: This Week in Rust 540\nNumber: 540\n")


def test_labelled_lines_bold_titles_and_several_h1s():
    doc = read_issue(SHAPES / "zh-tech-weekly" / "weekly" / "20240506-20240512.md")
    assert doc.date == datetime.date(2024, 5, 12)  # a week's file: its last day
    assert [(e.title, e.url) for e in doc.sections[1].entries] == [
        ("数据库索引的十个误区", "https://db.example.cn/index-myths"),
        ("重新认识 TCP 拥塞控制", "https://net.example.com/tcp-cc"),
    ]
    assert doc.sections[0].entries[0].annotation == "用 Rust 写的高性能编辑器，协作功能是它的亮点。"
    later = doc.sections[-1]
    assert (later.heading, later.level) == ("下期预告", 1)
    assert "\n# 下期预告\n" in render_issue(doc)


def test_paragraphs_that_open_with_a_link_and_a_month_a_file():
    doc = read_issue(SHAPES / "zh-code-weekly" / "docs" / "2024" / "05.md")
    assert (doc.number, doc.slug, doc.date) == (None, "2024-05", datetime.date(2024, 5, 1))
    assert [e.title for e in doc.sections[0].entries] == [
        "Python 3.13 的新解释器",
        "如何读一篇论文",
    ]
    assert doc.sections[0].untitled


def test_ambiguous_text_stays_text():
    """A paragraph that only mentions a link, a bold line without a URL: no entry is invented."""
    text = (
        "# Weekly notes\n\n## Notes\n\n"
        "We moved to [a new host](https://host.example.com/) this week.\n\n"
        "**Thanks** to everyone.\n"
    )
    doc = parse_issue(text, file_name="issue-7.md")
    assert list(doc.iter_entries()) == []
    assert "a new host" in doc.lede and doc.sections == []


def test_broken_front_matter_names_its_line():
    with pytest.raises(ParseError, match=r":3: YAML front matter"):
        parse_issue("---\ntitle: ok\ndate: [2024\n---\n\n# T 1\n", source="x.md")
    with pytest.raises(ParseError, match="TOML front matter"):
        parse_issue('+++\ntitle = "unterminated\n+++\n\n# T 1\n', source="x.md")


def test_a_changed_reference_link_is_exported_inline():
    doc = read_issue(SHAPES / "rust-weekly" / "2024-03-13-this-week-in-rust-540.md")
    doc.sections[0].entries[0].link_source = "[Announcing Rust 1.77.0][1]"
    doc.sections[0].entries[0].url = "https://blog.rust.example.org/elsewhere"
    from archive.issuemd.inline import reference_says

    assert not reference_says(
        "[Announcing Rust 1.77.0][1]",
        doc.references,
        "Announcing Rust 1.77.0",
        doc.sections[0].entries[0].url,
    )
    assert reference_says(
        "[Bevy 0.13][bevy]", doc.references, "Bevy 0.13", "https://bevy.example.org/news/bevy-0-13/"
    )


# Import, show, export ----------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("shape", sorted(p.name for p in SHAPES.iterdir() if p.is_dir()))
def test_each_shape_imports_and_exports_as_it_was_read(shape):
    out = run_import(SHAPES / shape, "--publish")
    files = [p for p in SHAPE_FILES if p.is_relative_to(SHAPES / shape)]
    assert f"{len(files)} files: {len(files)} imported, 0 updated, 0 unchanged, 0 failed" in out
    for path in files:
        doc = read_issue(path)
        issue = (
            Issue.objects.get(number=doc.number) if doc.number else Issue.objects.get(slug=doc.slug)
        )
        assert issue.is_public and issue.date == doc.date
        result = check_issue(path.read_text(encoding="utf-8"), issue)
        assert result.missing == [] and result.round_trip and result.unlinked == []
        assert result.entries >= 2

    # A second import says "unchanged" for every file and writes nothing.
    with CaptureQueriesContext(connection) as queries:
        again = run_import(SHAPES / shape, "--publish")
    assert f"{len(files)} files: 0 imported, 0 updated, {len(files)} unchanged, 0 failed" in again
    assert writes(queries.captured_queries) == []


@pytest.mark.django_db
def test_check_import_counts_entries_of_every_shape():
    run_import(SHAPES, "--publish")
    out = io.StringIO()
    call_command(
        "check_import", str(SHAPES / "rust-weekly"), str(SHAPES / "zh-tech-weekly"), stdout=out
    )
    assert (
        "rust-weekly: 2 files, 0 not imported, URL recall 1.0000 (10/10), entry recall 1.0000 (9/9"
        in out.getvalue()
    )
    assert "zh-tech-weekly: 2 files, 0 not imported" in out.getvalue()
    assert "entry recall 1.0000 (6/6 entries are links)" in out.getvalue()

    # An entry the parser leaves as text lowers the entry recall: the census is not the parser.
    link = Link.objects.get(url="https://db.example.cn/index-myths")
    link.url, link.annotation = "", "https://db.example.cn/index-myths " + link.annotation
    link.save()
    out = io.StringIO()
    call_command("check_import", str(SHAPES / "zh-tech-weekly"), stdout=out)
    assert "entry recall 0.8333 (5/6 entries are links)" in out.getvalue()
    assert "entry not a link: https://db.example.cn/index-myths" in out.getvalue()


@pytest.mark.django_db
def test_the_issue_page_feed_and_api_show_what_the_shapes_say(client):
    run_import(SHAPES, "--publish")
    page = client.get("/issues/150/").content.decode()
    # The opening links come first, without a heading; the front matter's description and
    # image describe the page.
    opening = page.index("Range over func is coming")
    assert opening < page.index('id="section-1-heading"')
    assert not re.search(r"<h2[^>]*>\s*<a[^>]*>Uncategorized", page)
    assert '<meta name="description" content="Iterators land, a new release candidate' in page
    assert (
        '<meta property="og:image" content="https://goweekly.example.org/images/150.png">' in page
    )
    # Bare URLs in annotations are links, on the page, in the feed and in the API.
    bare = '<a href="https://perf.example.net/pgo-data" rel="noopener noreferrer nofollow">'
    assert bare in page
    feed = html.unescape(client.get("/feed/").content.decode())
    assert 'href="https://perf.example.net/pgo-data"' in feed
    api = client.get("/api/v1/issues/150/").json()
    assert api["sections"][0]["untitled"] is True
    assert api["description"].startswith("Iterators land")
    annotations = [link["annotation_html"] for s in api["sections"] for link in s["links"]]
    assert any('href="https://perf.example.net/pgo-data"' in html for html in annotations)
    # A reference-style title links where its definition points, and the lede's reference
    # links resolve too.
    rust = client.get("/issues/540/").content.decode()
    assert 'href="https://blog.rust.example.org/2024/03/21/Rust-1.77.0.html"' in rust
    assert 'href="https://crates.example.org/crates/arroy"' in rust  # [arroy][] in a note


# The command's behaviour ------------------------------------------------------------------------


@pytest.mark.django_db
def test_links_to_sibling_files_become_issue_links_and_the_rest_is_reported(tmp_path):
    shutil.copytree(SHAPES / "zh-code-weekly", tmp_path / "zh")
    out = run_import(tmp_path / "zh")
    assert "2 relative addresses in 2 files left as written; give --base-url to resolve them" in out
    assert "docs/2024/05.md: ../images/2024-05.png" in out
    may = Issue.objects.get(slug="2024-05")
    assert '<a href="/specials/2024-04/"' in may.lede_html

    call_command(
        "import_markdown",
        str(tmp_path / "zh"),
        "--base-url",
        "https://raw.example.org/zh/main",
        "--on-conflict",
        "update",
        stdout=io.StringIO(),
    )
    may.refresh_from_db()
    assert '<img src="https://raw.example.org/zh/main/docs/images/2024-05.png"' in may.lede_html
    with pytest.raises(CommandError, match="--base-url must be an http"):
        run_import(tmp_path / "zh", "--base-url", "javascript:alert(1)")


@pytest.mark.django_db
def test_exit_status_and_report_when_some_files_fail(tmp_path):
    shutil.copytree(SHAPES / "haskell-weekly", tmp_path / "hw")
    (tmp_path / "hw" / "issue-44.md").write_text(
        "+++\ntitle = 'x\n+++\n\n## Featured\n", encoding="utf-8"
    )
    (tmp_path / "hw" / "issue-45.md").write_bytes(b"## Featured\n\xff\xfe\n")
    err = io.StringIO()
    with pytest.raises(CommandError) as raised:
        call_command("import_markdown", str(tmp_path / "hw"), stdout=io.StringIO(), stderr=err)
    assert raised.value.returncode == 2
    assert "4 files: 2 imported, 0 updated, 0 unchanged, 2 failed" in str(raised.value)
    assert re.search(r"failed: \S+issue-44.md:1: TOML front matter", err.getvalue())
    assert re.search(r"failed: \S+issue-45.md:2: not UTF-8 text", err.getvalue())
    assert set(Issue.objects.values_list("number", flat=True)) == {42, 43}

    # Nothing could be done: status 1.
    only_bad = tmp_path / "bad"
    only_bad.mkdir()
    shutil.move(tmp_path / "hw" / "issue-44.md", only_bad / "issue-44.md")
    with pytest.raises(CommandError) as raised:
        call_command("import_markdown", str(only_bad), stdout=io.StringIO(), stderr=io.StringIO())
    assert raised.value.returncode == 1


@pytest.mark.django_db
def test_dry_run_reports_the_same_and_writes_nothing(tmp_path):
    with CaptureQueriesContext(connection) as queries:
        dry = run_import(SHAPES / "go-weekly", "--dry-run", "--publish")
    assert "Dry run, nothing written: 2 files: 2 imported, 0 updated, 0 unchanged, 0 failed" in dry
    assert not Issue.objects.exists() and not Category.objects.exists()
    assert queries  # it did read
    real = run_import(SHAPES / "go-weekly", "--publish")
    strip = lambda text: re.sub(r"; [\d.]+s", "", text.replace("Dry run, nothing written: ", ""))  # noqa: E731
    assert strip(dry) == strip(real)


@pytest.mark.django_db
def test_dates_from_git_outside_a_checkout_is_one_clear_line(tmp_path):
    shutil.copytree(SHAPES / "go-weekly", tmp_path / "go")
    if (
        subprocess.run(["git", "-C", str(tmp_path), "rev-parse"], capture_output=True).returncode
        == 0
    ):
        pytest.skip("the temporary folder is inside a git checkout")
    with pytest.raises(CommandError) as raised:
        run_import(tmp_path / "go", "--dates-from-git")
    message = str(raised.value)
    assert "not a git repository" in message and "\n" not in message
    assert not Issue.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "name", "shown"),
    [("en", "Uncategorized", "Issue 42"), ("zh-hans", "未分类", "2024年03月14日第四十二期")],
)
def test_what_the_importer_makes_up_follows_the_language(tmp_path, language, name, shown, settings):
    (tmp_path / "issue-42.md").write_text(
        "---\ndate: 2024-03-14\n---\n\n"
        "- [Opening](https://open.example.com/) — before any heading\n\n"
        "## Tools\n\n- [Tool](https://tool.example.com/)\n",
        encoding="utf-8",
    )
    run_import(tmp_path, "--publish", language=language)
    issue = Issue.objects.get()
    assert issue.title == ""  # made up when shown, in the reader's language; never stored
    settings.LANGUAGE_CODE = language
    from django.utils import translation

    with translation.override(language):
        assert issue.display_title == shown
    section = issue.sections.order_by("position").first()
    assert section.untitled and section.category.name == name
    exported = render_issue(issue_to_doc(issue))
    assert exported.startswith("---\nnumber: 42\ndate: 2024-03-14\n---\n")
    assert "\n# " not in exported and name not in exported


@pytest.mark.django_db
def test_a_second_newsletter_is_refused_by_default_naming_the_numbers(tmp_path):
    run_import(SHAPES / "haskell-weekly")
    other = tmp_path / "other"
    other.mkdir()
    for number in (42, 43, 44):
        (other / f"weekly-{number}.md").write_text(
            f"# Other {number}\n\n## A\n\n- [x](https://x.example.com/{number})\n", encoding="utf-8"
        )
    with pytest.raises(CommandError) as raised:
        run_import(other)
    assert "2 issues are already taken by other sources, nothing was imported" in str(raised.value)
    assert "#42: weekly-42.md ≠ issue-42.md" in str(raised.value)
    assert not Issue.objects.filter(number=44).exists()
    assert Issue.objects.get(number=42).title == "Issue 42"
