"""What archives in other shapes bring (front matter, reference definitions, sections
without a heading, reference-style titles), and every stored Markdown field rendered again:
bare addresses are links now (archive.publishing.markup)."""

import archive.models.fields
from django.db import migrations, models


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

    dependencies = [
        ('archive', '0016_tag_slugs'),
    ]

    operations = [
        migrations.AddField(
            model_name='issue',
            name='description',
            field=models.CharField(blank=True, help_text="A sentence for search engines and link previews. Empty: the lede's start.", max_length=500, verbose_name='description'),
        ),
        migrations.AddField(
            model_name='issue',
            name='front_matter',
            field=models.TextField(blank=True, editable=False),
        ),
        migrations.AddField(
            model_name='issue',
            name='image',
            field=archive.models.fields.HttpURLField(blank=True, help_text='The picture shown where the issue is shared (an https address).', max_length=2000, verbose_name='sharing image'),
        ),
        migrations.AddField(
            model_name='issue',
            name='references',
            field=models.TextField(blank=True, editable=False),
        ),
        migrations.AddField(
            model_name='issue',
            name='title_heading',
            field=models.BooleanField(default=True, editable=False),
        ),
        migrations.AddField(
            model_name='link',
            name='link_source',
            field=models.CharField(blank=True, editable=False, max_length=2000),
        ),
        migrations.AddField(
            model_name='section',
            name='heading_level',
            field=models.PositiveSmallIntegerField(default=2, editable=False),
        ),
        migrations.AddField(
            model_name='section',
            name='untitled',
            field=models.BooleanField(default=False, help_text="Shown as the issue's opening links, with no section heading.", verbose_name='without a heading'),
        ),
        migrations.AddConstraint(
            model_name='issue',
            constraint=models.CheckConstraint(condition=models.Q(('image__istartswith', 'http://'), ('image__istartswith', 'https://'), ('image', ''), _connector='OR'), name='issue_image_http'),
        ),
        migrations.RunPython(rerender, migrations.RunPython.noop),
    ]
