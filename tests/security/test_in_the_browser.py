"""In real Chromium: every page works under the site's Content-Security-Policy with not one
violation (reader pages in both languages, the API's docs, and the admin as an editor uses it:
composing an issue with its scripts, select2, the URL checks and title offers, the inbox and
the bookmarklet's window); and the composer's script, given hostile page titles and hostile
check-url answers, puts nothing live on the page even with the policy switched off."""

import datetime

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command

from archive.ingest.inbox import bookmarklet_key
from archive.models import Category
from tests.browser import browser_marks
from tests.httpserver import LocalServer, html

pytestmark = browser_marks()

PASSWORD = "correct horse battery"

# Run in every document before its own scripts: what the policy refused, and whether any
# payload ran.
WATCH = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__violations.push(e.violatedDirective + " " + (e.blockedURI || "inline") + " " +
                          (e.sourceFile || "") + ":" + (e.lineNumber || ""));
});
"""


@pytest.fixture
def editor(transactional_db, django_user_model):
    user = django_user_model.objects.create_user("editor", password=PASSWORD)
    user.is_staff = True
    user.save()
    user.groups.add(Group.objects.get(name="editors"))
    return user


def log_in(page, next_url):
    page.goto(f"/admin/login/?next={next_url}")
    page.fill("#id_username", "editor")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(f"**{next_url}")


class Watched:
    """Every CSP violation a page reports, from its event and from the console."""

    def __init__(self, page):
        self.page = page
        self.console = []
        page.add_init_script(WATCH)
        page.on(
            "console",
            lambda message: (
                "Content Security Policy" in message.text and self.console.append(message.text)
            ),
        )

    def visit(self, url):
        self.page.goto(url)
        self.page.wait_for_load_state("networkidle")
        self.check(url)

    def check(self, where):
        found = self.page.evaluate("window.__violations || []")
        assert found == [] and self.console == [], (where, found, self.console)


def test_every_page_works_under_the_policy_with_no_violation(page, editor, live_server):
    call_command("import_markdown", "archive/demo", "--publish", verbosity=0)
    watched = Watched(page)
    for prefix in ["", "/en"]:
        for url in ["/", "/issues/", "/issues/3/", "/categories/", "/tags/", "/search/?q=rust"]:
            watched.visit(prefix + url)
    watched.visit("/api/v1/docs/")
    assert page.locator(".swagger-ui").count() == 1  # Swagger UI ran, from our own files
    page.locator(".opblock-summary").first.wait_for()

    log_in(page, "/admin/archive/issue/")
    for url in [
        "/admin/",
        "/admin/archive/issue/",
        "/admin/archive/issue/import/",
        "/admin/archive/link/",
        "/admin/archive/inboxitem/",
        "/admin/archive/inboxitem/bookmarklet/",
        "/admin/archive/linkhealth/",
        "/admin/archive/category/",
    ]:
        watched.visit(url)

    # Compose: sections and links added by nested-admin's script, a category chosen through
    # select2's search, URLs checked as they are typed.
    Category.objects.get_or_create(name="实用工具")
    watched.visit("/admin/archive/issue/add/")
    page.fill("#id_number", "77")
    page.fill("#id_date", "2024-06-07")
    page.click(".djn-add-handler.djn-model-archive-section")
    section = page.locator("#sections-0")
    section.locator(".select2-selection").click()
    page.fill(".select2-search__field", "实用")
    page.click(".select2-results__option >> text=实用工具")
    section.locator(".djn-add-handler.djn-level-2").click()
    page.fill("[name=sections-0-links-0-title]", "ripgrep")
    page.fill("[name=sections-0-links-0-url]", "https://www.postgresql.org/about/")
    page.locator("#sections-0-links-0 .url-featured").wait_for(state="attached")
    page.fill("[name=sections-0-links-0-tags]", "cli")
    # The composer's own requests (URL checks, tag suggestions) finish first: the test
    # server shares one SQLite connection between its threads, so no two may overlap.
    page.wait_for_load_state("networkidle")
    page.click("input[name=_save]")
    page.wait_for_url("**/admin/archive/issue/")
    watched.check("the composer")
    watched.visit("/admin/archive/issue/")
    assert "ripgrep" in page.content() or page.locator("text=第 77 期").count()

    # The bookmarklet's window: saved at once, then it closes itself (its script, not inline).
    key = bookmarklet_key(editor)
    save = f"/admin/archive/inboxitem/bookmarklet/save/?key={key}&url=https://new.example/"
    with page.expect_popup() as opened:
        page.evaluate("url => window.open(url, 'lw_inbox', 'width=520,height=420')", save)
    popup = opened.value
    popup.wait_for_event("close", timeout=10_000)
    assert popup.is_closed()
    watched.check("the bookmarklet's window")


def test_the_composer_puts_nothing_live_from_hostile_titles_or_answers(
    audit_page, editor, live_server, monkeypatch
):
    """With the policy off (audit_page), so that the escaping itself is what is tested."""
    page = audit_page
    monkeypatch.setenv("OUTBOUND_ALLOW_LOOPBACK", "1")
    hostile_title = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>'
    title_page = f"<html><head><title>{hostile_title}</title></head></html>"
    Category.objects.create(name="实用工具")
    page.add_init_script("window.__pwned = 0;")
    with LocalServer({"/evil": html(title_page)}) as server:
        log_in(page, "/admin/archive/issue/add/")
        page.click(".djn-add-handler.djn-model-archive-section")
        section = page.locator("#sections-0")
        for _ in range(2):
            section.locator(".djn-add-handler.djn-level-2").click()

        # A page whose own title is markup: offered, and taken, as text.
        page.fill("[name=sections-0-links-0-url]", server.url + "/evil")
        offer = page.locator("#sections-0-links-0 .title-offer button")
        offer.wait_for()
        offered = offer.inner_text().split("：", 1)[1]
        assert offered.endswith("<script>window.__pwned=2</script>") and "onerror" in offered
        offer.click()
        assert page.input_value("[name=sections-0-links-0-title]") == offered

        # A check-url answer that is hostile in every field.
        def hostile(route):
            route.fulfill(
                status=200,
                content_type="application/json",
                body=(
                    '{"normalized": "https://x.example/", "cleaned": "https://x.example/",'
                    ' "in_inbox": 0,'
                    ' "notice": "<img src=x onerror=\\"window.__pwned=3\\">",'
                    ' "notice_pattern": "<b onmouseover=\\"window.__pwned=4\\">{issues}</b>",'
                    ' "separator": "<i onclick=\\"window.__pwned=5\\">",'
                    ' "featured": ['
                    '  {"label": "<svg onload=\\"window.__pwned=6\\">", "url": "/issues/1/"},'
                    '  {"label": "second", "url": "javascript:window.__pwned=7"}'
                    " ]}"
                ),
            )

        page.route("**/admin/archive/link/check-url/**", hostile)
        page.fill("[name=sections-0-links-1-title]", "x")
        page.fill("[name=sections-0-links-1-url]", "https://x.example/")
        featured = page.locator("#sections-0-links-1 .url-featured")
        featured.wait_for(state="attached")
        page.wait_for_function(
            "el => el.textContent.includes('second')", arg=featured.element_handle()
        )
        text = featured.inner_text()
        assert '<svg onload="window.__pwned=6">' in text and "<b onmouseover" in text
        assert featured.locator("img, svg, b, i, script").count() == 0
        hrefs = [a.get_attribute("href") for a in featured.locator("a").all()]
        assert hrefs == ["/issues/1/"]  # the javascript: one is text, not a link
        featured.hover()
        page.wait_for_timeout(300)
        assert page.evaluate("window.__pwned") == 0


def test_hostile_text_stays_text_for_readers_in_the_browser(audit_page, editor, live_server):
    """With the policy off (audit_page): escaping and sanitising alone keep it inert."""
    from archive.models import Issue
    from archive.publishing import tallies
    from tests.factories import make_link, make_section

    page = audit_page
    page.add_init_script("window.__pwned = 0;")
    issue = Issue.objects.create(
        number=5,
        title='<img src=x onerror="window.__pwned=1">',
        date=datetime.date(2024, 1, 5),
        published_at=datetime.datetime(2024, 1, 5, tzinfo=datetime.UTC),
    )
    make_link(
        make_section(issue),
        '<svg onload="window.__pwned=2">',
        annotation='<img src=x onerror="window.__pwned=3"> [x](https://a.example/)',
        tags=['"><img src=x onerror=window.__pwned=4>'],
    )
    tallies.schedule(issues=[issue.pk])
    for url in ["/", "/issues/5/", "/search/?q=svg", "/tags/", "/en/issues/5/"]:
        page.goto(url)
        page.wait_for_load_state("networkidle")
        assert page.evaluate("window.__pwned") == 0, url
    assert '<svg onload="window.__pwned=2">' in page.locator("h3").first.inner_text()
