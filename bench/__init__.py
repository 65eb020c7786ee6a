"""Developers' tools, not the product's: benchmarks, Lighthouse and load tests, run as
``manage.py bench …``. Installed only when DEBUG is on (or BENCH_TOOLS=1)."""
