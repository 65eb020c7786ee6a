"""One visit of a link and what it means: the answer (HEAD, then GET), the verdict it
leads to (one bad day never kills a link), and an archived copy for a gone one."""

from __future__ import annotations

import datetime
import email.utils
import json
from dataclasses import dataclass
from urllib.parse import urlencode

from django.conf import settings
from django.utils import timezone

from ..ingest import outbound
from ..ingest.urlnorm import normalize_url
from ..models import LinkHealth

Verdict = LinkHealth.Verdict
LONGEST_WAIT = 30  # seconds of Retry-After worth waiting within a run
RETRYABLE = {429, 503}


@dataclass
class Outcome:
    """What one visit found."""

    kind: str  # "ok", "redirected", "failed", "throttled" or "refused"
    status: int | None = None
    error: str = ""
    final_url: str = ""
    retry_after: float | None = None
    url: str = ""  # the address visited


def retry_after(value):
    """Seconds a Retry-After header asks for (a number or an HTTP date), or None."""
    if not value:
        return None
    if value.strip().isdigit():
        return float(value.strip())
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max((moment - timezone.now()).total_seconds(), 0.0)


def visit(url):
    """HEAD, then GET when HEAD was refused or answered with an error."""
    outcome = _visit(url)
    outcome.url = url
    return outcome


def _visit(url):
    try:
        fetched = outbound.fetch(url, "HEAD")
        if fetched.status >= 400 and fetched.status not in RETRYABLE:
            fetched = outbound.fetch(url, "GET", max_bytes=64 * 1024)
    except outbound.Refused as error:
        return Outcome("refused", error=str(error)[:300])
    except outbound.FetchFailed as error:
        return Outcome("failed", error=str(error)[:300])
    outcome = Outcome("failed", status=fetched.status, final_url=fetched.url)
    if 200 <= fetched.status < 300:
        moved = fetched.redirects and normalize_url(fetched.url) != normalize_url(url)
        outcome.kind = "redirected" if moved else "ok"
        outcome.final_url = fetched.url if moved else ""
    elif fetched.status == 429:
        outcome.kind = "throttled"
    if fetched.status in RETRYABLE:
        outcome.retry_after = retry_after(fetched.headers.get("retry-after"))
    return outcome


def judge(health, outcome, now):
    """Update ``health`` (unsaved) by ``outcome``; the verdict it gives."""
    if outcome.url != health.checked_url:  # a new address: the old one's record is not its
        health.failures, health.failing_since, health.archived_url = 0, None, ""
    health.checked_at, health.checked_url = now, outcome.url
    health.status, health.error = outcome.status, outcome.error
    if outcome.kind == "refused":
        health.verdict = Verdict.REFUSED
    elif outcome.kind == "throttled":
        health.verdict = health.verdict if health.verdict == Verdict.GONE else Verdict.UNKNOWN
    elif outcome.kind in ("ok", "redirected"):
        health.failures, health.failing_since = 0, None
        health.verdict = Verdict.OK if outcome.kind == "ok" else Verdict.REDIRECTED
        health.final_url = outcome.final_url
    else:
        health.failures += 1
        health.failing_since = health.failing_since or now
        long_enough = now - health.failing_since >= datetime.timedelta(
            days=settings.LINKCHECK_GONE_DAYS
        )
        if health.failures >= settings.LINKCHECK_GONE_AFTER and long_enough:
            health.verdict = Verdict.GONE
        else:
            health.verdict = Verdict.UNKNOWN
    return health.verdict


def archived_copy(url, day):
    """The Internet Archive's snapshot of ``url`` nearest ``day``, or ""."""
    query = urlencode({"url": url, "timestamp": day.strftime("%Y%m%d")})
    try:
        fetched = outbound.fetch(f"{settings.WAYBACK_AVAILABILITY_URL}?{query}", timeout=10)
        closest = json.loads(fetched.body or b"{}").get("archived_snapshots", {}).get("closest")
    except (outbound.Refused, outbound.FetchFailed, ValueError, AttributeError):
        return ""
    if not closest or not closest.get("available"):
        return ""
    snapshot = str(closest.get("url", ""))
    if snapshot.startswith("http://"):
        snapshot = "https://" + snapshot[len("http://") :]
    return snapshot if snapshot.startswith("https://") else ""
