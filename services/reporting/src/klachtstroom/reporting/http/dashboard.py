"""`GET /`: the dashboard of the complaints coordinator (klachtcoördinator), in Dutch.

Open cases, every term at risk (personal contact and decision, due within 5 days or already
passed; each reference links to the case page in routing), this year's
figures with charts, and the latest signals to the college. Server-rendered HTML with inline
SVG: no JavaScript, keyboard and screen-reader friendly.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from klachtstroom.contracts.timekeeping import dutch_date, dutch_moment
from klachtstroom.contracts.vocabulary import (
    CASE_STATE_LABELS,
    DEADLINE_KIND_TASKS,
    CaseState,
    Category,
    Channel,
    DeadlineKind,
    DeadlineState,
    Handler,
    Outcome,
    dutch,
)
from klachtstroom.platform.peers import peer_url
from klachtstroom.reporting.http.runtime import reporting_of
from klachtstroom.reporting.http.scope import (
    check_municipality,
    in_scope,
    limited,
    measures_in_scope,
    signals_in_scope,
)
from klachtstroom.reporting.http.svg_charts import bar_chart_svg
from klachtstroom.reporting.learning import evidence
from klachtstroom.reporting.learning.measures import all_measures
from klachtstroom.reporting.projection.queries import live_set, read_records
from klachtstroom.reporting.reports.annual import annual_report, percentage
from klachtstroom.reporting.reports.facts import OPEN_STATES
from klachtstroom.reporting.reports.facts import CaseFacts as CaseRecord
from klachtstroom.reporting.signals.desk import latest_signals

router = APIRouter(tags=["dashboard"])

AT_RISK_DAYS = 5
OPEN_LIST_LIMIT = 50
SIGNALS_SHOWN = 10

DELIVERY_LABELS = {"sent": "verstuurd", "pending": "in de wachtrij", "failed": "mislukt"}
CHANNEL_LABELS = {"email": "e-mail", "webhook": "webhook"}

_templates = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


@dataclass(frozen=True)
class OpenCase:
    case_url: str
    term_kind: str
    reference: str
    category: str
    handled_by: str
    state: str
    received: str
    due_on: date | None
    due: str
    term: str
    at_risk: bool
    overdue: bool
    urgent: bool


def case_url(record: CaseRecord) -> str:
    """The case page in routing, where the case worker acts on it."""
    return f"{peer_url('routing')}/klachten/{record.id}"


def _open_case(record: CaseRecord, today: date, kind: DeadlineKind = DeadlineKind.decision) -> OpenCase:
    due = record.decision_due if kind == DeadlineKind.decision else record.contact_due
    days = (due - today).days if due is not None else None
    if days is None:
        term = "nog niet bekend"
    elif days < 0:
        term = f"{-days} {'dag' if days == -1 else 'dagen'} verlopen"
    elif days == 0:
        term = "verloopt vandaag"
    else:
        term = f"nog {days} {'dag' if days == 1 else 'dagen'}"
    return OpenCase(
        case_url=case_url(record),
        term_kind=DEADLINE_KIND_TASKS[kind].capitalize(),
        reference=record.reference or "",
        category=dutch(record.category) if record.category else "",
        handled_by=record.provider
        if record.handler == Handler.provider and record.provider
        else (record.unit or "–"),
        state=CASE_STATE_LABELS[CaseState(record.state or CaseState.received)].capitalize(),
        received=dutch_date(record.received_on) if record.received_on else "",
        due_on=due,
        due=dutch_date(due) if due else "–",
        term=term,
        at_risk=days is not None and 0 <= days <= AT_RISK_DAYS,
        overdue=days is not None and days < 0,
        urgent=record.urgent,
    )


def _signal_view(item: dict[str, Any]) -> dict[str, Any]:
    at = datetime.fromisoformat(item["at"])
    deliveries = ", ".join(
        f"{CHANNEL_LABELS.get(d['channel'], d['channel'])} {DELIVERY_LABELS.get(d['state'], d['state'])}"
        for d in item["deliveries"]
    )
    return {
        "when": dutch_moment(at),
        "iso": at.isoformat(),
        "kind": "Urgent" if item["type"] == "urgent" else "Trend",
        "summary": item["summary"],
        "reasons": item.get("reasons", []),
        "deliveries": deliveries or "niet verstuurd (geen adres ingesteld)",
    }


@router.get("/", response_class=HTMLResponse, include_in_schema=True)
async def dashboard(
    request: Request,
    year: Annotated[int | None, Query(ge=1990, le=2999)] = None,
    municipality: str | None = None,
) -> HTMLResponse:
    """The coordinator's dashboard (Dutch HTML)."""
    reporting = reporting_of(request)
    today = reporting.today()
    year = year or today.year
    municipality = (municipality or "").strip() or None
    check_municipality(request, municipality)
    async with reporting.service.db.reading() as session:
        cases = (await live_set(session)).cases
        open_records = in_scope(request, await read_records(session, cases.state.in_(sorted(OPEN_STATES))))
        latest = await latest_signals(session, SIGNALS_SHOWN)
        signals = [_signal_view(s) for s in signals_in_scope(request, latest)]
        poor_answers = await evidence.poor_answers(session)
    # Only the caller's municipalities (or its provider) count, in figures and in lists.
    known = {f.id: f for f in in_scope(request, await reporting.facts())}
    if limited(request) is not None:
        poor_answers = [p for p in poor_answers if p["complaint_id"] in known]
    overdue_measures = [
        m | {"due_text": dutch_date(m["due"])}
        for m in measures_in_scope(request, await all_measures(request), set(known))
        if m["overdue"]
    ]
    facts = in_scope(request, await reporting.facts(year - 3, year))
    names = sorted({f.municipality for f in facts if f.municipality}, key=str.casefold)
    report = annual_report(facts, year, municipality, as_of=reporting.as_of(year))
    if municipality is not None:
        open_records = [r for r in open_records if r.municipality == municipality]
    poor = [
        {"reference": known[p["complaint_id"]].reference if p["complaint_id"] in known else "–",
         "score": p["score"], "heard": p["heard"],
         "handled_by": (known[p["complaint_id"]].provider or known[p["complaint_id"]].unit or "–")
         if p["complaint_id"] in known else "–"}
        for p in poor_answers
    ]  # fmt: skip

    open_cases = sorted(
        (_open_case(r, today) for r in open_records), key=lambda c: (c.due_on or date.max, c.reference)
    )
    # Every term that needs attention: the decision term, and personal contact (5 working days)
    # while it is not yet made (routing's provider response term is on the case worker's list).
    contact_terms = [
        _open_case(r, today, DeadlineKind.contact)
        for r in open_records
        if r.contact_due is not None and r.acknowledged_on is None
        and r.contact_state in (None, DeadlineState.running, DeadlineState.breached)
    ]  # fmt: skip
    risky = sorted(
        (c for c in [*open_cases, *contact_terms] if c.at_risk or c.overdue),
        key=lambda c: (c.due_on or date.max, c.reference, c.term_kind),
    )
    terms = report["within_term"]
    closed = terms["within"] + terms["late"]
    figures = [
        ("Open klachten", str(len(open_cases))),
        (f"Termijn verloopt binnen {AT_RISK_DAYS} dagen", str(sum(c.at_risk for c in open_cases))),
        ("Termijn verlopen", str(sum(c.overdue for c in open_cases))),
        ("Urgent en nog open", str(sum(c.urgent for c in open_cases))),
        (f"Ontvangen in {year}", str(report["total"])),
        ("Binnen de termijn afgehandeld", f"{percentage(terms['within'], closed)}%" if closed else "–"),
    ]
    charts = [
        (
            "onderwerp",
            f"Meldingen per onderwerp, {year}",
            [(dutch(c), report["by_category"][c]) for c in Category],
        ),
        ("kanaal", f"Meldingen per kanaal, {year}", [(dutch(c), report["by_channel"][c]) for c in Channel]),
        (
            "uitkomst",
            f"Afgehandelde klachten naar uitkomst, {year}",
            [(dutch(o), report["by_outcome"][o]) for o in Outcome],
        ),
    ]
    query = "?" + urlencode({"municipality": municipality}) if municipality else ""
    page = _templates.get_template("dashboard.html").render(
        organisation=reporting.settings.organisation,
        today=dutch_date(today),
        year=year,
        years=list(range(today.year, today.year - 6, -1)),
        municipality=municipality,
        municipalities=names,
        figures=figures,
        risky=risky,
        open_cases=open_cases[:OPEN_LIST_LIMIT],
        open_more=max(len(open_cases) - OPEN_LIST_LIMIT, 0),
        summary=report["summary_sentences"],
        charts=[
            (cid, title, rows, bar_chart_svg(f"chart-{cid}", title, rows)) for cid, title, rows in charts
        ],
        signals=signals,
        poor=poor,
        overdue_measures=overdue_measures,
        report_base=f"/api/v1/reports/annual/{year}",
        query=query,
        amp="&" if query else "?",
        open_data=f"/api/v1/open-data/{year}.csv",
        due_horizon=dutch_date(today + timedelta(days=AT_RISK_DAYS)),
    )
    return HTMLResponse(page)
