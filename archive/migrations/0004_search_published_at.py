"""Search without joins or BRIN: an entry carries its issue's publication time, and on
PostgreSQL its tsvector carries lexemes for prefixes, word pairs, filters and recency
(archive.search.documents). The entries are derived data, so existing ones are rebuilt here
with the current code, as ``manage.py rebuild_search_index`` would."""

from django.db import migrations, models


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        # Deferred foreign-key checks must run before the table can be altered.
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        schema_editor.execute("DROP INDEX IF EXISTS archive_searchentry_recency_brin")
        # Documents (about 2 kB) stay in the table's own pages, uncompressed (they do not
        # compress), rather than in TOAST: writing them and reading them back, for the GIN
        # build and for a phrase's recheck, costs much less.
        schema_editor.execute(
            "ALTER TABLE archive_searchentry ALTER COLUMN document SET STORAGE MAIN"
        )
        schema_editor.execute("ALTER TABLE archive_searchentry SET (toast_tuple_target = 8160)")
    SearchEntry = apps.get_model("archive", "SearchEntry")
    if SearchEntry.objects.exists():
        from archive.search.index import refresh_all

        refresh_all()


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE archive_searchentry RESET (toast_tuple_target)")
        schema_editor.execute(
            "ALTER TABLE archive_searchentry ALTER COLUMN document SET STORAGE EXTENDED"
        )
        schema_editor.execute(
            "CREATE INDEX archive_searchentry_recency_brin ON archive_searchentry "
            "USING brin ((link_id + 0)) WITH (pages_per_range = 16, autosummarize = on)"
        )


class Migration(migrations.Migration):
    dependencies = [("archive", "0003_search_index")]

    operations = [
        migrations.AddField(
            model_name="searchentry",
            name="published_at",
            field=models.DateTimeField(null=True),
        ),
        migrations.RemoveIndex(model_name="searchentry", name="searchentry_domain_idx"),
        migrations.RemoveIndex(model_name="searchentry", name="searchentry_year_idx"),
        migrations.AddIndex(
            model_name="searchentry",
            index=models.Index(fields=["domain", "link"], name="searchentry_domain_link_idx"),
        ),
        migrations.AddIndex(
            model_name="searchentry",
            index=models.Index(fields=["year", "link"], name="searchentry_year_link_idx"),
        ),
        migrations.RunPython(forwards, backwards),
    ]
