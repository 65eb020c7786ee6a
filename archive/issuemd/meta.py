"""Where an issue's number and date come from: its heading, front matter or file name."""

from __future__ import annotations

import datetime
import re

from .numerals import parse_number

_NUMBER_PATTERNS = (
    re.compile(r"第\s*([0-9０-９]+|[零〇一二两三四五六七八九十百千万]+)\s*期"),
    re.compile(r"(?:#|№|\bNo\.?|\bVol\.?|\bIssue)\s*(\d+)", re.IGNORECASE),
)
_DATE_PATTERNS = (
    re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日"),
    re.compile(r"(?<!\d)(\d{4})\s*[-./]\s*(\d{1,2})\s*[-./]\s*(\d{1,2})(?!\d)"),
    re.compile(r"[（(](\d{4})(\d{2})(\d{2})[)）]"),
)
_NAME_NUMBER = (
    re.compile(r"^#\s*(\d+)"),
    re.compile(r"(?:issue|weekly|vol|no|期)[-_ .]*(\d+)$", re.IGNORECASE),
    re.compile(r"^[A-Za-z_\- ]*?(\d+)$"),
)
_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?)\n(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.DOTALL)
_KEY_VALUE = re.compile(r"^([A-Za-z][\w-]*)[ \t]*:[ \t]*(.*?)[ \t]*$")
_KNOWN_KEYS = {"title", "date", "pubdate", "published", "number", "issue"}


def find_number(text):
    for pattern in _NUMBER_PATTERNS:
        match = pattern.search(text)
        if match:
            number = parse_number(match.group(1))
            if number:
                return number
    return None


def find_date(text):
    for pattern in _DATE_PATTERNS:
        for match in pattern.finditer(text):
            year, month, day = (int(group) for group in match.groups())
            try:
                return datetime.date(year, month, day)
            except ValueError:
                continue
    return None


def parse_heading(text):
    """The issue number and date written in a title such as ``2022年03月11日第三期``."""
    return find_number(text), find_date(text)


def from_file_name(stem):
    """(number, date) from a file name such as ``issue-12``, ``#293-2024.06.17`` or
    ``2023-05-13-weekly``."""
    date = find_date(stem)
    rest = stem
    for pattern in _DATE_PATTERNS:
        rest = pattern.sub("", rest)
    rest = rest.strip("-_ .")
    for pattern in _NAME_NUMBER:
        match = pattern.search(rest)
        if match:
            return int(match.group(1)), date
    return None, date


def _unquote(value):
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        return value[1:-1]
    return value


def split_front_matter(text):
    """({key: value}, text) with the front matter replaced by blank lines, so that line
    numbers stay those of the file. YAML (``---``) and ``Key: Value`` headers are read."""
    match = _FRONT_MATTER.match(text)
    if match:
        lines = match.group(0).count("\n")
        body = match.group(1).split("\n")
    else:
        head = text.split("\n\n", 1)[0].split("\n")
        pairs = [_KEY_VALUE.match(line) for line in head]
        if len(head) < 2 or not all(pairs) or not {m.group(1).lower() for m in pairs} & _KNOWN_KEYS:
            return {}, text
        lines = len(head)
        body = head
    meta = {}
    for line in body:
        pair = _KEY_VALUE.match(line)
        if pair:
            meta[pair.group(1).lower()] = _unquote(pair.group(2))
    rest = text.split("\n", lines)[lines] if text.count("\n") >= lines else ""
    return meta, "\n" * lines + rest
