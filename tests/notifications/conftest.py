"""Fixtures for the notifications tests: a real SMTP server (aiosmtpd) and a queue helper."""
import email
import email.policy
import socket
import threading
from datetime import datetime, timezone

import pytest
from aiosmtpd.controller import Controller

from contracts_app.extensions import db
from contracts_app.notifications import outbox

NOW = datetime(2026, 3, 2, 15, 0, tzinfo=timezone.utc)
BASE_URL = "https://rdc.example.test"
SENDER = "RDC Tracker <alerts@city.test>"


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class RecordingHandler:
    """Stores every accepted message; can refuse messages (DATA) or given recipients (RCPT):
    for good (550) or for now (``defer_recipients``: 451)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.envelopes = []
        self.refuse_data = None
        self.refuse_recipients = set()
        self.defer_recipients = set()
        self.rcpt_attempts = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        with self.lock:
            self.rcpt_attempts.append(address)
        if address in self.refuse_recipients:
            return "550 5.1.1 No such mailbox here"
        if address in self.defer_recipients:
            return "451 4.3.0 Mailbox busy, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.refuse_data:
            return self.refuse_data
        with self.lock:
            self.envelopes.append(envelope)
        return "250 Message accepted for delivery"


class SMTPServer:
    """A real SMTP server on 127.0.0.1 that can be stopped and started again on the same port."""

    def __init__(self):
        self.port = free_port()
        self.handler = RecordingHandler()
        self.controller = None

    def start(self):
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port, server_hostname="localhost")
        self.controller.start()

    def stop(self):
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    @property
    def messages(self):
        with self.handler.lock:
            envelopes = list(self.handler.envelopes)
        return [Delivery(envelope) for envelope in envelopes]


class Delivery:
    def __init__(self, envelope):
        self.envelope = envelope
        self.rcpt_tos = list(envelope.rcpt_tos)
        self.mail_from = envelope.mail_from
        self.message = email.message_from_bytes(envelope.original_content, policy=email.policy.default)

    def __getitem__(self, header):
        return self.message[header]

    @property
    def text(self):
        return self.message.get_body(preferencelist=("plain",)).get_content().replace("\r\n", "\n")

    @property
    def html(self):
        return self.message.get_body(preferencelist=("html",)).get_content()


@pytest.fixture
def mail_config(app):
    app.config.update(APP_BASE_URL=BASE_URL, MAIL_DEFAULT_SENDER=SENDER, MAIL_USE_TLS=False,
                      MAIL_USERNAME=None, MAIL_PASSWORD=None, MAIL_TIMEOUT_SECONDS=5)
    return app.config


@pytest.fixture
def smtp(app, mail_config):
    """A started SMTP server, and the app's MAIL_SERVER / MAIL_PORT pointed at it."""
    server = SMTPServer()
    server.start()
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=server.port)
    yield server
    server.stop()


@pytest.fixture
def queue(app):
    """queue(user, subject, kind=..., link=..., now=...) -> the new notification's dedupe key,
    written through outbox.queue_many in a transaction that is then committed."""
    counter = iter(range(1, 1_000_000))

    def add(user, subject, kind="flag_opened", link="/contracts/1", body="", now=NOW, key=None):
        key = key or f"test:{user.id}:{next(counter)}:{subject}"
        added = outbox.queue_many(
            [dict(recipient_id=user.id, kind=kind, dedupe_key=key, subject=subject, body=body, link=link)], now=now
        )
        assert added == {key[:120]}
        db.session.commit()
        return key

    return add
