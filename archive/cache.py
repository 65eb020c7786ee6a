"""Whole reader pages in Django's cache (Redis in production), keyed on the archive's version.

A page is stored with the version it was rendered at (archive.tallies bumps the version on
every change readers could see) and served while that version is current: one cache round
trip fetches the page and the version together. Editors, and anyone with a session, always
get a fresh page. Responses carry an ETag and Last-Modified (so browsers and feed readers get
304s) and a Cache-Control that lets a CDN or reverse proxy hold them briefly.

If the cache is unreachable the site serves every page uncached and logs it, trying the cache
again a few seconds later.
"""

import hashlib
import logging
import time

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse
from django.utils import timezone, translation
from django.utils.cache import add_never_cache_headers, patch_cache_control
from django.utils.http import http_date

from . import tallies

log = logging.getLogger(__name__)

STATE_KEY = "archive:state"
# How long every process trusts the version it read from the cache before asking the
# database again: the bound on staleness if the cache missed a bump while it was down.
STATE_SECONDS = 5
RETRY_AFTER = 5  # seconds without trying a cache that failed
STORED_HEADERS = ("Content-Type", "Last-Modified", "ETag")


class CacheDown:
    """A circuit breaker: after a failure, the cache is left alone for RETRY_AFTER seconds."""

    until = 0.0
    logged = 0.0

    @classmethod
    def call(cls, operation, *args, default=None):
        if time.monotonic() < cls.until:
            return default
        try:
            return operation(*args)
        except Exception as error:  # noqa: BLE001 (whatever the backend raises)
            now = time.monotonic()
            cls.until = now + RETRY_AFTER
            if now - cls.logged > 60:
                cls.logged = now
                log.warning("cache unreachable, serving pages uncached: %s", error)
            return default


def _state_value(state):
    return (state.version, state.changed_at, state.next_go_live)


@tallies.on_state_change
def publish_state(state):
    """After a committed change: every process sees the new version at once."""
    CacheDown.call(cache.set, STATE_KEY, _state_value(state), STATE_SECONDS)


def current_state(cached, use_cache=True):
    """(version, changed_at, next_go_live): from the cache when it has it, else from the
    database (then offered to the cache, unless another process put a newer one there). A
    scheduled issue whose time has come is reconciled here, by the first request after."""
    if cached is None:
        cached = _state_value(tallies.current_state())
        if use_cache:
            CacheDown.call(cache.add, STATE_KEY, cached, STATE_SECONDS)
    version, changed_at, next_go_live = cached
    if next_go_live is not None and next_go_live <= timezone.now():
        tallies.reconcile()
        cached = _state_value(tallies.current_state())
        if use_cache:
            CacheDown.call(cache.set, STATE_KEY, cached, STATE_SECONDS)
    return cached


def page_key(request):
    digest = hashlib.sha1(request.get_full_path().encode()).hexdigest()
    return f"archive:page:{translation.get_language()}:{digest}"


def has_session(request):
    return settings.SESSION_COOKIE_NAME in request.COOKIES


class PageCacheMiddleware:
    """Serve reader pages from the cache while the archive's version is the one they were
    rendered at. Placed after the language middleware and ConditionalGetMiddleware."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not getattr(request, "reader_page", False):
            return self.get_response(request)
        enabled = settings.PAGE_CACHE_SECONDS > 0
        if has_session(request):
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
            response = HttpResponse(entry["body"], status=entry["status"])
            for name, value in entry["headers"].items():
                response[name] = value
            response["X-Cache"] = "hit"
        else:
            response = self.get_response(request)
            if cacheable and self.storable(response):
                self.finish(response, changed_at)
                CacheDown.call(
                    cache.set,
                    key,
                    {
                        "version": version,
                        "status": response.status_code,
                        "headers": {h: response[h] for h in STORED_HEADERS if h in response},
                        "body": response.content,
                    },
                    settings.PAGE_CACHE_SECONDS,
                )
                response["X-Cache"] = "miss"
        if response.status_code == 200:
            self.finish(response, changed_at)
            patch_cache_control(
                response,
                public=True,
                max_age=0,
                s_maxage=settings.SHARED_CACHE_SECONDS,
                stale_while_revalidate=settings.SHARED_CACHE_SECONDS,
            )
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
