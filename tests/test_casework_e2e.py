"""Case handling as a coordinator and a case worker do it (issue 19), over real Kafka with all
four services: date-only receipts, Awb 9:10 hearing and waiver, Awb 9:11 postponement with
consent, forwarding objections and questions, routing precedence, merging duplicates."""

from __future__ import annotations

import re
import smtplib
import urllib.parse
import urllib.request
from collections.abc import Iterator
from datetime import date, datetime
from email.message import EmailMessage
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from e2e import Api, eventually, make_stack, started_stack
from kafka_node import KafkaNode
from smtp_sink import SmtpSink
from stack import Stack

from klachtstroom.contracts.vocabulary import DEADLINE_KIND_LABELS

pytestmark = pytest.mark.e2e

AMSTERDAM = ZoneInfo("Europe/Amsterdam")


@pytest.fixture(scope="module")
def sink() -> Iterator[SmtpSink]:
    with SmtpSink() as running:
        yield running


@pytest.fixture(scope="module")
def case_stack(
    own_kafka: KafkaNode, tmp_path_factory: pytest.TempPathFactory, sink: SmtpSink
) -> Iterator[Stack]:
    """A stack of this module's own (the tests move routing's clock); residents' mail to the sink."""
    running: Stack = make_stack(
        tmp_path_factory.mktemp("casework-e2e"),
        own_kafka,
        KLACHTSTROOM_INTAKE_MAIL_SMTP_HOST="127.0.0.1",
        KLACHTSTROOM_INTAKE_MAIL_SMTP_PORT=str(sink.port),
        KLACHTSTROOM_INTAKE_MAIL_POLL_SECONDS="0.2",
    )
    with started_stack(running) as started:
        yield started


@pytest.fixture(scope="module")
def apis(case_stack: Stack) -> dict[str, Api]:
    return {name: Api(proc.url) for name, proc in case_stack.services.items()}


def dutch_date(moment: str) -> date:
    return datetime.fromisoformat(moment).astimezone(AMSTERDAM).date()


def submit(apis: dict[str, Api], description: str, **fields: Any) -> str:
    body = {"channel": "phone", "description": description, "received_at": "2026-03-03", **fields}
    status, accepted = apis["intake"].post("/api/v1/complaints", body)
    assert status == 202, accepted
    return str(accepted["id"])


def opened_case(apis: dict[str, Api], case_id: str) -> dict[str, Any]:
    def case() -> Any:
        code, body = apis["routing"].get(f"/api/v1/cases/{case_id}")
        return body if code == 200 else None

    found: dict[str, Any] = eventually(case, timeout=45.0)
    return found


def act(apis: dict[str, Api], case_id: str, action: str, **body: Any) -> tuple[int, dict[str, Any]]:
    return apis["routing"].post(f"/api/v1/cases/{case_id}/{action}", body)


def kinds_of(flags: list[dict[str, Any]]) -> set[str]:
    return {flag["kind"] for flag in flags}


def deadlines(apis: dict[str, Api], case_id: str) -> dict[str, dict[str, Any]]:
    code, body = apis["deadlines"].get(f"/api/v1/deadlines?case_id={case_id}")
    assert code == 200, body
    return {item["kind"]: item for item in body["items"]}


def test_a_date_only_receipt_accepts_actions_all_that_day(apis: dict[str, Api]) -> None:
    """KCC registers a call with only today's date; at 08:00 Dutch time the case worker acts
    without giving a time (now) and with the date only: both are accepted, terms run from
    that day."""
    code, body = apis["routing"].call("PUT", "/api/v1/test/clock", {"now": "2026-12-06T08:00:00+01:00"})
    assert code == 200, body
    case_id = submit(apis, "De consulent belt niet terug, al drie weken niet.", received_at="2026-12-06")
    case = opened_case(apis, case_id)
    assert dutch_date(case["received_at"]) == date(2026, 12, 6)
    assert case["received_at"].startswith("2026-12-06")

    code, case = act(apis, case_id, "assign", handler_name="A. Bakker")
    assert code == 200, case
    code, case = act(apis, case_id, "acknowledge", at="2026-12-06")
    assert code == 200, case
    assert case["acknowledged_on"] == "2026-12-06"
    code, refused = act(apis, case_id, "suspend", reason="Wacht op stukken.", at="2026-12-05")
    assert code == 422, refused  # the day before receipt is still refused

    terms = eventually(lambda: deadlines(apis, case_id).get("decision"))
    assert terms["start"] == "2026-12-06"


