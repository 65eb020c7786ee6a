"""Render an :class:`IssueDoc` back into the seed's Markdown format."""

from __future__ import annotations

import json
import re

from .meta import FRONT_MATTER_KEYS, find_date, parse_heading, split_front_matter
from .numerals import to_chinese

SIMILAR_LABEL = "相似的还有"
_TITLE_SPECIAL = re.compile(r"([\\\[\]*`<])|(?<!\w)_|_(?!\w)")
_URL_UNSAFE = {" ": "%20", "<": "%3C", ">": "%3E", "\t": "%09", "\n": "%0A"}


def default_title(number, date=None):
    """The heading an issue gets when it has no title of its own: ``2022年03月11日第三期``."""
    prefix = f"{date.year}年{date.month:02d}月{date.day:02d}日" if date else ""
    try:
        numeral = to_chinese(number)
    except ValueError:  # 100,000 and beyond: in digits
        numeral = str(number)
    return f"{prefix}第{numeral}期"


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


_PLAIN_YAML = re.compile(r"^[\w\u0080-\uffff][\w\u0080-\uffff .,/()（）-]*$")


def front_matter_value(value, kind):
    if isinstance(value, int):
        return str(value)
    if kind == "headers":
        return " ".join(str(value).split())
    if kind == "toml":
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            return value
        return json.dumps(value, ensure_ascii=False)
    if _PLAIN_YAML.match(value) and not value.endswith(" ") and ": " not in value:
        return value
    return json.dumps(value, ensure_ascii=False)


def said_by(meta, key):
    """What front matter ``meta`` says of one of FRONT_MATTER_KEYS, as a document has it."""
    for name in FRONT_MATTER_KEYS[key]:
        value = meta.get(name)
        if value in (None, ""):
            continue
        if key == "number":
            return int(value) if str(value).isdigit() else None
        if key == "date":
            found = find_date(str(value))
            return found.isoformat() if found else None
        return str(value)
    return None


def rewrite_front_matter(raw, wanted):
    """``raw`` (the front matter as written) saying ``wanted``: unchanged when it already
    does, else with those keys' lines replaced or added, everything else as it was."""
    meta, _rest = split_front_matter(raw)
    kind = meta.format
    lines = raw.rstrip("\n").split("\n")
    separator = " = " if kind == "toml" else ": "
    for key, value in wanted.items():
        if said_by(meta, key) == value:
            continue
        written = front_matter_value(value, kind)
        pattern = re.compile(rf"^({'|'.join(FRONT_MATTER_KEYS[key])})\s*[:=]", re.IGNORECASE)
        at = next((i for i, line in enumerate(lines) if pattern.match(line)), None)
        if at is not None:
            name = pattern.match(lines[at]).group(1)
            lines[at] = f"{name}{separator}{written}"
            continue
        name = FRONT_MATTER_KEYS[key][0]
        if kind == "headers":
            name = name.capitalize()
            lines.append(f"{name}{separator}{written}")
            continue
        end = len(lines) - 1  # the closing fence
        if kind == "toml":
            end = next((i for i, line in enumerate(lines[1:], 1) if line.startswith("[")), end)
        lines.insert(end, f"{name}{separator}{written}")
    return "\n".join(lines) + "\n"


def front_matter(doc, title):
    """The front matter: the file's own, as written (saying what changed since), or one for
    what the title cannot say (the number, the date; the title itself when the file had no
    heading)."""
    number, date = parse_heading(title or doc.title or "")
    wanted = {}
    if doc.number is None:
        wanted["slug"] = doc.slug
    elif number != doc.number:
        wanted["number"] = doc.number
    if doc.date and date != doc.date:
        wanted["date"] = doc.date.isoformat()
    if not title and doc.title:
        wanted["title"] = doc.title
    if doc.description:
        wanted["description"] = doc.description
    if doc.image:
        wanted["image"] = doc.image
    if doc.front_matter:
        block = rewrite_front_matter(doc.front_matter, wanted)
        return block.rstrip("\n").split("\n") + [""]
    if not wanted:
        return []
    lines = [f"{key}: {front_matter_value(value, 'yaml')}" for key, value in wanted.items()]
    return ["---", *lines, "---", ""]


def render_issue(doc):
    title = doc.title or (default_title(doc.number, doc.date) if doc.number else doc.slug)
    if doc.heading == "none":  # the file had no H1: none is made up for it
        out = front_matter(doc, "")
    else:
        out = [*front_matter(doc, title), f"# {title}", ""]
    if doc.lede_heading:
        out.append(f"## {doc.lede_heading}")
    if doc.lede:
        out.append(doc.lede)
    if doc.lede_heading or doc.lede:
        out.append("")
    for section in doc.sections:
        if not section.untitled:
            marks = "#" if section.level == 1 else "##"
            out += [f"{marks} {heading_text(section.heading, section.url)}", ""]
        if section.note:
            out += [section.note, ""]
        for entry in section.entries:
            out.append(f"### {entry.link_source or heading_text(entry.title, entry.url)}")
            if not entry.url:
                out.append("<!-- entry -->")
            body = entry_body(entry)
            if body:
                out.append(body)
            out.append("")
    if doc.references:
        out += [doc.references, ""]
    return "\n".join(out).rstrip() + "\n"
