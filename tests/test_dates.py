"""True dates for imported issues (--dates, --dates-from-git, undated issues) and what happens
when a second archive's numbers are already taken (--on-conflict)."""

import datetime
import io
import os
import shutil
import subprocess

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from archive.ingest.sources import DatesError, read_dates
from archive.models import Issue
from tests.factories import make_issue

pytestmark = pytest.mark.django_db

UNDATED = """# 每周分享第 {n} 期

## 工具

1、[Tool {n}](https://example.com/{n})

一个工具。
"""


def write_issues(folder, numbers, name="issue-{n}.md", text=UNDATED):
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for n in numbers:
        path = folder / name.format(n=n)
        path.write_text(text.format(n=n), encoding="utf-8")
        paths.append(path)
    return paths


def run_import(*args):
    out = io.StringIO()
    call_command("import_markdown", *map(str, args), stdout=out, stderr=io.StringIO())
    return out.getvalue()


def local_day(moment):
    return timezone.localtime(moment).date()


def test_dates_file_by_name_or_number_tsv_with_a_header(tmp_path):
    write_issues(tmp_path / "weekly", [1, 2, 3])
    dates = tmp_path / "dates.tsv"
    dates.write_text("file\tfirst_commit_date\nissue-1.md\t2019-01-04\n2\t2019-01-11\textra\n")
    out = run_import(tmp_path / "weekly", "--publish", "--dates", dates)
    assert "Dates: 0 from the files, 2 from --dates, 1 undated" in out
    issues = {issue.number: issue for issue in Issue.objects.all()}
    assert issues[1].date == datetime.date(2019, 1, 4)
    assert issues[2].date == datetime.date(2019, 1, 11)
    assert issues[3].date is None
    # Published at their own date, not at the time of the import.
    assert local_day(issues[1].published_at) == datetime.date(2019, 1, 4)
    assert local_day(issues[2].published_at) == datetime.date(2019, 1, 11)


def test_dates_file_as_csv_and_the_files_own_date_wins(tmp_path):
    dated = "# 每周分享第 {n} 期（20200103）\n\n## 工具\n\n1、[T](https://example.com/{n})\n"
    write_issues(tmp_path / "a", [7], text=dated)
    write_issues(tmp_path / "a", [8])
    dates = tmp_path / "dates.csv"
    dates.write_text('issue,date\n7,1999-01-01\n"8",2020/1/10\n')
    out = run_import(tmp_path / "a", "--dates", dates)
    assert "1 from the files, 1 from --dates, 0 undated" in out
    assert Issue.objects.get(number=7).date == datetime.date(2020, 1, 3)
    assert Issue.objects.get(number=8).date == datetime.date(2020, 1, 10)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("issue-1.md\t2019-01-04\nissue-2.md\tsoon\n", "dates.tsv:2: “soon” is not a date"),
        ("issue-1.md\n", "dates.tsv:1: expected a file name or issue number, then a date"),
    ],
)
def test_a_bad_dates_file_is_a_clear_error_and_imports_nothing(tmp_path, content, message):
    write_issues(tmp_path / "weekly", [1, 2])
    dates = tmp_path / "dates.tsv"
    dates.write_text(content)
    with pytest.raises(CommandError, match=message):
        run_import(tmp_path / "weekly", "--dates", dates)
    assert not Issue.objects.exists()


def test_a_missing_dates_file_is_a_clear_error(tmp_path):
    write_issues(tmp_path, [1])
    with pytest.raises(CommandError, match="nope.tsv: no such file"):
        run_import(tmp_path, "--dates", tmp_path / "nope.tsv")


def test_read_dates_reads_chinese_dates_and_skips_blank_lines(tmp_path):
    path = tmp_path / "d.tsv"
    path.write_text("\n12\t2024年1月19日\n\nweekly/a.md\t2024.02.02\n", encoding="utf-8")
    assert read_dates(path) == {12: datetime.date(2024, 1, 19), "a.md": datetime.date(2024, 2, 2)}
    path.write_bytes(b"\xff\xfe")
    with pytest.raises(DatesError, match="not UTF-8"):
        read_dates(path)


def git(repo, *args, date=None):
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "Editor",
        "GIT_AUTHOR_EMAIL": "editor@example.com",
        "GIT_COMMITTER_NAME": "Editor",
        "GIT_COMMITTER_EMAIL": "editor@example.com",
    }
    if date:
        env["GIT_AUTHOR_DATE"] = env["GIT_COMMITTER_DATE"] = f"{date}T12:00:00+08:00"
    subprocess.run(["git", *args], cwd=repo, env=env, check=True, capture_output=True)


@pytest.fixture
def repo(tmp_path):
    if not shutil.which("git"):
        pytest.skip("git is not installed")
    repo = tmp_path / "weekly"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    return repo


def test_dates_from_git_are_the_day_each_file_first_appeared(repo):
    write_issues(repo / "docs", [1])
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "issue 1", date="2021-03-05")
    write_issues(repo / "docs", [2], name="第{n}期.md")
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "issue 2", date="2021-03-12")
    # An edit later does not move the date; nor does a rename.
    (repo / "docs" / "issue-1.md").write_text(UNDATED.format(n=1) + "\n更正。\n", "utf-8")
    git(repo, "mv", "docs/issue-1.md", "docs/issue-01.md")
    git(repo, "commit", "-qam", "fix and rename", date="2022-01-01")
    write_issues(repo / "docs", [3])  # not committed: stays undated

    out = run_import(repo / "docs", "--dates-from-git", "--publish")
    assert "Dates: 0 from the files, 2 from git, 1 undated" in out
    dates = dict(Issue.objects.values_list("number", "date"))
    assert dates == {1: datetime.date(2021, 3, 5), 2: datetime.date(2021, 3, 12), 3: None}


