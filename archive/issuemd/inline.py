"""Inline Markdown and URLs, for the parser: plain text of a node, the links in it, what
an address may be, and click-tracking redirects unwrapped. No Django."""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlsplit

from markdown_it import MarkdownIt
from markdown_it.tree import SyntaxTreeNode

from .docs import ParseError

SIMILAR_LABELS = ("相似的还有", "类似的还有", "相似的项目还有", "类似项目")
ALLOWED_SCHEMES = ("http", "https")
DANGEROUS_SCHEMES = ("javascript", "data", "vbscript", "file")
ENTRY_STYLES = ("auto", "headings", "numbered", "list")
MAX_URL, MAX_TITLE, MAX_HEADING = 2000, 1000, 200  # what the database stores

ENTRY_COMMENT = re.compile(r"^<!--\s*entry\s*-->$", re.IGNORECASE)
TAGS_COMMENT = re.compile(r"^<!--\s*tags\s*[:：]\s*(.*?)\s*-->\s*$", re.IGNORECASE)
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
NUMBERED = re.compile(r"^\s*(\d{1,4})\s*[、．.]\s*")
CIRCLED = re.compile(r"^\s*[\u2460-\u2473\u3251-\u325f\u32b1-\u32bf]")
SEPARATOR = re.compile(r"^[\s:：，,、\-—–|]+")
FIELD = re.compile(
    r"^\s*(?:链接|地址|项目地址|网址|原文|URL|Link|Website|Homepage)\s*[:：]\s*", re.IGNORECASE
)
# The label of a line that carries an entry's annotation under a ``### Title``: dropped, the
# text kept.
ANNOTATION_FIELD = re.compile(
    r"^\s*(?:介绍|简介|描述|说明|推荐理由|Description|Summary|Notes?|Why)\s*[:：]\s*", re.IGNORECASE
)
# A reference-style link: [text][label], [text][] or [text].
REFERENCE_LINK = re.compile(r"\[((?:[^\[\]\\]|\\.)*)\](?:\[((?:[^\[\]\\]|\\.)*)\])?(?![(:])")
BROKEN_LINK = re.compile(r"\[[^\]]*\]\((?:https?:)?//[^)\s]*$")
BARE_URL = re.compile(r"^<?(https?://[^\s<>]+)>?$")
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


MARKDOWN = _markdown_parser()


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


def meaningful_children(children):
    return [
        child
        for child in children
        if not (child.type == "text" and not child.content.strip())
        and child.type not in ("softbreak", "hardbreak")
    ]


def single_link(inline):
    """(title, url) when an inline node is one link and nothing else, else None."""
    meaningful = meaningful_children(inline.children)
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


def inline_of(node):
    if node.type in ("paragraph", "heading") and node.children:
        return node.children[0]
    return None


def special_slug(text):
    """A special issue's slug: ``2023-12-11-sweekly``, ``第一季精华合集``."""
    return re.sub(r"[^\w-]+", "-", text.strip().lower()).strip("-_")[:80]


def plain_text_of(node):
    if node.type == "code_inline":
        return f"{node.markup}{node.content}{node.markup}"
    return f"{node.markup}{plain_text(node)}{node.markup}"


def reference_key(label):
    """A reference label as markdown-it keys it: whitespace collapsed, case folded."""
    return " ".join(label.split()).lower().upper()


def reference_says(link_source, references, title, url):
    """Whether a reference-style link as written (``[title][1]``) still says ``title`` and
    ``url`` with the issue's ``references``: an editor may have changed either since."""
    if not link_source or not references:
        return False

    root = SyntaxTreeNode(MARKDOWN.parse(f"{link_source}\n\n{references}"))
    paragraph = root.children[0] if root.children else None
    inline = inline_of(paragraph) if paragraph is not None else None
    links = [child for child in inline.children if child.type == "link"] if inline else []
    return (
        len(links) == 1
        and links[0].attrs.get("href") == url
        and plain_text(links[0]).strip() == title
    )
