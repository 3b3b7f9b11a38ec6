"""One row can never stall the outbox relay (issue 16), over real Kafka.

A 3 MB e-mail used to become an event Kafka refuses (MessageSizeTooLargeError): the relay retried
that batch forever and nothing behind it moved. Now large content stays in intake's database
(the e-mail becomes a case like any other), and a row that still cannot be published is parked
while the rows behind it flow on.
"""

from __future__ import annotations

import json
import smtplib
import sqlite3
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from email.message import EmailMessage
from typing import Any

import pytest
from e2e import eventually as e2e_eventually

Api = Any

pytestmark = pytest.mark.e2e


def eventually(check: Callable[[], Any], timeout: float = 30.0) -> Any:
    return e2e_eventually(check, timeout=timeout, interval=0.2)


def ten_complaints(apis: dict[str, Api], label: str) -> list[str]:
    ids = []
    for n in range(10):
        code, body = apis["intake"].post(
            "/api/v1/complaints",
            {"channel": "email", "description": f"{label} {n}: de thuiszorg kwam niet opdagen."},
        )
        assert code == 202, body
        ids.append(body["id"])
    return ids


def all_cases(apis: dict[str, Api], ids: list[str]) -> bool:
    return all(apis["routing"].get(f"/api/v1/cases/{i}")[0] == 200 for i in ids)


def test_a_3_mb_email_then_ten_complaints_all_become_cases(apis: dict[str, Api], stack: Any) -> None:
    message = EmailMessage()
    message["From"] = "Groot Bericht <groot@example.nl>"
    message["To"] = "klachten@gemeente.example"
    message["Subject"] = "Klacht met een heel lange tekst"
    message["Message-ID"] = f"<groot-{uuid.uuid4().hex}@example.nl>"
    message.set_content("De hulp thuis is niet gekomen. " * 100_000)  # about 3 MB of text
    assert len(message.as_bytes()) > 3_000_000
    try:
        with smtplib.SMTP("127.0.0.1", stack.smtp_port, timeout=60) as client:
            client.send_message(message)
        refused = False
    except smtplib.SMTPException as error:  # a 552 is a fine answer too
        refused = "552" in str(error)
        assert refused, error
    started = time.monotonic()
    ids = ten_complaints(apis, "Na de grote e-mail")
    assert eventually(lambda: all_cases(apis, ids)), "the ten complaints did not all become cases"
    assert time.monotonic() - started < 30
    if not refused:
        ref = message["Message-ID"].replace("<", "%3C").replace(">", "%3E").replace("@", "%40")
        code, found = apis["intake"].get(f"/api/v1/complaints?source_ref={ref}")
        assert code == 200 and len(found["items"]) == 1
        big = found["items"][0]["id"]
        assert eventually(lambda: apis["routing"].get(f"/api/v1/cases/{big}")[0] == 200)


def test_a_row_kafka_would_refuse_is_parked_and_shown_while_the_rest_flows_on(
    apis: dict[str, Api], stack: Any
) -> None:
    # What an older version wrote for a 3 MB e-mail: an event far above Kafka's 1 MB.
    complaint_id = str(uuid.uuid4())
    envelope = {
        "specversion": "1.0",
        "id": str(uuid.uuid4()),
        "source": "klachtstroom-intake",
        "type": "nl.klachtstroom.complaint.received.v1",
        "subject": complaint_id,
        "time": datetime.now(UTC).isoformat(),
        "datacontenttype": "application/json",
        "data": {"complaint_id": complaint_id, "text": "x" * 3_000_000},
    }
    database = stack.data_dir / "intake" / "intake.db"
    with sqlite3.connect(database, timeout=30) as connection:
        connection.execute(
            "INSERT INTO outbox (event_id, topic, key, value, headers, created_at) VALUES (?, ?, ?, ?, ?, ?)",
            (envelope["id"], "complaints.intake.v1", complaint_id, json.dumps(envelope).encode(),
             json.dumps({"ce_type": envelope["type"]}), datetime.now(UTC).isoformat()),
        )  # fmt: skip
    ids = ten_complaints(apis, "Na de te grote rij")
    assert eventually(lambda: all_cases(apis, ids)), "the relay stalled behind the large row"

    def parked() -> int:
        _code, ready = apis["intake"].get("/readyz")
        return int(ready.get("outbox_parked", 0))

    assert eventually(lambda: parked() >= 1)
    _code, ready = apis["intake"].get("/readyz")
    assert ready["outbox_pending"] < 20
