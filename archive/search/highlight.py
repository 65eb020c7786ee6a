"""Snippets with the matched words marked, escaped before anything is marked."""

import re

from django.utils.html import escape
from django.utils.safestring import mark_safe

from .documents import text_of
from .tokens import is_han, normalize

SNIPPET = 180


def _pattern(words):
    cleaned = sorted({normalize(word).strip('"').strip() for word in words}, key=len)
    cleaned = [word for word in cleaned if word]
    if not cleaned:
        return None
    return re.compile("|".join(_word_pattern(word) for word in reversed(cleaned)), re.IGNORECASE)


def _word_pattern(word):
    """A word or phrase as a pattern: any space between its words, and none or any between
    Chinese characters, as the search itself reads them (``数据 库`` marks 数据库)."""
    pieces = word.split()
    pattern = re.escape(pieces[0])
    for before, after in zip(pieces, pieces[1:], strict=False):
        between = r"\s*" if is_han(before[-1]) and is_han(after[0]) else r"\s+"
        pattern += between + re.escape(after)
    return pattern


def mark(text, words):
    """``text`` escaped, with every occurrence of ``words`` in <mark>."""
    pattern = _pattern(words)
    if pattern is None:
        return escape(text)
    folded = normalize(text)
    if len(folded) != len(text):  # NFKC changed lengths: mark nothing rather than misplace
        return escape(text)
    parts, last = [], 0
    for match in pattern.finditer(folded):
        parts += [
            escape(text[last : match.start()]),
            f"<mark>{escape(text[match.start() : match.end()])}</mark>",
        ]
        last = match.end()
    parts.append(escape(text[last:]))
    return mark_safe("".join(parts))


def snippet(annotation_html, words, size=SNIPPET):
    """A stretch of the annotation's text around the first matched word, marked."""
    text = " ".join(text_of(annotation_html).split())
    pattern = _pattern(words)
    start = 0
    if pattern is not None and len(normalize(text)) == len(text):
        found = pattern.search(normalize(text))
        if found:
            start = max(found.start() - size // 3, 0)
    piece = text[start : start + size]
    prefix = "…" if start > 0 else ""
    suffix = "…" if start + size < len(text) else ""
    return mark_safe(escape(prefix) + mark(piece, words) + escape(suffix))
