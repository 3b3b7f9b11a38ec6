"""A synthetic, hand-counted register: 47 registrations received in 2026, 40 in 2025.

The expected numbers in the tests are counted from the groups below by hand (see the comments),
not computed with the code under test.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import date, timedelta
from itertools import count
from pathlib import Path
from typing import Any

import pytest

from klachtstroom.contracts.vocabulary import Category, Channel, Handler, Kind, Outcome, Resolution
from klachtstroom.reporting.reports.facts import CaseFacts

sys.path.insert(0, str(Path(__file__).parent))  # the event builders in reporting_events.py

_serial = count(1)

MakeFact = Callable[..., CaseFacts]


def make_fact(
    received_on: date,
    *,
    term: str = "within",  # within | late | open
    ack: str = "within",  # within | late | none (not acknowledged) | nodue (no contact term)
    state: str | None = None,
    **fields: Any,
) -> CaseFacts:
    """One case with dates that make its term and contact status what the test says."""
    n = next(_serial)
    decision_due = received_on + timedelta(weeks=6)
    contact_due = received_on + timedelta(days=7)
    resolved_on = None
    if term == "within":
        resolved_on = received_on + timedelta(days=20)
    elif term == "late":
        resolved_on = decision_due + timedelta(days=3)
    acknowledged_on = {
        "within": received_on + timedelta(days=2),
        "late": contact_due + timedelta(days=2),
    }.get(ack)
    values: dict[str, Any] = {
        "id": f"case-{n:04d}",
        "reference": f"KL-{received_on.year}-{n:05d}",
        "received_on": received_on,
        "channel": Channel.phone,
        "kind": Kind.complaint,
        "category": Category.conduct,
        "urgent": False,
        "municipality": "Voorbeeldstad",
        "unit": "Inkomen",
        "provider": None,
        "handler": Handler.municipality,
        "state": state or ("formal" if term == "open" else "resolved"),
        "resolution": None,
        "outcome": None,
        "resolved_on": resolved_on,
        "decision_due": decision_due,
        "contact_due": None if ack == "nodue" else contact_due,
        "acknowledged_on": acknowledged_on,
    }
    values.update(fields)
    return CaseFacts(**values)


def _spread(n: int, first: date, step_days: int = 3) -> list[date]:
    return [first + timedelta(days=i * step_days) for i in range(n)]


def register_2026() -> list[CaseFacts]:
    B = "Buurdorp"
    facts: list[CaseFacts] = []
    # g1: 12 conduct by phone, Inkomen, informal, mutual agreement.
    facts += [
        make_fact(d, resolution=Resolution.informal, outcome=Outcome.mutual_agreement)
        for d in _spread(12, date(2026, 1, 5))
    ]
    # g2a: 6 information by web form, Werk, formal, upheld, on time.
    facts += [
        make_fact(d, channel=Channel.web_form, category=Category.information, unit="Werk",
                  resolution=Resolution.formal, outcome=Outcome.upheld)
        for d in _spread(6, date(2026, 3, 2))
    ]  # fmt: skip
    # g2b: 2 information by e-mail, Werk, formal, partly upheld, late and acknowledged late.
    facts += [
        make_fact(d, term="late", ack="late", channel=Channel.email, category=Category.information,
                  unit="Werk", resolution=Resolution.formal, outcome=Outcome.partly_upheld)
        for d in _spread(2, date(2026, 4, 6))
    ]  # fmt: skip
    # g3: 7 handling time by e-mail, Schuldhulpverlening, Buurdorp, formal, not upheld;
    # 3 of them went on to the ombudsman.
    for i, d in enumerate(_spread(7, date(2026, 5, 4))):
        to_ombudsman = i < 3
        facts.append(
            make_fact(d, channel=Channel.email, category=Category.handling_time,
                      unit="Schuldhulpverlening", municipality=B, resolution=Resolution.formal,
                      outcome=Outcome.not_upheld, state="ombudsman" if to_ombudsman else "resolved",
                      ombudsman=to_ombudsman)
        )  # fmt: skip
    # g4: 6 conduct by phone about provider Zorg Plus, handled by it, mediated, upheld.
    facts += [
        make_fact(d, unit=None, provider="Zorg Plus", handler=Handler.provider,
                  resolution=Resolution.informal, outcome=Outcome.upheld, mediated_with_partner=True)
        for d in _spread(6, date(2026, 6, 1))
    ]  # fmt: skip
    # g5: 4 policy by letter, Inkomen, declined (outcome left to the 9:8 default).
    facts += [
        make_fact(d, channel=Channel.letter, category=Category.policy, state="declined")
        for d in _spread(4, date(2026, 7, 1))
    ]
    # g6: 2 other at the desk, Werk, Buurdorp, withdrawn on day 3 without an acknowledgement.
    facts += [
        make_fact(d, ack="none", channel=Channel.in_person, category=Category.other, unit="Werk",
                  municipality=B, state="withdrawn", resolved_on=d + timedelta(days=3))
        for d in _spread(2, date(2026, 8, 3))
    ]  # fmt: skip
    # g7: 5 referral by web form, Werk, still in formal handling: 2 acknowledged in time,
    # 1 never acknowledged (contact term long passed), 2 received 30/31 Dec (still pending).
    referral = {"channel": Channel.web_form, "category": Category.referral, "unit": "Werk"}
    facts += [make_fact(date(2026, 9, 1), term="open", **referral) for _ in range(2)]
    facts.append(make_fact(date(2026, 10, 1), term="open", ack="none", **referral))
    facts.append(make_fact(date(2026, 12, 30), term="open", ack="none", **referral))
    facts.append(make_fact(date(2026, 12, 31), term="open", ack="none", **referral))
    # g8, g9: an objection and a question, referred, no contact term.
    facts.append(make_fact(date(2026, 2, 2), term="open", ack="nodue", state="referred",
                           kind=Kind.objection, channel=Channel.letter, category=Category.other))  # fmt: skip
    facts.append(make_fact(date(2026, 2, 3), term="open", ack="nodue", state="referred",
                           kind=Kind.question, channel=Channel.email, category=Category.other))  # fmt: skip
    # g10: 1 proactive, received 1 January, informal, no judgement, acknowledged late.
    facts.append(make_fact(date(2026, 1, 1), ack="late", category=Category.proactive, unit="Werk",
                           resolution=Resolution.informal, outcome=Outcome.no_judgement))  # fmt: skip
    assert len(facts) == 47
    return facts


def register_earlier() -> list[CaseFacts]:
    V, B = "Voorbeeldstad", "Buurdorp"
    facts: list[CaseFacts] = []
    # 2025: 40 complaints, all resolved on time; 30 in Voorbeeldstad, 10 in Buurdorp.
    spec = [
        (15, Category.conduct, Channel.phone),
        (10, Category.information, Channel.web_form),
        (10, Category.handling_time, Channel.email),
        (5, Category.policy, Channel.letter),
    ]
    i = 0
    for n, category, channel in spec:
        for _ in range(n):
            facts.append(
                make_fact(date(2025, 1, 6) + timedelta(days=8 * i), category=category, channel=channel,
                          municipality=V if i < 30 else B, resolution=Resolution.formal,
                          outcome=Outcome.not_upheld)
            )  # fmt: skip
            i += 1
    # Replace the last one by a case received on 31 December 2025: still a 2025 case.
    facts[-1] = make_fact(
        date(2025, 12, 31), category=Category.policy, channel=Channel.letter, municipality=B,
        resolution=Resolution.formal, outcome=Outcome.not_upheld,
    )  # fmt: skip
    facts += [make_fact(date(2024, 3, 1)) for _ in range(3)]  # 2024: 3 in Voorbeeldstad
    facts += [make_fact(date(2023, 3, 1), municipality="Oudgemeente") for _ in range(2)]
    facts += [make_fact(date(2022, 3, 1), municipality="Verleden") for _ in range(5)]  # too old
    return facts


@pytest.fixture
def register() -> list[CaseFacts]:
    return register_2026() + register_earlier()


@pytest.fixture
def fact() -> MakeFact:
    return make_fact


@pytest.fixture
async def harness(tmp_path: Path) -> Any:
    """The reporting service on SQLite with its clock at 15 January 2026 (no Kafka)."""
    from reporting_harness import start_harness

    started = await start_harness(tmp_path)
    yield started
    await started.close()
