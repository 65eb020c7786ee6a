"""The full-text index over SearchEntry, in each database's own way.

PostgreSQL: tsvector columns written by archive.search.index (tokens, positions and weights
computed in Python, so the result does not depend on the database's locale), a GIN index and
a BRIN index for reading matches newest first.
SQLite: an FTS5 table over the token columns, kept in step with triggers."""

from django.db import migrations

POSTGRES = [
    # Every field, weighted A (title) to D (address): what a query must match.
    "ALTER TABLE archive_searchentry ADD COLUMN document tsvector NOT NULL DEFAULT ''",
    # Title, tags and category only: small, so ranking a few thousand matches stays cheap.
    "ALTER TABLE archive_searchentry ADD COLUMN heading tsvector NOT NULL DEFAULT ''",
    "CREATE INDEX archive_searchentry_document_gin ON archive_searchentry USING gin (document)",
    # Newest-first tiers of search (archive.search.engine) filter on link_id + 0.
    "CREATE INDEX archive_searchentry_recency_brin ON archive_searchentry "
    "USING brin ((link_id + 0)) WITH (pages_per_range = 16, autosummarize = on)",
]
POSTGRES_REVERSE = [
    "DROP INDEX archive_searchentry_recency_brin",
    "DROP INDEX archive_searchentry_document_gin",
    "ALTER TABLE archive_searchentry DROP COLUMN heading",
    "ALTER TABLE archive_searchentry DROP COLUMN document",
]
SQLITE = [
    """CREATE VIRTUAL TABLE archive_searchentry_fts USING fts5(
        title, meta, body, address,
        content='archive_searchentry', content_rowid='link_id',
        tokenize='unicode61 remove_diacritics 0', prefix='2 3 4 5'
    )""",
    """CREATE TRIGGER archive_searchentry_ai AFTER INSERT ON archive_searchentry BEGIN
        INSERT INTO archive_searchentry_fts(rowid, title, meta, body, address)
        VALUES (new.link_id, new.title, new.meta, new.body, new.address);
    END""",
    """CREATE TRIGGER archive_searchentry_ad AFTER DELETE ON archive_searchentry BEGIN
        INSERT INTO archive_searchentry_fts(archive_searchentry_fts, rowid, title, meta, body,
            address) VALUES ('delete', old.link_id, old.title, old.meta, old.body, old.address);
    END""",
    """CREATE TRIGGER archive_searchentry_au AFTER UPDATE ON archive_searchentry BEGIN
        INSERT INTO archive_searchentry_fts(archive_searchentry_fts, rowid, title, meta, body,
            address) VALUES ('delete', old.link_id, old.title, old.meta, old.body, old.address);
        INSERT INTO archive_searchentry_fts(rowid, title, meta, body, address)
        VALUES (new.link_id, new.title, new.meta, new.body, new.address);
    END""",
]
SQLITE_REVERSE = [
    "DROP TRIGGER archive_searchentry_au",
    "DROP TRIGGER archive_searchentry_ad",
    "DROP TRIGGER archive_searchentry_ai",
    "DROP TABLE archive_searchentry_fts",
]


def run(statements):
    def operation(apps, schema_editor):
        chosen = statements.get(schema_editor.connection.vendor, [])
        for statement in chosen:
            schema_editor.execute(statement)

    return operation


class Migration(migrations.Migration):
    dependencies = [("archive", "0002_search_entry")]

    operations = [
        migrations.RunPython(
            run({"postgresql": POSTGRES, "sqlite": SQLITE}),
            run({"postgresql": POSTGRES_REVERSE, "sqlite": SQLITE_REVERSE}),
        ),
    ]
