"""A real SMTP server on 127.0.0.1 (aiosmtpd) that keeps what it accepts, for tests and for
``bench send``. Recipients can be made to fail: ``refuse`` maps an address to the reply its
RCPT TO gets ("550 …" permanently, "451 …" for the next ``times`` tries)."""

import asyncio
import email
import email.policy
import logging
import threading
import time

from aiosmtpd.controller import Controller

from bench.scratch import free_port


class Sink:
    """Keeps each message it accepts, parsed (``parse``) or as its recipients only (a
    benchmark's sink must not be what limits the rate)."""

    def __init__(self, parse=True, latency=0.0):
        self.parse = parse
        self.latency = latency  # seconds before answering DATA, as a distant relay takes
        self.refusals = {}  # address -> [reply, times left or None for always]
        self.lock = threading.Lock()
        self.on_data = None  # called with the envelope before a message is accepted
        self.reset()

    def reset(self):
        self.messages = []  # (envelope recipients, email.message.EmailMessage or None)
        self.count = 0
        self.first = self.last = 0.0

    def refuse(self, address, reply, times=None):
        self.refusals[address.lower()] = [reply, times]

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        refusal = self.refusals.get(address.lower())
        if refusal is not None:
            reply, times = refusal
            if times is None or times > 0:
                if times is not None:
                    refusal[1] = times - 1
                return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.latency:
            await asyncio.sleep(self.latency)
        if self.on_data is not None:
            reply = self.on_data(envelope)
            if reply:
                return reply
        parsed = None
        if self.parse:
            parsed = email.message_from_bytes(
                envelope.original_content, policy=email.policy.default
            )
        with self.lock:
            self.messages.append((list(envelope.rcpt_tos), parsed))
            self.count += 1
            self.last = time.monotonic()
            self.first = self.first or self.last
        return "250 Message accepted for delivery"

    def to(self, address):
        return [m for rcpts, m in self.messages if address in rcpts]


logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd's line per command


class SmtpServer:
    def __init__(self, handler=None, parse=True, latency=0.0):
        self.handler = handler or Sink(parse=parse, latency=latency)
        self.port = free_port()

    def __enter__(self):
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)
        self.controller.start()
        return self

    def __exit__(self, *exc):
        self.controller.stop()

    def settings(self):
        return {
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": self.port,
            "EMAIL_HOST_USER": "",
            "EMAIL_HOST_PASSWORD": "",
            "EMAIL_USE_TLS": False,
            "EMAIL_USE_SSL": False,
        }
