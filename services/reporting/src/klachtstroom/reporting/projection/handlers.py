"""Reporting's consumer: every event that matters for a report is logged, in the batch transaction.

Folding the log into rows happens once per batch, after commit (`live.Refresher`), so a
batch of 500 events costs 500 small inserts here and one fold per touched complaint there.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from klachtstroom.contracts.envelope import Envelope, Payload
from klachtstroom.platform.consumer import EventHandler
from klachtstroom.reporting.projection.event_log import LOGGED_PAYLOADS, log_entries, time_us
from klachtstroom.reporting.projection.queries import append, live_set
from klachtstroom.reporting.store import ProjectionSet

_SET_KEY = "reporting.projection_set"


async def log_event(session: AsyncSession, envelope: Envelope, event: Payload) -> None:
    pset = session.info.get(_SET_KEY)
    if not isinstance(pset, ProjectionSet):
        # Shared lock: a rebuild cannot flip the live set while this batch is being written.
        pset = await live_set(session, lock="share")
        session.info[_SET_KEY] = pset
    await append(session, pset, envelope.id, time_us(envelope.time), envelope.type, log_entries(event))


HANDLERS: dict[type[Payload], EventHandler] = {model: log_event for model in LOGGED_PAYLOADS}