def test_hearing_waiver_and_postponement_with_consent(apis: dict[str, Api]) -> None:
    """Awb 9:10: a formal outcome needs a hearing or a recorded waiver; a hearing without its
    report is flagged until the report is added. Awb 9:11 lid 2: a second postponement only
    with the complainant's written consent, and deadlines follows it."""
    heard = submit(apis, "De medewerker van Werk schreeuwde tegen mij aan de telefoon.")
    opened_case(apis, heard)
    code, refused = act(apis, heard, "resolve", outcome="upheld", resolution="formal", at="2026-03-04")
    assert code == 409 and "9:10" in refused["detail"], refused  # straight from "received": no
    code, case = act(apis, heard, "escalate", handler_name="C. Jansen", at="2026-03-05")
    assert code == 200, case
    code, case = act(apis, heard, "hear", at="2026-03-10")  # heard; the report follows
    assert code == 200, case
    [missing] = [f for f in case["flags"] if f["kind"] == "hearing_report_missing"]
    assert "verslag ontbreekt" in missing["text"]
    code, case = act(apis, heard, "hear", report="Klager en medewerker gehoord op 10 maart.", at="2026-03-12")
    assert code == 200, case
    assert "hearing_report_missing" not in kinds_of(case["flags"])

    code, case = act(apis, heard, "extend", weeks=4, reason="Advies van de afdeling nodig.", at="2026-03-20")
    assert code == 200, case
    code, refused = act(apis, heard, "extend", weeks=2, reason="Nog meer tijd nodig.", at="2026-04-01")
    assert code == 409 and "schriftelijke instemming" in refused["detail"], refused
    code, case = act(
        apis, heard, "extend", weeks=3, reason="Deskundige gevraagd.", consent=True, at="2026-04-02"
    )
    assert code == 200, case
    assert case["history"][-1]["data"]["consent"] is True
    # 6 weeks from 3 March is 14 April; plus 4 and 3 weeks: Tuesday 2 June 2026.
    assert eventually(lambda: deadlines(apis, heard)["decision"]["due"] == "2026-06-02")
    code, case = act(apis, heard, "resolve", outcome="upheld", resolution="formal", at="2026-05-20")
    assert (code, case["state"]) == (200, "resolved"), case

    waived = submit(apis, "Ik kreeg geen antwoord op mijn brief over bijzondere bijstand.")
    opened_case(apis, waived)
    code, case = act(apis, waived, "escalate", at="2026-03-05")
    assert code == 200, case
    code, case = act(apis, waived, "hear", waived=True, at="2026-03-06")
    assert code == 200, case
    assert "hearing_report_missing" not in kinds_of(case["flags"])
    assert case["history"][-1]["data"]["waived"] is True
    code, case = act(apis, waived, "resolve", outcome="not_upheld", resolution="formal", at="2026-03-20")
    assert (code, case["state"]) == (200, "resolved"), case


def test_a_named_provider_wins_over_an_unknown_unit_and_the_form_offers_routings_units(
    apis: dict[str, Api],
) -> None:
    """Routing precedence is data and explained; the public form lists the units routing knows."""
    rules = [
        {"id": "standaard", "handler_name": "Klachtcoördinator"},
        {"id": "inkomen", "unit": "Inkomen", "handler_name": "Team Inkomen"},
        {"id": "kleine-stap", "provider": "Jeugdzorg De Kleine Stap", "handler": "provider"},
    ]
    code, body = apis["routing"].call("PUT", "/api/v1/routing-rules", {"rules": rules})
    assert code == 200, body
    code, body = apis["routing"].get("/api/v1/routing-rules")
    steps = [step["step"] for step in body["precedence"]]
    assert steps == ["named_provider", "unknown_value", "most_specific"]

    case_id = submit(
        apis, "Mijn zoon krijgt al weken geen begeleiding.", unit="Jeugd", provider="Jeugdzorg De Kleine Stap"
    )
    case = eventually(lambda: (c := opened_case(apis, case_id))["state"] == "referred" and c)
    assert (case["handler"], case["provider"]) == ("provider", "Jeugdzorg De Kleine Stap")
    assert case["unit"] == "Jeugd"  # kept as given
    assert "unknown_routing_value" not in kinds_of(case["flags"])
    assert case["routing"]["rule_id"] == "kleine-stap"
    assert "afdeling 'Jeugd'" in case["routing"]["explanation"]
    assert case["history"][0]["data"]["precedence"] == "named_provider"

    with urllib.request.urlopen(apis["intake"].base + "/", timeout=10) as response:
        form = response.read().decode()
    assert 'value="Inkomen"' in form and 'value="Jeugd"' not in form


