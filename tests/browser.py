"""Real Chromium for end-to-end tests: Debian's chromium (/usr/bin/chromium) through
Playwright. Tests are skipped when no Chromium is installed, unless REQUIRE_BROWSER=1 (as in
CI), where a missing browser is a failure. The ``page`` and ``audit_page`` fixtures
(tests/conftest.py) open one."""

import os
import shutil
from contextlib import contextmanager

import pytest
from django.db import connections

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def browser_marks():
    """A browser test module's ``pytestmark``."""
    marks = [pytest.mark.browser]
    if not os.path.exists(CHROMIUM) and os.environ.get("REQUIRE_BROWSER") != "1":
        marks.append(
            pytest.mark.skip(reason="Chromium is not installed (apt-get install chromium)")
        )
    return marks


@contextmanager
def browser_page(live_server, **options):
    """A page in a fresh Chromium, as a reader whose browser asks for Chinese (the site's
    default)."""
    # Playwright's sync API runs an event loop in this thread; the ORM calls made by the test
    # itself are synchronous and safe.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(
            base_url=live_server.url,
            viewport={"width": 1280, "height": 900},
            locale="zh-CN",
            **options,
        )
        context.set_default_timeout(15_000)
        yield context.new_page()
        browser.close()
        # ORM calls made while Playwright runs use a connection of their own (its greenlet has
        # its own context); close it, or PostgreSQL cannot drop the test database.
        connections.close_all()
    os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


@contextmanager
def browser_pages(live_server, count):
    """``count`` pages, each in a context of its own (its own cookies: another person)."""
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        pages = []
        for _ in range(count):
            context = browser.new_context(
                base_url=live_server.url, viewport={"width": 1280, "height": 900}, locale="en-GB"
            )
            context.set_default_timeout(15_000)
            pages.append(context.new_page())
        yield pages
        browser.close()
        connections.close_all()
    os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
