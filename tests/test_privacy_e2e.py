"""Personal data over its whole life, over the running stack and real Kafka (issue 17).

- a register of 2015-2020 is imported; a request for access finds a person by e-mail and by
  BSN-free identifiers (keyed hashes) and returns complaints, cases with history and letters,
  and terms, as JSON and as a PDF letter;
- retention "now" (as of 6 December 2026) destroys every file past its Selectielijst term in
  every service, answers what it destroyed, leaves the ombudsman files (10 years) alone, and
  every annual report 2015-2020 gives the same counts afterwards;
- names, addresses, BSNs and phone numbers planted in every free field appear in no publication.
"""

from __future__ import annotations

import hashlib
import io
import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pypdfium2
import pytest
from e2e import Api, eventually, make_stack, started_stack
from kafka_node import KafkaNode
from stack import Stack

AS_OF = date(2026, 12, 6)
YEARS = range(2015, 2021)
# Per year: (channel, outcome, resolved month or None, ombudsman) — the closing date decides.
ROWS = (
    ("Telefoon", "Gegrond", 3, "nee"),
    ("Brief", "Ongegrond", 6, "nee"),
    ("E-mail", "Ingetrokken", 2, "nee"),
    ("Balie", "Deels gegrond", 9, "ja"),
    ("Webformulier", "Niet in behandeling genomen", 1, "nee"),
)
ANNUAL_2026 = "/api/v1/reports/annual/2026?published=true"
PLANTED = ("Jan Jansen", "Dorpsstraat 1", "123456782", "0612345678", "jan.jansen@example.nl", "Pietje Puk")


def bearer_of(api: Api) -> dict[str, str]:
    """The dev token the API client sends (access control), for plain httpx clients."""
    return {"Authorization": f"Bearer {api.token}"}


def _register() -> bytes:
    lines = [
        "Datum ontvangst;Kanaal;Omschrijving;Afdeling;Gemeente;Afhandeling;Uitkomst;Datum afgehandeld;"
        "Ombudsman;Naam;E-mail;Telefoon;Adres"
    ]
    for year in YEARS:
        for n, (channel, outcome, month, ombudsman) in enumerate(ROWS, start=1):
            lines.append(
                f"1{n}-01-{year};{channel};Klacht {year}-{n} over de behandeling door Pietje Puk;Inkomen;"
                f"Voorbeeldstad;Informeel;{outcome};15-{month:02d}-{year};{ombudsman};"
                f"Persoon {year}-{n};p{year}{n}@example.nl;06-{year}{n}{n}{n}{n};Straat {n}, Voorbeeldstad"
            )
    return ("\n".join(lines) + "\n").encode()


def _expected_destroyed() -> int:
    """Files past their term on AS_OF: 5 years after closing, 10 with the ombudsman, 1 when
    declined (inadmissible) or withdrawn."""
    count = 0
    for year in YEARS:
        for _channel, outcome, month, ombudsman in ROWS:
            years = (
                10
                if ombudsman == "ja"
                else 1
                if outcome in ("Ingetrokken", "Niet in behandeling genomen")
                else 5
            )
            if date(year + years, month, 15) <= AS_OF:
                count += 1
    return count


