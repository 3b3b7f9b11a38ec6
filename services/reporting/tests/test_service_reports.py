"""The Reporting API on SQLite, fed through the real consumer path (inbox, batches, fold)."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from register_2025 import EXPECTED_2025, register
from reporting_events import interleave
from reporting_harness import Harness, start_harness


async def fed(harness: Harness, seed: int = 1) -> Harness:
    await harness.deliver(interleave(register(), seed))
    return harness


async def test_annual_json_is_exactly_what_was_fed(harness: Harness) -> None:
    report = await (await fed(harness)).json("/api/v1/reports/annual/2025")
    assert {k: report[k] for k in EXPECTED_2025} == EXPECTED_2025
    assert report["as_of"] == "2025-12-31"
    assert report["comparison"]["total"] == 2


async def test_delivering_the_same_events_again_changes_nothing(harness: Harness) -> None:
    await fed(harness, seed=2)
    first = (await harness.get("/api/v1/reports/annual/2025")).content
    await harness.deliver(interleave(register(), 3))  # new ids: a second register, so counts double
    doubled = await harness.json("/api/v1/reports/annual/2025")
    assert doubled["total"] == 20
    # Redelivery of the very same events (at-least-once Kafka) is ignored by the inbox.
    stories = register()
    order = interleave(stories, 4)
    await harness.deliver(order)
    once = (await harness.get("/api/v1/reports/annual/2025")).content
    await harness.deliver(order)
    assert (await harness.get("/api/v1/reports/annual/2025")).content == once
    assert first != once


async def test_municipality_filter(harness: Harness) -> None:
    report = await (await fed(harness)).json("/api/v1/reports/annual/2025?municipality=Buurdorp")
    assert report["total"] == 2
    assert report["by_municipality"] == {"Buurdorp": {"2022": 0, "2023": 0, "2024": 0, "2025": 2}}
    assert report["municipality"] == "Buurdorp"


async def test_csv_html_and_pdf_formats(harness: Harness) -> None:
    await fed(harness)
    csv_response = await harness.get("/api/v1/reports/annual/2025?format=csv")
    assert csv_response.headers["content-type"] == "text/csv; charset=utf-8"
    rows = list(csv.reader(io.StringIO(csv_response.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == ["Jaarverslag klachtbehandeling", "2025"]
    assert ["Telefoon", "2", "4", "+2"] in rows  # 2024: the two phone calls

    html = await harness.get("/api/v1/reports/annual/2025?format=html")
    assert html.headers["content-type"].startswith("text/html")
    assert '<html lang="nl">' in html.text and "Jaarverslag klachtbehandeling 2025" in html.text

    pdf = await harness.get("/api/v1/reports/annual/2025?format=pdf")
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF-") and pdf.content.rstrip().endswith(b"%%EOF")
    again = await harness.get("/api/v1/reports/annual/2025?format=pdf")
    assert again.content == pdf.content  # deterministic

    bad = await harness.get("/api/v1/reports/annual/2025?format=docx")
    assert bad.status_code == 422


async def test_provider_report_and_mediated_overview(harness: Harness) -> None:
    await fed(harness)
    asked = harness.routing_with_measures("Training bejegening")
    report = await harness.json("/api/v1/reports/providers/Zorg Plus/2025-H1")
    assert len(asked) == 1  # routing is asked for the one case the report covers
    assert (report["provider"], report["period"], report["total"]) == ("Zorg Plus", "2025-H1", 1)
    assert report["by_outcome"]["partly_upheld"] == 1
    assert report["measures"] == ["Training bejegening"]
    assert (await harness.json("/api/v1/reports/providers/Zorg Plus/2025-H2"))["total"] == 0
    html = await harness.get("/api/v1/reports/providers/Zorg Plus/2025-H1?format=html")
    assert "Halfjaarrapportage klachten Zorg Plus" in html.text
    pdf = await harness.get("/api/v1/reports/providers/Zorg Plus/2025-H1?format=pdf")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF-") and b"Halfjaarrapportage" in pdf.content
    assert 'filename="halfjaarrapportage-zorg-plus-2025-H1.pdf"' in pdf.headers["content-disposition"]
    table = await harness.get("/api/v1/reports/providers/Zorg Plus/2025-H1?format=csv")
    assert table.headers["content-type"] == "text/csv; charset=utf-8"
    rows = list(csv.reader(io.StringIO(table.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == ["Halfjaarrapportage klachten", "Zorg Plus", "2025-H1"]
    assert ["Gedeeltelijk gegrond", "1"] in rows or any(r[:1] == ["Gedeeltelijk gegrond"] for r in rows)
    wrong = await harness.get("/api/v1/reports/providers/Zorg Plus/2025-H3")
    assert wrong.status_code == 422 and "2026-H1" in wrong.text

    mediated = await harness.json("/api/v1/reports/mediated/2025")
    assert (mediated["total"], mediated["by_provider"]) == (1, {"Zorg Plus": 1})


async def test_open_data_names_only_common_units_and_municipalities(tmp_path: Path) -> None:
    harness = await start_harness(tmp_path, units="Inkomen,Werk,Wmo", municipalities="Voorbeeldstad,Buurdorp")
    try:
        await _open_data_names_only_common_listed_names(harness)
    finally:
        await harness.close()


async def test_without_configured_lists_open_data_names_nobody(harness: Harness) -> None:
    await fed(harness)
    response = await harness.get("/api/v1/open-data/2025.csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert {r["afdeling"] for r in rows} <= {"overig", ""}
    assert {r["gemeente"] for r in rows} == {"overig"}


async def test_the_published_annual_report_names_only_listed_common_units(tmp_path: Path) -> None:
    harness = await start_harness(tmp_path, units="Inkomen", municipalities="Voorbeeldstad")
    try:
        await fed(harness)
        full = await harness.json("/api/v1/reports/annual/2025")
        published = await harness.json("/api/v1/reports/annual/2025?published=true")
        assert set(published["by_unit"]) == {"Inkomen", "overig"} | ({"unknown"} & set(full["by_unit"]))
        assert set(published["by_municipality"]) == {"Voorbeeldstad", "overig"}
        assert published["total"] == full["total"]
        assert sum(sum(c.values()) for c in published["by_unit"].values()) == sum(
            sum(c.values()) for c in full["by_unit"].values()
        )
        html = (await harness.get("/api/v1/reports/annual/2025?published=true&format=html")).text
        assert "Werk" not in html and "Buurdorp" not in html
    finally:
        await harness.close()


async def _open_data_names_only_common_listed_names(harness: Harness) -> None:
    await fed(harness)
    response = await harness.get("/api/v1/open-data/2025.csv")
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    rows: list[dict[str, Any]] = list(
        csv.DictReader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";")
    )
    assert len(rows) == 10
    assert {r["afdeling"] for r in rows} == {"Inkomen", "Werk", ""}  # 6 and 3 registrations: published
    assert {r["gemeente"] for r in rows} == {"Voorbeeldstad", "overig"}  # Buurdorp has only 2
    text = response.content.decode("utf-8-sig")
    for private in ("KL-2025", "Zorg Plus", "Training", "c-0"):
        assert private not in text


async def test_the_dashboard_shows_open_cases_terms_at_risk_figures_and_signals(harness: Harness) -> None:
    await fed(harness)
    page = (await harness.get("/?year=2025")).text
    assert '<html lang="nl">' in page and "Klachtendashboard" in page
    assert "Termijnen in gevaar" in page and "3 dagen verlopen" in page  # C: due 12 January 2026
    assert "Beslissen op de klacht" in page
    assert 'href="http://127.0.0.1:8001/klachten/' in page  # every reference links to its case
    assert 'role="img"' in page and "<script" not in page
    assert "Meldingen per onderwerp, 2025" in page
    assert "Nog geen signalen verstuurd." in page
    assert "Ontvangen in 2025" in page


async def test_openapi_lists_the_reporting_api_and_bad_years_are_refused(harness: Harness) -> None:
    paths = (await harness.json("/openapi.json"))["paths"]
    for path in (
        "/api/v1/reports/annual/{year}",
        "/api/v1/reports/providers/{provider}/{period}",
        "/api/v1/reports/mediated/{year}",
        "/api/v1/signals",
        "/api/v1/open-data/{year}.csv",
        "/",
    ):
        assert path in paths
    assert (await harness.get("/api/v1/reports/annual/12345")).status_code == 422
    assert (await harness.get("/api/v1/open-data/twintig.csv")).status_code == 422
    empty = await harness.json("/api/v1/reports/annual/2031")
    assert empty["total"] == 0 and empty["summary_sentences"] == ["In 2031 zijn geen klachten geregistreerd."]
