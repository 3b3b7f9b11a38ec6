"""Events written by reporting to `complaints.signal.v1`: what reaches the college."""

from __future__ import annotations

from datetime import date
from typing import ClassVar

from pydantic import AwareDatetime, Field

from klachtstroom.contracts import topics
from klachtstroom.contracts.envelope import Payload


class UrgentSignal(Payload):
    event_type: ClassVar[str] = "nl.klachtstroom.signal.urgent.v1"
    topic: ClassVar[str] = topics.SIGNAL

    signal_id: str
    complaint_id: str
    reference: str
    summary: str = Field(description="short Dutch summary without personal data")
    reasons: list[str] = Field(default_factory=list)
    municipality: str | None = None
    unit: str | None = None
    at: AwareDatetime
    category: str | None = Field(default=None, description="category of the complaint (vocabulary value)")


class TrendSignal(Payload):
    event_type: ClassVar[str] = "nl.klachtstroom.signal.trend.v1"
    topic: ClassVar[str] = topics.SIGNAL

    signal_id: str
    kind: str
    key: str
    observed: float
    expected: float
    summary: str
    at: AwareDatetime
    as_of: date | None = Field(default=None, description="the last day of the window the trend was seen in")
    window_days: int | None = Field(default=None, description="length of that window in days")


class ReportPublished(Payload):
    event_type: ClassVar[str] = "nl.klachtstroom.signal.report_published.v1"
    topic: ClassVar[str] = topics.SIGNAL

    report: str
    year: int
    municipality: str | None = None
    url: str
    at: AwareDatetime
