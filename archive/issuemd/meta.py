"""Where an issue's number and date come from: its heading, front matter or file name."""

from __future__ import annotations

import datetime
import re
import tomllib
from email.parser import HeaderParser

import yaml

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
    re.compile(r"^(\d+)(?:[-_ .]+[^\d\W]|$)"),
    re.compile(r"(?:issue|weekly|vol|no|期)[-_ .]*(\d+)$", re.IGNORECASE),
    re.compile(r"^[A-Za-z_\- ]*?(\d+)$"),
)
# Front matter: YAML between ``---`` lines, TOML between ``+++`` lines (Hugo, Zola), or a
# Pelican / MultiMarkdown header of ``Key: Value`` lines before the first blank line.
_FENCED = re.compile(r"\A(---|\+\+\+)[ \t]*\n(.*?)\n(---|\.\.\.|\+\+\+)[ \t]*(?:\n|\Z)", re.DOTALL)
_HEADER_LINE = re.compile(r"^([A-Za-z][\w-]*)[ \t]*:[ \t]*(.*?)[ \t]*$")
_KNOWN_KEYS = {"title", "date", "pubdate", "published", "number", "issue", "slug"}
# Front matter keys, the first one of each written when a key must be added.
FRONT_MATTER_KEYS = {
    "number": ("number", "issue"),
    "slug": ("slug",),
    "date": ("date", "pubdate", "published"),
    "title": ("title",),
    "description": ("description", "summary"),
    "image": ("image", "cover"),
}
KNOWN_FRONT_MATTER = {name for names in FRONT_MATTER_KEYS.values() for name in names}


def find_number(text):
    for pattern in _NUMBER_PATTERNS:
        match = pattern.search(text)
        if match:
            number = parse_number(match.group(1))
            if number:
                return number
    return None


# Between two dates, what makes them a range (``2024.05.06 - 2024.05.12``, ``5月6日至12日``):
# an issue of a range is dated by its last day.
_RANGE_BETWEEN = re.compile(r"^\s*(?:[-~～–—_]|至|到|to)\s*$", re.IGNORECASE)
_COMPACT_DATE = re.compile(r"(?<!\d)((?:19|20)\d{2})(\d{2})(\d{2})(?!\d)")


def _dates(text, patterns):
    found = []
    for pattern in patterns:
        for match in pattern.finditer(text):
            year, month, day = (int(group) for group in match.groups())
            try:
                found.append((match.start(), match.end(), datetime.date(year, month, day)))
            except ValueError:
                continue
        if found:
            break
    return sorted(found)


def find_date(text, patterns=_DATE_PATTERNS):
    """The date a text names; of a range of two, the last day."""
    found = _dates(text, patterns)
    if not found:
        return None
    if len(found) >= 2 and _RANGE_BETWEEN.match(text[found[0][1] : found[1][0]]):
        return max(found[0][2], found[1][2])
    return found[0][2]


def parse_heading(text):
    """The issue number and date written in a title such as ``2022年03月11日第三期``."""
    return find_number(text), find_date(text)


_MONTH_FILE = re.compile(r"^((?:19|20)\d{2})/(\d{1,2})$")  # docs/2024/05.md


def _without_dates(stem):
    rest = stem
    for pattern in (*_DATE_PATTERNS, _COMPACT_DATE):
        rest = pattern.sub("", rest)
    return rest.strip("-_ .~")


def from_file_name(stem):
    """(number, date) from a file name such as ``issue-12``, ``#293-2024.06.17``,
    ``2023-05-13-weekly``, ``150-some-title``, ``20240506-20240512`` (a week: its last day)
    or ``2024/05`` (a month a file, in a year's folder: dated the month's first day)."""
    month = _MONTH_FILE.match(stem)
    if month and 1 <= int(month.group(2)) <= 12:
        return None, datetime.date(int(month.group(1)), int(month.group(2)), 1)
    stem = stem.rsplit("/", 1)[-1]
    date = find_date(stem) or find_date(stem, (_COMPACT_DATE,))
    rest = _without_dates(stem)
    for pattern in _NAME_NUMBER:
        match = pattern.search(rest)
        if match:
            return int(match.group(1)), date
    return None, date


_GENERIC_WORDS = {"issue", "weekly", "vol", "no", "newsletter", "index", "readme"}


