"""The trash: what an editor deletes in the admin (an issue, or a section or a link in the
composer) is kept, as Markdown, for ``TRASH_DAYS``, and can be put back where it was.

The rows themselves are deleted, so no reader surface (pages, feeds, search, the API, the
sitemap, counts) can show trashed content; putting it back goes through the importer, as any
change does, and is recorded as a revision and in the audit log."""

import contextvars
from contextlib import contextmanager
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models.signals import pre_delete
from django.dispatch import receiver
from django.utils import timezone
from django.utils.translation import gettext as _

from ..issuemd import EntryDoc, IssueDoc, SectionDoc, parse_issue, render_issue
from ..models import AuditEvent, Issue, Link, Revision, Section, TrashItem, Via, tag_names_by_link
from . import audit, revisions

_collecting = contextvars.ContextVar("archive.history.trash", default=None)


class CannotRestore(Exception):
    pass


def heading_of(section):
    return "" if section.untitled else section.category.name


def entries_of(links):
    """EntryDocs (with their similar links) of ``links``, ordered as in the issue."""
    tags = tag_names_by_link([link.pk for link in links])
    docs, top = {}, []
    for link in sorted(
        links, key=lambda link: (link.parent_id is not None, link.position, link.pk)
    ):
        entry = EntryDoc(
            title=link.title,
            url=link.written_url or link.url,
            annotation=link.annotation,
            tags=tags.get(link.pk, []),
        )
        docs[link.pk] = entry
        if link.parent_id is None or link.parent_id not in docs:
            top.append(entry)
        else:
            docs[link.parent_id].children.append(entry)
    return top


def holder(issue, section_doc):
    """A one-section issue holding what was deleted, as Markdown."""
    doc = IssueDoc(number=issue.number, slug=issue.slug, title=issue.title, date=issue.date)
    doc.sections = [section_doc]
    return render_issue(doc)


@contextmanager
def collecting(user):
    """Inside: sections and links deleted go to the trash (the composer's save)."""
    state = {"user": user, "sections": {}, "links": {}}
    token = _collecting.set(state)
    try:
        yield
    finally:
        _collecting.reset(token)
    trashed_sections = set(state["sections"])
    for item in state["sections"].values():
        item.save()
    for section_id, parent_id, item in state["links"].values():
        if section_id in trashed_sections or parent_id in state["links"]:
            continue  # in the trash with its section, or with the link it is similar to
        item.save()


@receiver(pre_delete, sender=Section, dispatch_uid="archive.trash.section")
def section_deleting(sender, instance, **kwargs):
    state = _collecting.get()
    if state is None or instance.pk in state["sections"]:
        return
    issue = Issue.objects.get(pk=instance.issue_id)
    section = SectionDoc(
        heading=heading_of(instance),
        note=instance.note,
        url=instance.heading_url,
        untitled=instance.untitled,
        entries=entries_of(list(Link.objects.filter(section=instance))),
    )
    state["sections"][instance.pk] = TrashItem(
        kind=TrashItem.Kind.SECTION,
        label=section.heading or _("(untitled)"),
        issue=issue,
        issue_label=issue.label,
        markdown=holder(issue, section),
        position=instance.position,
        deleted_by=state["user"],
    )


@receiver(pre_delete, sender=Link, dispatch_uid="archive.trash.link")
def link_deleting(sender, instance, **kwargs):
    state = _collecting.get()
    if state is None or instance.pk in state["links"]:
        return
    section = Section.objects.select_related("category", "issue").get(pk=instance.section_id)
    links = [instance, *Link.objects.filter(parent=instance)]
    parent_url = ""
    if instance.parent_id:
        parent = Link.objects.filter(pk=instance.parent_id).first()
        parent_url = (parent.written_url or parent.url) if parent else ""
    entry_section = SectionDoc(heading=heading_of(section), untitled=section.untitled)
    entry_section.entries = entries_of(links)[:1]
    item = TrashItem(
        kind=TrashItem.Kind.LINK,
        label=instance.title[:1000],
        issue=section.issue,
        issue_label=section.issue.label,
        markdown=holder(section.issue, entry_section),
        position=instance.position,
        parent_url=parent_url,
        deleted_by=state["user"],
    )
    state["links"][instance.pk] = (instance.section_id, instance.parent_id, item)


