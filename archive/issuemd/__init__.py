"""The newsletter's Markdown format: parse text into plain dataclasses and render them back.

No Django imports here: the importer, the exporter and the admin's paste page share this module,
and it can be run over thousands of files in seconds.
"""

from .docs import EntryDoc, IssueDoc, ParseError, SectionDoc
from .parse import parse_issue
from .render import default_title, render_issue

__all__ = [
    "EntryDoc",
    "IssueDoc",
    "ParseError",
    "SectionDoc",
    "default_title",
    "parse_issue",
    "render_issue",
]
