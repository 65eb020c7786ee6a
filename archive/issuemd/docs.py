"""Plain dataclasses describing one newsletter issue, independent of Django."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from .meta import extra_front_matter


@dataclass
class EntryDoc:
    """One featured link: a title, its URL, a Markdown annotation and nested related links."""

    title: str
    url: str
    annotation: str = ""
    tags: list[str] = field(default_factory=list)
    children: list[EntryDoc] = field(default_factory=list)
    line: int = 0
    # The title's link as written when it is not ``[title](url)``: ``[title][1]``, written
    # back so on export (its definition among the issue's references).
    link_source: str = ""

    def comparable(self):
        return (
            self.title,
            self.url,
            self.annotation,
            tuple(sorted({tag.lower() for tag in self.tags})),
            tuple(child.comparable() for child in self.children),
            self.link_source,
        )


@dataclass
class SectionDoc:
    """A section of an issue: its heading (the category), an optional note and its entries."""

    heading: str
    note: str = ""
    entries: list[EntryDoc] = field(default_factory=list)
    url: str = ""  # a heading that is itself a link: ``## [🦄文章&教程](https://…)``
    line: int = 0
    # Entries written before any section heading: a section without one, exported so.
    untitled: bool = False
    level: int = 2  # 1 for a later ``# heading`` of the file, written back as one

    def comparable(self):
        return (
            self.heading,
            self.url,
            self.note,
            tuple(entry.comparable() for entry in self.entries),
            self.untitled,
            self.level,
        )


@dataclass
class IssueDoc:
    """A whole issue as written in Markdown."""

    number: int | None  # None for a special issue, known by its slug
    title: str = ""
    date: datetime.date | None = None
    lede_heading: str = ""
    lede: str = ""
    sections: list[SectionDoc] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    slug: str = ""
    # What the file says of itself besides: its front matter as written (unknown keys and
    # all, written back on export), a description and a sharing image from it, and whether
    # the file had an H1 (``"none"``: the title, if any, is the front matter's).
    front_matter: str = ""
    description: str = ""
    image: str = ""
    heading: str = "title"
    # Reference-style link definitions (``[1]: https://… "title"``) outside any block, as
    # written: annotations, notes and the lede are rendered with them.
    references: str = ""

    def comparable(self):
        """Everything that is stored, without source positions or warnings."""
        return (
            self.number,
            self.slug,
            self.title,
            self.date,
            self.lede_heading,
            self.lede,
            tuple(section.comparable() for section in self.sections),
            extra_front_matter(self.front_matter),
            self.description,
            self.image,
            self.heading,
            self.references,
        )

    def all_text(self):
        """Every piece of text and every URL the issue holds, as one string to search."""
        parts = [self.title, self.lede_heading, self.lede, self.front_matter, self.references]
        for section in self.sections:
            parts += [section.heading, section.url, section.note]
            for entry in section.entries:
                parts += [entry.title, entry.url, entry.annotation]
                parts += [child.url for child in entry.children]
        return "\n".join(parts)

    def iter_entries(self):
        for section in self.sections:
            for entry in section.entries:
                yield entry
                yield from entry.children


class ParseError(ValueError):
    """A file that cannot be understood. ``str()`` reads ``source:line: message``."""

    def __init__(self, message, *, line=None, source="<text>"):
        self.message = message
        self.line = line
        self.source = source
        super().__init__(message)

    def __str__(self):
        where = f"{self.source}:{self.line}" if self.line else self.source
        return f"{where}: {self.message}"
