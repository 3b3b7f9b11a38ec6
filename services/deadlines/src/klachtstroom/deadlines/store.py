"""The deadlines service's own database: cases (their facts), terms, durable timers, notifications,
extra calendar days.

Datetimes are stored in UTC (SQLite keeps the wall time without a zone, so never store another
zone); `utc()` turns what SQLite returns (naive) back into an aware moment.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    select,
    true,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from klachtstroom.deadlines.terms.calendar import TermijnenwetCalendar, default_decree_days
from klachtstroom.platform.outbound.queue import define_outbound_table
from klachtstroom.platform.tables import Serial, define_platform_tables


class Base(DeclarativeBase):
    metadata = MetaData()


platform_tables = define_platform_tables(Base.metadata)


def utc(moment: datetime) -> datetime:
    """An aware UTC moment from what the database returned (SQLite gives naive UTC)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


class CaseRecord(Base):
    """What deadlines knows of a case: its facts in history order and who handles it.

    `facts` and `rejected` hold JSON (see terms/facts.py). A fact the term rules refuse is kept in
    `rejected` with the Dutch reason; the terms are then computed without it.
    """

    __tablename__ = "cases"

    case_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    reference: Mapped[str | None] = mapped_column(String(40))
    opened: Mapped[bool] = mapped_column(Boolean, default=False)
    handler: Mapped[str | None] = mapped_column(String(20))
    handler_name: Mapped[str | None] = mapped_column(String(200))
    provider: Mapped[str | None] = mapped_column(String(200))
    municipality: Mapped[str | None] = mapped_column(String(200))
    unit: Mapped[str | None] = mapped_column(String(200))
    # Urgent or flagged: the college hears of a breach too (last step of the ladder).
    sensitive: Mapped[bool] = mapped_column(Boolean, default=False)
    # The case's state by routing's last event, and what it is: no ladder mail for a case that
    # is closed, merged or forwarded, is not a complaint, or whose complainant cannot be reached.
    state: Mapped[str | None] = mapped_column(String(20))
    kind: Mapped[str | None] = mapped_column(String(20))
    reachable: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    facts: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    rejected: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    error: Mapped[str | None] = mapped_column(Text)
    error_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class TermRecord(Base):
    """One term of a case as last computed. `key` is the kind, numbered from the second one on
    (`decision`, `decision#1` after a reopening, `provider_response#1` after a second referral)."""

    __tablename__ = "terms"
    __table_args__ = (
        UniqueConstraint("case_id", "key", name="uq_terms_case_key"),
        Index("ix_terms_state_due", "state", "due"),
    )

    id: Mapped[int] = mapped_column(Serial, primary_key=True, autoincrement=True)
    case_id: Mapped[str] = mapped_column(String(64), index=True)
    key: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(30))
    start: Mapped[date] = mapped_column(Date)
    due: Mapped[date] = mapped_column(Date)
    unmoved_due: Mapped[date] = mapped_column(Date)
    state: Mapped[str] = mapped_column(String(20))
    extended_weeks: Mapped[int] = mapped_column(Integer, default=0)
    met_on: Mapped[date | None] = mapped_column(Date)
    closed_on: Mapped[date | None] = mapped_column(Date)
    provider: Mapped[str | None] = mapped_column(String(200))
    explanation: Mapped[list[str]] = mapped_column(JSON, default=list)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class TimerRecord(Base):
    """A durable timer: one step (warning, breach, a ladder level) of one term for one due date.

    The unique key makes every step fire at most once per due date; a changed due date gets
    new rows and the old pending ones are cancelled. Firing writes the event to the outbox,
    the notifications, and `state = fired` in one transaction.
    """

    __tablename__ = "timers"
    __table_args__ = (
        UniqueConstraint("case_id", "term_key", "step", "due", name="uq_timers_step"),
        Index("ix_timers_state_fire_at", "state", "fire_at"),
    )

    id: Mapped[int] = mapped_column(Serial, primary_key=True, autoincrement=True)
    case_id: Mapped[str] = mapped_column(String(64), index=True)
    term_key: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(30))
    step: Mapped[str] = mapped_column(String(20))
    due: Mapped[date] = mapped_column(Date)
    fire_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    state: Mapped[str] = mapped_column(String(12), default="pending")  # pending, fired, cancelled
    fired_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    fired_by: Mapped[str | None] = mapped_column(String(120))
    event_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class NotificationRecord(Base):
    """An e-mail or webhook call the term watch sends, written in the transaction that fired its
    timer. Its delivery (state, attempts, last error) is the outbound call with the same
    `message_id` (notifications/delivery.py)."""

    __tablename__ = "notifications"
    __table_args__ = (
        UniqueConstraint("timer_id", "channel", "target", name="uq_notifications_target"),
        UniqueConstraint("message_id", name="uq_notifications_message_id"),
    )

    id: Mapped[int] = mapped_column(Serial, primary_key=True, autoincrement=True)
    timer_id: Mapped[int] = mapped_column(Serial, index=True)
    case_id: Mapped[str] = mapped_column(String(64), index=True)
    step: Mapped[str] = mapped_column(String(20))
    channel: Mapped[str] = mapped_column(String(10))  # email, webhook
    target: Mapped[str] = mapped_column(String(500))  # an employee's work address or a URL
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    message_id: Mapped[str] = mapped_column(String(100))  # of its outbound call
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


