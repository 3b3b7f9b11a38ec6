"""The ZGW adapter against a local Zaken API that validates every request and response with the
official OpenAPI specification (tests/zgw/openapi.yaml, VNG-Realisatie/zaken-api 1.5.1, EUPL)."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import socket
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest

pytest.importorskip("jsonschema", reason="the ZGW contract tests need jsonschema (routing's dev group)")
pytest.importorskip("yaml", reason="the ZGW contract tests need PyYAML (routing's dev group)")

import uvicorn

from klachtstroom.routing.outbound.zgw import ZgwSettings, zgw_token
from klachtstroom.routing.outbound.zgw_sender import ZgwSender

if TYPE_CHECKING:
    from conftest import Harness

ZGW_DIR = Path(__file__).with_name("zgw")
sys.path.insert(0, str(ZGW_DIR))
from fake_zaken_api import PREFIX, SPEC, FakeZakenApi  # type: ignore[import-not-found]  # noqa: E402

SPEC_SHA256 = "2944c846ce5c8458c4fcc6655e2788705b664cab8412e3b2de0dbe77e2492bd0"
SECRET = "zgw-geheim-voor-tests"
CATALOGI = "https://catalogi.example/catalogi/api/v1"
STATUSTYPEN = {s: f"{CATALOGI}/statustypen/{s}" for s in ("received", "assigned", "formal", "resolved")}
RESULTAATTYPEN = {o: f"{CATALOGI}/resultaattypen/{o}" for o in ("upheld", "not_upheld", "partly_upheld")}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
async def zaken_api() -> AsyncIterator[FakeZakenApi]:
    port = free_port()
    fake = FakeZakenApi(
        secret=SECRET, eindstatustype=STATUSTYPEN["resolved"], base_url=f"http://127.0.0.1:{port}"
    )
    server = uvicorn.Server(
        uvicorn.Config(fake.app(), host="127.0.0.1", port=port, log_config=None, access_log=False)
    )
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.02)
    try:
        yield fake
    finally:
        server.should_exit = True
        await task


def zgw_settings(fake: FakeZakenApi, **extra: Any) -> ZgwSettings:
    values: dict[str, Any] = {
        "zaken_url": f"{fake.base_url}{PREFIX}",
        "zaaktype": f"{CATALOGI}/zaaktypen/klacht",
        "catalogus": f"{CATALOGI}/catalogussen/gemeente",
        "bronorganisatie": "002220647",
        "statustypen": STATUSTYPEN,
        "resultaattypen": RESULTAATTYPEN,
        "client_id": "klachtstroom-test",
        "secret": SECRET,
        "notifications_token": "Token notificaties",
    }
    return ZgwSettings(**(values | extra))


def use(routing: Harness, settings: ZgwSettings) -> ZgwSender:
    """Point the running service's ZGW hooks at these settings; return a sender for them."""
    queue_settings = routing.app.state.zgw_settings
    for name, value in settings.model_dump().items():
        setattr(queue_settings, name, value)
    return ZgwSender(routing.work, queue_settings, routing.app.state.outbound, httpx.AsyncClient(timeout=5))


async def drain(sender: ZgwSender) -> None:
    for _ in range(50):
        if not await sender.send_due():
            return


def test_the_stored_specification_is_the_official_file_unmodified() -> None:
    assert hashlib.sha256((ZGW_DIR / "openapi.yaml").read_bytes()).hexdigest() == SPEC_SHA256
    assert SPEC.document["info"]["title"] == "Zaken API" and SPEC.document["info"]["version"] == "1.5.1"
    assert "EUPL" in (ZGW_DIR / "LICENCE.md").read_text(encoding="utf-8")


def test_the_checker_refuses_what_the_specification_refuses() -> None:
    headers = {"Content-Type": "application/json", "Accept-Crs": "EPSG:4326", "Content-Crs": "EPSG:4326",
               "Authorization": "Bearer x"}  # fmt: skip
    good = {"bronorganisatie": "002220647", "verantwoordelijkeOrganisatie": "002220647",
            "zaaktype": f"{CATALOGI}/zaaktypen/klacht", "startdatum": "2026-03-03"}  # fmt: skip
    assert SPEC.check_request("POST", "/zaken", headers, {}, good) == []
    assert SPEC.check_request(
        "POST", "/zaken", headers, {}, {k: v for k, v in good.items() if k != "zaaktype"}
    )
    assert SPEC.check_request("POST", "/zaken", headers, {}, good | {"startdatum": "3 maart"})
    assert SPEC.check_request("POST", "/zaken", headers, {}, good | {"uuid": "not-yours-to-set"})
    # Closed objects: a misspelled optional field is refused, not silently dropped.
    assert SPEC.check_request("POST", "/zaken", headers, {}, good | {"omschrijvingg": "Klacht"})
    assert SPEC.check_request("POST", "/zaken", headers, {}, good | {"toelichtingg": "x"})
    assert SPEC.check_request("POST", "/zaken", {"Content-Type": "application/json"}, {}, good)


def test_the_token_is_a_hs256_jwt_with_client_id_and_iat() -> None:
    token = zgw_token("klachtstroom", "geheim", issued_at=1_700_000_000)
    head, claims, _signature = token.split(".")
    decoded = json.loads(base64.urlsafe_b64decode(claims + "=" * (-len(claims) % 4)))
    assert json.loads(base64.urlsafe_b64decode(head + "==="))["alg"] == "HS256"
    assert decoded["client_id"] == "klachtstroom" and decoded["iat"] == 1_700_000_000


