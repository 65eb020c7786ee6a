"""Which language a request is answered in.

The reader's site puts the language in its URLs: ``/issues/3/`` speaks the site's
``LANGUAGE_CODE`` (zh-hans), ``/en/issues/3/`` English. One URL, one language, so pages can be
cached and shared and search engines can tell the versions apart (``hreflang``).

A reader's preference is the language cookie the switcher sets, else the browser's
``Accept-Language``. A browser asking for an unprefixed page in another language it prefers
is redirected to that language's URL; an explicit ``/en/…`` URL is always served as it says.
The admin, outside the prefixed patterns, simply follows the preference.
"""

from functools import lru_cache

from django.conf import settings
from django.http import HttpResponseRedirect
from django.middleware.locale import LocaleMiddleware
from django.urls import Resolver404, resolve, translate_url
from django.utils import translation
from django.utils.cache import patch_vary_headers

READER_NAMESPACE = "archive"


@lru_cache(maxsize=8192)
def is_reader_page(path, language=None):
    """Whether ``path`` is one of the reader's pages (in ``language``, its prefix's).
    Remembered: every request asks, and resolving costs more than serving a cached page."""
    with translation.override(language or settings.LANGUAGE_CODE):
        try:
            return resolve(path).namespace == READER_NAMESPACE
        except Resolver404:
            return False


class LanguageMiddleware(LocaleMiddleware):
    def process_request(self, request):
        from_path = translation.get_language_from_path(request.path_info)
        preferred = translation.get_language_from_request(request)
        request.negotiated_language = False
        if from_path:
            language = from_path
            request.reader_page = is_reader_page(request.path_info, from_path)
        elif is_reader_page(request.path_info):
            language = settings.LANGUAGE_CODE
            request.negotiated_language = request.reader_page = True
            if preferred != language and self.wants_a_page(request):
                translation.activate(language)  # translate_url resolves in the active one
                target = translate_url(request.get_full_path(), preferred)
                if target != request.get_full_path():
                    response = HttpResponseRedirect(target)
                    patch_vary_headers(response, ("Accept-Language", "Cookie"))
                    return response
        else:
            language = preferred
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()

    @staticmethod
    def wants_a_page(request):
        """A browser navigating to a page, not a feed reader or a script: only those are
        redirected to their language."""
        return request.method in ("GET", "HEAD") and "text/html" in request.headers.get(
            "Accept", ""
        )

    def process_response(self, request, response):
        if getattr(request, "negotiated_language", False):
            # Another browser could have been redirected from this URL.
            patch_vary_headers(response, ("Accept-Language", "Cookie"))
        response.headers.setdefault("Content-Language", translation.get_language())
        return response
