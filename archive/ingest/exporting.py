"""Issues back out as Markdown, and the checks that nothing was lost on the way in."""

from dataclasses import dataclass, field

from ..issuemd import parse_issue, render_issue
from ..issuemd.inline import missing_urls, source_urls
from .loading import issue_to_doc


def export_file_name(issue):
    """``2022-03-11-issue-3.md``, the seed's own name; ``issue-3.md`` without a date; a
    special issue's slug."""
    if issue.number is None:
        return f"{issue.slug}.md"
    prefix = f"{issue.date.isoformat()}-" if issue.date else ""
    return f"{prefix}issue-{issue.number}.md"


@dataclass
class FileCheck:
    urls: int = 0
    missing: list = field(default_factory=list)
    round_trip: bool = True


def check_issue(source_text, issue):
    """Compare a source file with the issue stored from it: which of the file's http(s) URLs
    the database lacks, and whether export then re-import gives the same issue."""
    stored = issue_to_doc(issue)
    result = FileCheck(urls=len(source_urls(source_text)))
    result.missing = missing_urls(source_text, stored)
    again = parse_issue(render_issue(stored), source=f"export of issue {issue.number}")
    result.round_trip = again.comparable() == stored.comparable()
    return result
