"""The terms of one case, computed purely from its facts (Awb chapter 9, DOMAIN.md).

`compute_terms(facts, policy, calendar, today)` replays the case facts in the order given
(the case history order) and returns every term with its state and a Dutch explanation.
Replaying the same facts with the same `today` always gives the same terms.

Rules common to all terms: a term is closed by the first fact that settles it. Closing it the
way it should be closed (acknowledged, decided, declined, provider answered) on or before the
due date makes it `met`; after the due date makes it `breached` (the date is kept in `met_on`).
Closing it because the case ended otherwise (withdrawn, declined, resolved) makes it
`cancelled` — unless that happened after the due date: the breach had already happened, and a
term that was reported breached never becomes un-breached. An open term whose due date lies
before `today` is `breached`; a suspended term is never breached while suspended.
`Term.closed_on` tells a term closed by a fact from one that is merely late and still open.

A reopened case gets a new decision term from the day of reopening; the earlier decision term
keeps its result (met, breached or cancelled) and stays in the list.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from klachtstroom.contracts.vocabulary import DeadlineKind, DeadlineState
from klachtstroom.deadlines.terms.calendar import DueDate, TermijnenwetCalendar, dutch_date

# Awb 9:11 lid 2: with the complainant's written consent the term may be postponed further.
CONSENTED_EXTENSION_WEEKS = 52


class TermError(ValueError):
    """A fact the term rules forbid (the message is Dutch, for the case worker)."""


# -- the facts of a case (input) ----------------------------------------------------------------


@dataclass(frozen=True)
class CaseOpened:
    received_on: dt.date
    advisory_committee: bool = False
    # `objection` or `question`: no complaint at all, so no complaint terms are planned (Awb 9:1;
    # such a case is referred to its own procedure) unless it is later handled as a complaint too.
    kind: str = "complaint"


@dataclass(frozen=True)
class Acknowledged:
    on: dt.date


@dataclass(frozen=True)
class Extended:
    on: dt.date
    weeks: int
    consent: bool = False  # Awb 9:11 lid 2: the complainant consented in writing to a longer postponement


@dataclass(frozen=True)
class Suspended:
    on: dt.date


@dataclass(frozen=True)
class Resumed:
    on: dt.date


@dataclass(frozen=True)
class Referred:
    on: dt.date
    provider: str
    working_days: int | None = None  # the provider's agreed response time, when registered


@dataclass(frozen=True)
class ProviderResponded:
    on: dt.date


@dataclass(frozen=True)
class Resolved:
    on: dt.date


@dataclass(frozen=True)
class Declined:
    on: dt.date


@dataclass(frozen=True)
class Withdrawn:
    on: dt.date


@dataclass(frozen=True)
class NoComplaintTerms:
    """The case is no complaint (any more): forwarded as an objection or question, or merged
    into another complaint. Every term of it is cancelled; nothing escalates."""

    on: dt.date
    why: str


@dataclass(frozen=True)
class HandledAsComplaint:
    """An objection or question the coordinator decided to handle as a complaint too (forwarded
    with a copy, the case kept): the complaint terms run from receipt."""

    on: dt.date


@dataclass(frozen=True)
class EscalatedFormal:
    on: dt.date
    advisory_committee: bool = False


@dataclass(frozen=True)
class TakenBack:
    """The municipality took a referred case back from the provider (second line)."""

    on: dt.date


@dataclass(frozen=True)
class Reopened:
    """A closed case (resolved, declined, withdrawn) is handled again."""

    on: dt.date


CaseFact = (
    CaseOpened | Acknowledged | Extended | Suspended | Resumed | Referred
    | ProviderResponded | Resolved | Declined | Withdrawn | EscalatedFormal | NoComplaintTerms
    | TakenBack | Reopened | HandledAsComplaint
)  # fmt: skip


@dataclass(frozen=True)
class TermPolicy:
    contact_working_days: int = 5  # seed practice: personal contact within 5 working days
    decision_weeks: int = 6  # Awb 9:11 lid 1
    advisory_committee_weeks: int = 10  # Awb 9:11 lid 1, with a committee (9:14)
    max_extension_weeks: int = 4  # Awb 9:11 lid 2: one postponement of at most 4 weeks
    decline_weeks: int = 4  # Awb 9:8: told in writing within 4 weeks of receipt
    provider_response_working_days: int = 10
    warning_working_days: int = 3


# -- the result ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Term:
    kind: DeadlineKind
    start: dt.date
    due: dt.date
    unmoved_due: dt.date
    state: DeadlineState
    extended_weeks: int = 0
    met_on: dt.date | None = None
    explanation: list[str] = field(default_factory=list)
    provider: str | None = None
    # The day a fact closed the term (met, late, or cancelled); None while no fact closed it.
    # A `breached` term with `closed_on` None is still open: it is late and nobody acted yet.
    closed_on: dt.date | None = None

    @property
    def is_open(self) -> bool:
        """Still waiting for someone to act (running, suspended, or late without a closing fact)."""
        return self.closed_on is None and self.state is not DeadlineState.cancelled

    @property
    def is_late_and_open(self) -> bool:
        return self.closed_on is None and self.state is DeadlineState.breached


_OPEN = (DeadlineState.running, DeadlineState.suspended)


@dataclass
class _Running:
    """A term while the facts are replayed (mutable; frozen into a `Term` at the end)."""

    kind: DeadlineKind
    start: dt.date
    header: str
    due: DueDate
    state: DeadlineState = DeadlineState.running
    met_on: dt.date | None = None
    closed_on: dt.date | None = None
    notes: list[str] = field(default_factory=list)
    provider: str | None = None
    # decision term only
    weeks: int = 0
    extended_weeks: int = 0
    suspensions: list[tuple[dt.date, dt.date]] = field(default_factory=list)
    suspended_since: dt.date | None = None
    ignored_suspension: bool = False
    reopened: bool = False  # a decision term started by reopening the case

    @property
    def is_open(self) -> bool:
        return self.state in _OPEN

    def done(self, on: dt.date, what: str) -> None:
        """Closed the way it should be: met in time, or breached when late."""
        if not self.is_open:
            return
        self.met_on = self.closed_on = on
        if on <= self.due.due:
            self.state = DeadlineState.met
            self.notes.append(f"{what} op {dutch_date(on)}: binnen de termijn")
        else:
            self.state = DeadlineState.breached
            self.notes.append(f"{what} op {dutch_date(on)}: na de einddatum, termijn overschreden")

    def cancel(self, on: dt.date, what: str) -> None:
        """Closed because the case ended otherwise; a breach that already happened stays."""
        if not self.is_open:
            return
        self.closed_on = on
        if on <= self.due.due or self.kind is DeadlineKind.decline:
            # A decline term is never breached by the case ending otherwise: it only lapses.
            self.state = DeadlineState.cancelled
            self.notes.append(f"{what} op {dutch_date(on)}: de termijn vervalt")
        else:
            self.state = DeadlineState.breached
            self.notes.append(f"{what} op {dutch_date(on)}, maar de termijn was al verstreken: overschreden")

    def freeze(self) -> Term:
        return Term(
            kind=self.kind,
            start=self.start,
            due=self.due.due,
            unmoved_due=self.due.unmoved,
            state=self.state,
            extended_weeks=self.extended_weeks,
            met_on=self.met_on,
            explanation=[self.header, *self.due.explanation, *self.notes],
            provider=self.provider,
            closed_on=self.closed_on,
        )


class _Case:
    def __init__(self, opened: CaseOpened, policy: TermPolicy, calendar: TermijnenwetCalendar):
        self.policy, self.calendar = policy, calendar
        received = opened.received_on
        n = policy.contact_working_days
        self.contact = _Running(
            DeadlineKind.contact,
            received,
            f"Contacttermijn: persoonlijk contact binnen {n} werkdagen na ontvangst "
            "(klachtenregeling; ontvangstbevestiging Awb 9:6)",
            calendar.due_after_working_days(received, n),
        )
        weeks = policy.advisory_committee_weeks if opened.advisory_committee else policy.decision_weeks
        self.decision = _Running(
            DeadlineKind.decision, received, "", calendar.due_after_weeks(received, weeks), weeks=weeks
        )
        self._decision_header()
        self.earlier_decisions: list[_Running] = []
        self.decline = _Running(
            DeadlineKind.decline,
            received,
            f"Termijn om de klager te laten weten dat de klacht niet wordt behandeld: "
            f"{policy.decline_weeks} weken na ontvangst (Awb 9:8)",
            calendar.due_after_weeks(received, policy.decline_weeks),
        )
        self.providers: list[_Running] = []
        # An objection or a question is no complaint: its terms are replayed but never shown.
        self.is_complaint = opened.kind == "complaint"

    # -- decision term ---------------------------------------------------------------------

    def _decision_header(self) -> None:
        d = self.decision
        committee = " met adviescommissie" if d.weeks == self.policy.advisory_committee_weeks else ""
        if d.reopened:
            d.header = (
                f"Beslistermijn{committee} na heropening: {d.weeks} weken na heropening op "
                f"{dutch_date(d.start)} (klachtenregeling; Awb 9:11 lid 1 naar analogie)"
            )
        else:
            d.header = f"Beslistermijn{committee}: {d.weeks} weken na ontvangst (Awb 9:11 lid 1)"

    def _recompute_decision(self) -> None:
        d = self.decision
        due = self.calendar.due_after_weeks(d.start, d.weeks)
        if d.extended_weeks:
            due = self.calendar.extend(due, d.extended_weeks)
        for suspended_on, resumed_on in d.suspensions:
            due = self.calendar.suspend(due, suspended_on, resumed_on)
        d.due = due

    def _end_suspension(self, on: dt.date) -> None:
        d = self.decision
        if d.suspended_since is None:
            return
        if on < d.suspended_since:
            raise TermError("De hervatting ligt vóór de opschorting.")
        d.suspensions.append((d.suspended_since, on))
        d.suspended_since = None
        d.state = DeadlineState.running
        self._recompute_decision()

    def _effective_decision_due(self, on: dt.date) -> dt.date:
        """The decision due date as it would be if a running suspension ended on `on`."""
        d = self.decision
        if d.suspended_since is None or on < d.suspended_since:
            return d.due.due
        return self.calendar.suspend(d.due, d.suspended_since, on).due

    def extend(self, fact: Extended) -> None:
        d, limit = self.decision, self.policy.max_extension_weeks
        if not 1 <= fact.weeks <= (CONSENTED_EXTENSION_WEEKS if fact.consent else limit):
            raise TermError(f"Verlengen kan met ten hoogste {limit} weken (Awb 9:11 lid 2).")
        if d.extended_weeks and not fact.consent:
            raise TermError("De beslistermijn is al eens verlengd; dat kan maar één keer (Awb 9:11 lid 2).")
        if not d.is_open:
            raise TermError("De beslistermijn is al afgesloten en kan niet meer worden verlengd.")
        if fact.on > self._effective_decision_due(fact.on):
            # Awb 9:11 lid 2: the postponement must be announced before the term ends.
            raise TermError("De beslistermijn is al verstreken; verlengen kan alleen vóór de einddatum.")
        d.extended_weeks += fact.weeks
        consent = " met schriftelijke instemming van de klager" if fact.consent else ""
        d.notes.append(f"Verlengd met {fact.weeks} weken op {dutch_date(fact.on)}{consent} (Awb 9:11 lid 2)")
        self._recompute_decision()

    def suspend(self, fact: Suspended) -> None:
        d = self.decision
        if not d.is_open:
            return
        if d.suspended_since is not None or d.ignored_suspension:
            raise TermError("De beslistermijn is al opgeschort.")
        if fact.on > d.due.due:
            # Waiting for the complainant cannot undo a breach that already happened.
            d.ignored_suspension = True
            d.notes.append(
                f"Opgeschort op {dutch_date(fact.on)}, na de einddatum: telt niet mee voor de termijn"
            )
            return
        d.suspended_since = fact.on
        d.state = DeadlineState.suspended

    def resume(self, fact: Resumed) -> None:
        d = self.decision
        if d.ignored_suspension:
            d.ignored_suspension = False
            return
        if not d.is_open:
            return
        if d.suspended_since is None:
            raise TermError("De beslistermijn is niet opgeschort.")
        self._end_suspension(fact.on)

    def escalate(self, fact: EscalatedFormal) -> None:
        d = self.decision
        weeks = self.policy.advisory_committee_weeks
        if fact.advisory_committee and d.is_open and d.weeks != weeks:
            d.weeks = weeks
            d.notes.append(
                f"Formele behandeling met adviescommissie vanaf {dutch_date(fact.on)}: "
                f"de beslistermijn wordt {weeks} weken na ontvangst"
            )
            self._decision_header()
            self._recompute_decision()

    def reopen(self, fact: Reopened) -> None:
        """A reopened case gets a new decision term from the reopening (municipal practice).

        The closed term keeps its result: a reopening never turns a breach or a decision in
        time into something else. Contact and decline terms are not started again.
        """
        d = self.decision
        if d.is_open:
            raise TermError("De zaak is niet afgesloten en kan dus niet worden heropend.")
        if fact.on < d.start:
            raise TermError("De heropening ligt vóór de start van de vorige beslistermijn.")
        self.earlier_decisions.append(d)
        weeks = d.weeks  # an advisory committee keeps its 10 weeks
        self.decision = _Running(
            DeadlineKind.decision,
            fact.on,
            "",
            self.calendar.due_after_weeks(fact.on, weeks),
            weeks=weeks,
            reopened=True,
        )
        self._decision_header()

    def close_decision(self, on: dt.date, *, done: bool, what: str) -> None:
        d = self.decision
        if not d.is_open:
            return
        if d.suspended_since is not None:
            self._end_suspension(max(on, d.suspended_since))
        if done:
            d.done(on, what)
        else:
            d.cancel(on, what)

    # -- replay ----------------------------------------------------------------------------

    def apply(self, fact: CaseFact) -> None:
        match fact:
            case CaseOpened():
                raise TermError("De zaak is al geopend.")
            case Acknowledged(on=on):
                self.contact.done(on, "Contact opgenomen")
            case Extended():
                self.extend(fact)
            case Suspended():
                self.suspend(fact)
            case Resumed():
                self.resume(fact)
            case EscalatedFormal():
                self.escalate(fact)
            case Referred(on=on, provider=provider, working_days=agreed):
                for term in self.providers:
                    term.cancel(on, "Opnieuw doorverwezen")
                # The provider's agreed response time (routing's register), else the general one.
                days = agreed or self.policy.provider_response_working_days
                self.providers.append(
                    _Running(
                        DeadlineKind.provider_response,
                        on,
                        f"Reactietermijn zorgaanbieder: {days} werkdagen na doorverwijzing",
                        self.calendar.due_after_working_days(on, days),
                        provider=provider,
                    )
                )
            case ProviderResponded(on=on):
                for term in self.providers:
                    term.done(on, "Zorgaanbieder heeft gereageerd")
            case Resolved(on=on):
                # An outcome reaches the complainant: that is contact too.
                self.contact.done(on, "Klacht afgehandeld")
                self.close_decision(on, done=True, what="Klacht afgehandeld")
                self.decline.cancel(on, "Klacht afgehandeld")
                for term in self.providers:
                    term.cancel(on, "Klacht afgehandeld")
            case Declined(on=on):
                self.contact.cancel(on, "Klacht niet in behandeling genomen")
                self.close_decision(on, done=False, what="Klacht niet in behandeling genomen")
                self.decline.done(on, "Klager bericht dat de klacht niet wordt behandeld")
                for term in self.providers:
                    term.cancel(on, "Klacht niet in behandeling genomen")
            case Withdrawn(on=on):
                for term in (self.contact, self.decline, *self.providers):
                    term.cancel(on, "Klacht ingetrokken")
                self.close_decision(on, done=False, what="Klacht ingetrokken")
            case NoComplaintTerms(on=on, why=why):
                for term in (self.contact, self.decline, *self.providers):
                    term.cancel(on, why)
                self.close_decision(on, done=False, what=why)
            case TakenBack(on=on):
                for term in self.providers:
                    term.cancel(on, "De gemeente heeft de klacht teruggenomen")
            case Reopened():
                self.reopen(fact)
            case HandledAsComplaint():
                self.is_complaint = True

    def finish(self, today: dt.date) -> list[Term]:
        if not self.is_complaint:
            return []
        terms = [self.contact, *self.earlier_decisions, self.decision, self.decline, *self.providers]
        for term in terms:
            if term.state is DeadlineState.suspended:
                since = self.decision.suspended_since
                assert since is not None
                term.notes.append(
                    f"Opgeschort sinds {dutch_date(since)}: de einddatum schuift op met het "
                    "aantal dagen van de opschorting"
                )
            elif term.state is DeadlineState.running and today > term.due.due:
                if term.kind is DeadlineKind.decline:
                    # Not declining in time means the complaint is handled: the option lapses.
                    term.state = DeadlineState.cancelled
                    term.notes.append("Niet binnen de termijn afgewezen: de klacht wordt behandeld")
                else:
                    term.state = DeadlineState.breached
                    term.notes.append(f"Op {dutch_date(today)} is de einddatum voorbij: termijn overschreden")
        return [term.freeze() for term in terms]


def compute_terms(
    facts: Iterable[CaseFact],
    policy: TermPolicy,
    calendar: TermijnenwetCalendar,
    today: dt.date,
) -> list[Term]:
    """Every term of the case (contact, decision, decline, provider responses) as of `today`.

    The decline term (Awb 9:8) exists for every case. It is met when the case is declined on
    or before its due date and breached when declined later; it is cancelled when the case is
    resolved or withdrawn first, or when its due date passes without a decline (the complaint
    is then being handled). It deliberately stays open after an acknowledgement or formal
    escalation: a complaint may still turn out to be, say, an objection and be declined in time.
    """
    items = iter(facts)
    first = next(items, None)
    if not isinstance(first, CaseOpened):
        raise TermError("De eerste gebeurtenis van een zaak moet de opening zijn.")
    case = _Case(first, policy, calendar)
    for fact in items:
        case.apply(fact)
    return case.finish(today)


def warning_date(term: Term, policy: TermPolicy, calendar: TermijnenwetCalendar) -> dt.date:
    """The working day `policy.warning_working_days` working days before the due date.

    Never before the term's start: a short term warns on its first day at the latest.
    """
    return max(term.start, calendar.working_days_before(term.due, policy.warning_working_days))


def provider_report_due_dates(year: int, calendar: TermijnenwetCalendar) -> list[DueDate]:
    """Providers report twice a year: before 1 July and before 1 December (seed policy)."""
    return [
        calendar.due_on(dt.date(year, 6, 30), "Halfjaarrapportage zorgaanbieders, eerste helft"),
        calendar.due_on(dt.date(year, 11, 30), "Halfjaarrapportage zorgaanbieders, tweede helft"),
    ]


def provider_report_dates(year: int, calendar: TermijnenwetCalendar) -> list[dt.date]:
    """The due dates of the two provider reports of `year`, moved by the Termijnenwet."""
    return [due.due for due in provider_report_due_dates(year, calendar)]
