"""manage.py bench TOOL [options]: the developers' tools, one entry point.

    pages        the reader's pages uncached and cached, against a minimal Django view
    search       search latency and recall on a scratch archive of N links
    linkcheck    links checked per second, politely and not, against local servers
    import       Markdown import throughput and memory, other shapes against our own
    lighthouse   Lighthouse scores of the main pages, both languages, mobile and desktop
    load         64 connections for a minute, an edit under load, PostgreSQL restarted
    send         email messages a second from 1 and 4 queue workers, a worker's memory
    history      the cost of a save with its revision, and a revision's size

``manage.py bench TOOL --help`` lists a tool's options."""

import os
from importlib import import_module

from django.core.management.base import BaseCommand

TOOLS = {
    "pages": "bench.tools.pages",
    "search": "bench.tools.search",
    "linkcheck": "bench.tools.linkcheck",
    "import": "bench.tools.imports",
    "lighthouse": "bench.tools.lighthouse",
    "load": "bench.tools.load",
    "send": "bench.tools.send",
    "history": "bench.tools.history",
}


class Command(BaseCommand):
    help = "Developers' benchmarks, Lighthouse and load tests: manage.py bench TOOL --help."

    def add_arguments(self, parser):
        tools = parser.add_subparsers(dest="tool", required=True, metavar="TOOL")
        for name, module in TOOLS.items():
            tool = import_module(module).Command()
            tool.add_arguments(tools.add_parser(name, help=tool.help, description=tool.help))

    def handle(self, *args, tool, **options):
        # The processes a tool starts (`manage.py bench … --child`) find the bench app too.
        os.environ["BENCH_TOOLS"] = "1"
        command = import_module(TOOLS[tool]).Command(stdout=self.stdout, stderr=self.stderr)
        command.style = self.style
        return command.handle(*args, **options)
