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
  form), from YAML or ``Key: Value`` front matter, or from the file name;
- sections as H2, as H3 under one H2, or as bold lines (``**[分类](url)**``);
- entries as link headings (``### 🐎 [title](url)``), numbered paragraphs (``N、[title](url)：
  text``), bullet or ordered list items starting with a link, a bold title over a bare URL, a
  plain heading followed by a ``链接：URL`` field, a paragraph ``[@name](url)：text`` that
  opens a section, and numbered items with no link at all (quotes), kept as text entries.
"""

from __future__ import annotations

import re
import textwrap
from collections import Counter
from urllib.parse import parse_qsl, urlsplit

from markdown_it import MarkdownIt
from markdown_it.tree import SyntaxTreeNode

from .docs import EntryDoc, IssueDoc, ParseError, SectionDoc
from .meta import find_date, from_file_name, parse_heading, split_front_matter
from .render import default_title

SIMILAR_LABELS = ("相似的还有", "类似的还有", "相似的项目还有", "类似项目")
ALLOWED_SCHEMES = ("http", "https")
DANGEROUS_SCHEMES = ("javascript", "data", "vbscript", "file")
ENTRY_STYLES = ("auto", "headings", "numbered", "list")
MAX_URL, MAX_TITLE, MAX_HEADING = 2000, 1000, 200  # what the database stores

ENTRY_COMMENT = re.compile(r"^<!--\s*entry\s*-->$", re.IGNORECASE)
TAGS_COMMENT = re.compile(r"^<!--\s*tags\s*[:：]\s*(.*?)\s*-->\s*$", re.IGNORECASE)
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
_NUMBERED = re.compile(r"^\s*(\d{1,4})\s*[、．.]\s*")
_CIRCLED = re.compile(r"^\s*[\u2460-\u2473\u3251-\u325f\u32b1-\u32bf]")
_SEPARATOR = re.compile(r"^[\s:：，,、\-—–|]+")
_FIELD = re.compile(
    r"^\s*(?:链接|地址|项目地址|网址|原文|URL|Link|Website|Homepage)\s*[:：]\s*", re.IGNORECASE
)
_BROKEN_LINK = re.compile(r"\[[^\]]*\]\((?:https?:)?//[^)\s]*$")
_BARE_URL = re.compile(r"^<?(https?://[^\s<>]+)>?$")
_REDIRECT_PARAMS = ("target", "url", "to", "redirect", "redirect_url", "u", "dest")
_REDIRECT_PATHS = ("click", "redirect", "jump", "goto", "out", "track", "link")


_SOURCE_URL = re.compile(r"https?://[^\s<>\"'`)\]]+")


def source_urls(text):
    """Every http(s) URL written in a Markdown text, links and bare URLs alike."""
    return [url.rstrip(".,;:!?，。；：") for url in _SOURCE_URL.findall(clean_text(text))]


def missing_urls(text, doc):
    """The URLs of a source text that a parsed or stored issue does not hold."""
    held = doc.all_text()
    return [
        url for url in source_urls(text) if url not in held and unwrap_redirect(url) not in held
    ]


def _markdown_parser():
    md = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])
    # Keep every URL exactly as written: the parser judges them itself, with a line number,
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
        elif child.type == "image":
            continue
        else:
            parts.append(plain_text(child))
    return "".join(parts)


def _meaningful(children):
    return [
        child
        for child in children
        if not (child.type == "text" and not child.content.strip())
        and child.type not in ("softbreak", "hardbreak")
    ]


def single_link(inline):
    """(title, url) when an inline node is one link and nothing else, else None."""
    meaningful = _meaningful(inline.children)
    if len(meaningful) == 1 and meaningful[0].type == "link":
        link = meaningful[0]
        return plain_text(link).strip(), link.attrs["href"]
    return None


def links_of(node):
    found = []
    for child in node.children:
        if child.type == "link":
            found.append(child)
        found.extend(links_of(child))
    return found


def unwrap_redirect(url):
    """The real URL behind a click-tracking redirect (``…/click?target=https://…``)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    if not parts.query or not any(word in parts.path.lower() for word in _REDIRECT_PATHS):
        return url
    for name, value in parse_qsl(parts.query):
        if name.lower() in _REDIRECT_PARAMS and value.startswith(("http://", "https://")):
            return value
    return url


def url_problem(url):
    """None for an http(s) URL with a host; else what is wrong with it."""
    try:
        parts = urlsplit(url.strip())
        scheme, host = parts.scheme.lower(), parts.hostname
    except ValueError:
        return "is not a valid URL"
    if scheme in ALLOWED_SCHEMES and host:
        return None
    return "is not an http(s) URL"


def check_url(url, line, source):
    """Refuse a dangerous link outright: a ``javascript:`` entry fails the file."""
    scheme = url.strip().split(":", 1)[0].lower() if ":" in url else ""
    if scheme in DANGEROUS_SCHEMES or (url_problem(url) and scheme in ALLOWED_SCHEMES):
        shown = url if len(url) <= 80 else url[:77] + "..."
        raise ParseError(
            f"link {shown!r} is not an http(s) URL; only http and https links are accepted",
            line=line,
            source=source,
        )


def _inline(node):
    if node.type in ("paragraph", "heading") and node.children:
        return node.children[0]
    return None


class _Entry:
    """An entry being read: where it starts, and the blocks that follow it."""

    def __init__(self, title, url, line, head="", body=None, kind="paragraph"):
        self.title, self.url, self.line = title, url, line
        self.head = head  # Markdown of the entry's own line after its link
        self.body = body if body is not None else []
        self.kind = kind


class _Section:
    def __init__(self, heading, line, url="", level=2):
        self.heading, self.line, self.url, self.level = heading, line, url, level
        self.note = []
        self.entries = []
        self.start = line - 1  # first source line (0-based) of the section's heading


class _Parser:
    def __init__(self, text, source, style="auto"):
        if style not in ENTRY_STYLES:
            raise ValueError(f"unknown entry style {style!r}; choose from {ENTRY_STYLES}")
        self.source = source
        self.style = style
        self.text = clean_text(text)
        self.meta, self.text = split_front_matter(self.text)
        self.lines = self.text.split("\n")
        self.warnings = []
        self.file_stem = ""

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
        ]
        return "\n".join(kept).strip("\n").rstrip()

    def source_of(self, node):
        return "\n".join(self.lines[node.map[0] : node.map[1]])

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

    # Classifying blocks ----------------------------------------------------------------------

    def link_entry(self, node, text_source, inline, line, numbered=False, kind="paragraph"):
        """An entry from an inline that starts (after an optional ``N、``) with a link."""
        children = list(inline.children)
        if numbered:
            first = children[0]
            rest = _NUMBERED.sub("", first.content, count=1)
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
        head = _SEPARATOR.sub("", split[1]).strip() if split else text_source.strip()
        title = ("".join(prefix) + plain_text(link)).strip()
        return _Entry(title or url, unwrap_redirect(url), line, head=head, kind=kind)

    def entry_start(self, node, following):
        """The entry that ``node`` starts, when it starts one, else None.

        ``following`` is the next block, for entries spread over two (a bold title over a
        bare URL)."""
        line = node.map[0] + 1
        inline = _inline(node)
        if node.type == "paragraph" and inline is not None and inline.children:
            children = inline.children
            first = children[0]
            source = self.source_of(node)
            # N、[title](url) rest
            if first.type == "text" and _NUMBERED.match(first.content):
                first_line = source.split("\n", 1)[0]
                if not links_of(inline) and _BROKEN_LINK.search(first_line):
                    raise self.error(f"broken link syntax in {first_line.strip()!r}", line)
                if self.style in ("auto", "numbered"):
                    entry = self.link_entry(node, source, inline, line, numbered=True)
                    if entry:
                        return entry
                    return self.text_entry(node, inline, line)
                return None
            # **N、title**: a numbered item without a link
            meaningful = _meaningful(children)
            bold = meaningful[0] if len(meaningful) == 1 else None
            if (
                bold is not None
                and bold.type == "strong"
                and bold.children
                and bold.children[0].type == "text"
                and _NUMBERED.match(bold.children[0].content)
                and not links_of(bold)
            ):
                return self.text_entry(node, inline, line) if self.style != "list" else None
            # **Title** followed by a bare URL, on the next line or the next paragraph
            bold_title = self.bold_title_with_url(inline, following)
            if bold_title:
                return bold_title
        return None

    def opening_link_paragraph(self, node):
        """``[@摸鱼周报 #11](url)：text``: a paragraph that opens with a link and a colon."""
        inline = _inline(node)
        if node.type != "paragraph" or inline is None or not inline.children:
            return None
        children = inline.children
        if children[0].type != "link" or len(children) < 2 or children[1].type != "text":
            return None
        if not children[1].content.lstrip().startswith((":", "：")):
            return None
        return self.link_entry(node, self.source_of(node), inline, node.map[0] + 1)

    def bold_title_with_url(self, inline, following):
        children = _meaningful(inline.children)
        if not children or children[0].type != "strong" or links_of(children[0]):
            return None
        title = plain_text(children[0]).strip()
        rest = children[1:]
        url = None
        if len(rest) == 1 and rest[0].type == "text":
            match = _BARE_URL.match(rest[0].content.strip())
            url = match.group(1) if match else None
        elif not rest and following is not None and following.type == "paragraph":
            following_children = _meaningful(_inline(following).children)
            if len(following_children) == 1 and following_children[0].type == "text":
                match = _BARE_URL.match(following_children[0].content.strip())
                if match:
                    url = match.group(1)
                    following.consumed = True
        if not url or not title or len(title) > 200:
            return None
        return _Entry(title, unwrap_redirect(url), inline.map[0] + 1 if inline.map else 0)

    def text_entry(self, node, inline, line):
        """A numbered item with no link (a quote, an announcement): kept as a text entry."""
        if links_of(inline):
            return None
        text = _NUMBERED.sub("", plain_text(inline).replace("**", "").strip(), count=1)
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
            inline = _inline(paragraph)
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
        inline = _inline(node)
        if node.type != "paragraph" or inline is None:
            return None
        children = _meaningful(inline.children)
        if len(children) != 1 or children[0].type != "strong":
            return None
        text = plain_text(children[0]).strip()
        if not text or len(text) > 50 or _NUMBERED.match(text) or following is None:
            return None
        next_inline = _inline(following)
        next_text = plain_text(next_inline) if next_inline is not None else ""
        opens_items = (
            following.type in ("bullet_list", "ordered_list")
            or _CIRCLED.match(next_text)
            or _NUMBERED.match(next_text)
        )
        if not opens_items:
            return None
        links = links_of(children[0])
        url = links[0].attrs["href"] if links and not url_problem(links[0].attrs["href"]) else ""
        return _Section(text, node.map[0] + 1, url=url, level=7)

    def field_entry(self, heading, following):
        """``### Title`` followed by ``链接：URL``: the URL comes from the field."""
        if following is None or following.type != "paragraph":
            return None
        inline = _inline(following)
        children = inline.children
        if not children or children[0].type != "text" or not _FIELD.match(children[0].content):
            return None
        label_rest = _FIELD.sub("", children[0].content, count=1).strip()
        url = None
        if label_rest:
            match = _BARE_URL.match(label_rest.split()[0])
            url = match.group(1) if match else None
        elif len(children) > 1 and children[1].type == "link":
            url = children[1].attrs["href"]
        if not url or url_problem(url):
            return None
        following.field_line = following.map[0]
        return _Entry(
            plain_text(_inline(heading)).strip(),
            unwrap_redirect(url),
            heading.map[0] + 1,
            kind="heading",
        )

    # Walking the document --------------------------------------------------------------------

    def levels(self, nodes):
        """(section level, entry heading level or None), from what the document holds."""
        heading_links = Counter()
        for node in nodes:
            if node.type == "heading" and node.tag != "h1":
                inline = _inline(node)
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
        root = SyntaxTreeNode(_MD.parse(self.text))
        nodes = list(root.children)
        title, heading_line, first = "", None, 0
        for index, node in enumerate(nodes):
            if node.type == "heading" and node.tag == "h1":
                title, heading_line = plain_text(_inline(node)).strip(), node.map[0] + 1
                first = index + 1
                break
            if node.type not in ("html_block",) and not (
                node.type == "paragraph" and not plain_text(_inline(node)).strip()
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
                inline = _inline(node)
                text = plain_text(inline).strip() if inline is not None else ""
                links = links_of(inline) if inline is not None else []
                if level >= 3 and not links and _BROKEN_LINK.search(text):
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
                    if entry is None or entry.kind in ("paragraph", "list", "text")
                    else None
                )
                if bold is not None:
                    open_section(bold)
                    continue
            if node.type != "heading" and section is not None:
                started = None
                if entry is None or entry.kind in ("paragraph", "list", "text"):
                    if not entry_level:
                        started = self.entry_start(node, following)
                    if started is None and entry is None:
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
        doc = IssueDoc(number=number, title=title, date=date, slug=slug)

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
        return "\n".join(self.lines[start:end]).strip("\n").rstrip()

    def section_doc(self, section):
        doc = SectionDoc(heading=section.heading, url=section.url, line=section.line)
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
            field_line = getattr(node, "field_line", None)
            if field_line is not None:
                skip.append((field_line, field_line + 1))
        annotation = self.slice(entry.body, skip)
        if entry.head:
            annotation = entry.head + ("\n\n" + annotation if annotation else "")
        if not entry.title:
            # A numbered quote has no title of its own: its first words stand for it.
            first = next((_inline(node) for node in entry.body if _inline(node)), None)
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


def special_slug(text):
    """A special issue's slug: ``2023-12-11-sweekly``, ``第一季精华合集``."""
    return re.sub(r"[^\w-]+", "-", text.strip().lower()).strip("-_")[:80]


def plain_text_of(node):
    if node.type == "code_inline":
        return f"{node.markup}{node.content}{node.markup}"
    return f"{node.markup}{plain_text(node)}{node.markup}"


def parse_issue(text, *, source="<text>", number=None, file_name=None, style="auto"):
    """Parse one issue.

    ``file_name`` (without folders) supplies the number and date when the text names none;
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
