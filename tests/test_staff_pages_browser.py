"""The staff pages in a real browser, signed in through the development issuer's `/aanmelden`,
over the whole stack and real Kafka (issue 19): the KCC screen and its receipt, the case worker's
work queue and case page, the term watch, the coordinator's dashboard and the register import.
Screenshots at 320 px go to docs/screenshots/staff-320-*.png.

On every page, at 1280 and at 320 CSS px wide: axe-core (injected) reports no WCAG 2.2 A/AA
violation; at 320 px nothing makes the page scroll sideways (WCAG 1.4.10 reflow; a wide table
scrolls inside its own region); dates and times read as Dutch words in Dutch time ("6 december
2026", "om 14:05"), never as an ISO string or a numeric date.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from e2e import Api, eventually, make_stack, started_stack
from kafka_node import KafkaNode
from stack import Stack

CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
ROOT = Path(__file__).resolve().parent.parent
AXE = ROOT / "tests" / "browser" / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = ROOT / "docs" / "screenshots"
if CHROMIUM is None:
    pytest.skip("Chromium is not installed (apt-get install chromium)", allow_module_level=True)
if not AXE.exists():
    pytest.skip("axe-core is not installed (cd tests/browser && npm ci)", allow_module_level=True)

from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright  # noqa: E402

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--no-first-run",
    "--disable-sync",
]
WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
WIDTHS = (1280, 320)
AMSTERDAM = ZoneInfo("Europe/Amsterdam")
MONTHS = ("januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september",
          "oktober", "november", "december")  # fmt: skip
DUTCH_DATE = re.compile(rf"\b\d{{1,2}} (?:{'|'.join(MONTHS)}) \d{{4}}\b")
NOT_DUTCH = [
    re.compile(r"\b\d{4}-\d{2}-\d{2}\b"),  # ISO date, with or without a time
    re.compile(r"\b\d{1,2}[-/.]\d{1,2}[-/.]\d{4}\b"),  # 06-12-2026
    re.compile(r"\d{2}:\d{2}:\d{2}"),  # seconds: a raw timestamp
    re.compile(r"\bUTC\b|\+00:00|\dZ\b"),
]
# Long words and names, as real municipalities have them: they must wrap, not widen the page.
UNIT = "Maatschappelijke Ondersteuning en Jeugdhulp"
HANDLER = "Annemarie van der Heijden-Vermeulen"
EMAIL = "annemarie.vanderheijden-vermeulen@voorbeeldstad-gemeente.example.nl"

# Elements that stick out past the right edge of the viewport, outside a region that scrolls
# on its own: what made the page wider (for the failure message).
WIDER_THAN_VIEWPORT = """() => {
  const out = [];
  for (const el of document.querySelectorAll('body *')) {
    let inner = el.parentElement, clipped = false;
    for (; inner && inner !== document.body; inner = inner.parentElement) {
      if (['auto', 'scroll', 'hidden'].includes(getComputedStyle(inner).overflowX)) { clipped = true; break; }
    }
    const right = Math.round(el.getBoundingClientRect().right);
    if (!clipped && right > window.innerWidth) {
      const name = el.tagName.toLowerCase() + (el.id ? '#' + el.id : '');
      out.push(name + (el.className ? '.' + el.className : '') + ' right=' + right);
    }
  }
  return out.slice(0, 10);
}"""


@pytest.fixture(scope="module")
def staff_stack(own_kafka: KafkaNode, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    stack = make_stack(
        tmp_path_factory.mktemp("staff-pages"),
        own_kafka,
        KLACHTSTROOM_INTAKE_ORGANISATION="Gemeente Voorbeeldstad",
        KLACHTSTROOM_REPORTING_ORGANISATION="Gemeente Voorbeeldstad",
    )
    with started_stack(stack) as started:
        yield started


@pytest.fixture(scope="module")
def apis(staff_stack: Stack) -> dict[str, Api]:
    return {name: Api(proc.url) for name, proc in staff_stack.services.items()}


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield launched
        launched.close()


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    # The browser runs in UTC on purpose: what the pages show must not depend on the reader's
    # clock. The pages forbid scripts of their own (CSP); the test's axe-core is let in on purpose.
    opened = browser.new_context(
        locale="nl-NL", timezone_id="UTC", viewport={"width": WIDTHS[0], "height": 900}, bypass_csp=True
    )
    yield opened
    opened.close()


def sign_in(page: Page, base: str, path: str, role: str, name: str) -> None:
    """Open a staff page without a session: the gate sends the browser to `/aanmelden`, where
    the development issuer's form asks for a role; after it the browser is back on the page."""
    page.goto(base + path)
    expect(page).to_have_url(re.compile(r"/aanmelden\?volgende="))
    check_reflow_and_axe(page)  # the sign-in page is a staff page too
    page.get_by_label("Rol", exact=True).select_option(role)
    page.get_by_label("Naam (leeg: ontwikkelaar)").fill(name)
    page.get_by_role("button", name="Aanmelden").click()
    expect(page).to_have_url(base + path)


