"""What would run in a browser: script elements, event handler attributes, javascript:, data:
and vbscript: addresses, frames and plugins. ``live(html)`` lists each such thing found in a
page (or a fragment); the site's own script files (``/static/…``, ``/admin/jsi18n/``) and
JSON data blocks are not anyone else's code."""

import json
import re
from html.parser import HTMLParser
from xml.etree import ElementTree

URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "data", "poster", "srcset"}
ACTIVE_ELEMENTS = {"iframe", "frame", "object", "embed", "applet", "base"}
# Browsers drop ASCII whitespace and controls inside a scheme: "java\tscript:" is javascript:.
_IGNORED_IN_SCHEME = re.compile(r"[\x00-\x20]+")
DANGEROUS = ("javascript:", "data:", "vbscript:")
# What django-nested-admin's own templates write on its buttons (the click is handled by its
# script): no payload's.
LIBRARY_IDIOMS = {"javascript:void(0)", "javascript://"}


def dangerous_address(value):
    squeezed = _IGNORED_IN_SCHEME.sub("", value or "").lower()
    return squeezed.startswith(DANGEROUS) and squeezed not in LIBRARY_IDIOMS


class _Finder(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "script":
            kind = (attributes.get("type") or "").lower()
            src = attributes.get("src") or ""
            own = src.startswith("/") and not src.startswith("//")  # this site's own file
            if kind != "application/json" and not own:
                self.found.append(f"<script {attrs}>")
        if tag in ACTIVE_ELEMENTS or (
            tag == "meta" and (attributes.get("http-equiv") or "").lower() == "refresh"
        ):
            self.found.append(f"<{tag} {attrs}>")
        for name, value in attrs:
            if name.startswith("on") or (
                name in URL_ATTRIBUTES
                and dangerous_address(value)
                and not (tag == "img" and (value or "").startswith("data:image/"))
            ):
                self.found.append(f"<{tag} {name}={value!r}>")

    handle_startendtag = handle_starttag


def live(html):
    finder = _Finder()
    finder.feed(html)
    finder.close()
    return finder.found


def live_in_feed(xml):
    """Live code in what a feed reader shows as HTML: Atom elements of ``type="html"``, RSS
    ``description``. (Titles are text: a reader shows ``<script>`` in one as those letters.)"""
    found = []
    root = ElementTree.fromstring(xml)
    for element in root.iter():
        name = element.tag.rsplit("}", 1)[-1]
        html = element.get("type") in {"html", "xhtml"} or name == "description"
        if html and element.text:
            found += live(element.text)
        if name == "link" and dangerous_address(element.get("href") or element.text or ""):
            found.append(f"feed link {element.get('href') or element.text}")
    return found


def live_in_json(text):
    """Live code in the API's HTML fields (``*_html``), and any address field that is not
    http(s)."""
    found = []

    def walk(value, key=""):
        if isinstance(value, dict):
            for name, inner in value.items():
                walk(inner, name)
        elif isinstance(value, list):
            for inner in value:
                walk(inner, key)
        elif isinstance(value, str):
            if key.endswith("_html"):
                found.extend(live(value))
            elif key in {"url", "page", "api_url", "archived_copy"} and dangerous_address(value):
                found.append(f"{key}: {value}")

    walk(json.loads(text))
    return found
