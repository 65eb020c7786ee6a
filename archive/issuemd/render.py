"""Render an :class:`IssueDoc` back into the seed's Markdown format."""

from __future__ import annotations

import re

from .meta import parse_heading
from .numerals import to_chinese

SIMILAR_LABEL = "相似的还有"
_TITLE_SPECIAL = re.compile(r"([\\\[\]*`<])|(?<!\w)_|_(?!\w)")
_URL_UNSAFE = {" ": "%20", "<": "%3C", ">": "%3E", "\t": "%09", "\n": "%0A"}


def default_title(number, date=None):
    """The heading an issue gets when it has no title of its own: ``2022年03月11日第三期``."""
    prefix = f"{date.year}年{date.month:02d}月{date.day:02d}日" if date else ""
    return f"{prefix}第{to_chinese(number)}期"


def escape_title(title):
    return _TITLE_SPECIAL.sub(lambda match: "\\" + match.group(0), title)


def escape_url(url):
    url = "".join(_URL_UNSAFE.get(char, char) for char in url)
    if url.count("(") != url.count(")"):
        url = url.replace("(", "%28").replace(")", "%29")
    return url


def link_markdown(title, url):
    return f"[{escape_title(title)}]({escape_url(url)})"


def heading_text(title, url):
    return link_markdown(title, url) if url else escape_title(title)


def entry_body(entry):
    body = entry.annotation
    if entry.children:
        marker = "-" if body.startswith("- ") else "*"
        lines = [f"{marker} {SIMILAR_LABEL}"]
        lines += [f"  {marker} {link_markdown(c.title, c.url)}" for c in entry.children]
        body = "\n".join(filter(None, [body, *lines]))
    if entry.tags:
        body = "\n".join(filter(None, [body, f"<!-- tags: {', '.join(entry.tags)} -->"]))
    return body


def front_matter(doc, title):
    """A front matter for what the title cannot say: the number or the date."""
    number, date = parse_heading(title)
    lines = []
    if doc.number is None:
        lines.append(f"slug: {doc.slug}")
    elif number != doc.number:
        lines.append(f"number: {doc.number}")
    if doc.date and date != doc.date:
        lines.append(f"date: {doc.date.isoformat()}")
    return ["---", *lines, "---", ""] if lines else []


def render_issue(doc):
    title = doc.title or (default_title(doc.number, doc.date) if doc.number else doc.slug)
    out = [*front_matter(doc, title), f"# {title}", ""]
    if doc.lede_heading:
        out.append(f"## {doc.lede_heading}")
    if doc.lede:
        out.append(doc.lede)
    if doc.lede_heading or doc.lede:
        out.append("")
    for section in doc.sections:
        out += [f"## {heading_text(section.heading, section.url)}", ""]
        if section.note:
            out += [section.note, ""]
        for entry in section.entries:
            out.append(f"### {heading_text(entry.title, entry.url)}")
            if not entry.url:
                out.append("<!-- entry -->")
            body = entry_body(entry)
            if body:
                out.append(body)
            out.append("")
    return "\n".join(out).rstrip() + "\n"
