"""Wiring of the deadlines service: case events in, terms and timers, deadline events and
notifications out.

```
complaints.case.v1 -> handlers -> tracking: facts -> terms + timers -> outbox -> complaints.deadline.v1
PUT/DELETE calendar days -> calendar_changes (background): the terms across those days
timers (due) -> TimerEngine -> outbox (warning, breached, escalated) + notifications
notifications -> outbound queue (platform) -> SMTP (e-mail) / webhooks (signed)
```
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from fastapi import FastAPI

from klachtstroom.contracts import topics
from klachtstroom.deadlines import retention
from klachtstroom.deadlines.http import escalation, page, terms
from klachtstroom.deadlines.http.runtime import Deadlines
from klachtstroom.deadlines.notifications.delivery import NotificationSender, notification_retries
from klachtstroom.deadlines.notifications.recipients import EscalationBook
from klachtstroom.deadlines.settings import DeadlinesSettings
from klachtstroom.deadlines.store import Base, outbound_calls, platform_tables
from klachtstroom.deadlines.timers.engine import TimerEngine
from klachtstroom.deadlines.timers.schedule import TimerPlan
from klachtstroom.deadlines.tracking.calendar_changes import CalendarChanges
from klachtstroom.deadlines.tracking.handlers import make_handlers
from klachtstroom.deadlines.tracking.tracker import TermTracker, recompute_if_rules_changed
from klachtstroom.platform import cli
from klachtstroom.platform.outbound.queue import OutboundQueue
from klachtstroom.platform.retention import daily_retention, retention_router
from klachtstroom.platform.service import Service
from klachtstroom.platform.settings import PlatformSettings

MIGRATIONS = Path(__file__).parent / "migrations"


def timer_plan(settings: DeadlinesSettings) -> TimerPlan:
    return TimerPlan(
        policy=settings.policy(),
        ladder=tuple(settings.ladder()),
        warning_hour=settings.warning_hour,
        escalation_hour=settings.escalation_hour,
        kinds=frozenset(settings.timer_kinds),
    )


def create_service(
    settings: PlatformSettings | None = None, deadlines_settings: DeadlinesSettings | None = None
) -> tuple[Service, FastAPI]:
    service = Service("deadlines", Base.metadata, platform_tables, MIGRATIONS, settings)
    config = deadlines_settings or DeadlinesSettings()
    service.publishes(topics.DEADLINE)

    book = EscalationBook(
        service.db, config.escalation_file or service.settings.service_dir("deadlines") / "escalation.json"
    )
    tracker = TermTracker(timer_plan(config), service.outbox, service.clock.now)
    # The platform's outbound queue delivers the notifications (leased: safe with several
    # instances). Retries run on the wall clock, not the test clock: they are about real servers.
    outbound = OutboundQueue(service.db, outbound_calls, policy=notification_retries(config))
    sender = NotificationSender(service.db, outbound, book, config)
    engine = TimerEngine(
        service.db,
        service.outbox,
        tracker,
        book,
        now=service.clock.now,
        batch=config.timer_batch,
        max_sleep=config.timer_max_sleep_seconds,
        record_notifications=sender.record,
        on_fired=sender.wake,
    )
    service.consume(
        [topics.CASE], make_handlers(tracker), consumer_name="deadlines-terms", after_commit=engine.wake_async
    )


    def after_recompute() -> None:
        service.outbox.notify()
        engine.wake()

    calendar_changes = CalendarChanges(service.db, tracker, service.clock.now, after_chunk=after_recompute)

    async def timers() -> None:
        # New rules (a release, other settings) first, so no timer fires by the old ones.
        await recompute_if_rules_changed(service.db, tracker)
        await engine.run()

    async def destroy(ids: Sequence[str], now: datetime) -> list[str]:
        return await retention.destroy(service, ids, now)

    service.background.extend([timers, sender.run, calendar_changes.run, daily_retention(service, destroy)])
    service.clock_hooks.append(engine.on_clock_moved)

    app = service.create_app(
        "klachtstroom deadlines",
        [terms.router, escalation.router, page.router, retention_router(service, destroy)],
        description=(
            "Termijnbewaking volgens de Algemene termijnenwet: termijnen per klacht, de kalender, "
            "waarschuwingen, overschrijdingen en de escalatieladder."
        ),
    )
    app.state.deadlines = Deadlines(service, config, tracker, engine, sender, book, calendar_changes)
    return service, app


def main() -> None:
    cli.main(create_service)
