"""The coordinator's dashboard lists every term that needs attention, each linked to its case."""

from __future__ import annotations

from datetime import date

from klachtstroom.contracts.vocabulary import Category, Channel, Handler, Kind
from klachtstroom.reporting.http.dashboard import _open_case
from klachtstroom.reporting.reports.facts import CaseFacts

TODAY = date(2026, 3, 10)


def test_the_contact_term_is_a_term_at_risk_too_and_links_to_the_case() -> None:
    record = CaseFacts(
        id="c-1", reference="KL-2026-000001", received_on=date(2026, 3, 3), state="assigned",
        channel=Channel.web_form, kind=Kind.complaint, category=Category.conduct, urgent=False,
        municipality=None, unit=None, provider=None, handler=Handler.municipality,
        contact_due=date(2026, 3, 9), contact_state="breached", decision_due=date(2026, 4, 14),
    )  # fmt: skip
    contact = _open_case(record, TODAY, "contact")
    decision = _open_case(record, TODAY)
    assert (contact.term_kind, contact.term) == ("Persoonlijk contact", "1 dag verlopen")
    assert contact.overdue and not decision.overdue and not decision.at_risk
    assert decision.term_kind == "Beslissen op de klacht"
    assert contact.case_url.endswith("/klachten/c-1") and contact.case_url.startswith("http")
