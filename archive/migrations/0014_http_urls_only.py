from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("archive", "0013_disarm_non_http_urls"),
    ]

    operations = [
        migrations.AddConstraint(
            model_name="inboxitem",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("url__istartswith", "http://"), ("url__istartswith", "https://"), _connector="OR"
                ),
                name="inboxitem_url_http",
            ),
        ),
        migrations.AddConstraint(
            model_name="link",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("url__istartswith", "http://"),
                    ("url__istartswith", "https://"),
                    ("url", ""),
                    _connector="OR",
                ),
                name="link_url_http",
            ),
        ),
        migrations.AddConstraint(
            model_name="section",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("heading_url__istartswith", "http://"),
                    ("heading_url__istartswith", "https://"),
                    ("heading_url", ""),
                    _connector="OR",
                ),
                name="section_heading_url_http",
            ),
        ),
    ]
