"""The public HTTP API of deadlines (DESIGN.md): due dates, the calendar, the terms of cases."""

from __future__ import annotations

import pytest
from deadlines_harness import Instance, at, change, new_case_id, opened, reference_of

from klachtstroom.contracts import case_events as ev


async def test_due_after_weeks_explains_itself(deadlines: Instance) -> None:
    response = await deadlines.http.get("/api/v1/calendar/due", params={"start": "2026-03-03", "weeks": 6})
    assert response.status_code == 200
    assert response.json() == {
        "start": "2026-03-03",
        "due": "2026-04-14",
        "unmoved": "2026-04-14",
        "explanation": [
            "Start: dinsdag 3 maart 2026",
            "+ 6 weken = dinsdag 14 april 2026",
            "Einddatum: dinsdag 14 april 2026",
        ],
    }


async def test_due_moves_past_holidays_and_counts_working_days(deadlines: Instance) -> None:
    # Fri 20 Feb 2026 + 6 weeks = Good Friday 3 Apr -> (Easter) -> Tue 7 Apr.
    moved = (
        await deadlines.http.get("/api/v1/calendar/due", params={"start": "2026-02-20", "weeks": 6})
    ).json()
    assert (moved["unmoved"], moved["due"]) == ("2026-04-03", "2026-04-07")
    assert any("Goede Vrijdag" in line for line in moved["explanation"])
    # Wed 24 Dec 2025 + 5 working days: 25/26 Dec, 1 Jan and the decree day 2 Jan do not count.
    counted = await deadlines.http.get(
        "/api/v1/calendar/due", params={"start": "2025-12-24", "working_days": 5}
    )
    assert counted.json()["due"] == "2026-01-06"


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"start": "2026-03-03", "weeks": 6, "working_days": 5}, "weeks", "niet allebei"),
        ({"start": "2026-03-03"}, "weeks", "Geef het aantal weken (weeks) of het aantal werkdagen"),
        ({"start": "2026-03-03", "weeks": -1}, "weeks", "tussen 0 en 520"),
        ({"start": "2026-03-03", "working_days": -3}, "working_days", "tussen 1 en 2600"),
        ({"weeks": 6}, "start", "Geef de startdatum op"),
        ({"start": "3 maart", "weeks": 6}, "start", "Geef een datum als JJJJ-MM-DD."),
        ({"start": "2026-03-03", "weeks": "zes"}, "weeks", "Geef een geheel getal."),
    ],
)
async def test_bad_due_requests_get_a_dutch_422(
    deadlines: Instance, params: dict[str, object], field: str, message: str
) -> None:
    response = await deadlines.http.get("/api/v1/calendar/due", params=params)
    assert response.status_code == 422
    problems = {p["field"]: p["message"] for p in response.json()["errors"]}
    assert message in problems[field]


async def test_calendar_lists_statutory_decree_and_local_days(deadlines: Instance) -> None:
    added = await deadlines.http.put(
        "/api/v1/calendar/days",
        json={"days": [{"date": "2026-12-28", "name": "Collectieve vrije dag", "source": "gemeente"}]},
    )
    assert added.status_code == 202
    listing = (await deadlines.http.get("/api/v1/calendar/2026")).json()
    days = {(d["date"], d["source"]): d["name"] for d in listing["items"]}
    assert days[("2026-04-27", "termijnenwet")] == "Koningsdag"
    assert days[("2026-05-05", "termijnenwet")] == "Bevrijdingsdag"  # every year, not every fifth
    assert days[("2026-05-15", "besluit")] == "Vrijdag na Hemelvaartsdag 2026"
    assert days[("2026-12-28", "gemeente")] == "Collectieve vrije dag"
    assert listing["next"] is None
    # A decree for a year the shipped file does not know yet, added without a release.
    await deadlines.http.put(
        "/api/v1/calendar/days",
        json={
            "days": [{"date": "2029-05-11", "name": "Vrijdag na Hemelvaartsdag 2029", "source": "besluit"}]
        },
    )
    due = await deadlines.http.get("/api/v1/calendar/due", params={"start": "2029-04-27", "weeks": 2})
    assert due.json()["due"] == "2029-05-14"

    assert (await deadlines.http.delete("/api/v1/calendar/days/2026-12-28")).status_code == 204
    assert (await deadlines.http.delete("/api/v1/calendar/days/2026-12-28")).status_code == 404
    assert (await deadlines.http.get("/api/v1/calendar/12")).status_code == 422


