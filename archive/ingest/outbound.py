"""The archive's outbound HTTP: one set of rules for every request the site makes itself
(an editor's title fetch, the link checker).

- http and https only, a few seconds at most, a capped body, a few redirects;
- never to a loopback, private, link-local, multicast or reserved address: the host is
  resolved first, every address it resolves to is checked, and the connection is made to the
  checked address (so a second DNS answer cannot point it elsewhere); each redirect is checked
  the same way. ``OUTBOUND_ALLOW_LOOPBACK=1`` in the environment allows 127.0.0.0/8, for
  tests against a server on this machine.

A refused target raises ``Refused``; a failure on the way (DNS, connection, timeout, TLS)
raises ``FetchFailed``. Either way nothing about the target's content is claimed.
"""

from __future__ import annotations

import html
import ipaddress
import os
import socket
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

import urllib3
from bs4 import BeautifulSoup
from django.conf import settings

REDIRECTS = (301, 302, 303, 307, 308)
LOOPBACK_V4 = ipaddress.ip_network("127.0.0.0/8")
IPV4_COMPATIBLE = ipaddress.ip_network("::/96")
NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))
# Special-purpose blocks that older releases of Python's ipaddress call global: IETF protocol
# assignments (192.0.0.0/24: the dummy address, PCP and TURN anycast), none a web page's.
NOT_GLOBAL = (ipaddress.ip_network("192.0.0.0/24"),)


class Refused(Exception):
    """The target is not one the site may fetch."""


class FetchFailed(Exception):
    """The request did not get an answer (DNS, connection, timeout, TLS, too many redirects)."""


@dataclass
class Fetched:
    url: str  # after redirects
    status: int
    headers: dict
    body: bytes = b""
    truncated: bool = False
    redirects: list = field(default_factory=list)

    @property
    def content_type(self):
        return self.headers.get("content-type", "").split(";")[0].strip().lower()

    @property
    def charset(self):
        for part in self.headers.get("content-type", "").split(";")[1:]:
            name, _, value = part.strip().partition("=")
            if name.lower() == "charset" and value:
                return value.strip("\"' ")
        return None


def loopback_allowed():
    return os.environ.get("OUTBOUND_ALLOW_LOOPBACK", "").strip().lower() in {"1", "true", "yes"}


def embedded_ipv4(ip):
    """The IPv4 addresses an IPv6 address carries and would reach: IPv4-mapped
    (``::ffff:a.b.c.d``), IPv4-compatible (``::a.b.c.d``), NAT64 (``64:ff9b::/96`` and the
    local ``64:ff9b:1::/48``), 6to4 (``2002::/16``) and Teredo (server and client)."""
    if ip.version != 6:
        return []
    found = []
    if ip.ipv4_mapped:
        found.append(ip.ipv4_mapped)
    if ip in IPV4_COMPATIBLE and int(ip) > 1:  # not :: or ::1, which are IPv6's own
        found.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))  # refused in any case
    if any(ip in network for network in NAT64):
        found.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    if ip.sixtofour is not None:
        found.append(ip.sixtofour)
    if ip.teredo is not None:
        found.extend(ip.teredo)
    return found


def address_allowed(address):
    """Whether the site may connect to this IP address: a globally routable one only, and
    never one that carries a private, loopback or otherwise local IPv4 address inside it."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if ip.version == 6 and ip in IPV4_COMPATIBLE:
        return False  # ::a.b.c.d: deprecated, routed nowhere on the internet (nor :: and ::1)
    inner = embedded_ipv4(ip)
    if inner:
        return all(address_allowed(str(v4)) for v4 in inner)
    if ip.version == 4 and ip in LOOPBACK_V4:
        return loopback_allowed()
    if any(ip in network for network in NOT_GLOBAL if network.version == ip.version):
        return False
    return ip.is_global and not ip.is_multicast


def resolve(host, port):
    """The addresses ``host`` resolves to, every one allowed, or Refused."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise FetchFailed(f"cannot resolve {host}: {error}") from None
    addresses = list(dict.fromkeys(info[4][0] for info in infos))
    refused = [address for address in addresses if not address_allowed(address)]
    if refused or not addresses:
        raise Refused(f"{host} resolves to {', '.join(refused) or 'nothing'}, which is not public")
    return addresses


