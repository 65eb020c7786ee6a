"""Email: readers subscribe (double opt-in), and issues are delivered to their inboxes by the
task queue's workers, each (issue, subscriber) exactly once.

- ``compose``: an issue as an email (HTML with inlined CSS, and text), with its headers.
- ``tokens``: signed confirmation and unsubscribe addresses.
- ``delivery``: mailings, their deliveries, and the worker's claim-send-record loop.
- ``tasks``: what the queue runs (``manage.py db_worker``).
- ``subscribers``: subscribing, confirming, leaving, bounces and complaints.
"""
