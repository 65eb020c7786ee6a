"""Search without joins or BRIN: an entry carries its issue's publication time, and on
PostgreSQL its tsvector carries lexemes for prefixes, word pairs, filters and recency
(archive.search.documents). The entries are derived data, so existing ones are rebuilt here
with the current code, as ``manage.py rebuild_search_index`` would."""

from django.db import migrations, models


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS archive_searchentry_recency_brin")
    SearchEntry = apps.get_model("archive", "SearchEntry")
    if SearchEntry.objects.exists():
        from archive.search.index import refresh_all

        refresh_all()


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
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
        migrations.RunPython(forwards, backwards),
    ]