def test_dates_from_git_outside_a_repository_is_a_clear_error(tmp_path):
    if not shutil.which("git"):
        pytest.skip("git is not installed")
    write_issues(tmp_path / "plain", [1])
    with pytest.raises(CommandError, match="not a git repository"):
        run_import(tmp_path / "plain", "--dates-from-git")
    assert not Issue.objects.exists()


def test_an_undated_issue_is_published_in_its_place_in_time(tmp_path):
    write_issues(tmp_path, [1, 2, 5, 6, 9])
    dates = tmp_path / "dates.tsv"
    dates.write_text("5\t2020-05-01\n9\t2020-09-01\n")
    run_import(tmp_path, "--publish", "--dates", dates)
    issues = {issue.number: issue for issue in Issue.objects.all()}
    assert issues[6].date is None and issues[1].date is None
    # After the nearest dated issue before it; the first ones with the first dated one.
    assert local_day(issues[6].published_at) == datetime.date(2020, 5, 1)
    assert local_day(issues[1].published_at) == datetime.date(2020, 5, 1)
    assert all(issue.is_public for issue in issues.values())
    assert max(i.published_at for i in issues.values()) < timezone.now() - datetime.timedelta(
        days=365
    )


def test_reimporting_with_dates_moves_a_published_issue_to_its_date(tmp_path):
    write_issues(tmp_path, [1])
    run_import(tmp_path, "--publish")
    assert Issue.objects.get().date is None
    dates = tmp_path / "dates.tsv"
    dates.write_text("issue-1.md\t2019-06-07\n")
    out = run_import(tmp_path, "--publish", "--dates", dates)
    assert "1 updated" in out
    issue = Issue.objects.get()
    assert issue.date == datetime.date(2019, 6, 7)
    assert local_day(issue.published_at) == datetime.date(2019, 6, 7)


def test_a_scheduled_issue_keeps_the_time_its_editor_chose(tmp_path):
    write_issues(tmp_path, [4])
    later = timezone.now() + datetime.timedelta(days=3)
    make_issue(4, published=later, source="issue-4.md")
    dates = tmp_path / "dates.tsv"
    dates.write_text("4\t2019-06-07\n")
    run_import(tmp_path, "--publish", "--dates", dates)
    issue = Issue.objects.get()
    assert issue.date == datetime.date(2019, 6, 7) and issue.published_at == later


def test_a_second_archive_does_not_silently_overwrite_the_first(tmp_path):
    write_issues(tmp_path / "first", [1, 2, 3])
    run_import(tmp_path / "first")
    other = UNDATED.replace("Tool", "Other")
    write_issues(tmp_path / "second", [2, 3, 4, 6], name="weekly{n}.md", text=other)

    # fail (the default): nothing at all is imported, and the message names the numbers.
    with pytest.raises(CommandError) as raised:
        run_import(tmp_path / "second")
    message = str(raised.value)
    assert "2 issues are already taken by other sources, nothing was imported" in message
    assert "#2: weekly2.md ≠ issue-2.md" in message
    assert not Issue.objects.filter(number__in=[4, 6]).exists()

    # skip: the taken numbers are left alone, the others come in.
    out = run_import(tmp_path / "second", "--on-conflict", "skip")
    assert "2 issues already taken by other sources (skipped): 2-3" in out
    assert "4 files: 2 imported, 0 updated, 0 unchanged, 2 skipped, 0 failed" in out
    titles = dict(Issue.objects.values_list("number", "sections__links__title"))
    assert titles == {1: "Tool 1", 2: "Tool 2", 3: "Tool 3", 4: "Other 4", 6: "Other 6"}

    # update, when asked for: overwritten, and said so.
    out = run_import(tmp_path / "second", "--on-conflict", "update")
    assert "2 issues already taken by other sources (updated): 2-3" in out
    assert Issue.objects.get(number=2).sections.get().links.get().title == "Other 2"
    assert Issue.objects.get(number=2).source == "weekly2.md"


def test_reimporting_the_same_files_is_no_collision(tmp_path):
    write_issues(tmp_path, [1, 2])
    run_import(tmp_path)
    out = run_import(tmp_path, "--on-conflict", "fail")
    assert "0 imported, 0 updated, 2 unchanged" in out
    assert "already taken" not in out


def test_an_issue_made_in_the_admin_is_a_collision(tmp_path):
    make_issue(5, title="编辑写的一期")
    write_issues(tmp_path, [5])
    with pytest.raises(CommandError, match="#5: issue-5.md ≠ an issue not imported from a file"):
        run_import(tmp_path, "--on-conflict", "fail")
    assert Issue.objects.get().title == "编辑写的一期"


def test_two_files_of_one_run_with_the_same_number_collide(tmp_path):
    write_issues(tmp_path / "a", [1])
    write_issues(tmp_path / "b", [1], text=UNDATED.replace("Tool", "Twin"))
    out = run_import(tmp_path, "--on-conflict", "skip")
    assert "1 issue already taken by other sources (skipped): 1" in out
    assert Issue.objects.get().sections.get().links.get().title == "Tool 1"
