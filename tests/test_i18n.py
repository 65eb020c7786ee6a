"""A bilingual interface: language from the address, the switcher's cookie or the browser;
each language reads natively; the catalogs cover every marked string."""

import datetime
import gettext
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import Group

from tests.factories import make_issue, make_link, make_section

pytestmark = pytest.mark.django_db

HTML = {"accept": "text/html,application/xhtml+xml"}
HAN = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture
def archive():
    """Content written in English only, so that any Chinese on an English page is interface."""
    first = make_issue(1, title="Opening", date=datetime.date(2024, 1, 5))
    second = make_issue(
        2, date=datetime.date(2024, 1, 12), lede_heading="Search", lede="On search."
    )
    tools = make_section(second, "Tools")
    make_link(tools, "ripgrep", "https://github.com/BurntSushi/ripgrep", tags=["cli"])
    make_link(make_section(first, "Tools"), "fzf", "https://github.com/junegunn/fzf", tags=["cli"])
    return second


def test_default_language_is_the_sites(client, archive):
    response = client.get("/issues/2/")
    html = response.content.decode()
    assert response["Content-Language"] == "zh-hans"
    assert '<html lang="zh-Hans">' in html
    assert '<a href="/issues/">往期</a>' in html
    assert "2024年1月12日" in html and "第 2 期" in html
    assert "Issues 往期" not in html and "Issues" not in html.split("<main", 1)[0]


def test_english_reads_natively(client, archive):
    response = client.get("/en/issues/2/")
    html = response.content.decode()
    assert response["Content-Language"] == "en"
    assert '<html lang="en">' in html
    assert '<a href="/en/issues/">Issues</a>' in html
    assert "12 January 2024" in html and "Issue 2" in html
    assert "<h1>Issue 2</h1>" in html  # an untitled issue's heading, in English


@pytest.mark.parametrize(
    "url",
    [
        "/",
        "/issues/",
        "/issues/1/",
        "/issues/2/",
        "/years/2024/",
        "/categories/",
        "/categories/tools/",
        "/tags/",
        "/tags/cli/",
        "/domains/github.com/",
        "/search/?q=ripgrep",
        "/search/?q=nothing-at-all",
        "/search/?category=nope&year=abc",
        "/nowhere/",
    ],
)
def test_no_chinese_in_the_english_interface(client, archive, url):
    response = client.get("/en" + url)
    html = response.content.decode()
    # The switcher names Chinese in Chinese, and the search box's example query shows that
    # Chinese can be searched; nothing else on the page is Chinese.
    html = html.replace("简体中文", "").replace("e.g. 大模型", "")
    assert not HAN.search(html), HAN.findall(html)[:20]


def test_browser_preference_sends_a_reader_to_their_language(client, archive):
    response = client.get("/issues/2/?page=1", headers={**HTML, "accept-language": "en-GB,en"})
    assert response.status_code == 302
    assert response["Location"] == "/en/issues/2/?page=1"
    assert "Accept-Language" in response["Vary"] and "Cookie" in response["Vary"]
    # Chinese (or no preference) stays where it is.
    zh = client.get("/issues/2/", headers={**HTML, "accept-language": "zh-CN,zh;q=0.9"})
    assert zh.status_code == 200
    # A feed reader or a script gets the page it asked for.
    feed = client.get("/feed/", headers={"accept-language": "en", "accept": "*/*"})
    assert feed.status_code == 200
    # An explicit English address is served in English whatever the browser prefers.
    assert client.get("/en/issues/2/", headers={**HTML, "accept-language": "zh"}).status_code == 200


def test_switcher_choice_is_remembered_over_the_browsers(client, archive):
    response = client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/issues/2/"})
    assert response.status_code == 302 and response["Location"] == "/issues/2/"
    assert response.cookies["django_language"].value == "zh-hans"
    stay = client.get("/issues/2/", headers={**HTML, "accept-language": "en"})
    assert stay.status_code == 200 and '<html lang="zh-Hans">' in stay.content.decode()

    response = client.post("/i18n/setlang/", {"language": "en", "next": "/en/issues/2/"})
    assert response["Location"] == "/en/issues/2/"
    moved = client.get("/tags/", headers=HTML)
    assert moved.status_code == 302 and moved["Location"] == "/en/tags/"


def test_switcher_offers_the_same_page_in_the_other_language(client, archive):
    html = client.get("/tags/cli/?page=1").content.decode()
    assert '<input type="hidden" name="next" value="/en/tags/cli/">' in html
    assert '<button type="submit" name="language" value="en" lang="en">English</button>' in html
    html = client.get("/en/tags/cli/").content.decode()
    assert '<input type="hidden" name="next" value="/tags/cli/">' in html
    assert 'lang="zh-Hans">简体中文</button>' in html


