"""The link checker: visits links, records what it found, and tells a gone link from a bad day.

Every request goes through archive.ingest.outbound (no private targets, timeouts, size caps): HEAD
first, GET when a server refuses HEAD (or answers it with an error). A link is

- ok, or redirected (its final address is kept), when it answers;
- gone only after ``LINKCHECK_GONE_AFTER`` failed checks in a row spanning at least
  ``LINKCHECK_GONE_DAYS`` days (404, 410, 5xx, no answer): one bad day never kills it, and
  an answer brings it back;
- unknown until then, and after a 429 (which says nothing about the link);
- refused when its address is not public: no evidence against it, and no request made.

A gone link is looked up in the Internet Archive's availability API
(``WAYBACK_AVAILABILITY_URL``) for a snapshot near its issue's date.

Politeness: ``LINKCHECK_CONCURRENCY`` requests at once overall, one at a time per host with
``LINKCHECK_HOST_DELAY`` seconds between them (a host that waits holds no worker),
``Retry-After`` honoured up to half a minute (longer, and the host waits for the next run),
the run bounded in time. Several processes may run at once against PostgreSQL: each claims
its batch with ``SELECT … FOR UPDATE SKIP LOCKED`` and a lease, so no link is checked twice.
On SQLite, run one at a time.
"""

from __future__ import annotations

import heapq
import itertools
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from ..models import Link, LinkCheck, LinkHealth
from ..publishing import tallies
from .claims import BATCH, claim, due, ensure_rows, release
from .visits import LONGEST_WAIT, archived_copy, judge, visit

Verdict = LinkHealth.Verdict


@dataclass
class Summary:
    checked: int = 0
    verdicts: dict = field(default_factory=dict)
    archived: int = 0
    left: int = 0  # claimed but not reached before the run's end

    def line(self):
        counts = ", ".join(f"{name} {n}" for name, n in sorted(self.verdicts.items()))
        return (
            f"{self.checked} links checked ({counts or 'nothing to check'}); "
            f"{self.archived} archived copies found; {self.left} left for the next run"
        )


class Visits:
    """The workers of a run and the links waiting for them. Links are added as they are
    claimed; politely, each host's links are visited one at a time with ``host_delay``
    between them (longer when it asks so with Retry-After), and a host that waits holds no
    worker: the workers take whichever host is ready first. Without politeness every link is
    its own queue. ``collect()`` hands over the outcomes found so far."""

    def __init__(self, *, polite, host_delay, concurrency, deadline, progress):
        self.polite, self.host_delay, self.deadline = polite, host_delay, deadline
        self.progress = progress
        self.queues = {}  # host (or link id): deque of (link id, url)
        self.ready = []  # heap of (monotonic time the host may be visited, order, host)
        self.order = itertools.count()
        self.next_visit = {}  # a host with nothing queued: when it may be visited again
        self.busy = set()
        self.waiting = 0  # links queued, not yet taken
        self.results = {}
        self.done = 0
        self.closed = False
        self.wake = threading.Condition()
        self.workers = [threading.Thread(target=self.work, daemon=True) for _ in range(concurrency)]
        for worker in self.workers:
            worker.start()

    def add(self, rows):
        with self.wake:
            for pk, url in rows:
                key = (urlsplit(url).hostname or "").lower() if self.polite else pk
                queue = self.queues.setdefault(key, deque())
                if not queue and key not in self.busy:
                    at = self.next_visit.pop(key, 0.0)
                    heapq.heappush(self.ready, (at, next(self.order), key))
                queue.append((pk, url))
                self.waiting += 1
            self.wake.notify_all()

    @property
    def idle(self):
        return not self.waiting and not self.busy

    def take(self):
        with self.wake:
            while True:
                now = time.monotonic()
                if now >= self.deadline:
                    return None
                if self.ready and self.ready[0][0] <= now:
                    key = heapq.heappop(self.ready)[2]
                    self.busy.add(key)
                    self.waiting -= 1
                    return key, self.queues[key].popleft()
                if self.closed and not self.ready:
                    return None
                self.wake.wait(min(self.ready[0][0] - now, 1.0) if self.ready else 1.0)

    def finish(self, key, pk, outcome):
        with self.wake:
            self.results[pk] = outcome
            self.busy.discard(key)
            queue = self.queues[key]
            delay = self.host_delay if self.polite else 0.0
            if outcome.retry_after and self.polite:
                if outcome.retry_after > LONGEST_WAIT:  # longer than a run waits: next run
                    self.waiting -= len(queue)
                    queue.clear()
                delay = max(delay, outcome.retry_after)
            at = time.monotonic() + delay
            if queue:
                heapq.heappush(self.ready, (at, next(self.order), key))
            else:
                del self.queues[key]
                if self.polite:
                    self.next_visit[key] = at
            self.done += 1
            self.progress(self.done)
            self.wake.notify_all()

    def work(self):
        while (job := self.take()) is not None:
            key, (pk, url) = job
            self.finish(key, pk, visit(url))

    def collect(self, timeout=0.0):
        """The outcomes found since the last call, {link id: Outcome}, waiting up to
        ``timeout`` seconds for the first."""
        with self.wake:
            if not self.results and timeout:
                self.wake.wait(timeout)
            results, self.results = self.results, {}
            return results

    def close(self):
        """Stop taking links; the requests under way finish."""
        with self.wake:
            self.closed = True
            self.waiting = 0
            self.ready.clear()
            self.wake.notify_all()
        for worker in self.workers:
            worker.join()