async def test_bad_calendar_days_are_refused(deadlines: Instance) -> None:
    response = await deadlines.http.put(
        "/api/v1/calendar/days", json={"days": [{"date": "2026-13-01", "name": "", "source": "feest"}]}
    )
    assert response.status_code == 422
    messages = {p["field"].rsplit(".", 1)[-1]: p["message"] for p in response.json()["errors"]}
    assert messages["date"] == "Geef een datum als JJJJ-MM-DD."
    assert messages["name"].startswith("Deze tekst is te kort")
    assert messages["source"].startswith("Onbekende waarde; kies uit")


async def test_deadlines_of_one_case_and_of_all_cases_with_filters_and_pages(deadlines: Instance) -> None:
    first, second = new_case_id(), new_case_id()
    await deadlines.deliver(opened(first), opened(second, received_at=at(10)))
    await deadlines.deliver(change(ev.CaseAcknowledged, first, at(4), state="acknowledged"))

    one = (await deadlines.http.get("/api/v1/deadlines", params={"case_id": first})).json()
    assert [(d["kind"], d["state"]) for d in one["items"]] == [
        ("contact", "met"),
        ("decision", "running"),
        ("decline", "running"),
    ]
    assert set(one["items"][0]) >= {
        "case_id",
        "kind",
        "start",
        "due",
        "state",
        "extended_weeks",
        "explanation",
    }
    assert one["next"] is None

    running = (
        await deadlines.http.get("/api/v1/deadlines", params={"state": "running", "kind": "decision"})
    ).json()
    assert {d["case_id"] for d in running["items"]} == {first, second}
    early = await deadlines.http.get(
        "/api/v1/deadlines", params={"kind": "decision", "due_before": "2026-04-15"}
    )
    assert [d["case_id"] for d in early.json()["items"]] == [first]

    seen, url = [], "/api/v1/deadlines?limit=4"
    while url:
        page = (await deadlines.http.get(url)).json()
        seen += page["items"]
        url = page["next"]
    assert len(seen) == 6 and len({(d["case_id"], d["kind"]) for d in seen}) == 6

    bad = await deadlines.http.get("/api/v1/deadlines", params={"state": "open"})
    assert bad.status_code == 422
    assert "kies uit: running, suspended, met, breached, cancelled" in bad.json()["errors"][0]["message"]


async def test_an_unknown_case_has_no_deadlines_yet(deadlines: Instance) -> None:
    response = await deadlines.http.get("/api/v1/deadlines", params={"case_id": new_case_id()})
    assert response.json() == {"items": [], "next": None}
    assert (await deadlines.http.get(f"/api/v1/deadlines/cases/{new_case_id()}")).status_code == 404


async def test_openapi_is_served(deadlines: Instance) -> None:
    paths = (await deadlines.http.get("/openapi.json")).json()["paths"]
    assert {
        "/api/v1/deadlines",
        "/api/v1/calendar/{year}",
        "/api/v1/calendar/due",
        "/api/v1/escalation",
    } <= set(paths)


async def test_the_overview_page_lists_late_and_coming_terms(deadlines: Instance) -> None:
    late, coming = new_case_id(), new_case_id()
    await deadlines.deliver(opened(late, received_at=at(2, month=2)), opened(coming))
    page = await deadlines.http.get("/")
    assert page.status_code == 200
    html = page.text
    assert html.startswith("<!doctype html>") and 'lang="nl"' in html and "<script" not in html
    late_part, coming_part = html.split("Eindigt binnen twee weken")
    assert reference_of(late) in late_part and reference_of(coming) not in late_part
    assert "contacttermijn" in coming_part and "dinsdag 10 maart 2026" in coming_part


async def test_a_cursor_beyond_64_bits_is_a_422_not_a_500(deadlines: Instance) -> None:
    for path in ("/api/v1/timers", "/api/v1/notifications"):
        response = await deadlines.http.get(path, params={"cursor": "9223372036854775808"})
        assert response.status_code == 422, path
        assert response.json()["errors"][0]["field"] == "cursor"
