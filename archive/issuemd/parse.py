"""Parse a newsletter issue written in Markdown into an :class:`IssueDoc`.

The parser walks markdown-it-py's syntax tree, never raw lines, so a heading or an entry-like
line inside a code fence stays code. Annotations, notes and the lede are kept as the Markdown
source lines they came from, so rendering them back gives the same text.

The format (the seed's)::

    # 2022年03月11日第三期            issue number and date
    ## 大模型是AI发展的新一波浪潮      a section of prose only, before any links: the lede
    ## 硬件加速                       a section: its heading names the category
    ### [title](https://...)          an entry
    * annotation bullets              the entry's annotation (any Markdown)
    * 相似的还有                       nested related links become child entries
      * [title](https://...)
    <!-- tags: rust, 异步 -->          the entry's tags (an HTML comment: invisible elsewhere)
"""

from __future__ import annotations

import datetime
import re
from urllib.parse import urlsplit

from markdown_it import MarkdownIt
from markdown_it.tree import SyntaxTreeNode

from .docs import EntryDoc, IssueDoc, ParseError, SectionDoc
from .numerals import parse_number

SIMILAR_LABELS = ("相似的还有", "类似的还有", "相似的项目还有", "类似项目")
ALLOWED_SCHEMES = ("http", "https")

TAGS_COMMENT = re.compile(r"^<!--\s*tags\s*[:：]\s*(.*?)\s*-->\s*$", re.IGNORECASE)
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"), None)
_NUMBER_PATTERNS = (
    re.compile(r"第\s*([0-9０-９]+|[零〇一二两三四五六七八九十百千万]+)\s*期"),
    re.compile(r"(?:#|No\.?|Vol\.?|Issue)\s*(\d+)", re.IGNORECASE),
)
_DATE_PATTERNS = (
    re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日"),
    re.compile(r"(?<!\d)(\d{4})[-./](\d{1,2})[-./](\d{1,2})(?!\d)"),
)


def _markdown_parser():
    md = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])
    # Keep every URL exactly as written: the parser reports bad ones itself, with a line number,
    # instead of silently turning a link into text.
    md.validateLink = lambda url: True
    md.normalizeLink = lambda url: url
    return md


_MD = _markdown_parser()


def clean_text(text):
    """Normalise line endings and drop byte-order marks and zero-width characters."""
    return text.replace("\r\n", "\n").replace("\r", "\n").translate(_INVISIBLE)


def plain_text(node):
    """The text of an inline node and its descendants. Emphasis and code keep their markers
    (``*stars*``, ``` `code` ```): a title is stored as text, and nothing typed is dropped."""
    parts = []
    for child in node.children:
        if child.type in ("text", "html_inline"):
            parts.append(child.content)
        elif child.type == "code_inline":
            parts.append(f"{child.markup}{child.content}{child.markup}")
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
        elif child.type in ("em", "strong", "s"):
            parts.append(f"{child.markup}{plain_text(child)}{child.markup}")
        else:
            parts.append(plain_text(child))
    return "".join(parts)


def single_link(inline):
    """(title, url) when an inline node is one link and nothing else, else None."""
    meaningful = [
        child
        for child in inline.children
        if not (child.type == "text" and not child.content.strip())
        and child.type not in ("softbreak", "hardbreak")
    ]
    if len(meaningful) == 1 and meaningful[0].type == "link":
        link = meaningful[0]
        return plain_text(link).strip(), link.attrs["href"]
    return None


def parse_heading(text):
    """The issue number and date written in an H1 such as ``2022年03月11日第三期``."""
    number = None
    for pattern in _NUMBER_PATTERNS:
        match = pattern.search(text)
        if match:
            number = parse_number(match.group(1))
            break
    date = None
    for pattern in _DATE_PATTERNS:
        match = pattern.search(text)
        if match:
            year, month, day = (int(group) for group in match.groups())
            try:
                date = datetime.date(year, month, day)
            except ValueError:
                date = None
            break
    return number, date


def check_url(url, line, source):
    try:
        parts = urlsplit(url.strip())
        valid = parts.scheme.lower() in ALLOWED_SCHEMES and bool(parts.hostname)
    except ValueError:
        valid = False
    if not valid:
        shown = url if len(url) <= 80 else url[:77] + "..."
        raise ParseError(
            f"link {shown!r} is not an http(s) URL; only http and https links are accepted",
            line=line,
            source=source,
        )