def mail_to(sink: SmtpSink, address: str, subject_part: str) -> str:
    def found() -> str | None:
        for message, recipients in zip(sink.messages, list(sink.recipients), strict=False):
            if address in recipients and subject_part in str(message["Subject"]):
                return str(message.get_content())
        return None

    body: str = eventually(found, timeout=30.0)
    return body


def facts(apis: dict[str, Api], case_id: str) -> list[dict[str, Any]] | None:
    """The facts deadlines holds for a case, once it saw the case opened (else None)."""
    code, body = apis["deadlines"].get(f"/api/v1/deadlines/cases/{case_id}")
    if code != 200 or not any(fact["type"] == "opened" for fact in body["facts"]):
        return None
    return list(body["facts"])


def test_objections_and_questions_are_forwarded_not_handled_as_complaints(
    apis: dict[str, Api], sink: SmtpSink
) -> None:
    """An objection or a question is told where it goes (not "uw klacht ... 6 weken"), forwarded
    with a message to the resident, and keeps no complaint terms; the annual report counts
    them apart. A complaint holding an objection too can send a copy and stay a complaint."""
    objection = submit(
        apis, "Ik ben het niet eens met het besluit over mijn bijstandsuitkering van 1 februari.",
        kind="objection", complainant={"name": "E. Smit", "email": "e.smit@example.org"},
    )  # fmt: skip
    receipt = mail_to(sink, "e.smit@example.org", "Wij hebben uw bezwaar ontvangen")
    assert "bezwaarprocedure" in receipt and "uw klacht" not in receipt.lower()
    opened_case(apis, objection)
    eventually(lambda: facts(apis, objection))  # deadlines saw it open: no complaint terms planned
    assert "decision" not in deadlines(apis, objection) and deadlines(apis, objection) == {}
    code, refused = act(apis, objection, "forward", to="nergens", at="2026-03-04")
    assert code == 422, refused
    code, case = act(apis, objection, "forward", to="objection", reason="Bezwaar.", at="2026-03-04")
    assert (code, case["state"]) == (200, "forwarded"), case
    told = mail_to(sink, "e.smit@example.org", "Wij hebben uw bericht doorgestuurd")
    assert "team Bezwaar en beroep" in told and "bezwaarprocedure" in told
    eventually(lambda: len(facts(apis, objection)) > 1)  # the forwarding reached deadlines
    assert deadlines(apis, objection) == {}  # still no term: nothing to breach or escalate
    code, listed = apis["routing"].get("/api/v1/cases?status=received,assigned,acknowledged")
    assert objection not in {item["id"] for item in listed["items"]}

    question = submit(
        apis, "Hoe laat is het gemeentehuis open op zaterdag?",
        kind="question", complainant={"email": "vraag@example.org"},
    )  # fmt: skip
    receipt = mail_to(sink, "vraag@example.org", "Wij hebben uw vraag ontvangen")
    assert "Klantcontactcentrum" in receipt and "6 weken" not in receipt
    opened_case(apis, question)
    eventually(lambda: facts(apis, question))
    assert deadlines(apis, question) == {}
    code, case = act(apis, question, "forward", to="kcc", at="2026-03-04")
    assert (code, case["state"]) == (200, "forwarded"), case

    both = submit(apis, "De consulent was grof. En ik maak bezwaar tegen het besluit.")
    opened_case(apis, both)
    code, case = act(apis, both, "forward", to="objection", keep_complaint=True, at="2026-03-04")
    assert (code, case["state"]) == (200, "received"), case
    assert case["history"][-1]["data"]["keep_complaint"] is True
    # Still (or now also) a complaint: its terms run from receipt, whatever triage made of it.
    decision = eventually(lambda: deadlines(apis, both).get("decision"))
    assert decision["state"] != "cancelled" and decision["due"] == "2026-04-14"

    def kinds() -> dict[str, int] | None:
        code, report = apis["reporting"].get("/api/v1/reports/annual/2026")
        counted = report.get("by_kind") if code == 200 else None
        return counted if counted and counted.get("objection") and counted.get("question") else None

    by_kind = eventually(kinds)
    assert by_kind["objection"] >= 1 and by_kind["question"] >= 1


