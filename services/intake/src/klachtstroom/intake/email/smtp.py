"""The mailbox: an SMTP receiver (aiosmtpd) inside the intake process, on KLACHTSTROOM_SMTP_PORT.

Each accepted message becomes a complaint with channel `email`, or a reply kept with the complaint
whose reference (KL-YYYY-NNNNNN) is in the subject, but only when it comes from that complaint's
own e-mail address (compared as keyed hashes): references are printed on letters and easy to
guess, so a reference alone never adds anything to someone else's file; such a mail becomes a new
complaint with a note for the coordinator. Auto-replies and bounces are accepted and dropped.
A message delivered twice (same Message-ID) is stored once. Nothing personal is logged.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import uuid
from collections import Counter
from datetime import UTC, datetime
from typing import Any

from aiosmtpd.smtp import SMTP
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncSession

from klachtstroom.contracts.vocabulary import Channel
from klachtstroom.intake.email.parse import ParsedMail, parse_mail
from klachtstroom.intake.registration import AttachmentIn, ContactDetails, NewComplaint, Registrar
from klachtstroom.intake.resident.messages import compose, queue
from klachtstroom.intake.store import Attachment, Complainant, Complaint, ComplaintMessage, RawMail

log = logging.getLogger(__name__)

# DESIGN.md, Limits: a message is at most 25 MB; aiosmtpd answers a larger one with 552 while it
# arrives (it stops keeping the data, so memory stays bounded) and the sender is told at once.
DATA_SIZE_LIMIT = 25 * 1024 * 1024

# A reply that names a complaint but does not come from its complainant's address.
NOT_FROM_COMPLAINANT = "not_from_complainant"
FOREIGN_REFERENCE_NOTE = (
    "Deze e-mail noemt het kenmerk van een andere klacht, maar komt niet van het e-mailadres van "
    "die indiener. Daarom is het een nieuwe klacht. Kijk of de twee bij elkaar horen."
)


REFUSED_WORDS = {
    "te groot": "te groot (meer dan 10 MB)",
    "bestandstype niet toegestaan": "een soort bestand dat we niet kunnen openen",
}


def not_accepted_words(refused: list[str]) -> str:
    """What of a mail was not kept, for the sender (no file names: they may name a person)."""
    counts = Counter(refused)
    return ", ".join(
        f"{n} {'bestand' if n == 1 else 'bestanden'}: {REFUSED_WORDS.get(why, why)}"
        for why, n in sorted(counts.items())
    )


class MailIntake:
    """Turns one received message into a complaint, a reply, or nothing (auto-reply, bounce)."""

    def __init__(self, registrar: Registrar) -> None:
        self.registrar = registrar

    async def handle_DATA(self, _server: SMTP, _session: Any, envelope: Any) -> str:
        raw = envelope.original_content or envelope.content or b""
        if isinstance(raw, str):
            raw = raw.encode("utf-8", "surrogateescape")
        try:
            outcome = await self.receive(raw, envelope.mail_from)
        except (OperationalError, InterfaceError, OSError, TimeoutError) as error:
            # The database is busy or away: the sender's server tries again later. Only the
            # type is logged: database errors can quote the values they failed on.
            log.error("e-mail not stored (%s); the sender's server will retry", type(error).__name__)
            return "451 4.3.0 Tijdelijk probleem bij het opslaan; probeer het later opnieuw"
        except Exception as error:
            # Anything else would fail again on every retry (for days): refuse it now, clearly.
            log.error("e-mail refused (%s)", type(error).__name__)
            return "554 5.6.0 Dit bericht kunnen we niet verwerken; stuur uw klacht via het webformulier"
        log.info("e-mail received: %s", outcome)
        return "250 2.0.0 OK"

    async def receive(self, raw: bytes, envelope_sender: str | None = None) -> str:
        """Store one message; returns what became of it (complaint, reply, duplicate, auto_reply, bounce)."""
        parsed = parse_mail(raw, envelope_sender)
        if parsed.ignore_reason:
            return parsed.ignore_reason
        if parsed.reference:
            outcome = await self._store_reply(parsed, raw)
            if outcome == NOT_FROM_COMPLAINANT:
                return await self._register(parsed, raw, foreign_reference=True)
            if outcome is not None:
                return outcome
        return await self._register(parsed, raw)

    async def _register(self, parsed: ParsedMail, raw: bytes, *, foreign_reference: bool = False) -> str:
        notes = []
        if parsed.refused:
            counts = Counter(parsed.refused)
            listed = ", ".join(f"{n}× {why}" for why, n in sorted(counts.items()))
            notes.append(
                f"Niet alle bijlagen van de e-mail zijn bewaard: {listed}. Vraag ze zo nodig opnieuw op."
            )
        if foreign_reference:
            notes.append(FOREIGN_REFERENCE_NOTE)
        note = " ".join(notes) or None
        new = NewComplaint(
            channel=Channel.email,
            description=parsed.description,
            received_at=self.registrar.service.clock.now(),
            contact=ContactDetails(name=parsed.sender_name, email=parsed.sender_email),
            attachments=[AttachmentIn(f.filename, f.content_type, f.data) for f in parsed.attachments],
            handover_note=note,
            source_ref=parsed.message_id,
            raw_mail=raw,
            not_accepted=not_accepted_words(parsed.refused),
        )
        key = None
        if parsed.message_id:
            # The same Message-ID is the same message, however often a server delivers it.
            key = "email:" + hashlib.sha256(parsed.message_id.encode()).hexdigest()
        registered = await self.registrar.register(new, idempotency_key=key, request_hash="email")
        return "duplicate" if registered.replayed else "complaint"

    async def _store_reply(self, parsed: ParsedMail, raw: bytes) -> str | None:
        """Keep a reply with the complaint it names; None when that complaint is unknown."""
        service = self.registrar.service
        now = service.clock.now()
        try:
            async with service.db.transaction() as session:
                query = select(Complaint).where(Complaint.reference == parsed.reference)
                complaint = await session.scalar(query)
                if complaint is None:
                    return None
                named = complaint
                if complaint.merged_into:  # a person merged it: the reply belongs with the kept one
                    complaint = await session.get(Complaint, complaint.merged_into) or complaint
                if not await self._sent_by_complainant(session, (named, complaint), parsed.sender_email):
                    return NOT_FROM_COMPLAINANT
                if parsed.message_id and await session.scalar(
                    select(ComplaintMessage.id).where(ComplaintMessage.source_ref == parsed.message_id)
                ):
                    return "duplicate"
                message_id = str(uuid.uuid4())
                session.add(
                    ComplaintMessage(
                        id=message_id,
                        complaint_id=complaint.id,
                        channel=Channel.email.value,
                        subject=parsed.subject,
                        body=parsed.text,
                        sender_enc=self.registrar.vault.encrypt(parsed.sender_email),
                        attachments=len(parsed.attachments),
                        source_ref=parsed.message_id,
                        received_at=now,
                        created_at=datetime.now(UTC),
                    )
                )
                await session.flush()
                session.add(
                    RawMail(
                        id=str(uuid.uuid4()),
                        complaint_id=complaint.id,
                        message_id=message_id,
                        size=len(raw),
                        data=raw,
                        created_at=datetime.now(UTC),
                    )
                )
                if parsed.refused:
                    await self._tell_not_accepted(session, complaint, parsed.refused, now)
                for item in parsed.attachments:
                    session.add(
                        Attachment(
                            id=str(uuid.uuid4()),
                            complaint_id=complaint.id,
                            message_id=message_id,
                            filename=item.filename,
                            content_type=item.content_type,
                            size=len(item.data),
                            data=item.data,
                            created_at=datetime.now(UTC),
                        )
                    )
        except IntegrityError:
            return "duplicate"  # the same reply delivered twice at the same moment
        return "reply"

    async def _tell_not_accepted(
        self, session: AsyncSession, complaint: Complaint, refused: list[str], now: datetime
    ) -> None:
        context = {
            "organisation": self.registrar.settings.organisation,
            "reference": complaint.reference,
            "not_accepted": not_accepted_words(refused),
        }
        kind = "mail_not_accepted"
        subject, body = await compose(session, kind, context)
        await queue(session, self.registrar.vault, complaint, kind, now, subject=subject, body=body)

    async def _sent_by_complainant(
        self, session: AsyncSession, complaints: tuple[Complaint, ...], sender: str | None
    ) -> bool:
        """Whether the sender's address is that of the complainant of one of these complaints."""
        hashes = set(self.registrar.vault.identifier_hashes("email", sender))
        if not hashes:
            return False
        for complaint in complaints:
            person = await session.get(Complainant, complaint.complainant_id)
            if person is not None and person.email_hash in hashes:
                return True
        return False


