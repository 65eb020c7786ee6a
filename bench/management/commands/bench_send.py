"""manage.py bench_send: the same as ``manage.py bench send``."""

import os

from bench.tools import send


class Command(send.Command):
    def handle(self, *args, **options):
        os.environ["BENCH_TOOLS"] = "1"
        return super().handle(*args, **options)
