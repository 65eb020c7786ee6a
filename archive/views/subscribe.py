"""Subscribing by email (double opt-in), confirming, and leaving.

The subscribe form carries no CSRF token and no per-visitor state, so the pages that show it
stay cacheable; a hidden field catches robots and each client address may ask
``SUBSCRIBE_PER_HOUR`` times an hour. Whatever is known of an address, the answer is the
same: nobody learns from it who subscribes. The confirm and unsubscribe pages are one
person's, named by a signed token: never cached, and their forms need no CSRF token either
(the token is the proof, and one-click unsubscribing, RFC 8058, posts without a session)."""

from django import forms
from django.conf import settings
from django.core import signing
from django.core.validators import validate_email
from django.shortcuts import render
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt

from ..mailing import subscribers, tokens
from .limits import client_address, over_the_limit


class SubscribeForm(forms.Form):
    email = forms.CharField(label=_("Your email address"), max_length=254)
    website = forms.CharField(required=False, label=_("Leave this empty"))  # for robots

    def clean_email(self):
        address = self.cleaned_data["email"].strip()
        if any(ord(c) < 32 or c == "\x7f" for c in address):
            raise forms.ValidationError(_("Enter a valid email address."))
        try:
            validate_email(address)  # IDNA domains included (例え.jp, bücher.de)
        except forms.ValidationError:
            raise forms.ValidationError(_("Enter a valid email address.")) from None
        return address


def too_many(request):
    return over_the_limit(
        f"archive:subscribe:{client_address(request)}", settings.SUBSCRIBE_PER_HOUR
    )


@csrf_exempt
def subscribe(request):
    form = SubscribeForm(request.POST or None)
    if request.method == "POST":
        if too_many(request):
            return render(
                request, "archive/subscribe.html", {"form": form, "limited": True}, status=429
            )
        if form.is_valid():
            if not form.cleaned_data["website"]:
                subscribers.request_subscription(
                    form.cleaned_data["email"], translation.get_language()
                )
            return render(request, "archive/subscribe.html", {"sent": True})
        return render(request, "archive/subscribe.html", {"form": form}, status=400)
    return render(request, "archive/subscribe.html", {"form": form})


@never_cache
@csrf_exempt
def confirm(request, token):
    try:
        pk, address = tokens.confirmed(token)
    except signing.SignatureExpired:
        return render(request, "archive/confirm.html", {"expired": True}, status=410)
    except (signing.BadSignature, ValueError, TypeError):
        return render(request, "archive/confirm.html", {"invalid": True}, status=404)
    if request.method == "POST":
        done = subscribers.confirm(pk, address)
        return render(
            request, "archive/confirm.html", {"done": done, "invalid": not done}, status=200
        )
    return render(request, "archive/confirm.html", {"address": address})


@never_cache
@csrf_exempt
def unsubscribe(request, token):
    try:
        pk = tokens.unsubscribing(token)
    except (signing.BadSignature, ValueError):
        return render(request, "archive/unsubscribe.html", {"invalid": True}, status=404)
    if request.method == "POST":  # the page's button, or a mail client's one-click POST
        subscribers.leave(pk)
        return render(request, "archive/unsubscribe.html", {"done": True})
    return render(request, "archive/unsubscribe.html", {})
