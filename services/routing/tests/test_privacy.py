"""Routing's side of the privacy API: a person's cases for a request for access, and retention."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select

from klachtstroom.routing.tables import CaseRow, HistoryRow, SentLetterRow

if TYPE_CHECKING:
    from conftest import Harness


async def _closed(routing: Harness, action: str, at: str, **body: object) -> str:
    case_id = await routing.receive(description="Pietje Puk schold mij uit.", about_employee="Pietje Puk")
    await routing.act(case_id, "assign", handler_name="Marieke Vos")
    response = await routing.act(case_id, action, at=at, **body)
    assert response.status_code == 200, response.text
    return case_id


async def test_access_lists_the_cases_with_history_and_letters(routing: Harness) -> None:
    case_id = await _closed(
        routing, "resolve", "2026-03-20T10:00:00+01:00",
        outcome="upheld", resolution="informal", summary="Excuses aangeboden door Marieke Vos.",
    )  # fmt: skip
    response = await routing.http.get("/api/v1/privacy/cases", params={"complaint_id": [case_id, "unknown"]})
    assert response.status_code == 200
    [case] = response.json()["items"]
    assert case["id"] == case_id and case["state"] == "resolved"
    assert any(h["action"] == "resolve" for h in case["history"])
    assert {letter["kind"] for letter in case["letters"]} >= {"ontvangstbevestiging", "uitkomst"}
    # A letter marked sent is shown as it was sent, with when.
    assert (await routing.http.post(f"/api/v1/cases/{case_id}/letters/uitkomst/sent")).status_code == 201
    response = await routing.http.get("/api/v1/privacy/cases", params={"complaint_id": [case_id]})
    [case] = response.json()["items"]
    outcome = [letter for letter in case["letters"] if letter["kind"] == "uitkomst"]
    assert len(outcome) == 1 and outcome[0]["sent_at"] is not None


async def test_retention_destroys_free_text_past_the_term_and_keeps_what_is_counted(routing: Harness) -> None:
    resolved = await _closed(
        routing, "resolve", "2026-03-20T10:00:00+01:00",
        outcome="upheld", resolution="informal", summary="Excuses aangeboden door Marieke Vos.",
    )  # fmt: skip
    sent = await routing.http.post(f"/api/v1/cases/{resolved}/letters/uitkomst/sent")
    assert sent.status_code == 201, sent.text
    declined = await _closed(routing, "decline", "2026-03-20T10:00:00+01:00", reason="older_than_one_year")
    still_open = await routing.receive(description="Nog in behandeling, Jan Jansen.")

    # One year after closing only the declined file has passed its term (1 year); the resolved one keeps 5.
    run = await routing.http.post("/api/v1/privacy/retention/run", json={"as_of": "2027-03-20"})
    assert run.json()["ids"] == [declined]
    run = await routing.http.post("/api/v1/privacy/retention/run", json={"as_of": "2031-03-19"})
    assert run.json()["ids"] == []
    run = await routing.http.post("/api/v1/privacy/retention/run", json={"as_of": "2031-03-20"})
    assert run.json() == {"service": "routing", "as_of": "2031-03-20", "destroyed": 1, "ids": [resolved]}
    due = await routing.http.get("/api/v1/privacy/retention/due", params={"as_of": "2031-03-20"})
    assert set(due.json()["complaint_ids"]) == {resolved, declined}

    async with routing.service.db.reading() as session:
        row = await session.get(CaseRow, resolved)
        assert row is not None and row.description == "" and row.destroyed_at is not None
        assert row.state == "resolved" and row.outcome == "upheld" and row.category == "conduct"
        assert row.handler_name is None and "Pietje Puk" not in str(row.data)
        history = (await session.scalars(select(HistoryRow).where(HistoryRow.case_id == resolved))).all()
        assert history, history
        for h in history:
            assert "Marieke Vos" not in f"{h.actor} {h.reason} {h.data}", h.action
        # The letter as it was sent held the complainant's name and address: gone with the file.
        letters = select(SentLetterRow).where(SentLetterRow.case_id == resolved)
        assert (await session.scalars(letters)).all() == []
        kept = await session.get(CaseRow, still_open)
        assert kept is not None and kept.destroyed_at is None
    case = await routing.case(resolved)
    assert case["state"] == "resolved" and case["outcome"] == "upheld"


async def test_the_ombudsman_keeps_a_file_ten_years(routing: Harness) -> None:
    case_id = await _closed(
        routing, "resolve", "2026-03-20T10:00:00+01:00", outcome="not_upheld", resolution="informal"
    )
    assert (await routing.act(case_id, "refer-ombudsman", at="2026-05-01T10:00:00+02:00")).status_code == 200
    run = await routing.http.post("/api/v1/privacy/retention/run", json={"as_of": "2035-03-19"})
    assert run.json()["ids"] == []
    run = await routing.http.post("/api/v1/privacy/retention/run", json={"as_of": "2036-03-20"})
    assert run.json()["ids"] == [case_id]  # the decision date, not the referral, starts the term
