import getpass
import os
import sys

from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from archive.apps import EDITORS_GROUP


class Command(BaseCommand):
    help = (
        "Create a staff account in the editors group (or add an existing user to it). The "
        "password is asked for, or read from the EDITOR_PASSWORD environment variable."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--email", default="")

    def handle(self, *args, username, email, **options):
        User = get_user_model()
        try:
            group = Group.objects.get(name=EDITORS_GROUP)
        except Group.DoesNotExist:
            raise CommandError(
                "The editors group does not exist: run `manage.py migrate`."
            ) from None
        user = User.objects.filter(username=username).first()
        password = None
        if user is None:
            password = os.environ.get("EDITOR_PASSWORD") or self.ask_password()
            candidate = User(username=username, email=email)
            try:
                password_validation.validate_password(password, candidate)
            except ValidationError as error:
                raise CommandError(" ".join(error.messages)) from None
        with transaction.atomic():
            if user is None:
                user = User.objects.create_user(username, email=email, password=password)
            user.is_staff = True
            user.save(update_fields=["is_staff"])
            user.groups.add(group)
        self.stdout.write(self.style.SUCCESS(f"{username} can now edit the newsletter in /admin/."))

    def ask_password(self):
        if not sys.stdin.isatty():
            raise CommandError("Set EDITOR_PASSWORD, or run this in a terminal to be asked.")
        first = getpass.getpass("Password: ")
        if first != getpass.getpass("Password (again): "):
            raise CommandError("The passwords do not match.")
        return first