@pytest.fixture(scope="module")
def stack(own_kafka: KafkaNode, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    running = make_stack(
        tmp_path_factory.mktemp("privacy"),
        own_kafka,
        KLACHTSTROOM_REPORTING_UNITS="Inkomen,Werk",
        KLACHTSTROOM_REPORTING_MUNICIPALITIES="Voorbeeldstad",
    )
    with started_stack(running) as started:
        yield started


@pytest.fixture(scope="module")
def apis(stack: Stack) -> dict[str, Api]:
    return {name: Api(proc.url) for name, proc in stack.services.items()}


@pytest.fixture(scope="module")
def imported(apis: dict[str, Api]) -> list[dict[str, Any]]:
    register = _register()
    with httpx.Client(base_url=apis["intake"].base, timeout=60, headers=bearer_of(apis["intake"])) as client:
        job = client.post("/api/v1/imports", files={"file": ("register-2015-2020.csv", register)})
        assert job.status_code == 202, job.text

        def finished() -> Any:
            status = client.get(f"/api/v1/imports/{job.json()['id']}").json()
            return status if status["status"] in ("done", "failed") else None

        status = eventually(finished, timeout=120)
    assert (status["status"], status["imported"], status["errors"]) == ("done", 30, [])
    prefix = hashlib.sha256(register).hexdigest()[:16]
    complaints = []
    for row in range(2, 32):
        code, found = apis["intake"].get(f"/api/v1/complaints?source_ref=import:{prefix}:{row}")
        assert code == 200 and len(found["items"]) == 1, found
        complaints.append(found["items"][0])

    def all_closed_in_routing() -> bool:
        for complaint in complaints:
            code, case = apis["routing"].get(f"/api/v1/cases/{complaint['id']}")
            if code != 200 or case["state"] not in ("resolved", "declined", "withdrawn", "ombudsman"):
                return False
        return True

    eventually(all_closed_in_routing, timeout=120)

    def all_counted() -> bool:
        return all(apis["reporting"].get(f"/api/v1/reports/annual/{y}")[1].get("total") == 5 for y in YEARS)

    eventually(all_counted, timeout=120)
    return complaints


def test_access_finds_a_person_by_keyed_hash_and_returns_every_service(
    apis: dict[str, Api], imported: list[dict[str, Any]]
) -> None:
    code, dossier = apis["intake"].post("/api/v1/privacy/access", {"email": "P20203@example.nl"})
    assert code == 200, dossier
    [person] = dossier["contact_details"]
    assert person["name"] == "Persoon 2020-3" and person["phone"] == "06-20203333"
    [complaint] = dossier["complaints"]
    assert complaint["description"].startswith("Klacht 2020-3")
    [case] = dossier["cases"]
    assert case["id"] == complaint["id"] and case["state"] == "withdrawn" and case["history"]
    assert isinstance(case["letters"], list)
    assert "anonieme" in dossier["reporting"]
    code, by_id = apis["intake"].post("/api/v1/privacy/access", {"complaint_id": complaint["id"]})
    assert code == 200 and [c["id"] for c in by_id["complaints"]] == [complaint["id"]]
    code, by_phone = apis["intake"].post("/api/v1/privacy/access", {"phone": "+31 6 20203333"})
    assert code == 200 and [c["id"] for c in by_phone["complaints"]] == [complaint["id"]]
    assert apis["intake"].post("/api/v1/privacy/access", {"email": "niemand@example.nl"})[0] == 404
    assert apis["intake"].post("/api/v1/privacy/access", {})[0] == 422

    with httpx.Client(base_url=apis["intake"].base, timeout=60, headers=bearer_of(apis["intake"])) as client:
        letter = client.post("/api/v1/privacy/access?format=pdf", json={"email": "p20203@example.nl"})
    assert letter.status_code == 200 and letter.content.startswith(b"%PDF")
    text = _pdf_text(letter.content)
    assert "Inzage in uw gegevens" in text and "Persoon 2020-3" in text


def test_rectification_changes_contact_details_and_how_the_person_is_found(
    apis: dict[str, Api], imported: list[dict[str, Any]]
) -> None:
    target = next(c for c in imported if c["reference"].startswith("KL-2020"))
    code, _ = apis["intake"].call("PATCH", f"/api/v1/complaints/{target['id']}/contact",
                                  {"email": "nieuw-adres@example.nl", "reason": "verhuisd"})  # fmt: skip
    assert code == 200
    code, dossier = apis["intake"].post("/api/v1/privacy/access", {"email": "nieuw-adres@example.nl"})
    assert code == 200 and [c["id"] for c in dossier["complaints"]] == [target["id"]]
    code, log = apis["intake"].get("/api/v1/privacy/log")
    assert code == 200 and {e["action"] for e in log["items"]} >= {"access", "rectification"}
    assert "nieuw-adres" not in str(log)


def test_retention_destroys_files_past_their_term_and_reports_count_the_same(
    apis: dict[str, Api], imported: list[dict[str, Any]]
) -> None:
    formats = ("json", "csv")
    before = {(y, f): _report(apis, y, f) for y in YEARS for f in formats}
    code, run = apis["intake"].post("/api/v1/privacy/retention/run", {"as_of": AS_OF.isoformat()})
    assert code == 200, run
    expected = _expected_destroyed()
    routing, intake = run["services"]["routing"], run["services"]["intake"]
    assert routing["destroyed"] == expected, run
    assert intake["destroyed"] == expected and set(intake["ids"]) == set(routing["ids"])
    assert set(run["services"]) == {"routing", "intake", "deadlines", "reporting"}
    # Every annual report over those years gives the same counts afterwards.
    after = {(y, f): _report(apis, y, f) for y in YEARS for f in formats}
    assert after == before
    # A second run destroys nothing more.
    code, again = apis["intake"].post("/api/v1/privacy/retention/run", {"as_of": AS_OF.isoformat()})
    assert code == 200 and again["services"]["routing"]["destroyed"] == 0
    assert again["services"]["intake"]["destroyed"] == 0

    destroyed = set(routing["ids"])
    gone = next(c for c in imported if c["id"] in destroyed)
    code, case = apis["routing"].get(f"/api/v1/cases/{gone['id']}")
    assert code == 200 and case["state"] in ("resolved", "declined", "withdrawn")
    assert all(h["actor"] == "vernietigd" for h in case["history"])
    number = gone["reference"]
    year, n = _year_and_row(imported, gone)
    assert apis["intake"].post("/api/v1/privacy/access", {"email": f"p{year}{n}@example.nl"})[0] == 404, (
        number
    )
    # The ombudsman's files are kept 10 years: still there.
    kept = [c for c in imported if c["id"] not in destroyed]
    assert len(kept) == len(imported) - expected and kept
    code, log = apis["intake"].get("/api/v1/privacy/log")
    [entry] = [e for e in log["items"] if e["action"] == "retention"][-1:]
    assert entry["detail"]["destroyed"]["routing"] == expected


def test_no_planted_identifier_reaches_any_publication(apis: dict[str, Api]) -> None:
    for n in range(3):
        code, accepted = apis["intake"].post(
            "/api/v1/complaints",
            {
                "channel": "web_form",
                "received_at": "2026-02-0" + str(n + 2),
                "description": "Jan Jansen, Dorpsstraat 1, BSN 123456782, 0612345678: Pietje Puk was grof",
                "about_employee": "Pietje Puk",
                "unit": "Jan Jansen, Dorpsstraat 1",
                "municipality": "Dorpsstraat 1 bij Jan Jansen 0612345678",
                "provider": "Pietje Puk 123456782",
                "desired_outcome": "Excuses van Pietje Puk aan Jan Jansen, jan.jansen@example.nl",
                "complainant": {
                    "name": "Jan Jansen",
                    "email": "jan.jansen@example.nl",
                    "phone": "0612345678",
                    "address": "Dorpsstraat 1",
                    "bsn": "123456782",
                },
            },
        )
        assert code == 202, accepted
        case = eventually(lambda a=accepted: _case(apis, a["id"]), timeout=60)
        summary = "Gesprek met Jan Jansen (Dorpsstraat 1, 0612345678) en Pietje Puk; excuses gemaakt."
        code, body = apis["routing"].post(
            f"/api/v1/cases/{case['id']}/resolve",
            {"outcome": "upheld", "resolution": "informal", "summary": summary, "at": "2026-02-20"},
        )
        assert code == 200, body

    def counted() -> bool:
        return apis["reporting"].get("/api/v1/reports/annual/2026")[1].get("total", 0) >= 3

    eventually(counted, timeout=60)
    reporting = apis["reporting"]
    with httpx.Client(base_url=reporting.base, timeout=120, headers=bearer_of(reporting)) as client:
        published = {
            "open data": client.get("/api/v1/open-data/2026.csv").content.decode("utf-8-sig"),
            **{
                f"annual {f}": client.get(f"{ANNUAL_2026}&format={f}").text
                for f in ("json", "csv", "html")
            },
            "annual pdf": _pdf_text(
                client.get("/api/v1/reports/annual/2026?published=true&format=pdf").content
            ),
        }
    for name, text in published.items():
        for planted in PLANTED:
            assert planted not in text, f"{planted!r} published in the {name}"
            digits = re.sub(r"\D", "", planted)
            if len(digits) >= 9:
                assert digits not in re.sub(r"\D", "", text.replace("2026", "")), (planted, name)


def _case(apis: dict[str, Api], complaint_id: str) -> dict[str, Any] | None:
    code, case = apis["routing"].get(f"/api/v1/cases/{complaint_id}")
    return case if code == 200 else None


def _report(apis: dict[str, Api], year: int, format: str) -> str:
    reporting = apis["reporting"]
    with httpx.Client(base_url=reporting.base, timeout=60, headers=bearer_of(reporting)) as client:
        response = client.get(f"/api/v1/reports/annual/{year}", params={"format": format})
    assert response.status_code == 200
    return response.text


def _year_and_row(imported: list[dict[str, Any]], complaint: dict[str, Any]) -> tuple[int, int]:
    index = imported.index(complaint)
    return 2015 + index // len(ROWS), index % len(ROWS) + 1


def _pdf_text(content: bytes) -> str:
    document = pypdfium2.PdfDocument(io.BytesIO(content))
    try:
        return "\n".join(page.get_textpage().get_text_range() for page in document)
    finally:
        document.close()


def test_register_fixture_is_what_the_figures_assume() -> None:
    assert _expected_destroyed() == 26  # 6 + 6 + 6 + 6 one-year and five-year files, 2 of 6 ombudsman files
    assert Path(__file__).name == "test_privacy_e2e.py"
