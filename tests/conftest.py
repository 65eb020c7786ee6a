from pathlib import Path

import pytest
from django.conf import settings

SHARED = Path(settings.BASE_DIR).parent / "shared"
SEED = SHARED / "seed" / "2022-03-11-issue-3.md"
FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def seed_text():
    if not SEED.exists():
        pytest.skip("the seed issue (../shared/seed) is not beside this checkout")
    return SEED.read_text(encoding="utf-8")


@pytest.fixture
def seed_path(seed_text):
    return SEED


@pytest.fixture
def editor(db, django_user_model):
    """A staff user in the editors group, as `create_editor` makes one."""
    from django.contrib.auth.models import Group

    user = django_user_model.objects.create_user("editor", password="correct horse battery")
    user.is_staff = True
    user.save()
    user.groups.add(Group.objects.get(name="editors"))
    return user


@pytest.fixture
def editor_client(client, editor):
    client.force_login(editor)
    return client


@pytest.fixture(autouse=True)
def site_language():
    """Each test starts in the site's language: a request to /en/… leaves English active in
    this thread, as it does in a server thread until its next request."""
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def tallies_at_once(request, monkeypatch):
    """Most tests run inside a transaction that never commits: recount at once, as a commit
    would. Tests marked ``on_commit`` keep the real behaviour."""
    if "on_commit" not in request.keywords:
        monkeypatch.setattr("archive.publishing.tallies._on_commit", lambda callback: callback())


@pytest.fixture
def page(live_server):
    """A page in real Chromium (tests/browser.py), under the site's Content-Security-Policy."""
    from tests.browser import browser_page

    with browser_page(live_server) as page:
        yield page


@pytest.fixture
def audit_page(live_server):
    """A page that lets the test inject scripts of its own (axe-core), which the site's
    Content-Security-Policy rightly refuses as inline scripts."""
    from tests.browser import browser_page

    with browser_page(live_server, bypass_csp=True) as page:
        yield page
