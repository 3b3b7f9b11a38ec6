"""Polling a hosted mailbox over IMAP, against a real IMAP server (pymap) on a free port."""

from __future__ import annotations

import imaplib
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from intake_harness import Intake

from klachtstroom.intake.email.imap import MailboxPoller, MailboxSettings, with_message_id
from klachtstroom.intake.email.smtp import MailIntake

PYMAP = Path(sys.executable).parent / "pymap"


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def imap_server() -> Iterator[int]:
    port = _free_port()
    process = subprocess.Popen(
        [
            str(PYMAP),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--no-tls",
            "dict",
            "--demo-user",
            "klachten",
            "--demo-password",
            "geheim",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                imaplib.IMAP4("127.0.0.1", port).logout()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        yield port
    finally:
        process.terminate()
        process.wait(10)


def _mailbox(port: int) -> imaplib.IMAP4:
    connection = imaplib.IMAP4("127.0.0.1", port)
    connection.login("klachten", "geheim")
    return connection


def _deliver(port: int, raw: bytes) -> None:
    connection = _mailbox(port)
    assert connection.append('"INBOX"', None, None, raw)[0] == "OK"
    connection.logout()


def _count(port: int, folder: str) -> int:
    connection = _mailbox(port)
    status, data = connection.select(f'"{folder}"')
    connection.logout()
    return int(data[0] or 0) if status == "OK" else 0


def _message(subject: str, body: str, message_id: str | None) -> bytes:
    head = f"From: Inwoner <inwoner@example.nl>\r\nTo: klachten@gemeente.example\r\nSubject: {subject}\r\n"
    if message_id:
        head += f"Message-ID: <{message_id}>\r\n"
    return (head + "Content-Type: text/plain; charset=utf-8\r\n\r\n" + body + "\r\n").encode()


def _poller(intake: Intake, port: int) -> MailboxPoller:
    settings = MailboxSettings(
        host="127.0.0.1", port=port, security="none", username="klachten", password="geheim"
    )
    return MailboxPoller(MailIntake(intake.app.state.registrar), settings)


async def test_mail_in_a_hosted_mailbox_becomes_complaints_once_and_is_moved(
    intake: Intake, imap_server: int
) -> None:
    _deliver(imap_server, _message("Klacht", "Mijn uitkering is drie weken niet betaald.", "a1@example.nl"))
    _deliver(imap_server, _message("Nog een", "Niemand belt mij terug over de schuldhulp.", None))

    assert await _poller(intake, imap_server).poll_once() == 2
    assert len(intake.rows("SELECT id FROM complaints WHERE channel = 'email'")) == 2
    assert _count(imap_server, "INBOX") == 0
    assert _count(imap_server, "klachtstroom-verwerkt") == 2

    # A restart that finds the same messages again (moved back: a crash before the move) stores nothing twice.
    connection = _mailbox(imap_server)
    connection.select('"klachtstroom-verwerkt"')
    connection.uid("COPY", "1:*", '"INBOX"')
    connection.logout()
    assert _count(imap_server, "INBOX") == 2
    await _poller(intake, imap_server).poll_once()
    assert len(intake.rows("SELECT id FROM complaints WHERE channel = 'email'")) == 2
    assert _count(imap_server, "INBOX") == 0


def test_a_message_without_message_id_gets_one_from_its_bytes() -> None:
    raw = _message("x", "y", None)
    assert with_message_id(raw) == with_message_id(raw)
    assert with_message_id(raw).startswith(b"Message-ID: <imap-")
    assert with_message_id(_message("x", "y", "keep@example.nl")) == _message("x", "y", "keep@example.nl")


async def test_a_round_that_stops_halfway_loses_and_doubles_nothing(
    intake: Intake, imap_server: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Intake stops storing in the middle of a round (its database away, the process killed):
    what was stored is moved, the rest stays in the mailbox, and the next poller (after a
    restart) takes in exactly the rest."""
    for n in range(3):
        raw = _message(f"Klacht {n}", f"Mijn aanvraag {n} is kwijt.", f"halfway-{n}@example.nl")
        _deliver(imap_server, raw)
    first = _poller(intake, imap_server)
    receive = first.intake.receive
    calls = 0

    async def fails_on_the_second(raw: bytes, envelope_sender: str | None = None) -> str:
        nonlocal calls
        calls += 1
        if calls == 2:
            raise ConnectionError("database away")
        return await receive(raw, envelope_sender)

    monkeypatch.setattr(first.intake, "receive", fails_on_the_second)
    assert await first.poll_once() == 1
    assert _count(imap_server, "INBOX") == 2 and _count(imap_server, "klachtstroom-verwerkt") == 1

    restarted = _poller(intake, imap_server)
    assert await restarted.poll_once() == 2
    assert await restarted.poll_once() == 0
    stored = intake.rows("SELECT id FROM complaints WHERE channel = 'email'")
    assert len(stored) == 3
    assert _count(imap_server, "INBOX") == 0 and _count(imap_server, "klachtstroom-verwerkt") == 3
