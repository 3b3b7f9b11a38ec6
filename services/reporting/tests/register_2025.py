"""Ten registrations received in 2025 (and two in 2024), as event stories; counted by hand below."""

from __future__ import annotations

from datetime import date

from reporting_events import Story

from klachtstroom.contracts.vocabulary import Category, Channel, Handler, Kind, Outcome, Resolution


def register() -> list[Story]:
    V, B = "Voorbeeldstad", "Buurdorp"
    stories: list[Story] = []
    # A: 3 by phone about conduct at Inkomen, settled informally by mutual agreement, acknowledged on day 2.
    for day in (date(2025, 2, 3), date(2025, 2, 10), date(2025, 2, 17)):
        s = Story(day, Channel.phone, category=Category.conduct, unit="Inkomen", municipality=V)
        stories.append(
            s.received()
            .opened()
            .assigned()
            .acknowledged(days=2)
            .terms()
            .resolved(Outcome.mutual_agreement, Resolution.informal, days=10)
        )
    # B: 2 by web form about information at Werk, formal, upheld on day 50 (late);
    # acknowledged on day 9 (late).
    for day in (date(2025, 4, 7), date(2025, 4, 14)):
        s = Story(day, Channel.web_form, category=Category.information, unit="Werk", municipality=V)
        stories.append(
            s.received()
            .opened()
            .assigned()
            .terms()
            .acknowledged(days=9)
            .escalated(days=12)
            .resolved(Outcome.upheld, Resolution.formal, days=50)
        )
    # C: 1 by e-mail about handling time at Werk in Buurdorp, still open; decision due 12 January 2026.
    c = Story(date(2025, 12, 1), Channel.email, category=Category.handling_time, unit="Werk", municipality=B)
    stories.append(c.received().opened().assigned().terms())
    # D: 1 letter about policy at Inkomen in Buurdorp, declined on day 5 (Awb 9:8).
    d = Story(date(2025, 6, 2), Channel.letter, category=Category.policy, unit="Inkomen", municipality=B)
    stories.append(d.received().opened().terms().declined(days=5))
    # E: 1 by phone about provider Zorg Plus (no unit), referred, mediated, partly upheld on day 12.
    e = Story(
        date(2025, 3, 3),
        Channel.phone,
        category=Category.conduct,
        unit=None,
        municipality=V,
        provider="Zorg Plus",
    )
    e.received().opened(handler=Handler.provider).referred("Zorg Plus").terms().mediated(days=4)
    e.provider_status("measures", 11, measures="Training bejegening")
    stories.append(e.provider_status("resolved", 12, outcome=Outcome.partly_upheld))
    # F: 1 objection at the desk (Inkomen), only opened; no terms.
    f = Story(
        date(2025, 9, 1),
        Channel.in_person,
        kind=Kind.objection,
        category=Category.other,
        unit="Inkomen",
        municipality=V,
    )
    stories.append(f.received().opened())
    # G: 1 e-mail about conduct at Inkomen, acknowledged day 1, not upheld day 9, then to the ombudsman.
    g = Story(date(2025, 10, 6), Channel.email, category=Category.conduct, unit="Inkomen", municipality=V)
    stories.append(
        g.received()
        .opened()
        .assigned()
        .acknowledged(days=1)
        .terms()
        .resolved(Outcome.not_upheld, Resolution.informal, days=9)
        .ombudsman(days=40)
    )
    # 2024: 2 by phone in Voorbeeldstad, resolved.
    for _ in range(2):
        s = Story(date(2024, 5, 6), Channel.phone, unit="Inkomen", municipality=V)
        stories.append(s.received().opened().terms().resolved(Outcome.not_upheld, Resolution.informal))
    return stories


EXPECTED_2025 = {
    "year": 2025,
    "total": 10,
    "by_channel": {"web_form": 2, "email": 2, "phone": 4, "letter": 1, "in_person": 1},
    "by_kind": {"complaint": 9, "objection": 1, "question": 0},
    "by_category": {
        "conduct": 5,
        "information": 2,
        "handling_time": 1,
        "policy": 1,
        "referral": 0,
        "proactive": 0,
        "other": 1,
    },
    "by_unit": {
        "Inkomen": {
            "conduct": 4,
            "information": 0,
            "handling_time": 0,
            "policy": 1,
            "referral": 0,
            "proactive": 0,
            "other": 1,
        },
        "Werk": {
            "conduct": 0,
            "information": 2,
            "handling_time": 1,
            "policy": 0,
            "referral": 0,
            "proactive": 0,
            "other": 0,
        },
        "unknown": {
            "conduct": 1,
            "information": 0,
            "handling_time": 0,
            "policy": 0,
            "referral": 0,
            "proactive": 0,
            "other": 0,
        },
    },
    "by_municipality": {
        "Buurdorp": {"2022": 0, "2023": 0, "2024": 0, "2025": 2},
        "Voorbeeldstad": {"2022": 0, "2023": 0, "2024": 2, "2025": 8},
    },
    "by_outcome": {
        "upheld": 2,
        "partly_upheld": 1,
        "not_upheld": 1,
        "mutual_agreement": 3,
        "withdrawn": 0,
        "inadmissible": 1,
        "no_judgement": 0,
    },
    "by_resolution": {"informal": 5, "formal": 2},
    "by_handler": {"municipality": 9, "provider": 1},
    "within_term": {"within": 6, "late": 2, "open": 2},
    "ombudsman": 1,
    "acknowledged_within_5_working_days": {"within": 5, "late": 4},
}