def check_url(url):
    """(scheme, host, port, path and query) of an http(s) URL, or Refused."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        raise Refused(f"{url[:100]} is not a valid URL") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname:
        raise Refused(f"{url[:100]} is not an http(s) URL")
    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query
    return scheme, parts.hostname, port or (443 if scheme == "https" else 80), target


def fetch(url, method="GET", *, timeout=None, max_bytes=None, max_redirects=5, headers=None):
    """One request by the rules above, following redirects; returns Fetched."""
    timeout = timeout or settings.OUTBOUND_TIMEOUT
    max_bytes = max_bytes or settings.OUTBOUND_MAX_BYTES
    redirects = []
    while True:
        response = _request(url, method, timeout, max_bytes, headers or {})
        response.redirects = redirects
        location = response.headers.get("location")
        if response.status not in REDIRECTS or not location:
            return response
        if len(redirects) >= max_redirects:
            raise FetchFailed(f"more than {max_redirects} redirects")
        redirects.append(url)
        url = urljoin(url, location)
        if response.status == 303:
            method = "GET"


def _request(url, method, timeout, max_bytes, headers):
    scheme, host, port, target = check_url(url)
    address = resolve(host, port)[0]
    host_header = f"[{host}]" if ":" in host else host
    if port not in (80, 443):
        host_header += f":{port}"
    options = {"timeout": urllib3.Timeout(connect=timeout, read=timeout), "retries": False}
    if scheme == "https":
        pool = urllib3.HTTPSConnectionPool(
            address, port, server_hostname=host, assert_hostname=host, **options
        )
    else:
        pool = urllib3.HTTPConnectionPool(address, port, **options)
    request_headers = {
        "Host": host_header,
        "User-Agent": settings.OUTBOUND_USER_AGENT,
        "Accept": "text/html,application/xhtml+xml;q=0.9,*/*;q=0.5",
        "Accept-Encoding": "gzip, deflate",
        **headers,
    }
    try:
        response = pool.urlopen(
            method, target, headers=request_headers, redirect=False, preload_content=False
        )
        body, truncated = b"", False
        if method != "HEAD":
            for chunk in response.stream(64 * 1024):
                body += chunk
                if len(body) > max_bytes:
                    body, truncated = body[:max_bytes], True
                    break
        response.release_conn()
    except urllib3.exceptions.HTTPError as error:
        raise FetchFailed(f"{type(error).__name__}: {error}") from None
    finally:
        pool.close()
    return Fetched(
        url=url,
        status=response.status,
        headers={name.lower(): value for name, value in response.headers.items()},
        body=body,
        truncated=truncated,
    )


@dataclass
class PageSummary:
    url: str
    title: str = ""
    description: str = ""


def title_text(element):
    """A <title>'s text as a browser reads it: what is written between its tags, markup and
    all (the element holds text only; Python's parser makes tags of a ``<`` in it)."""
    return html.unescape(element.decode_contents())


def page_summary(url):
    """The title and description a page gives of itself (Open Graph first, then <title> and
    the description meta), for an editor. Refused and FetchFailed pass through."""
    fetched = fetch(url, headers={"Accept": "text/html,application/xhtml+xml"})
    summary = PageSummary(url=fetched.url)
    if fetched.status >= 400 or fetched.content_type not in ("text/html", "application/xhtml+xml"):
        return summary
    soup = BeautifulSoup(fetched.body, "html.parser", from_encoding=fetched.charset)

    def meta(*names):
        for name in names:
            tag = soup.find("meta", attrs={"property": name}) or soup.find(
                "meta", attrs={"name": name}
            )
            if tag and tag.get("content", "").strip():
                return tag["content"]
        return ""

    title = meta("og:title", "twitter:title") or (title_text(soup.title) if soup.title else "")
    summary.title = " ".join(title.split())[:300]
    description = meta("og:description", "twitter:description", "description")
    summary.description = " ".join(description.split())[:1000]
    return summary
