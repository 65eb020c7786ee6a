"""Edits made one at a time (the admin, the shell) keep the search index and the tallies
current, bump the archive's version (page caches), and mark the issue they belong to as
updated (feeds and the sitemap say when a page last changed).

Bulk writers (the Markdown loader, admin actions using ``QuerySet.update()``) send no signals:
they call ``archive.publishing.tallies.schedule`` and the search index themselves."""

from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete, pre_save
from django.dispatch import receiver
from django.utils import timezone
from taggit.models import Tag

from ..models import Category, Issue, IssueTally, Link, Section, TaggedLink, tag_slug_of_symbols
from ..search.index import is_deferred, schedule, schedule_issues
from . import tallies


@receiver(pre_save, sender=Tag)
def tag_has_a_slug(sender, instance, **kwargs):
    """A tag of symbols only (``"><``, ``!!``) slugifies to nothing, and a page without an
    address breaks every page that links to it: it gets one made from its name."""
    if not instance.slug:
        instance.slug = tag_slug_of_symbols(instance.name)


def touch_issues(link_ids):
    """Bump ``updated_at`` of the issues holding these links, in one query."""
    issues = Section.objects.filter(links__in=link_ids).values("issue_id")
    Issue.objects.filter(pk__in=issues).update(updated_at=timezone.now())


@receiver(post_save, sender=Link)
def link_saved(sender, instance, **kwargs):
    schedule([instance.pk])
    if not is_deferred():
        touch_issues([instance.pk])
        tallies.schedule(sections=[instance.section_id])


@receiver(pre_delete, sender=Link)
def link_deleting(sender, instance, **kwargs):
    if not is_deferred():
        tallies.remember(sections=[instance.section_id])


@receiver(post_delete, sender=Link)
def link_deleted(sender, instance, **kwargs):
    if not is_deferred():
        Issue.objects.filter(sections=instance.section_id).update(updated_at=timezone.now())
        tallies.schedule()


@receiver(m2m_changed, sender=TaggedLink)
def link_tags_changed(sender, instance, action, reverse, pk_set, **kwargs):
    if action.startswith("post_"):
        link_ids = pk_set or [] if reverse else [instance.pk]
        schedule(link_ids)
        if not is_deferred():
            touch_issues(link_ids)
            sections = Link.objects.filter(pk__in=link_ids).values_list("section_id", flat=True)
            tallies.schedule(sections=sections)


@receiver(post_save, sender=Section)
def section_saved(sender, instance, **kwargs):
    if not is_deferred():
        schedule(instance.links.values_list("pk", flat=True))
        tallies.schedule(issues=[instance.issue_id])


@receiver(pre_delete, sender=Section)
def section_deleting(sender, instance, **kwargs):
    if not is_deferred():
        tallies.remember(issues=[instance.issue_id])


@receiver(post_delete, sender=Section)
def section_deleted(sender, instance, **kwargs):
    if not is_deferred():
        tallies.schedule()


@receiver(post_save, sender=Category)
def category_saved(sender, instance, created, **kwargs):
    if not created and not is_deferred():
        schedule(Link.objects.filter(section__category=instance).values_list("pk", flat=True))
        tallies.changed()


@receiver(post_save, sender=Tag)
def tag_saved(sender, instance, created, **kwargs):
    # A renamed tag: its name is in the entries of the links that carry it.
    if not created and not is_deferred():
        schedule(
            TaggedLink.objects.filter(tag=instance).values_list("content_object_id", flat=True)
        )
        tallies.changed()


@receiver(pre_delete, sender=Tag)
def tag_deleting(sender, instance, **kwargs):
    # Its TaggedLink rows go without m2m signals: recount the issues that carried it.
    issues = TaggedLink.objects.filter(tag=instance).values_list(
        "content_object__section__issue_id", flat=True
    )
    tallies.remember(issues=set(issues), keys=[(tallies.Kind.TAG, str(instance.pk))])


@receiver(post_delete, sender=Tag)
def tag_deleted(sender, instance, **kwargs):
    tallies.schedule()


@receiver(post_save, sender=Issue)
def issue_saved(sender, instance, created, **kwargs):
    # Its number, year and publication time are in its links' entries.
    if not created:
        schedule_issues([instance.pk])
    tallies.schedule(issues=[instance.pk])


@receiver(pre_delete, sender=Issue)
def issue_deleting(sender, instance, **kwargs):
    # Its IssueTally rows go with it: sum again what they added to.
    keys = IssueTally.objects.filter(issue=instance).values_list("kind", "key")
    tallies.remember(keys=set(keys))


@receiver(post_delete, sender=Issue)
def issue_deleted(sender, instance, **kwargs):
    tallies.schedule()
