"""Who sees what: every role × every reader surface × a draft, a scheduled and a published
issue. Unpublished issues (and what only they use: a category, a tag, a domain, a year) are
seen by those who may preview them (models.may_preview: the archive.view_issue permission, so
editors and superusers), on the pages that show one issue or one link, and by nobody on any
list, feed, sitemap, count or API answer. Being staff gives nothing. Run with the page cache on,
as in production, so an editor's view can never be served to anyone else."""

import datetime
import json

import pytest
from django.conf import settings
from django.core.cache import cache
from django.utils import timezone, translation

from archive.ingest.loading import load_issue
from archive.issuemd import EntryDoc, IssueDoc, SectionDoc
from archive.models import Issue, Link
from archive.publishing import cache as page_cache

pytestmark = pytest.mark.django_db

ROLES = ["anonymous", "reader", "staff", "editor", "superuser"]
PREVIEWERS = {"editor", "superuser"}


def issue_doc(number, word, year):
    """An issue whose category, tag, domain and year belong to it alone."""
    return IssueDoc(
        number=number,
        title=f"Issue of {word}",
        date=datetime.date(year, 3, 1),
        lede=f"Lede of {word}.",
        sections=[
            SectionDoc(
                f"Only{word}",
                entries=[
                    EntryDoc(
                        f"Link of {word}",
                        f"https://{word}.example.org/page",
                        f"About {word}.",
                        tags=[f"tag{word}"],
                        children=[EntryDoc(f"Child of {word}", f"https://{word}.example.org/2")],
                    )
                ],
            )
        ],
    )


@pytest.fixture
def states(settings):
    settings.PAGE_CACHE_SECONDS = 3600
    cache.clear()
    page_cache.CacheDown.until = 0.0
    later = timezone.now() + datetime.timedelta(days=3)
    issues = {
        "published": load_issue(issue_doc(1, "published", 2021), publish=True).issue,
        "draft": load_issue(issue_doc(2, "draft", 2022)).issue,
        "scheduled": load_issue(issue_doc(3, "scheduled", 2023)).issue,
    }
    Issue.objects.filter(pk=issues["scheduled"].pk).update(published_at=later)
    special = load_issue(
        IssueDoc(
            number=None,
            slug="draft-special",
            title="Special of draftspecial",
            sections=issue_doc(None, "draftspecial", 2024).sections,
        )
    ).issue
    issues["draft special"] = special
    from archive.publishing import tallies

    tallies.reconcile()
    yield issues
    cache.clear()


@pytest.fixture
def as_role(client, django_user_model):
    from django.contrib.auth.models import Group

    def log_in(role):
        client.logout()
        if role == "anonymous":
            return client
        user = django_user_model.objects.create_user(role, password="correct horse battery")
        if role == "staff":
            user.is_staff = True
        elif role == "editor":
            user.is_staff = True
            user.groups.add(Group.objects.get(name="editors"))
        elif role == "superuser":
            user.is_staff = user.is_superuser = True
        user.save()
        client.force_login(user)
        return client

    return log_in


def word_of(state):
    return state.replace(" ", "")


def secrets_of(state):
    """What only this issue says: its title, lede and its links' address."""
    word = word_of(state)
    return [f"Issue of {word}", f"Lede of {word}", f"{word}.example.org", f"About {word}."]


def body(response):
    return response.content.decode()


def shows(response, secrets):
    text = body(response)
    return [secret for secret in secrets if secret in text]


# Surfaces that show one issue or one link: previewers see it, with a banner; nobody else.
def single_surfaces(state, issue):
    link = Link.objects.get(title=f"Link of {word_of(state)}")
    child = Link.objects.get(title=f"Child of {word_of(state)}")
    with translation.override(settings.LANGUAGE_CODE):
        return [
            issue.get_absolute_url(),
            link.get_absolute_url(),
            child.get_absolute_url(),
            "/en" + issue.get_absolute_url(),
        ]


# Surfaces that list or count: only what is published, for every role.
def list_surfaces(state):
    word = word_of(state)
    return [
        "/",
        "/issues/",
        "/categories/",
        "/tags/",
        f"/search/?q={word}",
        f"/search/?q=Link+of+{word}",
        "/feed/",
        "/feed/rss/",
        "/sitemap.xml",
        "/sitemap-issues.xml",
        "/sitemap-categories.xml",
        "/sitemap-tags.xml",
        "/sitemap-links.xml",
        "/issues/1/",  # its previous/next issue
        "/api/v1/issues/",
        f"/api/v1/links/?q={word}",
        "/api/v1/links/",
        "/api/v1/categories/",
        "/api/v1/tags/",
        "/api/v1/domains/",
    ]


