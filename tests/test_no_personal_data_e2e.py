"""No personal data in logs, spans or events, on any path (DESIGN.md, Personal data; issue 16).

The session's stack, with every span printed (console exporter) into the services' log files,
receives complaints holding planted names, e-mail addresses, phone numbers, BSNs and description
texts through the JSON API, SMTP and refused input; a case worker acts on one with a hearing
report naming a person. Then every log file (spans included) and every event on every topic is
scanned: a single planted value anywhere fails the test.
"""

from __future__ import annotations

import asyncio
import smtplib
import time
from email.message import EmailMessage
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer
from e2e import Api, eventually
from stack import Stack

from klachtstroom.contracts import topics

pytestmark = pytest.mark.e2e

NAME = "Gerrit-Jan Planteveld"
EMAIL = "g.planteveld@voorbeeld-inwoner.nl"
PHONE = "06-98765432"
BSN = "111222333"
TEXT = "mijn buurvrouw Truus Speurhond stuurde de brief terug"
MAIL_NAME = "Hendrika Zeldzaamnaam"
MAIL_ADDRESS = "h.zeldzaamnaam@voorbeeld-inwoner.nl"
MAIL_TEXT = "de wijkverpleging van Klaasje Onvindbaar kwam niet"
REPORT = "Hoorverslag: mevrouw Wilhelmina Nergensgenoemd vertelde"
PLANTED = (NAME, EMAIL, PHONE, BSN, TEXT, MAIL_NAME, MAIL_ADDRESS, MAIL_TEXT, REPORT, "98765432")


@pytest.fixture(scope="module")
def traced_stack(stack: Stack) -> Stack:
    """The session's stack: it prints every span into the services' log files (console exporter,
    within a fifth of a second), as this scan needs; no stack of its own to start."""
    return stack


def all_events(bootstrap: str) -> list[bytes]:
    async def read() -> list[bytes]:
        consumer = AIOKafkaConsumer(
            *topics.ALL, bootstrap_servers=bootstrap, auto_offset_reset="earliest", group_id=None
        )
        await consumer.start()
        found: list[bytes] = []
        try:
            idle = 0
            while idle < 3:
                batch = await consumer.getmany(timeout_ms=1000)
                idle = 0 if batch else idle + 1
                for records in batch.values():
                    for record in records:
                        found.append(record.value or b"")
                        found.extend(v for _k, v in record.headers)
        finally:
            await consumer.stop()
        return found

    return asyncio.run(read())


def test_planted_personal_data_appears_in_no_log_span_or_event(traced_stack: Stack) -> None:
    intake = Api(traced_stack.services["intake"].url)
    routing = Api(traced_stack.services["routing"].url)
    code, accepted = intake.post(
        "/api/v1/complaints",
        {
            "channel": "phone",
            "description": f"Ik klaag: {TEXT}.",
            "complainant": {"name": NAME, "email": EMAIL, "phone": PHONE, "bsn": BSN},
            "about_employee": "Truus Speurhond",
        },
    )
    assert code == 202, accepted
    # Refused input must not be echoed or logged either: a bad BSN, bad text, a too large body.
    code, refused = intake.post(
        "/api/v1/complaints",
        {"channel": "phone", "description": TEXT, "complainant": {"name": NAME, "bsn": "123456789"}},
    )
    assert code == 422 and NAME not in str(refused) and TEXT not in str(refused)
    code, refused = intake.call("POST", "/api/v1/complaints", None, {"X-Ignored": "1"})  # no body at all
    assert code == 422
    mail = EmailMessage()
    mail["From"] = f"{MAIL_NAME} <{MAIL_ADDRESS}>"
    mail["To"] = "klachten@gemeente.example"
    mail["Subject"] = "Klacht over de zorg"
    mail["Message-ID"] = "<pii-scan-1@voorbeeld-inwoner.nl>"
    mail.set_content(f"Beste gemeente, {MAIL_TEXT}. Bel mij op {PHONE}.")
    with smtplib.SMTP("127.0.0.1", traced_stack.smtp_port, timeout=30) as client:
        client.send_message(mail)

    case_id = accepted["id"]
    eventually(lambda: routing.get(f"/api/v1/cases/{case_id}")[0] == 200, timeout=60)
    assign = {"unit": "Inkomen", "handler_name": "Behandelaar"}
    assert routing.post(f"/api/v1/cases/{case_id}/assign", assign)[0] == 200
    assert routing.post(f"/api/v1/cases/{case_id}/escalate", {})[0] == 200
    assert routing.post(f"/api/v1/cases/{case_id}/hear", {"report": REPORT})[0] == 200
    assert routing.get(f"/api/v1/cases/{case_id}")[0] == 200
    assert intake.get(f"/api/v1/complaints/{case_id}")[0] == 200
    logs = sorted((traced_stack.data_dir / "logs").glob("*.log"))
    assert logs

    def traced(log: Path) -> bool:
        content = log.read_text(errors="replace")
        return "traceId" in content or "trace_id" in content

    # Every service's spans and log lines are there before the scan means anything.
    eventually(lambda: all(traced(log) for log in logs), timeout=30)
    time.sleep(1)  # the consumers finish what they are handling

    hits: list[str] = []
    for log in logs:
        content = log.read_text(errors="replace")
        hits += [f"{log.name}: {value}" for value in PLANTED if value in content]
    events = all_events(f"127.0.0.1:{traced_stack.kafka_port}")
    assert events, "no events were read"
    for raw in events:
        text = raw.decode(errors="replace")
        hits += [f"event: {value}" for value in PLANTED if value in text]
    assert hits == [], hits
