"""Between the Markdown format's dataclasses and the database, both ways.

``load_issue`` writes one :class:`IssueDoc` in one transaction with bulk queries, updating an
existing issue of the same number in place (links keep their ids when their URL stays), and does
nothing at all when the stored issue already says the same. ``issue_to_doc`` reads an issue back,
for export and for that comparison.
"""

from __future__ import annotations

import bisect
import datetime
from dataclasses import dataclass

from django.db import transaction
from django.db.models import F, Max
from django.utils import timezone
from django.utils.translation import gettext
from taggit.models import Tag

from ..issuemd import EntryDoc, IssueDoc, SectionDoc
from ..issuemd.inline import reference_says
from ..models import (
    Category,
    Issue,
    Link,
    Section,
    TaggedLink,
    Via,
    link_rank,
    tag_names_by_link,
    unicode_slug,
)
from ..publishing import tallies
from ..search import index as search_index
from .urlnorm import normalize_url

# Rows being rewritten are first moved this far out of the way, so that no intermediate state
# breaks the unique position constraints.
POSITION_OFFSET = 1_000_000


@dataclass
class LoadResult:
    issue: Issue
    outcome: str  # "created", "updated" or "unchanged"
    sections: int
    links: int


def publish_time(date, now=None):
    """When an imported issue goes public: its own date (start of day, local time) or now."""
    now = now or timezone.now()
    if date is None:
        return now
    return timezone.make_aware(datetime.datetime.combine(date, datetime.time.min))


def untitled_category_name():
    """The category of links written before any heading, in the active language."""
    return gettext("Uncategorized")


def issue_to_doc(issue):
    sections = list(issue.sections.select_related("category").order_by("position"))
    links = list(Link.objects.filter(section__issue=issue).order_by("parent_id", "position", "pk"))
    tags = tag_names_by_link([link.pk for link in links])
    entries = {}
    docs = {
        section.pk: SectionDoc(
            heading="" if section.untitled else section.category.name,
            note=section.note,
            url=section.heading_url,
            untitled=section.untitled,
            level=section.heading_level,
        )
        for section in sections
    }
    top = [link for link in links if link.parent_id is None]
    children = [link for link in links if link.parent_id is not None]
    for link in top + children:
        url = link.written_url or link.url
        entry = EntryDoc(
            title=link.title,
            url=url,
            annotation=link.annotation,
            tags=tags.get(link.pk, []),
            link_source=link.link_source
            if reference_says(link.link_source, issue.references, link.title, url)
            else "",
        )
        entries[link.pk] = entry
        if link.parent_id is None:
            docs[link.section_id].entries.append(entry)
        else:
            entries[link.parent_id].children.append(entry)
    return IssueDoc(
        number=issue.number,
        slug=issue.slug if issue.number is None else "",
        title=issue.title,
        date=issue.date,
        lede_heading=issue.lede_heading,
        lede=issue.lede,
        sections=[docs[section.pk] for section in sections],
        front_matter=issue.front_matter,
        description=issue.description,
        image=issue.image,
        heading="title" if issue.title_heading else "none",
        references=issue.references,
    )


def ensure_categories(headings):
    """{heading: Category}, creating the missing ones in order of first appearance."""
    wanted = list(dict.fromkeys(headings))
    found = {category.name: category for category in Category.objects.filter(name__in=wanted)}
    missing = [name for name in wanted if name not in found]
    if missing:
        taken = set(Category.objects.values_list("slug", flat=True))
        position = (Category.objects.aggregate(top=Max("position"))["top"] or 0) + 1
        new = []
        for offset, name in enumerate(missing):
            slug = unicode_slug(name, taken)
            taken.add(slug)
            new.append(Category(name=name, slug=slug, position=position + offset))
        for category in Category.objects.bulk_create(new):
            found[category.name] = category
    return found


def ensure_tags(names):
    """{lower-cased name: Tag}, creating the missing tags (taggit makes their slugs unique)."""
    found = {}
    wanted = {name.strip().lower(): name.strip() for name in names if name.strip()}
    if not wanted:
        return found
    for tag in Tag.objects.all().filter(name__in=set(wanted.values())):
        found[tag.name.lower()] = tag
    for key, name in wanted.items():
        if key not in found:
            tag = Tag.objects.filter(name__iexact=name).first() or Tag.objects.create(name=name)
            found[key] = tag
    return found


def issue_key(doc):
    """How an imported issue finds its stored self: by number, or a special one by slug."""
    return {"number": doc.number} if doc.number is not None else {"number": None, "slug": doc.slug}


def wants_publishing(issue, doc, publish):
    """Whether loading ``doc`` with ``publish`` sets the issue's publish time: a new issue or
    a draft is published, and a published issue whose date changed moves to its new date.
    A scheduled issue keeps the time an editor chose."""
    if not publish:
        return False
    if issue is None or issue.published_at is None:
        return True
    return issue.is_public and issue.date != doc.date


