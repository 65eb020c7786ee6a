"""Whole reader pages in Django's cache (Redis in production), keyed on the archive's version.

A page is stored with the version it was rendered at (archive.publishing.tallies bumps the
version on every change readers could see) and served while that version is current: one cache round
trip fetches the page and the version together. Signed-in editors always get a fresh page;
everyone else, whatever cookies they send, the cached one. Responses carry an ETag and
Last-Modified (so browsers and feed readers get 304s) and a Cache-Control that lets a CDN or
reverse proxy hold them briefly.

If the cache is unreachable the site serves every page uncached and logs it, trying the cache
again a few seconds later.
"""

import gzip
import hashlib
import logging
import time

from django.conf import settings
from django.contrib import auth
from django.core.cache import cache
from django.db import DatabaseError
from django.http import HttpResponse
from django.utils import timezone, translation
from django.utils.cache import add_never_cache_headers, patch_vary_headers
from django.utils.http import http_date

from ..models import may_preview
from . import tallies

log = logging.getLogger(__name__)

STATE_KEY = "archive:state"
# How long every process trusts the version it read from the cache before asking the
# database again: the bound on staleness if the cache missed a bump while it was down.
STATE_SECONDS = 5
RETRY_AFTER = 5  # seconds without trying a cache that failed
GZIP_MIN = 1024  # bytes: smaller pages are not worth compressing
STORED_HEADERS = ("Content-Type", "Last-Modified", "ETag")


_last_logged = {}


def log_now_and_then(key, message, *args):
    """A warning at most once a minute per ``key``, not once a request."""
    now = time.monotonic()
    if now - _last_logged.get(key, -120.0) > 60:
        _last_logged[key] = now
        log.warning(message, *args)


class CacheDown:
    """A circuit breaker: after a failure, the cache is left alone for RETRY_AFTER seconds."""

    until = 0.0

    @classmethod
    def call(cls, operation, *args, default=None):
        if time.monotonic() < cls.until:
            return default
        try:
            return operation(*args)
        except Exception as error:  # noqa: BLE001 (whatever the backend raises)
            cls.until = time.monotonic() + RETRY_AFTER
            log_now_and_then("cache", "cache unreachable, serving pages uncached: %s", error)
            return default


def _state_value(state):
    return (state.version, state.changed_at, state.next_go_live)


@tallies.on_state_change
def publish_state(state):
    """After a committed change: every process sees the new version at once."""
    CacheDown.call(cache.set, STATE_KEY, _state_value(state), STATE_SECONDS)


_last_known = None  # this process's newest state, for when the database does not answer


def current_state(cached, use_cache=True):
    """(version, changed_at, next_go_live): from the cache when it has it, else from the
    database (then offered to the cache, unless another process put a newer one there). A
    scheduled issue whose time has come is reconciled here, by the first request after.

    While the database is down, the last state this process saw keeps cached pages served."""
    global _last_known
    if cached is None:
        try:
            cached = _state_value(tallies.current_state())
        except DatabaseError:
            if _last_known is None:
                raise
            log_now_and_then("database", "database unreachable: serving cached pages only")
            return _last_known
        if use_cache:
            CacheDown.call(cache.add, STATE_KEY, cached, STATE_SECONDS)
    _last_known = cached
    version, changed_at, next_go_live = cached
    if next_go_live is not None and next_go_live <= timezone.now():
        tallies.reconcile()
        cached = _state_value(tallies.current_state())
        if use_cache:
            CacheDown.call(cache.set, STATE_KEY, cached, STATE_SECONDS)
    return cached


def shared_cache_control():
    """Browsers ask again each time (and get 304s); a CDN or proxy may hold it briefly."""
    seconds = settings.SHARED_CACHE_SECONDS
    return f"public, max-age=0, s-maxage={seconds}, stale-while-revalidate={seconds}"


