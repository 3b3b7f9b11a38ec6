"""Reporting end to end, over real Kafka with all four services: complaints posted to intake and
worked through routing's API come out of the annual report exactly as fed; an urgent complaint
reaches the college once (a real SMTP server and a signed webhook); `klachtstroom-reporting
rebuild` re-reads the topics and gives byte-identical reports.

The module runs its own Kafka node, so the topics hold only what this module writes and every
number in the report can be asserted exactly (and no other stack shares its consumer groups).
"""

from __future__ import annotations

import json
import re
import subprocess
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest
from conftest import _database_env
from e2e import Api, apis_for, make_stack, started_stack
from e2e import eventually as e2e_eventually
from kafka_node import KafkaNode
from smtp_sink import SmtpSink
from stack import Stack, venv_bin
from standardwebhooks.webhooks import Webhook

pytestmark = pytest.mark.e2e

COLLEGE = "college@voorbeeldstad.example"
SECRET = "e2e-webhook-geheim"
URGENT_TEXT = "Mevrouw Van Dijk, Lindelaan 4, heeft sinds vrijdag geen verwarming en geen eten meer in huis."


def eventually(check: Callable[[], Any], timeout: float = 90.0, interval: float = 0.3) -> Any:
    return e2e_eventually(check, timeout=timeout, interval=interval)


