"""What a link is indexed as, from its values alone (no Django here, so that a rebuild can
compute documents in worker processes).

SQLite indexes four token texts (FTS5). PostgreSQL indexes a weighted tsvector, the
``document``, and ranks on a smaller one, the ``heading`` (title, tags and category). Besides
its words with their positions, the document holds position-less lexemes that let the GIN index
answer more than words (each starts with a character no word token has):

- prefixes and pairs of words (``>pyth``, ``deep dive``; archive.search.tokens.analyse);
- what searches filter on: ``~c`` category id, ``~t`` tag id, ``~d`` domain, ``~y`` year;
- recency: the link id's bucket at each of RECENCY_LEVELS (2^10, 2^13, 2^16 ids). A search reads
  ``words & (newest bucket | the one before)`` first, and GIN skips straight to those ids
  instead of reading every match of a common word (archive.search.engine).
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from .tokens import MAX_TOKEN, analyse

RECENCY_LEVELS = (10, 13, 16)  # older than 2^16 ids back, a search reads all that is left
MAX_POSITION = 16383  # PostgreSQL's; it keeps 256 positions of each lexeme


def recency_lexeme(level, bucket):
    return f"~{level}.{bucket}"


def category_lexeme(category_id):
    return f"~c{category_id}"


def tag_lexeme(tag_id):
    return f"~t{tag_id}"


def domain_lexeme(domain):
    # No quote or backslash, which tsvector text is written without escaping.
    return "~d" + domain.replace("'", "").replace("\\", "")


def year_lexeme(year):
    return f"~y{year}"


_TAG = re.compile(r"<[^>]*>")


def text_of(annotation_html):
    """The text of sanitised HTML (the annotation as rendered), for tokens and snippets."""
    return html.unescape(_TAG.sub(" ", annotation_html))


@dataclass
class LinkValues:
    """What indexing reads of a link."""

    link_id: int
    title: str
    url: str
    domain: str
    annotation_html: str
    category_id: int
    category: str
    issue_id: int
    issue_number: int | None
    published_at: object  # datetime or None
    year: int | None
    tags: list  # [(tag id, tag name)]


def fields(link):
    """The four weighted fields as [(tokens, prefix and pair lexemes, weight)]: title; tags
    and category; annotation; address (which has no prefix lexemes: ``>htt`` would be in
    every entry)."""
    address = f"{link.url} {link.domain}" if link.url else ""
    return [
        (*analyse(link.title), "A"),
        (*analyse(", ".join([*(name for _id, name in link.tags), link.category])), "B"),
        (*analyse(text_of(link.annotation_html)), "C"),
        (*analyse(address, prefixes=False), "D"),
    ]


def filter_lexemes(link):
    lexemes = [recency_lexeme(level, link.link_id >> level) for level in RECENCY_LEVELS]
    lexemes.append(category_lexeme(link.category_id))
    lexemes.extend(tag_lexeme(tag_id) for tag_id, _name in link.tags)
    if link.domain:
        lexemes.append(domain_lexeme(link.domain))
    if link.year is not None:
        lexemes.append(year_lexeme(link.year))
    return lexemes


def _positioned(weighted):
    """Each field's tokens with their positions and weight, in tsvector text form. Positions
    run on across fields with a gap between them, so no phrase spans two fields. A token is
    written once per position; PostgreSQL merges them. Tokens are letters and digits, and no
    lexeme here holds a quote or a backslash, so nothing needs escaping."""
    parts = []
    position = 1
    for tokens, weight in weighted:
        room = max(MAX_POSITION - position + 1, 0)
        parts.append(
            [
                f"'{token}':{place}{weight}"
                for place, token in enumerate(tokens[:room], position)
                if len(token) <= MAX_TOKEN
            ]
        )
        position += len(tokens) + 1
    return parts


def tsvectors(link):
    """The document and the heading of a link, in tsvector text form. The heading holds the
    prefix and pair lexemes of its fields, which ranked queries are made of."""
    analysed = fields(link)
    title, tags, annotation, address = _positioned([(t, w) for t, _x, w in analysed])
    heading = title + tags + [f"'{lexeme}'" for _t, extra, _w in analysed[:2] for lexeme in extra]
    rest = annotation + address
    rest += [f"'{lexeme}'" for _t, extra, _w in analysed[2:] for lexeme in extra]
    rest += [f"'{lexeme}'" for lexeme in filter_lexemes(link)]
    return " ".join(heading + rest), " ".join(heading)


def copy_text(links):
    """The links' rows of archive_searchentry in COPY's text format, COPY_COLUMNS in order:
    built here rather than row by row by the driver, so that rebuild workers do it all."""
    lines = []
    for link in links:
        document, heading = tsvectors(link)
        published_at = link.published_at.isoformat() if link.published_at else r"\N"
        values = (
            str(link.link_id),
            str(link.issue_id),
            r"\N" if link.issue_number is None else str(link.issue_number),
            published_at,
            str(link.category_id),
            _copy_escape(link.domain),
            r"\N" if link.year is None else str(link.year),
            "",  # title, meta, body, address: SQLite's
            "",
            "",
            "",
            _copy_escape(document),
            _copy_escape(heading),
        )
        lines.append("\t".join(values) + "\n")
    return "".join(lines)


def _copy_escape(text):
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


COPY_COLUMNS = (
    "link_id",
    "issue_id",
    "issue_number",
    "published_at",
    "category_id",
    "domain",
    "year",
    "title",
    "meta",
    "body",
    "address",
    "document",
    "heading",
)
