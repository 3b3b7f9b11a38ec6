"""One complaint as its resident lives it, in a real browser over the whole stack and real Kafka:
the form, the receipt by e-mail with the own link, a new handler, an extension with its reason
and new date, the outcome with the feedback question, and the feedback itself. At every step the
e-mail the resident received and the status page are checked, and axe-core (injected into the
page) must report no WCAG 2.2 A/AA violation on the status page. Screenshots go to docs/screenshots.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from e2e import Api, eventually, make_stack, started_stack
from kafka_node import KafkaNode
from smtp_sink import SmtpSink

CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
ROOT = Path(__file__).resolve().parent.parent
AXE = ROOT / "tests" / "browser" / "node_modules" / "axe-core" / "axe.min.js"
if CHROMIUM is None:
    pytest.skip("Chromium is not installed (apt-get install chromium)", allow_module_level=True)
if not AXE.exists():
    pytest.skip("axe-core is not installed (cd tests/browser && npm ci)", allow_module_level=True)

from playwright.sync_api import Browser, Page, expect, sync_playwright  # noqa: E402

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

SCREENSHOTS = ROOT / "docs" / "screenshots"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--no-first-run",
    "--disable-sync",
]
LINK = re.compile(r"https?://\S+/status/[A-Za-z0-9_-]{43}")
WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


@pytest.fixture(scope="module")
def sink() -> Iterator[SmtpSink]:
    with SmtpSink() as running:
        yield running


@pytest.fixture(scope="module")
def journey_apis(
    own_kafka: KafkaNode, sink: SmtpSink, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Api]]:
    stack = make_stack(
        tmp_path_factory.mktemp("resident"),
        own_kafka,
        KLACHTSTROOM_INTAKE_MAIL_SMTP_PORT=str(sink.port),
        KLACHTSTROOM_INTAKE_MAIL_POLL_SECONDS="0.2",
        KLACHTSTROOM_INTAKE_ORGANISATION="Gemeente Voorbeeldstad",
    )
    with started_stack(stack) as started:
        yield {name: Api(proc.url) for name, proc in started.services.items()}


@pytest.fixture(scope="module")
def page() -> Iterator[Page]:
    with sync_playwright() as playwright:
        browser: Browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        # The pages forbid scripts of their own (CSP); the test's axe-core is let in on purpose.
        context = browser.new_context(
            locale="nl-NL", viewport={"width": 1000, "height": 900}, bypass_csp=True
        )
        yield context.new_page()
        context.close()
        browser.close()


def mails_to(sink: SmtpSink, address: str, count: int) -> list[EmailMessage]:
    found = sink.wait_for(lambda ms: len([m for m in ms if m["To"] == address]) >= count, timeout=60)
    return [m for m in found if m["To"] == address]


def link_in(mail: EmailMessage) -> str:
    match = LINK.search(mail.get_content())
    assert match, mail.get_content()
    return match.group(0)


def axe_violations(page: Page) -> list[dict[str, Any]]:
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        "async (tags) => (await axe.run(document, {runOnly: {type: 'tag', values: tags}})).violations", WCAG
    )
    return [{"id": v["id"], "nodes": len(v["nodes"])} for v in result]


def check_status_page(page: Page, url: str, *texts: str, shot: str | None = None) -> None:
    page.goto(url)
    for text in texts:
        expect(page.locator("main")).to_contain_text(text)
    assert page.locator("script").count() == 0  # works without JavaScript
    assert axe_violations(page) == []
    if shot:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / shot), full_page=True)


def test_one_complaint_from_the_form_to_the_feedback(
    journey_apis: dict[str, Api], sink: SmtpSink, page: Page
) -> None:
    intake, routing, reporting = journey_apis["intake"], journey_apis["routing"], journey_apis["reporting"]
    email = "j.jansen@example.nl"

    # 1. The form, with what the resident wants to achieve.
    page.goto(intake.base + "/")
    page.get_by_label("Wat is er gebeurd?").fill(
        "Ik heb drie keer gebeld over mijn uitkering. Niemand belde terug."
    )
    page.get_by_label("Wat wilt u bereiken?").fill("Dat iemand mij terugbelt en mijn uitkering uitlegt.")
    page.get_by_label("Over welke afdeling gaat uw klacht?").select_option("Inkomen")
    page.get_by_label("E-mailadres").fill(email)
    page.get_by_role("button", name="Klacht versturen").click()
    expect(page.get_by_role("heading", name="Wij hebben uw klacht ontvangen")).to_be_visible()
    reference = page.locator(".reference").inner_text().strip()
    own_link = page.locator(".status-link-text").inner_text().strip()
    assert LINK.fullmatch(own_link)

    # 2. The receipt by e-mail, with the same link; the page says it was received.
    receipt = mails_to(sink, email, 1)[0]
    assert reference in str(receipt["Subject"]) and own_link in receipt.get_content()
    check_status_page(page, own_link, reference, "We hebben uw klacht ontvangen.", shot="status-received.png")
    status = _json_status(intake, own_link)
    assert status["reference"] == reference and status["feedback_requested"] is False
    case_id = eventually(lambda: _case_id(routing, reference))
    # The handler sees what the resident wants to achieve (kept in intake, asked by routing's page).
    # A staff page: the handler is signed in (a bearer token; the resident's pages stay open).
    page.set_extra_http_headers({"Authorization": f"Bearer {routing.token}"})
    page.goto(f"{routing.base}/klachten/{case_id}")
    expect(page.locator("main")).to_contain_text("Dat iemand mij terugbelt en mijn uitkering uitlegt.")
    page.set_extra_http_headers({})
    decision = eventually(lambda: _json_status(intake, own_link).get("decision_due"))

    # 3. A new handler: an e-mail, and the page names the new role (no name by default).
    code, _ = routing.post(f"/api/v1/cases/{case_id}/assign", {"handler_name": "P. de Boer", "unit": "Werk"})
    assert code == 200
    changed = mails_to(sink, email, 2)[1]
    assert "afdeling Werk" in changed.get_content() and "P. de Boer" not in changed.get_content()
    check_status_page(page, link_in(changed), "afdeling Werk")

    # 4. An extension before the term ends: reason and new date in the e-mail and on the page.
    reason = "We wachten nog op een gesprek met uw klantmanager."
    code, _ = routing.post(f"/api/v1/cases/{case_id}/extend", {"weeks": 2, "reason": reason})
    assert code == 200
    extended = mails_to(sink, email, 3)[2]
    new_due = eventually(lambda: (d := _json_status(intake, own_link).get("decision_due")) != decision and d)
    assert reason in extended.get_content() and "2 weken extra" in extended.get_content()
    body = _json_status(intake, own_link)
    assert body["extension"]["reason"] == reason and body["decision_due"] == new_due
    check_status_page(page, own_link, "We hebben meer tijd nodig", reason, shot="status-extended.png")

    # 5. The outcome, with the feedback question and the ombudsman as next step.
    code, _ = routing.post(
        f"/api/v1/cases/{case_id}/resolve",
        {
            "outcome": "upheld",
            "resolution": "informal",
            "desired_outcome_achieved": "yes",
            "norms": ["promptness"],
        },
    )
    assert code == 200
    outcome = mails_to(sink, email, 4)[3]
    assert "gegrond" in outcome.get_content() and "cijfer van 1 tot 10" in outcome.get_content()
    eventually(lambda: _json_status(intake, own_link).get("feedback_requested"))
    check_status_page(
        page, own_link, "Ons oordeel", "Voelde u zich gehoord?", "ombudsman", shot="status-feedback.png"
    )

    # 6. The feedback in the browser: a poor answer asks for a follow-up call.
    page.get_by_label("4", exact=True).check()
    page.get_by_label("Nee", exact=True).check()
    page.get_by_label("Wilt u nog iets zeggen?").fill("Ik moest zelf steeds bellen.")
    page.get_by_role("button", name="Antwoord versturen").click()
    expect(page.get_by_text("Dank u wel voor uw antwoord.")).to_be_visible()
    assert axe_violations(page) == []
    again = intake.call("POST", _path(intake, own_link) + "/feedback", {"score": 9, "heard": True})
    assert again[0] == 409
    flags = eventually(
        lambda: [
            f
            for f in routing.get(f"/api/v1/cases/{case_id}")[1].get("flags", [])
            if f["kind"] == "follow_up_call"
        ]
    )
    assert "niet gehoord" in flags[0]["text"]
    year = str(body["received_at"])[:4]
    report = eventually(
        lambda: (
            (r := reporting.get(f"/api/v1/reports/annual/{year}")[1])
            and r["satisfaction"]["responses"] >= 1
            and r
        )
    )
    assert report["satisfaction"]["average_score"] == 4.0 and report["satisfaction"]["heard_share"] == 0.0
    assert report["upheld_by_norm"]["promptness"] >= 1
    assert len(mails_to(sink, email, 4)) == 4  # each message once


def _path(api: Api, link: str) -> str:
    return "/status/" + link.rsplit("/", 1)[1]


def _json_status(api: Api, link: str) -> dict[str, Any]:
    code, body = api.call("GET", _path(api, link), headers={"Accept": "application/json"})
    assert code == 200, body
    return body


def _case_id(routing: Api, reference: str) -> str | None:
    code, body = routing.get("/api/v1/cases")
    if code != 200:
        return None
    found = [c["id"] for c in body["items"] if c["reference"] == reference]
    return found[0] if found else None


def test_axe_reports_a_violation_when_there_is_one(page: Page) -> None:
    # The check can fail: an image without alternative text is a WCAG 1.1.1 violation.
    page.set_content(
        '<html lang="nl"><head><title>t</title></head><body><main><img src="x.png"></main></body></html>'
    )
    assert any(v["id"] == "image-alt" for v in axe_violations(page))
