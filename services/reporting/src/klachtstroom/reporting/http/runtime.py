"""What the HTTP routes of reporting share: settings, the signal desk, today's date, the facts."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from fastapi import Request

from klachtstroom.contracts.timekeeping import local_date
from klachtstroom.platform.service import Service
from klachtstroom.reporting.projection.live import Refresher
from klachtstroom.reporting.projection.queries import read_facts
from klachtstroom.reporting.reports.aggregates import CountsCache
from klachtstroom.reporting.reports.facts import CaseFacts
from klachtstroom.reporting.settings import ReportingSettings
from klachtstroom.reporting.signals.delivery import SignalSender
from klachtstroom.reporting.signals.desk import SignalDesk


@dataclass
class Reporting:
    service: Service
    settings: ReportingSettings
    desk: SignalDesk
    refresher: Refresher
    sender: SignalSender
    counts: CountsCache = field(default_factory=CountsCache)  # report counts per projection version

    def today(self) -> date:
        """Today's Dutch date on the service clock (tests move it)."""
        return local_date(self.service.clock.now())

    def as_of(self, year: int, given: date | None = None) -> date:
        """The report date: as given, else 31 December, or today while the year still runs."""
        return given or min(date(year, 12, 31), self.today())

    async def facts(self, first_year: int | None = None, last_year: int | None = None) -> list[CaseFacts]:
        async with self.service.db.reading() as session:
            return await read_facts(session, first_year, last_year)


def reporting_of(request: Request) -> Reporting:
    reporting: Reporting = request.app.state.reporting
    return reporting
