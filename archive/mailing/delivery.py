"""Sending an issue: a mailing, one delivery per active subscriber, and the workers' loop.

Exactly once, with any number of workers on any number of machines:

- ``start_mailing`` writes the mailing, its deliveries and the tasks that send them in one
  transaction: the queue (django-tasks' database backend) lives in the same database, so a
  mailing exists exactly when its tasks do. ``Delivery`` is unique per (issue, subscriber):
  sending an issue again reaches only those who have not had it.
- A worker *claims* a batch (``queued`` → ``sending``, with its name and the time), under
  ``SELECT … FOR UPDATE SKIP LOCKED`` on PostgreSQL and the write lock on SQLite, so no two
  workers hold the same delivery. It sends them over one SMTP connection and records each
  message as ``sent`` the moment the server accepts it.
- A worker that dies leaves its claim; after ``DELIVERY_LEASE_SECONDS`` the mailing's watch
  task puts what it held back in the queue. A message the server never accepted is sent again;
  one it accepted was recorded before the worker took the next. (The only window left is the
  one no SMTP client can close: between the server's "250 OK" and our own commit.)

Temporary failures (4xx, a refused or dropped connection) are retried with backoff up to
``DELIVERY_ATTEMPTS`` tries; permanent ones (5xx) bounce that delivery and count against the
subscriber (``BOUNCES_BEFORE_BOUNCED``). A subscriber who left is skipped, even after the
mailing was queued. ``EMAIL_SEND_RATE`` caps messages a second over every worker."""

import contextlib
import math
import os
import smtplib
import socket
import time
import uuid
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.core.mail import get_connection
from django.core.mail.backends.smtp import EmailBackend as SmtpBackend
from django.core.mail.message import sanitize_address
from django.db import transaction
from django.db.models import Count, F, Min, Q
from django.utils import timezone

from ..history import audit
from ..models import AuditEvent, Delivery, Mailing, Subscriber
from . import compose, subscribers

BATCH = 100  # deliveries a worker claims at a time
MAX_TASKS = 32  # tasks one mailing puts in the queue at once: as many workers as may help
CHUNK = 2000  # deliveries written per INSERT


class ConnectionTrouble(Exception):
    """The connection failed, not a recipient: the rest of the batch waits for a retry."""


