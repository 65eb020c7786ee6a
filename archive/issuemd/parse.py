"""Parse a newsletter issue written in Markdown into an :class:`IssueDoc`.

The parser walks markdown-it-py's syntax tree, never raw lines, so a heading or an entry-like
line inside a code fence stays code. Annotations, notes and the lede are kept as the Markdown
source lines they came from, so rendering them back gives the same text, and anything that is
not understood as an entry stays in the text around it: no URL of the source is dropped.

The seed's format, which the exporter writes::

    # 2022年03月11日第三期            issue number and date
    ## 大模型是AI发展的新一波浪潮      prose before the first section with links: the lede
    ## 硬件加速                       a section: its heading names the category
    ### [title](https://...)          an entry
    * annotation bullets              the entry's annotation (any Markdown)
    * 相似的还有                       nested related links become child entries
      * [title](https://...)
    <!-- tags: rust, 异步 -->          the entry's tags (an HTML comment: invisible elsewhere)

Real archives vary that; the family understood here:

- number and date from the H1 (``第 N 期``, ``第三期``, ``#N``, ``Vol.N``, dates in any common
  form), from YAML, TOML or Pelican front matter (meta.py), or from the file name;
- sections as H2, as H3 under one H2, or as bold lines (``**[分类](url)**``);
- entries as link headings (``### 🐎 [title](url)``), numbered paragraphs (``N、[title](url)：
  text``), bullet or ordered list items starting with a link, a bold title over a bare URL, a
  plain heading followed by a ``链接：URL`` field, a paragraph ``[@name](url)：text`` that
  opens a section, and numbered items with no link at all (quotes), kept as text entries;
- reference-style links (``[title][1]`` with ``[1]: url`` definitions), entries before any
  heading (a section without one), ``### Title`` over ``Link:``/``Description:`` bullets.

This module reads the blocks in order and builds the document; entries.py recognises the
entries, inline.py reads inline Markdown and URLs, meta.py front matter and file names. It is
longer than our usual 400 lines because the walk over the blocks is one state machine (the
open section and entry, the entry level, what the lede holds), clearer read whole than split.
"""

from __future__ import annotations

import re
from collections import Counter

from markdown_it.tree import SyntaxTreeNode

from .docs import EntryDoc, IssueDoc, ParseError, SectionDoc
from .entries import EntryReading, _Entry, _Section
from .inline import (
    BROKEN_LINK,
    ENTRY_STYLES,
    MARKDOWN,
    MAX_HEADING,
    MAX_TITLE,
    SIMILAR_LABELS,
    TAGS_COMMENT,
    check_url,
    clean_text,
    inline_of,
    links_of,
    plain_text,
    single_link,
    special_slug,
    unwrap_redirect,
    url_problem,
)
from .meta import (
    KNOWN_FRONT_MATTER,
    FrontMatterError,
    find_date,
    from_file_name,
    parse_heading,
    split_front_matter,
    title_from_file_name,
)
from .render import default_title, said_by


