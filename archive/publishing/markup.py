"""Markdown to safe HTML, for annotations, notes and ledes.

Bare addresses become links as GitHub makes them (``https://…``, ``www.…``, e-mail
addresses; not a bare ``example.com``), ending where Chinese punctuation begins.

markdown-it-py renders; nh3 (the Rust ammonia sanitiser) then keeps an allow-list of tags and
attributes and only http, https and mailto URLs. Raw HTML in the source is allowed through the
renderer and left to the sanitiser, so an editor's ``<img>`` survives and a ``<script>`` does not.
"""

import re

import nh3
from linkify_it import LinkifyIt
from markdown_it import MarkdownIt

ALLOWED_TAGS = {
    "a",
    "abbr",
    "b",
    "blockquote",
    "br",
    "code",
    "del",
    "details",
    "em",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "i",
    "img",
    "kbd",
    "li",
    "mark",
    "ol",
    "p",
    "pre",
    "s",
    "strong",
    "sub",
    "summary",
    "sup",
    "table",
    "tbody",
    "td",
    "th",
    "thead",
    "tr",
    "u",
    "ul",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "td": {"align"},
    "th": {"align"},
    "ol": {"start"},
}
URL_SCHEMES = {"http", "https", "mailto"}

# Where a bare address ends in Chinese text: at the first full-width punctuation mark or
# space (``见https://example.com/a，更多`` links ``https://example.com/a``).
_CJK_STOP = re.compile(r"[\u3000-\u303f\uff01-\uff0f\uff1a-\uff20\uff3b-\uff40\uff5b-\uff65]")


class _Linkify(LinkifyIt):
    """linkify-it as GitHub links bare addresses: a fuzzy ``example.com`` stays text."""

    def match(self, text):
        return [found for found in map(_trimmed, super().match(text) or []) if found] or None

    def match_at_start(self, text):
        found = super().match_at_start(text)
        return _trimmed(found) if found else None


def _trimmed(found):
    if found.schema == "" and not found.text.lower().startswith("www."):
        return None
    stop = _CJK_STOP.search(found.text)
    if stop:
        cut = len(found.text) - stop.start()
        if stop.start() == 0 or len(found.url) < cut:
            return None
        found.text = found.text[: stop.start()]
        found.url = found.url[:-cut]
        found.raw = found.raw[:-cut] if len(found.raw) >= cut else found.raw
        found.last_index -= cut
    return found


_md = MarkdownIt("commonmark", {"html": True, "typographer": False, "linkify": True}).enable(
    ["table", "strikethrough", "linkify"]
)
_md.linkify = _Linkify()


def _secure_images(tag, attribute, value):
    """An image is fetched over https: a browser on an https page upgrades or blocks an
    http one anyway, and says so in its console."""
    if tag == "img" and attribute == "src" and value.startswith("http://"):
        return "https://" + value[len("http://") :]
    return value


def sanitize_html(html, base=None):
    """The allowed subset of ``html``, images loaded lazily and over https; with ``base``
    (``https://example.com/``), relative URLs made absolute against it, as a feed's content
    needs them."""
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        attribute_filter=_secure_images,
        # One attribute only: nh3 adds several in no fixed order, and pages must not change
        # from one rendering to the next (ETags).
        set_tag_attribute_values={"img": {"loading": "lazy"}},
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        url_relative=("rewrite_with_base", base) if base else None,
    )


def render_markdown(text, references=""):
    """Sanitised HTML for a Markdown text; "" for an empty one. ``references`` are the
    issue's reference-style link definitions (``[1]: https://…``) the text may use."""
    if not text or not text.strip():
        return ""
    if references:
        text = f"{text}\n\n{references}"
    return sanitize_html(_md.render(text)).strip()
