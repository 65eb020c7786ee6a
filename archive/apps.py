from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _

EDITORS_GROUP = "editors"


def ensure_editors_group(sender, using="default", **kwargs):
    """The "editors" group: every permission on the archive's models and on tags, nothing else."""
    from django.contrib.auth.models import Group, Permission

    group, _created = Group.objects.using(using).get_or_create(name=EDITORS_GROUP)
    permissions = Permission.objects.using(using).filter(
        content_type__app_label__in=["archive", "taggit"]
    )
    group.permissions.set(permissions)


class ArchiveConfig(AppConfig):
    name = "archive"
    verbose_name = _("Newsletter archive")

    def ready(self):
        from django.conf import settings

        from .history import trash  # noqa: F401  (connect receivers)
        from .ingest.urlnorm import extend_tracking_parameters
        from .mailing import signals as mailing_signals  # noqa: F401  (connect receivers)
        from .publishing import cache, signals  # noqa: F401  (connect the receivers of both)

        extend_tracking_parameters(settings.EXTRA_TRACKING_PARAMETERS)

        post_migrate.connect(ensure_editors_group, sender=self)
