"""The resident's side in intake: the own link, the page and its JSON, feedback, messages.

Routing's and deadlines' events are handed to intake's real handlers (as the consumer would,
in one transaction); e-mail goes to a real SMTP server (aiosmtpd) started by the test.
"""

from __future__ import annotations

import hashlib
import sys
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from klachtstroom.contracts import case_events as ce
from klachtstroom.contracts import deadline_events as de
from klachtstroom.contracts.vocabulary import (
    Category,
    Channel,
    DeadlineKind,
    DeadlineState,
    Handler,
    Kind,
    Outcome,
    Resolution,
)
from klachtstroom.intake.handlers import build_handlers
from klachtstroom.intake.resident.follow import Follower

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "tests"))
from intake_harness import Intake
from smtp_sink import SmtpSink

AT = datetime(2026, 3, 3, 10, 0, tzinfo=UTC)


def post(intake: Intake, **complainant: str) -> dict[str, Any]:
    body = {"channel": "web_form", "description": "Ik ben al weken niet teruggebeld.",
            "received_at": "2026-03-03", "complainant": complainant,
            "desired_outcome": "Dat iemand mij terugbelt en uitlegt wat er misging."}  # fmt: skip
    response = intake.client.post("/api/v1/complaints", json=body)
    assert response.status_code == 202
    result: dict[str, Any] = response.json()
    return result


def path_of(url: str) -> str:
    return url.split("://", 1)[1].split("/", 1)[1].join(["/", ""])


def deliver(intake: Intake, *events: Any) -> None:
    """Hand events to intake's consumer handlers, each in its own transaction."""
    handlers = build_handlers(Follower(intake.app.state.registrar.vault, show_names=False))

    async def run() -> None:
        for event in events:
            async with intake.service.db.transaction() as session:
                await handlers[type(event)](session, None, event)  # type: ignore[arg-type]

    intake.client.portal.call(run)  # type: ignore[union-attr]


def opened(case_id: str, reference: str, unit: str = "Inkomen") -> ce.CaseOpened:
    return ce.CaseOpened(
        case_id=case_id, state="received", at=AT, reference=reference, received_at=AT,
        channel=Channel.web_form, kind=Kind.complaint, category=Category.information, urgent=False,
        handler=Handler.municipality,
        handler_name="klachtcoördinator", unit=unit,
    )  # fmt: skip


def term(case_id: str, due: date, weeks: int = 0) -> de.DeadlineSet:
    return de.DeadlineSet(
        case_id=case_id, kind=DeadlineKind.decision, due=due, at=AT, start=date(2026, 3, 3), unmoved_due=due,
        state=DeadlineState.running, extended_weeks=weeks,
    )  # fmt: skip


def resolved(case_id: str, resolution: Resolution = Resolution.formal) -> ce.CaseResolved:
    return ce.CaseResolved(
        case_id=case_id, state="resolved", at=AT, outcome=Outcome.upheld, resolution=resolution
    )


@pytest.fixture
def sink() -> Iterator[SmtpSink]:
    with SmtpSink() as running:
        yield running


def test_status_url_is_an_absolute_random_link_stored_only_as_a_hash(intake: Intake) -> None:
    accepted = post(intake, email="inwoner@example.nl")
    url = accepted["status_url"]
    assert url.startswith("http://testserver/status/")
    code = url.rsplit("/", 1)[1]
    assert len(code) >= 43  # token_urlsafe(32): 256 random bits
    hashes = [r["code_hash"] for r in intake.rows("SELECT code_hash FROM status_links")]
    assert hashes == [hashlib.sha256(code.encode()).hexdigest()]
    raw = b"".join(path.read_bytes() for path in (intake.data_dir / "intake").glob("intake.db*"))
    assert hashes[0].encode() in raw and code.encode() not in raw  # WAL included
    page = intake.client.get(path_of(url))
    assert page.status_code == 200 and accepted["reference"] in page.text
    assert "We hebben uw klacht ontvangen." in page.text
    assert page.headers["referrer-policy"] == "no-referrer"
    assert "<script" not in page.text
    as_json = intake.client.get(path_of(url), headers={"Accept": "application/json"}).json()
    assert set(as_json) >= {"reference", "status", "status_text", "received_at", "decision_due", "updates",
                            "outcome", "feedback_requested"}  # fmt: skip
    assert as_json["status"] == "received" and as_json["feedback_requested"] is False
    assert intake.client.get("/status/" + "x" * 43).status_code == 404
    assert intake.client.get("/status/" + "x" * 43, headers={"Accept": "application/json"}).status_code == 404


def test_a_link_shows_only_its_own_complaint(intake: Intake) -> None:
    first = post(intake, email="een@example.nl")
    second = post(intake, email="twee@example.nl")
    page = intake.client.get(path_of(first["status_url"])).text
    assert first["reference"] in page and second["reference"] not in page
    assert "een@example.nl" not in page


