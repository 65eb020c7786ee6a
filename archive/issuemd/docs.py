"""Plain dataclasses describing one newsletter issue, independent of Django."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field


@dataclass
class EntryDoc:
    """One featured link: a title, its URL, a Markdown annotation and nested related links."""

    title: str
    url: str
    annotation: str = ""
    tags: list[str] = field(default_factory=list)
    children: list[EntryDoc] = field(default_factory=list)
    line: int = 0

    def comparable(self):
        return (
            self.title,
            self.url,
            self.annotation,
            tuple(sorted({tag.lower() for tag in self.tags})),
            tuple(child.comparable() for child in self.children),
        )


@dataclass
class SectionDoc:
    """A section of an issue: its heading (the category), an optional note and its entries."""

    heading: str
    note: str = ""
    entries: list[EntryDoc] = field(default_factory=list)
    url: str = ""  # a heading that is itself a link: ``## [🦄文章&教程](https://…)``
    line: int = 0

    def comparable(self):
        return (
            self.heading,
            self.url,
            self.note,
            tuple(entry.comparable() for entry in self.entries),
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
        )

    def all_text(self):
        """Every piece of text and every URL the issue holds, as one string to search."""
        parts = [self.title, self.lede_heading, self.lede]
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
