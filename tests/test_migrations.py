"""Data migrations do what they say on real rows."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from archive.models import Link
from tests.factories import make_issue, make_link, make_section


@pytest.mark.django_db(transaction=True)
def test_rerender_markdown_brings_stored_html_up_to_date():
    link = make_link(
        make_section(make_issue(1)), "Pic", annotation="![x](http://img.example/a.png)"
    )
    stale = '<p><img src="http://img.example/a.png" alt="x"></p>'
    Link.objects.filter(pk=link.pk).update(annotation_html=stale)

    executor = MigrationExecutor(connection)
    latest = executor.loader.graph.leaf_nodes()
    executor.migrate([("archive", "0005_issue_source")])
    executor.loader.build_graph()
    executor.migrate([("archive", "0006_rerender_markdown")])
    executor.loader.build_graph()
    executor.migrate(latest)  # as the tests after this one expect

    link.refresh_from_db()
    assert link.annotation_html == (
        '<p><img src="https://img.example/a.png" alt="x" loading="lazy"></p>'
    )


@pytest.mark.django_db(transaction=True)
def test_http_urls_only_keeps_a_stored_javascript_address_as_text():
    """Rows written past every form before the check existed: the migration disarms them
    (the address stays, as text) so the database check can be added."""
    from archive.models import InboxItem, Section

    section = make_section(make_issue(1))
    link = make_link(section, "Bad", annotation="Read this.")
    item = InboxItem.objects.create(url="https://example.com/fine")
    executor = MigrationExecutor(connection)
    latest = executor.loader.graph.leaf_nodes()
    executor.migrate([("archive", "0012_link_health")])
    Link.objects.filter(pk=link.pk).update(url="javascript:alert(1)", domain="")
    Section.objects.filter(pk=section.pk).update(heading_url="JavaScript:alert(2)")
    InboxItem.objects.filter(pk=item.pk).update(url="data:text/html,<b>x</b>")
    executor.loader.build_graph()
    executor.migrate(latest)

    link.refresh_from_db()
    section.refresh_from_db()
    assert link.url == "" and link.domain == ""
    assert link.annotation == "Read this.\n\n`javascript:alert(1)`"
    assert "<code>javascript:alert(1)</code>" in link.annotation_html
    assert section.heading_url == "" and "`JavaScript:alert(2)`" in section.note
    assert not InboxItem.objects.filter(pk=item.pk).exists()
