"""What a signal to the college says, in Dutch. Pure.

An urgent signal names the reference, kind, category, unit, municipality and why it is urgent:
never the complaint's own text, the complainant, the employee or the provider (a provider can
be a one-person practice). The college can look the case up by its reference.
"""

from __future__ import annotations

import uuid
from datetime import date

from klachtstroom.contracts.timekeeping import dutch_date
from klachtstroom.contracts.vocabulary import Kind, dutch
from klachtstroom.reporting.reports.facts import CaseFacts

_NAMESPACE = uuid.UUID("5b1f3c52-8f0e-4c4e-9a55-6f1f0c2a7d10")


def signal_id_for(dedupe_key: str) -> str:
    """A stable id per signal: the same complaint or trend window always gets the same id."""
    return str(uuid.uuid5(_NAMESPACE, dedupe_key))


def urgent_key(complaint_id: str) -> str:
    return f"urgent:{complaint_id}"


def trend_key(kind: str, key: str, as_of: date) -> str:
    return f"trend:{kind}:{key}:{as_of.isoformat()}"


def urgent_summary(record: CaseFacts) -> str:
    """'Urgente klacht KL-2026-000012, ontvangen op 3 maart 2026 per telefoon, over bejegening ...'."""
    what = "klacht" if record.kind in (None, Kind.complaint) else f"melding ({dutch(record.kind).lower()})"
    parts = [f"Urgente {what} {record.reference}"]
    if record.received_on is not None:
        received = f"ontvangen op {dutch_date(record.received_on)}"
        if record.channel is not None:
            received += f" via {dutch(record.channel).lower()}"
        parts.append(received)
    if record.category is not None:
        parts.append(f"onderwerp {dutch(record.category).lower()}")
    sentence = ", ".join(parts) + "."
    where = []
    if record.unit:
        where.append(f"afdeling {record.unit}")
    if record.municipality:
        where.append(f"gemeente {record.municipality}")
    if where:
        sentence += " Betreft " + " in ".join(where) + "."
    return sentence


def reasons_for(record: CaseFacts) -> list[str]:
    return list(record.urgent_reasons) or ["De klacht is als urgent aangemerkt."]


def mail_subject(kind: str, reference: str | None, summary: str) -> str:
    if kind == "urgent":
        return f"Urgent signaal: {reference}"
    short = summary if len(summary) <= 70 else summary[:67].rstrip() + "..."
    return f"Trendsignaal: {short}"


def mail_body(summary: str, reasons: list[str], dashboard_url: str | None) -> str:
    lines = [
        "Aan het college van burgemeester en wethouders,",
        "",
        summary,
        "",
    ]
    if reasons:
        lines += ["Waarom dit signaal:", *(f"- {r}" for r in reasons), ""]
    lines.append(
        "Dit bericht bevat bewust geen persoonsgegevens en geen tekst van de klacht. "
        "De klachtcoördinator kan de zaak met het kenmerk opzoeken."
    )
    if dashboard_url:
        lines += ["", f"Dashboard: {dashboard_url}"]
    lines += ["", "Dit bericht is automatisch verstuurd door klachtstroom."]
    return "\n".join(lines) + "\n"
