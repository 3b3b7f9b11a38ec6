"""Retention in deadlines: terms and dates stay (reports count them), names and mail texts go.

Deadlines keeps no complaint text; what can name a person is the handler's name and the
warning and escalation mails sent about the case (their subject, body and addressee).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, update

from klachtstroom.deadlines.store import CaseRecord, NotificationRecord
from klachtstroom.platform.service import Service


async def destroy(service: Service, complaint_ids: Sequence[str], now: datetime) -> list[str]:
    """Remove handler names and sent mail texts of these cases; returns the ids changed."""
    changed: set[str] = set()
    async with service.db.transaction() as session:
        for start in range(0, len(complaint_ids), 500):
            chunk = list(complaint_ids[start : start + 500])
            named = await session.scalars(
                select(CaseRecord.case_id).where(
                    CaseRecord.case_id.in_(chunk), CaseRecord.handler_name.is_not(None)
                )
            )
            ids = list(named.all())
            if ids:
                await session.execute(
                    update(CaseRecord).where(CaseRecord.case_id.in_(ids)).values(handler_name=None)
                )
                changed.update(ids)
            mailed = await session.scalars(
                select(NotificationRecord.case_id).where(
                    NotificationRecord.case_id.in_(chunk), NotificationRecord.body != ""
                )
            )
            ids = list(set(mailed.all()))
            if ids:
                await session.execute(
                    update(NotificationRecord)
                    .where(NotificationRecord.case_id.in_(ids))
                    .values(subject="", body="", target="")
                )
                changed.update(ids)
    return sorted(changed)
