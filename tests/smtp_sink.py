"""A real SMTP server for tests (aiosmtpd, in its own thread) that keeps every message it receives.

with SmtpSink() as sink:            # listens on 127.0.0.1:<free port>
    ...                             # point the service at sink.port
    mails = sink.wait_for(lambda ms: len(ms) >= 2, timeout=10)
"""

from __future__ import annotations

import email
import email.policy
import socket
import threading
import time
from collections.abc import Callable
from email.message import EmailMessage
from types import TracebackType
from typing import Any

from aiosmtpd.controller import Controller


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class _Keeper:
    def __init__(self, sink: SmtpSink) -> None:
        self.sink = sink

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        with self.sink.lock:
            self.sink.received.append(message)
            self.sink.recipients.append(list(envelope.rcpt_tos))
        return "250 OK"


class SmtpSink:
    def __init__(self, port: int | None = None) -> None:
        self.port = port or _free_port()
        self.received: list[EmailMessage] = []
        self.recipients: list[list[str]] = []
        self.lock = threading.Lock()
        self._controller = Controller(_Keeper(self), hostname="127.0.0.1", port=self.port)

    def start(self) -> SmtpSink:
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()

    def __enter__(self) -> SmtpSink:
        return self.start()

    def __exit__(
        self, *_exc: tuple[type[BaseException] | None, BaseException | None, TracebackType | None]
    ) -> None:
        self.stop()

    @property
    def messages(self) -> list[EmailMessage]:
        with self.lock:
            return list(self.received)

    def wait_for(
        self, predicate: Callable[[list[EmailMessage]], bool], timeout: float = 15.0
    ) -> list[EmailMessage]:
        """The messages once `predicate(messages)` holds; AssertionError after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            messages = self.messages
            if predicate(messages):
                return messages
            if time.monotonic() > deadline:
                subjects = [m["Subject"] for m in messages]
                raise AssertionError(f"SMTP sink: condition not met in {timeout}s; got {subjects}")
            time.sleep(0.05)
