from django.conf import settings
from django.urls import reverse, translate_url
from django.utils import translation
from django.utils.translation import gettext

from .addresses import absolute
from .languages import READER_NAMESPACE

# Query parameters that are part of what a page is (the rest, like a facet toggle's, are not).
CANONICAL_PARAMETERS = {"page"}
SEARCH_PARAMETERS = {"q", "category", "tag", "domain", "year", "sort", "page"}


def bcp47(code):
    """``zh-Hans`` for Django's ``zh-hans``: the spelling ``lang`` and ``hreflang`` use."""
    language, _, script = code.partition("-")
    if len(script) == 4:
        return f"{language}-{script.title()}"
    return f"{language}-{script.upper()}" if script else language


def _query(request, url_name):
    keep = SEARCH_PARAMETERS if url_name == "search" else CANONICAL_PARAMETERS
    query = request.GET.copy()
    for name in list(query):
        if name not in keep:
            del query[name]
    if query.get("page") == "1":
        del query["page"]
    encoded = query.urlencode()
    return f"?{encoded}" if encoded else ""


def site(request):
    """The site's name, and for the reader's pages their canonical address, the same page in
    every language (``hreflang`` alternates and the language switcher)."""
    current = translation.get_language()
    context = {
        "site_name": settings.SITE_NAME,
        "site_description": gettext(
            "%(site)s: every link the newsletter ever featured, by issue, category, tag and "
            "domain, and searchable."
        )
        % {"site": settings.SITE_NAME},
        "current_language": current,
        "html_lang": bcp47(current),
        "feed_url": reverse("archive:feed"),
    }
    match = getattr(request, "resolver_match", None)
    if match is None or match.namespace != READER_NAMESPACE:
        path, query = reverse("archive:home"), ""
        context["translations"] = _translations(path, query, current)
        return context
    query = _query(request, match.url_name)
    context["canonical_url"] = absolute(request, request.path + query)
    context["translations"] = _translations(request.path, query, current)
    context["hreflang_alternates"] = [
        (lang, absolute(request, url)) for _code, _name, url, lang in context["translations"]
    ] + [("x-default", absolute(request, context["translations"][0][2]))]
    return context


def _translations(path, query, current):
    """[(code, name, url, BCP 47 tag)] for every language, the site's default first."""
    found = []
    for code, name in settings.LANGUAGES:
        url = path if code == current else translate_url(path, code)
        found.append((code, name, url + query, bcp47(code)))
    default = settings.LANGUAGE_CODE
    found.sort(key=lambda entry: entry[0] != default)
    return found
