"""URL normalisation: one canonical form per link, for spotting links featured before."""

from __future__ import annotations

from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit, urlunsplit

TRACKING_PARAMS = frozenset(
    {
        "spm",
        "fbclid",
        "gclid",
        "dclid",
        "msclkid",
        "mc_cid",
        "mc_eid",
        "igshid",
        "ref_src",
        "from",
        "source",
        "scm",
    }
)
TRACKING_PREFIXES = ("utm_",)
_SAFE_PATH = "/:@!$&'()*+,;=-._~%"
_SAFE_QUERY = _SAFE_PATH + "?"


def _is_tracking(name):
    lowered = name.lower()
    return lowered in TRACKING_PARAMS or lowered.startswith(TRACKING_PREFIXES)


def split_host(url):
    """The host of a URL, lower-cased and in its Unicode form, or "" when there is none."""
    try:
        host = urlsplit(url.strip()).hostname or ""
    except ValueError:
        return ""
    try:
        return host.encode("ascii").decode("idna") if host.isascii() else host
    except UnicodeError:
        return host


def domain_of(url):
    """The domain readers browse by: the host without a leading ``www.``."""
    host = split_host(url)
    return host[4:] if host.startswith("www.") else host


def normalize_url(url):
    """A canonical ASCII form: https, lower-case host without www., no default port, no
    fragment, no tracking parameters, no trailing slash. Two links to the same page agree."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return url.strip()[:2000]
    host = domain_of(url)
    try:
        host = host.encode("idna").decode("ascii")
    except UnicodeError:
        host = quote(host)
    if port and port not in (80, 443):
        host = f"{host}:{port}"
    path = quote(unquote(parts.path), safe=_SAFE_PATH).rstrip("/")
    query = [
        (name, value)
        for name, value in parse_qsl(parts.query, keep_blank_values=True)
        if not _is_tracking(name)
    ]
    query_text = quote(urlencode(query, safe=_SAFE_QUERY), safe=_SAFE_QUERY + "=")
    return urlunsplit(("https", host, path, query_text, ""))[:2000]
