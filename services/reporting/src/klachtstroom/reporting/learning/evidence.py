"""What the learning sections read from reporting's own event log (the live projection set):
the feedback given and the norms of the latest judgement, per complaint. The log is rebuilt
from the topics with everything else (`reporting rebuild`), so these numbers are too.

A report asks only for the complaints it counts (`among`: a query of their ids, e.g. one year's
cases in the caller's scope), so its cost follows that year, not every year the log holds.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from klachtstroom.contracts import case_events as ce
from klachtstroom.contracts import intake_events as ie
from klachtstroom.reporting.learning.satisfaction import Answer
from klachtstroom.reporting.projection.queries import live_set

_FEEDBACK, _RESOLVED = ie.FeedbackGiven.event_type, ce.CaseResolved.event_type

Learned = tuple[dict[str, Answer], dict[str, list[str]]]


async def answers(session: AsyncSession, among: Select[Any]) -> dict[str, Answer]:
    """The (first) feedback per complaint of `among`; intake accepts one answer per complaint."""
    return (await _read(session, among, (_FEEDBACK,)))[0]


async def norms(session: AsyncSession, among: Select[Any]) -> Mapping[str, Sequence[str]]:
    """The norms named by the latest judgement of each complaint of `among` (a reopened case is
    judged again)."""
    return (await _read(session, among, (_RESOLVED,)))[1]


async def learned(session: AsyncSession, among: Select[Any]) -> Learned:
    """`answers` and `norms` in one pass over the log: each complaint looked up once."""
    return await _read(session, among, (_FEEDBACK, _RESOLVED))


async def _read(session: AsyncSession, among: Select[Any], types: tuple[str, ...]) -> Learned:
    """The feedback and judgements (of `types`) of the complaints of `among`, found by complaint
    and type in the log's index, so no other event's row is read."""
    log = (await live_set(session)).log
    rows = await session.execute(
        select(log.complaint_id, log.type, log.data)
        .where(log.complaint_id.in_(among), log.type.in_(types))
        .order_by(log.seq)
    )
    found: Learned = ({}, {})
    answers, norms = found
    for complaint_id, kind, data in rows:
        if kind == _FEEDBACK:
            answers.setdefault(complaint_id, Answer(int(data["score"]), bool(data["heard"])))
        else:
            norms[complaint_id] = [str(n) for n in data.get("norms") or []]
    return found


async def poor_answers(session: AsyncSession, limit: int = 50) -> list[dict[str, object]]:
    """The newest answers that ask for a follow-up call, for the coordinator's dashboard."""
    log = (await live_set(session)).log
    rows = await session.execute(
        select(log.complaint_id, log.data)
        .where(log.type == ie.FeedbackGiven.event_type)
        .order_by(log.seq.desc())
        .limit(500)
    )
    poor = [
        {"complaint_id": cid, "score": data["score"], "heard": data["heard"], "at": data.get("at")}
        for cid, data in rows
        if data.get("follow_up")
    ]
    return poor[:limit]
