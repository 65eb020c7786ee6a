"""Readers suggest a link (when ``SUGGESTIONS_ENABLED``): it lands in the inbox, marked as a
suggestion, and never on the site by itself. A hidden field catches robots, and each address
may suggest ``SUGGESTIONS_PER_HOUR`` links an hour.

The form carries no CSRF token: anyone may suggest, so a token would protect nothing, and
without one the page can be cached like the others."""

from django import forms
from django.conf import settings
from django.http import Http404
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import csrf_exempt

from ..ingest.inbox import save_to_inbox
from ..models import InboxItem
from .limits import client_address, over_the_limit


class SuggestionForm(forms.Form):
    url = forms.URLField(label=_("Address of the page"), max_length=2000, assume_scheme="https")
    title = forms.CharField(label=_("Its title"), max_length=300, required=False)
    note = forms.CharField(
        label=_("Why it is worth reading"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    name = forms.CharField(
        label=_("Your name or address (optional)"), max_length=200, required=False
    )
    # Left empty by people (it is hidden); robots fill it.
    website = forms.CharField(required=False, label=_("Leave this empty"))

    def clean_url(self):
        url = self.cleaned_data["url"]
        if not url.lower().startswith(("http://", "https://")):
            raise forms.ValidationError(_("Enter an http:// or https:// address."))
        return url


def too_many(request):
    """Count this suggestion against the sender's address; True past the hour's limit."""
    return over_the_limit(
        f"archive:suggest:{client_address(request)}", settings.SUGGESTIONS_PER_HOUR
    )


@csrf_exempt
def suggest(request):
    if not settings.SUGGESTIONS_ENABLED:
        raise Http404("Suggestions are off.")
    form = SuggestionForm(request.POST or None)
    if request.method == "POST":
        if too_many(request):
            return render(
                request, "archive/suggest.html", {"form": form, "limited": True}, status=429
            )
        if form.is_valid():
            data = form.cleaned_data
            if not data["website"]:
                save_to_inbox(
                    url=data["url"],
                    title=data["title"],
                    note=data["note"],
                    source=InboxItem.Source.SUGGESTION,
                    suggested_by=data["name"],
                    fetch=False,  # a reader's request makes no request of its own
                )
            return render(request, "archive/suggest.html", {"thanks": True})
    return render(request, "archive/suggest.html", {"form": form})
