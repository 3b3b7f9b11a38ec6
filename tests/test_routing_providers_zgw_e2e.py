"""Providers as first line and the ZGW adapter, end to end over real Kafka with all services.

A complaint about a care provider is referred by the routing rules, handed over to the
provider's webhook (HMAC-signed), answered by the provider through the status endpoint, and
mirrored meanwhile as a zaak in a local Zaken API that checks every request and response
against the official Zaken API specification (services/routing/tests/zgw/openapi.yaml).
"""

from __future__ import annotations

import asyncio
import json
import sys
import threading
import urllib.request
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest

pytest.importorskip("jsonschema")
pytest.importorskip("yaml")

import uvicorn
from e2e import Api, eventually, free_port, make_stack, started_stack
from kafka_node import KafkaNode
from stack import Stack
from standardwebhooks.webhooks import Webhook

ZGW_DIR = Path(__file__).resolve().parent.parent / "services" / "routing" / "tests" / "zgw"
sys.path.insert(0, str(ZGW_DIR))
from fake_zaken_api import PREFIX, FakeZakenApi  # type: ignore[import-not-found]  # noqa: E402

pytestmark = pytest.mark.e2e

PROVIDER_SECRET = "whsec_Z2VoZWltLXZhbi16b3JnLXBsdXMtMjAyNQ=="
ZGW_SECRET = "zgw-geheim-e2e"
CATALOGI = "https://catalogi.example/catalogi/api/v1"
STATUSTYPEN = {s: f"{CATALOGI}/statustypen/{s}" for s in ("received", "assigned", "referred", "resolved")}
RESULTAATTYPEN = {o: f"{CATALOGI}/resultaattypen/{o}" for o in ("upheld", "not_upheld", "partly_upheld")}


class Receiver(BaseHTTPRequestHandler):
    """The provider's webhook: records every hand-over it receives."""

    received: ClassVar[list[tuple[dict[str, str], bytes]]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        Receiver.received.append(({k: v for k, v in self.headers.items()}, body))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *_args: Any) -> None:
        return


@pytest.fixture(scope="module")
def webhook() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", free_port()), Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/klachten"
    finally:
        server.shutdown()


@pytest.fixture(scope="module")
def zaken_api() -> Iterator[FakeZakenApi]:
    port = free_port()
    fake = FakeZakenApi(
        secret=ZGW_SECRET, eindstatustype=STATUSTYPEN["resolved"], base_url=f"http://127.0.0.1:{port}"
    )
    server = uvicorn.Server(
        uvicorn.Config(fake.app(), host="127.0.0.1", port=port, log_config=None, access_log=False)
    )
    thread = threading.Thread(target=lambda: asyncio.run(server.serve()), daemon=True)
    thread.start()
    eventually(lambda: server.started, timeout=20)
    try:
        yield fake
    finally:
        server.should_exit = True
        thread.join(10)


@pytest.fixture(scope="module")
def provider_stack(
    own_kafka: KafkaNode, zaken_api: FakeZakenApi, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Stack]:
    running = make_stack(
        tmp_path_factory.mktemp("providers"),
        own_kafka,
        # The fake provider listens on 127.0.0.1, which only an allowed host may be.
        KLACHTSTROOM_OUTBOUND_ALLOWED_HOSTS="127.0.0.1",
        KLACHTSTROOM_ROUTING_DELIVERY_POLL_SECONDS="0.2",
        KLACHTSTROOM_ROUTING_ZGW_ZAKEN_URL=f"{zaken_api.base_url}{PREFIX}",
        KLACHTSTROOM_ROUTING_ZGW_ZAAKTYPE=f"{CATALOGI}/zaaktypen/klacht",
        KLACHTSTROOM_ROUTING_ZGW_CATALOGUS=f"{CATALOGI}/catalogussen/gemeente",
        KLACHTSTROOM_ROUTING_ZGW_BRONORGANISATIE="002220647",
        KLACHTSTROOM_ROUTING_ZGW_STATUSTYPEN=json.dumps(STATUSTYPEN),
        KLACHTSTROOM_ROUTING_ZGW_RESULTAATTYPEN=json.dumps(RESULTAATTYPEN),
        KLACHTSTROOM_ROUTING_ZGW_CLIENT_ID="klachtstroom-e2e",
        KLACHTSTROOM_ROUTING_ZGW_SECRET=ZGW_SECRET,
        KLACHTSTROOM_ROUTING_ZGW_POLL_SECONDS="0.2",
    )
    with started_stack(running) as started:
        yield started


