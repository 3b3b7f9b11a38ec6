"""Destroying a closed file in routing's database: personal data and free text go, counts stay.

Kept: the case's dates, state, channel, kind, category, unit, municipality, provider, outcome
and resolution (what reports and the register count), and each history entry's action and
date. Removed: the complaint text, hand-over note, the name of the employee complained about
and of the handler, every reason, note, hearing report, summary, explanation and measure in
the history, the names of the employees who acted, and hand-over bodies to providers and ZGW
payloads.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from klachtstroom.contracts.timekeeping import local_date
from klachtstroom.routing.case.codec import case_to_json
from klachtstroom.routing.casework.case_rows import case_of
from klachtstroom.routing.casework.work import CaseWork
from klachtstroom.routing.privacy.retention import past_term
from klachtstroom.routing.tables import CaseRow, HistoryRow, SentLetterRow, outbound_calls

log = logging.getLogger(__name__)

DESTROYED_ACTOR = "vernietigd"
# Free text a person wrote into a history entry (case/lifecycle.py), and names of people: removed.
PERSONAL_KEYS = frozenset(
    {"note", "report", "summary", "explanation", "measures", "reason", "comment", "text", "contact",
     "handler_name", "about_employee", "actor", "description"}
)  # fmt: skip


def closed_on(row: CaseRow) -> date | None:
    """The closing date: the decision date, else when the case last changed."""
    case = case_of(row)
    if case.resolved_on is not None:
        return case.resolved_on
    moment = row.resolved_at or row.updated_at
    return local_date(moment) if moment else None


async def files_past_term(session: AsyncSession, today: date) -> list[CaseRow]:
    """Closed files whose retention term has ended (not yet destroyed)."""
    rows = (
        await session.scalars(select(CaseRow).where(CaseRow.destroyed_at.is_(None)).order_by(CaseRow.id))
    ).all()
    return [row for row in rows if past_term(case_of(row), closed_on(row), today)]


async def due_ids(session: AsyncSession, today: date) -> list[str]:
    """Every file whose term has ended, destroyed here already or not (for the other services)."""
    rows = (await session.scalars(select(CaseRow).order_by(CaseRow.id))).all()
    return [
        row.id
        for row in rows
        if row.destroyed_at is not None or past_term(case_of(row), closed_on(row), today)
    ]


def _without_free_text(data: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in data.items() if key not in PERSONAL_KEYS}


async def destroy(session: AsyncSession, row: CaseRow, now: datetime) -> None:
    case = replace(case_of(row), about_employee=None, handler_name=None, history=())
    row.data = case_to_json(case)
    row.description = ""
    row.handover_note = None
    row.handler_name = None
    row.routing_explanation = None
    row.destroyed_at = now
    for entry in (await session.scalars(select(HistoryRow).where(HistoryRow.case_id == row.id))).all():
        entry.reason = None
        entry.actor = DESTROYED_ACTOR
        entry.data = _without_free_text(dict(entry.data or {}))
    # Hand-overs to providers carry the complaint text; a closed file has none pending.
    await session.execute(delete(outbound_calls).where(outbound_calls.c.subject == row.id))
    # Letters as they were sent hold the complainant's name and address.
    await session.execute(delete(SentLetterRow).where(SentLetterRow.case_id == row.id))


async def run_retention(work: CaseWork, today: date) -> list[str]:
    """Destroy every file past its term on `today`; returns the destroyed case ids."""
    now = work.now()
    async with work.service.db.transaction() as session:
        rows = await files_past_term(session, today)
        for row in rows:
            await destroy(session, row, now)
    if rows:
        log.info("retention: %d closed files destroyed", len(rows))
    return [row.id for row in rows]


def daily_retention(work: CaseWork, every_seconds: float) -> Any:
    """The daily job: destroy what passed its term, every `every_seconds` (a day)."""

    async def job() -> None:
        while True:
            await asyncio.sleep(every_seconds)
            try:
                await run_retention(work, local_date(work.now()))
            except Exception as error:  # the next round tries again
                log.warning("retention run failed (%s)", type(error).__name__)

    return job
