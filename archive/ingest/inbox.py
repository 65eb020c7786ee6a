"""The inbox's work, shared by the admin, the API, the bookmarklet and readers' suggestions:
saving a link (with its page's own title when it has none), telling what was seen before,
and turning items into links of a draft issue."""

from django.core import signing
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import ngettext

from ..models import BookmarkletKey, InboxItem, Link, Section, Via
from ..publishing import tallies
from . import duplicates, outbound

BOOKMARKLET_SALT = "archive.inbox.bookmarklet"


def add_items_to_issue(items, issue, category, user=None):
    """Make each item a link at the end of ``issue``'s section for ``category`` (made if
    needed), keeping its title, note (as annotation) and tags. One transaction, recorded as
    a revision of the issue."""
    from ..history import revisions

    created = []
    with transaction.atomic():
        revisions.ensure_baseline(issue)
        section = issue.sections.filter(category=category).order_by("position").first()
        if section is None:
            top = issue.sections.aggregate(top=Max("position"))["top"]
            position = 0 if top is None else top + 1
            section = Section.objects.create(issue=issue, category=category, position=position)
        # (A section whose last link stands at 0 goes on at 1: "or -1" would say 0 again.)
        top = section.links.filter(parent=None).aggregate(top=Max("position"))["top"]
        next_position = 0 if top is None else top + 1
        for offset, item in enumerate(items):
            link = Link.objects.create(
                section=section,
                position=next_position + offset,
                title=item.title or item.url,
                url=item.url,
                annotation=item.note,
            )
            names = list(item.tags.names())
            if names:
                link.tags.add(*names)
            item.status, item.link = InboxItem.Status.USED, link
            item.save(update_fields=["status", "link"])
            created.append(link)
        tallies.schedule(issues=[issue.pk])
        revisions.record(issue, Via.INBOX, user)
    return created


def bookmarklet_key(user, renew=False):
    """``user``'s bookmarklet key (models.BookmarkletKey): made on first use, made anew when
    it expired or ``renew`` is asked (any earlier key then stops working). None once they
    revoked it, until they ask for a new one."""
    row = BookmarkletKey.objects.filter(user=user).first()
    if row is not None and row.is_revoked and not renew:
        return None
    if row is None or renew or row.is_expired:
        row = row or BookmarkletKey(user=user)
        row.renew().save()
    # Signed without a timestamp: the same key each time the page shows it (the row says
    # when it expires).
    return signing.Signer(salt=BOOKMARKLET_SALT).sign_object([user.pk, row.nonce])


def revoke_bookmarklet_key(user):
    """``user``'s key stops working, and none is made until they ask: their bookmarklet
    asks to confirm every save."""
    now = timezone.now()
    BookmarkletKey.objects.update_or_create(
        user=user, defaults={"nonce": "", "created_at": now, "expires_at": now}
    )


def bookmarklet_user(key):
    """The id of the user whose live key ``key`` is (its use recorded), or None."""
    try:
        user_id, nonce = signing.Signer(salt=BOOKMARKLET_SALT).unsign_object(key)
    except (signing.BadSignature, TypeError, ValueError):
        return None
    now = timezone.now()
    if not nonce:
        return None
    live = BookmarkletKey.objects.filter(user_id=user_id, nonce=nonce, expires_at__gt=now)
    return user_id if live.update(last_used_at=now) else None


def save_to_inbox(
    *, url, title="", note="", tags=(), user=None, source, suggested_by="", fetch=True
):
    """A new inbox item, with the page's own title and description fetched when it was given
    none (a failure to fetch is no failure to save)."""
    item = InboxItem(
        url=url, title=title, note=note, saved_by=user, source=source, suggested_by=suggested_by
    )
    if fetch and not item.title:
        try:
            summary = outbound.page_summary(url)
        except (outbound.Refused, outbound.FetchFailed):
            summary = None
        if summary is not None:
            item.title, item.description = summary.title, summary.description
    item.save()
    if tags:
        item.tags.add(*tags)
    return item


def notices(item, link_to_pages=True):
    """What an editor should know about an item's URL: featured before, waiting already."""
    featured = duplicates.featured_in([item.url]).get(item.normalized_url, [])
    waiting = duplicates.in_inbox([item.url], exclude_item=item).get(item.normalized_url, [])
    found = []
    if featured:
        found.append(duplicates.featured_sentence(featured, links=link_to_pages))
    if waiting:
        found.append(
            ngettext(
                "already in the inbox once", "already in the inbox %(count)d times", len(waiting)
            )
            % {"count": len(waiting)}
        )
    return found
