"""The inbox's HTTP endpoint, for scripts, phones and browser extensions.

    POST /api/inbox/   Authorization: Bearer <token>
    {"url": …, "title": …, "note": …, "tags": […]}

201 with the item (``featured_in``: the issues where its URL already appeared), 400 with
the fields' errors, 401 without a valid token. Tokens are made in the admin or with
``manage.py create_token``; CSRF does not apply (no cookie is used)."""

import json
import re

from django import forms
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from ..ingest.duplicates import featured_in, in_inbox
from ..ingest.inbox import notices, save_to_inbox
from ..models import ApiToken, InboxItem
from ..publishing.addresses import absolute


class InboxApiForm(forms.Form):
    url = forms.URLField(max_length=2000, assume_scheme="https")
    title = forms.CharField(max_length=1000, required=False)
    note = forms.CharField(max_length=20_000, required=False)

    def __init__(self, data, *args, **kwargs):
        super().__init__(data, *args, **kwargs)
        self.raw_tags = data.get("tags", [])

    def clean_url(self):
        url = self.cleaned_data["url"]
        if not url.lower().startswith(("http://", "https://")):
            raise forms.ValidationError("Only http(s) addresses can be saved.")
        return url

    def clean(self):
        cleaned = super().clean()
        tags = self.raw_tags
        if not isinstance(tags, list) or not all(isinstance(tag, str) for tag in tags):
            self.add_error(None, forms.ValidationError("tags must be a list of strings."))
        elif len(tags) > 20 or any(len(tag) > 100 for tag in tags):
            self.add_error(None, forms.ValidationError("At most 20 tags of 100 characters."))
        else:
            cleaned["tags"] = [tag.strip() for tag in tags if tag.strip()]
        return cleaned


MAX_BODY = 64 * 1024  # bytes: a link, a note and its tags fit many times over
MAX_DEPTH = 4  # an object holding a list of tags is two levels deep
_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"')


def nesting(body):
    """How deeply arrays and objects nest in a JSON text, strings aside, counted without
    parsing it (a thousand ``[`` would exhaust the parser's recursion)."""
    depth = deepest = 0
    for byte in _STRING.sub(b"", body):
        if byte in b"[{":
            depth += 1
            deepest = max(deepest, depth)
        elif byte in b"]}":
            depth -= 1
    return deepest


def refuse_constant(name):
    raise ValueError(f"{name} is not JSON")  # Python would take NaN and Infinity


def read_json(request):
    """(the body's JSON object, None), or (None, what is wrong with it): too large, nested
    too deeply, not UTF-8 JSON, or not an object."""
    length = request.headers.get("Content-Length", "")
    if length and (not length.isdigit() or int(length) > MAX_BODY):
        return None, f"The body is too large: at most {MAX_BODY // 1024} KB."
    body = request.body or b"{}"
    if len(body) > MAX_BODY:
        return None, f"The body is too large: at most {MAX_BODY // 1024} KB."
    if nesting(body) > MAX_DEPTH:
        return None, "The body nests too deeply: send a flat JSON object."
    try:
        data = json.loads(body, parse_constant=refuse_constant)
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None, "The body is not JSON: send a JSON object."
    if not isinstance(data, dict):
        return None, "Send a JSON object."
    return data, None


def error(status, message, **extra):
    return JsonResponse({"error": message, **extra}, status=status)


def item_json(item, request):
    appearances = featured_in([item.url]).get(item.normalized_url, [])
    waiting = in_inbox([item.url], exclude_item=item).get(item.normalized_url, [])
    return {
        "id": item.pk,
        "url": item.url,
        "title": item.title,
        "note": item.note,
        "description": item.description,
        "tags": sorted(item.tags.names()),
        "source": item.source,
        "created_at": item.created_at.isoformat(),
        "admin_url": absolute(request, item.get_absolute_url()),
        "featured_in": [appearance.as_json(request) for appearance in appearances],
        "in_inbox": len(waiting),
        "notices": [str(notice) for notice in notices(item, link_to_pages=False)],
    }


@csrf_exempt
@require_POST
def inbox(request):
    scheme, _, key = request.headers.get("Authorization", "").partition(" ")
    token = ApiToken.authenticate(key.strip()) if scheme.lower() == "bearer" else None
    if token is None:
        response = error(401, "A valid token is needed: Authorization: Bearer <token>.")
        response["WWW-Authenticate"] = 'Bearer realm="inbox"'
        return response
    if not token.user.has_perm("archive.add_inboxitem"):
        return error(403, "This token's user may not save to the inbox.")
    data, problem = read_json(request)
    if problem:
        return error(400, problem, errors={"__all__": [problem]})
    form = InboxApiForm(data)
    if not form.is_valid():
        errors = {
            field: [e["message"] for e in found]
            for field, found in form.errors.get_json_data().items()
        }
        return error(400, "Some fields are not right.", errors=errors)
    item = save_to_inbox(
        url=form.cleaned_data["url"],
        title=form.cleaned_data["title"],
        note=form.cleaned_data["note"],
        tags=form.cleaned_data["tags"],
        user=token.user,
        source=InboxItem.Source.API,
    )
    return JsonResponse(item_json(item, request), status=201)
