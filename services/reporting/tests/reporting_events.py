"""Hand-made event sequences for the reporting tests: one `Story` per complaint.

A story produces the envelopes that intake, routing and deadlines would publish, each with an
increasing envelope time, and remembers the topic of each, so a test can deliver them in any
interleaving that keeps the order within a topic (as Kafka does per complaint).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from itertools import count
from typing import Any

from klachtstroom.contracts import case_events as ce
from klachtstroom.contracts import deadline_events as de
from klachtstroom.contracts import intake_events as ie
from klachtstroom.contracts.envelope import Envelope, Payload, make_envelope
from klachtstroom.contracts.registry import payload_of
from klachtstroom.contracts.timekeeping import moment_of
from klachtstroom.contracts.vocabulary import (
    Category,
    Channel,
    DeadlineKind,
    DeadlineState,
    DeclineGround,
    Handler,
    Kind,
    Outcome,
    Resolution,
)
from klachtstroom.reporting.projection.event_log import LoggedEvent, log_entries, time_us
from klachtstroom.reporting.projection.fold import fold
from klachtstroom.reporting.reports.facts import CaseFacts

_clock = count()
_refs = count(1)
BASE = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)  # envelope times: when the services wrote them


def tick() -> datetime:
    return BASE + timedelta(milliseconds=next(_clock))


@dataclass
class Story:
    """The events of one complaint, in the order each service wrote them."""

    received_on: date
    channel: Channel = Channel.phone
    kind: Kind = Kind.complaint
    category: Category = Category.conduct
    urgent: bool = False
    municipality: str | None = "Voorbeeldstad"
    unit: str | None = "Inkomen"
    provider: str | None = None
    id: str = ""
    reference: str = ""
    events: list[tuple[str, Envelope]] = field(default_factory=list)
    state: str = "received"

    def __post_init__(self) -> None:
        n = next(_refs)
        self.id = self.id or f"c-{n:05d}"
        self.reference = self.reference or f"KL-{self.received_on.year}-{n:06d}"

    def _emit(self, payload: Payload) -> Story:
        self.events.append(
            (payload.topic, make_envelope(payload, source="test", subject=self.id, time=tick()))
        )
        return self

    def at(self, day: date | None = None, days: int = 0) -> datetime:
        return moment_of(day or self.received_on + timedelta(days=days))

    # --- intake ------------------------------------------------------------------------------

    def received(self, **extra: Any) -> Story:
        values: dict[str, Any] = {
            "complaint_id": self.id,
            "reference": self.reference,
            "channel": self.channel,
            "received_at": self.at(),
            "complainant_id": "p-1",
            "complainant_reachable": True,
            "municipality": self.municipality,
            "unit": self.unit,
            "provider": self.provider,
            "kind": self.kind,
            "category": self.category,
            "urgent": self.urgent,
        }
        values.update(extra)
        return self._emit(ie.ComplaintReceived(**values))

    def triaged(
        self, *, urgent: bool, category: Category | None = None, by: str | None = "coördinator"
    ) -> Story:
        return self._emit(
            ie.ComplaintTriaged(
                complaint_id=self.id,
                kind=self.kind,
                category=category or self.category,
                urgent=urgent,
                confidence=1.0,
                overridden_by=by,
                at=self.at(days=1),
            )
        )

    # --- routing -----------------------------------------------------------------------------

    def _change(self, model: type[ce.CaseChange], state: str, days: int, **fields: Any) -> Story:
        previous, self.state = self.state, state
        return self._emit(
            model(
                case_id=self.id,
                state=state,
                previous_state=previous,
                at=self.at(days=days),
                actor="Medewerker Jansen",
                reason="vrije tekst",
                **fields,
            )
        )

    def opened(self, handler: Handler = Handler.municipality, **extra: Any) -> Story:
        values: dict[str, Any] = {
            "reference": self.reference,
            "received_at": self.at(),
            "channel": self.channel,
            "kind": self.kind,
            "category": self.category,
            "urgent": self.urgent,
            "municipality": self.municipality,
            "unit": self.unit,
            "provider": self.provider,
            "handler": handler,
        }
        values.update(extra)
        return self._change(ce.CaseOpened, "received", 0, **values)

    def assigned(self, unit: str | None = None, days: int = 1) -> Story:
        return self._change(
            ce.CaseAssigned,
            "assigned",
            days,
            handler=Handler.municipality,
            handler_name="Medewerker Jansen",
            unit=unit,
        )

    def referred(self, provider: str, days: int = 1) -> Story:
        self.provider = provider
        return self._change(ce.CaseReferred, "referred", days, provider=provider)

    def acknowledged(self, days: int = 2) -> Story:
        state = "referred" if self.state == "referred" else "acknowledged"
        return self._change(ce.CaseAcknowledged, state, days)

    def mediated(self, days: int = 3) -> Story:
        handler = "provider" if self.state == "referred" else "municipality"
        return self._change(ce.MediationStarted, "informal", days, handler=Handler(handler))

    def escalated(self, days: int = 3) -> Story:
        return self._change(ce.EscalatedFormal, "formal", days)

    def extended(self, weeks: int, days: int = 30) -> Story:
        return self._change(ce.TermExtended, self.state, days, weeks=weeks)

    def resolved(self, outcome: Outcome, resolution: Resolution, days: int = 20) -> Story:
        return self._change(
            ce.CaseResolved,
            "resolved",
            days,
            outcome=outcome,
            resolution=resolution,
        )

    def provider_status(
        self,
        status: str,
        days: int,
        outcome: Outcome | None = None,
        measures: str | None = None,
        resolution: str = "informal",
    ) -> Story:
        state = "resolved" if status == "resolved" else self.state
        return self._change(
            ce.ProviderStatusReported,
            state,
            days,
            provider=self.provider or "",
            status=status,
            outcome=outcome,
            has_measures=bool(measures),
            resolution=Resolution(resolution) if status == "resolved" else None,
        )

    def withdrawn(self, days: int = 5) -> Story:
        return self._change(ce.CaseWithdrawn, "withdrawn", days)

    def declined(self, days: int = 5) -> Story:
        return self._change(ce.CaseDeclined, "declined", days, ground=DeclineGround.older_than_one_year)

    def reopened(self, days: int) -> Story:
        return self._change(ce.CaseReopened, "assigned", days)

    def ombudsman(self, days: int) -> Story:
        return self._change(ce.OmbudsmanReferred, "ombudsman", days)

    # --- deadlines ---------------------------------------------------------------------------

    def deadline(
        self,
        kind: DeadlineKind,
        due: date,
        state: DeadlineState = DeadlineState.running,
        extended_weeks: int = 0,
    ) -> Story:
        return self._emit(
            de.DeadlineSet(
                case_id=self.id,
                kind=kind,
                due=due,
                at=self.at(),
                start=self.received_on,
                unmoved_due=due,
                state=state,
                extended_weeks=extended_weeks,
                explanation=["uitleg"],
            )
        )

    def terms(self) -> Story:
        """The usual two terms: contact in 5 working days (~7 days), decision in 6 weeks."""
        self.deadline(DeadlineKind.contact, self.received_on + timedelta(days=7))
        return self.deadline(DeadlineKind.decision, self.received_on + timedelta(weeks=6))


def by_topic(stories: list[Story]) -> dict[str, list[Envelope]]:
    topics: dict[str, list[Envelope]] = {}
    for story in stories:
        for topic, envelope in story.events:
            topics.setdefault(topic, []).append(envelope)
    return topics


def interleave(stories: list[Story], seed: int) -> list[tuple[str, Envelope]]:
    """All events in a random order that keeps the order per topic and complaint (as Kafka does)."""
    rng = random.Random(seed)
    queues: dict[tuple[str, str], list[Envelope]] = {}
    for story in stories:
        for topic, envelope in story.events:
            queues.setdefault((topic, story.id), []).append(envelope)
    order: list[tuple[str, Envelope]] = []
    while queues:
        key = rng.choice(sorted(queues))
        order.append((key[0], queues[key].pop(0)))
        if not queues[key]:
            del queues[key]
    return order


def fold_in_order(order: list[tuple[str, Envelope]]) -> dict[str, CaseFacts | None]:
    """What the projection makes of events arriving in this order (seq = arrival), without a db;
    each logged event's data as the JSON text the log stores."""
    logged: dict[str, list[LoggedEvent]] = {}
    for seq, (_topic, envelope) in enumerate(order):
        for entry in log_entries(payload_of(envelope)):
            event = LoggedEvent(entry.stream, seq, time_us(envelope.time), envelope.type, entry.data)
            logged.setdefault(entry.complaint_id, []).append(event)
    return {cid: fold(cid, events) for cid, events in logged.items()}