def axe_violations(page: Page) -> list[dict[str, Any]]:
    page.add_script_tag(path=str(AXE))
    found = page.evaluate(
        "async (tags) => (await axe.run(document, {runOnly: {type: 'tag', values: tags}})).violations", WCAG
    )
    return [{"id": v["id"], "nodes": [n["target"] for n in v["nodes"]][:5]} for v in found]


def sideways_overflow(page: Page) -> dict[str, Any] | None:
    """None when the page fits the viewport's width; else the widths and what sticks out."""
    widths = page.evaluate(
        "() => ({scroll: Math.max(document.documentElement.scrollWidth, document.body.scrollWidth),"
        " viewport: window.innerWidth})"
    )
    if widths["scroll"] <= widths["viewport"]:
        return None
    return widths | {"wider": page.evaluate(WIDER_THAN_VIEWPORT)}


def check_reflow_and_axe(page: Page, shot: str | None = None) -> None:
    url = page.url
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(url)
        if width == 320:
            assert sideways_overflow(page) is None, url
            if shot:
                SCREENSHOTS.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(SCREENSHOTS / f"staff-320-{shot}.png"), full_page=True)
        assert axe_violations(page) == [], f"{url} at {width} px"
    page.set_viewport_size({"width": WIDTHS[0], "height": 900})


def check_staff_page(page: Page, *texts: str, shot: str | None = None) -> str:
    """Reflow, axe and Dutch dates on the page the browser shows; its visible text."""
    for text in texts:
        expect(page.locator("main")).to_contain_text(text)
    check_reflow_and_axe(page, shot)
    shown = page.locator("body").inner_text()
    assert DUTCH_DATE.search(shown), f"no Dutch date on {page.url}"
    for pattern in NOT_DUTCH:
        assert not pattern.search(shown), f"{pattern.pattern!r} on {page.url}: {pattern.search(shown)}"
    return shown


def dutch_moment(at: str) -> str:
    """What a staff page must show for an API moment, worked out here without the app's helper:
    a day given without a time is stored as 00:00 UTC and shows as the day alone."""
    moment = datetime.fromisoformat(at)
    local = moment.astimezone(AMSTERDAM)
    day = f"{local.day} {MONTHS[local.month - 1]} {local.year}"
    return day if moment.astimezone(UTC).time() == time(0) else f"{day} om {local:%H:%M}"


def case_by_reference(routing: Api, reference: str) -> dict[str, Any] | None:
    code, body = routing.get("/api/v1/cases?limit=100")
    if code != 200:
        return None
    found = [c for c in body["items"] if c["reference"] == reference]
    return found[0] if found else None


def submit(intake: Api, description: str, received: date, **fields: Any) -> str:
    body = {"channel": "letter", "description": description, "received_at": received.isoformat(), **fields}
    code, accepted = intake.post("/api/v1/complaints", body)
    assert code == 202, accepted
    return str(accepted["reference"])