def signed_post(url: str, body: dict[str, Any], secret: str, message_id: str | None = None) -> int:
    """A Standard Webhooks request as a provider's system sends it (signed by the reference package)."""
    raw = json.dumps(body).encode()
    message_id = message_id or f"msg_{uuid.uuid4().hex}"
    now = datetime.now(UTC)
    headers = {
        "Content-Type": "application/json",
        "webhook-id": message_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": Webhook(secret).sign(message_id, now, raw),
    }
    request = urllib.request.Request(url, data=raw, method="POST", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


def test_provider_first_line_with_a_zaak_in_the_case_system(
    provider_stack: Stack, webhook: str, zaken_api: FakeZakenApi
) -> None:
    intake = Api(provider_stack.services["intake"].url, provider_stack.dev_token())
    routing = Api(provider_stack.services["routing"].url, provider_stack.dev_token())
    provider = {
        "name": "Zorg Plus",
        "webhook_url": webhook,
        "secret": PROVIDER_SECRET,
        "contact": "klachtenfunctionaris",
    }
    assert routing.call("PUT", "/api/v1/providers", {"items": [provider]})[0] == 200
    rules = {
        "rules": [
            {"id": "standaard", "handler_name": "klachtcoördinator"},
            {"id": "zorg-plus", "provider": "Zorg Plus", "handler": "provider"},
        ]
    }
    assert routing.call("PUT", "/api/v1/routing-rules", rules)[0] == 200

    code, accepted = intake.post(
        "/api/v1/complaints",
        {
            "channel": "phone",
            "description": "De thuishulp van Zorg Plus komt al weken niet opdagen.",
            "provider": "Zorg Plus",
            "unit": "Wmo",
            "municipality": "Voorbeeldstad",
            "handover_note": "Mevrouw wil graag teruggebeld worden.",
            "complainant": {"name": "T. Bakker", "phone": "0612345678", "provider_may_contact": True},
        },
    )
    assert code == 202
    case_id = str(accepted["id"])

    def referred() -> Any:
        status, case = routing.get(f"/api/v1/cases/{case_id}")
        return case if status == 200 and case["state"] == "referred" else None

    case = eventually(referred, timeout=30)
    assert (case["handler"], case["provider"]) == ("provider", "Zorg Plus")

    # The warm hand-over reached the provider, signed with its secret.
    headers, body = eventually(lambda: Receiver.received[0] if Receiver.received else None, timeout=30)
    Webhook(PROVIDER_SECRET).verify(body, headers)  # raises unless signed as Standard Webhooks
    handover = json.loads(body)
    assert handover["reference"] == accepted["reference"]
    assert handover["handover_note"] == "Mevrouw wil graag teruggebeld worden."
    # The texts are intake's: routing asked for them when it sent the hand-over (claim check).
    assert handover["description"] == "De thuishulp van Zorg Plus komt al weken niet opdagen."
    # She agreed that the provider may contact her: routing asked intake for the details too.
    assert handover["complainant"] == {
        "name": "T. Bakker",
        "email": None,
        "phone": "0612345678",
        "address": None,
    }

    # The provider reports back; a wrong signature is refused and changes nothing.
    status_url = f"{routing.base}/api/v1/providers/Zorg Plus/cases/{case_id}/status".replace(" ", "%20")
    wrong = "whsec_dmVya2VlcmQtZ2VoZWlt"
    assert signed_post(status_url, {"case_id": case_id, "status": "registered"}, wrong) == 401
    assert signed_post(status_url, {"case_id": case_id, "status": "registered"}, PROVIDER_SECRET) == 200
    report = {
        "case_id": case_id,
        "status": "resolved",
        "outcome": "upheld",
        "resolution": "informal",
        "measures": "Vaste thuishulp ingepland; planning wordt wekelijks gecontroleerd.",
    }
    assert signed_post(status_url, report, PROVIDER_SECRET) == 200
    case = eventually(
        lambda: (c := routing.get(f"/api/v1/cases/{case_id}")[1]).get("state") == "resolved" and c
    )
    assert (case["outcome"], case["resolution"]) == ("upheld", "informal")

    # Meanwhile the case system got a zaak of the complaint zaaktype, with statuses and a result,
    # every request and answer valid against the official Zaken API specification.
    def zaak_closed() -> Any:
        # The result is set first, then the closing status (the Zaken API closes the zaak on it).
        zaken = list(zaken_api.zaken.values())
        statuses = [s["statustype"].rsplit("/", 1)[-1] for s in zaken_api.statussen]
        done = zaken and zaken[0].get("resultaat") and statuses and statuses[-1] == "resolved"
        return zaken[0] if done else None

    zaak = eventually(zaak_closed, timeout=45)
    assert zaak["identificatie"] == accepted["reference"]
    assert zaak["zaaktype"] == f"{CATALOGI}/zaaktypen/klacht"
    assert [s["statustype"].rsplit("/", 1)[-1] for s in zaken_api.statussen][-1] == "resolved"
    assert zaken_api.resultaten[0]["resultaattype"].endswith("/upheld")
    assert zaken_api.violations == []
    assert "T. Bakker" not in json.dumps(zaken_api.requests, default=str)