def trash_issue(issue, user=None):
    """Delete ``issue``, keeping it (and its history) in the trash."""
    with transaction.atomic():
        revisions.ensure_baseline(issue)
        revisions.record(issue, Via.ADMIN, user)
        item = TrashItem.objects.create(
            kind=TrashItem.Kind.ISSUE,
            label=issue.display_title[:1000],
            issue=None,
            issue_label=issue.label,
            markdown=revisions.markdown_of(issue),
            published_at=issue.published_at,
            revision_ids=list(Revision.objects.filter(issue=issue).values_list("pk", flat=True)),
            deleted_by=user if getattr(user, "pk", None) else None,
        )
        audit.record(AuditEvent.Action.TRASH, issue, user, issue.display_title)
        from ..publishing import tallies
        from ..search import index as search_index

        with search_index.deferred():  # one recount when it is gone, not one per link
            issue.delete()
        tallies.schedule()
    return item


def restore(item, user=None):
    """Put a trashed issue, section or link back; returns the issue."""
    from ..ingest.loading import issue_key, issue_to_doc, load_issue

    held = parse_issue(item.markdown, source=f"trash {item.pk}")
    with transaction.atomic():
        if item.kind == TrashItem.Kind.ISSUE:
            if Issue.objects.filter(**issue_key(held)).exists():
                raise CannotRestore(
                    _("%(label)s exists again: rename or delete it first.")
                    % {"label": item.issue_label}
                )
            issue = load_issue(held, via=Via.RESTORE, user=user, note=_("from the trash")).issue
            if item.published_at is not None:
                from ..publishing import tallies
                from ..search import index as search_index

                Issue.objects.filter(pk=issue.pk).update(published_at=item.published_at)
                search_index.schedule_issues([issue.pk])
                tallies.schedule(issues=[issue.pk])
            Revision.objects.filter(pk__in=item.revision_ids, issue=None).update(issue=issue)
        else:
            issue = item.issue
            if issue is None:
                raise CannotRestore(_("Its issue is gone: restore the issue first."))
            doc = issue_to_doc(issue)
            kept = held.sections[0]
            if item.kind == TrashItem.Kind.SECTION:
                doc.sections.insert(min(item.position, len(doc.sections)), kept)
            else:
                place_entry(doc, kept, item)
            revisions.ensure_baseline(issue)
            load_issue(doc, via=Via.RESTORE, user=user, note=_("from the trash"))
        audit.record(
            AuditEvent.Action.UNTRASH, issue, user, f"{item.get_kind_display()}: {item.label}"
        )
        item.delete()
    return issue


def place_entry(doc, kept, item):
    """Put a trashed link back in its section (made again if it is gone), in its place."""
    entry = kept.entries[0]
    section = next(
        (s for s in doc.sections if s.heading == kept.heading and s.untitled == kept.untitled),
        None,
    )
    if section is None:
        section = SectionDoc(heading=kept.heading, untitled=kept.untitled)
        doc.sections.append(section)
    if item.parent_url:
        parent = next((e for e in section.entries if e.url == item.parent_url), None)
        if parent is not None:
            parent.children.insert(min(item.position, len(parent.children)), entry)
            return
    section.entries.insert(min(item.position, len(section.entries)), entry)


def empty(days=None, now=None):
    """Delete what has been in the trash longer than ``days`` (``TRASH_DAYS``), with the
    history of the issues it held. Returns how many items went."""
    days = settings.TRASH_DAYS if days is None else days
    old = TrashItem.objects.filter(deleted_at__lt=(now or timezone.now()) - timedelta(days=days))
    with transaction.atomic():
        revision_ids = [pk for ids in old.values_list("revision_ids", flat=True) for pk in ids]
        Revision.objects.filter(pk__in=revision_ids, issue=None).delete()
        count, _ = old.delete()
    return count