def send_mail(stack: Stack, subject: str, body: str, sender: str) -> None:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = sender, "klachten@gemeente.example", subject
    message.set_content(body)
    with smtplib.SMTP("127.0.0.1", stack.smtp_port, timeout=10) as client:
        client.send_message(message)


def test_merge_closes_the_duplicate_and_the_kept_case_shows_everything(
    apis: dict[str, Api], case_stack: Stack
) -> None:
    """Merge: the duplicate gets state merged (terms cancelled, not listed as open); the kept
    case shows both texts and the resident's later e-mail reply, fetched from intake."""
    # Received today: the terms still run when the duplicate is merged.
    same = {"complainant": {"email": "k@example.org"}, "received_at": date.today().isoformat()}
    kept = submit(apis, "Mijn uitkering is al twee maanden niet betaald.", **same)
    duplicate = submit(apis, "Ik bel al weken over mijn uitkering, niemand helpt mij.", **same)
    opened_case(apis, kept)
    opened_case(apis, duplicate)
    eventually(lambda: deadlines(apis, duplicate).get("decision"))
    code, reference = apis["intake"].get(f"/api/v1/complaints/{duplicate}")
    assert code == 200, reference
    reply = "Ik heb nog steeds geen geld ontvangen."
    send_mail(case_stack, f"Re: {reference['reference']}", reply, "k@example.org")
    eventually(lambda: apis["intake"].get(f"/api/v1/complaints/{duplicate}/messages")[1].get("items"))

    code, merged = apis["intake"].post(f"/api/v1/complaints/{duplicate}/merge", {"into": kept})
    assert code == 200, merged
    case = eventually(lambda: (c := opened_case(apis, duplicate))["state"] == "merged" and c)
    assert case["history"][-1]["action"] == "merge"
    assert eventually(
        lambda: all(term["state"] == "cancelled" for term in deadlines(apis, duplicate).values())
    )
    code, listed = apis["routing"].get("/api/v1/cases?status=received,assigned")
    assert duplicate not in {item["id"] for item in listed["items"]}

    kept_case = opened_case(apis, kept)
    assert [m["id"] for m in kept_case["merged_complaints"]] == [duplicate]
    assert "niemand helpt mij" in kept_case["merged_complaints"][0]["description"]
    assert "twee maanden" in kept_case["description"]
    assert any("geen geld ontvangen" in m["body"] for m in kept_case["messages"])


def test_handler_reaches_the_complainant_others_do_not_and_every_read_is_audited(
    case_stack: Stack, apis: dict[str, Api]
) -> None:
    """Issue 15: contact details from intake's API (never its database) for the case worker, not
    for manager or college; the letter is addressed; both services' audit trails name the reader."""
    contact = {"name": "Jan Jansen", "email": "jan.jansen@example.nl", "phone": "06 12345678",
               "address": "Stationsstraat 1, 3511 AB Utrecht"}  # fmt: skip
    case_id = submit(apis, "Niemand belt mij terug over mijn aanvraag.", municipality="Utrecht",
                     complainant=contact)  # fmt: skip
    opened_case(apis, case_id)
    routing, intake = case_stack.services["routing"].url, case_stack.services["intake"].url
    handler = Api(routing, case_stack.token("handler", name="h.devries", municipality="Utrecht"))
    code, case = handler.get(f"/api/v1/cases/{case_id}")
    assert code == 200 and case["contact"] == contact and case["contact_available"] is True
    manager = Api(routing, case_stack.token("manager", municipality="Utrecht"))
    code, case = manager.get(f"/api/v1/cases/{case_id}")
    assert code == 200 and "contact" not in case and "Jan Jansen" not in str(case)
    assert Api(routing, case_stack.token("college")).get(f"/api/v1/cases/{case_id}")[0] == 403
    assert Api(intake, case_stack.token("college")).get(f"/api/v1/complaints/{case_id}/contact")[0] == 403

    letter = urllib.request.Request(f"{routing}/api/v1/cases/{case_id}/letters/ontvangstbevestiging.html")
    letter.add_header("Authorization", f"Bearer {handler.token}")
    with urllib.request.urlopen(letter, timeout=30) as response:
        html = response.read().decode()
    assert "Geachte Jan Jansen," in html and "3511 AB Utrecht" in html

    auditor = case_stack.token("auditor")
    code, trail = Api(routing, auditor).get(f"/api/v1/audit?case_id={case_id}")
    assert code == 200
    rows: list[dict[str, Any]] = trail["items"]  # type: ignore[assignment]
    reads = [(row["subject"], row["role"]) for row in rows if row["route"] == "/api/v1/cases/{case_id}"]
    assert ("h.devries", "handler") in reads and ("ontwikkelaar-manager", "manager") in reads
    code, trail = Api(intake, auditor).get(f"/api/v1/audit?case_id={case_id}")
    rows = trail["items"]  # type: ignore[assignment]
    asked = [(row["role"], row["on_behalf_of"]) for row in rows if row["route"].endswith("/contact")]
    # The case read and the letter, each for the person asking (the dev token's read above too);
    # never for the manager.
    assert asked.count(("system", "h.devries")) == 2 and ("system", "ontwikkelaar-manager") not in asked
    texts = [row["on_behalf_of"] for row in rows if row["route"] == "/api/v1/complaints/{complaint_id}"]
    assert "h.devries" in texts and "ontwikkelaar-manager" in texts  # the complaint text: claim check
    assert "Jan Jansen" not in str(trail) and "Niemand belt" not in str(trail)
    assert Api(routing, case_stack.token("handler")).get("/api/v1/audit")[0] == 403


