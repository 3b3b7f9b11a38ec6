"""The deadlines HTTP API (DESIGN.md, Deadlines 8002): terms of a case, the calendar, due dates.

Thin: validate, read or call the domain, commit. Bad input gets a 422 with a Dutch message per
field (`detail: [{loc, msg, type}]`, the FastAPI shape).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Path, Query, Request, Response
from pydantic import BaseModel, Field
from sqlalchemy import select

from klachtstroom.contracts.vocabulary import DeadlineKind, DeadlineState
from klachtstroom.deadlines.http.runtime import deadlines_of
from klachtstroom.deadlines.http.scope import scoped, sees
from klachtstroom.deadlines.store import (
    CalendarChangeRecord,
    CalendarDayRecord,
    CaseRecord,
    TermRecord,
    load_calendar,
    utc,
)
from klachtstroom.deadlines.terms.calendar import DueDate
from klachtstroom.platform.problems import FieldError, Problem

router = APIRouter(prefix="/api/v1")

MAX_WEEKS = 520  # ten years: more is a typing error, not a term
MAX_WORKING_DAYS = 2600


def unprocessable(*problems: tuple[str, str, str]) -> Problem:
    """422 with one entry per (location, field, Dutch message)."""
    return Problem(422, errors=[FieldError(field, msg) for _where, field, msg in problems])


def _choice(value: str | None, allowed: type[DeadlineKind] | type[DeadlineState], field: str) -> str | None:
    if value is None:
        return None
    if value not in {v.value for v in allowed}:
        options = ", ".join(v.value for v in allowed)
        raise unprocessable(("query", field, f"Onbekende waarde; kies uit: {options}."))
    return value


def deadline_view(term: TermRecord) -> dict[str, Any]:
    """The Deadline resource of DESIGN.md, plus how it ended and for which provider."""
    return {
        "case_id": term.case_id,
        "kind": term.kind,
        "start": term.start,
        "due": term.due,
        "state": term.state,
        "extended_weeks": term.extended_weeks,
        "explanation": list(term.explanation),
        "unmoved_due": term.unmoved_due,
        "met_on": term.met_on,
        "closed_on": term.closed_on,
        "provider": term.provider,
        "key": term.key,
    }


# -- terms ------------------------------------------------------------------------------------------


@router.get("/deadlines", tags=["deadlines"])
async def list_deadlines(
    request: Request,
    case_id: str | None = None,
    state: str | None = None,
    kind: str | None = None,
    due_before: Annotated[
        dt.date | None, Query(description="alleen termijnen met einddatum vóór deze dag")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    cursor: Annotated[int | None, Query(description="uit `next` van de vorige pagina")] = None,
) -> dict[str, Any]:
    """The terms of a case (`case_id=`), or of all cases filtered by state, kind and due date."""
    query = select(TermRecord)
    if case_id is not None:
        query = query.where(TermRecord.case_id == case_id)
    if (state := _choice(state, DeadlineState, "state")) is not None:
        query = query.where(TermRecord.state == state)
    if (kind := _choice(kind, DeadlineKind, "kind")) is not None:
        query = query.where(TermRecord.kind == kind)
    if due_before is not None:
        query = query.where(TermRecord.due < due_before)
    if cursor is not None:
        query = query.where(TermRecord.id > cursor)
    query = scoped(request, query, TermRecord.case_id)
    async with deadlines_of(request).service.db.reading() as session:
        rows = (await session.scalars(query.order_by(TermRecord.id).limit(limit + 1))).all()
    items = [deadline_view(t) for t in rows[:limit]]
    following = None
    if len(rows) > limit:
        following = str(request.url.include_query_params(cursor=rows[limit - 1].id))
    return {"items": items, "next": following}


@router.get("/deadlines/cases/{case_id}", tags=["deadlines"])
async def case_facts(case_id: str, request: Request) -> dict[str, Any]:
    """The facts the terms of a case were computed from, and facts the term rules refused."""
    async with deadlines_of(request).service.db.reading() as session:
        case = await session.get(CaseRecord, case_id)
    if case is None or not sees(request, case):
        raise HTTPException(404, detail="Deze zaak kennen we (nog) niet.")
    return {
        "case_id": case.case_id,
        "reference": case.reference,
        "facts": [{k: v for k, v in f.items() if k != "event_id"} for f in case.facts],
        "rejected": [{k: v for k, v in f.items() if k != "event_id"} for f in case.rejected],
        "error": case.error,
        "sensitive": case.sensitive,
    }


# -- calendar ---------------------------------------------------------------------------------------


@router.get("/calendar/due", tags=["calendar"])
async def due_date(
    request: Request,
    start: Annotated[dt.date | None, Query(description="JJJJ-MM-DD")] = None,
    weeks: int | None = None,
    working_days: int | None = None,
) -> dict[str, Any]:
    """The end of a term of `weeks` weeks (Termijnenwet move) or `working_days` working days."""
    problems: list[tuple[str, str, str]] = []
    if start is None:
        problems.append(("query", "start", "Geef de startdatum op, als JJJJ-MM-DD."))
    if weeks is not None and working_days is not None:
        problems.append(("query", "weeks", "Geef óf weeks óf working_days op, niet allebei."))
    elif weeks is None and working_days is None:
        problems.append(
            ("query", "weeks", "Geef het aantal weken (weeks) of het aantal werkdagen (working_days) op.")
        )
    if weeks is not None and not 0 <= weeks <= MAX_WEEKS:
        problems.append(("query", "weeks", f"Het aantal weken moet tussen 0 en {MAX_WEEKS} liggen."))
    if working_days is not None and not 1 <= working_days <= MAX_WORKING_DAYS:
        problems.append(
            ("query", "working_days", f"Het aantal werkdagen moet tussen 1 en {MAX_WORKING_DAYS} liggen.")
        )
    if problems or start is None:
        raise unprocessable(*problems)
    async with deadlines_of(request).service.db.reading() as session:
        calendar = await load_calendar(session)
    try:
        result: DueDate = (
            calendar.due_after_weeks(start, weeks)
            if weeks is not None
            else calendar.due_after_working_days(start, working_days or 0)
        )
    except OverflowError:
        raise unprocessable(("query", "start", "De einddatum valt buiten de kalender.")) from None
    return {"start": start, "due": result.due, "unmoved": result.unmoved, "explanation": result.explanation}


@router.get("/calendar/{year}", tags=["calendar"])
async def calendar_year(year: int, request: Request) -> dict[str, Any]:
    """The non-working days of the Algemene termijnenwet in `year` plus the configured extra days
    (decree days `besluit`, local closing days `gemeente`). Weekends are not listed."""
    if not 1583 <= year <= 9998:
        raise unprocessable(("path", "year", "Geef een jaartal tussen 1583 en 9998."))
    async with deadlines_of(request).service.db.reading() as session:
        calendar = await load_calendar(session)
    days = [
        {"date": d.date, "name": d.name, "source": d.source.value} for d in calendar.non_working_days(year)
    ]
    return {"year": year, "items": days, "next": None}


class CalendarDay(BaseModel):
    date: dt.date
    name: str = Field(min_length=1, max_length=200)
    source: Literal["besluit", "gemeente"] = Field(
        description="besluit: bij besluit gelijkgesteld met een feestdag; gemeente: eigen sluitingsdag"
    )


class CalendarDays(BaseModel):
    days: list[CalendarDay] = Field(min_length=1, max_length=400)


class CalendarChange(BaseModel):
    id: int
    first_day: dt.date
    last_day: dt.date
    state: Literal["pending", "done"] = Field(
        description="pending: de lopende termijnen over deze dagen worden nog herberekend; done: klaar"
    )
    recomputed_cases: int = Field(description="zaken waarvan de termijnen tot nu toe zijn herberekend")
    requested_at: dt.datetime
    finished_at: dt.datetime | None = None


def _change_view(change: CalendarChangeRecord) -> CalendarChange:
    return CalendarChange(
        id=change.id,
        first_day=change.first_day,
        last_day=change.last_day,
        state="done" if change.state == "done" else "pending",
        recomputed_cases=change.recomputed,
        requested_at=utc(change.requested_at),
        finished_at=utc(change.finished_at) if change.finished_at else None,
    )


@router.put("/calendar/days", tags=["calendar"], status_code=202)
async def add_calendar_days(body: CalendarDays, request: Request, response: Response) -> dict[str, Any]:
    """Add decree days or local closing days (kept in the database). Answered at once: the running
    terms that cross one of the days are recomputed in the background (follow `change`)."""
    runtime = deadlines_of(request)
    now = runtime.tracker.now()
    async with runtime.service.db.transaction() as session:
        for day in body.days:
            record = await session.get(CalendarDayRecord, (day.date, day.source))
            if record is None:
                session.add(
                    CalendarDayRecord(day=day.date, source=day.source, name=day.name.strip(), added_at=now)
                )
            else:
                record.name = day.name.strip()
    change = await runtime.calendar_changes.request([d.date for d in body.days])
    response.headers["Location"] = f"/api/v1/calendar/changes/{change.id}"
    return {
        "items": [d.model_dump(mode="json") for d in body.days],
        "change": _change_view(change).model_dump(mode="json"),
    }


@router.get("/calendar/changes/{change_id}", tags=["calendar"], responses={404: {}})
async def calendar_change(
    change_id: Annotated[int, Path(ge=1, le=2**63 - 1, description="the id from the change's Location")],
    request: Request,
) -> CalendarChange:
    """How far the recompute of one calendar change is."""
    change = await deadlines_of(request).calendar_changes.get(change_id)
    if change is None:
        raise HTTPException(404, detail="Deze kalenderwijziging bestaat niet.")
    return _change_view(change)


@router.delete("/calendar/days/{day}", tags=["calendar"], status_code=204)
async def remove_calendar_day(
    day: dt.date, request: Request, source: Literal["besluit", "gemeente"] = "gemeente"
) -> Response:
    """Remove a day added earlier (the shipped decrees and statutory holidays cannot be removed);
    the running terms across it are recomputed in the background."""
    runtime = deadlines_of(request)
    async with runtime.service.db.transaction() as session:
        record = await session.get(CalendarDayRecord, (day, source))
        if record is None:
            raise HTTPException(404, detail="Deze dag staat niet in de toegevoegde dagen.")
        await session.delete(record)
    change = await runtime.calendar_changes.request([day])
    return Response(status_code=204, headers={"Location": f"/api/v1/calendar/changes/{change.id}"})
