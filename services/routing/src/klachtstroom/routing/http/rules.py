"""Routing rules as data through the API: read the current version, replace it with the next.

A person can always overrule a rule for one case with the `assign` action.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy import select

from klachtstroom.contracts.vocabulary import Category, Handler
from klachtstroom.platform.ids import RowId
from klachtstroom.platform.problems import Problem
from klachtstroom.routing.http.cases import casework
from klachtstroom.routing.rules.ruleset import PRECEDENCE, InvalidRuleSet
from klachtstroom.routing.rules.versions import (
    current_rules,
    ensure_seeded,
    known_values,
    replace_rules,
    rule_from_json,
    rule_to_json,
)
from klachtstroom.routing.tables import RuleSetRow, utc

router = APIRouter(prefix="/api/v1", tags=["routing rules"])


class RuleIn(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    id: str = Field(min_length=1, max_length=100)
    municipality: str | None = Field(default=None, max_length=200)
    unit: str | None = Field(default=None, max_length=200)
    category: Category | None = None
    provider: str | None = Field(default=None, max_length=200)
    handler: Handler = Handler.municipality
    handler_name: str | None = Field(default=None, max_length=200)
    priority: int = 0
    version: int | None = None  # ignored: the service stamps versions


class RuleSetIn(BaseModel):
    model_config = ConfigDict(extra="ignore")

    rules: list[RuleIn]
    actor: str = Field(default="medewerker", max_length=200)

    @model_validator(mode="before")
    @classmethod
    def _accept_list_or_items(cls, value: Any) -> Any:
        # Clients send the list itself, {"rules": [...]} or the {"items": [...]} a GET returns.
        if isinstance(value, list):
            return {"rules": value}
        if isinstance(value, dict) and "rules" not in value and "items" in value:
            return {**value, "rules": value["items"]}
        return value


class RoutableIn(BaseModel):
    municipality: str | None = None
    unit: str | None = None
    category: str | None = None
    provider: str | None = None


async def _rule_set_json(request: Request, version: int | None = None) -> dict[str, Any]:
    work = casework(request)
    async with work.service.db.transaction() as session:
        await ensure_seeded(session, work.settings, work.now())
        query = select(RuleSetRow).order_by(RuleSetRow.version.desc()).limit(1)
        if version is not None:
            query = select(RuleSetRow).where(RuleSetRow.version == version)
        row = (await session.execute(query)).scalar_one_or_none()
    if row is None:
        raise HTTPException(404, detail=f"Versie {version} van de routeringsregels bestaat niet.")
    return {
        "version": row.version,
        "actor": row.actor,
        "created_at": utc(row.created_at).isoformat(),
        "rules": row.rules,
        "precedence": [{"step": p.step, "rule": p.rule} for p in PRECEDENCE],
    }


@router.get("/routing-rules")
async def get_rules(request: Request) -> dict[str, Any]:
    """The rules in force; every case records the rule id and version that routed it."""
    return await _rule_set_json(request)


@router.get("/routing-rules/units")
async def known_units(request: Request) -> dict[str, Any]:
    """The units routing knows (its rules and its configured register), for the public form's
    list: a form offers no unit that routing would not know. Empty: every unit is accepted."""
    work = casework(request)
    async with work.service.db.reading() as session:
        rules = await current_rules(session, work.settings)
    units = {rule.unit for rule in rules.rules if rule.unit} | set(work.settings.units)
    return {"items": sorted(units, key=str.casefold)}


@router.get("/routing-rules/{version}")
async def get_rules_version(version: RowId, request: Request) -> dict[str, Any]:
    return await _rule_set_json(request, version)


@router.put("/routing-rules")
async def put_rules(body: RuleSetIn, request: Request) -> Any:
    """Replace the rules; the result is the next version (unchanged rules keep their version)."""
    work = casework(request)
    try:
        rules = [rule_from_json(r.model_dump(mode="json"), i) for i, r in enumerate(body.rules)]
        async with work.service.db.transaction() as session:
            new = await replace_rules(session, work.settings, rules, actor=body.actor, now=work.now())
    except InvalidRuleSet as error:
        raise Problem.invalid(error.field.replace("[", ".").replace("]", ""), error.message) from None
    return {"version": new.version, "actor": body.actor, "rules": [rule_to_json(r) for r in new.rules]}


@router.post("/routing-rules/match")
async def try_rules(body: RoutableIn, request: Request) -> dict[str, Any]:
    """Where would a complaint with these values go, and why? Stores nothing."""
    work = casework(request)
    async with work.service.db.reading() as session:
        rules = await current_rules(session, work.settings)
        decision = rules.match(body, known=await known_values(session, work.settings, rules, body))
    return {
        "rule_id": decision.rule_id,
        "rule_version": decision.rule_version,
        "handler": decision.handler.value,
        "handler_name": decision.handler_name,
        "provider": decision.provider,
        "flagged_for_coordinator": decision.flagged_unknown,
        "unknown_fields": list(decision.unknown_fields),
        "explanation": decision.explanation,
        "precedence": decision.precedence,
    }