# Pages of something only an unpublished issue has: they do not exist for anyone yet.
def gone_surfaces(state, issue):
    word = word_of(state)
    link = Link.objects.get(title=f"Link of {word}")
    api_issue = (
        f"/api/v1/issues/{issue.number}/" if issue.number else f"/api/v1/specials/{issue.slug}/"
    )
    return [
        f"/categories/only{word}/",
        f"/categories/only{word}/feed/",
        f"/tags/tag{word}/",
        f"/tags/tag{word}/feed/",
        f"/domains/{word}.example.org/",
        f"/domains/{word}.example.org/feed/",
        f"/api/v1/links/?category=only{word}",
        f"/api/v1/links/?tag=tag{word}",
        f"/api/v1/links/{link.pk}/",
        api_issue,
    ]


YEARS = {"draft": 2022, "scheduled": 2023}


@pytest.mark.parametrize("role", ROLES)
def test_each_role_sees_what_it_may_and_nothing_more(states, as_role, role):
    client = as_role(role)
    for state, issue in states.items():
        secrets = secrets_of(state)
        visible = state == "published" or role in PREVIEWERS
        for url in single_surfaces(state, issue):
            response = client.get(url)
            if visible:
                assert response.status_code == 200, (role, state, url)
                assert secrets[2] in body(response), (role, state, url)
            else:
                assert response.status_code == 404, (role, state, url, response.status_code)
                assert not shows(response, secrets), (role, state, url)
        if state == "published":
            continue
        for url in list_surfaces(state):
            response = client.get(url)
            assert response.status_code == 200, (role, state, url, response.status_code)
            assert not shows(response, secrets), (role, state, url)
        for url in gone_surfaces(state, issue):
            response = client.get(url)
            assert response.status_code == 404, (role, state, url, response.status_code)
            # (a 404 page may repeat the address it was asked for, a domain's say)
            assert not shows(response, secrets[:2] + secrets[3:]), (role, state, url)
        if state in YEARS:
            assert client.get(f"/years/{YEARS[state]}/").status_code == 404


@pytest.mark.parametrize("role", ROLES)
def test_the_published_issue_is_everyones_and_counts_only_it(states, as_role, role):
    client = as_role(role)
    categories = json.loads(client.get("/api/v1/categories/").content)
    assert [(c["slug"], c["link_count"]) for c in categories] == [("onlypublished", 2)]
    tags = json.loads(client.get("/api/v1/tags/").content)
    assert [(t["slug"], t["link_count"]) for t in tags["results"]] == [("tagpublished", 1)]
    assert json.loads(client.get("/api/v1/issues/").content)["count"] == 1
    page = client.get("/issues/1/")
    assert page.context["previous_issue"] is None and page.context["next_issue"] is None
    assert client.get("/categories/").context["categories"].count() == 1
    assert client.get("/years/2021/").status_code == 200


def test_the_preview_banner_and_no_cache_for_previewers_only(states, as_role):
    draft = states["draft"].get_absolute_url()
    editor = as_role("editor")
    response = editor.get(draft)
    assert "no-cache" in response["Cache-Control"] and "X-Cache" not in response
    as_role("anonymous")
    assert editor.get(draft).status_code == 404  # the editor's page was never stored
    staff = as_role("staff")
    response = staff.get("/issues/1/")
    assert response.status_code == 200 and "public" in response["Cache-Control"]


def test_admin_helpers_answer_only_those_who_may_use_them(states, as_role):
    url = "/admin/archive/link/tag-suggestions/?q=tag"
    for role in ["staff"]:
        assert as_role(role).get(url).status_code == 403
    for role in ["editor", "superuser"]:
        names = json.loads(as_role(role).get(url).content)["tags"]
        assert {"tagdraft", "tagpublished"} <= set(names)
    for role in ["anonymous", "reader"]:
        assert as_role(role).get(url).status_code == 302  # to the admin's login


def test_may_preview_is_the_permission_not_the_staff_flag(django_user_model):
    from django.contrib.auth.models import Permission

    from archive.models import may_preview

    user = django_user_model.objects.create_user("someone", is_staff=True)
    assert not may_preview(user)
    user.user_permissions.add(Permission.objects.get(codename="view_issue"))
    user = django_user_model.objects.get(pk=user.pk)  # permissions are cached per instance
    assert may_preview(user)
    user.is_active = False
    assert not may_preview(user)
