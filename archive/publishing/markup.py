"""Markdown to safe HTML, for annotations, notes and ledes.

markdown-it-py renders; nh3 (the Rust ammonia sanitiser) then keeps an allow-list of tags and
attributes and only http, https and mailto URLs. Raw HTML in the source is allowed through the
renderer and left to the sanitiser, so an editor's ``<img>`` survives and a ``<script>`` does not.
"""

import nh3
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

_md = MarkdownIt("commonmark", {"html": True, "typographer": False}).enable(
    ["table", "strikethrough"]
)


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


def render_markdown(text):
    """Sanitised HTML for a Markdown text; "" for an empty one."""
    if not text or not text.strip():
        return ""
    return sanitize_html(_md.render(text)).strip()
