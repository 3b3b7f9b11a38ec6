"""Learning from complaints in the reports: satisfaction after closing, upheld complaints per
behoorlijkheidsnorm, and the measures register (API, dashboard, annual and provider report)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from reporting_events import Story, interleave
from reporting_harness import Harness
from sqlalchemy import select, text

from klachtstroom.contracts import intake_events as ie
from klachtstroom.contracts.envelope import make_envelope
from klachtstroom.contracts.vocabulary import Category, Norm, Outcome, Resolution
from klachtstroom.reporting.learning import evidence
from klachtstroom.reporting.projection.queries import live_set
from klachtstroom.reporting.reports.aggregates import received_between


def feedback(story: Story, score: int, heard: bool) -> Story:
    payload = ie.FeedbackGiven(
        complaint_id=story.id, score=score, heard=heard, follow_up=score <= 5 or not heard,
        at=datetime(2025, 6, 1, tzinfo=UTC),
    )  # fmt: skip
    story.events.append((payload.topic, make_envelope(payload, source="test", subject=story.id)))
    return story


def closed(
    day: date,
    unit: str,
    category: Category = Category.conduct,
    provider: str | None = None,
    outcome: Outcome = Outcome.upheld,
) -> Story:
    story = Story(day, unit=unit, category=category, provider=provider).received().opened()
    return story.resolved(outcome, Resolution.informal)


async def test_annual_report_counts_satisfaction_per_unit_category_and_provider(harness: Harness) -> None:
    stories = [
        feedback(closed(date(2025, 3, 3), "Inkomen"), 8, True),
        feedback(closed(date(2025, 4, 3), "Inkomen", Category.information), 4, True),
        feedback(closed(date(2025, 5, 3), "Wmo", provider="Zorg Plus"), 9, False),
        closed(date(2025, 5, 4), "Wmo"),  # no answer
        feedback(closed(date(2024, 5, 4), "Wmo"), 1, False),  # another year
    ]
    await harness.deliver(interleave(stories, seed=4))
    report = await harness.json("/api/v1/reports/annual/2025")
    assert report["satisfaction"] == {"responses": 3, "average_score": 7.0, "heard_share": 2 / 3}
    by = report["satisfaction_by"]
    assert by["by_unit"]["Inkomen"] == {"responses": 2, "average_score": 6.0, "heard_share": 1.0}
    assert by["by_provider"]["Zorg Plus"]["responses"] == 1
    assert by["by_category"]["information"]["average_score"] == 4.0
    html = (await harness.get("/api/v1/reports/annual/2025?format=html")).text
    assert "Tevredenheid per afdeling" in html and "7,0" in html
    dashboard = (await harness.get("/?year=2025")).text
    poor = dashboard.split('id="terugbellen"')[1].split("</section>")[0]
    assert stories[1].reference in poor and stories[2].reference in poor  # 4, and 9 but not heard
    assert stories[0].reference not in poor
    csv = (await harness.get("/api/v1/reports/annual/2025?format=csv")).text
    assert "Tevredenheid per zorgaanbieder, 2025" in csv
    harness.routing_with_measures("Training bejegening")
    provider = await harness.json("/api/v1/reports/providers/Zorg Plus/2025-H1")
    assert provider["satisfaction"]["responses"] == 1


async def test_upheld_complaints_are_counted_per_norm(harness: Harness) -> None:
    upheld = closed(date(2025, 3, 3), "Inkomen")
    upheld.events[-1][1].data["norms"] = [Norm.listening.value, Norm.promptness.value]
    not_upheld = closed(date(2025, 3, 4), "Inkomen", outcome=Outcome.not_upheld)
    not_upheld.events[-1][1].data["norms"] = [Norm.listening.value]
    await harness.deliver(interleave([upheld, not_upheld], seed=1))
    norms = (await harness.json("/api/v1/reports/annual/2025"))["upheld_by_norm"]
    assert len(norms) == 22
    assert norms["listening"] == 1 and norms["promptness"] == 1 and norms["integrity"] == 0


async def test_feedback_and_norms_are_read_for_the_asked_complaints_only(harness: Harness) -> None:
    """A report reads the log rows of the year it counts, not of every year the log holds."""
    this_year = feedback(closed(date(2025, 3, 3), "Inkomen"), 8, True)
    this_year.events[-2][1].data["norms"] = [Norm.listening.value]
    last_year = feedback(closed(date(2024, 3, 3), "Inkomen"), 2, False)
    last_year.events[-2][1].data["norms"] = [Norm.promptness.value]
    await harness.deliver(interleave([this_year, last_year], seed=2))
    async with harness.service.db.reading() as session:
        cases = (await live_set(session)).cases
        of_2025 = select(cases.id).where(received_between(cases, 2025, 2025))
        answers = await evidence.answers(session, among=of_2025)
        norms = await evidence.norms(session, among=of_2025)
        every_year = select(cases.id)
        assert set(await evidence.answers(session, among=every_year)) == {this_year.id, last_year.id}
    assert set(answers) == {this_year.id} and answers[this_year.id].score == 8
    assert norms == {this_year.id: [Norm.listening.value]}


async def test_feedback_and_norms_are_found_by_complaint_and_type_in_the_index(harness: Harness) -> None:
    """Each complaint of the year is looked up with the event types in the index: the other
    events of a complaint (a dozen or more each) are never read from the table."""
    async with harness.service.db.reading() as session:
        if session.bind.dialect.name != "sqlite":
            pytest.skip("the plan is read from SQLite; PostgreSQL plans tiny tables as scans")
        live = await live_set(session)
        cases, log = live.cases, live.log
        among = select(cases.id).where(received_between(cases, 2025, 2025))
        query = select(log.complaint_id, log.type, log.data).where(
            log.complaint_id.in_(among), log.type.in_(("a", "b"))
        )
        compiled = query.compile(dialect=session.bind.dialect, compile_kwargs={"literal_binds": True})
        plan = " ".join(str(row[-1]) for row in await session.execute(text(f"EXPLAIN QUERY PLAN {compiled}")))
    table = log.__tablename__
    assert f"SEARCH {table} USING INDEX ix_{table}_complaint_id_type (complaint_id=? AND type=?)" in plan, (
        plan
    )


async def test_a_reports_feedback_is_kept_until_the_log_grows(harness: Harness) -> None:
    """Feedback is read once per projection version (with the counts): a second request reads
    it from memory, new feedback in the log is in the next report."""
    first = feedback(closed(date(2025, 3, 3), "Inkomen"), 8, True)
    await harness.deliver(interleave([first], seed=3))
    report = await harness.json("/api/v1/reports/annual/2025")
    assert report["satisfaction"]["responses"] == 1
    reads: list[str] = []
    learned = evidence.learned

    async def counted(*args: Any, **kwargs: Any) -> Any:
        reads.append("log")
        return await learned(*args, **kwargs)

    evidence.learned = counted  # type: ignore[assignment]
    try:
        again = await harness.json("/api/v1/reports/annual/2025")
        assert again["satisfaction"] == report["satisfaction"] and reads == []
        second = feedback(closed(date(2025, 4, 4), "Wmo"), 4, False)
        await harness.deliver(interleave([second], seed=4))
        grown = await harness.json("/api/v1/reports/annual/2025")
    finally:
        evidence.learned = learned  # type: ignore[assignment]
    assert reads == ["log"] and grown["satisfaction"]["responses"] == 2


async def test_measures_register_api(harness: Harness) -> None:
    story = closed(date(2025, 3, 3), "Inkomen", provider="Zorg Plus")
    await harness.deliver(interleave([story], seed=1))
    body = {"title": "Terugbelnotitie verplicht in het KCC", "owner": "Teamleider KCC", "due": "2025-09-01",
            "status": "planned", "complaint_ids": [story.id], "provider": "Zorg Plus"}  # fmt: skip
    created = await harness.client.post("/api/v1/measures", json=body)
    assert created.status_code == 201, created.text
    measure = created.json()
    assert measure["id"] and measure["status"] == "planned" and measure["complaint_ids"] == [story.id]
    bad = await harness.client.post("/api/v1/measures", json={**body, "status": "bijna"})
    assert bad.status_code == 422
    listed = await harness.json("/api/v1/measures?year=2025&status=planned")
    assert [m["id"] for m in listed["items"]] == [measure["id"]] and listed["next"] is None
    assert (await harness.json("/api/v1/measures?status=done"))["items"] == []
    assert (
        await harness.client.patch("/api/v1/measures/onbekend", json={"status": "done"})
    ).status_code == 404
    assert (
        await harness.client.patch(f"/api/v1/measures/{measure['id']}", json={"status": "x"})
    ).status_code == 422
    # The harness clock stands at 15 January 2026: due 1 September 2025 and not done is overdue.
    assert (await harness.json(f"/api/v1/measures/{measure['id']}"))["overdue"] is True
    dashboard = (await harness.get("/")).text
    assert "Terugbelnotitie verplicht in het KCC" in dashboard
    patched = await harness.client.patch(f"/api/v1/measures/{measure['id']}", json={"status": "in_progress"})
    assert patched.status_code == 200 and patched.json()["status"] == "in_progress"
    report = await harness.json("/api/v1/reports/annual/2025")
    assert report["measures"] == {"planned": 0, "in_progress": 1, "done": 0}
    html = (await harness.get("/api/v1/reports/annual/2025?format=html")).text
    assert "Terugbelnotitie verplicht in het KCC" in html
    harness.routing_with_measures("Training bejegening")
    provider = await harness.json("/api/v1/reports/providers/Zorg Plus/2025-H1")
    assert [m["title"] for m in provider["measures_register"]] == [body["title"]]
