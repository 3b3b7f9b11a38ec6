"""The public complaint form in a real browser (Debian's Chromium through Playwright).

Intake runs in-process on a free port with its own SQLite database; Kafka is not needed to
receive a complaint (the outbox keeps the event). Screenshots go to docs/screenshots/.
"""

from __future__ import annotations

import re
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
if CHROMIUM is None:
    pytest.skip("Chromium is not installed (apt-get install chromium)", allow_module_level=True)

import uvicorn  # noqa: E402
from playwright.sync_api import Browser, FilePayload, Page, expect, sync_playwright  # noqa: E402

from klachtstroom.intake.app import create_service  # noqa: E402
from klachtstroom.intake.settings import IntakeSettings  # noqa: E402
from klachtstroom.platform.settings import PlatformSettings  # noqa: E402

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent
SCREENSHOTS = ROOT / "docs" / "screenshots"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
REFERENCE = re.compile(r"KL-\d{4}-\d{6}")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def intake_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    settings = PlatformSettings(
        data_dir=tmp_path_factory.mktemp("browser"), kafka_bootstrap="127.0.0.1:9", log_level="WARNING"
    )
    _service, app = create_service(
        settings, IntakeSettings(smtp_enabled=False, organisation="Gemeente Voorbeeldstad")
    )
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "intake did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(15)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(locale="nl-NL", viewport={"width": 1000, "height": 900})
    yield context.new_page()
    context.close()


def focused_id(page: Page) -> str:
    return str(page.evaluate("document.activeElement.id || document.activeElement.tagName"))


def test_a_resident_fills_in_the_form_and_sees_the_reference(page: Page, intake_url: str) -> None:
    page.goto(intake_url + "/")
    expect(page).to_have_title(re.compile("Klacht indienen"))
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "form.png"), full_page=True)
    page.get_by_label("Wat is er gebeurd?").fill("Bij het loket werd ik uitgelachen toen ik hulp vroeg.")
    page.get_by_label("Over welke afdeling gaat uw klacht?").select_option("Inkomen")
    page.get_by_label("E-mailadres").fill("inwoner@example.nl")
    page.get_by_label("Meteen een formele behandeling").check()
    letter: FilePayload = {"name": "brief.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4\n%"}
    page.get_by_label("Bestanden toevoegen").set_input_files([letter])
    page.get_by_role("button", name="Klacht versturen").click()
    expect(page.get_by_role("heading", name="Wij hebben uw klacht ontvangen")).to_be_visible()
    assert REFERENCE.search(page.locator(".reference").inner_text())
    expect(page.get_by_text("Binnen 5 werkdagen nemen we contact met u op.")).to_be_visible()
    page.screenshot(path=str(SCREENSHOTS / "confirmation.png"), full_page=True)


def test_the_form_can_be_sent_with_the_keyboard_alone(page: Page, intake_url: str) -> None:
    page.goto(intake_url + "/")
    page.keyboard.press("Tab")
    assert focused_id(page) == "A"  # the skip link comes first
    expect(page.get_by_role("link", name="Direct naar de inhoud")).to_be_visible()
    page.keyboard.press("Enter")
    typed = {
        "omschrijving": "Mijn post is drie keer naar een verkeerd adres gestuurd.",
        "telefoon": "06 12345678",
    }
    for _ in range(40):
        page.keyboard.press("Tab")
        current = focused_id(page)
        outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
        assert outline != "none", f"no visible focus on {current}"
        if current in typed:
            page.keyboard.type(typed.pop(current))
        if current == "BUTTON":
            break
    assert typed == {} and focused_id(page) == "BUTTON"
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Wij hebben uw klacht ontvangen")).to_be_visible()
    assert REFERENCE.search(page.content())


def test_an_empty_form_shows_a_readable_error_summary_that_gets_focus(page: Page, intake_url: str) -> None:
    page.goto(intake_url + "/")
    page.get_by_role("button", name="Klacht versturen").click()
    summary = page.locator(".error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_be_focused()
    expect(page).to_have_title(re.compile("^Fout: "))
    expect(summary.get_by_role("heading")).to_have_text("Er is een probleem")
    expect(summary.get_by_role("link", name="Vul in wat er is gebeurd.")).to_be_visible()
    summary.get_by_role("link", name="Vul in wat er is gebeurd.").click()
    expect(page.get_by_label("Wat is er gebeurd?")).to_be_focused()
    expect(page.locator("#omschrijving")).to_have_attribute("aria-invalid", "true")


def test_the_form_works_without_javascript(browser: Browser, intake_url: str) -> None:
    context = browser.new_context(java_script_enabled=False, locale="nl-NL")
    page = context.new_page()
    page.goto(intake_url + "/")
    page.get_by_label("Wat is er gebeurd?").fill("Zonder JavaScript: ik kreeg geen antwoord op mijn brief.")
    page.get_by_label("Ik wil niet dat u contact met mij opneemt").check()
    page.get_by_role("button", name="Klacht versturen").click()
    expect(page.get_by_role("heading", name="Wij hebben uw klacht ontvangen")).to_be_visible()
    context.close()
