"""The editors' admin: compose an issue on one page, reorder, publish, search."""

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone

from archive.models import Category, Issue, Link
from tests.factories import make_issue, make_issue_with_links, make_link, make_section
from tests.forms import form_data, management_form

pytestmark = pytest.mark.django_db

ADD_URL = "/admin/archive/issue/add/"


def new_issue_data(client, *, category, links, number=42, publish=False):
    """POST data for a new issue with one section holding ``links``: [(title, url, tags,
    [(child title, child url)])]."""
    data = form_data(client.get(ADD_URL))
    now = timezone.localtime()
    data.update(
        {
            "number": str(number),
            "date": "2024-03-01",
            "title": "",
            "lede_heading": "本期导读",
            "lede": "关于 **Rust** 的一期",
            "published_at_0": now.strftime("%Y-%m-%d") if publish else "",
            "published_at_1": now.strftime("%H:%M:%S") if publish else "",
            **management_form("sections", 1),
            "sections-0-category": str(category.pk),
            "sections-0-note": "",
            "sections-0-position": "0",
            "sections-0-id": "",
            "sections-0-issue": "",
            **management_form("sections-0-links", len(links)),
        }
    )
    for index, (title, url, tags, children) in enumerate(links):
        prefix = f"sections-0-links-{index}"
        data.update(
            {
                f"{prefix}-title": title,
                f"{prefix}-url": url,
                f"{prefix}-annotation": f"* 关于 {title}",
                f"{prefix}-tags": tags,
                f"{prefix}-position": str(index),
                f"{prefix}-id": "",
                f"{prefix}-section": "",
                **management_form(f"{prefix}-children", len(children)),
            }
        )
        for child_index, (child_title, child_url) in enumerate(children):
            data.update(
                {
                    f"{prefix}-children-{child_index}-title": child_title,
                    f"{prefix}-children-{child_index}-url": child_url,
                    f"{prefix}-children-{child_index}-position": str(child_index),
                    f"{prefix}-children-{child_index}-id": "",
                    f"{prefix}-children-{child_index}-parent": "",
                }
            )
    return data


def test_editors_group_has_archive_permissions_only():
    group = Group.objects.get(name="editors")
    apps = set(group.permissions.values_list("content_type__app_label", flat=True))
    assert apps == {"archive", "taggit"}
    codenames = set(group.permissions.values_list("codename", flat=True))
    assert {"add_issue", "change_link", "delete_section", "add_tag"} <= codenames
    assert "add_user" not in codenames


def test_editor_composes_an_issue_on_one_page(editor_client):
    category = Category.objects.create(name="编程语言")
    data = new_issue_data(
        editor_client,
        category=category,
        links=[
            ("Rust Book", "https://doc.rust-lang.org/book/", "rust, 入门", []),
            (
                "Tokio",
                "https://tokio.rs/",
                "rust, 异步",
                [("async-std", "https://async.rs/"), ("smol", "https://github.com/smol-rs/smol")],
            ),
        ],
    )
    response = editor_client.post(ADD_URL, data)
    assert response.status_code == 302, response.context and [
        f.errors for f in response.context.get("inline_admin_formsets", [])
    ]
    issue = Issue.objects.get(number=42)
    assert issue.status == "draft"
    assert issue.lede_html == "<p>关于 <strong>Rust</strong> 的一期</p>"
    top = list(Link.objects.filter(parent=None).order_by("position"))
    assert [(link.title, link.position) for link in top] == [("Rust Book", 0), ("Tokio", 1)]
    assert sorted(top[1].tags.names()) == ["rust", "异步"]
    children = top[1].children.order_by("position")
    assert [(c.title, c.section_id) for c in children] == [
        ("async-std", top[1].section_id),
        ("smol", top[1].section_id),
    ]
    # Readers cannot see it yet; the editor can preview it.
    assert editor_client.get("/issues/42/").status_code == 200
    editor_client.logout()
    assert editor_client.get("/issues/42/").status_code == 404


