"""What the admin's pages share: the site's search engine for their search boxes, and forms
that write every inline row back in its new order."""

from django import forms
from django.urls import reverse
from django.utils.translation import gettext as _

from ..search import engine
from ..search.tokens import parse_query


def search_link_ids(term):
    """Links matching ``term`` through the site's search engine, drafts included; None when
    the term holds nothing to search for."""
    query = parse_query(term)
    if not query:
        return None
    filters = engine.Filters(published_only=False)
    return engine.search(query, filters, limit=engine.MATCH_CAP).ids


class SavesEveryRowForm(forms.ModelForm):
    """Inline rows are all written again on save, in their new order.

    The issue's positions are first moved out of the way (``IssueAdmin.save_related``), so
    reordering never collides with the unique-position constraints mid-save; each existing row
    therefore has to be written back with its final position, changed or not.
    """

    def has_changed(self):
        return bool(self.instance.pk) or super().has_changed()


class UrlCheckForm(SavesEveryRowForm):
    """A row whose URL the composer checks as it is typed (static/archive/composer.js)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "url" in self.fields:
            self.fields["url"].widget.attrs.update(
                {
                    "data-check-url": reverse("admin:archive_link_check_url"),
                    "data-title-url": reverse("admin:archive_link_page_title"),
                    "data-twice-notice": _("This address is in this issue twice."),
                    "data-use-title": _("Use the page's own title: "),
                }
            )


class TagInputForm(UrlCheckForm):
    class Meta:
        widgets = {"annotation": forms.Textarea(attrs={"rows": 3, "cols": 80})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "tags" in self.fields:
            self.fields["tags"].widget.attrs.update(
                {
                    "class": "vTextField tag-input",
                    "autocomplete": "off",
                    "data-suggest-url": reverse("admin:archive_link_tag_suggestions"),
                }
            )
