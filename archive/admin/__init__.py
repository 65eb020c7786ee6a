"""The editors' workplace: compose an issue on one page and publish it, collect the week's
links in the inbox, curate links and categories, manage API tokens."""

from django.conf import settings
from django.contrib import admin
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from . import (  # noqa: F401  (each registers its own)
    categories,
    health,
    inbox,
    issues,
    links,
    subscribers,
    tokens,
)

admin.site.site_header = format_lazy("{} · {}", settings.SITE_NAME, _("editors"))
admin.site.site_title = settings.SITE_NAME