async def test_a_case_is_mirrored_as_a_zaak_with_statuses_and_result(
    routing: Harness, zaken_api: FakeZakenApi
) -> None:
    sender = use(routing, zgw_settings(zaken_api))
    case_id = await routing.receive()
    await drain(sender)
    [zaak] = zaken_api.zaken.values()
    case = await routing.case(case_id)
    assert case["zaak_url"] == zaak["url"] and zaak["identificatie"] == case["reference"]
    assert zaak["startdatum"] == "2026-03-03" and zaak["status"] is not None

    await routing.act(case_id, "assign", handler_name="A. Bakker")
    await routing.act(case_id, "escalate")
    await routing.act(case_id, "hear", waived=True)
    await routing.act(case_id, "resolve", outcome="upheld", resolution="formal", resolved_at="2026-04-01")
    await drain(sender)
    types = [s["statustype"].rsplit("/", 1)[-1] for s in zaken_api.statussen]
    assert types == ["received", "assigned", "formal", "resolved"]
    assert zaak["resultaat"] and zaken_api.resultaten[0]["resultaattype"].endswith("/upheld")
    assert zaak["einddatum"] == "2026-04-01"
    assert zaken_api.violations == []


async def test_an_outage_is_retried_in_order_without_a_second_zaak(
    routing: Harness, zaken_api: FakeZakenApi
) -> None:
    sender = use(routing, zgw_settings(zaken_api, backoff_seconds=0.01))
    zaken_api.fail_next = 3
    case_id = await routing.receive()
    await routing.act(case_id, "assign", handler_name="A. Bakker")
    for _ in range(10):
        await sender.send_due()
        await asyncio.sleep(0.03)
    assert len(zaken_api.zaken) == 1
    assert [s["statustype"].rsplit("/", 1)[-1] for s in zaken_api.statussen] == ["received", "assigned"]
    assert zaken_api.violations == []


async def test_a_refused_call_fails_at_once_and_is_shown_in_the_case(
    routing: Harness, zaken_api: FakeZakenApi
) -> None:
    sender = use(routing, zgw_settings(zaken_api, bronorganisatie="123456789"))  # fails the 11-proef
    case_id = await routing.receive()
    await drain(sender)
    assert zaken_api.zaken == {}
    case = await routing.case(case_id)
    assert case["history"][-1]["action"] == "zgw" and case["history"][-1]["data"]["failed"] is True


async def test_notifications_about_our_zaak_are_recorded(routing: Harness, zaken_api: FakeZakenApi) -> None:
    sender = use(routing, zgw_settings(zaken_api))
    case_id = await routing.receive()
    await drain(sender)
    zaak_url = (await routing.case(case_id))["zaak_url"]
    notification = {
        "kanaal": "zaken",
        "hoofdObject": zaak_url,
        "resource": "status",
        "resourceUrl": f"{zaak_url}/status",
        "actie": "update",
        "aanmaakdatum": "2026-03-04T10:00:00Z",
        "kenmerken": {"bronorganisatie": "002220647"},
    }
    url = "/api/v1/zgw/notifications"
    assert (await routing.anonymous.post(url, json=notification)).status_code == 401
    wrong = {"Authorization": "Token verkeerd"}
    assert (await routing.anonymous.post(url, json=notification, headers=wrong)).status_code == 401
    headers = {"Authorization": "Token notificaties"}
    assert (await routing.anonymous.post(url, json=notification, headers=headers)).status_code == 204
    entry = (await routing.case(case_id))["history"][-1]
    assert entry["action"] == "zgw-notification" and entry["data"]["actie"] == "update"
    other = notification | {"hoofdObject": "https://elders.example/zaken/1"}
    assert (await routing.anonymous.post(url, json=other, headers=headers)).status_code == 204


NOTIFICATION = {
    "kanaal": "zaken",
    "hoofdObject": "https://zaken.example/api/v1/zaken/onbekend",
    "resource": "status",
    "resourceUrl": "https://zaken.example/api/v1/statussen/1",
    "actie": "update",
    "aanmaakdatum": "2026-03-04T10:00:00Z",
}


# (configured token, how the sender authenticates, answer): the callback is never open.
CALLBACK_SENDERS: list[tuple[str, str | None, int]] = [
    ("Token notificaties", None, 401),
    ("Token notificaties", "Token verkeerd", 401),
    ("Token notificaties", "Token notificatieS", 401),
    ("Token notificaties", "Token notificaties ", 401),
    ("Token notificaties", "Bearer nep.token.waarde", 401),
    ("Token notificaties", "Token notificaties", 204),
    ("", None, 401),  # none configured: refused, not open
    ("", "", 401),
    ("", "Token notificaties", 401),
    ("", "system", 204),  # a system bearer token from the issuer (checked by the access gate)
    ("Token notificaties", "system", 204),
    ("Token notificaties", "handler", 403),  # a known caller whose role may not
]


@pytest.mark.parametrize(("configured", "sent", "status"), CALLBACK_SENDERS)
async def test_the_notifications_callback_needs_the_configured_token_or_a_system_token(
    routing: Harness, configured: str, sent: str | None, status: int
) -> None:
    routing.app.state.zgw_settings.notifications_token = configured
    issuer = routing.service.access.development
    assert issuer is not None
    headers: dict[str, str] = {}
    if sent in ("system", "handler"):
        headers["Authorization"] = "Bearer " + issuer.mint([sent], subject="zaaksysteem")
    elif sent is not None:
        headers["Authorization"] = sent
    response = await routing.anonymous.post("/api/v1/zgw/notifications", json=NOTIFICATION, headers=headers)
    assert response.status_code == status, response.text
    if status == 401:
        assert response.headers["www-authenticate"].startswith("Bearer")
