"""Who a request comes from, for the limits per address (the API's, readers' suggestions).

Behind ``NUM_PROXIES`` trusted proxies, each appending the address it saw to
``X-Forwarded-For``, the client is the hop the outermost trusted proxy wrote: that many from
the right. Anything further left was written by the client and proves nothing. Without
proxies (the default), or when the header is short or not an address, it is ``REMOTE_ADDR``.
"""

import ipaddress

from django.conf import settings
from django.core.cache import cache


def client_address(request):
    remote = request.META.get("REMOTE_ADDR", "")
    proxies = settings.NUM_PROXIES
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if proxies <= 0 or not forwarded:
        return remote
    hops = [hop.strip() for hop in forwarded.split(",")]
    if len(hops) < proxies:  # fewer hops than proxies: not the chain we were told of
        return remote
    hop = hops[-proxies]
    try:
        return str(ipaddress.ip_address(hop))
    except ValueError:
        return remote


def over_the_limit(key, limit, seconds=60 * 60):
    """Count one more under ``key`` for ``seconds``; True once past ``limit``. Without a
    cache there is no limit rather than no service."""
    try:
        cache.add(key, 0, seconds)
        return cache.incr(key) > limit
    except Exception:  # noqa: BLE001 (the cache is down)
        return False
