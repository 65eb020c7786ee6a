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
