"""Counts kept on write, so that no page counts links, and the archive's version.

A public issue adds to tallies (archive.models.Tally): its links per category, tag, domain and
year, and one issue. What it adds is stored beside it (IssueTally); a tally is the sum of
those rows. Recounting an issue replaces its rows and sums again only the tallies they touch:
the work follows the size of the change, never the size of the archive.

Every change readers could see bumps ``ArchiveState.version`` (page caches are keyed on it).
Changes are collected while a transaction runs and recounted once it commits (``schedule``).
A scheduled issue goes live without anyone writing anything: ``ArchiveState.next_go_live``
says when, and the first request after that moment calls ``reconcile``.
"""

import threading
from collections import Counter

from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import CharField, Exists, Min, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Cast, Coalesce
from django.utils import timezone
from django.utils.functional import cached_property

from ..models import (
    ArchiveState,
    Issue,
    IssueTally,
    Link,
    Section,
    TaggedLink,
    Tally,
    link_rank,
)

Kind = Tally.Kind
BATCH = 500


def _on_commit(callback):
    """When the current transaction commits (at once outside one). Tests that run inside a
    transaction which never commits replace this with a call at once."""
    transaction.on_commit(callback)


def contributions(issue_ids):
    """{issue id: Counter((kind, key) -> n)} for these issues as if public, and {issue id:
    number of links}, read in two queries."""
    added = {issue_id: Counter() for issue_id in issue_ids}
    links = Counter()
    rows = Link.objects.filter(section__issue__in=issue_ids).values_list(
        "section__issue_id", "section__category_id", "domain", "section__issue__date"
    )
    for issue_id, category_id, domain, date in rows:
        counter = added[issue_id]
        links[issue_id] += 1
        counter[(Kind.CATEGORY, str(category_id))] += 1
        counter[(Kind.LINKS, "")] += 1
        if domain:
            counter[(Kind.DOMAIN, domain)] += 1
        if date is not None:
            counter[(Kind.YEAR, str(date.year))] += 1
            counter[(Kind.YEAR_CATEGORY, f"{date.year}:{category_id}")] += 1
    tags = TaggedLink.objects.filter(content_object__section__issue__in=issue_ids).values_list(
        "content_object__section__issue_id", "tag_id"
    )
    for issue_id, tag_id in tags:
        added[issue_id][(Kind.TAG, str(tag_id))] += 1
    return added, links


def _lock_state():
    """The state row, locked: recounts run one at a time, so two never sum the same tally
    from each other's half-written rows."""
    state = ArchiveState.objects.select_for_update().filter(pk=1).first()
    return state or ArchiveState.objects.create(pk=1)


def recount(issue_ids=(), keys=(), now=None):
    """Recount these issues (and sum these (kind, key) tallies again), then bump the
    version. Idempotent: it reads only what the database says now."""
    now = now or timezone.now()
    issue_ids = sorted(set(issue_ids))
    with transaction.atomic():
        state = _lock_state()
        touched = set(keys)
        for start in range(0, len(issue_ids), BATCH):
            touched |= _recount_batch(issue_ids[start : start + BATCH], now)
        _sum(touched)
        _bump(state, now)


def _recount_batch(ids, now):
    """Replace these issues' IssueTally rows; the (kind, key) pairs that changed."""
    issues = {pk: (at, date) for pk, at, date in _issue_rows(ids)}
    added, links = contributions(list(issues))
    old = IssueTally.objects.filter(issue__in=ids)
    touched = set(old.values_list("kind", "key"))
    old.delete()
    rows = []
    public = {pk for pk, (at, _date) in issues.items() if at is not None and at <= now}
    for issue_id in public:
        counter = added[issue_id]
        counter[(Kind.ISSUES, "")] = 1
        date = issues[issue_id][1]
        if date is not None:
            counter[(Kind.ISSUES, str(date.year))] = 1
        rows += [
            IssueTally(issue_id=issue_id, kind=kind, key=key, count=n)
            for (kind, key), n in counter.items()
        ]
    IssueTally.objects.bulk_create(rows, batch_size=2000)
    touched |= {(row.kind, row.key) for row in rows}
    for pk in issues:
        Issue.objects.filter(pk=pk).update(link_count=links[pk], tallied=pk in public)
    _rank(ids)
    return touched


def _rank(issue_ids):
    """Give the links of these issues their category and their place in the archive
    (models.link_rank), and their tags the same place."""
    rows = Link.objects.filter(section__issue__in=issue_ids).values_list(
        "pk",
        "rank",
        "category_id",
        "section__category_id",
        "section__issue__number",
        "section__issue__date",
        "section__issue_id",
        "section__position",
        "position",
        "parent__position",
    )
    changed = []
    for pk, rank, category, section_category, number, date, issue, section, position, top in rows:
        if top is None:
            new = link_rank(number, date, issue, section, position)
        else:  # a similar link, right after its parent
            new = link_rank(number, date, issue, section, top, position)
        if new != rank or category != section_category:
            changed.append(Link(pk=pk, rank=new, category_id=section_category))
    Link.objects.bulk_update(changed, ["rank", "category"], batch_size=1000)
    ranks = Link.objects.filter(pk=OuterRef("content_object_id")).values("rank")[:1]
    TaggedLink.objects.filter(content_object__section__issue__in=issue_ids).exclude(
        rank=Subquery(ranks)
    ).update(rank=Subquery(ranks))


def _issue_rows(ids):
    return Issue.objects.filter(pk__in=ids).values_list("pk", "published_at", "date")


