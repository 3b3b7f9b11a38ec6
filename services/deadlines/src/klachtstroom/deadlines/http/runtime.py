"""The parts of the running deadlines service the HTTP routes reach (kept on `app.state.deadlines`)."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request

from klachtstroom.deadlines.notifications.delivery import NotificationSender
from klachtstroom.deadlines.notifications.recipients import EscalationBook
from klachtstroom.deadlines.settings import DeadlinesSettings
from klachtstroom.deadlines.timers.engine import TimerEngine
from klachtstroom.deadlines.tracking.calendar_changes import CalendarChanges
from klachtstroom.deadlines.tracking.tracker import TermTracker
from klachtstroom.platform.service import Service


@dataclass
class Deadlines:
    service: Service
    settings: DeadlinesSettings
    tracker: TermTracker
    engine: TimerEngine
    sender: NotificationSender
    book: EscalationBook
    calendar_changes: CalendarChanges


def deadlines_of(request: Request) -> Deadlines:
    runtime: Deadlines = request.app.state.deadlines
    return runtime