class SmtpReceiver:
    """Runs the SMTP server in the service's event loop; a `service.background` job, stopped by cancel."""

    def __init__(self, intake: MailIntake, host: str, port: int, hostname: str) -> None:
        self.intake = intake
        self.host = host
        self.port = port
        self.hostname = hostname
        self.started = asyncio.Event()
        # aiosmtpd logs every command, sender and recipient addresses included, at INFO.
        logging.getLogger("mail.log").setLevel(logging.WARNING)

    def _protocol(self) -> SMTP:
        return SMTP(
            self.intake,
            hostname=self.hostname,
            ident="klachtstroom",
            data_size_limit=DATA_SIZE_LIMIT,
            enable_SMTPUTF8=True,
            timeout=60,
        )

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            server = await loop.create_server(self._protocol, self.host, self.port)
        except OSError as error:
            log.error("SMTP could not listen on %s:%s (%s)", self.host, self.port, error.strerror)
            return
        self.port = int(server.sockets[0].getsockname()[1])
        self.started.set()
        log.info("SMTP listening on %s:%s", self.host, self.port)
        try:
            await asyncio.Future()  # until the service stops and cancels this job
        finally:
            server.close()
            with contextlib.suppress(TimeoutError, asyncio.CancelledError):
                await asyncio.wait_for(server.wait_closed(), 2.0)
