"""Routing's own database: cases (the domain Case serialised, plus denormalised filter columns),
their history and terms, the versioned routing rules, providers and outbound deliveries.

Datetimes are stored in UTC; SQLite hands them back naive, so read them through `utc()`.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from klachtstroom.platform.encrypted import EncryptedJSON, EncryptedText
from klachtstroom.platform.outbound.queue import define_outbound_table
from klachtstroom.platform.tables import Serial, define_platform_tables


class Base(DeclarativeBase):
    metadata = MetaData()


platform_tables = define_platform_tables(Base.metadata)
# Provider hand-overs (and Zaken API calls) wait here for the platform's outbound queue.
outbound_calls = define_outbound_table(Base.metadata)


def utc(moment: datetime) -> datetime:
    """A stored moment as an aware UTC datetime (SQLite returns naive UTC)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def utc_or_none(moment: datetime | None) -> datetime | None:
    return None if moment is None else utc(moment)


class CaseRow(Base):
    """One case. `data` holds the domain Case (without history); the other columns copy what
    lists filter on. `version` guards against two actions applying to the same version."""

    __tablename__ = "cases"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    reference: Mapped[str] = mapped_column(String(40), index=True)
    state: Mapped[str] = mapped_column(String(20), index=True)
    kind: Mapped[str] = mapped_column(String(20), index=True)
    category: Mapped[str] = mapped_column(String(30), index=True)
    channel: Mapped[str] = mapped_column(String(20))
    urgent: Mapped[bool] = mapped_column(Boolean, index=True)
    municipality: Mapped[str | None] = mapped_column(String(200), index=True)
    unit: Mapped[str | None] = mapped_column(String(200), index=True)
    provider: Mapped[str | None] = mapped_column(String(200), index=True)
    handler: Mapped[str] = mapped_column(String(20), index=True)
    handler_name: Mapped[str | None] = mapped_column(String(200), index=True)
    resolution: Mapped[str | None] = mapped_column(String(20))
    outcome: Mapped[str | None] = mapped_column(String(30))
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    decision_due: Mapped[date | None] = mapped_column(Date, index=True)
    flagged: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    merged_into: Mapped[str | None] = mapped_column(String(64))
    rule_id: Mapped[str | None] = mapped_column(String(100))
    rule_version: Mapped[int | None] = mapped_column(Integer)
    routing_explanation: Mapped[str | None] = mapped_column(Text)
    # Free text that may carry personal data: kept here, never put in an event.
    # No longer written: the texts are intake's and asked when needed (casework/complaint_text.py); the
    # columns stay until a migration drops them (rows written before the claim check hold text,
    # encrypted at rest).
    description: Mapped[str] = mapped_column(EncryptedText, default="")
    handover_note: Mapped[str | None] = mapped_column(EncryptedText)
    complainant_id: Mapped[str | None] = mapped_column(String(64))
    # The complainant agreed that the provider may contact them (ComplaintReceived): the hand-over
    # then carries their contact details, asked from intake when it is sent (outbound/providers.py).
    provider_may_contact: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    version: Mapped[int] = mapped_column(Integer, default=1)
    # When retention destroyed the file's personal data and free text (privacy/destruction.py).
    destroyed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    # Optimistic locking: an UPDATE matches only the version it read, else StaleDataError.
    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class HistoryRow(Base):
    """One entry of a case's history, in the order it happened to the case."""

    __tablename__ = "case_history"
    __table_args__ = (Index("ix_case_history_case_seq", "case_id", "seq", unique=True),)

    id: Mapped[int] = mapped_column(Serial, primary_key=True, autoincrement=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(40))
    event_type: Mapped[str | None] = mapped_column(String(40))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str] = mapped_column(String(200))
    # Reasons, notes, hearing reports and summaries: encrypted at rest.
    reason: Mapped[str | None] = mapped_column(EncryptedText)
    data: Mapped[dict[str, Any]] = mapped_column(EncryptedJSON)
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class DeadlineRow(Base):
    """A term as the deadlines service computed it (latest DeadlineSet/Met/Breached)."""

    __tablename__ = "case_deadlines"

    case_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(30), primary_key=True)
    start: Mapped[date] = mapped_column(Date)
    due: Mapped[date] = mapped_column(Date, index=True)
    unmoved_due: Mapped[date | None] = mapped_column(Date)
    state: Mapped[str] = mapped_column(String(20), index=True)
    extended_weeks: Mapped[int] = mapped_column(Integer, default=0)
    explanation: Mapped[list[str]] = mapped_column(JSON)
    met_on: Mapped[date | None] = mapped_column(Date)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class RuleSetRow(Base):
    """Every version of the routing rules stays, so each decision can be traced to its rule."""

    __tablename__ = "rule_sets"

    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    rules: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    actor: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ProviderRow(Base):
    """A contracted provider (zorgaanbieder): first line for complaints about its own work."""

    __tablename__ = "providers"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)  # the name, case-folded
    name: Mapped[str] = mapped_column(String(200))
    webhook_url: Mapped[str | None] = mapped_column(String(1000))
    secret: Mapped[str | None] = mapped_column(String(500))
    contact: Mapped[str | None] = mapped_column(String(500))
    response_working_days: Mapped[int] = mapped_column(Integer, default=10)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ProviderMessageRow(Base):
    """A provider's status report already handled (its `webhook-id`): a repeat has no second effect."""

    __tablename__ = "provider_messages"

    provider_key: Mapped[str] = mapped_column(String(200), primary_key=True)
    message_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    case_id: Mapped[str] = mapped_column(String(64))
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)


