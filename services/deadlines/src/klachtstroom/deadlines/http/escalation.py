"""HTTP API of the term watch: the escalation configuration, timers and notifications (for the
coordinator and for operations)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from sqlalchemy import select

from klachtstroom.deadlines.http.runtime import deadlines_of
from klachtstroom.deadlines.http.scope import scoped
from klachtstroom.deadlines.http.terms import unprocessable
from klachtstroom.deadlines.notifications.delivery import NOTIFICATION_STATES
from klachtstroom.deadlines.notifications.recipients import EscalationConfig
from klachtstroom.deadlines.store import NotificationRecord, TimerRecord, outbound_calls, utc
from klachtstroom.platform.outbound.destinations import UnsafeDestination, check_destination
from klachtstroom.platform.outbound.queue import DEAD, SENT

router = APIRouter(prefix="/api/v1")


@router.get("/escalation", tags=["escalation"])
async def get_escalation(request: Request) -> dict[str, object]:
    """Who hears of warnings, breaches and escalations (webhook secrets are never shown)."""
    return (await deadlines_of(request).book.current()).public()


@router.put("/escalation", tags=["escalation"])
async def put_escalation(body: EscalationConfig, request: Request) -> dict[str, object]:
    """Replace the configuration. A webhook without `secret` keeps the secret stored for its URL.

    A webhook URL pointing at an internal address (loopback, link-local, private) is refused.
    """
    for index, hook in enumerate(body.webhooks):
        try:
            await check_destination(hook.url)
        except UnsafeDestination as error:
            raise unprocessable(("body", f"webhooks.{index}.url", str(error))) from None
    try:
        config = await deadlines_of(request).book.replace(body)
    except ValueError as error:
        raise unprocessable(("body", "webhooks", str(error))) from None
    return config.public()


@router.get("/timers", tags=["escalation"])
async def list_timers(
    request: Request,
    case_id: str | None = None,
    state: Literal["pending", "fired", "cancelled"] | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    cursor: Annotated[int | None, Query(ge=0, le=2**62)] = None,  # bounded: SQLite integers are 64-bit
) -> dict[str, Any]:
    """The durable timers (warning, breach, escalation levels), oldest first."""
    query = select(TimerRecord)
    if case_id is not None:
        query = query.where(TimerRecord.case_id == case_id)
    if state is not None:
        query = query.where(TimerRecord.state == state)
    if cursor is not None:
        query = query.where(TimerRecord.id > cursor)
    query = scoped(request, query, TimerRecord.case_id)
    async with deadlines_of(request).service.db.reading() as session:
        rows = (await session.scalars(query.order_by(TimerRecord.id).limit(limit + 1))).all()
    items = [
        {
            "id": t.id,
            "case_id": t.case_id,
            "term": t.term_key,
            "kind": t.kind,
            "step": t.step,
            "due": t.due,
            "fire_at": utc(t.fire_at),
            "state": t.state,
            "fired_at": t.fired_at and utc(t.fired_at),
            "fired_by": t.fired_by,
            "event_id": t.event_id,
        }
        for t in rows[:limit]
    ]
    following = (
        str(request.url.include_query_params(cursor=rows[limit - 1].id)) if len(rows) > limit else None
    )
    return {"items": items, "next": following}


@router.get("/notifications", tags=["escalation"])
async def list_notifications(
    request: Request,
    case_id: str | None = None,
    state: Literal["pending", "sent", "dropped"] | None = None,
    channel: Literal["email", "webhook"] | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    cursor: Annotated[int | None, Query(ge=0, le=2**62)] = None,  # bounded: SQLite integers are 64-bit
) -> dict[str, Any]:
    """E-mails and webhook calls with their delivery state (bodies are not listed)."""
    n, calls = NotificationRecord, outbound_calls.c
    query = select(
        n.id, n.case_id, n.step, n.channel, n.target, n.subject, n.created_at,
        calls.state, calls.attempts, calls.last_error, calls.next_attempt_at, calls.finished_at,
    ).join(outbound_calls, calls.message_id == n.message_id)  # fmt: skip
    if state is not None:
        query = query.where(calls.state == {"dropped": DEAD}.get(state, state))
    for column, value in ((n.case_id, case_id), (n.channel, channel)):
        if value is not None:
            query = query.where(column == value)
    if cursor is not None:
        query = query.where(n.id > cursor)
    query = scoped(request, query, n.case_id)
    async with deadlines_of(request).service.db.reading() as session:
        rows = (await session.execute(query.order_by(n.id).limit(limit + 1))).all()
    items = [
        {
            "id": r.id,
            "case_id": r.case_id,
            "step": r.step,
            "channel": r.channel,
            "target": r.target,
            "subject": r.subject,
            "state": NOTIFICATION_STATES.get(r.state, r.state),
            "attempts": r.attempts,
            "last_error": r.last_error,
            "created_at": utc(r.created_at),
            "sent_at": utc(r.finished_at) if r.state == SENT and r.finished_at else None,
            "next_attempt_at": utc(r.next_attempt_at),
        }
        for r in rows[:limit]
    ]
    following = (
        str(request.url.include_query_params(cursor=rows[limit - 1].id)) if len(rows) > limit else None
    )
    return {"items": items, "next": following}
