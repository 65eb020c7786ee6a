from django.db import migrations
from django.db.models import Q


def not_http(field):
    return ~Q(**{field: ""}) & ~Q(**{f"{field}__istartswith": "http://"}) & ~Q(
        **{f"{field}__istartswith": "https://"}
    )


def disarm(apps, schema_editor):
    """Before the checks: a link or section heading that was written past the forms with a
    javascript:, data: or other non-http(s) address keeps that address as text (at the end of
    its annotation or note) and loses the link; an inbox item with one is removed. Each is
    printed, so nothing goes unnoticed."""
    from archive.publishing.markup import render_markdown

    Link = apps.get_model("archive", "Link")
    Section = apps.get_model("archive", "Section")
    InboxItem = apps.get_model("archive", "InboxItem")
    for link in Link.objects.filter(not_http("url")):
        print(f"\n  link {link.pk}: address {link.url!r} is not http(s); kept as text")
        link.annotation = f"{link.annotation}\n\n`{link.url}`".strip()
        link.annotation_html = render_markdown(link.annotation)
        link.url = link.written_url = link.normalized_url = link.domain = ""
        link.save()
    for section in Section.objects.filter(not_http("heading_url")):
        print(f"\n  section {section.pk}: heading link {section.heading_url!r} kept as text")
        section.note = f"{section.note}\n\n`{section.heading_url}`".strip()
        section.note_html = render_markdown(section.note)
        section.heading_url = ""
        section.save()
    for item in InboxItem.objects.filter(not_http("url")):
        print(f"\n  inbox item {item.pk}: address {item.url!r} is not http(s); removed")
        item.delete()


class Migration(migrations.Migration):
    """Its own migration (a transaction of its own on PostgreSQL): the checks that follow in
    0014 cannot be added in a transaction with pending updates."""

    dependencies = [
        ("archive", "0012_link_health"),
    ]

    operations = [migrations.RunPython(disarm, migrations.RunPython.noop)]