def test_javascript_url_is_refused_in_the_admin(editor_client):
    category = Category.objects.create(name="工具")
    data = new_issue_data(
        editor_client,
        category=category,
        links=[("Evil", "javascript:alert(1)", "", [])],
    )
    response = editor_client.post(ADD_URL, data)
    assert response.status_code == 200
    link_forms = response.context["inline_admin_formsets"][0].formset.forms[0].nested_formsets
    assert "url" in link_forms[0].forms[0].errors
    assert not Issue.objects.exists()


def test_reordering_links_and_sections_saves_cleanly(editor_client):
    issue = make_issue(7)
    first = make_section(issue, "硬件加速")
    second = make_section(issue, "实用工具")
    a = make_link(first, "A")
    b = make_link(first, "B")
    make_link(second, "C")
    url = f"/admin/archive/issue/{issue.pk}/change/"
    data = form_data(editor_client.get(url))
    # Swap the two links of the first section and the two sections, as drag and drop does.
    data["sections-0-links-0-position"], data["sections-0-links-1-position"] = "1", "0"
    data["sections-0-position"], data["sections-1-position"] = "1", "0"
    response = editor_client.post(url, data)
    assert response.status_code == 302
    assert [s.category.name for s in issue.sections.order_by("position")] == [
        "实用工具",
        "硬件加速",
    ]
    assert list(first.links.order_by("position").values_list("pk", flat=True)) == [b.pk, a.pk]


def test_publish_now_and_unpublish_actions(editor_client):
    draft = make_issue(8, published=False)
    response = editor_client.post(
        "/admin/archive/issue/",
        {"action": "publish_now", "_selected_action": [draft.pk]},
        follow=True,
    )
    assert "已发布 1 期。" in response.content.decode()
    draft.refresh_from_db()
    assert draft.status == "published"
    editor_client.post(
        "/admin/archive/issue/", {"action": "unpublish", "_selected_action": [draft.pk]}
    )
    draft.refresh_from_db()
    assert draft.status == "draft"


def test_schedule_for_later(editor_client):
    category = Category.objects.create(name="工具")
    data = new_issue_data(
        editor_client, category=category, links=[("One", "https://one.example/", "", [])]
    )
    data["published_at_0"], data["published_at_1"] = "2999-01-01", "08:00:00"
    assert editor_client.post(ADD_URL, data).status_code == 302
    assert Issue.objects.get().status == "scheduled"


def test_changelists_search_filter_and_view_on_site(editor_client):
    make_issue_with_links(11, links=4)
    make_issue(12, published=False, title="草稿一期")
    response = editor_client.get("/admin/archive/issue/", {"status": "draft"})
    assert [issue.number for issue in response.context["cl"].result_list] == [12]
    response = editor_client.get("/admin/archive/issue/", {"q": "Link 11-2"})
    assert [issue.number for issue in response.context["cl"].result_list] == [11]
    response = editor_client.get("/admin/archive/link/", {"q": "Link 11-3"})
    assert [link.title for link in response.context["cl"].result_list] == ["Link 11-3"]
    issue = Issue.objects.get(number=11)
    change = editor_client.get(f"/admin/archive/issue/{issue.pk}/change/").content.decode()
    assert 'href="/admin/r/' in change  # "View on site", whatever the admin's language
    assert editor_client.get("/admin/archive/category/").status_code == 200


def test_link_changelist_query_count_does_not_grow(editor_client, django_assert_max_num_queries):
    make_issue_with_links(11, links=5)
    with django_assert_max_num_queries(12):
        editor_client.get("/admin/archive/link/")
    make_issue_with_links(12, links=90)
    with django_assert_max_num_queries(12):
        editor_client.get("/admin/archive/link/")


def test_tag_suggestions(editor_client):
    make_issue_with_links(11, links=7)
    response = editor_client.get("/admin/archive/link/tag-suggestions/", {"q": "TAG"})
    tags = response.json()["tags"]
    assert sorted(tags) == [f"tag{i}" for i in range(7)]
    assert editor_client.get("/admin/archive/link/tag-suggestions/", {"q": "zz"}).json() == {
        "tags": []
    }


def test_readers_cannot_use_the_admin(client):
    assert client.get("/admin/archive/link/tag-suggestions/").status_code == 302


IMPORT_URL = "/admin/archive/issue/import/"
PASTED = """# 2024年05月03日第二十期

## 工具

### [ripgrep](https://github.com/BurntSushi/ripgrep/)
* 快速搜索
<!-- tags: 命令行 -->

### [A new tool](https://new.example.com/)
* 第一次出现
"""


