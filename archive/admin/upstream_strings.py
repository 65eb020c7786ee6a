"""Strings of Django's admin that its Simplified Chinese catalog does not translate yet.

Marked here, makemessages puts them in this project's catalog, which Django reads before its
own. Drop an entry once Django translates it."""

from django.utils.translation import gettext_noop

UPSTREAM_STRINGS = [
    # django/contrib/admin/templates/admin/app_list.html (Django 5.2)
    gettext_noop("Model name"),
    gettext_noop("Add link"),
    gettext_noop("Change or view list link"),
]
