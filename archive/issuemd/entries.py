"""Recognising entries: the many ways real archives write a link with its annotation (a link
heading, ``N、[title](url)``, a list item, a bold title over a bare URL, a heading with a
``链接：`` field, a quote with no link). A mixin of the parser (parse.py), which reads the
blocks in order and asks these methods whether one starts an entry."""

from __future__ import annotations

import re
import textwrap

from .docs import EntryDoc
from .inline import (
    ANNOTATION_FIELD,
    BARE_URL,
    BROKEN_LINK,
    CIRCLED,
    ENTRY_COMMENT,
    FIELD,
    MAX_URL,
    NUMBERED,
    REFERENCE_LINK,
    SEPARATOR,
    check_url,
    inline_of,
    links_of,
    meaningful_children,
    plain_text,
    plain_text_of,
    reference_key,
    unwrap_redirect,
    url_problem,
)


class _Entry:
    """An entry being read: where it starts, and the blocks that follow it."""

    def __init__(self, title, url, line, head="", body=None, kind="paragraph"):
        self.title, self.url, self.line = title, url, line
        self.link_source = ""  # a reference-style link as written: [title][1]
        self.head = head  # Markdown of the entry's own line after its link
        self.body = body if body is not None else []
        self.kind = kind


class _Section:
    def __init__(self, heading, line, url="", level=2, untitled=False):
        self.heading, self.line, self.url, self.level = heading, line, url, level
        self.untitled = untitled
        self.note = []
        self.entries = []
        self.start = line - 1  # first source line (0-based) of the section's heading


