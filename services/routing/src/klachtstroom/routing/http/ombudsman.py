"""After `refer-ombudsman`: record what the ombudsman concluded, and its recommendations, when
that comes in (often months later). Measures in reporting's register can link to it.

`POST /api/v1/cases/{id}/ombudsman/outcome` `{outcome, recommendations?: [text], norms?: [...], at?}`
-> the case; 409 when the case was never referred to the ombudsman or the outcome is already
recorded. The event carries the outcome, the norms and how many recommendations were made;
their text stays here.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, HTTPException, Request
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from klachtstroom.contracts import case_events as ce
from klachtstroom.contracts.timekeeping import local_date, moment_of
from klachtstroom.contracts.vocabulary import Norm, Outcome
from klachtstroom.platform.auth import access_of
from klachtstroom.platform.problems import Problem
from klachtstroom.routing.casework.case_resource import case_resource
from klachtstroom.routing.casework.case_rows import CaseNotFound, case_of, load_row
from klachtstroom.routing.casework.work import CaseWork, system_event
from klachtstroom.routing.http.cases import ensure_in_scope
from klachtstroom.routing.tables import OmbudsmanOutcomeRow

router = APIRouter(prefix="/api/v1", tags=["cases"])

NOT_REFERRED = "Deze klacht is niet naar de ombudsman gestuurd. Gebruik eerst de actie 'refer-ombudsman'."
ALREADY = "Het oordeel van de ombudsman is al vastgelegd voor deze klacht."


class OmbudsmanOutcomeIn(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    outcome: Outcome
    recommendations: list[str] = Field(default_factory=list, max_length=50)
    norms: list[Norm] = Field(default_factory=list, max_length=22)
    at: date | datetime | None = None
    actor: str | None = Field(default=None, max_length=200)

    @field_validator("recommendations", mode="before")
    @classmethod
    def _one_or_many(cls, value: object) -> object:
        if isinstance(value, str):
            return [value] if value.strip() else []
        return value


@router.post("/cases/{case_id}/ombudsman/outcome", responses={404: {}, 409: {}, 422: {}})
async def record_ombudsman_outcome(
    case_id: str, request: Request, body: Annotated[dict[str, Any] | None, Body()] = None
) -> Any:
    work: CaseWork = request.app.state.casework
    await ensure_in_scope(request, work, case_id)
    try:
        # The actor is the signed-in caller (DESIGN.md), whatever the body says.
        given = OmbudsmanOutcomeIn.model_validate({**(body or {}), "actor": access_of(request).name})
    except ValidationError as error:
        raise Problem.from_validation(error.errors(), prefix=("body",)) from None
    now = work.now()
    at = moment_of(given.at) if given.at is not None else now
    try:
        async with work.service.db.transaction() as session:
            row = await load_row(session, case_id)
            case = case_of(row)
            if not case.ombudsman_referred:
                raise Problem(409, detail=NOT_REFERRED)
            if await session.get(OmbudsmanOutcomeRow, case_id) is not None:
                raise Problem(409, detail=ALREADY)
            norms = sorted({n.value for n in given.norms})
            session.add(
                OmbudsmanOutcomeRow(
                    case_id=case_id, outcome=given.outcome.value, recommendations=given.recommendations,
                    norms=norms, at=at, actor=given.actor or "medewerker", recorded_at=now,
                )
            )  # fmt: skip
            count = len(given.recommendations)
            data = {"outcome": given.outcome.value, "recommendations": count, "norms": norms}
            await work.note(session, row, system_event("ombudsman-outcome", at, data))  # type: ignore[arg-type]
            await work.service.outbox.add(
                session,
                ce.OmbudsmanOutcomeRecorded(
                    case_id=case_id, state=case.state.value, previous_state=case.state.value, at=at,
                    actor=given.actor or "medewerker", ombudsman_outcome=given.outcome,
                    recommendations=len(given.recommendations), norms=[Norm(n) for n in norms],
                ),
                subject=case_id,
            )  # fmt: skip
    except CaseNotFound:
        raise HTTPException(404, detail="Deze klacht kennen we niet.") from None
    work.service.outbox.notify()
    async with work.service.db.reading() as session:
        return await case_resource(session, case_id, local_date(work.now()))