# Deliveries of the notifications (kinds `notification.email`, `notification.webhook`).
outbound_calls = define_outbound_table(Base.metadata)


class CalendarDayRecord(Base):
    """A day added by an operator: a new decree day (`besluit`) or a local closing day (`gemeente`)."""

    __tablename__ = "calendar_days"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    source: Mapped[str] = mapped_column(String(12), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    added_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class CalendarChangeRecord(Base):
    """Days added to or removed from the calendar: the terms that run across them are recomputed
    in the background (calendar_changes.py), `cursor` the last case id done, so a restart resumes."""

    __tablename__ = "calendar_changes"

    id: Mapped[int] = mapped_column(Serial, primary_key=True, autoincrement=True)
    first_day: Mapped[date] = mapped_column(Date)
    last_day: Mapped[date] = mapped_column(Date)
    state: Mapped[str] = mapped_column(String(12), index=True)  # pending | done
    cursor: Mapped[str] = mapped_column(String(64), default="")
    recomputed: Mapped[int] = mapped_column(Integer, default=0)
    requested_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class StateRecord(Base):
    """Small named values of the service (e.g. the fingerprint of the rules terms were computed by)."""

    __tablename__ = "deadlines_state"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


# -- queries ----------------------------------------------------------------------------------------


async def extra_days(session: AsyncSession) -> list[CalendarDayRecord]:
    return list((await session.scalars(select(CalendarDayRecord).order_by(CalendarDayRecord.day))).all())


# The calendar of the last rows read, shared by the sessions of this process: building one (and
# its holidays per year) is dear, the rows of added days are few. Equal rows are the version check.
_calendar_cache: dict[tuple[tuple[date, str, str], ...], TermijnenwetCalendar] = {}


async def load_calendar(session: AsyncSession) -> TermijnenwetCalendar:
    """The shipped decrees plus the days added through the API (cached for the session, and
    reused across sessions while the added days stay the same)."""
    cached = session.info.get("deadlines.calendar")
    if isinstance(cached, TermijnenwetCalendar):
        return cached
    query = select(CalendarDayRecord.day, CalendarDayRecord.source, CalendarDayRecord.name).order_by(
        CalendarDayRecord.day, CalendarDayRecord.source
    )
    rows = tuple((r.day, r.source, r.name) for r in (await session.execute(query)).all())
    calendar = _calendar_cache.get(rows)
    if calendar is None:
        decrees = [
            *default_decree_days(),
            *((day, name) for day, source, name in rows if source == "besluit"),
        ]
        local = [(day, name) for day, source, name in rows if source == "gemeente"]
        calendar = TermijnenwetCalendar(decree_days=decrees, local_days=local)
        _calendar_cache.clear()  # keep one: the days only change through the API
        _calendar_cache[rows] = calendar
    session.info["deadlines.calendar"] = calendar
    return calendar