def page_key(request):
    """A page's key: its scheme, host and path, in its language. A page names its own
    absolute address (canonical, feeds, sharing cards), so one rendered for one allowed host
    is never served for another."""
    address = f"{request.scheme}://{request.get_host()}{request.get_full_path()}"
    digest = hashlib.sha1(address.encode()).hexdigest()
    return f"archive:page:{translation.get_language()}:{digest}"


def is_editor(request):
    """Whether the request comes from a signed-in editor, who sees drafts and banners and so
    always gets a fresh page (models.may_preview). A session cookie alone proves nothing: a
    made-up one costs one lookup of the session and is served like any reader's request."""
    if settings.SESSION_COOKIE_NAME not in request.COOKIES:
        return False
    if not hasattr(request, "_cached_user"):  # shared with AuthenticationMiddleware
        request._cached_user = auth.get_user(request)
    return may_preview(request._cached_user)


class PageCacheMiddleware:
    """Serve reader pages from the cache while the archive's version is the one they were
    rendered at. Placed after the language middleware and ConditionalGetMiddleware."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not getattr(request, "reader_page", False):
            return self.get_response(request)
        enabled = settings.PAGE_CACHE_SECONDS > 0
        if is_editor(request):
            current_state(None, use_cache=False)  # what is due goes live for editors too
            response = self.get_response(request)
            add_never_cache_headers(response)  # an editor's view: drafts, banners
            return response
        cacheable = enabled and request.method in ("GET", "HEAD")
        key = page_key(request)
        found = CacheDown.call(cache.get_many, [STATE_KEY, key], default={}) if cacheable else {}
        version, changed_at, _next = current_state(found.get(STATE_KEY), use_cache=enabled)
        entry = found.get(key)
        if entry is not None and entry["version"] == version:
            response = self.from_entry(request, entry)
        else:
            response = self.get_response(request)
            if cacheable and self.storable(response):
                self.finish(response, changed_at)
                CacheDown.call(
                    cache.set, key, self.entry(response, version), settings.PAGE_CACHE_SECONDS
                )
                response["X-Cache"] = "miss"
        private = "private" in response.get("Cache-Control", "")  # a subscriber's own page
        if response.status_code == 200 and request.method in ("GET", "HEAD") and not private:
            self.finish(response, changed_at)
            response["Cache-Control"] = shared_cache_control()
        return response

    @staticmethod
    def entry(response, version):
        """What the cache keeps of a response: its body, compressed once (nearly every
        client takes gzip, and a smaller entry is a faster cache read; reader pages hold no
        secret, so compression reveals none)."""
        body = response.content
        compressed = len(body) > GZIP_MIN
        return {
            "version": version,
            "status": response.status_code,
            "headers": {name: response[name] for name in STORED_HEADERS if name in response},
            "body": gzip.compress(body, 6, mtime=0) if compressed else body,
            "gzip": compressed,
        }

    @staticmethod
    def from_entry(request, entry):
        response = HttpResponse(status=entry["status"])
        for name, value in entry["headers"].items():
            response[name] = value
        patch_vary_headers(response, ("Accept-Encoding",))
        if not entry["gzip"]:
            response.content = entry["body"]
        elif "gzip" in request.headers.get("Accept-Encoding", ""):
            response.content = entry["body"]
            response["Content-Encoding"] = "gzip"
            if response.has_header("ETag"):  # another representation of the same page
                response["ETag"] = "W/" + response["ETag"].removeprefix("W/")
        else:
            response.content = gzip.decompress(entry["body"])
        response["X-Cache"] = "hit"
        return response

    @staticmethod
    def storable(response):
        return (
            response.status_code == 200
            and not response.streaming
            and not response.cookies
            and "private" not in response.get("Cache-Control", "")
        )

    @staticmethod
    def finish(response, changed_at):
        """Validators: the content's own ETag, and when the archive last changed (a feed
        says when its newest entry did)."""
        if not response.has_header("ETag") and not response.streaming:
            response["ETag"] = f'"{hashlib.md5(response.content).hexdigest()}"'  # noqa: S324
        if not response.has_header("Last-Modified"):
            response["Last-Modified"] = http_date(changed_at.timestamp())
