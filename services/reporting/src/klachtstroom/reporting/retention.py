"""Retention in reporting: what is left of a destroyed file is its anonymous counts.

Reporting's projection already holds no complaint text or contact details (only dates and
vocabulary values, unit, municipality and provider); a provider's reported measures are free
text and go. Its event log (kept to rebuild the projection) loses every free-text field of
the file's events, so a rebuild counts the same and shows no text.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select, update

from klachtstroom.platform.service import Service
from klachtstroom.reporting.store import SETS

# Free text and names that events may carry (older events carried the complaint text).
PERSONAL_KEYS = frozenset(
    {"description", "about_employee", "handover_note", "summary", "report", "note", "reason",
     "measures", "explanation", "handler_name", "comment", "text", "desired_outcome"}
)  # fmt: skip


def without_personal_data(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k not in PERSONAL_KEYS}


async def destroy(service: Service, complaint_ids: Sequence[str], now: datetime) -> list[str]:
    """Strip free text from these files' events and projection rows; returns the ids changed."""
    changed: set[str] = set()
    async with service.db.transaction() as session:
        for start in range(0, len(complaint_ids), 500):
            chunk = list(complaint_ids[start : start + 500])
            for projection in SETS.values():
                log, cases = projection.log, projection.cases
                for row in (await session.scalars(select(log).where(log.complaint_id.in_(chunk)))).all():
                    data = dict(row.data or {})
                    kept = without_personal_data(data)
                    if kept != data:
                        row.data = kept
                        changed.add(row.complaint_id)
                measured = await session.scalars(
                    select(cases.id).where(cases.id.in_(chunk), cases.provider_measures.is_not(None))
                )
                ids = list(measured.all())
                if ids:
                    await session.execute(
                        update(cases).where(cases.id.in_(ids)).values(provider_measures=None)
                    )
                    changed.update(ids)
    return sorted(changed)