def test_the_page_follows_the_case_handler_term_extension_suspension_and_outcome(intake: Intake) -> None:
    accepted = post(intake, email="inwoner@example.nl")
    case_id, url = accepted["id"], path_of(accepted["status_url"])
    deliver(intake, opened(case_id, accepted["reference"]), term(case_id, date(2026, 4, 14)))
    page = intake.client.get(url).text
    assert "een klachtbehandelaar van de afdeling Inkomen" in page.replace("Een", "een")
    assert "14 april 2026" in page

    deliver(intake, ce.CaseAssigned(case_id=case_id, state="assigned", at=AT, handler=Handler.municipality,
                                    handler_name="J. de Vries", unit="Schuldhulpverlening"))  # fmt: skip
    page = intake.client.get(url).text
    assert "afdeling Schuldhulpverlening" in page
    assert "J. de Vries" not in page  # a name only when the municipality allows it

    deliver(intake, ce.TermExtended(case_id=case_id, state="assigned", at=AT, weeks=4),
            term(case_id, date(2026, 5, 12), weeks=4))  # fmt: skip
    data = intake.client.get(url, headers={"Accept": "application/json"}).json()
    assert data["decision_due"] == "2026-05-12"
    assert data["extension"]["weeks"] == 4
    assert any("4 weken extra" in u["text"] for u in data["updates"])

    deliver(intake, ce.CaseSuspended(case_id=case_id, state="suspended", at=AT))
    data = intake.client.get(url, headers={"Accept": "application/json"}).json()
    assert data["status"] == "waiting" and any("staat de termijn stil" in s for s in data["next_steps"])

    deliver(intake, ce.CaseResumed(case_id=case_id, state="assigned", at=AT), resolved(case_id))
    data = intake.client.get(url, headers={"Accept": "application/json"}).json()
    assert data["status"] == "resolved" and data["outcome"] == "upheld"
    assert data["feedback_requested"] is True
    assert any("Nationale ombudsman" in step for step in data["next_steps"])
    page = intake.client.get(url).text
    assert "Voelde u zich gehoord?" in page and "gegrond" in page


def test_feedback_only_after_closing_once_and_poor_answers_ask_for_a_call(intake: Intake) -> None:
    accepted = post(intake, email="inwoner@example.nl")
    case_id, url = accepted["id"], path_of(accepted["status_url"])
    early = intake.client.post(url + "/feedback", json={"score": 8, "heard": True})
    assert early.status_code == 409 and "afgehandeld" in early.json()["detail"]
    deliver(intake, opened(case_id, accepted["reference"]), resolved(case_id, Resolution.informal))
    bad = intake.client.post(url + "/feedback", json={"score": 11, "heard": True})
    assert bad.status_code == 422
    given = intake.client.post(
        url + "/feedback", json={"score": 4, "heard": True, "comment": "Niemand belde."}
    )
    assert given.status_code == 201
    again = intake.client.post(url + "/feedback", json={"score": 9, "heard": True})
    assert again.status_code == 409
    events = intake.events("feedback_given")
    assert len(events) == 1
    assert events[0]["data"]["score"] == 4 and events[0]["data"]["follow_up"] is True
    assert "Niemand belde" not in str(events[0])  # the remark stays in intake
    assert (
        intake.client.get(url, headers={"Accept": "application/json"}).json()["feedback_requested"] is False
    )


def test_feedback_from_the_form_without_javascript(intake: Intake) -> None:
    accepted = post(intake, address="Dorpsstraat 1, 1234 AB Dorp")
    case_id, url = accepted["id"], path_of(accepted["status_url"])
    deliver(intake, opened(case_id, accepted["reference"]), resolved(case_id))
    missing = intake.client.post(url + "/feedback", data={"cijfer": "8"})
    assert missing.status_code == 422 and "Kies ja of nee." in missing.text
    done = intake.client.post(url + "/feedback", data={"cijfer": "8", "gehoord": "ja"})
    assert done.status_code == 200 and "Dank u wel voor uw antwoord" in done.text
    event = intake.events("feedback_given")[0]["data"]
    assert event["score"] == 8 and event["heard"] is True and event["follow_up"] is False


def test_desired_outcome_is_kept_in_intake_not_in_the_event(intake: Intake) -> None:
    accepted = post(intake)
    staff = intake.client.get(f"/api/v1/complaints/{accepted['id']}").json()
    assert staff["desired_outcome"] == "Dat iemand mij terugbelt en uitlegt wat er misging."
    received = intake.events("received")[0]
    assert received["data"]["desired_outcome_given"] is True
    assert "terugbelt" not in str(received)