class CollegeWebhook(BaseHTTPRequestHandler):
    received: ClassVar[list[tuple[dict[str, str], bytes]]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        CollegeWebhook.received.append(({k.lower(): v for k, v in self.headers.items()}, body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def sink() -> Iterator[SmtpSink]:
    with SmtpSink() as running:
        yield running


@pytest.fixture(scope="module")
def webhook() -> Iterator[str]:
    CollegeWebhook.received = []
    server = HTTPServer(("127.0.0.1", 0), CollegeWebhook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/signalen"
    server.shutdown()


@pytest.fixture(scope="module")
def reporting_stack(
    own_kafka: KafkaNode, tmp_path_factory: pytest.TempPathFactory, sink: SmtpSink, webhook: str
) -> Iterator[Stack]:
    running: Stack = make_stack(
        tmp_path_factory.mktemp("reporting-e2e"),
        own_kafka,
        KLACHTSTROOM_REPORTING_SMTP_HOST="127.0.0.1",
        KLACHTSTROOM_REPORTING_SMTP_PORT=str(sink.port),
        KLACHTSTROOM_REPORTING_COLLEGE_EMAIL=COLLEGE,
        KLACHTSTROOM_REPORTING_COLLEGE_WEBHOOK=webhook,
        KLACHTSTROOM_REPORTING_WEBHOOK_SECRET=SECRET,
        KLACHTSTROOM_REPORTING_ORGANISATION="Gemeente Voorbeeldstad",
        **_database_env(tmp_path_factory),
    )
    with started_stack(running) as started:
        yield started


@pytest.fixture(scope="module")
def apis(reporting_stack: Stack) -> dict[str, Api]:
    return apis_for(reporting_stack)


def submit(
    apis: dict[str, Api], received_at: str, channel: str, category: str, **fields: Any
) -> dict[str, Any]:
    body = {
        "channel": channel,
        "description": "De medewerker heeft mij niet goed geholpen.",
        "received_at": received_at,
        "kind": "complaint",
        "category": category,
        "urgent": False,
        "complainant": {"name": "K. Klager", "email": "k.klager@example.org"},
        **fields,
    }
    status, accepted = apis["intake"].post("/api/v1/complaints", body)
    assert status == 202, accepted
    case_id = str(accepted["id"])
    eventually(lambda: apis["routing"].get(f"/api/v1/cases/{case_id}")[0] == 200)
    return accepted


def work(apis: dict[str, Api], case_id: str, *steps: tuple[str, dict[str, Any]]) -> None:
    for action, body in steps:
        code, case = apis["routing"].post(f"/api/v1/cases/{case_id}/{action}", {"actor": "e2e", **body})
        assert code == 200, (action, case)


@pytest.fixture(scope="module")
def fed(apis: dict[str, Api]) -> dict[str, dict[str, Any]]:
    """Six complaints received in 2025, worked through routing as the comments say."""
    V, B = "Voorbeeldstad", "Buurdorp"
    c = {
        # c1: phone, conduct, Inkomen: acknowledged on day 2, settled informally.
        "c1": submit(apis, "2025-02-03", "phone", "conduct", municipality=V, unit="Inkomen"),
        # c2: web form, information, Werk: formal, upheld.
        "c2": submit(apis, "2025-04-07", "web_form", "information", municipality=V, unit="Werk"),
        # c3: e-mail, handling time, Werk, Buurdorp: still open.
        "c3": submit(apis, "2025-09-01", "email", "handling_time", municipality=B, unit="Werk"),
        # c4: letter, policy, Inkomen, Buurdorp: declined (Awb 9:8) on day 3.
        "c4": submit(apis, "2025-06-02", "letter", "policy", municipality=B, unit="Inkomen"),
        # c5: phone, conduct, Inkomen: urgent, open, a signal to the college.
        "c5": submit(
            apis,
            "2025-11-03",
            "phone",
            "conduct",
            municipality=V,
            unit="Inkomen",
            urgent=True,
            description=URGENT_TEXT,
        ),
        # c6: phone, conduct, about provider Zorg Plus (unit Wmo): mediated with it, partly upheld.
        "c6": submit(
            apis, "2025-03-03", "phone", "conduct", municipality=V, unit="Wmo", provider="Zorg Plus"
        ),
    }
    ids = {name: str(accepted["id"]) for name, accepted in c.items()}
    work(
        apis,
        ids["c1"],
        ("assign", {"handler_name": "A. Bakker", "at": "2025-02-03"}),
        ("acknowledge", {"at": "2025-02-05"}),
        ("resolve", {"outcome": "mutual_agreement", "resolution": "informal", "resolved_at": "2025-02-20"}),
    )
    work(
        apis,
        ids["c2"],
        ("assign", {"handler_name": "A. Bakker", "at": "2025-04-07"}),
        ("acknowledge", {"at": "2025-04-08"}),
        ("escalate", {"handler_name": "C. Jansen", "at": "2025-04-14"}),
        (
            "resolve",
            {
                "outcome": "upheld",
                "resolution": "formal",
                "resolved_at": "2025-04-30",
                "hearing_waived": True,
            },
        ),
    )
    work(apis, ids["c3"], ("assign", {"handler_name": "D. Visser", "at": "2025-09-01"}))
    work(apis, ids["c4"], ("decline", {"reason": "objection_possible", "at": "2025-06-05"}))
    work(
        apis,
        ids["c6"],
        ("refer", {"provider": "Zorg Plus", "at": "2025-03-03"}),
        ("acknowledge", {"at": "2025-03-04"}),
        ("mediate", {"at": "2025-03-05"}),
        ("resolve", {"outcome": "partly_upheld", "resolution": "informal", "resolved_at": "2025-03-20"}),
    )
    return c


EXPECTED_2025 = {
    "year": 2025,
    "total": 6,
    "by_channel": {"web_form": 1, "email": 1, "phone": 3, "letter": 1, "in_person": 0},
    "by_kind": {"complaint": 6, "objection": 0, "question": 0},
    "by_category": {
        "conduct": 3,
        "information": 1,
        "handling_time": 1,
        "policy": 1,
        "referral": 0,
        "proactive": 0,
        "other": 0,
    },
    "by_unit": {
        "Inkomen": {
            "conduct": 2,
            "information": 0,
            "handling_time": 0,
            "policy": 1,
            "referral": 0,
            "proactive": 0,
            "other": 0,
        },
        "Werk": {
            "conduct": 0,
            "information": 1,
            "handling_time": 1,
            "policy": 0,
            "referral": 0,
            "proactive": 0,
            "other": 0,
        },
        "Wmo": {
            "conduct": 1,
            "information": 0,
            "handling_time": 0,
            "policy": 0,
            "referral": 0,
            "proactive": 0,
            "other": 0,
        },
    },
    "by_municipality": {
        "Buurdorp": {"2022": 0, "2023": 0, "2024": 0, "2025": 2},
        "Voorbeeldstad": {"2022": 0, "2023": 0, "2024": 0, "2025": 4},
    },
    "by_outcome": {
        "upheld": 1,
        "partly_upheld": 1,
        "not_upheld": 0,
        "mutual_agreement": 1,
        "withdrawn": 0,
        "inadmissible": 1,
        "no_judgement": 0,
    },
    "by_resolution": {"informal": 2, "formal": 1},
    "by_handler": {"municipality": 5, "provider": 1},
    "within_term": {"within": 4, "late": 0, "open": 2},
    "ombudsman": 0,
    # c1, c2, c4 (declined on day 3) and c6 in time; c3 and c5 never had contact.
    "acknowledged_within_5_working_days": {"within": 4, "late": 2},
}


def annual(apis: dict[str, Api]) -> dict[str, Any]:
    code, report = apis["reporting"].get("/api/v1/reports/annual/2025")
    assert code == 200, report
    return report


def test_the_annual_report_counts_exactly_what_was_fed(apis: dict[str, Api], fed: dict[str, Any]) -> None:
    last: dict[str, Any] = {}

    def matches() -> bool:
        last.update(annual(apis))
        return {k: last.get(k) for k in EXPECTED_2025} == EXPECTED_2025

    try:
        eventually(matches, timeout=120)
    except AssertionError:
        assert {k: last.get(k) for k in EXPECTED_2025} == EXPECTED_2025  # show the difference
    code, mediated = apis["reporting"].get("/api/v1/reports/mediated/2025")
    assert code == 200 and (mediated["total"], mediated["by_provider"]) == (1, {"Zorg Plus": 1})
    code, provider = apis["reporting"].get("/api/v1/reports/providers/Zorg%20Plus/2025-H1")
    assert code == 200 and provider["total"] == 1 and provider["by_outcome"]["partly_upheld"] == 1


def test_the_urgent_complaint_reaches_the_college_once(
    apis: dict[str, Api], fed: dict[str, Any], sink: SmtpSink
) -> None:
    urgent = fed["c5"]
    subject = f"Urgent signaal: {urgent['reference']}"
    mails = sink.wait_for(lambda ms: any(m["Subject"] == subject for m in ms), timeout=60)
    hooks = eventually(lambda: CollegeWebhook.received, timeout=30)
    time.sleep(3)  # anything sent twice would have arrived by now
    mails = [m for m in sink.messages if m["Subject"] == subject]
    assert len(mails) == 1 and len(sink.messages) == 1
    text = mails[0].get_content()
    assert mails[0]["To"] == COLLEGE and urgent["reference"] in text
    for private in ("Van Dijk", "Lindelaan", "verwarming", "K. Klager", "k.klager"):
        assert private not in mails[0].as_string()

    assert len(CollegeWebhook.received) == 1
    headers, body = hooks[0]
    Webhook(SECRET.encode()).verify(body, headers)  # Standard Webhooks, by the reference package
    assert json.loads(body)["signal"]["complaint_id"] == urgent["id"]

    code, signals = apis["reporting"].get("/api/v1/signals")
    assert code == 200 and signals["next"] is None
    urgent_items = [s for s in signals["items"] if s["type"] == "urgent"]
    assert [s["complaint_id"] for s in urgent_items] == [urgent["id"]]
    assert {d["state"] for d in urgent_items[0]["deliveries"]} == {"sent"}
    assert "Lindelaan" not in json.dumps(signals)


REPORTS = (
    "/api/v1/reports/annual/2025",
    "/api/v1/reports/annual/2025?format=csv",
    "/api/v1/reports/annual/2025?format=html",
    "/api/v1/reports/annual/2025?format=pdf",
    "/api/v1/open-data/2025.csv",
)


def snapshot(base: str, token: str) -> dict[str, bytes]:
    out = {}
    for path in REPORTS:
        request = urllib.request.Request(
            base + path.replace(" ", "%20"), headers={"Authorization": f"Bearer {token}"}
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            out[path] = response.read()
    return out


def test_rebuild_from_the_topics_gives_byte_identical_reports(
    reporting_stack: Stack, apis: dict[str, Api], fed: dict[str, Any]
) -> None:
    base = reporting_stack.services["reporting"].url
    token = reporting_stack.dev_token()
    eventually(lambda: {k: annual(apis).get(k) for k in EXPECTED_2025} == EXPECTED_2025, timeout=120)
    # quiet first
    before = eventually(lambda: (s := snapshot(base, token)) == snapshot(base, token) and s, timeout=60)
    result = subprocess.run(
        [venv_bin("klachtstroom-reporting"), "rebuild"],
        env=reporting_stack.env_for("reporting"),
        cwd=Path(__file__).resolve().parent.parent,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Topics lezen" in result.stderr and "100%" in result.stderr
    read = re.search(r"Projectie opnieuw opgebouwd uit (\d+) berichten", result.stderr)
    assert read is not None and int(read.group(1)) >= 6 * 4  # received, opened, terms, transitions
    assert snapshot(base, token) == before
    dashboard = urllib.request.Request(base + "/?year=2025", headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(dashboard, timeout=30) as response:
        page = response.read().decode()
    assert "Klachtendashboard" in page and fed["c5"]["reference"] in page