class Checker:
    """One run: ``Checker(...).run(limit)``. The main thread claims links a batch at a time
    (a new batch as soon as fewer than a batch wait, so a slow link never holds up the
    next) and records what the workers found; only it uses the database."""

    def __init__(
        self,
        *,
        concurrency=None,
        host_delay=None,
        polite=True,
        older_than=None,
        domain=None,
        seconds=3600,
        progress=None,
        batch=BATCH,
    ):
        self.concurrency = concurrency or settings.LINKCHECK_CONCURRENCY
        self.host_delay = settings.LINKCHECK_HOST_DELAY if host_delay is None else host_delay
        self.polite = polite
        self.older_than, self.domain = older_than, domain
        self.deadline = time.monotonic() + seconds
        self.progress = progress  # progress(done, total), or None
        self.batch = batch

    def run(self, limit=None):
        ensure_rows()
        summary = Summary()
        # Each link at most once a run: those checked since it began are not due again.
        started = timezone.now()
        checked_before = started - self.older_than if self.older_than else started
        claimed, finished, exhausted = set(), set(), False
        visits = Visits(
            polite=self.polite,
            host_delay=self.host_delay,
            concurrency=self.concurrency,
            deadline=self.deadline,
            progress=self.counter(checked_before, limit),
        )
        try:
            while time.monotonic() < self.deadline:
                if not exhausted and visits.waiting < self.batch:
                    size = self.batch if limit is None else min(self.batch, limit - len(claimed))
                    ids = claim(size, checked_before, self.domain) if size > 0 else []
                    claimed.update(ids)
                    exhausted = not ids or (limit is not None and len(claimed) >= limit)
                    if ids:
                        visits.add(Link.objects.filter(pk__in=ids).values_list("pk", "url"))
                if results := visits.collect(timeout=0.5):
                    self.record(results, summary)
                    finished.update(results)
                if exhausted and visits.idle:
                    break
        finally:
            visits.close()
        if results := visits.collect():
            self.record(results, summary)
            finished.update(results)
        unreached = claimed - finished
        release(unreached)
        summary.left = len(unreached)
        return summary

    def counter(self, checked_before, limit):
        """What the workers call after each visit: ``progress(done, total)``, the total
        counted once, and only when someone watches."""
        if self.progress is None:
            return lambda done: None
        total = due(checked_before, self.domain).count()
        total = total if limit is None else min(limit, total)
        return lambda done: self.progress(min(done, total), total)

    def record(self, results, summary):
        """Write a batch's outcomes, and look up archived copies of links newly gone."""
        now = timezone.now()
        healths = {
            health.link_id: health for health in LinkHealth.objects.filter(link_id__in=results)
        }
        checks, changed = [], False
        for pk, outcome in results.items():
            health = healths[pk]
            before = (health.verdict, health.archived_url)
            verdict = judge(health, outcome, now)
            health.claimed_until = None
            summary.verdicts[verdict] = summary.verdicts.get(verdict, 0) + 1
            checks.append(
                LinkCheck(
                    link_id=pk,
                    checked_at=now,
                    status=outcome.status,
                    error=outcome.error,
                    final_url=outcome.final_url,
                    verdict=verdict,
                )
            )
            if verdict == Verdict.GONE and not health.archived_url:
                health.archived_url = self.archive_lookup(pk)
                summary.archived += bool(health.archived_url)
            changed |= before != (health.verdict, health.archived_url)
        with transaction.atomic():
            written = [*LinkHealth.FOUND, "checked_url", "archived_url", "claimed_until"]
            LinkHealth.objects.bulk_update(healths.values(), written)
            LinkCheck.objects.bulk_create(checks)
            if changed:
                tallies.changed()  # pages show the archived copy: the cached ones go
        summary.checked += len(results)

    @staticmethod
    def archive_lookup(pk):
        link = Link.objects.select_related("section__issue").get(pk=pk)
        issue = link.section.issue
        day = issue.date or (issue.published_at or timezone.now()).date()
        return archived_copy(link.url, day)