class EntryReading:
    """The parser's entry-recognising half (it needs ``self.lines``, ``self.style``,
    ``self.warn`` and ``self.source_of``)."""

    def after_link(self, text, link):
        """``text`` split after the Markdown of ``link``: (before and link, rest), or None."""
        href = link.attrs["href"]
        for opener in (f"](<{href}>", f"]({href}"):
            index = text.find(opener)
            if index < 0:
                continue
            depth, position = 0, index + len(opener)
            while position < len(text):
                char = text[position]
                if char == "(":
                    depth += 1
                elif char == ")":
                    if depth == 0:
                        return text[: position + 1], text[position + 1 :]
                    depth -= 1
                position += 1
        return None

    def link_entry(self, node, text_source, inline, line, numbered=False, kind="paragraph"):
        """An entry from an inline that starts (after an optional ``N、``) with a link."""
        children = list(inline.children)
        if numbered:
            first = children[0]
            rest = NUMBERED.sub("", first.content, count=1)
            children = children[1:]
            prefix = [rest] if rest.strip() else []
        else:
            prefix = []
        link = None
        for child in children:
            if child.type == "link":
                link = child
                break
            if child.type in ("text", "code_inline"):
                prefix.append(child.content if child.type == "text" else plain_text_of(child))
            elif child.type in ("softbreak", "hardbreak"):
                return None  # the link is not on the entry's first line
            elif child.type in ("em", "strong", "s"):
                if links_of(child):
                    return None
                prefix.append(plain_text_of(child))
            else:
                return None
        if link is None or len("".join(prefix)) > 40:
            return None
        url = link.attrs["href"].strip()
        if url_problem(url):
            check_url(url, line, self.source)
            return None
        if len(url) > MAX_URL:
            self.warn(f"a URL of {len(url)} characters is kept as text, not as a link", line)
            return None
        split = self.after_link(text_source, link)
        link_source = ""
        if split is None:
            split = self.after_reference(text_source, link)
            link_source = split[2] if split else ""
        head = SEPARATOR.sub("", split[1]).strip() if split else text_source.strip()
        title = ("".join(prefix) + plain_text(link)).strip()
        entry = _Entry(title or url, unwrap_redirect(url), line, head=head, kind=kind)
        entry.link_source = link_source if not prefix else ""
        return entry

    def after_reference(self, text, link):
        """``text`` split after a reference-style ``link`` (``[t][1]``, ``[t][]``, ``[t]``):
        (before and link, rest, the link as written), or None."""
        for match in REFERENCE_LINK.finditer(text):
            label = match.group(2) or match.group(1)
            found = self.references.get(reference_key(label))
            if found and found["href"] == link.attrs["href"]:
                return text[: match.end()], text[match.end() :], match.group(0)
        return None

    def entry_start(self, node, following):
        """The entry that ``node`` starts, when it starts one, else None.

        ``following`` is the next block, for entries spread over two (a bold title over a
        bare URL)."""
        line = node.map[0] + 1
        inline = inline_of(node)
        if node.type == "paragraph" and inline is not None and inline.children:
            children = inline.children
            first = children[0]
            source = self.source_of(node)
            # N、[title](url) rest
            if first.type == "text" and NUMBERED.match(first.content):
                first_line = source.split("\n", 1)[0]
                if not links_of(inline) and BROKEN_LINK.search(first_line):
                    raise self.error(f"broken link syntax in {first_line.strip()!r}", line)
                if self.style in ("auto", "numbered"):
                    entry = self.link_entry(node, source, inline, line, numbered=True)
                    if entry:
                        return entry
                    return self.text_entry(node, inline, line)
                return None
            # **N、title**: a numbered item without a link
            meaningful = meaningful_children(children)
            bold = meaningful[0] if len(meaningful) == 1 else None
            if (
                bold is not None
                and bold.type == "strong"
                and bold.children
                and bold.children[0].type == "text"
                and NUMBERED.match(bold.children[0].content)
                and not links_of(bold)
            ):
                return self.text_entry(node, inline, line) if self.style != "list" else None
            # **Title** followed by a bare URL, on the next line or the next paragraph
            bold_title = self.bold_title_with_url(inline, following)
            if bold_title:
                return bold_title
        return None

    def opening_link_paragraph(self, node):
        """``[@摸鱼周报 #11](url)：text`` or ``[title](url) — text``: a paragraph that opens
        with a link and a separator. (A paragraph that only mentions a link stays text.)"""
        inline = inline_of(node)
        if node.type != "paragraph" or inline is None or not inline.children:
            return None
        children = inline.children
        if children[0].type != "link" or len(children) < 2 or children[1].type != "text":
            return None
        if not children[1].content.lstrip().startswith((":", "：", "—", "–", "- ")):
            return None
        return self.link_entry(node, self.source_of(node), inline, node.map[0] + 1, kind="opening")

    def bold_title_with_url(self, inline, following):
        children = meaningful_children(inline.children)
        if not children or children[0].type != "strong" or links_of(children[0]):
            return None
        title = plain_text(children[0]).strip()
        rest = children[1:]
        url = None
        head = ""
        lines = self.lines[inline.map[0] : inline.map[1]] if inline.map else []
        if (
            len(lines) >= 2
            and lines[0].strip().startswith("**")
            and lines[0].strip().endswith("**")
        ):
            # **Title** / the URL, bare or <autolinked> / more lines: the annotation
            match = BARE_URL.match(lines[1].strip())
            if match and len(lines) > 2:
                url, head = match.group(1), "\n".join(line.strip() for line in lines[2:])
        if url:
            pass
        elif len(rest) == 1 and rest[0].type == "text":
            match = BARE_URL.match(rest[0].content.strip())
            url = match.group(1) if match else None
        elif len(rest) == 1 and rest[0].type == "link" and rest[0].markup == "autolink":
            url = rest[0].attrs["href"]
        elif not rest and following is not None and following.type == "paragraph":
            following_children = meaningful_children(inline_of(following).children)
            if len(following_children) == 1 and following_children[0].type == "text":
                match = BARE_URL.match(following_children[0].content.strip())
                if match:
                    url = match.group(1)
                    following.consumed = True
        if not url or not title or len(title) > 200 or url_problem(url):
            return None
        line = inline.map[0] + 1 if inline.map else 0
        return _Entry(title, unwrap_redirect(url), line, head=head)

    def text_entry(self, node, inline, line):
        """A numbered item with no link (a quote, an announcement): kept as a text entry."""
        if links_of(inline):
            return None
        text = NUMBERED.sub("", plain_text(inline).replace("**", "").strip(), count=1)
        return _Entry(text.strip(), "", line, kind="text")

    def list_entries(self, node):
        """Each item of a list whose every item starts with a link, as an entry."""
        if node.type not in ("bullet_list", "ordered_list") or self.style not in ("auto", "list"):
            return None
        entries = []
        for item in node.children:
            if not item.children or item.children[0].type != "paragraph":
                return None
            paragraph = item.children[0]
            inline = inline_of(paragraph)
            first_line = self.lines[paragraph.map[0]]
            marker = re.match(r"^\s*(?:[-*+]|\d+[.)])\s+", self.lines[item.map[0]])
            text = first_line[marker.end() :] if marker else first_line.strip()
            for continued in self.lines[paragraph.map[0] + 1 : paragraph.map[1]]:
                text += "\n" + continued.strip()
            entry = self.link_entry(paragraph, text, inline, item.map[0] + 1, kind="list")
            if entry is None:
                return None
            rest = self.lines[paragraph.map[1] : item.map[1]]
            body = textwrap.dedent("\n".join(rest)).strip("\n").rstrip()
            entry.head = "\n".join(filter(None, [textwrap.dedent(entry.head), body]))
            entries.append(entry)
        return entries

    def bold_section(self, node, following):
        """A bold line acting as a section heading: ``**[🦄文章&教程](url)**`` over entries."""
        inline = inline_of(node)
        if node.type != "paragraph" or inline is None:
            return None
        children = meaningful_children(inline.children)
        if len(children) != 1 or children[0].type != "strong":
            return None
        text = plain_text(children[0]).strip()
        if not text or len(text) > 50 or NUMBERED.match(text) or following is None:
            return None
        next_inline = inline_of(following)
        next_text = plain_text(next_inline) if next_inline is not None else ""
        opens_items = (
            following.type in ("bullet_list", "ordered_list")
            or CIRCLED.match(next_text)
            or NUMBERED.match(next_text)
        )
        if not opens_items:
            return None
        links = links_of(children[0])
        url = links[0].attrs["href"] if links and not url_problem(links[0].attrs["href"]) else ""
        return _Section(text, node.map[0] + 1, url=url, level=7)

    def field_entry(self, heading, following):
        """``### Title`` over labelled lines, in a paragraph or as bullets: the URL from its
        ``链接：`` / ``地址：`` / ``Link:`` / ``URL:`` line, the annotation from the rest (a
        ``介绍：`` / ``Description:`` label dropped)."""
        if following is None or following.type not in ("paragraph", "bullet_list"):
            return None
        if following.type == "paragraph":
            lines = [line.strip() for line in self.lines[following.map[0] : following.map[1]]]
        else:
            lines = []
            for item in following.children:
                item_lines = self.lines[item.map[0] : item.map[1]]
                first = re.sub(r"^\s*[-*+]\s+", "", item_lines[0]) if item_lines else ""
                lines.append(" ".join([first.strip(), *(x.strip() for x in item_lines[1:])]))
        url, annotation = None, []
        for line in lines:
            if url is None and FIELD.match(line):
                value = FIELD.sub("", line, count=1).strip()
                match = BARE_URL.match(value.split()[0]) if value else None
                url = match.group(1) if match else None
                if url is None:
                    linked = re.match(r"^\[[^\]]*\]\(<?(https?://[^\s)>]+)>?\)", value)
                    url = linked.group(1) if linked else None
                if url is None:
                    return None
                continue
            annotation.append(ANNOTATION_FIELD.sub("", line, count=1))
        if not url or url_problem(url):
            return None
        following.consumed = True
        return _Entry(
            plain_text(inline_of(heading)).strip(),
            unwrap_redirect(url),
            heading.map[0] + 1,
            head="\n".join(annotation).strip(),
            kind="heading",
        )

    @staticmethod
    def is_entry_marker(node):
        """``<!-- entry -->`` under a heading without a link: a text entry, as exported."""
        return (
            node is not None
            and node.type == "html_block"
            and bool(ENTRY_COMMENT.match(node.content.strip()))
        )

    def multi_link_heading(self, node, inline, line):
        """``### Parallel programming [1. Basics](…) [2. Operation](…)``: the first link is the
        entry, the others its children."""
        links = [link for link in links_of(inline) if not url_problem(link.attrs["href"])]
        if not links:
            return None
        entry = _Entry(
            plain_text(inline).strip(),
            unwrap_redirect(links[0].attrs["href"]),
            line,
            kind="heading",
        )
        entry.extra_children = [
            EntryDoc(
                plain_text(link).strip() or link.attrs["href"],
                unwrap_redirect(link.attrs["href"]),
                line=line,
            )
            for link in links[1:]
        ]
        return entry
