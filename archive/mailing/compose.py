"""An issue as an email: the whole issue (lede, sections, links with their annotations and
similar links), as HTML with its CSS inlined (css-inline) and as plain text built from the same
structure. Every address is absolute, on ``SITE_URL``; nothing tracks the reader (no pixel, no
rewritten links).

An issue is rendered once per language (``IssueEmail``); each recipient's message is that
rendering with their own unsubscribe address put in, so a batch of hundreds costs one render."""

import re
import textwrap
from email.utils import formataddr, formatdate, getaddresses, make_msgid
from urllib.parse import quote, urlsplit

import css_inline
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.mail import EmailMultiAlternatives
from django.core.mail.message import sanitize_address
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from ..publishing.addresses import Addresses
from ..publishing.context import bcp47
from . import tokens

# Stand for a recipient's own values until a message is made for them.
UNSUBSCRIBE_PLACEHOLDER = "https://unsubscribe.invalid/recipient"
TO_PLACEHOLDER = "recipient@to.invalid"
MESSAGE_ID_PLACEHOLDER = "<message-id@message-id.invalid>"
DATE_PLACEHOLDER = "Thu, 01 Jan 1970 00:00:00 -0000"
SITE_RELATIVE = re.compile(r'(\s(?:href|src)=")/(?!/)')
MARKDOWN_SITE_RELATIVE = re.compile(r"(\]\(|^\s*\[[^\]]+\]:\s*)/(?!/)", re.MULTILINE)
INLINER = css_inline.CSSInliner(keep_style_tags=False, load_remote_stylesheets=False)


def site_url():
    """The site's address, which every address in an email is made on."""
    if settings.SITE_URL:
        return settings.SITE_URL
    if settings.DEBUG:
        return "http://127.0.0.1:8000"
    raise ImproperlyConfigured("Set SITE_URL: an email's links need the site's own address.")


def absolute(path):
    return site_url() + path


def from_address():
    return settings.NEWSLETTER_FROM


def list_id():
    """``List-Id`` (RFC 2919): the newsletter's name, and an id made of its name and host."""
    host = urlsplit(site_url()).hostname or "localhost"
    name = re.sub(r"[^a-z0-9-]+", "-", settings.SITE_NAME.lower()).strip("-") or "newsletter"
    return f"{formataddr((settings.SITE_NAME, ''))}<{name}.{host}>".strip()


def unsubscribe_mailto():
    address = settings.NEWSLETTER_UNSUBSCRIBE_MAILTO
    if not address:
        address = getaddresses([from_address()])[0][1]
    return f"mailto:{address}?subject={quote('unsubscribe')}"


def message_domain():
    return getaddresses([from_address()])[0][1].rpartition("@")[2] or "localhost"


def unsubscribe_url(subscriber_pk, language):
    with translation.override(language):
        return absolute(reverse("archive:unsubscribe", args=[tokens.unsubscribe(subscriber_pk)]))


def issue_contents(issue):
    from ..views.pages import issue_contents as contents

    addresses = Addresses()
    sections, _links = contents(issue, addresses)
    for section in sections:
        section.category_url = absolute(addresses.category(section.category.slug))
        for link in section.top_links:
            link.annotation_text = textwrap.indent(link.annotation.strip(), "  ")
    return sections, absolute(addresses.issue(issue))


class IssueEmail:
    """One issue in one language: its subject, HTML and text, ready for any recipient."""

    def __init__(self, issue, language):
        self.issue = issue
        self.language = language
        with translation.override(language):
            sections, issue_url = issue_contents(issue)
            self.subject = f"{settings.SITE_NAME} · {issue.display_title}"
            context = {
                "issue": issue,
                "sections": sections,
                "issue_url": issue_url,
                "archive_url": absolute(reverse("archive:issue_list")),
                "site_name": settings.SITE_NAME,
                "subject": self.subject,
                "html_lang": bcp47(language),
                "unsubscribe_url": UNSUBSCRIBE_PLACEHOLDER,
            }
            html = render_to_string("email/issue.html", context)
            text = render_to_string("email/issue.txt", context)
        self.text = MARKDOWN_SITE_RELATIVE.sub(lambda m: f"{m.group(1)}{site_url()}/", text)
        html = SITE_RELATIVE.sub(lambda m: f"{m.group(1)}{site_url()}/", html)
        self.html = INLINER.inline(html)
        self.issue_url = issue_url

    def message(self, to, unsubscribe, message_id=None, connection=None, date=None):
        """The email to ``to``, whose one-click unsubscribe address is ``unsubscribe``."""
        headers = {
            "List-Unsubscribe": f"<{unsubscribe}>, <{unsubscribe_mailto()}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "List-Id": list_id(),
            "Message-ID": message_id or make_msgid(domain=message_domain()),
            "Content-Language": bcp47(self.language),
            "Date": date or formatdate(localtime=settings.EMAIL_USE_LOCALTIME),
        }
        message = EmailMultiAlternatives(
            subject=self.subject,
            body=self.text.replace(UNSUBSCRIBE_PLACEHOLDER, unsubscribe),
            from_email=from_address(),
            to=[to],
            headers=headers,
            connection=connection,
        )
        message.attach_alternative(
            self.html.replace(UNSUBSCRIBE_PLACEHOLDER, unsubscribe), "text/html"
        )
        return message

    @property
    def template(self):
        """The message as bytes with placeholders for each recipient's own values, or None
        when a placeholder would not come out verbatim (a part encoded for long lines):
        then each message is built in full."""
        if not hasattr(self, "_template"):
            built = self.message(
                TO_PLACEHOLDER,
                UNSUBSCRIBE_PLACEHOLDER,
                MESSAGE_ID_PLACEHOLDER,
                date=DATE_PLACEHOLDER,
            )
            data = built.message().as_bytes(linesep="\r\n")
            links = self.text.count(UNSUBSCRIBE_PLACEHOLDER) + self.html.count(
                UNSUBSCRIBE_PLACEHOLDER
            )
            expected = {  # in the header, and each part's own
                UNSUBSCRIBE_PLACEHOLDER: 1 + links,
                TO_PLACEHOLDER: 1,
                MESSAGE_ID_PLACEHOLDER: 1,
                DATE_PLACEHOLDER: 1,
            }
            verbatim = all(data.count(key.encode()) == n for key, n in expected.items())
            self._template = data if verbatim else None
        return self._template

    def raw(self, to, unsubscribe, message_id):
        """(envelope recipient, message bytes) for ``to``, from the template."""
        recipient = sanitize_address(to, settings.DEFAULT_CHARSET)
        data = (
            self.template.replace(TO_PLACEHOLDER.encode(), recipient.encode())
            .replace(UNSUBSCRIBE_PLACEHOLDER.encode(), unsubscribe.encode())
            .replace(MESSAGE_ID_PLACEHOLDER.encode(), message_id.encode())
            .replace(DATE_PLACEHOLDER.encode(), formatdate(usegmt=True).encode())
        )
        return recipient, data


_rendered = {}


def issue_email(issue, language):
    """The issue's email in ``language``, rendered once per version of the issue in a
    process (a worker sends many batches of the same issue)."""
    key = (issue.pk, language, issue.updated_at)
    found = _rendered.get(key)
    if found is None:
        if len(_rendered) >= 16:
            _rendered.clear()
        found = _rendered[key] = IssueEmail(issue, language)
    return found
