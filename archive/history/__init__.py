"""Undo and history: every version of an issue, the trash, and the audit log.

- ``revisions``: record a revision on each save, restore one (through the importer).
- ``diff``: what changed between two revisions, as an editor reads it.
- ``trash``: what the admin deletes is kept for ``TRASH_DAYS`` and can be put back.
- ``audit``: who published, sent, restored, merged, replaced or imported what.
"""
