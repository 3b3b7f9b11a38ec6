"""The measures register: the coordinator, a handler or a provider records an improvement made
because of complaints (or an ombudsman's recommendation), with owner, due date and status.

`POST /api/v1/measures` -> 201, `GET /api/v1/measures?year=&status=&provider=&overdue=`,
`GET|PATCH /api/v1/measures/{id}` (`{status?, due?, owner?}`; 404 unknown, 422 bad input).
A measure belongs to a year when one of its complaints was received in it or it is due in it.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime
from typing import Annotated, Any, TypedDict

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import select

from klachtstroom.contracts.vocabulary import MeasureStatus, dutch
from klachtstroom.reporting.http.runtime import reporting_of
from klachtstroom.reporting.reports.facts import CaseFacts
from klachtstroom.reporting.store import MeasureRow

router = APIRouter(prefix="/api/v1", tags=["measures"])

NOT_FOUND = "Deze maatregel kennen we niet."


class MeasureIn(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    title: str = Field(min_length=1, max_length=300)
    description: str | None = Field(default=None, max_length=20_000)
    unit: str | None = Field(default=None, max_length=200)
    provider: str | None = Field(default=None, max_length=200)
    complaint_ids: list[str] = Field(default_factory=list, max_length=1000)
    ombudsman_case_id: str | None = Field(default=None, max_length=64)
    owner: str = Field(min_length=1, max_length=200)
    due: date
    status: MeasureStatus = MeasureStatus.planned

    @field_validator("complaint_ids")
    @classmethod
    def _ids(cls, value: list[str]) -> list[str]:
        cleaned = list(dict.fromkeys(v.strip() for v in value if v.strip()))
        if any(len(v) > 64 for v in cleaned):
            raise ValueError("een klacht-id is hoogstens 64 tekens")
        return cleaned


class MeasurePatch(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    status: MeasureStatus | None = None
    due: date | None = None
    owner: str | None = Field(default=None, min_length=1, max_length=200)


class Measure(TypedDict):
    id: str
    title: str
    description: str | None
    unit: str | None
    provider: str | None
    complaint_ids: list[str]
    ombudsman_case_id: str | None
    owner: str
    due: str
    status: str
    status_label: str
    done_on: str | None
    overdue: bool
    created_at: str
    updated_at: str


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def is_overdue(row: MeasureRow, today: date) -> bool:
    return row.status != MeasureStatus.done and row.due < today


def measure_of(row: MeasureRow, today: date) -> Measure:
    return {
        "id": row.id,
        "title": row.title,
        "description": row.description,
        "unit": row.unit,
        "provider": row.provider,
        "complaint_ids": list(row.complaint_ids),
        "ombudsman_case_id": row.ombudsman_case_id,
        "owner": row.owner,
        "due": row.due.isoformat(),
        "status": row.status,
        "status_label": dutch(row.status),
        "done_on": row.done_on.isoformat() if row.done_on else None,
        "overdue": is_overdue(row, today),
        "created_at": _aware(row.created_at).isoformat(),
        "updated_at": _aware(row.updated_at).isoformat(),
    }


def of_year(measures: Iterable[Measure], year: int, facts: Sequence[CaseFacts]) -> list[Measure]:
    """Measures linked to a complaint received in `year`, or due in it."""
    received = {f.id for f in facts if f.received_on.year == year}
    return [
        m for m in measures
        if date.fromisoformat(m["due"]).year == year or any(c in received for c in m["complaint_ids"])
    ]  # fmt: skip


def count_by_status(measures: Iterable[Measure]) -> dict[str, int]:
    counts = {status.value: 0 for status in MeasureStatus}
    for measure in measures:
        counts[measure["status"]] += 1
    return counts


async def all_measures(request: Request) -> list[Measure]:
    reporting = reporting_of(request)
    today = reporting.today()
    async with reporting.service.db.reading() as session:
        rows = (await session.scalars(select(MeasureRow).order_by(MeasureRow.due, MeasureRow.id))).all()
    return [measure_of(r, today) for r in rows]


@router.post("/measures", status_code=201)
async def create_measure(body: MeasureIn, request: Request) -> JSONResponse:
    reporting = reporting_of(request)
    now = reporting.service.clock.now()
    row = MeasureRow(
        id=str(uuid.uuid4()), title=body.title, description=body.description, unit=body.unit,
        provider=body.provider, complaint_ids=body.complaint_ids, ombudsman_case_id=body.ombudsman_case_id,
        owner=body.owner, due=body.due, status=body.status.value,
        done_on=reporting.today() if body.status == MeasureStatus.done else None,
        created_at=now, updated_at=now,
    )  # fmt: skip
    async with reporting.service.db.transaction() as session:
        session.add(row)
    measure = measure_of(row, reporting.today())
    return JSONResponse(dict(measure), status_code=201, headers={"Location": f"/api/v1/measures/{row.id}"})


@router.get("/measures")
async def list_measures(
    request: Request,
    year: Annotated[int | None, Query(ge=1990, le=2999)] = None,
    status: MeasureStatus | None = None,
    provider: Annotated[str | None, Query(max_length=200)] = None,
    overdue: bool | None = None,
) -> dict[str, Any]:
    """The register, by due date; filters combine."""
    measures = await all_measures(request)
    if year is not None:
        measures = of_year(measures, year, await reporting_of(request).facts(year, year))
    if status is not None:
        measures = [m for m in measures if m["status"] == status.value]
    if provider:
        measures = [m for m in measures if m["provider"] == provider]
    if overdue is not None:
        measures = [m for m in measures if m["overdue"] == overdue]
    return {"items": measures, "next": None}


@router.get("/measures/{measure_id}")
async def get_measure(measure_id: str, request: Request) -> dict[str, Any]:
    reporting = reporting_of(request)
    async with reporting.service.db.reading() as session:
        row = await session.get(MeasureRow, measure_id)
    if row is None:
        raise HTTPException(404, detail=NOT_FOUND)
    return dict(measure_of(row, reporting.today()))


@router.patch("/measures/{measure_id}")
async def update_measure(measure_id: str, body: MeasurePatch, request: Request) -> dict[str, Any]:
    reporting = reporting_of(request)
    async with reporting.service.db.transaction() as session:
        row = await session.get(MeasureRow, measure_id)
        if row is None:
            raise HTTPException(404, detail=NOT_FOUND)
        if body.status is not None:
            if body.status == MeasureStatus.done and row.status != MeasureStatus.done:
                row.done_on = reporting.today()
            elif body.status != MeasureStatus.done:
                row.done_on = None
            row.status = body.status.value
        if body.due is not None:
            row.due = body.due
        if body.owner is not None:
            row.owner = body.owner
        row.updated_at = reporting.service.clock.now()
    return dict(measure_of(row, reporting.today()))
