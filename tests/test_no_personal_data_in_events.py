"""No personal data and no free text in any Kafka event (DESIGN.md "Personal data"), end to end.

Kafka topics are kept forever so that projections can be rebuilt, so what is in them could never
be erased. This module sends complaints full of planted personal data through every way in
(JSON API, SMTP) and through the case work that writes free text (hand-over note, hearing report,
extension reason, resolve summary, a provider's measures), then reads EVERY record of EVERY
topic of the broker (dead-letter topics included, headers included) and fails on a single hit.

It also shows the claim check still gives everyone the text they need: the case page shows the
description, the provider's hand-over carries it, Awb 9:7 still keeps the employee complained
about off the formal complaint, and the provider report lists the measures.
"""

from __future__ import annotations

import asyncio
import json
import smtplib
import threading
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import pytest
from e2e import Api, eventually, every_record, free_port, make_stack, started_stack
from kafka_node import KafkaNode
from stack import Stack
from standardwebhooks.webhooks import Webhook

pytestmark = pytest.mark.e2e

RUN = uuid.uuid4().hex[:6]
PROVIDER = f"Zorg Privacy {RUN}"
SECRET = "whsec_Z2VoZWltLXZvb3ItZGUtcGlpLXNjYW4="

# Every value below must never appear in any event; each is unusual enough not to occur by chance.
NAME = f"Gerrit Zwaluwstaart{RUN}"
EMAIL = f"g.zwaluwstaart.{RUN}@voorbeeld.example"
PHONE = "0687654321"
BSN = "999990019"
ADDRESS = f"Kievitlaan {RUN} 12"
DESCRIPTION = f"De thuishulp kwam drie weken niet; mevrouw Tjiftjaf{RUN} bleef zonder hulp. BSN {BSN}."
EMPLOYEE = f"Jan Roerdomp{RUN}"
HANDOVER = f"Graag terugbellen na vieren, vraag naar dochter Grutto{RUN}."
MEASURES = f"Planner Kwartel{RUN} belt voortaan elke week met de cliënt."
HEARING = f"Verslag: klager Zwaluwstaart{RUN} en teamleider besproken."
EXTENSION = f"Wachten op stukken van Ijsvogel{RUN}."
SUMMARY = f"Excuses aangeboden aan de heer Zwaluwstaart{RUN}."
MAIL_BODY = f"Ik ben onheus bejegend door loket medewerker Pimpelmees{RUN}."

PLANTED = [
    NAME, EMAIL, PHONE, BSN, ADDRESS, DESCRIPTION, f"Tjiftjaf{RUN}", EMPLOYEE, f"Roerdomp{RUN}",
    HANDOVER, f"Grutto{RUN}", MEASURES, f"Kwartel{RUN}", HEARING, f"Zwaluwstaart{RUN}", EXTENSION,
    f"Ijsvogel{RUN}", SUMMARY, MAIL_BODY, f"Pimpelmees{RUN}", f"zwaluwstaart.{RUN}",
]  # fmt: skip


class Provider(BaseHTTPRequestHandler):
    """The provider's webhook: keeps every hand-over it receives."""

    received: ClassVar[list[bytes]] = []

    def do_POST(self) -> None:
        Provider.received.append(self.rfile.read(int(self.headers.get("Content-Length", "0"))))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *_args: Any) -> None:
        return


@pytest.fixture(scope="module")
def webhook() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", free_port()), Provider)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/overdracht"
    finally:
        server.shutdown()


def _case(routing: Api, case_id: str, state: str | None = None) -> dict[str, Any]:
    def ready() -> Any:
        code, case = routing.get(f"/api/v1/cases/{case_id}")
        return case if code == 200 and (state is None or case["state"] == state) else None

    found: dict[str, Any] = eventually(ready, timeout=45)
    return found