def page_of(stack: Stack, path: str) -> tuple[int, dict[str, str], str]:
    """An HTML page or letter of routing with the stack's dev token: (status, headers by lower-case
    name, text)."""
    request = urllib.request.Request(stack.services["routing"].url + path)
    request.add_header("Authorization", f"Bearer {stack.dev_token()}")
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.status, {k.lower(): v for k, v in response.headers.items()}, response.read().decode()


WORK_TOWN = "Werkdorp"  # only this test's cases are in this municipality


def work_list(stack: Stack, **filters: str) -> tuple[set[tuple[str, str, bool]], dict[str, int]]:
    """Routing's work list for Werkdorp: the terms that need attention today as (case id, kind,
    late), and the open cases per handler as {handler: count}."""
    query = urllib.parse.urlencode({"gemeente": WORK_TOWN, **filters})
    code, _headers, page = page_of(stack, f"/?{query}")
    assert code == 200
    attention = page.split("Termijnen die vandaag aandacht vragen")[1].split("</table>")[0]
    kinds = {label.capitalize(): kind.value for kind, label in DEADLINE_KIND_LABELS.items()}
    rows = re.findall(
        r'<a href="/klachten/([^"]+)">[^<]*</a>.*?</td>\s*<td>([^<]+)</td>\s*<td><span class="([^"]*)">',
        attention,
        flags=re.S,
    )
    terms = {(case_id, kinds[label], css == "late") for case_id, label, css in rows}
    handlers = page.split("In behandeling per behandelaar")[1].split("<h2")[0]
    groups = {name: int(n) for name, n in re.findall(r"<summary>([^<]+) \((\d+)\)</summary>", handlers)}
    return terms, groups