def worker_name():
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def start_mailing(issue, user=None, automatic=False):
    """Queue a published ``issue`` for every active subscriber who has not had it.
    Returns (mailing, number of deliveries queued)."""
    from . import tasks

    if not issue.is_public:
        raise ValueError("Only a published issue is sent to subscribers.")
    with transaction.atomic():
        mailing = Mailing.objects.create(issue=issue, started_by=user, automatic=automatic)
        queued = 0
        recipients = (
            Subscriber.objects.filter(status=Subscriber.Status.ACTIVE)
            .exclude(pk__in=Delivery.objects.filter(issue=issue).values("subscriber_id"))
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        after = 0
        while True:  # in chunks, so memory stays flat whatever the list's size
            chunk = list(recipients.filter(pk__gt=after)[:CHUNK])
            if not chunk:
                break
            Delivery.objects.bulk_create(
                [Delivery(mailing=mailing, issue=issue, subscriber_id=pk) for pk in chunk],
                ignore_conflicts=True,
            )
            queued += len(chunk)
            after = chunk[-1]
        for _ in range(min(math.ceil(queued / BATCH), MAX_TASKS)):
            tasks.deliver.enqueue(mailing.pk)
        if queued:
            watch_later(mailing.pk)
        audit.record(
            AuditEvent.Action.SEND,
            issue,
            user,
            ("automatic: " if automatic else "") + f"{queued} subscribers",
        )
    return mailing, queued


def watch_later(mailing_pk):
    from . import tasks

    lease = timedelta(seconds=settings.DELIVERY_LEASE_SECONDS)
    tasks.watch_mailing.using(run_after=timezone.now() + lease).enqueue(mailing_pk)


def progress(mailing_ids):
    """{mailing pk: {state: count}} in one query."""
    found = {pk: {} for pk in mailing_ids}
    rows = (
        Delivery.objects.filter(mailing__in=mailing_ids)
        .values_list("mailing_id", "state")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for mailing_id, state, n in rows:
        found[mailing_id][state] = n
    return found


def ready(mailing_id, now):
    return Delivery.objects.filter(mailing_id=mailing_id, state=Delivery.State.QUEUED).filter(
        Q(not_before__isnull=True) | Q(not_before__lte=now)
    )


def claim(mailing_id, worker, size=None):
    """Up to ``size`` deliveries of the mailing, now this worker's, with their subscribers;
    those whose subscriber left meanwhile are skipped instead. Four queries."""
    now = timezone.now()
    size = size or BATCH
    with transaction.atomic():
        ids = list(
            ready(mailing_id, now)
            .select_for_update(skip_locked=True)
            .order_by("pk")
            .values_list("pk", flat=True)[:size]
        )
        if not ids:
            return []
        Delivery.objects.filter(pk__in=ids, state=Delivery.State.QUEUED).update(
            state=Delivery.State.SENDING,
            claimed_by=worker,
            claimed_at=now,
            attempts=F("attempts") + 1,
        )
        Delivery.objects.filter(pk__in=ids, claimed_by=worker).exclude(
            subscriber__status=Subscriber.Status.ACTIVE
        ).update(state=Delivery.State.SKIPPED, claimed_by="")
    return list(
        Delivery.objects.filter(pk__in=ids, claimed_by=worker, state=Delivery.State.SENDING)
        .select_related("subscriber")
        .order_by("pk")
    )


def reclaim(mailing_id):
    """Put back in the queue what a worker claimed and never finished (it died)."""
    stale = timezone.now() - timedelta(seconds=settings.DELIVERY_LEASE_SECONDS)
    return Delivery.objects.filter(
        mailing_id=mailing_id, state=Delivery.State.SENDING, claimed_at__lt=stale
    ).update(state=Delivery.State.QUEUED, claimed_by="")


class Throttle:
    """At most ``EMAIL_SEND_RATE`` messages a second over every worker: a count per second
    in the shared cache (Redis); without one, this process paces itself."""

    def __init__(self, rate):
        self.rate = rate
        self.window = max(1.0, 1 / rate) if rate else 0
        self.capacity = max(1, int(rate * self.window)) if rate else 0
        self.last = 0.0

    def wait(self):
        if not self.rate:
            return
        while True:
            now = time.time()
            slot = int(now // self.window)
            key = f"archive:send-rate:{slot}"
            try:
                cache.add(key, 0, int(self.window) + 5)
                if cache.incr(key) <= self.capacity:
                    return
            except Exception:  # noqa: BLE001 (no shared cache: pace this process alone)
                pause = self.last + 1 / self.rate - now
                if pause > 0:
                    time.sleep(pause)
                self.last = time.time()
                return
            time.sleep(max(0.001, (slot + 1) * self.window - now))


def smtp_code(error):
    """The SMTP reply code an error carries (None: the connection itself failed)."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _message in error.recipients.values()]
        return max(codes) if codes else None
    if isinstance(error, smtplib.SMTPSenderRefused):
        return None  # our sender, not the recipient: the batch waits, nobody bounces
    if isinstance(error, smtplib.SMTPResponseException):
        return error.smtp_code
    return None


def recipient_refused(error):
    """(permanent?, message) when ``error`` concerns this recipient only; None when the
    connection or the provider failed."""
    try:
        from anymail.exceptions import AnymailRecipientsRefused
    except ImportError:  # pragma: no cover
        AnymailRecipientsRefused = ()  # noqa: N806
    if isinstance(error, AnymailRecipientsRefused):
        return True, str(error)
    if isinstance(error, smtplib.SMTPServerDisconnected | smtplib.SMTPSenderRefused):
        return None
    code = smtp_code(error)
    if code is None:
        return None
    return code >= 500, smtp_reply(error)


def smtp_reply(error):
    """The server's reply as it said it: "550 5.1.1 No such user"."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        code, text = max(error.recipients.values())
    else:
        code, text = error.smtp_code, error.smtp_error
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return f"{code} {text}"


def retry_at(attempts):
    seconds = settings.DELIVERY_RETRY_SECONDS * 2 ** max(0, attempts - 1)
    return timezone.now() + timedelta(seconds=min(seconds, 6 * 60 * 60))


def postpone(deliveries, error):
    """Temporary failure: back in the queue for later, or failed after the last try."""
    message = str(error)[:1000] or error.__class__.__name__
    last = [d.pk for d in deliveries if d.attempts >= settings.DELIVERY_ATTEMPTS]
    again = [d for d in deliveries if d.attempts < settings.DELIVERY_ATTEMPTS]
    if last:
        Delivery.objects.filter(pk__in=last).update(
            state=Delivery.State.FAILED, last_error=message, claimed_by=""
        )
    for attempts in sorted({d.attempts for d in again}):
        Delivery.objects.filter(pk__in=[d.pk for d in again if d.attempts == attempts]).update(
            state=Delivery.State.QUEUED,
            last_error=message,
            claimed_by="",
            not_before=retry_at(attempts),
        )
    return bool(again)


def send_batch(mailing, deliveries, connection, throttle):
    """Send claimed deliveries; each is recorded as soon as its fate is known. Returns
    (messages accepted, whether some wait for a retry). Raises ConnectionTrouble after
    putting the unsent back in the queue."""
    issue = mailing.issue
    retry = False
    sent = 0
    domain = compose.message_domain()
    sender = sanitize_address(compose.from_address(), settings.DEFAULT_CHARSET)
    raw = isinstance(connection, SmtpBackend)  # bytes straight to the SMTP connection
    for at, delivery in enumerate(deliveries):
        subscriber = delivery.subscriber
        email = compose.issue_email(issue, subscriber.language)
        unsubscribe = compose.unsubscribe_url(subscriber.pk, subscriber.language)
        message_id = f"<issue-{issue.pk}.delivery-{delivery.pk}@{domain}>"
        if raw and email.template is not None:
            message = email.raw(subscriber.address, unsubscribe, message_id)
        else:
            message = email.message(
                subscriber.address, unsubscribe, message_id=message_id, connection=connection
            )
        throttle.wait()
        try:
            if isinstance(message, tuple):
                connection.connection.sendmail(sender, [message[0]], message[1])
            else:
                connection.send_messages([message])
        except Exception as error:  # noqa: BLE001 (classified below; nothing is lost)
            refused = recipient_refused(error)
            if refused is None:
                postpone(deliveries[at:], error)
                raise ConnectionTrouble(str(error)) from error
            permanent, text = refused
            if permanent:
                Delivery.objects.filter(pk=delivery.pk).update(
                    state=Delivery.State.BOUNCED, last_error=text[:1000], claimed_by=""
                )
                subscribers.record_hard_bounce([subscriber.pk])
            else:
                retry = postpone([delivery], text) or retry
            continue
        Delivery.objects.filter(pk=delivery.pk).update(
            state=Delivery.State.SENT, sent_at=timezone.now(), last_error="", claimed_by=""
        )
        sent += 1
    return sent, retry


def deliver(mailing_id):
    """A worker's part of a mailing: claim batches and send them until none is left.
    Returns the number of messages the server accepted."""
    from . import tasks

    mailing = Mailing.objects.select_related("issue").filter(pk=mailing_id).first()
    if mailing is None:
        return 0
    worker = worker_name()
    throttle = Throttle(settings.EMAIL_SEND_RATE)
    connection = get_connection(fail_silently=False)
    sent = 0
    retry = False
    try:
        while deliveries := claim(mailing_id, worker):
            try:
                connection.open()
                accepted, later = send_batch(mailing, deliveries, connection, throttle)
            except ConnectionTrouble:
                retry = True
                break
            except OSError as error:  # the connection could not be opened
                postpone(deliveries, error)
                retry = True
                break
            sent += accepted
            retry = retry or later
    finally:
        with contextlib.suppress(Exception):  # a connection already gone
            connection.close()
    if retry:
        when = ready_later(mailing_id)
        if when is not None:
            tasks.deliver.using(run_after=when).enqueue(mailing_id)
    return sent


def ready_later(mailing_id):
    return Delivery.objects.filter(mailing_id=mailing_id, state=Delivery.State.QUEUED).aggregate(
        at=Min("not_before")
    )["at"]


def watch(mailing_id):
    """After a lease's time: put back what dead workers held, queue a task for whatever is
    ready with nobody on it, and look again later while anything is unfinished."""
    from . import tasks

    reclaim(mailing_id)
    now = timezone.now()
    waiting = ready(mailing_id, now).count()
    for _ in range(min(math.ceil(waiting / BATCH), MAX_TASKS)):
        tasks.deliver.enqueue(mailing_id)
    unfinished = Delivery.objects.filter(
        mailing_id=mailing_id, state__in=[Delivery.State.QUEUED, Delivery.State.SENDING]
    ).exists()
    if unfinished:
        watch_later(mailing_id)
    return waiting


def send_test(issue, address, language):
    """The issue as a subscriber would get it, to ``address`` (an editor's test)."""
    email = compose.IssueEmail(issue, language)
    message = email.message(address, compose.unsubscribe_url(0, language))
    message.subject = f"[TEST] {message.subject}"
    return message.send()