def _provider_status(routing: Api, case_id: str, body: dict[str, Any]) -> int:
    """The provider's report, a Standard Webhooks request signed with its secret."""
    raw = json.dumps({"case_id": case_id, **body}).encode()
    message_id, now = f"msg_{uuid.uuid4().hex}", datetime.now(UTC)
    headers = {
        "Content-Type": "application/json",
        "webhook-id": message_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": Webhook(SECRET).sign(message_id, now, raw),
    }
    url = f"{routing.base}/api/v1/providers/{urllib.parse.quote(PROVIDER)}/cases/{case_id}/status"
    request = urllib.request.Request(url, data=raw, method="POST", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


@pytest.fixture(scope="module")
def pii_stack(own_kafka: KafkaNode, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """A stack of its own (its topics hold only this module's events); the provider's webhook
    runs on this machine, so 127.0.0.1 is allowed as an outbound host."""
    running = make_stack(
        tmp_path_factory.mktemp("pii"),
        own_kafka,
        KLACHTSTROOM_OUTBOUND_ALLOWED_HOSTS="127.0.0.1",
        KLACHTSTROOM_ROUTING_DELIVERY_POLL_SECONDS="0.2",
    )
    with started_stack(running) as started:
        yield started


def test_no_event_on_any_topic_holds_personal_data_or_free_text(pii_stack: Stack, webhook: str) -> None:
    stack = pii_stack
    apis = {name: Api(proc.url) for name, proc in stack.services.items()}
    intake, routing, reporting = apis["intake"], apis["routing"], apis["reporting"]
    provider = {"name": PROVIDER, "webhook_url": webhook, "secret": SECRET, "response_working_days": 7}
    assert routing.call("PUT", f"/api/v1/providers/{urllib.parse.quote(PROVIDER)}", provider)[0] in (200, 201)

    # 1. A phone call registered by the KCC with everything personal a complaint can hold.
    code, accepted = intake.post(
        "/api/v1/complaints",
        {
            "channel": "phone",
            "description": DESCRIPTION,
            "complainant": {"name": NAME, "email": EMAIL, "phone": PHONE, "address": ADDRESS, "bsn": BSN},
            "municipality": "Voorbeeldstad",
            "unit": "Wmo",
            "about_employee": EMPLOYEE,
            "handover_note": HANDOVER,
        },
    )
    assert code == 202, accepted
    first = str(accepted["id"])
    case = _case(routing, first)
    # Claim check: routing's case page asks intake for the texts.
    texts = (case["description"], case["about_employee"], case["handover_note"])
    assert texts == (DESCRIPTION, EMPLOYEE, HANDOVER)

    # Awb 9:7: the employee complained about may not handle it formally (routing asks intake).
    assert routing.post(f"/api/v1/cases/{first}/assign", {"handler_name": "K. Coördinator"})[0] == 200
    code, refused = routing.post(f"/api/v1/cases/{first}/escalate", {"handler_name": EMPLOYEE})
    assert code == 422, refused
    assert routing.post(f"/api/v1/cases/{first}/escalate", {"handler_name": "K. Coördinator"})[0] == 200
    assert routing.post(f"/api/v1/cases/{first}/hear", {"report": HEARING})[0] == 200
    assert routing.post(f"/api/v1/cases/{first}/extend", {"weeks": 2, "reason": EXTENSION})[0] == 200
    resolve = {"outcome": "partly_upheld", "resolution": "formal", "summary": SUMMARY}
    assert routing.post(f"/api/v1/cases/{first}/resolve", resolve)[0] == 200

    # 2. A complaint about the provider: handed over with its text, the provider reports measures.
    code, accepted = intake.post(
        "/api/v1/complaints",
        {
            "channel": "phone",
            "description": DESCRIPTION,
            "complainant": {"name": NAME, "phone": PHONE, "bsn": BSN},
            "provider": PROVIDER,
            "handover_note": HANDOVER,
        },
    )
    assert code == 202, accepted
    second = str(accepted["id"])
    if _case(routing, second)["state"] != "referred":
        assert routing.post(f"/api/v1/cases/{second}/refer", {"provider": PROVIDER})[0] == 200
    body = eventually(lambda: Provider.received[-1] if Provider.received else None, timeout=45)
    handover = json.loads(body)
    assert (handover["case_id"], handover["description"], handover["handover_note"]) == (
        second,
        DESCRIPTION,
        HANDOVER,
    )
    report = {"status": "resolved", "outcome": "upheld", "resolution": "informal", "measures": MEASURES}
    assert _provider_status(routing, second, report) == 200
    received_on = str(_case(routing, second, "resolved")["received_at"])[:10]
    year, month = int(received_on[:4]), int(received_on[5:7])
    period = f"{year}-H{1 if month <= 6 else 2}"

    def measures_listed() -> Any:
        code, body = reporting.get(f"/api/v1/reports/providers/{urllib.parse.quote(PROVIDER)}/{period}")
        return body if code == 200 and body["total"] == 1 and body["measures"] else None

    assert eventually(measures_listed, timeout=45)["measures"] == [MEASURES]

    # 3. An e-mail with a name in the sender and in the text.
    message = EmailMessage()
    message["From"] = f"{NAME} <{EMAIL}>"
    message["To"] = "klachten@gemeente.example"
    message["Subject"] = f"Klacht van {NAME}"
    message["Message-ID"] = f"<pii-{RUN}@voorbeeld.example>"
    message.set_content(MAIL_BODY)
    with smtplib.SMTP("127.0.0.1", stack.smtp_port, timeout=30) as client:
        client.send_message(message)

    def mail_case() -> Any:
        ref = urllib.parse.quote(f"<pii-{RUN}@voorbeeld.example>")
        code, found = intake.get(f"/api/v1/complaints?source_ref={ref}")
        items = found.get("items", []) if code == 200 else []
        return items and routing.get(f"/api/v1/cases/{items[0]['id']}")[0] == 200

    eventually(mail_case, timeout=45)

    records = asyncio.run(every_record(f"127.0.0.1:{stack.kafka_port}"))
    assert len(records) >= 10
    hits = []
    for topic, _key, value, headers in records:
        text = value.decode("utf-8", errors="replace") + json.dumps(
            [(k, v.decode("utf-8", errors="replace")) for k, v in headers], ensure_ascii=False
        )
        readable = json.dumps(json.loads(value), ensure_ascii=False) if value.startswith(b"{") else text
        for planted in PLANTED:
            if planted.lower() in text.lower() or planted.lower() in readable.lower():
                hits.append((topic, planted))
    assert hits == [], f"personal data or free text in events: {sorted(set(hits))}"
