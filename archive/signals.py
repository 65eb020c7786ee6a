"""Edits made one at a time (the admin, the shell) keep the search index current."""

from django.db.models.signals import m2m_changed, post_save
from django.dispatch import receiver
from taggit.models import Tag

from .models import Category, Issue, Link, Section, TaggedLink
from .search.index import is_deferred, schedule, schedule_issues


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


@receiver(post_save, sender=Tag)
def tag_saved(sender, instance, created, **kwargs):
    # A renamed tag: its name is in the entries of the links that carry it.
    if not created and not is_deferred():
        schedule(
            TaggedLink.objects.filter(tag=instance).values_list("content_object_id", flat=True)
        )


@receiver(post_save, sender=Issue)
def issue_saved(sender, instance, created, **kwargs):
    # Its number, year and publication time are in its links' entries.
    if not created:
        schedule_issues([instance.pk])
