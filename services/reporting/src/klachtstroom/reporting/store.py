"""Reporting's own database: the projection (two table sets, A and B), signals and their deliveries
(the platform's `outbound_calls`).

The projection lives twice: `event_log_a`/`case_facts_a` and `event_log_b`/`case_facts_b`;
`projection_state` says which set is live. `klachtstroom-reporting rebuild` fills the other set
from the topics and then flips the pointer in one transaction: readers never see a half-built
projection, and no table is created or renamed at run time (same schema on SQLite and PostgreSQL).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Index,
    MetaData,
    String,
    Text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column

from klachtstroom.platform.outbound.queue import define_outbound_table
from klachtstroom.platform.tables import Serial, define_platform_tables


class Base(DeclarativeBase):
    metadata = MetaData()


platform_tables = define_platform_tables(Base.metadata)


class EventLog(Base):
    """One logged event of one complaint: only the fields reports need (see projection/event_log.py)."""

    __abstract__ = True

    seq: Mapped[int] = mapped_column(Serial, primary_key=True, autoincrement=True)
    event_id: Mapped[str] = mapped_column(String(100), unique=True)
    complaint_id: Mapped[str] = mapped_column(String(64))
    stream: Mapped[str] = mapped_column(String(64))
    time_us: Mapped[int] = mapped_column(BigInteger)
    type: Mapped[str] = mapped_column(String(120))
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    folded: Mapped[bool] = mapped_column(Boolean, default=False, index=True)

    @declared_attr.directive
    def __table_args__(cls) -> tuple[Index, ...]:
        # A complaint's events (the fold, a case's history), and of those only the types a report
        # asks for (learning/evidence.py: feedback, judgements) without reading the other rows:
        # a year of complaints is 100,000 lookups, each of a dozen or more events (migration 0008).
        table = cls.__tablename__
        return (Index(f"ix_{table}_complaint_id_type", "complaint_id", "type"),)


class EventLogA(EventLog):
    __tablename__ = "event_log_a"


class EventLogB(EventLog):
    __tablename__ = "event_log_b"


# A report's scope (provider, and whether the row is counted at all), then every column the annual
# report counts (reports/aggregates.py): the index that leads with the received date carries them
# all, the one that leads with the municipality the scope (migration 0007).
SCOPE = ("provider", "complete", "merged_into")
COUNTED = (
    *SCOPE, "unit", "category", "channel", "kind", "state", "outcome", "resolution", "handler",
    "decision_due", "resolved_on", "contact_due", "acknowledged_on", "ombudsman",
)  # fmt: skip


class CaseRow(Base):
    """The projected row of one complaint: a stored `reports.facts.CaseFacts` (projection/queries.py)."""

    __abstract__ = True

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    complete: Mapped[bool] = mapped_column(Boolean, index=True)
    reference: Mapped[str | None] = mapped_column(String(40))
    received_on: Mapped[date | None] = mapped_column(Date, index=True)
    channel: Mapped[str | None] = mapped_column(String(20))
    kind: Mapped[str | None] = mapped_column(String(20))
    category: Mapped[str | None] = mapped_column(String(30))
    urgent: Mapped[bool] = mapped_column(Boolean)
    municipality: Mapped[str | None] = mapped_column(String(200))
    unit: Mapped[str | None] = mapped_column(String(200))
    provider: Mapped[str | None] = mapped_column(String(200))
    handler: Mapped[str] = mapped_column(String(20))
    state: Mapped[str | None] = mapped_column(String(20), index=True)
    resolution: Mapped[str | None] = mapped_column(String(20))
    outcome: Mapped[str | None] = mapped_column(String(30))
    resolved_on: Mapped[date | None] = mapped_column(Date)
    decision_due: Mapped[date | None] = mapped_column(Date)
    contact_due: Mapped[date | None] = mapped_column(Date)
    acknowledged_on: Mapped[date | None] = mapped_column(Date)
    ombudsman: Mapped[bool] = mapped_column(Boolean)
    mediated_with_partner: Mapped[bool] = mapped_column(Boolean)
    # No longer written: measures are routing's text, asked when a provider report is made
    # (reports/provider_measures.py); the column stays until a migration drops it.
    provider_measures: Mapped[str | None] = mapped_column(Text)
    decision_state: Mapped[str | None] = mapped_column(String(20))
    contact_state: Mapped[str | None] = mapped_column(String(20))
    merged_into: Mapped[str | None] = mapped_column(String(64))
    imported: Mapped[bool] = mapped_column(Boolean)
    urgent_reasons: Mapped[list[str]] = mapped_column(JSON)

    @declared_attr.directive
    def __table_args__(cls) -> tuple[Index, ...]:
        # What reports filter on and count (reports/aggregates.py). The first holds every column
        # a report counts, so years of all municipalities' rows are counted in the index (no table
        # row read). The second holds a municipality's received dates and the scope: the per-name
        # counts of `by_municipality` in the index, and one municipality's rows (a few thousand a
        # year) read from the table. Only one index carries every counted column: each such index
        # makes every projection write (fold, rebuild) slower. Then the providers a limited caller
        # sees (read one by one, in order), and one municipality's open cases for the dashboard.
        table = cls.__tablename__
        return (
            Index(f"ix_{table}_received_on_counted", "received_on", "municipality", *COUNTED),
            Index(f"ix_{table}_municipality_scope", "municipality", "received_on", *SCOPE),
            Index(f"ix_{table}_provider", "provider"),
            Index(f"ix_{table}_municipality_state", "municipality", "state"),
        )


class CaseRowA(CaseRow):
    __tablename__ = "case_facts_a"


class CaseRowB(CaseRow):
    __tablename__ = "case_facts_b"


class ProjectionState(Base):
    __tablename__ = "projection_state"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    live: Mapped[str] = mapped_column(String(1))
    rebuilt_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Signal(Base):
    """A signal to the college: one per urgent complaint, one per trend (kind, key, window)."""

    __tablename__ = "signals"

    seq: Mapped[int] = mapped_column(Serial, primary_key=True, autoincrement=True)
    signal_id: Mapped[str] = mapped_column(String(64), unique=True)
    dedupe_key: Mapped[str] = mapped_column(String(400), unique=True)
    kind: Mapped[str] = mapped_column(String(20))  # urgent | trend
    complaint_id: Mapped[str | None] = mapped_column(String(64), index=True)
    trend_kind: Mapped[str | None] = mapped_column(String(40))
    trend_key: Mapped[str | None] = mapped_column(String(200))
    window_end: Mapped[date | None] = mapped_column(Date)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)


# Deliveries of signals to the college (kinds `signal.email`, `signal.webhook`; signals/delivery.py).
outbound_calls = define_outbound_table(Base.metadata)


class MeasureRow(Base):
    """The measures register (leren van klachten): what is changed because of complaints.

    Reporting's own data, not a projection: a rebuild leaves it alone.
    """

    __tablename__ = "measures"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str | None] = mapped_column(Text)
    unit: Mapped[str | None] = mapped_column(String(200), index=True)
    provider: Mapped[str | None] = mapped_column(String(200), index=True)
    complaint_ids: Mapped[list[str]] = mapped_column(JSON)
    ombudsman_case_id: Mapped[str | None] = mapped_column(String(64))
    owner: Mapped[str] = mapped_column(String(200))
    due: Mapped[date] = mapped_column(Date, index=True)
    status: Mapped[str] = mapped_column(String(20), index=True)
    done_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


@dataclass(frozen=True)
class ProjectionSet:
    name: str
    log: type[EventLog]
    cases: type[CaseRow]


SETS: dict[str, ProjectionSet] = {
    "a": ProjectionSet("a", EventLogA, CaseRowA),
    "b": ProjectionSet("b", EventLogB, CaseRowB),
}
POINTER = "projection"


def other_set(current: ProjectionSet) -> ProjectionSet:
    return SETS["b" if current.name == "a" else "a"]
