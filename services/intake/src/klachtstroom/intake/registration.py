"""Registering a complaint: the one path every channel takes (API, form, e-mail, KCC, import).

One transaction stores the complaint, the encrypted contact details and the
`complaint.received` event in the outbox; when it commits, the complaint is safe.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import bindparam, or_, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from klachtstroom.contracts.intake_events import (
    ComplaintReceived,
    DuplicateSuspected,
    ImportedHistory,
    TriageVerdict,
)
from klachtstroom.contracts.timekeeping import local_date
from klachtstroom.contracts.vocabulary import Category, Channel, Kind
from klachtstroom.intake.duplicates import WINDOW, Candidate, Suspicion, suspect_duplicate
from klachtstroom.intake.personal_data import Vault
from klachtstroom.intake.resident.messages import recipient_from
from klachtstroom.intake.resident.start import new_link, start_following
from klachtstroom.intake.settings import IntakeSettings
from klachtstroom.intake.store import (
    Attachment,
    Complainant,
    Complaint,
    DuplicateSuspicion,
    IdempotencyKey,
    RawMail,
    ReferenceCounter,
)
from klachtstroom.intake.triage import OverrideMemory, TriageEngine, TriageResult
from klachtstroom.platform.db import insert_new, is_sqlite
from klachtstroom.platform.peers import peer_url
from klachtstroom.platform.service import Service


@dataclass(frozen=True)
class ContactDetails:
    name: str | None = None
    email: str | None = None
    phone: str | None = None
    address: str | None = None
    bsn: str | None = None

    @property
    def reachable(self) -> bool:
        return bool(self.email or self.phone or self.address)


@dataclass(frozen=True)
class AttachmentIn:
    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class NewComplaint:
    channel: Channel
    description: str
    received_at: datetime
    contact: ContactDetails = ContactDetails()
    municipality: str | None = None
    unit: str | None = None
    provider: str | None = None
    about_employee: str | None = None
    category: Category | None = None
    kind: Kind | None = None
    urgent: bool | None = None
    formal: bool = False
    attachments: list[AttachmentIn] = field(default_factory=list)
    handover_note: str | None = None
    in_reply_to: str | None = None
    source_ref: str | None = None
    imported: ImportedHistory | None = None
    desired_outcome: str | None = None  # "wat wilt u bereiken", in the complainant's words
    raw_mail: bytes | None = None  # an e-mail as it arrived, kept (encrypted) with the file
    not_accepted: str = ""  # what of an e-mail was not kept, in Dutch words for the sender
    provider_may_contact: bool = False  # the complainant agreed that the provider may contact them


@dataclass(frozen=True)
class Registered:
    id: str
    reference: str
    replayed: bool = False
    duplicate_of: str | None = None
    # The code of the resident's own link (shown once; only its hash is stored). None for imports.
    status_code: str | None = None


# Earlier complaints of the same person (any identifier's hash; a missing one, NULL, matches
# nothing) around the same time: the columns the duplicate check compares, built once.
_SAME_PERSON_RECENTLY = (
    select(
        Complaint.id,
        Complaint.received_at,
        Complaint.description,
        Complaint.unit,
        Complaint.category,
        Complainant.bsn_hash,
        Complainant.email_hash,
        Complainant.phone_hash,
        Complainant.name_hash,
    )
    .join(Complainant, Complaint.complainant_id == Complainant.id)
    .where(
        or_(
            *(
                getattr(Complainant, f"{k}_hash") == bindparam(f"{k}_hash")
                for k in ("bsn", "email", "phone", "name")
            )
        ),
        Complaint.id != bindparam("id"),
        Complaint.merged_into.is_(None),
        Complaint.received_at >= bindparam("since"),
        Complaint.received_at <= bindparam("until"),
    )
    .limit(50)
)


@dataclass(frozen=True)
class _Prepared:
    """What a registration works out before its transaction (`Registrar._prepare`)."""

    verdict: TriageResult
    complainant: dict[str, bytes | str | None]  # Complainant's encrypted columns and keyed hashes
    reference: str | None = None  # taken apart (PostgreSQL), else in the registration's transaction


def _count_up(insert: Callable[[type[ReferenceCounter]], Any], year: int) -> Any:
    """One statement (in `insert`'s dialect) that creates the year's counter at 1 or counts it
    up, returning the new number."""
    return (
        insert(ReferenceCounter)
        .values(year=year, last=1)
        .on_conflict_do_update(
            index_elements=[ReferenceCounter.year], set_={"last": ReferenceCounter.last + 1}
        )
        .returning(ReferenceCounter.last)
    )


def _aware(moment: datetime) -> datetime:
    """SQLite returns naive datetimes: they are UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class IdempotencyConflict(Exception):
    """The Idempotency-Key was used before for a different request."""


class Registrar:
    def __init__(
        self,
        service: Service,
        vault: Vault,
        triage: TriageEngine,
        settings: IntakeSettings | None = None,
    ) -> None:
        self.service = service
        self.vault = vault
        self.triage = triage
        self.settings = settings or IntakeSettings()

    @property
    def overrides(self) -> OverrideMemory:
        """People's corrections of triage, as the triage applies them."""
        return self.triage.memory

    def public_base(self, request_base: str | None = None) -> str:
        """Where residents reach intake: the configured public address, else the request's."""
        base = self.settings.public_base_url or request_base
        return (base or peer_url("intake")).rstrip("/")

    async def register(
        self,
        new: NewComplaint,
        *,
        idempotency_key: str | None = None,
        request_hash: str = "",
        public_base: str | None = None,
    ) -> Registered:
        # What needs no database is worked out before the transaction, so the writer (on SQLite
        # the one connection every registration queues for) is held only for the database's part.
        prepared = self._prepare(new)
        if self._reference_apart:
            reference = await self._take_reference(local_date(new.received_at).year)
            prepared = replace(prepared, reference=reference)
        try:
            return await self._register(new, prepared, idempotency_key, request_hash, public_base)
        except IntegrityError:
            # Two requests at the same moment (a double click on PostgreSQL, the first reference of a
            # new year): the whole transaction rolled back, so one retry sees the other's row and replays.
            return await self._register(new, prepared, idempotency_key, request_hash, public_base)

    def _prepare(self, new: NewComplaint) -> _Prepared:
        """The triage verdict and the complainant's encrypted details and keyed hashes."""
        contact = new.contact
        return _Prepared(
            verdict=self.triage.triage(new.description),
            complainant={
                "name_enc": self.vault.encrypt(contact.name),
                "email_enc": self.vault.encrypt(contact.email),
                "phone_enc": self.vault.encrypt(contact.phone),
                "address_enc": self.vault.encrypt(contact.address),
                "bsn_enc": self.vault.encrypt(contact.bsn),
                "name_hash": self.vault.identifier_hash("name", contact.name),
                "email_hash": self.vault.identifier_hash("email", contact.email),
                "phone_hash": self.vault.identifier_hash("phone", contact.phone),
                "bsn_hash": self.vault.identifier_hash("bsn", contact.bsn),
            },
        )

    async def _register(
        self,
        new: NewComplaint,
        prepared: _Prepared,
        idempotency_key: str | None,
        request_hash: str,
        public_base: str | None,
    ) -> Registered:
        async with self.service.db.transaction() as session:
            if idempotency_key:
                earlier = await session.get(IdempotencyKey, idempotency_key)
                if earlier is not None:
                    if earlier.request_hash != request_hash:
                        raise IdempotencyConflict(idempotency_key)
                    complaint = await session.get(Complaint, earlier.complaint_id)
                    assert complaint is not None
                    # The first code was never stored: a retry gets a link of its own to the same page.
                    code = await new_link(session, complaint.id, datetime.now(UTC))
                    return Registered(complaint.id, complaint.reference, replayed=True, status_code=code)
            registered = await self._store(session, new, prepared, public_base)
            if idempotency_key:
                session.add(
                    IdempotencyKey(
                        key=idempotency_key,
                        request_hash=request_hash,
                        complaint_id=registered.id,
                        created_at=datetime.now(UTC),
                    )
                )
        self.service.outbox.notify()
        return registered

    async def _store(
        self, session: AsyncSession, new: NewComplaint, prepared: _Prepared, public_base: str | None
    ) -> Registered:
        # The rows of a registration are added first and written by one flush (start_following's,
        # which needs the message ids), not a flush per step: the reads on the way must not flush.
        with session.no_autoflush:
            return await self._store_rows(session, new, prepared, public_base)

    async def _store_rows(
        self, session: AsyncSession, new: NewComplaint, prepared: _Prepared, public_base: str | None
    ) -> Registered:
        now = datetime.now(UTC)
        complaint_id = str(uuid.uuid4())
        reference = prepared.reference or await self._next_reference(
            session, local_date(new.received_at).year
        )
        verdict = prepared.verdict
        kind = new.kind or verdict.kind
        category = new.category or verdict.category
        urgent = verdict.urgent if new.urgent is None else new.urgent

        contact = new.contact
        complainant = Complainant(id=str(uuid.uuid4()), created_at=now, **prepared.complainant)
        # An imported register row that is already closed keeps that state (the status the
        # complainant sees), as routing's replay of it ends (ImportedHistory decides both).
        final = new.imported.final_state() if new.imported is not None else None
        status = final.value if final is not None else "received"
        complaint = Complaint(
            id=complaint_id,
            reference=reference,
            channel=new.channel.value,
            description=new.description,
            # Stored in UTC: SQLite keeps no offset, so only UTC survives a round trip.
            received_at=new.received_at.astimezone(UTC),
            complainant_id=complainant.id,
            municipality=new.municipality,
            unit=new.unit,
            provider=new.provider,
            about_employee=new.about_employee,
            kind=kind.value,
            category=category.value,
            urgent=urgent,
            formal=new.formal,
            provider_may_contact=new.provider_may_contact,
            triage={
                "kind": verdict.kind.value,
                "category": verdict.category.value,
                "urgent": verdict.urgent,
                "confidence": verdict.confidence,
                "reasons": list(verdict.reasons),
                "check": verdict.check,
            },
            status=status,
            status_at=self.service.clock.now(),  # domain time: the service clock (tests move it)
            handover_note=new.handover_note,
            in_reply_to=new.in_reply_to,
            source_ref=new.source_ref,
            created_at=now,
        )
        # Imported history is not compared: the register was a record of its own.
        suspicion = (
            None if new.imported is not None else await self._find_duplicate(session, complaint, complainant)
        )
        if suspicion is not None:
            complaint.duplicate_of = suspicion.duplicate_of
        # The objects stay transient (the messages' wording reads them); their rows are written by
        # plain INSERTs, not by the session's unit of work: per registration that was most of
        # the writer's CPU time (profiled under load), and the writer is what every channel queues for.
        await insert_new(session, complainant, complaint)
        received = ComplaintReceived(
            complaint_id=complaint_id,
            reference=reference,
            channel=new.channel,
            received_at=new.received_at,
            complainant_id=complainant.id,
            complainant_reachable=contact.reachable,
            municipality=new.municipality,
            unit=new.unit,
            provider=new.provider,
            names_employee=bool(new.about_employee and new.about_employee.strip()),
            kind=kind,
            category=category,
            urgent=urgent,
            formal=new.formal,
            triage=TriageVerdict(
                kind=verdict.kind,
                category=verdict.category,
                urgent=verdict.urgent,
                confidence=verdict.confidence,
                reasons=list(verdict.reasons),
                check=verdict.check,
            ),
            kind_given=new.kind is not None,
            category_given=new.category is not None,
            urgent_given=new.urgent is not None,
            attachments=len(new.attachments),
            in_reply_to=new.in_reply_to,
            imported=new.imported,
            desired_outcome_given=bool(new.desired_outcome),
            provider_may_contact=new.provider_may_contact,
        )
        await self.service.outbox.add(session, received, subject=complaint_id)
        if suspicion is not None:
            await self._record_duplicate(session, complaint, suspicion)
        if new.imported is not None:
            await session.flush()
            self._add_files(session, complaint_id, new, now)
            return Registered(complaint_id, reference)
        code = await start_following(
            session,
            self.vault,
            complaint,
            recipient=recipient_from(contact.email, contact.address),
            desired_outcome=new.desired_outcome,
            base_url=self.public_base(public_base),
            organisation=self.settings.organisation,
            show_names=self.settings.show_handler_names,
            now=now,
            not_accepted=new.not_accepted,
        )
        self._add_files(session, complaint_id, new, now)
        return Registered(complaint_id, reference, duplicate_of=complaint.duplicate_of, status_code=code)

    @staticmethod
    def _add_files(session: AsyncSession, complaint_id: str, new: NewComplaint, now: datetime) -> None:
        """Attachments and the raw e-mail refer to the complaint row (no ORM relationship orders
        them after it), so they are added once it is flushed; the commit writes them."""
        for item in new.attachments:
            session.add(
                Attachment(
                    id=str(uuid.uuid4()),
                    complaint_id=complaint_id,
                    filename=item.filename,
                    content_type=item.content_type,
                    size=len(item.data),
                    data=item.data,
                    created_at=now,
                )
            )
        if new.raw_mail is not None:
            session.add(
                RawMail(
                    id=str(uuid.uuid4()),
                    complaint_id=complaint_id,
                    size=len(new.raw_mail),
                    data=new.raw_mail,
                    created_at=now,
                )
            )

    @property
    def _reference_apart(self) -> bool:
        """On PostgreSQL the year's counter is taken in a short transaction of its own.

        Taken inside the registration, its row lock would be held through every later statement
        and the commit, each a round trip that waits for the event loop: concurrent registrations
        then queue behind one another (measured under overload: 339 of 12,000 complaints accepted
        in a minute, against 1,303 on SQLite). A registration that fails afterwards leaves a gap in
        the numbers; a reference only has to be unique. On SQLite every writer holds the one write
        lock anyway, and a transaction of its own would cost a second fsync.
        """
        return not is_sqlite(self.service.db.url)

    async def _take_reference(self, year: int) -> str:
        async with self.service.db.transaction() as session:
            last = (await session.execute(_count_up(postgresql_insert, year))).scalar_one()
        return f"KL-{year}-{last:06d}"

    async def _next_reference(self, session: AsyncSession, year: int) -> str:
        """The year's next number, in the registration's transaction (SQLite: it holds the one
        write lock already)."""
        last = (await session.execute(_count_up(sqlite_insert, year))).scalar_one()
        return f"KL-{year}-{last:06d}"

    async def _find_duplicate(
        self, session: AsyncSession, complaint: Complaint, complainant: Complainant
    ) -> Suspicion | None:
        """An earlier complaint of the same person about the same matter (the new one is not
        stored yet). Only the columns the comparison needs are read, not whole rows."""
        keys = {
            "bsn": complainant.bsn_hash,
            "email": complainant.email_hash,
            "phone": complainant.phone_hash,
            "name": complainant.name_hash,
        }
        if not any(keys.values()):
            return None
        since, until = complaint.received_at - WINDOW, complaint.received_at + WINDOW
        params = {f"{k}_hash": v for k, v in keys.items()} | {
            "id": complaint.id,
            "since": since,
            "until": until,
        }
        rows = (await session.execute(_SAME_PERSON_RECENTLY, params)).all()
        candidates = [
            Candidate(
                complaint_id=other.id,
                received_at=_aware(other.received_at),
                text=other.description,
                same_person=[k for k, v in keys.items() if v and getattr(other, f"{k}_hash") == v],
                unit=other.unit,
                category=other.category,
            )
            for other in rows
        ]
        received = _aware(complaint.received_at)
        return suspect_duplicate(
            complaint.description, received, complaint.unit, complaint.category, candidates
        )

    async def _record_duplicate(
        self, session: AsyncSession, complaint: Complaint, suspicion: Suspicion
    ) -> None:
        at = self.service.clock.now()
        session.add(
            DuplicateSuspicion(
                complaint_id=complaint.id,
                duplicate_of=suspicion.duplicate_of,
                score=suspicion.score,
                reasons=list(suspicion.reasons),
                at=at,
            )
        )
        await self.service.outbox.add(
            session,
            DuplicateSuspected(
                complaint_id=complaint.id,
                duplicate_of=suspicion.duplicate_of,
                score=suspicion.score,
                reasons=suspicion.reasons,
                at=at,
            ),
            subject=complaint.id,
        )
