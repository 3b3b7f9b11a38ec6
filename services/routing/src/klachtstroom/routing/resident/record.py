"""The resident's side in the Case resource: `flags` (e.g. a follow-up call after poor feedback),
whether the desired outcome was achieved, the behoorlijkheidsnormen of the judgement, and the
ombudsman's conclusion."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from klachtstroom.routing.tables import CaseFlagRow, OmbudsmanOutcomeRow, utc


async def resident_fields(
    session: AsyncSession, case_id: str, history: list[dict[str, Any]]
) -> dict[str, Any]:
    query = select(CaseFlagRow).where(CaseFlagRow.case_id == case_id).order_by(CaseFlagRow.id)
    flags = (await session.scalars(query)).all()
    resolved = next((h for h in reversed(history) if h["action"] == "resolve"), None)
    data: dict[str, Any] = (resolved or {}).get("data") or {}
    ombudsman = await session.get(OmbudsmanOutcomeRow, case_id)
    return {
        "flags": [{"kind": f.kind, "text": f.text, "at": utc(f.at).isoformat()} for f in flags],
        "desired_outcome_achieved": data.get("desired_outcome_achieved"),
        "norms": list(data.get("norms") or []),
        "ombudsman": None
        if ombudsman is None
        else {
            "outcome": ombudsman.outcome,
            "recommendations": list(ombudsman.recommendations),
            "norms": list(ombudsman.norms),
            "at": utc(ombudsman.at).isoformat(),
        },
    }
