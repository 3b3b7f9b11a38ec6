"""The public HTTP API exactly as the design states it, driven as an outside client would:
over the running stack, with the development token, one complaint from the phone to the annual
report and the resident's feedback. Shapes, status codes and headers are checked, not internals.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from datetime import date
from typing import Any

import pytest
from e2e import eventually
from stack import Stack

pytestmark = pytest.mark.e2e


class Client:
    """JSON over HTTP with the response headers, as an acceptance test sees the system."""

    def __init__(self, base: str, token: str | None) -> None:
        self.base = base
        self.token = token

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        token: str | bool | None = True,
        headers: dict[str, str] | None = None,
        raw: bytes | None = None,
    ) -> tuple[int, Any, dict[str, str]]:
        url = path if path.startswith("http") else self.base + path
        data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
        request = urllib.request.Request(url, data=data, method=method)
        request.add_header("Content-Type", "application/json")
        request.add_header("Accept", "application/json")
        bearer = self.token if token is True else (token or None)
        if bearer:
            request.add_header("Authorization", f"Bearer {bearer}")
        for key, value in (headers or {}).items():
            request.add_header(key, value)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                content = response.read()
                return response.status, _decode(content), dict(response.headers)
        except urllib.error.HTTPError as error:
            return error.code, _decode(error.read()), dict(error.headers)


def _decode(content: bytes) -> Any:
    try:
        return json.loads(content) if content else {}
    except ValueError:
        return content.decode(errors="replace")


@pytest.fixture(scope="module")
def clients(stack: Stack) -> dict[str, Client]:
    token_file = stack.data_dir / "dev-token"
    token = token_file.read_text().strip() if token_file.exists() else None
    return {name: Client(proc.url, token) for name, proc in stack.services.items()}


def _is_problem(status: int, body: Any, headers: dict[str, str], expected: int) -> None:
    assert status == expected, (status, body)
    assert headers.get("Content-Type", headers.get("content-type", "")).startswith("application/problem+json")
    assert {"type", "title", "status", "detail"} <= set(body), body
    assert body["status"] == expected


def test_one_complaint_through_the_public_api(clients: dict[str, Client]) -> None:
    intake, routing = clients["intake"], clients["routing"]
    deadlines, reporting = clients["deadlines"], clients["reporting"]
    today = date.today().isoformat()
    status, accepted, headers = intake.call(
        "POST",
        "/api/v1/complaints",
        {
            "channel": "phone",
            "description": "Mijn consulent belt niet terug en mijn aanvraag ligt al acht weken stil.",
            "received_at": today,
            "complainant": {"name": "Test Inwoner", "email": "inwoner.c@example.nl", "phone": "0612345678"},
            "municipality": "Testdorp",
            "desired_outcome": "Dat er binnen een week een besluit komt.",
        },
        headers={"Idempotency-Key": "design-contract-1"},
    )
    assert status == 202, accepted
    assert {"id", "reference", "status_url"} <= set(accepted)
    assert "API-Version" in headers or "api-version" in headers
    case_id, status_url = str(accepted["id"]), str(accepted["status_url"])
    assert status_url.startswith("http") and "/status/" in status_url

    # The resident's own link: JSON with Accept, no token needed; an unknown code is 404.
    code, page, _ = intake.call("GET", status_url, token=False)
    assert code == 200, page
    assert {"reference", "status", "status_text", "received_at", "decision_due", "updates", "outcome",
            "feedback_requested"} <= set(page)
    assert page["reference"] == accepted["reference"]
    assert intake.call("GET", "/status/" + "x" * 43, token=False)[0] == 404

    # The case in routing, as the design's resource shape.
    def case() -> Any:
        code, body, _ = routing.call("GET", f"/api/v1/cases/{case_id}")
        return body if code == 200 else None

    opened = eventually(case, timeout=60)
    assert {
        "id", "complaint_id", "reference", "state", "kind", "category", "urgent", "channel", "municipality",
        "unit", "provider", "handler", "resolution", "outcome", "received_at", "resolved_at", "deadlines",
        "history", "flags",
    } <= set(opened)
    assert opened["id"] == opened["complaint_id"] == case_id

    # Terms from deadlines, each explained; a date-only receipt runs from that day.
    def terms() -> Any:
        code, body, _ = deadlines.call("GET", f"/api/v1/deadlines?case_id={case_id}")
        kinds = {t["kind"] for t in body.get("items", [])} if code == 200 else set()
        return body if "decision" in kinds else None

    listed = eventually(terms, timeout=60)
    decision = next(t for t in listed["items"] if t["kind"] == "decision")
    assert decision["start"] == today and decision["state"] == "running" and decision["explanation"]

    # Awb actions: the present moment of a date-only receipt is never "before receipt".
    for action, body in (
        ("assign", {"handler_name": "B. Behandelaar"}),
        ("acknowledge", {}),
        ("escalate", {}),  # the complainant asks for formal handling (Awb 9:10 ff.)
        ("hear", {}),
        ("extend", {"weeks": 2, "reason": "Wij wachten op informatie van de afdeling Inkomen."}),
    ):
        code, answer, _ = routing.call("POST", f"/api/v1/cases/{case_id}/{action}", body)
        assert code == 200, (action, answer)
    flags = {f["kind"] for f in case()["flags"]}
    assert "hearing_report_missing" in flags  # Awb 9:10 lid 3: heard, report still to come
    # Awb 9:11 lid 2: a second postponement only with the complainant's written consent.
    code, problem, headers = routing.call(
        "POST", f"/api/v1/cases/{case_id}/extend", {"weeks": 1, "reason": "Nog meer tijd nodig."}
    )
    _is_problem(code, problem, headers, 409)
    code, resolved, _ = routing.call(
        "POST", f"/api/v1/cases/{case_id}/resolve", {"outcome": "upheld", "resolution": "formal"}
    )
    assert code == 200, resolved

    # Feedback once, after closing; a poor answer flags a follow-up call.
    def closed_for_resident() -> Any:
        code, body, _ = intake.call("GET", status_url, token=False)
        return body if code == 200 and body.get("feedback_requested") else None

    eventually(closed_for_resident, timeout=60)
    feedback = {"score": 4, "heard": False, "comment": "Ik werd pas na weken gebeld."}
    code, answer, _ = intake.call("POST", status_url + "/feedback", feedback, token=False)
    assert code in (200, 201), answer
    assert intake.call("POST", status_url + "/feedback", feedback, token=False)[0] == 409
    eventually(lambda: "follow_up_call" in {f["kind"] for f in (case() or {}).get("flags", [])}, timeout=60)

    # A measure learned from it, and the annual report with satisfaction and measures.
    code, measure, _ = reporting.call(
        "POST",
        "/api/v1/measures",
        {"title": "Terugbelafspraken binnen twee werkdagen", "complaint_ids": [case_id],
         "owner": "Teamleider Inkomen", "due": today, "status": "planned"},
    )
    assert code == 201 and "id" in measure, measure
    code, patched, _ = reporting.call("PATCH", f"/api/v1/measures/{measure['id']}", {"status": "in_progress"})
    assert code == 200 and patched["status"] == "in_progress", patched
    code, measures, _ = reporting.call("GET", f"/api/v1/measures?year={today[:4]}")
    assert code == 200 and any(m["id"] == measure["id"] for m in measures["items"])

    def annual() -> Any:
        code, body, _ = reporting.call("GET", f"/api/v1/reports/annual/{today[:4]}?municipality=Testdorp")
        return body if code == 200 and body.get("satisfaction", {}).get("responses") else None

    report = eventually(annual, timeout=60)
    assert {
        "year", "total", "by_channel", "by_kind", "by_category", "by_unit", "by_municipality", "by_outcome",
        "by_resolution", "by_handler", "within_term", "ombudsman", "acknowledged_within_5_working_days",
        "satisfaction", "measures",
    } <= set(report)
    assert report["satisfaction"]["responses"] >= 1
    assert {"planned", "in_progress", "done"} <= set(report["measures"])
    assert report["measures"]["in_progress"] >= 1


def test_errors_limits_and_public_routes(clients: dict[str, Client]) -> None:
    intake, deadlines, reporting = clients["intake"], clients["deadlines"], clients["reporting"]
    # Input that cannot be stored as text is a 422, never a 500.
    raw = b'{"channel": "web_form", "description": "Kapot \\ud800 teken"}'
    _is_problem(*intake.call("POST", "/api/v1/complaints", raw=raw), 422)
    # More than 1 MB of JSON: 413 before it is read whole.
    big = json.dumps({"channel": "web_form", "description": "x" * (1024 * 1024 + 10)}).encode()
    code, _body, _ = intake.call("POST", "/api/v1/complaints", raw=big)
    assert code == 413
    # Field errors name the field.
    wrong = {"channel": "postduif", "description": "x"}
    code, problem, headers = intake.call("POST", "/api/v1/complaints", wrong)
    _is_problem(code, problem, headers, 422)
    assert any(e.get("field", "").endswith("channel") for e in problem.get("errors", []))
    # The public surface needs no token.
    assert deadlines.call("GET", f"/api/v1/calendar/{date.today().year}", token=False)[0] == 200
    assert reporting.call("GET", f"/api/v1/open-data/{date.today().year}.csv", token=False)[0] == 200
    for client in clients.values():
        assert client.call("GET", "/healthz", token=False)[0] == 200
        assert client.call("GET", "/metrics", token=False)[0] == 200



def test_staff_routes_need_a_token(clients: dict[str, Client]) -> None:
    routing = clients["routing"]
    code, _body, headers = routing.call("GET", "/api/v1/cases", token=False)
    assert code == 401
    assert (headers.get("WWW-Authenticate") or headers.get("www-authenticate", "")).startswith("Bearer")
    assert routing.call("GET", "/api/v1/cases", token="not-a-token")[0] == 401
    assert routing.call("GET", "/api/v1/cases")[0] == 200


# DESIGN.md "Readiness and metrics": the families every service serves at /metrics (Prometheus
# names of the OpenTelemetry instruments). Timer lag is the deadlines service's own.
METRIC_FAMILIES = (
    "klachtstroom_outbox_pending",
    "klachtstroom_outbox_oldest_age",
    "klachtstroom_consumer_lag",
    "klachtstroom_dlq_messages",
    "klachtstroom_consumer_events",
    "http_server_request_duration",
    "klachtstroom_outbound_deliveries",
)


def test_every_service_serves_the_metrics_of_the_design(clients: dict[str, Client]) -> None:
    intake = clients["intake"]
    body = {"channel": "phone", "description": "Meting."}
    code, accepted, _ = intake.call("POST", "/api/v1/complaints", body)
    assert code == 202
    eventually(lambda: clients["routing"].call("GET", f"/api/v1/cases/{accepted['id']}")[0] == 200)

    for client in clients.values():  # one request each: the request durations have a sample
        assert client.call("GET", "/openapi.json", token=False)[0] == 200

    def families(name: str) -> set[str]:
        code, text, _ = clients[name].call("GET", "/metrics", token=False)
        assert code == 200
        lines = [line for line in str(text).splitlines() if not line.startswith("#")]
        return {line.split("{")[0].split(" ")[0] for line in lines}

    missing = {
        name: [f for f in METRIC_FAMILIES if not any(s.startswith(f) for s in served)]
        for name, served in ((name, families(name)) for name in clients)
    }
    assert missing == {name: [] for name in clients}, missing
