"""What changed between two revisions of an issue, as an editor reads it: the issue's own
fields, sections added or removed, and links added, removed or changed (title, address,
annotation, tags, the section it is in), not a dump of rows.

Links are matched by address (a text entry by its title); a link whose address changed is a
removal and an addition unless it kept its title in the same section, which is a change."""

from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy as _

from ..issuemd import parse_issue

ISSUE_FIELDS = [
    ("title", _("title")),
    ("date", _("issue date")),
    ("lede_heading", _("lede heading")),
    ("lede", _("lede")),
    ("description", _("description")),
    ("image", _("sharing image")),
]


@dataclass
class Change:
    what: str  # "added", "removed", "changed"
    kind: str  # "issue", "section", "link"
    label: str
    section: str = ""
    details: list = field(default_factory=list)  # [(field label, before, after)]


def entries_of(doc):
    """{key: (section heading, entry, parent title or "")} of every entry of a doc."""
    found = {}
    for section in doc.sections:
        heading = section.heading
        for entry in section.entries:
            found.setdefault(key_of(entry), (heading, entry, ""))
            for child in entry.children:
                found.setdefault(key_of(child), (heading, child, entry.title))
    return found


def key_of(entry):
    return ("url", entry.url) if entry.url else ("title", entry.title)


def entry_details(before, after):
    (old_section, old, old_parent), (new_section, new, new_parent) = before, after
    details = []
    for name, label in [("title", _("title")), ("url", _("URL")), ("annotation", _("annotation"))]:
        if getattr(old, name) != getattr(new, name):
            details.append((label, getattr(old, name), getattr(new, name)))
    if sorted(t.lower() for t in old.tags) != sorted(t.lower() for t in new.tags):
        details.append((_("tags"), ", ".join(old.tags), ", ".join(new.tags)))
    if old_section != new_section:
        details.append((_("section"), old_section, new_section))
    if old_parent != new_parent:
        details.append((_("similar to"), old_parent, new_parent))
    return details


def diff_docs(old, new):
    changes = []
    details = [
        (label, str(getattr(old, name) or ""), str(getattr(new, name) or ""))
        for name, label in ISSUE_FIELDS
        if (getattr(old, name) or "") != (getattr(new, name) or "")
    ]
    if details:
        changes.append(Change("changed", "issue", "", details=details))

    old_sections = {s.heading: s for s in old.sections}
    new_sections = {s.heading: s for s in new.sections}
    for heading in old_sections.keys() - new_sections.keys():
        changes.append(Change("removed", "section", heading or str(_("(untitled)"))))
    for heading in new_sections.keys() - old_sections.keys():
        changes.append(Change("added", "section", heading or str(_("(untitled)"))))
    for heading in old_sections.keys() & new_sections.keys():
        if old_sections[heading].note != new_sections[heading].note:
            note = [(_("note"), old_sections[heading].note, new_sections[heading].note)]
            changes.append(Change("changed", "section", heading, details=note))

    before, after = entries_of(old), entries_of(new)
    removed = {k: v for k, v in before.items() if k not in after}
    added = {k: v for k, v in after.items() if k not in before}
    # An address changed under the same title in the same section: one link changed.
    by_title = {(v[0], v[1].title): k for k, v in added.items()}
    for key, value in list(removed.items()):
        match = by_title.get((value[0], value[1].title))
        if match is not None and match in added:
            changes.append(
                Change(
                    "changed",
                    "link",
                    value[1].title,
                    value[0],
                    entry_details(value, added.pop(match)),
                )
            )
            del removed[key]
    for heading, entry, _parent in removed.values():
        changes.append(Change("removed", "link", entry.title, heading))
    for heading, entry, _parent in added.values():
        changes.append(Change("added", "link", entry.title, heading, [(_("URL"), "", entry.url)]))
    for key in before.keys() & after.keys():
        details = entry_details(before[key], after[key])
        if details:
            changes.append(Change("changed", "link", after[key][1].title, after[key][0], details))
    order = {"issue": 0, "section": 1, "link": 2}
    return sorted(changes, key=lambda c: (order[c.kind], c.what != "changed", c.section, c.label))


def diff(old_markdown, new_markdown):
    """The changes from one revision's Markdown to another's."""
    return diff_docs(
        parse_issue(old_markdown, source="revision"), parse_issue(new_markdown, source="revision")
    )
