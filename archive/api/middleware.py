"""What every /api/v1/ response gets besides its body: CORS open for GET (anyone's page may
read the archive), a per-address rate limit for anonymous clients (429 with Retry-After), the
reader pages' cache and validators (archive.publishing.cache: ETag, Last-Modified, 304), and
the site's own language whatever the client's (answers do not vary by it).

Placed after ConditionalGetMiddleware and before archive.publishing.cache.PageCacheMiddleware, so a
request past its limit is refused before the cache is asked."""

import json
import math
import time

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse
from django.utils import translation

from ..publishing.cache import is_editor
from ..views.limits import client_address

PREFIX = "/api/v1/"
WINDOW = 60  # seconds
CORS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Expose-Headers": "ETag, Last-Modified, Retry-After",
}


def count(key):
    """Add one to ``key``'s count, made for the window if new: with Django's Redis cache in
    one round trip (INCR and EXPIRE pipelined), as every API request pays for it."""
    backend = getattr(cache, "_cache", None)
    if hasattr(backend, "get_client"):
        stored = cache.make_and_validate_key(key)
        pipeline = backend.get_client(stored, write=True).pipeline()
        pipeline.incr(stored)
        pipeline.expire(stored, WINDOW + 1)
        made, _expiry = pipeline.execute()
        return made
    cache.add(key, 0, WINDOW + 1)
    return cache.incr(key)


def wait_before_next(request):
    """Count this request against its address's minute; the seconds to wait when past the
    limit, else 0. Without a cache there is no limit rather than no API."""
    now = time.time()
    window = int(now // WINDOW)
    key = f"archive:api:{client_address(request)}:{window}"
    try:
        made = count(key)
    except Exception:  # noqa: BLE001
        return 0
    if made <= settings.API_REQUESTS_PER_MINUTE:
        return 0
    return max(math.ceil((window + 1) * WINDOW - now), 1)


def is_json(response):
    return response.get("Content-Type", "").startswith("application/json")


def json_error(status, detail):
    body = json.dumps({"detail": detail, "errors": []})
    return HttpResponse(body, status=status, content_type="application/json")


class ApiMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path_info.startswith(PREFIX):
            return self.get_response(request)
        translation.activate(settings.LANGUAGE_CODE)
        request.LANGUAGE_CODE = settings.LANGUAGE_CODE
        if request.method == "OPTIONS":  # a preflight: GET with If-None-Match, say
            response = HttpResponse(status=204)
            response["Access-Control-Allow-Methods"] = "GET, HEAD, OPTIONS"
            response["Access-Control-Allow-Headers"] = "If-None-Match, If-Modified-Since"
            response["Access-Control-Max-Age"] = "86400"
        elif not is_editor(request) and (wait := wait_before_next(request)):
            response = json_error(
                429,
                f"Too many requests: {settings.API_REQUESTS_PER_MINUTE} a minute from one "
                "address. Try again later.",
            )
            response["Retry-After"] = str(wait)
        else:
            request.reader_page = request.method in ("GET", "HEAD")  # cached like a page
            response = self.get_response(request)
            if response.status_code in (404, 405) and not is_json(response):
                allowed = response.get("Allow")
                response = json_error(response.status_code, "No such endpoint or method.")
                if allowed:
                    response["Allow"] = allowed
        for name, value in CORS.items():
            response[name] = value
        return response
