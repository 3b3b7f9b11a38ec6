"""The outbound queue's channels: e-mail over SMTP and Standard Webhooks POSTs, as delivery results."""

from __future__ import annotations

import asyncio
import socket
import sys
from email.message import EmailMessage
from pathlib import Path

import httpx
from standardwebhooks.webhooks import Webhook

from klachtstroom.platform.outbound.mail import SmtpRelay, send_email
from klachtstroom.platform.outbound.webhooks import post_webhook

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "tests"))
from smtp_sink import SmtpSink  # type: ignore[import-not-found]

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _message(subject: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = "termijnbewaking@gemeente.example"
    message["To"] = "team.inkomen@gemeente.example"
    message["Subject"] = subject
    message["Message-ID"] = "<notificatie-7@gemeente.example>"
    message.set_content("Zaaknummer: 42")
    return message


async def test_a_mail_reaches_the_relay_with_its_long_subject_on_one_line() -> None:
    subject = "Escalatie (klachtcoördinator): contacttermijn van klacht KL-2026-000042 is overschreden " * 2
    with SmtpSink() as sink:
        result = await send_email(SmtpRelay("127.0.0.1", sink.port), _message(subject.strip()))
        [mail] = await asyncio.to_thread(sink.wait_for, lambda ms: len(ms) == 1)
    assert result.ok
    assert mail["Subject"] == subject.strip() and mail["To"] == "team.inkomen@gemeente.example"
    assert mail["Message-ID"] == "<notificatie-7@gemeente.example>"


async def test_a_relay_that_is_away_gives_a_retryable_error_without_addresses() -> None:
    result = await send_email(SmtpRelay("127.0.0.1", _free_port(), timeout_seconds=2), _message("x"))
    assert not result.ok and not result.permanent
    assert result.error and "SMTP" in result.error and "gemeente.example" not in result.error


async def test_a_webhook_is_signed_and_a_refusal_is_its_status_only() -> None:
    seen: list[httpx.Request] = []
    answers = iter([204, 503])

    def receiver(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(next(answers))

    async with httpx.AsyncClient(transport=httpx.MockTransport(receiver)) as client:
        ok = await post_webhook(
            client, "https://hooks.example/x", b'{"a":1}', message_id="msg_1", secret=SECRET
        )
        refused = await post_webhook(
            client, "https://hooks.example/x", b'{"a":1}', message_id="msg_1", secret=SECRET
        )
    assert ok.ok and ok.status_code == 204
    assert (refused.ok, refused.error, refused.status_code) == (False, "HTTP 503", 503)
    Webhook(SECRET).verify(seen[0].content, dict(seen[0].headers))
    assert seen[0].headers["webhook-id"] == seen[1].headers["webhook-id"] == "msg_1"


async def test_an_unreachable_webhook_says_no_more_than_niet_bereikbaar() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused to 10.0.0.5", request=request)

    async with httpx.AsyncClient(transport=httpx.MockTransport(refuse)) as client:
        result = await post_webhook(client, "https://hooks.example/x", b"{}", message_id="msg_2", secret=None)
    assert (result.ok, result.error) == (False, "niet bereikbaar")
