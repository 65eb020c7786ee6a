"""What the task queue runs. Its worker is ``manage.py db_worker`` (django-tasks' database
backend): run one or several, on one machine or many; each task is safe to run twice."""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

try:  # Django 6 has the Tasks API built in; on 5.2 the django-tasks backport provides it
    from django.tasks import task
except ImportError:
    from django_tasks import task

from ..models import Issue, Subscriber
from . import compose, delivery, tokens


@task()
def deliver(mailing_id):
    return delivery.deliver(mailing_id)


@task()
def watch_mailing(mailing_id):
    return delivery.watch(mailing_id)


@task()
def send_test(issue_id, address, language):
    issue = Issue.objects.filter(pk=issue_id).first()
    return 0 if issue is None else delivery.send_test(issue, address, language)


@task()
def send_when_live(issue_id):
    """An issue marked to send itself: at its publication time, to every subscriber, once.
    A task that finds the issue moved later does nothing: saving it queued another."""
    issue = Issue.objects.filter(pk=issue_id).first()
    if issue is None or not issue.send_on_publish or not issue.is_public:
        return None
    if issue.mailings.exists():
        return None
    mailing, _queued = delivery.start_mailing(issue, automatic=True)
    return mailing.pk


def schedule_send(issue):
    """Called whenever an issue is saved or published: queue its automatic send for its time."""
    if not issue.send_on_publish or issue.published_at is None or issue.mailings.exists():
        return
    send_when_live.using(run_after=max(issue.published_at, timezone.now())).enqueue(issue.pk)


@task()
def send_confirmation(subscriber_id):
    subscriber = Subscriber.objects.filter(
        pk=subscriber_id, status=Subscriber.Status.PENDING
    ).first()
    if subscriber is None:
        return 0
    with translation.override(subscriber.language):
        path = reverse("archive:confirm", args=[tokens.confirm(subscriber)])
        context = {
            "site_name": settings.SITE_NAME,
            "site_url": compose.site_url(),
            "confirm_url": compose.absolute(path),
            "days": settings.SUBSCRIBE_CONFIRM_DAYS,
        }
        message = EmailMultiAlternatives(
            subject=gettext("Confirm your subscription to %(site)s") % {"site": settings.SITE_NAME},
            body=render_to_string("email/confirm.txt", context),
            from_email=compose.from_address(),
            to=[subscriber.address],
            headers={"Auto-Submitted": "auto-generated"},
        )
    return message.send()