def load_issue(
    doc, *, publish=False, now=None, source="", undated_at=None, via=Via.IMPORT, user=None, note=""
):
    """Create or update the issue ``doc`` describes, in one transaction.

    ``source`` names the file it came from. With ``publish``, the issue is published at its
    date; an undated one at ``undated_at`` (a date) when given, else now. A change is
    recorded as a revision, made ``via`` the importer unless said otherwise, by ``user``."""
    from ..history import revisions

    with transaction.atomic():
        issue = Issue.objects.select_for_update().filter(**issue_key(doc)).first()
        link_count = sum(1 for _ in doc.iter_entries())
        wants_publish = wants_publishing(issue, doc, publish)
        if (
            issue is not None
            and not wants_publish
            and issue_to_doc(issue).comparable() == doc.comparable()
        ):
            if source and issue.source != source:
                Issue.objects.filter(pk=issue.pk).update(source=source)
            return LoadResult(issue, "unchanged", len(doc.sections), link_count)

        outcome = "created" if issue is None else "updated"
        revisions.ensure_baseline(issue)
        issue = issue or Issue(number=doc.number, slug=doc.slug)
        issue.title = doc.title
        issue.date = doc.date
        issue.lede_heading = doc.lede_heading
        issue.lede = doc.lede
        issue.description = doc.description[:500]
        issue.image = doc.image
        issue.front_matter = doc.front_matter
        issue.references = doc.references
        issue.title_heading = doc.heading != "none"
        if source:
            issue.source = source
        if wants_publish:
            issue.published_at = publish_time(doc.date or undated_at, now)
        with search_index.deferred():
            issue.save()
            _write_sections(issue, doc)
        search_index.refresh(Link.objects.filter(section__issue=issue).values_list("pk", flat=True))
        tallies.schedule(issues=[issue.pk])
        revisions.record(issue, via, user, note)
        return LoadResult(issue, outcome, len(doc.sections), link_count)


def _write_sections(issue, doc):
    untitled = untitled_category_name()
    headings = [untitled if section.untitled else section.heading for section in doc.sections]
    categories = ensure_categories(headings)

    old_sections = list(issue.sections.order_by("position"))
    old_links = {}
    if old_sections:
        issue.sections.update(position=F("position") + POSITION_OFFSET)
        links = Link.objects.filter(section__issue=issue)
        links.update(position=F("position") + POSITION_OFFSET)
        for link in links.order_by("parent_id", "position", "pk"):
            old_links.setdefault(link.normalized_url, []).append(link)

    sections = []
    for position, (section_doc, heading) in enumerate(zip(doc.sections, headings, strict=True)):
        section = old_sections[position] if position < len(old_sections) else Section(issue=issue)
        section.issue = issue  # its references render the note
        section.category = categories[heading]
        section.position = position
        section.untitled = section_doc.untitled
        section.heading_level = section_doc.level
        section.heading_url = section_doc.url
        section.note = section_doc.note
        section.save()  # few per issue; save() renders the note
        sections.append(section)

    reused, created_top, created_children = [], [], []
    tag_rows = []  # (Link, [names])

    def place(entry, section, position, parent=None):
        matches = old_links.get(normalize_url(entry.url))
        link = matches.pop(0) if matches else Link()
        link.section = section
        link.parent = parent
        link.position = position
        link.title = entry.title
        link.url = entry.url
        link.written_url = ""  # derived again from what the file says
        link.link_source = entry.link_source
        link.annotation = entry.annotation
        link.refresh_derived()
        # Where it stands, written now so that the recount after commit has nothing to move.
        link.category_id = section.category_id
        top, child = (position, None) if parent is None else (parent.position, position)
        link.rank = link_rank(issue.number, issue.date, issue.pk, section.position, top, child)
        if link.pk:
            reused.append(link)
        elif parent is None:
            created_top.append(link)
        else:
            created_children.append(link)
        tag_rows.append((link, entry.tags))
        return link

    pending_children = []
    for section, section_doc in zip(sections, doc.sections, strict=True):
        for position, entry in enumerate(section_doc.entries):
            parent = place(entry, section, position)
            pending_children.append((parent, entry.children))

    # Parents must exist before their children point at them.
    Link.objects.bulk_create(created_top)
    for parent, children in pending_children:
        for position, child in enumerate(children):
            place(child, parent.section, position, parent)
    Link.objects.bulk_create(created_children)
    if reused:
        Link.objects.bulk_update(
            reused,
            [
                "section",
                "parent",
                "position",
                "title",
                "url",
                "written_url",
                "link_source",
                "normalized_url",
                "domain",
                "annotation",
                "annotation_html",
                "category",
                "rank",
            ],
            batch_size=500,
        )
    leftovers = [link.pk for links in old_links.values() for link in links]
    if leftovers:
        Link.objects.filter(pk__in=leftovers).delete()
    for section in old_sections[len(sections) :]:
        section.delete()

    TaggedLink.objects.filter(content_object__section__issue=issue).delete()
    tags = ensure_tags(name for _, names in tag_rows for name in names)
    TaggedLink.objects.bulk_create(
        [
            TaggedLink(content_object=link, tag=tags[name.strip().lower()], rank=link.rank)
            for link, names in tag_rows
            for name in dict.fromkeys(n for n in names if n.strip())
        ],
        ignore_conflicts=True,
    )


def undated_publish_dates(docs):
    """{number: date} for the numbered, undated issues among ``docs``: the date of the nearest
    dated issue before it (by number, among ``docs`` and the stored issues), else after it.
    An undated back-catalogue issue is published in its place in time, not on the day of
    the import; it still shows no date of its own."""
    undated = sorted({doc.number for doc in docs if doc.number is not None and doc.date is None})
    if not undated:
        return {}
    known = dict(
        Issue.objects.filter(number__isnull=False, date__isnull=False).values_list("number", "date")
    )
    for doc in docs:
        if doc.number is not None:
            if doc.date is None:
                known.pop(doc.number, None)
            else:
                known[doc.number] = doc.date
    numbers = sorted(known)
    found = {}
    for number in undated:
        at = bisect.bisect_left(numbers, number)
        if at > 0:
            found[number] = known[numbers[at - 1]]
        elif at < len(numbers):
            found[number] = known[numbers[at]]
    return found
