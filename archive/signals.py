"""Edits made one at a time (the admin, the shell) keep the search index current, and mark
the issue they belong to as updated (feeds and the sitemap say when a page last changed)."""

from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver
from django.utils import timezone
from taggit.models import Tag

from .models import Category, Issue, Link, Section, TaggedLink
from .search.index import is_deferred, schedule, schedule_issues


def touch_issues(link_ids):
    """Bump ``updated_at`` of the issues holding these links, in one query."""
    issues = Section.objects.filter(links__in=link_ids).values("issue_id")
    Issue.objects.filter(pk__in=issues).update(updated_at=timezone.now())


@receiver(post_save, sender=Link)
def link_saved(sender, instance, **kwargs):
    schedule([instance.pk])
    if not is_deferred():
        touch_issues([instance.pk])


@receiver(post_delete, sender=Link)
def link_deleted(sender, instance, **kwargs):
    if not is_deferred():
        Issue.objects.filter(sections=instance.section_id).update(updated_at=timezone.now())


@receiver(m2m_changed, sender=TaggedLink)
def link_tags_changed(sender, instance, action, reverse, pk_set, **kwargs):
    if action.startswith("post_"):
        link_ids = pk_set or [] if reverse else [instance.pk]
        schedule(link_ids)
        if not is_deferred():
            touch_issues(link_ids)


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
