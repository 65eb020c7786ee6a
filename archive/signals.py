"""Edits made one at a time (the admin, the shell) keep the search index current."""

from django.db.models.signals import m2m_changed, post_save
from django.dispatch import receiver

from .models import Category, Issue, Link, SearchEntry, Section, TaggedLink
from .search.index import is_deferred, schedule


@receiver(post_save, sender=Link)
def link_saved(sender, instance, **kwargs):
    schedule([instance.pk])


@receiver(m2m_changed, sender=TaggedLink)
def link_tags_changed(sender, instance, action, reverse, pk_set, **kwargs):
    if action.startswith("post_"):
        schedule(pk_set or [] if reverse else [instance.pk])


@receiver(post_save, sender=Section)
def section_saved(sender, instance, **kwargs):
    if not is_deferred():
        schedule(instance.links.values_list("pk", flat=True))


@receiver(post_save, sender=Category)
def category_saved(sender, instance, created, **kwargs):
    if not created and not is_deferred():
        schedule(Link.objects.filter(section__category=instance).values_list("pk", flat=True))


@receiver(post_save, sender=Issue)
def issue_saved(sender, instance, created, **kwargs):
    if created or is_deferred():
        return
    SearchEntry.objects.filter(issue=instance).update(
        issue_number=instance.number, year=instance.date.year if instance.date else None
    )