class _Parser:
    def __init__(self, text, source):
        self.source = source
        self.text = clean_text(text)
        self.lines = self.text.split("\n")

    def error(self, message, line=None):
        return ParseError(message, line=line, source=self.source)

    def slice(self, nodes, skip=()):
        """The Markdown source of consecutive block nodes, minus the line ranges in ``skip``."""
        if not nodes:
            return ""
        start, end = nodes[0].map[0], nodes[-1].map[1]
        kept = [
            self.lines[index]
            for index in range(start, end)
            if not any(low <= index < high for low, high in skip)
        ]
        return "\n".join(kept).strip("\n").rstrip()

    def entry(self, title, url, line, body):
        check_url(url, line, self.source)
        children, skip = self.children(body)
        tags = []
        for node in body:
            match = node.type == "html_block" and TAGS_COMMENT.match(node.content.strip())
            if match:
                tags += [tag.strip() for tag in re.split(r"[,，]", match.group(1)) if tag.strip()]
                skip.append(tuple(node.map))
        return EntryDoc(
            title=title,
            url=url.strip(),
            annotation=self.slice(body, skip),
            tags=list(dict.fromkeys(tags)),
            children=children,
            line=line,
        )

    def children(self, body):
        """Related links listed under a "相似的还有" bullet, and the lines they occupy."""
        children, skip = [], []
        for node in body:
            if node.type != "bullet_list":
                continue
            for item in node.children:
                parts = item.children
                if (
                    len(parts) != 2
                    or parts[0].type != "paragraph"
                    or parts[1].type
                    not in (
                        "bullet_list",
                        "ordered_list",
                    )
                ):
                    continue
                label = plain_text(parts[0].children[0]).strip().rstrip(":：").strip()
                if label not in SIMILAR_LABELS:
                    continue
                links = []
                for sub in parts[1].children:
                    is_paragraph = len(sub.children) == 1 and sub.children[0].type == "paragraph"
                    link = single_link(sub.children[0].children[0]) if is_paragraph else None
                    if link is None:
                        break
                    links.append((link, sub.map[0] + 1))
                else:
                    for (title, url), line in links:
                        check_url(url, line, self.source)
                        children.append(EntryDoc(title=title, url=url.strip(), line=line))
                    skip.append(tuple(item.map))
        return children, skip

    def parse(self, number=None):
        root = SyntaxTreeNode(_MD.parse(self.text))
        title, date, heading_line = "", None, None
        intro = []
        sections = []  # [heading, line, note nodes, [(title, url, line, body nodes)]]
        body = intro

        for node in root.children:
            if node.type == "heading":
                level = int(node.tag[1])
                inline = node.children[0] if node.children else None
                text = plain_text(inline).strip() if inline else ""
                line = node.map[0] + 1
                if level == 1 and heading_line is None:
                    title, heading_line = text, line
                    body = intro
                    continue
                if level == 2:
                    if not text:
                        raise self.error("empty section heading", line)
                    note = []
                    sections.append([text, line, note, []])
                    body = note
                    continue
                link = single_link(inline) if (level == 3 and inline) else None
                if link is not None:
                    if not sections:
                        raise self.error(
                            f"entry {link[0]!r} comes before any section heading (## ...)", line
                        )
                    entry_body = []
                    sections[-1][3].append((link[0], link[1], line, entry_body))
                    body = entry_body
                    continue
            body.append(node)

        if heading_line is None and number is None:
            raise self.error("no H1 heading (# ...) naming the issue", 1)
        heading_number, date = parse_heading(title)
        number = heading_number if heading_number is not None else number
        if number is None:
            raise self.error(f"no issue number in the heading {title!r}", heading_line)

        doc = IssueDoc(number=number, title=title, date=date)
        if intro:
            doc.lede = self.slice(intro)
        seen_entries = False
        for heading, line, note, entries in sections:
            if not entries and not seen_entries and not doc.lede and not doc.lede_heading:
                doc.lede_heading, doc.lede = heading, self.slice(note)
                continue
            seen_entries = seen_entries or bool(entries)
            section = SectionDoc(heading=heading, note=self.slice(note), line=line)
            section.entries = [self.entry(*entry) for entry in entries]
            doc.sections.append(section)
        return doc


def parse_issue(text, *, source="<text>", number=None):
    """Parse one issue. ``number`` is used when the heading names none (from a file name)."""
    if "\x00" in text:
        raise ParseError("binary data, not a Markdown text", line=1, source=source)
    return _Parser(text, source).parse(number=number)