def test_messages_go_by_email_once_or_as_a_letter_to_print(make_intake: Any, sink: SmtpSink) -> None:
    intake = make_intake(
        mail_enabled=True, mail_smtp_port=sink.port, mail_poll_seconds=0.1, organisation="Gemeente Dorp"
    )
    by_mail = post(intake, email="inwoner@example.nl")
    by_post = post(intake, address="Dorpsstraat 1, 1234 AB Dorp")
    post(intake)  # nobody to write to: nothing queued
    mails = sink.wait_for(lambda found: len(found) >= 1, timeout=10)
    assert mails[0]["To"] == "inwoner@example.nl"
    assert by_mail["reference"] in mails[0]["Subject"]
    assert by_mail["status_url"] in mails[0].get_content()
    deliver(intake, opened(by_mail["id"], by_mail["reference"]),
            ce.CaseAssigned(case_id=by_mail["id"], state="assigned", at=AT, handler=Handler.municipality,
                            unit="Wmo"))  # fmt: skip
    mails = sink.wait_for(lambda found: len(found) >= 2, timeout=10)
    assert "afdeling Wmo" in mails[1].get_content()
    fresh_link = next(line for line in mails[1].get_content().splitlines() if "/status/" in line).strip()
    assert intake.client.get(path_of(fresh_link)).status_code == 200  # a fresh link to the same page
    letters = intake.client.get("/api/v1/print-queue").json()["items"]
    assert [letter["reference"] for letter in letters] == [by_post["reference"]]
    assert letters[0]["address"].startswith("Dorpsstraat 1") and by_post["status_url"] in letters[0]["body"]
    sent = intake.rows("SELECT kind, channel, state, body_enc FROM resident_messages ORDER BY id")
    assert [(r["kind"], r["channel"], r["state"]) for r in sent] == [
        ("receipt", "email", "sent"),
        ("receipt", "letter", "print"),
        ("handler_changed", "email", "sent"),
    ]
    assert sent[0]["body_enc"] is None  # the text (with its link) is gone once sent


def test_a_receipt_is_sent_without_taking_the_writer(make_intake: Any, sink: SmtpSink) -> None:
    # A receipt's text is written at registration: sending it only reads the message, so it does
    # not queue for the one writer every registration needs (only the queue's claim and settle do).
    intake = make_intake(mail_enabled=True, mail_smtp_port=sink.port, mail_poll_seconds=0.1)
    database = intake.service.db
    writing = database.transaction
    callers: list[str] = []

    def counted(*args: Any, **kwargs: Any) -> Any:
        callers.append(sys._getframe(1).f_code.co_name)
        return writing(*args, **kwargs)

    database.transaction = counted
    accepted = post(intake, email="inwoner@example.nl")
    mail = sink.wait_for(lambda found: len(found) >= 1, timeout=10)[0]
    assert accepted["status_url"] in mail.get_content()
    # The queue settles the call after the server took the mail: wait for that transaction too.
    settled_by = time.monotonic() + 10
    while "_settle" not in callers and time.monotonic() < settled_by:
        time.sleep(0.05)
    assert "_claim" in callers and "_settle" in callers
    assert "_write" not in callers


def test_an_edited_wording_is_used_for_the_next_message(make_intake: Any, sink: SmtpSink) -> None:
    intake = make_intake(mail_enabled=True, mail_smtp_port=sink.port, mail_poll_seconds=0.1)
    wording = {"subject": "Ontvangen: {{ reference }}", "body": "Dank u wel. Kijk op {{ status_url }}.\n"}
    broken = intake.client.put("/api/v1/message-templates/receipt", json={**wording, "body": "{{ naam }}"})
    assert broken.status_code == 422
    assert intake.client.put("/api/v1/message-templates/receipt", json=wording).status_code == 200
    listed = {t["kind"]: t for t in intake.client.get("/api/v1/message-templates").json()["items"]}
    assert listed["receipt"]["edited"] is True and listed["outcome"]["edited"] is False
    accepted = post(intake, email="inwoner@example.nl")
    mail = sink.wait_for(lambda found: len(found) >= 1, timeout=10)[0]
    assert mail["Subject"] == f"Ontvangen: {accepted['reference']}"
    assert mail.get_content().strip() == f"Dank u wel. Kijk op {accepted['status_url']}."
    assert intake.client.delete("/api/v1/message-templates/receipt").status_code == 204
    assert intake.client.get("/api/v1/message-templates").json()["items"][0]["edited"] is False


def test_a_suspension_tells_what_is_awaited_in_the_handlers_words(make_intake: Any, sink: SmtpSink) -> None:
    """The reason is free text kept by routing (never in an event): intake asks routing's case API."""
    import httpx
    from fastapi import FastAPI

    routing = FastAPI()

    @routing.get("/api/v1/cases/{case_id}")
    async def case(case_id: str) -> dict[str, Any]:
        entry = {"action": "suspend", "reason": "een kopie van uw bankafschrift van maart"}
        return {"id": case_id, "history": [{"action": "open", "reason": None}, entry]}

    intake = make_intake(mail_enabled=True, mail_smtp_port=sink.port, mail_poll_seconds=0.1)
    transport = httpx.ASGITransport(routing)
    intake.service.peers._clients["routing"] = httpx.AsyncClient(transport=transport, base_url="http://routing")
    accepted = post(intake, email="inwoner@example.nl")
    deliver(intake, opened(accepted["id"], accepted["reference"]),
            ce.CaseSuspended(case_id=accepted["id"], state="suspended", at=AT))  # fmt: skip
    mails = sink.wait_for(lambda found: len(found) >= 2, timeout=15)
    assert "een kopie van uw bankafschrift van maart" in mails[1].get_content()
    data = intake.client.get(path_of(accepted["status_url"]), headers={"Accept": "application/json"}).json()
    assert data["status"] == "waiting" and data["waiting_for"] == "een kopie van uw bankafschrift van maart"