def test_import_page_previews_then_creates_a_draft(editor_client):
    earlier = make_issue(19)
    make_link(make_section(earlier, "工具"), "ripgrep", "https://github.com/BurntSushi/ripgrep")
    changelist = editor_client.get("/admin/archive/issue/").content.decode()
    assert IMPORT_URL in changelist

    response = editor_client.post(IMPORT_URL, {"markdown": PASTED})
    html = response.content.decode()
    assert response.status_code == 200
    assert "第 20 期" in html and "1 个栏目 · 2 个链接" in html and "1 个以前推荐过" in html
    assert f'href="/admin/archive/issue/{earlier.pk}/change/"' in html  # where it was featured
    assert not Issue.objects.filter(number=20).exists()  # a preview writes nothing

    response = editor_client.post(
        IMPORT_URL, {"markdown": response.context["form"]["markdown"].value(), "confirm": "1"}
    )
    issue = Issue.objects.get(number=20)
    assert response.status_code == 302 and response["Location"].endswith(
        f"/admin/archive/issue/{issue.pk}/change/"
    )
    assert issue.status == "draft"
    assert [link.title for link in Link.objects.filter(section__issue=issue)] == [
        "ripgrep",
        "A new tool",
    ]


def test_import_page_upload_and_clear_errors(editor_client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile(
        "2024-05-10-issue-21.md", b"## \xe5\xb7\xa5\xe5\x85\xb7\n\n### [x](https://x.example/)\n"
    )
    response = editor_client.post(IMPORT_URL, {"file": upload})
    assert "第 21 期" in response.content.decode()  # the number came from the file name
    response = editor_client.post(
        IMPORT_URL, {"markdown": "# 第1期\n\n## 工具\n\n### [x](javascript:alert(1))\n"}
    )
    assert "pasted text:5: link" in response.content.decode()
    response = editor_client.post(IMPORT_URL, {"file": SimpleUploadedFile("x.md", b"\x00\x01")})
    assert "这是二进制文件，不是 Markdown 文本。" in response.content.decode()
    assert not Issue.objects.exists()


def test_export_action_downloads_markdown(editor_client):
    issue = make_issue_with_links(31, links=2)
    response = editor_client.post(
        "/admin/archive/issue/", {"action": "export_markdown", "_selected_action": [issue.pk]}
    )
    assert response["Content-Disposition"] == 'attachment; filename="2024-01-05-issue-31.md"'
    text = response.content.decode()
    assert text.startswith("# 2024年01月05日第三十一期") and "### [Link 31-0]" in text
    other = make_issue_with_links(32, links=1)
    response = editor_client.post(
        "/admin/archive/issue/",
        {"action": "export_markdown", "_selected_action": [issue.pk, other.pk]},
    )
    import io
    import zipfile

    names = zipfile.ZipFile(io.BytesIO(response.content)).namelist()
    assert names == ["2024-01-05-issue-31.md", "2024-01-05-issue-32.md"]


def test_readers_cannot_reach_the_import_page(client):
    assert client.get(IMPORT_URL).status_code == 302


def test_admin_search_uses_the_site_engine_and_sees_drafts(editor_client):
    from archive.ingest.loading import load_issue
    from archive.issuemd import EntryDoc, IssueDoc, SectionDoc

    load_issue(
        IssueDoc(
            number=40,
            sections=[
                SectionDoc(
                    "工具",
                    entries=[
                        EntryDoc("中文大模型训练", "https://llm.example.com/"),
                        EntryDoc("Other", "https://other.example.com/"),
                    ],
                )
            ],
        ),
        publish=False,
    )
    response = editor_client.get("/admin/archive/link/", {"q": "大模型"})
    assert [link.title for link in response.context["cl"].result_list] == ["中文大模型训练"]
    response = editor_client.get("/admin/archive/issue/", {"q": "模型训练"})
    assert [issue.number for issue in response.context["cl"].result_list] == [40]
    response = editor_client.get("/admin/archive/issue/", {"q": "40"})
    assert [issue.number for issue in response.context["cl"].result_list] == [40]
