"""Signed addresses for a subscriber's own pages. A confirmation link names the subscriber
and the address it was sent to, and expires after ``SUBSCRIBE_CONFIRM_DAYS``; an unsubscribe
link never expires (every email ever sent must keep working) and names only the subscriber."""

from django.conf import settings
from django.core import signing

CONFIRM_SALT = "archive.mailing.confirm"
UNSUBSCRIBE_SALT = "archive.mailing.unsubscribe"


def confirm(subscriber):
    return signing.dumps([subscriber.pk, subscriber.address.lower()], salt=CONFIRM_SALT)


def confirmed(token):
    """(subscriber pk, address) from a confirmation token; raises ``signing.BadSignature``
    (``SignatureExpired`` when too old)."""
    max_age = settings.SUBSCRIBE_CONFIRM_DAYS * 24 * 60 * 60
    pk, address = signing.loads(token, salt=CONFIRM_SALT, max_age=max_age)
    return int(pk), str(address)


def unsubscribe(subscriber_pk):
    return signing.Signer(salt=UNSUBSCRIBE_SALT).sign(str(subscriber_pk))


def unsubscribing(token):
    """The subscriber pk an unsubscribe token names; raises ``signing.BadSignature``."""
    return int(signing.Signer(salt=UNSUBSCRIBE_SALT).unsign(token))
