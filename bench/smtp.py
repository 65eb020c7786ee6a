"""A real SMTP server on 127.0.0.1 (aiosmtpd) that keeps what it accepts, for tests and for
``bench send``. Recipients can be made to fail: ``refuse`` maps an address to the reply its
RCPT TO gets ("550 …" permanently, "451 …" for the next ``times`` tries)."""

import email
import email.policy
import threading

from aiosmtpd.controller import Controller

from bench.scratch import free_port


class Sink:
    def __init__(self):
        self.messages = []  # (envelope recipients, email.message.EmailMessage)
        self.refusals = {}  # address -> [reply, times left or None for always]
        self.lock = threading.Lock()
        self.on_data = None  # called with the envelope before a message is accepted

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
        if self.on_data is not None:
            reply = self.on_data(envelope)
            if reply:
                return reply
        parsed = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        with self.lock:
            self.messages.append((list(envelope.rcpt_tos), parsed))
        return "250 Message accepted for delivery"

    def to(self, address):
        return [m for rcpts, m in self.messages if address in rcpts]


class SmtpServer:
    def __init__(self, handler=None):
        self.handler = handler or Sink()
        self.port = free_port()
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)

    def __enter__(self):
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