class _Parser(EntryReading):
    def __init__(self, text, source, style="auto"):
        if style not in ENTRY_STYLES:
            raise ValueError(f"unknown entry style {style!r}; choose from {ENTRY_STYLES}")
        self.source = source
        self.style = style
        self.text = clean_text(text)
        try:
            self.meta, self.text = split_front_matter(self.text)
        except FrontMatterError as error:
            raise ParseError(str(error), line=error.line, source=source) from None
        self.lines = self.text.split("\n")
        self.warnings = []
        self.file_stem = ""
        self.definition_lines = set()  # reference definitions, kept apart (doc.references)
        self.references = {}  # markdown-it's: {label: {"href", "title", "map"}}

    def error(self, message, line=None):
        return ParseError(message, line=line, source=self.source)

    def warn(self, message, line):
        self.warnings.append(f"{self.source}:{line}: {message}")

    # Source text ---------------------------------------------------------------------------

    def slice(self, nodes, skip=()):
        """The Markdown source of consecutive block nodes, minus the line ranges in ``skip``."""
        if not nodes:
            return ""
        start, end = nodes[0].map[0], nodes[-1].map[1]
        kept = [
            self.lines[index]
            for index in range(start, end)
            if not any(low <= index < high for low, high in skip)
            and index not in self.definition_lines
        ]
        return "\n".join(kept).strip("\n").rstrip()

    def source_of(self, node):
        return "\n".join(self.lines[node.map[0] : node.map[1]])

    # Classifying blocks ----------------------------------------------------------------------

    # Walking the document --------------------------------------------------------------------

    def levels(self, nodes):
        """(section level, entry heading level or None), from what the document holds."""
        heading_links = Counter()
        for node in nodes:
            if node.type == "heading" and node.tag != "h1":
                inline = inline_of(node)
                if inline is not None and links_of(inline) and int(node.tag[1]) >= 3:
                    heading_links[int(node.tag[1])] += 1
        if self.style == "headings":
            entry_level = heading_links.most_common(1)[0][0] if heading_links else 3
            return entry_level - 1, entry_level
        under = Counter()
        level = None
        for index, node in enumerate(nodes):
            if node.type == "heading" and node.tag != "h1":
                level = int(node.tag[1])
                continue
            following = nodes[index + 1] if index + 1 < len(nodes) else None
            starts = (
                node.type == "paragraph"
                and self.entry_start(node, following) is not None
                or self.list_entries(node)
            )
            if starts and level:
                under[level] += 1
            for leftover in (node, following):
                if leftover is not None:
                    leftover.__dict__.pop("consumed", None)
        if (
            self.style == "auto"
            and heading_links
            and heading_links.most_common(1)[0][1] >= sum(under.values())
        ):
            entry_level = heading_links.most_common(1)[0][0]
            return entry_level - 1, entry_level
        return (under.most_common(1)[0][0] if under else 2), None

    def parse(self, number=None, date=None):
        env = {}
        root = SyntaxTreeNode(MARKDOWN.parse(self.text, env))
        for reference in env.get("references", {}).values():
            if reference.get("map"):
                self.definition_lines.update(range(*reference["map"]))
        self.references = env.get("references", {})
        nodes = list(root.children)
        title, heading_line, first = "", None, 0
        for index, node in enumerate(nodes):
            if node.type == "heading" and node.tag == "h1":
                title, heading_line = plain_text(inline_of(node)).strip(), node.map[0] + 1
                first = index + 1
                break
            if node.type not in ("html_block",) and not (
                node.type == "paragraph" and not plain_text(inline_of(node)).strip()
            ):
                break  # content before any H1: the document has no H1 of its own
        if heading_line is None:
            title = self.meta.get("title", "")
        nodes = nodes[first:] if heading_line else nodes
        section_level, entry_level = self.levels(nodes)

        intro, sections = [], []
        section, entry = None, None

        def close_entry():
            nonlocal entry
            if entry is not None:
                section.entries.append(entry)
                entry = None

        def open_section(new):
            nonlocal section
            close_entry()
            section = new
            sections.append(new)

        for index, node in enumerate(nodes):
            if getattr(node, "consumed", False):
                continue
            following = nodes[index + 1] if index + 1 < len(nodes) else None
            line = node.map[0] + 1
            if node.type == "heading":
                level = int(node.tag[1])
                inline = inline_of(node)
                text = plain_text(inline).strip() if inline is not None else ""
                links = links_of(inline) if inline is not None else []
                if section is None and entry_level and level == entry_level and links:
                    open_section(_Section("", line, untitled=True))  # entries before any heading
                if level >= 3 and not links and BROKEN_LINK.search(text):
                    raise self.error(f"broken link syntax in the heading {text!r}", line)
                if level <= section_level and level > 1 or (level == 1 and heading_line):
                    url = ""
                    if links and level != entry_level:
                        href = links[0].attrs["href"]
                        url = "" if url_problem(href) else unwrap_redirect(href)
                    open_section(_Section(text or "—", line, url=url, level=level))
                    continue
                if entry_level and level == entry_level and section is not None:
                    if links:
                        heading_entry = self.link_entry(
                            node,
                            self.source_of(node).lstrip("#").strip(),
                            inline,
                            line,
                            kind="heading",
                        ) or self.multi_link_heading(node, inline, line)
                        if heading_entry:
                            close_entry()
                            entry = heading_entry
                            continue
                    elif text and self.is_entry_marker(following):
                        close_entry()
                        following.consumed = True
                        entry = _Entry(text, "", line, kind="heading")
                        continue
                if section is not None and not links and text:
                    field = self.field_entry(node, following)
                    if field:
                        close_entry()
                        entry = field
                        continue
            else:
                bold = (
                    self.bold_section(node, following)
                    if entry is None or entry.kind in ("paragraph", "list", "text", "opening")
                    else None
                )
                if bold is not None:
                    open_section(bold)
                    continue
            if node.type != "heading" and section is None and self.starts_entries(node, following):
                open_section(_Section("", line, untitled=True))  # entries before any heading
            if node.type != "heading" and section is not None:
                started = None
                if entry is None or entry.kind in ("paragraph", "list", "text", "opening"):
                    if not entry_level:
                        started = self.entry_start(node, following)
                    if started is None and (entry is None or entry.kind == "opening"):
                        started = self.opening_link_paragraph(node)
                if started is not None:
                    close_entry()
                    entry = started
                    continue
                if entry is None or entry.kind == "list":
                    listed = None if entry_level else self.list_entries(node)
                    if listed:
                        close_entry()
                        section.entries.extend(listed[:-1])
                        entry = listed[-1]
                        continue
            if entry is not None:
                entry.body.append(node)
            elif section is not None:
                section.note.append(node)
            else:
                intro.append(node)
        close_entry()
        return self.document(title, heading_line, intro, sections, number, date)

    # Building the document -----------------------------------------------------------------------

    def document(self, title, heading_line, intro, sections, number, date):
        heading_number, heading_date = parse_heading(title)
        raw_number = str(self.meta.get("number") or self.meta.get("issue") or "")
        meta_number = int(raw_number) if raw_number.isdigit() else None
        number = heading_number or meta_number or number
        date = (
            heading_date or find_date(self.meta.get("pubdate") or self.meta.get("date", "")) or date
        )
        slug = ""
        if number is None:
            # A special issue (a season's summary, a compilation): known by its slug.
            # It needs a date to be told from any other Markdown file.
            slug = special_slug(self.meta.get("slug") or self.file_stem or title) if date else ""
            if not slug:
                if heading_line is None:
                    raise self.error("no H1 heading (# ...) naming the issue", 1)
                raise self.error(f"no issue number in the heading {title!r}", heading_line)
            if title == slug:
                title = ""  # the slug stood in for a missing title
        elif title == default_title(number, date):
            title = ""  # the title every issue gets by default; not one of its own
        elif not title and heading_line is None:
            title = title_from_file_name(self.file_stem)  # 150-some-title.md
        doc = IssueDoc(number=number, title=title, date=date, slug=slug)
        # Front matter is kept, as written, when it says more than the document holds (an
        # author, tags, a layout): what it would say otherwise is written afresh on export.
        doc.front_matter = self.meta.text if set(self.meta) - KNOWN_FRONT_MATTER else ""
        # Without an H1 the file is exported without one when there is no title to write
        # (none, or one made up) or its front matter, kept, says the title; else the title
        # becomes the H1 our own shape has.
        if heading_line is None and (
            not title or (doc.front_matter and said_by(self.meta, "title"))
        ):
            doc.heading = "none"
        for key, field in (("description", "description"), ("image", "image")):
            value = said_by(self.meta, key)
            setattr(doc, field, value.strip() if isinstance(value, str) else "")
        if doc.image and url_problem(doc.image):
            doc.image = ""  # a relative or odd address: kept in the front matter only

        # Everything before the first section with entries is the lede, as written.
        first = next(
            (i for i, s in enumerate(sections) if any(e.url for e in s.entries)), len(sections)
        )
        before = sections[:first]
        if intro or before:
            if not intro and before and not before[0].url and before[0].level <= 6:
                doc.lede_heading = before[0].heading
                nodes = before[0].note + [n for s in before[1:] for n in self.section_nodes(s)]
            else:
                nodes = intro + [n for s in before for n in self.section_nodes(s)]
            doc.lede = self.slice_lines(nodes)
        for section in sections[first:]:
            doc.sections.append(self.section_doc(section))
        doc.references = "\n".join(self.lines[i] for i in sorted(self.definition_lines))
        doc.warnings = self.warnings
        return doc

    def section_nodes(self, section):
        """A section's own nodes back in source order, its heading line included."""
        marker = _Marker(section.start)
        nodes = [marker, *section.note]
        for entry in section.entries:
            nodes.append(_Marker(entry.line - 1))
            nodes.extend(entry.body)
        return nodes

    def slice_lines(self, nodes):
        """The source from the first node's start to the last node's end."""
        nodes = [node for node in nodes if node.map]
        if not nodes:
            return ""
        start = min(node.map[0] for node in nodes)
        end = max(node.map[1] for node in nodes)
        kept = [
            self.lines[index] for index in range(start, end) if index not in self.definition_lines
        ]
        return "\n".join(kept).strip("\n").rstrip()

    def starts_entries(self, node, following):
        """Whether a block before any section heading starts entries (a link list, a
        paragraph opening with a link): they make a section without a heading. Read on a
        copy, so that nothing is marked consumed."""
        if self.style != "auto" and self.style != "list" and node.type.endswith("_list"):
            return False
        saved = getattr(following, "consumed", None) if following is not None else None
        found = (
            self.entry_start(node, following) is not None
            or self.opening_link_paragraph(node) is not None
            or bool(self.list_entries(node))
        )
        if following is not None:
            if saved is None and hasattr(following, "consumed"):
                del following.consumed
            elif saved is not None:
                following.consumed = saved
        return found and node.type != "heading"

    def section_doc(self, section):
        doc = SectionDoc(
            heading=section.heading,
            url=section.url,
            line=section.line,
            untitled=section.untitled,
            level=1 if section.level == 1 else 2,
        )
        doc.note = self.slice(section.note)
        if len(doc.heading) > MAX_HEADING:
            doc.note = doc.heading + ("\n\n" + doc.note if doc.note else "")
            doc.heading = doc.heading[: MAX_HEADING - 1] + "…"
        doc.entries = [self.entry_doc(entry) for entry in section.entries]
        return doc

    def entry_doc(self, entry):
        if entry.url:
            check_url(entry.url, entry.line, self.source)
        children, skip = self.children(entry.body)
        children = getattr(entry, "extra_children", []) + children
        tags = []
        for node in entry.body:
            match = node.type == "html_block" and TAGS_COMMENT.match(node.content.strip())
            if match:
                tags += [tag.strip() for tag in re.split(r"[,，]", match.group(1)) if tag.strip()]
                skip.append(tuple(node.map))
        annotation = self.slice(entry.body, skip)
        if entry.head:
            annotation = entry.head + ("\n\n" + annotation if annotation else "")
        if not entry.title:
            # A numbered quote has no title of its own: its first words stand for it.
            first = next((inline_of(node) for node in entry.body if inline_of(node)), None)
            words = " ".join(plain_text(first).replace("*", "").split()) if first else ""
            entry.title = (words[:79] + "…" if len(words) > 80 else words) or "—"
        if len(entry.title) > MAX_TITLE:
            annotation = entry.title + ("\n\n" + annotation if annotation else "")
            entry.title = entry.title[: MAX_TITLE - 1] + "…"
        return EntryDoc(
            title=entry.title,
            url=entry.url,
            annotation=annotation,
            tags=list(dict.fromkeys(tags)),
            children=children,
            line=entry.line,
            link_source=entry.link_source,
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
                    or parts[1].type not in ("bullet_list", "ordered_list")
                ):
                    continue
                label = plain_text(parts[0].children[0]).strip().rstrip(":：").strip()
                if label not in SIMILAR_LABELS:
                    continue
                links = []
                for sub in parts[1].children:
                    is_paragraph = len(sub.children) == 1 and sub.children[0].type == "paragraph"
                    link = single_link(sub.children[0].children[0]) if is_paragraph else None
                    if link is None or url_problem(link[1]):
                        break
                    links.append((link, sub.map[0] + 1))
                else:
                    for (title, url), line in links:
                        children.append(EntryDoc(title=title, url=url.strip(), line=line))
                    skip.append(tuple(item.map))
        return children, skip


class _Marker:
    """Stands for a section's heading line when sections are folded back into the lede."""

    type = "marker"

    def __init__(self, line):
        self.map = [line, line + 1]


def parse_issue(text, *, source="<text>", number=None, file_name=None, style="auto"):
    """Parse one issue.

    ``file_name`` supplies the number and date when the text names none (without folders,
    but for a month's file in a year's folder: ``2024/05.md``);
    ``number`` does the same directly. ``style`` forces how entries are written:
    ``headings``, ``numbered`` or ``list`` (``auto`` decides from the text)."""
    if "\x00" in text:
        raise ParseError("binary data, not a Markdown text", line=1, source=source)
    date = None
    if file_name:
        stem = file_name.rsplit(".", 1)[0]
        name_number, date = from_file_name(stem)
        number = number or name_number
    parser = _Parser(text, source, style=style)
    parser.file_stem = file_name.rsplit(".", 1)[0] if file_name else ""
    return parser.parse(number=number, date=date)