# Kinds whose number of tallies a page shows (the pages of /tags/, of the sitemap).
COUNTED_KINDS = (Kind.CATEGORY, Kind.TAG, Kind.DOMAIN)


def _sum(keys):
    """Set each of these tallies to the sum of its IssueTally rows (dropping empty ones)."""
    by_kind = {}
    for kind, key in keys:
        by_kind.setdefault(kind, set()).add(key)
    for kind in COUNTED_KINDS:
        if kind in by_kind:
            by_kind.setdefault(Kind.DISTINCT, set()).add(kind)
    distinct = by_kind.pop(Kind.DISTINCT, set())
    for kind, names in by_kind.items():
        names = sorted(names)
        for start in range(0, len(names), BATCH):
            chunk = names[start : start + BATCH]
            sums = dict(
                IssueTally.objects.filter(kind=kind, key__in=chunk)
                .values_list("key")
                .annotate(total=Sum("count"))
                .values_list("key", "total")
            )
            Tally.objects.filter(kind=kind, key__in=chunk).exclude(key__in=sums).delete()
            Tally.objects.bulk_create(
                [Tally(kind=kind, key=key, count=total) for key, total in sums.items()],
                update_conflicts=True,
                unique_fields=["kind", "key"],
                update_fields=["count"],
            )
    for kind in distinct:
        number = Tally.objects.filter(kind=kind).count()
        Tally.objects.update_or_create(kind=Kind.DISTINCT, key=kind, defaults={"count": number})


def _bump(state, now):
    state.version += 1
    state.changed_at = now
    state.next_go_live = Issue.objects.filter(published_at__gt=now).aggregate(
        at=Min("published_at")
    )["at"]
    state.save()
    _on_commit(lambda: _publish_state(state))


def changed():
    """A change readers see that moves no count (a category or tag renamed): bump the
    version once the transaction commits."""
    _pending().changed = True
    _on_commit(_run_pending)


def reconcile(now=None):
    """Recount the issues whose tallies lag their publication: a scheduled issue whose time
    has come, or one whose publish time moved by a raw update. Cheap when there are none."""
    now = now or timezone.now()
    lagging = Q(tallied=False, published_at__lte=now) | Q(tallied=True) & (
        Q(published_at__isnull=True) | Q(published_at__gt=now)
    )
    ids = list(Issue.objects.filter(lagging).values_list("pk", flat=True))
    state = current_state()
    if ids or (state.next_go_live and state.next_go_live <= now):
        recount(ids, now=now)


def count(kind, key=""):
    """One tally (0 when nothing published adds to it), in one query."""
    found = Tally.objects.filter(kind=kind, key=str(key)).values_list("count", flat=True)
    return next(iter(found), 0)


def with_counts(queryset, kind, key=None):
    """``queryset`` annotated with ``link_count`` from the tallies of ``kind``, keyed by each
    row's id (or by the expression ``key``): one subquery, no counting."""
    key = key if key is not None else Cast(OuterRef("pk"), output_field=CharField())
    tally = Tally.objects.filter(kind=kind, key=key).values("count")[:1]
    return queryset.annotate(link_count=Coalesce(Subquery(tally), 0))


def counted(queryset, kind):
    """The rows of ``queryset`` (categories, tags) that some published link counts for:
    those readers know of. One known only from drafts or scheduled issues is not among them."""
    tally = Tally.objects.filter(kind=kind, key=Cast(OuterRef("pk"), output_field=CharField()))
    return queryset.filter(Exists(tally))


class TalliedPaginator(Paginator):
    """A paginator told its count: lists read their page and nothing else."""

    def __init__(self, object_list, per_page, count, **options):
        super().__init__(object_list, per_page, **options)
        self.known_count = count

    @cached_property
    def count(self):
        return self.known_count


def current_state():
    return ArchiveState.objects.filter(pk=1).first() or ArchiveState(pk=1, version=0)


# Changes collected during a transaction ------------------------------------------------

_local = threading.local()


class _Pending:
    def __init__(self):
        self.issues, self.sections, self.keys, self.changed = set(), set(), set(), False

    def __bool__(self):
        return bool(self.issues or self.sections or self.keys or self.changed)


def _pending():
    if not hasattr(_local, "pending"):
        _local.pending = _Pending()
    return _local.pending


def remember(issues=(), sections=(), keys=()):
    """Note what a deletion is about to touch (its rows are gone by the time it commits);
    ``schedule()`` after the deletion recounts it."""
    pending = _pending()
    pending.issues.update(issues)
    pending.sections.update(sections)
    pending.keys.update(keys)


def schedule(issues=(), sections=(), keys=()):
    """Recount these issues (and the issues of these sections) once the transaction
    commits; at once outside one. Collected, so an admin save of sixty links recounts its
    issue once. A rolled-back transaction leaves its ids here, to be recounted (harmlessly)
    with the next commit."""
    remember(issues, sections, keys)
    _on_commit(_run_pending)


def _run_pending():
    pending = _pending()
    if not pending:
        return
    _local.pending = _Pending()
    issues = set(pending.issues)
    if pending.sections:
        issues |= set(
            Section.objects.filter(pk__in=pending.sections).values_list("issue_id", flat=True)
        )
    recount(issues, pending.keys)  # bumps the version, which is all a bare change needs


# The state, shared through the cache ---------------------------------------------------

_publishers = []


def on_state_change(callback):
    """Call ``callback(state)`` after each committed bump (the page cache registers one)."""
    _publishers.append(callback)
    return callback


def _publish_state(state):
    for callback in _publishers:
        callback(state)
