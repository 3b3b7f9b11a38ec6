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
from sqlalchemy import or_

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
    limited,
    measures_in_scope,
    scope_rule,
    signals_in_scope,
)
from klachtstroom.reporting.http.svg_charts import bar_chart_svg
from klachtstroom.reporting.learning import evidence
from klachtstroom.reporting.learning.measures import all_measures
from klachtstroom.reporting.projection.queries import live_set
from klachtstroom.reporting.reports.aggregates import (
    annual_report_sql,
    facts_by_id,
    municipalities_between,
    open_by_due,
    open_counts,
    open_sql,
    reported,
    scope_sql,
)
from klachtstroom.reporting.reports.annual import percentage
from klachtstroom.reporting.reports.facts import CaseFacts
from klachtstroom.reporting.signals.desk import latest_signals

router = APIRouter(tags=["dashboard"])

AT_RISK_DAYS = 5
OPEN_LIST_LIMIT = 50
SIGNALS_SHOWN = 10
# A personal-contact term still to be met (once met or cancelled it needs no attention).
CONTACT_PENDING = (DeadlineState.running.value, DeadlineState.breached.value)

DELIVERY_LABELS = {"sent": "verstuurd", "pending": "in de wachtrij", "failed": "mislukt"}
CHANNEL_LABELS = {"email": "e-mail", "webhook": "webhook"}

_templates = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)
# Compiled once, at start-up: compiling takes longer than all the dashboard's queries, and the
# first request after start should not wait for it.
_page = _templates.get_template("dashboard.html")


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


def case_url(record: CaseFacts) -> str:
    """The case page in routing, where the case worker acts on it."""
    return f"{peer_url('routing')}/klachten/{record.id}"


def _open_case(record: CaseFacts, today: date, kind: DeadlineKind = DeadlineKind.decision) -> OpenCase:
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
    sees = scope_rule(request)
    measures = await all_measures(request)
    horizon = today + timedelta(days=AT_RISK_DAYS)
    async with reporting.service.db.reading() as session:
        pset = await live_set(session)
        cases = pset.cases
        # Only the caller's municipalities (or its provider) count, in figures and in lists.
        mine = [reported(cases), await scope_sql(session, cases, sees)]
        shown = [*mine, cases.municipality == municipality] if municipality is not None else mine
        counts = await open_counts(session, cases, today, horizon, shown)
        first_open = await open_by_due(session, cases, OPEN_LIST_LIMIT, shown)
        # Every term that needs attention: the decision term, and personal contact (5 working
        # days) while it is not yet made (routing's provider response term is on the case
        # worker's list).
        decision_risky = await open_by_due(session, cases, None, [*shown, cases.decision_due <= horizon])
        contact_risky = await facts_by_id(
            session,
            cases,
            None,
            [
                *shown,
                open_sql(cases),
                cases.contact_due <= horizon,
                cases.acknowledged_on.is_(None),
                or_(cases.contact_state.is_(None), cases.contact_state.in_(CONTACT_PENDING)),
            ],
        )
        latest = await latest_signals(session, SIGNALS_SHOWN)
        signals = [_signal_view(s) for s in signals_in_scope(request, latest)]
        poor_answers = await evidence.poor_answers(session)
        linked = {c for m in measures for c in m["complaint_ids"]}
        known = await facts_by_id(
            session, cases, linked | {str(p["complaint_id"]) for p in poor_answers}, mine
        )
        names = await municipalities_between(session, cases, year - 3, year, mine)
        report = await annual_report_sql(
            session,
            year,
            municipality,
            as_of=reporting.as_of(year),
            sees=sees,
            pset=pset,
            cache=reporting.counts,
        )
    if limited(request) is not None:
        poor_answers = [p for p in poor_answers if p["complaint_id"] in known]
    overdue_measures = [
        m | {"due_text": dutch_date(m["due"])}
        for m in measures_in_scope(request, measures, set(known))
        if m["overdue"]
    ]
    poor = [
        {"reference": known[p["complaint_id"]].reference if p["complaint_id"] in known else "–",
         "score": p["score"], "heard": p["heard"],
         "handled_by": (known[p["complaint_id"]].provider or known[p["complaint_id"]].unit or "–")
         if p["complaint_id"] in known else "–"}
        for p in poor_answers
    ]  # fmt: skip

    open_cases = [_open_case(r, today) for r in first_open]
    contact_terms = [_open_case(r, today, DeadlineKind.contact) for r in contact_risky.values()]
    decision_terms = [_open_case(r, today) for r in decision_risky]
    risky = sorted(
        (c for c in [*decision_terms, *contact_terms] if c.at_risk or c.overdue),
        key=lambda c: (c.due_on or date.max, c.reference, c.term_kind),
    )
    terms = report["within_term"]
    closed = terms["within"] + terms["late"]
    figures = [
        ("Open klachten", str(counts.open)),
        (f"Termijn verloopt binnen {AT_RISK_DAYS} dagen", str(counts.at_risk)),
        ("Termijn verlopen", str(counts.overdue)),
        ("Urgent en nog open", str(counts.urgent)),
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
    page = _page.render(
        organisation=reporting.settings.organisation,
        today=dutch_date(today),
        year=year,
        years=list(range(today.year, today.year - 6, -1)),
        municipality=municipality,
        municipalities=names,
        figures=figures,
        risky=risky,
        open_cases=open_cases,
        open_more=max(counts.open - OPEN_LIST_LIMIT, 0),
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
