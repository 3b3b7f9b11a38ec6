"""A batched rebuild gives exactly the projection the consumer builds one event at a time.

Both tables the reports read are compared whole: every `case_facts` row, and every logged
event (its complaint, stream, time, type, data, folded mark, and its order within its
complaint and stream). The events are a realistic mix of every type reporting logs, with
duplicates, delivered one at a time to the live consumer and read back in large batches
by the rebuild of a second, empty service (so its swap has nothing to copy in from a live
set), in the partition-by-partition order a rebuild reads Kafka, in chunks small enough
that many chunk boundaries fall inside the history of one complaint.
"""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from reporting_events import Story, interleave
from reporting_harness import Harness, start_harness
from sqlalchemy import select
from test_rebuild import topic_records

from klachtstroom.contracts import case_events as ce
from klachtstroom.contracts import deadline_events as de
from klachtstroom.contracts import intake_events as ie
from klachtstroom.contracts.vocabulary import (
    Category,
    Channel,
    DeadlineKind,
    DeadlineState,
    Handler,
    Outcome,
    Resolution,
)
from klachtstroom.reporting.projection import rebuild
from klachtstroom.reporting.projection.queries import live_set
from klachtstroom.reporting.projection.rebuild import Record, rebuild_from
from klachtstroom.reporting.store import ProjectionSet


def mixed(n: int) -> list[Story]:
    """n complaints going through every kind of event reporting logs, varied by index."""
    stories: list[Story] = []
    for i in range(n):
        s = Story(
            date(2024, 1, 8) + timedelta(days=11 * i),
            list(Channel)[i % len(Channel)],
            category=list(Category)[i % len(Category)],
            unit=("Inkomen", "Werk", None)[i % 3],
            municipality=("Voorbeeldstad", "Buurdorp")[i % 2],
            provider="Zorg Plus" if i % 3 == 2 else None,
            urgent=i % 7 == 0,
        )
        kind = i % 9
        if kind == 8:  # an imported complaint from an earlier register: arrives closed
            history = ie.ImportedHistory(
                state="resolved", outcome=Outcome.upheld, resolution=Resolution.informal,
                handler=Handler.municipality, acknowledged_at=s.at(days=2), resolved_at=s.at(days=30),
            )  # fmt: skip
            stories.append(s.received(imported=history))
            continue
        s.received(urgent_given=s.urgent)
        if i % 4 == 1:
            s.triaged(urgent=True, category=Category.information)
        s.opened(handler=Handler.provider if s.provider else Handler.municipality)
        if s.provider:
            s.referred(s.provider)
        else:
            s.assigned(unit="Werk" if i % 2 else None)
        s.terms().acknowledged(days=1 + i % 9)
        if kind == 0:
            s.extended(weeks=4).resolved(Outcome.mutual_agreement, Resolution.informal, days=40)
            met_on = s.received_on + timedelta(days=40)
            decision = DeadlineKind.decision
            s._emit(
                de.DeadlineMet(
                    case_id=s.id, kind=decision, due=s.received_on, at=s.at(days=40), met_on=met_on
                )
            )
        elif kind == 1:
            s.declined()
        elif kind == 2:
            s.mediated().provider_status("measures", 10, measures="m")
            s.provider_status("resolved", 12, outcome=Outcome.partly_upheld)
        elif kind == 3:
            s.escalated().resolved(Outcome.upheld, Resolution.formal, days=60)
            s._emit(de.DeadlineBreached(case_id=s.id, kind=DeadlineKind.decision, due=s.received_on,
                                        at=s.at(days=43)))  # fmt: skip
            s.reopened(days=61).ombudsman(days=70)
        elif kind == 4:
            s.withdrawn()
            feedback = ie.FeedbackGiven(
                complaint_id=s.id, score=4 + i % 6, heard=i % 2 == 0, follow_up=False, at=s.at(days=8)
            )
            s._emit(feedback)
        elif kind == 5 and stories:  # merged into the one before it (keyed by the kept one, as intake does)
            kept = stories[-1]
            kept._emit(ie.ComplaintsMerged(complaint_id=kept.id, merged_id=s.id, actor="x", at=s.at(days=3)))
            s._change(ce.CaseMerged, "merged", 3, into=kept.id)
        elif kind == 6:
            s._change(ce.CaseSuspended, "suspended", 4)._change(ce.CaseResumed, "assigned", 9)
            s._change(ce.CaseForwarded, "forwarded", 10, to="objection", keep_complaint=i % 2 == 0)
        else:
            s.deadline(DeadlineKind.contact, s.received_on + timedelta(days=7), DeadlineState.met)
        stories.append(s)
    return stories


async def projection(harness: Harness) -> dict[str, Any]:
    """Both tables of the live set, independent of the arrival order across complaints."""
    async with harness.service.db.reading() as session:
        pset: ProjectionSet = await live_set(session)
        cases = pset.cases.__table__
        log = pset.log.__table__
        rows = [dict(r._mapping) for r in await session.execute(select(cases).order_by(cases.c.id))]
        logged = await session.execute(select(log).order_by(log.c.complaint_id, log.c.stream, log.c.seq))
        events = [{k: v for k, v in r._mapping.items() if k != "seq"} for r in logged]
    return {"cases": rows, "log": events}


async def batches(records: list[Record], size: int) -> AsyncIterator[list[Record]]:
    for start in range(0, len(records), size):
        yield records[start : start + size]


async def test_a_batched_rebuild_equals_the_consumer_one_event_at_a_time(
    harness: Harness, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(rebuild, "LOG_CHUNK", 40)
    monkeypatch.setattr(rebuild, "FOLD_CHUNK", 7)
    stories = mixed(60)
    await harness.deliver(interleave(stories, 5), batch=1)
    live = await projection(harness)
    assert len(live["cases"]) == 60
    assert {e["type"].rsplit(".", 2)[-2] for e in live["log"]} >= {
        "received", "triaged", "merged", "feedback_given", "opened", "assigned", "referred",
        "acknowledged", "provider_status", "term_extended", "suspended", "resumed", "escalated_formal",
        "mediation_started", "resolved", "withdrawn", "declined", "reopened", "ombudsman_referred",
        "forwarded", "set", "met", "breached",
    }  # fmt: skip
    assert any(c["imported"] for c in live["cases"]) and any(c["merged_into"] for c in live["cases"])

    records = topic_records(stories)
    again = records[: len(records) // 3]  # redelivered by Kafka: each event counts once
    other = await start_harness(tmp_path / "rebuilt")
    try:
        await rebuild_from(other.service.db, len(records), batches(records + again, 250), io.StringIO())
        assert await projection(other) == live
        # A second rebuild, in other batch sizes, gives the same again.
        await rebuild_from(other.service.db, len(records), batches(records, 7), io.StringIO())
        assert await projection(other) == live
    finally:
        await other.close()