def test_every_staff_page_reflows_at_320_px_passes_axe_and_speaks_dutch_dates(
    apis: dict[str, Api], browser: Browser, context: BrowserContext
) -> None:
    intake, routing, deadlines, reporting = (apis[n] for n in ("intake", "routing", "deadlines", "reporting"))
    page = context.new_page()

    # 1. The KCC employee registers a phone call, at a phone's width.
    sign_in(page, intake.base, "/kcc", "kcc", "KCC-medewerker Voorbeeldstad")
    check_reflow_and_axe(page, "kcc")  # the form shows no date but in its date field
    page.set_viewport_size({"width": 320, "height": 900})
    page.get_by_label("Omschrijving of telefoonnotitie").fill(
        "Mijn aanvraag voor huishoudelijke hulp ligt al vier maanden stil en niemand belt terug."
    )
    page.locator("#unit").fill(UNIT)
    page.locator("#name").fill(HANDLER)
    page.locator("#email").fill(EMAIL)
    page.get_by_role("button", name="Klacht registreren").click()
    expect(page.get_by_role("heading", name="Klacht geregistreerd")).to_be_visible()
    assert sideways_overflow(page) is None  # the resident's long link wraps
    assert axe_violations(page) == []
    called_in = page.locator(".reference").inner_text().strip()

    # Two more by letter, received weeks ago: the decision term (6 weeks) ends in two days, and
    # has ended, so every "at risk" and "late" table has rows.
    today = datetime.now(AMSTERDAM).date()
    soon = submit(intake, "Ik kreeg een boete terwijl mijn vergunning gewoon geldig was.",
                  today - timedelta(weeks=6) + timedelta(days=2), unit=UNIT)  # fmt: skip
    late = submit(intake, "Mijn bezwaar over de WOZ-waarde is nooit beantwoord, ook niet na bellen.",
                  today - timedelta(weeks=8), unit="Belastingen", urgent=True)  # fmt: skip
    cases = {
        ref: eventually(lambda r=ref: case_by_reference(routing, r), timeout=60)
        for ref in (called_in, soon, late)
    }

    # 2. The coordinator: the work queue, then a case, assigned through its form.
    coordinator = context.new_page()
    sign_in(coordinator, routing.base, "/", "coordinator", HANDLER)
    check_staff_page(coordinator, soon, late, "Werkvoorraad", shot="work-queue")
    case_id = cases[called_in]["id"]
    coordinator.goto(f"{routing.base}/klachten/{case_id}")
    assign = coordinator.locator("form[action$='/actie/assign']")
    assign.get_by_label("Behandelaar").fill(HANDLER)
    assign.get_by_label("Afdeling").fill(UNIT)
    assign.get_by_role("button").click()
    expect(coordinator.get_by_role("status")).to_contain_text("Gelukt")
    eventually(lambda: routing.get(f"/api/v1/cases/{case_id}")[1].get("deadlines"), timeout=60)
    coordinator.reload()
    case = routing.get(f"/api/v1/cases/{case_id}")[1]
    shown = check_staff_page(coordinator, called_in, HANDLER, EMAIL, shot="case")
    assert dutch_moment(str(case["received_at"])) in shown  # received: day and time in Amsterdam
    for entry in case["history"]:
        assert dutch_moment(entry["at"]) in shown, entry["action"]
    for term in case["deadlines"]:
        due = date.fromisoformat(term["due"])
        assert f"{due.day} {MONTHS[due.month - 1]} {due.year}" in shown, term["kind"]
    coordinator.goto(f"{routing.base}/?behandelaar={HANDLER}")
    check_staff_page(coordinator, called_in)

    # 3. The term watch of deadlines, and the coordinator's dashboard in reporting.
    watch = context.new_page()
    sign_in(watch, deadlines.base, "/", "coordinator", HANDLER)
    eventually(lambda: watch.reload() or soon in watch.locator("main").inner_text(), timeout=60)
    check_staff_page(watch, soon, "Termijnbewaking", shot="term-watch")
    dashboard = context.new_page()
    sign_in(dashboard, reporting.base, "/", "coordinator", HANDLER)
    eventually(lambda: dashboard.reload() or late in dashboard.locator("main").inner_text(), timeout=60)
    check_staff_page(dashboard, soon, late, called_in, "Termijnen in gevaar", shot="dashboard")

    # 4. The register import, intake's other staff page (a functional administrator's).
    admin = browser.new_context(locale="nl-NL", viewport={"width": WIDTHS[0], "height": 900}, bypass_csp=True)
    try:
        importing = admin.new_page()
        sign_in(importing, intake.base, "/import", "admin", "Functioneel beheerder")
        check_reflow_and_axe(importing)
    finally:
        admin.close()


def test_the_checks_can_fail(context: BrowserContext) -> None:
    """Each check sees what it guards against: a page wider than the phone, an axe violation,
    an ISO date."""
    page = context.new_page()
    page.set_viewport_size({"width": 320, "height": 900})
    page.set_content(
        '<html lang="nl"><head><title>t</title><meta name="viewport" content="width=device-width">'
        '</head><body><main><table><tr><td style="white-space:nowrap">Einddatum 2026-12-06T13:05:00Z,'
        " een heel lange regel die niet past</td></tr></table><img src=x.png></main></body></html>"
    )
    wide = sideways_overflow(page)
    assert wide is not None and wide["viewport"] == 320 and any(w.startswith("td") for w in wide["wider"])
    assert any(v["id"] == "image-alt" for v in axe_violations(page))
    assert any(p.search(page.locator("body").inner_text()) for p in NOT_DUTCH)
    # The same table inside a region of its own that scrolls: the page itself fits again.
    page.evaluate(
        "() => { const w = document.createElement('div'); w.style.overflowX = 'auto';"
        " const t = document.querySelector('table'); t.before(w); w.append(t); }"
    )
    assert sideways_overflow(page) is None
