from urllib.parse import urlsplit

from django import template

register = template.Library()


@register.filter
def http_url(url):
    """The URL when it is http(s), else "": a stored javascript: or data: URL is never a link,
    even one written past the model's validation."""
    try:
        scheme = urlsplit(url.strip()).scheme.lower()
    except (AttributeError, ValueError):
        return ""
    return url if scheme in ("http", "https") else ""
