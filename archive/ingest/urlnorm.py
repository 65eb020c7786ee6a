"""URLs two ways: cleaned for readers, and normalised for comparison.

``clean_url`` is what is stored and served: the address as typed, less its tracking
parameters (``utm_*``, ``fbclid``, WeChat's ``chksm``, …; ``settings.EXTRA_TRACKING_PARAMETERS``
adds more). ``normalize_url`` is one canonical form per page, for spotting a link featured
before: redirectors unwrapped, https, lower-case host without ``www.``, no default port, no
fragment, no trailing slash, query parameters sorted; the path keeps its case.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit, urlunsplit

TRACKING_PARAMETERS = frozenset(
    {
        "fbclid",
        "gclid",
        "dclid",
        "gbraid",
        "wbraid",
        "msclkid",
        "yclid",
        "twclid",
        "igshid",
        "igsh",
        "mkt_tok",
        "_hsenc",
        "_hsmi",
        "spm",
        "scm",
        "ref",
        "ref_src",
        "ref_url",
        "share_source",
        "share_medium",
        "share_plat",
        "share_session_id",
        "share_tag",
        "share_from",
        "vd_source",
        "zhida_source",
    }
)
TRACKING_PREFIXES = ("utm_", "mc_", "pk_campaign", "pk_kwd", "hsa_")
# Parameters that only track on some hosts (elsewhere they may mean something).
HOST_TRACKING_PARAMETERS = {
    "mp.weixin.qq.com": frozenset(
        {
            "chksm",
            "scene",
            "sessionid",
            "srcid",
            "mpshare",
            "sharer_shareid",
            "sharer_sharetime",
            "sharer_shareinfo",
            "sharer_shareinfo_first",
            "clicktime",
            "enterid",
            "exportkey",
            "pass_ticket",
            "subscene",
            "from",
            "isappinstalled",
            "ascene",
            "devicetype",
            "version",
            "nettype",
            "lang",
            "fontscale",
            "realreporttime",
            "key",
            "wx_header",
            "poc_token",
        }
    ),
    "zhuanlan.zhihu.com": frozenset({"from"}),
    "www.zhihu.com": frozenset({"from"}),
    "twitter.com": frozenset({"s", "t"}),
    "x.com": frozenset({"s", "t"}),
}
# Redirectors whose target is in a query parameter (click trackers are found by path too).
REDIRECTORS = {
    "link.zhihu.com": "target",
    "www.google.com": "q",
    "google.com": "q",
    "l.facebook.com": "u",
    "lm.facebook.com": "u",
    "l.instagram.com": "u",
    "www.youtube.com": "q",
    "link.juejin.cn": "target",
    "link.csdn.net": "target",
    "t.umblr.com": "z",
    "out.reddit.com": "url",
    "weibo.cn": "u",
}
REDIRECT_PARAMETERS = ("target", "url", "to", "redirect", "redirect_url", "u", "dest")
REDIRECT_PATHS = ("click", "redirect", "jump", "goto", "out", "track", "link")
_SAFE_PATH = "/:@!$&'()*+,;=-._~%"
_SAFE_QUERY = _SAFE_PATH + "?"

_extra = frozenset()


def extend_tracking_parameters(names):
    """Add parameters to drop (settings.EXTRA_TRACKING_PARAMETERS, read by the app)."""
    global _extra
    _extra = frozenset(name.strip().lower() for name in names if name.strip())


def is_tracking(name, host=""):
    lowered = name.lower()
    return (
        lowered in TRACKING_PARAMETERS
        or lowered in _extra
        or lowered.startswith(TRACKING_PREFIXES)
        or lowered in HOST_TRACKING_PARAMETERS.get(host, ())
    )


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


def unwrap_redirect(url):
    """The real URL behind a redirector (``link.zhihu.com/?target=…``, ``…/click?target=…``),
    or ``url`` itself."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return url
    if not parts.query:
        return url
    host = (parts.hostname or "").lower()
    names = (REDIRECTORS[host],) if host in REDIRECTORS else ()
    if not names and any(word in parts.path.lower() for word in REDIRECT_PATHS):
        names = REDIRECT_PARAMETERS
    for name, value in parse_qsl(parts.query):
        if name.lower() in names and value.startswith(("http://", "https://")):
            return value
    return url


def tracking_parameters(url):
    """The names of the tracking parameters in ``url``, in order."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return []
    host = (parts.hostname or "").lower()
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    return [name for name, _value in pairs if is_tracking(name, host)]


def clean_url(url):
    """``url`` as typed, less its tracking parameters (and a query left empty by that).
    Everything else, the order of the other parameters and the fragment included, stays."""
    url = url.strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    if not parts.query:
        return url
    host = (parts.hostname or "").lower()
    kept = [
        piece
        for piece in parts.query.split("&")
        if piece and not is_tracking(unquote(piece.split("=", 1)[0]), host)
    ]
    if len(kept) == len([piece for piece in parts.query.split("&") if piece]):
        return url
    return urlunsplit(parts._replace(query="&".join(kept)))


def normalize_url(url):
    """A canonical ASCII form for comparison. Two links to the same page agree; the path's
    case is kept (``/P`` and ``/p`` may be different pages)."""
    url = unwrap_redirect(url.strip())
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return url[:2000]
    raw_host = (parts.hostname or "").lower()
    host = domain_of(url)
    try:
        host = host.encode("idna").decode("ascii")
    except UnicodeError:
        host = quote(host)
    if port and port not in (80, 443):
        host = f"{host}:{port}"
    path = quote(unquote(parts.path), safe=_SAFE_PATH).rstrip("/")
    query = sorted(
        (name, value)
        for name, value in parse_qsl(parts.query, keep_blank_values=True)
        if not is_tracking(name, raw_host)
    )
    query_text = quote(urlencode(query, safe=_SAFE_QUERY), safe=_SAFE_QUERY + "=")
    return urlunsplit(("https", host, path, query_text, ""))[:2000]
