"""Messages to residents on the platform's outbound queue: a mail server that is away is retried
with backoff until it answers or the attempts run out, the queued call holds no personal data,
and the Message-ID stays the same over the retries."""

from __future__ import annotations

import socket
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "tests"))
from intake_harness import Intake
from smtp_sink import SmtpSink

ADDRESS = "inwoner@example.nl"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def post(intake: Intake) -> dict[str, Any]:
    body = {"channel": "web_form", "description": "Ik ben al weken niet teruggebeld.",
            "received_at": "2026-03-03", "complainant": {"email": ADDRESS}}  # fmt: skip
    response = intake.client.post("/api/v1/complaints", json=body)
    assert response.status_code == 202
    result: dict[str, Any] = response.json()
    return result


def messages(intake: Intake) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = intake.client.get("/api/v1/resident-messages").json()["items"]
    return items


def wait_until(check: Callable[[], bool], timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "waited in vain"
        time.sleep(0.05)


def test_a_mail_server_that_is_away_is_retried_until_it_takes_the_message(make_intake: Any) -> None:
    port = free_port()  # nothing listens here yet: every attempt is refused
    intake = make_intake(
        mail_enabled=True, mail_smtp_port=port, mail_poll_seconds=0.05,
        mail_retry_first_seconds=0.1, mail_retry_max_seconds=0.4,
    )  # fmt: skip
    accepted = post(intake)
    wait_until(lambda: messages(intake)[0]["attempts"] >= 2)
    [waiting] = messages(intake)
    assert waiting["state"] == "pending" and waiting["sent_at"] is None
    row = intake.raw_rows("SELECT recipient_enc, last_error FROM resident_messages")[0]
    assert row["last_error"] in {"SMTPConnectError", "ConnectionRefusedError", "OSError"}
    assert ADDRESS.encode() not in row["recipient_enc"]
    [call] = intake.raw_rows("SELECT * FROM outbound_calls")  # as stored: nothing in clear
    assert call["kind"] == "resident.message" and call["state"] == "pending" and call["attempts"] >= 2
    stored = b" ".join(
        str(value).encode() if not isinstance(value, bytes) else value for value in call.values()
    )
    assert ADDRESS.encode() not in stored and accepted["status_url"].encode() not in stored
    with SmtpSink(port) as sink:
        [mail] = sink.wait_for(lambda found: len(found) >= 1, timeout=10)
        wait_until(lambda: messages(intake)[0]["state"] == "sent")
    assert mail["To"] == ADDRESS and accepted["status_url"] in mail.get_content()
    [message] = messages(intake)
    assert message["attempts"] >= 3 and message["sent_at"] is not None
    assert mail["Message-ID"].startswith(f"<bericht-{message['id']}@")
    assert intake.rows("SELECT body_enc FROM resident_messages")[0]["body_enc"] is None
    assert intake.rows("SELECT state FROM outbound_calls")[0]["state"] == "sent"
    assert set(message) >= {"state", "attempts", "sent_at"} and "body" not in message


def test_a_message_is_given_up_after_the_last_attempt(make_intake: Any) -> None:
    intake = make_intake(
        mail_enabled=True, mail_smtp_port=free_port(), mail_poll_seconds=0.05,
        mail_retry_first_seconds=0.05, mail_retry_max_seconds=0.1, mail_max_attempts=3,
    )  # fmt: skip
    post(intake)
    wait_until(lambda: messages(intake)[0]["state"] == "failed")
    [message] = messages(intake)
    assert message["attempts"] == 3 and message["sent_at"] is None
    assert intake.rows("SELECT state, attempts FROM outbound_calls") == [{"state": "dead", "attempts": 3}]