def test_a_switch_to_another_site_is_refused(client):
    response = client.post(
        "/i18n/setlang/", {"language": "en", "next": "https://evil.example.com/"}
    )
    assert response.status_code == 302 and response["Location"] == "/en/"


def test_admin_speaks_the_editors_language(client, editor, archive):
    client.force_login(editor)
    assert "导入 Markdown" in client.get("/admin/archive/issue/").content.decode()
    index = client.get("/admin/").content.decode()
    # The project's models, and the strings Django's own catalog does not translate yet.
    assert ">链接<" in index and ">分类<" in index and "模型名称" in index
    assert "Model name" not in index
    english = client.get("/admin/archive/issue/", headers={"accept-language": "en"})
    html = english.content.decode()
    assert "Import Markdown" in html and "Publish now" in html and "导入" not in html
    assert "Link Weekly · editors" in html
    assert Group.objects.filter(name="editors").exists()


def test_dates_read_naturally_in_both_languages(client, archive):
    assert (
        '<time datetime="2024-01-05">2024年1月5日</time>' in client.get("/issues/").content.decode()
    )
    assert '<time datetime="2024-01-05">5 January 2024</time>' in (
        client.get("/en/issues/").content.decode()
    )


def test_an_unknown_language_code_is_a_configuration_error():
    env = {**os.environ, "LANGUAGE_CODE": "fr", "DEBUG": "1"}
    result = subprocess.run(
        [sys.executable, "-c", "import django; from django.conf import settings; settings.DEBUG"],
        env={**env, "DJANGO_SETTINGS_MODULE": "newsletter.settings"},
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0
    assert "LANGUAGE_CODE must be one of zh-hans, en, not 'fr'" in result.stderr


# The catalogs. Extraction needs GNU gettext (xgettext, msgmerge, msgfmt); CI installs it.
GETTEXT = all(shutil.which(tool) for tool in ("xgettext", "msgmerge", "msgfmt"))
needs_gettext = pytest.mark.skipif(
    not GETTEXT and os.environ.get("REQUIRE_GETTEXT") != "1",
    reason="GNU gettext is not installed (apt-get install gettext)",
)
LOCALES = ["zh_Hans", "en"]


def catalog(path):
    with open(path, "rb") as handle:
        return gettext.GNUTranslations(handle)._catalog


@needs_gettext
def test_catalogs_translate_every_marked_string(tmp_path):
    """Extract the strings afresh from a copy of the code: every one has a translation in
    both catalogs, none fuzzy, none missing, none left over."""
    base = Path(settings.BASE_DIR)
    copy = tmp_path / "project"
    for name in ["archive", "bench", "newsletter", "templates", "locale"]:
        shutil.copytree(base / name, copy / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(base / "manage.py", copy / "manage.py")
    env = {**os.environ, "DEBUG": "1", "DJANGO_SETTINGS_MODULE": "newsletter.settings"}
    env.pop("DATABASE_URL", None)
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", *(f"-l{code}" for code in LOCALES)]
        + ["--no-obsolete", "--add-location=file"],
        cwd=copy,
        env=env,
        check=True,
        capture_output=True,
    )
    for code in LOCALES:
        fresh = copy / "locale" / code / "LC_MESSAGES" / "django.po"
        stats = subprocess.run(
            ["msgfmt", "--check", "--statistics", "-o", str(tmp_path / f"{code}.mo"), str(fresh)],
            capture_output=True,
            text=True,
            check=True,
        ).stderr
        assert "fuzzy" not in stats and "untranslated" not in stats, f"{code}: {stats}"
        # The committed catalog is the fresh one: nothing new, nothing obsolete.
        committed = base / "locale" / code / "LC_MESSAGES"
        assert catalog(tmp_path / f"{code}.mo") == catalog(committed / "django.mo"), (
            f"{code}: run `make messages` and commit locale/"
        )


@needs_gettext
def test_compiled_catalogs_match_their_sources(tmp_path):
    for code in LOCALES:
        folder = Path(settings.BASE_DIR) / "locale" / code / "LC_MESSAGES"
        subprocess.run(
            ["msgfmt", "-o", str(tmp_path / "out.mo"), str(folder / "django.po")], check=True
        )
        assert catalog(tmp_path / "out.mo") == catalog(folder / "django.mo"), code


def test_admin_has_the_language_switcher(client, editor):
    client.force_login(editor)
    html = client.get("/admin/archive/issue/").content.decode()
    assert '<input type="hidden" name="next" value="/admin/archive/issue/">' in html
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/admin/archive/issue/"})
    assert response["Location"] == "/admin/archive/issue/"
    assert "Import Markdown" in client.get("/admin/archive/issue/").content.decode()
