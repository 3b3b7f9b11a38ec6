"""The platform's tables, added to each service's own metadata (one database per service)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    DateTime,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
)

# SQLite only auto-increments INTEGER PRIMARY KEY; PostgreSQL gets a BIGINT identity.
Serial = BigInteger().with_variant(Integer(), "sqlite")


@dataclass(frozen=True)
class PlatformTables:
    outbox: Table
    processed_messages: Table
    delivery_attempts: Table
    leases: Table
    audit: Table


def define_platform_tables(metadata: MetaData) -> PlatformTables:
    outbox = Table(
        "outbox",
        metadata,
        Column("id", Serial, primary_key=True, autoincrement=True),
        Column("event_id", String(64), nullable=False, unique=True),
        Column("topic", String(200), nullable=False),
        Column("key", String(200), nullable=False),
        Column("value", LargeBinary, nullable=False),
        Column("headers", JSON, nullable=False),
        Column("created_at", DateTime(timezone=True), nullable=False),
        Column("sent_at", DateTime(timezone=True), nullable=True, index=True),
        # A row that can never be published (too large, invalid) is parked, so the rest flows on.
        Column("parked_at", DateTime(timezone=True), nullable=True),
        Column("parked_reason", String(100), nullable=True),
    )
    processed = Table(
        "processed_messages",
        metadata,
        Column("consumer", String(100), primary_key=True),
        Column("event_id", String(64), primary_key=True),
        Column("processed_at", DateTime(timezone=True), nullable=False),
    )
    attempts = Table(
        "delivery_attempts",
        metadata,
        Column("consumer", String(100), primary_key=True),
        Column("event_id", String(64), primary_key=True),
        Column("attempts", Integer, nullable=False),
        Column("last_error", Text, nullable=True),
        Column("updated_at", DateTime(timezone=True), nullable=False),
    )
    leases = Table(
        "leases",
        metadata,
        Column("name", String(100), primary_key=True),
        Column("holder", String(100), nullable=False),
        Column("expires_at", DateTime(timezone=True), nullable=False),
    )
    audit = Table(
        "audit_log",
        metadata,
        # Append-only (DESIGN.md "Access and roles", Audit): who read or changed which complaint or
        # case, when, through which route. No complaint text and no personal data of residents.
        Column("id", Serial, primary_key=True, autoincrement=True),
        Column("at", DateTime(timezone=True), nullable=False),
        Column("service", String(50), nullable=False),
        Column("subject", String(200), nullable=False),
        Column("actor", String(200), nullable=False),
        Column("role", String(50), nullable=False),
        Column("action", String(10), nullable=False),
        Column("method", String(10), nullable=False),
        Column("route", String(200), nullable=False),
        Column("case_id", String(64), nullable=True),
        Column("status", Integer, nullable=False),
        # A machine client (another service) asking on behalf of a signed-in person: who that was.
        Column("on_behalf_of", String(200), nullable=True),
        Index("ix_audit_log_case_id", "case_id"),
        Index("ix_audit_log_at", "at"),
    )
    return PlatformTables(outbox, processed, attempts, leases, audit)