def test_the_work_list_shows_every_term_that_needs_attention_today_by_handler_and_filter(
    apis: dict[str, Api], case_stack: Stack
) -> None:
    """Issue 19: the coordinator's and case worker's work list (routing's start page) lists every
    term that ends within a week or has passed on an open case (contact, decision, the provider's
    response), not only the decision; open cases grouped by handler; filters narrow both."""
    town = {"municipality": WORK_TOWN}
    contact = submit(apis, "Niemand neemt contact met mij op over mijn aanvraag.", **town)
    decision = submit(
        apis, "Mijn klacht van februari is nog steeds niet beslist.", received_at="2026-02-03", **town
    )
    provider = submit(apis, "De thuiszorg komt steeds te laat bij mijn moeder.", **town)
    reached = submit(apis, "Ik wacht op een terugbelverzoek van Werk.", **town)
    closed = submit(apis, "De balie was gesloten terwijl de website zei dat hij open was.", **town)
    for case_id in (contact, decision, provider, reached, closed):
        opened_case(apis, case_id)
    assert act(apis, contact, "assign", handler_name="W. Bakker", unit="Inkomen")[0] == 200
    assert act(apis, decision, "assign", handler_name="W. de Vries", unit="Werk")[0] == 200
    assert act(apis, provider, "refer", provider="Thuiszorg Werkdorp", at="2026-03-03")[0] == 200
    assert act(apis, reached, "assign", handler_name="W. Bakker", unit="Werk")[0] == 200
    assert act(apis, reached, "acknowledge", at="2026-03-04")[0] == 200  # contact made: no contact term
    assert act(apis, closed, "withdraw", reason="Klager trekt de klacht in.", at="2026-03-04")[0] == 200

    def terms_arrived() -> bool:
        kinds = {"contact": deadlines(apis, contact), "decision": deadlines(apis, decision),
                 "provider": deadlines(apis, provider), "reached": deadlines(apis, reached),
                 "closed": deadlines(apis, closed)}  # fmt: skip
        return (
            "provider_response" in kinds["provider"]
            and kinds["reached"].get("contact", {}).get("state") == "met"
            and bool(kinds["closed"])
            and all(t["state"] == "cancelled" for t in kinds["closed"].values())
        )

    code, body = apis["routing"].call("PUT", "/api/v1/test/clock", {"now": "2026-03-12T09:00:00+01:00"})
    assert code == 200, body
    try:
        eventually(terms_arrived)
        # Thursday 12 March: the week ahead runs to 19 March.
        expected = {
            (contact, "contact", True),  # 10 March, passed
            (decision, "contact", True),  # 10 February, passed
            (decision, "decision", False),  # 17 March: 6 weeks after 3 February
            (provider, "contact", True),
            (provider, "provider_response", False),  # 10 working days after 3 March: 17 March
        }
        terms, groups = eventually(lambda: (found := work_list(case_stack))[0] == expected and found)
        assert (contact, "decision", False) not in terms  # 14 April: not this week
        assert groups == {"Nog niet toegewezen": 1, "W. Bakker": 2, "W. de Vries": 1}  # not the withdrawn one

        terms, groups = work_list(case_stack, behandelaar="W. Bakker")
        assert terms == {(contact, "contact", True)} and groups == {"W. Bakker": 2}
        terms, groups = work_list(case_stack, afdeling="Thuiszorg Werkdorp")
        assert terms == {(provider, "contact", True), (provider, "provider_response", False)}
        assert groups == {"Nog niet toegewezen": 1}
        terms, _groups = work_list(case_stack, termijn="provider_response")
        assert terms == {(provider, "provider_response", False)}
        terms, _groups = work_list(case_stack, termijn="decision")
        assert terms == {(decision, "decision", False)}
    finally:
        apis["routing"].call("PUT", "/api/v1/test/clock", {"now": datetime.now(AMSTERDAM).isoformat()})


def test_a_letter_marked_sent_is_kept_as_it_was_sent(apis: dict[str, Api], case_stack: Stack) -> None:
    """Issue 19: POST .../letters/{kind}/sent freezes the letter: a later handler does not change
    the letter that went out; marking it sent again is refused (409)."""
    case_id = submit(apis, "Mijn brief over de parkeervergunning is nooit beantwoord.")
    opened_case(apis, case_id)
    assert act(apis, case_id, "assign", handler_name="L. Bakker")[0] == 200
    letter = f"/api/v1/cases/{case_id}/letters"
    code, listed = apis["routing"].get(letter)
    assert code == 200 and ("ontvangstbevestiging", "draft") in {
        (i["kind"], i["state"]) for i in listed["items"]
    }

    code, sent = apis["routing"].post(f"{letter}/ontvangstbevestiging/sent", {})
    assert code == 201 and sent["state"] == "sent" and sent["sent_by"], sent
    _code, _headers, as_sent = page_of(case_stack, f"{letter}/ontvangstbevestiging.html")
    assert "L. Bakker" in as_sent

    assert act(apis, case_id, "assign", handler_name="L. de Vries")[0] == 200
    assert opened_case(apis, case_id)["handler_name"] == "L. de Vries"
    code, headers, later = page_of(case_stack, f"{letter}/ontvangstbevestiging.html")
    assert code == 200 and headers["letter-state"] == "sent"
    assert later == as_sent and "L. de Vries" not in later

    code, refused = apis["routing"].post(f"{letter}/ontvangstbevestiging/sent", {})
    assert code == 409, refused
    code, listed = apis["routing"].get(letter)
    found = {i["kind"]: i for i in listed["items"]}
    assert found["ontvangstbevestiging"]["state"] == "sent"
    assert found["ontvangstbevestiging"]["sent_at"] == sent["sent_at"]
