"""A real worker process (``manage.py db_worker``) killed in the middle of a mailing, and
started again: nobody gets the issue twice, and nobody is missed.

The SMTP server kills the worker while it is sending message 120, before answering: the
server never accepted that message, so it must be sent again, and the 119 before it were
accepted, so they must not be. The scratch database beside the test database is shared by
this test and the worker processes, on SQLite and on PostgreSQL alike."""

import os
import signal
import time
from collections import Counter

import pytest

from bench.tools.send import SendRig

# The scratch database is made and dropped outside any transaction.
pytestmark = pytest.mark.django_db(transaction=True)

SUBSCRIBERS = 300
KILL_AT = 120


def wait_for(condition, seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


def test_a_worker_killed_mid_batch_and_started_again_sends_each_message_once():
    with SendRig("killed-worker", DELIVERY_LEASE_SECONDS=2) as rig:
        sink = rig.smtp.handler
        mailing, queued = rig.queue_mailing(SUBSCRIBERS, number=5, links=10)
        assert queued == SUBSCRIBERS
        seen = Counter()
        victim = {}

        def kill_mid_send(envelope):
            seen["data"] += 1
            if seen["data"] == KILL_AT:
                os.kill(victim["pid"], signal.SIGKILL)
                return "451 4.3.0 The worker is gone"  # never read: not accepted
            return None

        sink.on_data = kill_mid_send
        first = rig.start_worker(batch=False)
        victim["pid"] = first.pid
        assert wait_for(lambda: first.poll() is not None, 60), "the worker was not killed"
        assert first.returncode == -signal.SIGKILL
        assert sink.count == KILL_AT - 1
        # Its batch is still claimed: those deliveries wait for the lease to run out.
        assert rig.states(mailing).get("sending", 0) > 0

        rig.start_worker(batch=False)
        assert wait_for(lambda: sink.count >= SUBSCRIBERS, 90), f"only {sink.count} arrived"
        time.sleep(1)  # anything more would arrive now

        received = Counter(rcpt for rcpts, _message in sink.messages for rcpt in rcpts)
        expected = {f"reader{n}@example.org" for n in range(SUBSCRIBERS)}
        assert set(received) == expected
        assert max(received.values()) == 1
        assert rig.states(mailing) == {"sent": SUBSCRIBERS}


def test_two_workers_at_once_share_a_mailing_and_send_each_message_once():
    with SendRig("two-workers") as rig:
        mailing, queued = rig.queue_mailing(SUBSCRIBERS, number=6, links=10)
        workers = [rig.start_worker(batch=True) for _ in range(2)]
        for worker in workers:
            assert worker.wait(timeout=120) == 0
        received = Counter(rcpt for rcpts, _message in rig.smtp.handler.messages for rcpt in rcpts)
        assert len(received) == SUBSCRIBERS and max(received.values()) == 1
        assert rig.states(mailing) == {"sent": SUBSCRIBERS}
