"""Receivers: an issue marked to send itself is queued for its time whenever it is saved, and
providers' tracking webhooks (django-anymail) record bounces and complaints."""

from anymail.signals import tracking
from django.db.models.signals import post_save
from django.dispatch import receiver

from ..models import Issue
from . import subscribers, tasks


@receiver(post_save, sender=Issue, dispatch_uid="archive.mailing.issue_saved")
def issue_saved(sender, instance, raw=False, **kwargs):
    if not raw:
        tasks.schedule_send(instance)


@receiver(tracking, dispatch_uid="archive.mailing.tracking")
def provider_event(sender, event, esp_name, **kwargs):
    subscribers.tracking_event(event)
