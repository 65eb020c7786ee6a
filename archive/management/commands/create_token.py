from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from archive.models import ApiToken


class Command(BaseCommand):
    help = (
        "Print a new API token for USERNAME, for scripts that save to the inbox "
        "(POST /api/inbox/ with Authorization: Bearer <token>). Only its hash is kept."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", default="script", help="where it will be used")

    def handle(self, *args, username, name, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user named {username!r}.")
        if not (user.is_active and user.has_perm("archive.add_inboxitem")):
            raise CommandError(f"{username} may not save to the inbox (an editor may).")
        token = ApiToken(user=user, name=name)
        key = token.issue()
        token.save()
        self.stdout.write(key)
