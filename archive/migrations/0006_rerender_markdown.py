"""Render every stored Markdown field again: images now load lazily and over https
(archive.markup). The HTML is derived; only it changes."""

from django.db import migrations

BATCH = 2000


def rerender(apps, schema_editor):
    from archive.publishing.markup import render_markdown

    for model_name, source, target in [
        ("Issue", "lede", "lede_html"),
        ("Section", "note", "note_html"),
        ("Link", "annotation", "annotation_html"),
    ]:
        model = apps.get_model("archive", model_name)
        rows = model.objects.exclude(**{source: ""}).only("pk", source, target).order_by("pk")
        changed = []
        for row in rows.iterator(chunk_size=BATCH):
            html = render_markdown(getattr(row, source))
            if html != getattr(row, target):
                setattr(row, target, html)
                changed.append(row)
            if len(changed) >= BATCH:
                model.objects.bulk_update(changed, [target])
                changed = []
        model.objects.bulk_update(changed, [target])


class Migration(migrations.Migration):
    dependencies = [("archive", "0005_issue_source")]

    operations = [migrations.RunPython(rerender, migrations.RunPython.noop)]
