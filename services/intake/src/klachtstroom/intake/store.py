"""Intake's own database: complaints, the complainant's (encrypted) contact details, idempotency."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from klachtstroom.platform.encrypted import EncryptedBytes, EncryptedText
from klachtstroom.platform.outbound.queue import define_outbound_table
from klachtstroom.platform.tables import define_platform_tables


class Base(DeclarativeBase):
    metadata = MetaData()


platform_tables = define_platform_tables(Base.metadata)
outbound_calls = define_outbound_table(Base.metadata)


class Complainant(Base):
    """Contact details, kept apart from the complaint so reports and exports stay anonymous.

    Every field is encrypted at rest; the *_hash columns are keyed hashes used to recognise
    the same person across channels (duplicates) without decrypting anything.
    """

    __tablename__ = "complainants"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    email_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    phone_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    address_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    bsn_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    name_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    email_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    phone_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    bsn_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Complaint(Base):
    __tablename__ = "complaints"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    reference: Mapped[str] = mapped_column(String(32), unique=True)
    channel: Mapped[str] = mapped_column(String(20))
    # Free text by or about a person: encrypted at rest (platform/encrypted.py).
    description: Mapped[str] = mapped_column(EncryptedText)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    complainant_id: Mapped[str] = mapped_column(ForeignKey("complainants.id"), index=True)
    municipality: Mapped[str | None] = mapped_column(String(200))
    unit: Mapped[str | None] = mapped_column(String(200))
    provider: Mapped[str | None] = mapped_column(String(200))
    about_employee: Mapped[str | None] = mapped_column(EncryptedText)
    kind: Mapped[str] = mapped_column(String(20))
    category: Mapped[str] = mapped_column(String(30))
    urgent: Mapped[bool] = mapped_column(Boolean)
    formal: Mapped[bool] = mapped_column(Boolean, default=False)
    # The complainant agreed that the provider of a referred complaint may call or mail them.
    provider_may_contact: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    triage: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(30), default="received")
    status_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    outcome: Mapped[str | None] = mapped_column(String(30))
    handover_note: Mapped[str | None] = mapped_column(EncryptedText)
    in_reply_to: Mapped[str | None] = mapped_column(String(36))
    duplicate_of: Mapped[str | None] = mapped_column(String(36), index=True)
    merged_into: Mapped[str | None] = mapped_column(String(36))
    source_ref: Mapped[str | None] = mapped_column(String(300), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # When retention destroyed the personal data and free text of this file (privacy/retention.py).
    destroyed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)


class Attachment(Base):
    __tablename__ = "attachments"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    complaint_id: Mapped[str] = mapped_column(ForeignKey("complaints.id"), index=True)
    # Set when the file came with a later message (an e-mail reply) rather than the complaint itself.
    message_id: Mapped[str | None] = mapped_column(String(36), default=None)
    filename: Mapped[str] = mapped_column(String(300))
    content_type: Mapped[str] = mapped_column(String(200))
    size: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(EncryptedBytes)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class RawMail(Base):
    """Every byte of an e-mail as it arrived (encrypted), kept with the file: whatever parsing
    left out (a part without a boundary, a refused attachment) can still be read by a person."""

    __tablename__ = "raw_mails"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    complaint_id: Mapped[str] = mapped_column(ForeignKey("complaints.id"), index=True)
    # Set when the mail was a reply kept with the complaint (complaint_messages.id).
    message_id: Mapped[str | None] = mapped_column(String(36), default=None)
    size: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(EncryptedBytes)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class IdempotencyKey(Base):
    __tablename__ = "idempotency_keys"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    complaint_id: Mapped[str] = mapped_column(String(36))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ReferenceCounter(Base):
    """Per-year sequence behind the reference a resident reads out on the phone (KL-2026-000042)."""

    __tablename__ = "reference_counters"

    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last: Mapped[int] = mapped_column(Integer)


class TriageOverride(Base):
    """A person's correction of triage: kept, and learned from."""

    __tablename__ = "triage_overrides"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    complaint_id: Mapped[str] = mapped_column(String(36), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    category: Mapped[str] = mapped_column(String(30))
    urgent: Mapped[bool] = mapped_column(Boolean)
    actor: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # What the triage had said before the correction, so the audit shows what was taught.
    previous: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    # A correction that was undone is no longer learned from; who undid it and when stays.
    undone_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    undone_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class ComplaintMessage(Base):
    """A later message about an existing complaint, e.g. an e-mail reply naming its reference.

    A reply is not a new complaint: it is kept with the complaint it belongs to.
    """

    __tablename__ = "complaint_messages"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    complaint_id: Mapped[str] = mapped_column(ForeignKey("complaints.id"), index=True)
    channel: Mapped[str] = mapped_column(String(20))
    subject: Mapped[str | None] = mapped_column(EncryptedText)
    body: Mapped[str] = mapped_column(EncryptedText)
    sender_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    attachments: Mapped[int] = mapped_column(Integer, default=0)
    source_ref: Mapped[str | None] = mapped_column(String(300), unique=True)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class DuplicateSuspicion(Base):
    """Why registration thought a complaint repeats an earlier one; a person decides (merge)."""

    __tablename__ = "duplicate_suspicions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    complaint_id: Mapped[str] = mapped_column(String(36), index=True)
    duplicate_of: Mapped[str] = mapped_column(String(36), index=True)
    score: Mapped[float] = mapped_column(Float)
    reasons: Mapped[list[str]] = mapped_column(JSON)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ImportJob(Base):
    """One uploaded register (CSV or XLSX): its file, progress and row-level report."""

    __tablename__ = "import_jobs"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    file_hash: Mapped[str] = mapped_column(String(64), index=True)
    filename: Mapped[str] = mapped_column(String(300))
    dry_run: Mapped[bool] = mapped_column(Boolean)
    status: Mapped[str] = mapped_column(String(20), index=True)  # queued, running, done, failed
    total: Mapped[int] = mapped_column(Integer, default=0)
    done: Mapped[int] = mapped_column(Integer, default=0)
    imported: Mapped[int] = mapped_column(Integer, default=0)
    already_imported: Mapped[int] = mapped_column(Integer, default=0)
    errors: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    warnings: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    content: Mapped[bytes] = mapped_column(EncryptedBytes)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


# --- the resident's side: own link, progress, feedback, messages (resident/) --------------------


class StatusLink(Base):
    """The resident's own link: only a hash of the code is kept, so a database copy opens nothing."""

    __tablename__ = "status_links"

    code_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    complaint_id: Mapped[str] = mapped_column(String(36), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class DesiredOutcome(Base):
    """What the complainant wants to achieve ("wat wilt u bereiken"): their own words, kept here."""

    __tablename__ = "desired_outcomes"

    complaint_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    text: Mapped[str] = mapped_column(EncryptedText)


class ResidentProgress(Base):
    """What the resident may know about their complaint, followed from routing's and deadlines' events."""

    __tablename__ = "resident_progress"

    complaint_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    handler_kind: Mapped[str | None] = mapped_column(String(20))
    unit: Mapped[str | None] = mapped_column(String(200))
    provider: Mapped[str | None] = mapped_column(String(200))
    handler_name: Mapped[str | None] = mapped_column(String(200))
    decision_due: Mapped[date | None] = mapped_column(Date)
    deadline_extended_weeks: Mapped[int] = mapped_column(Integer, default=0)
    extended_weeks: Mapped[int] = mapped_column(Integer, default=0)
    extension_reason: Mapped[str | None] = mapped_column(EncryptedText)
    extension_told: Mapped[int] = mapped_column(Integer, default=0)  # weeks the resident was told of
    suspended_reason: Mapped[str | None] = mapped_column(EncryptedText)
    resolution: Mapped[str | None] = mapped_column(String(20))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ResidentUpdate(Base):
    """One line of the timeline on the resident's page, in B1 Dutch."""

    __tablename__ = "resident_updates"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    complaint_id: Mapped[str] = mapped_column(String(36), index=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    text: Mapped[str] = mapped_column(EncryptedText)


class Feedback(Base):
    """The resident's answer after closing: once per complaint."""

    __tablename__ = "feedback"

    complaint_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    score: Mapped[int] = mapped_column(Integer)
    heard: Mapped[bool] = mapped_column(Boolean)
    comment: Mapped[str | None] = mapped_column(EncryptedText)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ResidentMessage(Base):
    """A message to the resident, queued in the transaction of the change it tells about.

    Its writing and sending is an outbound call (kind `resident.message`, body: this row's id,
    never a text or address) on the platform's queue; letters, once written, wait in the print
    queue. Recipient and body are encrypted (the receipt holds the status link); the body is
    wiped once sent. State, attempts and last error are kept here for the API.
    """

    __tablename__ = "resident_messages"
    __table_args__ = (UniqueConstraint("complaint_id", "kind", "seq", name="uq_resident_message_once"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    complaint_id: Mapped[str] = mapped_column(String(36), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    seq: Mapped[int] = mapped_column(Integer, default=0)
    channel: Mapped[str] = mapped_column(String(10))  # email | letter
    state: Mapped[str] = mapped_column(String(10), index=True)  # pending | sent | printed | failed
    recipient_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    subject: Mapped[str] = mapped_column(String(300))
    body_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class MessageTemplate(Base):
    """A municipality's own wording of a message to residents (defaults ship with the code)."""

    __tablename__ = "message_templates"

    kind: Mapped[str] = mapped_column(String(30), primary_key=True)
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    updated_by: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class PrivacyLog(Base):
    """Append-only record of privacy work: requests for access, retention runs, rectifications.

    Who, in which role, when, what and on which complaints; never the personal data itself.
    """

    __tablename__ = "privacy_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    action: Mapped[str] = mapped_column(String(40))  # access, retention, rectification
    actor: Mapped[str] = mapped_column(String(200))
    role: Mapped[str | None] = mapped_column(String(40))
    complaint_ids: Mapped[list[str]] = mapped_column(JSON)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON)