class ZaakRow(Base):
    """The zaak in the Zaken API (Suite Sociaal Domein) that mirrors a case."""

    __tablename__ = "zgw_zaken"

    case_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    zaak_url: Mapped[str] = mapped_column(String(1000), unique=True)
    identificatie: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class CaseFlagRow(Base):
    """Something the coordinator must look at, in Dutch (the Case resource's `flags`)."""

    __tablename__ = "case_flags"

    id: Mapped[int] = mapped_column(Serial, primary_key=True, autoincrement=True)
    case_id: Mapped[str] = mapped_column(String(64), index=True)
    kind: Mapped[str] = mapped_column(String(40))  # e.g. follow_up_call
    text: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class OmbudsmanOutcomeRow(Base):
    """What the ombudsman concluded after a referral, recorded when it comes in (months later)."""

    __tablename__ = "ombudsman_outcomes"

    case_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    outcome: Mapped[str] = mapped_column(String(30))
    recommendations: Mapped[list[str]] = mapped_column(JSON)
    norms: Mapped[list[str]] = mapped_column(JSON)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str] = mapped_column(String(200))
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class LetterTemplateRow(Base):
    """A municipality's own wording of a letter (set by an admin), used instead of the shipped one."""

    __tablename__ = "letter_templates"

    kind: Mapped[str] = mapped_column(String(40), primary_key=True)
    body: Mapped[str] = mapped_column(Text)
    updated_by: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class SentLetterRow(Base):
    """A letter as it was sent to the complainant: shown as it was, never composed again."""

    __tablename__ = "sent_letters"
    __table_args__ = (UniqueConstraint("case_id", "kind", "about", name="uq_sent_letters_case_kind_about"),)

    id: Mapped[int] = mapped_column(Serial, primary_key=True, autoincrement=True)
    case_id: Mapped[str] = mapped_column(String(64), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    # The history entry the letter answers (its id), "" for the acknowledgement: a second
    # postponement has a letter of its own.
    about: Mapped[str] = mapped_column(String(40), default="")
    letter_date: Mapped[date] = mapped_column(Date)
    sent_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    sent_by: Mapped[str] = mapped_column(String(200))
    organisation: Mapped[str] = mapped_column(Text)
    # The text holds the complainant's name, the addressee their address: encrypted at rest.
    text: Mapped[str] = mapped_column(EncryptedText)
    addressee: Mapped[list[str]] = mapped_column(EncryptedJSON)
