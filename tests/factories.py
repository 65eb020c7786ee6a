"""Small helpers that build archive rows for tests."""

import datetime
import itertools

from django.utils import timezone

from archive.ingest.loading import load_issue
from archive.issuemd import EntryDoc, IssueDoc, SectionDoc
from archive.models import Category, Issue, Link, Section

_numbers = itertools.count(1000)


def make_issue(number=None, *, published=True, **fields):
    if published is True:
        fields.setdefault("published_at", timezone.now() - datetime.timedelta(days=1))
    elif isinstance(published, datetime.datetime):
        fields["published_at"] = published
    fields.setdefault("date", datetime.date(2024, 1, 5))
    return Issue.objects.create(number=number or next(_numbers), **fields)


def make_category(name="实用工具", **fields):
    category, _ = Category.objects.get_or_create(name=name, defaults=fields)
    return category


def make_section(issue, category="实用工具", position=None, **fields):
    if isinstance(category, str):
        category = make_category(category)
    if position is None:
        position = issue.sections.count()
    return Section.objects.create(issue=issue, category=category, position=position, **fields)


def make_link(section, title="A link", url=None, *, position=None, tags=(), parent=None, **fields):
    if position is None:
        siblings = parent.children if parent else section.links.filter(parent=None)
        position = siblings.count()
    link = Link.objects.create(
        section=section,
        parent=parent,
        position=position,
        title=title,
        url=f"https://example.com/{title.replace(' ', '-').lower()}" if url is None else url,
        **fields,
    )
    if tags:
        link.tags.add(*tags)
    return link


def make_issue_with_links(number=None, links=3, tags_per_link=2, *, published=True):
    """An issue of two sections whose links carry tags and one child link each, written in
    bulk through the importer's loader."""
    number = number or next(_numbers)
    sections = [SectionDoc("硬件加速"), SectionDoc("实用工具")]
    for index in range(links):
        sections[index % 2].entries.append(
            EntryDoc(
                title=f"Link {number}-{index}",
                url=f"https://site{index % 5}.example.com/{number}/{index}",
                annotation=f"* note **{index}**",
                tags=[f"tag{(index + k) % 7}" for k in range(tags_per_link)],
                children=[
                    EntryDoc(f"Child {number}-{index}", f"https://example.com/{number}/{index}")
                ],
            )
        )
    doc = IssueDoc(number=number, date=datetime.date(2024, 1, 5), sections=sections)
    return load_issue(doc, publish=published).issue
