"""Issues back out as Markdown, and the checks that nothing was lost on the way in."""

import re
from dataclasses import dataclass, field

from ..issuemd import parse_issue, render_issue
from ..issuemd.inline import clean_text, missing_urls, source_urls, unwrap_redirect
from ..models import Link
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
    entries: int = 0  # what entry_census finds in the file
    unlinked: list = field(default_factory=list)  # of those, the URLs no stored link has


# The shapes of an entry, read line by line, independently of the parser, so that the recall
# of entries as links is measured, not assumed: an ``###`` heading that opens with a link
# (inline or reference-style, after an emoji or two) or stands over a labelled URL line; in a
# section without such headings, a list item or numbered paragraph at the margin that opens
# with a link, a bold title over a URL line, a paragraph that opens with a link and a
# separator. (Under heading entries, lists and links are the entries' annotations.)
_DEFINITION = re.compile(r"^ {0,3}\[([^\]]+)\]:\s*<?(\S+?)>?(?:\s+[\"'(].*)?$")
_LINK = (
    r"\[((?:[^\[\]]|\[[^\]]*\])+)\]"
    r"(?:\(<?(https?://[^\s)>]+)>?(?:\s+\"[^\"]*\")?\)|\[([^\]]*)\])?"
)
_HEADING_LINK = re.compile(r"^#{3,4}\s+[^\[\]\w]*" + _LINK)
_ITEM_LINK = re.compile(r"^(?:[-*+]\s+|\d+\s*[.)、]\s*)" + _LINK)
_OPENING_LINK = re.compile(_LINK)
_HEADING = re.compile(r"^#{3,4}\s+\S")
_SECTION = re.compile(r"^#{1,2}\s")
_LABELLED = re.compile(
    r"^\s*(?:[-*+]\s+)?(?:链接|地址|项目地址|网址|URL|Link)\s*[:：]\s*"
    r"(?:<?(https?://[^\s>]+)>?|\[[^\]]*\]\((https?://[^\s)]+)\))",
    re.IGNORECASE,
)
_BOLD_LINE = re.compile(r"^\*\*[^*]+\*\*\s*$")
_URL_LINE = re.compile(r"^\s*<?(https?://[^\s>]+)>?\s*$")
_SEPARATED = re.compile(r"^\s*[:：—–-]")


def entry_census(text):
    """The URLs of a Markdown file's entries, as its shapes show them (see above)."""
    lines, fenced, kept = clean_text(text).split("\n"), False, []
    for line in lines:
        if line.lstrip().startswith(("```", "~~~")):
            fenced = not fenced
        kept.append("" if fenced else line)
    lines = kept
    references = {}
    for line in lines:
        match = _DEFINITION.match(line)
        if match:
            references.setdefault(" ".join(match.group(1).split()).lower(), match.group(2))

    def target(match):
        url = match.group(2)
        if url is None:
            label = match.group(3) or match.group(1)
            url = references.get(" ".join(label.split()).lower())
        return url if url and url.startswith(("http://", "https://")) else None

    found, headings, others = [], [], []
    for index, line in enumerate(lines):
        if _SECTION.match(line):  # each section is read in its own mode
            found += headings or others
            headings, others = [], []
            continue
        if _DEFINITION.match(line):
            continue
        following = lines[index + 1] if index + 1 < len(lines) else ""
        heading = _HEADING_LINK.match(line)
        if heading and target(heading):
            headings.append(target(heading))
            continue
        if _HEADING.match(line):
            labelled = next(
                (_LABELLED.match(x) for x in lines[index + 1 : index + 4] if x.strip()), None
            )
            if labelled:
                headings.append(labelled.group(1) or labelled.group(2))
            continue
        item = _ITEM_LINK.match(line)
        if item and target(item):
            others.append(target(item))
            continue
        opening = _OPENING_LINK.match(line)
        starts_paragraph = index == 0 or not lines[index - 1].strip()
        if opening and starts_paragraph and target(opening):
            if _SEPARATED.match(line[opening.end() :]):
                others.append(target(opening))
            continue
        if _BOLD_LINE.match(line.strip()) and _URL_LINE.match(following):
            others.append(_URL_LINE.match(following).group(1))
    return found + (headings or others)


def check_issue(source_text, issue):
    """Compare a source file with the issue stored from it: which of the file's http(s) URLs
    the database lacks, and whether export then re-import gives the same issue."""
    stored = issue_to_doc(issue)
    result = FileCheck(urls=len(source_urls(source_text)))
    result.missing = missing_urls(source_text, stored)
    again = parse_issue(render_issue(stored), source=f"export of issue {issue.number}")
    result.round_trip = again.comparable() == stored.comparable()
    census = entry_census(source_text)
    linked = set(
        Link.objects.filter(section__issue=issue).exclude(url="").values_list("url", "written_url")
    )
    held = {url for pair in linked for url in pair if url}
    result.entries = len(census)
    result.unlinked = [
        url for url in census if url not in held and unwrap_redirect(url) not in held
    ]
    return result