def title_from_file_name(stem):
    """The words a file name gives after its number or date (``150-some-title``,
    ``2024-05-13-some-title``: "some title"), for an issue whose text has no title; ""
    when there are none worth having."""
    stem = stem.rsplit("/", 1)[-1]
    dated = find_date(stem)
    rest = stem
    if dated is not None:
        found = _dates(stem, _DATE_PATTERNS)
        if found[0][0] > 0:
            return ""  # words before the date: a name, not a title
        rest = stem[found[-1][1] :]
    else:
        match = re.match(r"^#?\d+(?=[-_ .])", stem)
        if match is None:
            return ""
        rest = stem[match.end() :]
    words = [word for word in re.split(r"[-_ .]+", rest) if word]
    if not words or all(word.lower() in _GENERIC_WORDS for word in words):
        return ""
    if not any(char.isalpha() for char in "".join(words)):
        return ""
    return " ".join(words)


class FrontMatterError(ValueError):
    """Front matter that its own format cannot read (``line`` is 1-based, in the file)."""

    def __init__(self, message, line=1):
        super().__init__(message)
        self.line = line


class FrontMatter(dict):
    """An issue's front matter: its keys lower-cased, dates written as ISO dates, as a dict;
    ``format`` (``yaml``, ``toml``, ``headers``) and ``text``, the block exactly as written
    (kept, unknown keys and all, and written back on export)."""

    def __init__(self, data=(), format="", text=""):
        super().__init__(data)
        self.format = format
        self.text = text


def _plain(value):
    """A front matter value as the archive keeps it: dates as ISO text, tables and lists
    of plain values."""
    if isinstance(value, datetime.datetime):
        return value.date().isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(key): _plain(inner) for key, inner in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(inner) for inner in value]
    return value


def _load_fenced(fence, body):
    try:
        data = tomllib.loads(body) if fence == "+++" else yaml.safe_load(body)
    except tomllib.TOMLDecodeError as error:
        raise FrontMatterError(f"TOML front matter: {error}") from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 2 if mark is not None else 1
        problem = getattr(error, "problem", None) or str(error)
        raise FrontMatterError(f"YAML front matter: {problem}", line) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise FrontMatterError("front matter is not a set of keys and values")
    return data


def _load_headers(head):
    """A Pelican / MultiMarkdown header, read as the RFC 822 header it is (``Key: Value``,
    continuation lines indented), by the standard library's parser."""
    message = HeaderParser().parsestr("\n".join(head) + "\n\n")
    return {key: " ".join(value.split()) for key, value in message.items()}


def split_front_matter(text):
    """(FrontMatter, text) with the front matter replaced by blank lines, so that line
    numbers stay those of the file. YAML and TOML are read by PyYAML and tomllib; a header
    of ``Key: Value`` lines only when it names one of the keys an issue has (``Title:``,
    ``Date:``, …), so that a first paragraph such as ``Note: …`` stays text."""
    match = _FENCED.match(text)
    if match and (match.group(1) == "+++") == (match.group(3) == "+++"):
        fence = match.group(1)
        data = _load_fenced(fence, match.group(2))
        block = match.group(0)
        kind = "toml" if fence == "+++" else "yaml"
    else:
        head = text.split("\n\n", 1)[0].split("\n")
        pairs = [_HEADER_LINE.match(line) for line in head]
        continued = [
            bool(pair) or (index > 0 and line[:1] in " \t")
            for index, (line, pair) in enumerate(zip(head, pairs, strict=True))
        ]
        names = {pair.group(1).lower() for pair in pairs if pair}
        if len(head) < 2 or not all(continued) or not names & _KNOWN_KEYS:
            return FrontMatter(), text
        data = _load_headers(head)
        block = "\n".join(head) + ("\n" if "\n\n" in text else "")
        kind = "headers"
    meta = FrontMatter(
        {str(key).lower(): _plain(value) for key, value in data.items()}, kind, block
    )
    lines = block.count("\n")
    return meta, "\n" * lines + text[len(block) :]


def extra_front_matter(text):
    """What a front matter block says besides the keys an issue has fields for (an author,
    tags, a layout), as a comparable tuple: the rest is compared through those fields."""
    if not text:
        return ()
    meta, _rest = split_front_matter(text)
    return tuple(
        sorted((key, repr(value)) for key, value in meta.items() if key not in KNOWN_FRONT_MATTER)
    )
