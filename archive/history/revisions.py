"""An issue's revisions: its own Markdown export after each save. Compact and readable, it
holds every link's title, address as written, annotation, tags and category by name, and the
importer, which round-trips it exactly, restores it.

``record`` is called by whatever changes an issue (the composer, the importer, the inbox, a
category merge, a URL replacement, a restore); ``ensure_baseline`` first keeps the issue as it
was before its first recorded change. A save that changes nothing adds no revision."""

import hashlib

from django.db import transaction

from ..models import AuditEvent, Revision, Via
from . import audit


def markdown_of(issue):
    from ..ingest.loading import issue_to_doc
    from ..issuemd import render_issue

    return render_issue(issue_to_doc(issue))


def digest_of(text):
    return hashlib.sha1(text.encode()).hexdigest()


def latest(issue):
    return Revision.objects.filter(issue=issue).order_by("-pk").first()


def record(issue, via, user=None, note=""):
    """A revision of ``issue`` as it is now, unless the latest one says the same. Returns
    the issue's latest revision."""
    text = markdown_of(issue)
    digest = digest_of(text)
    last = latest(issue)
    if last is not None and last.digest == digest:
        return last
    return Revision.objects.create(
        issue=issue,
        via=via,
        user=user if getattr(user, "pk", None) else None,
        note=note[:300],
        markdown=text,
        digest=digest,
    )


def ensure_baseline(issue):
    """Before an issue's first recorded change: keep it as it is."""
    if issue is not None and issue.pk and not Revision.objects.filter(issue=issue).exists():
        record(issue, Via.BEFORE)


def restore(revision, user=None):
    """Bring ``revision``'s issue back to it, through the importer (tallies, search index,
    page cache and link health follow as for any import), recorded as a new revision."""
    from ..ingest.loading import load_issue
    from ..issuemd import parse_issue

    issue = revision.issue
    doc = parse_issue(revision.markdown, source=f"revision {revision.pk}")
    doc.number, doc.slug = issue.number, issue.slug if issue.number is None else ""
    with transaction.atomic():
        ensure_baseline(issue)
        result = load_issue(doc, via=Via.RESTORE, user=user, note=f"#{revision.pk}")
        audit.record(
            AuditEvent.Action.RESTORE,
            issue,
            user,
            f"revision {revision.pk} of {revision.created_at:%Y-%m-%d %H:%M}",
        )
    return result
