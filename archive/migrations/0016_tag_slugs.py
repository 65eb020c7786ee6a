from django.db import migrations


def give_slugs(apps, schema_editor):
    """Tags of symbols only were stored with an empty slug (their pages had no address)."""
    from archive.models import tag_slug_of_symbols

    Tag = apps.get_model("taggit", "Tag")
    for tag in Tag.objects.filter(slug=""):
        tag.slug = tag_slug_of_symbols(tag.name)
        tag.save(update_fields=["slug"])


class Migration(migrations.Migration):
    dependencies = [
        ("archive", "0015_bookmarklet_key"),
        ("taggit", "0006_rename_taggeditem_content_type_object_id_taggit_tagg_content_8fc721_idx"),
    ]

    operations = [migrations.RunPython(give_slugs, migrations.RunPython.noop)]
