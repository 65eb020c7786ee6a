"""manage.py send_issue N [--test ADDRESS] [--progress]: queue a published issue for every
subscriber who has not had it (or a test to one address), as the admin's buttons do. The
queue's workers (manage.py db_worker) send it; --progress follows them until they are done."""

import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from archive.mailing import delivery, tasks
from archive.models import Delivery, Issue

FINISHED = {
    Delivery.State.SENT,
    Delivery.State.FAILED,
    Delivery.State.BOUNCED,
    Delivery.State.SKIPPED,
}


class Command(BaseCommand):
    help = "Email a published issue to its subscribers (or a test to one address)."

    def add_arguments(self, parser):
        parser.add_argument("number", help="the issue's number, or a special issue's slug")
        parser.add_argument("--test", metavar="ADDRESS", help="send only a test, to ADDRESS")
        parser.add_argument(
            "--language",
            choices=[code for code, _name in settings.LANGUAGES],
            default=settings.LANGUAGE_CODE,
            help="the test's language",
        )
        parser.add_argument(
            "--progress", action="store_true", help="follow the send until it is done"
        )

    def handle(self, *args, number, test, language, progress, **options):
        found = (
            Issue.objects.filter(number=int(number))
            if number.isdigit()
            else (Issue.objects.filter(number=None, slug=number))
        )
        issue = found.first()
        if issue is None:
            raise CommandError(f"No issue {number}.")
        if test:
            tasks.send_test.enqueue(issue.pk, test, language)
            self.stdout.write(f"A test of {issue.label} is queued for {test}.")
            return
        if not issue.is_public:
            raise CommandError(f"{issue.label} is not published: publish it before sending it.")
        mailing, queued = delivery.start_mailing(issue)
        self.stdout.write(f"{issue.label} queued for {queued} subscribers.")
        if progress and queued:
            self.follow(mailing, queued)

    def follow(self, mailing, queued):
        last = None
        while True:
            counts = delivery.progress([mailing.pk])[mailing.pk]
            line = ", ".join(f"{counts.get(state, 0)} {state}" for state in Delivery.State.values)
            if line != last:
                self.stdout.write(line)
                last = line
            if sum(n for state, n in counts.items() if state in FINISHED) >= queued:
                return
            time.sleep(1)
