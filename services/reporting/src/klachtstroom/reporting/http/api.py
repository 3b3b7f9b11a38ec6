"""The Reporting API of DESIGN.md: annual, provider and mediated reports, signals, open data."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Sequence
from datetime import UTC, date, datetime, time
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Path, Query, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from klachtstroom.contracts.timekeeping import AMSTERDAM
from klachtstroom.reporting.http.runtime import reporting_of
from klachtstroom.reporting.http.scope import (
    check_municipality,
    in_scope,
    measures_in_scope,
    scope_rule,
    signals_in_scope,
)
from klachtstroom.reporting.learning import evidence
from klachtstroom.reporting.learning.measures import Measure, all_measures, of_year
from klachtstroom.reporting.projection.queries import live_set
from klachtstroom.reporting.publication.disclosure import publishable_names, published_annual
from klachtstroom.reporting.render.csv import annual_csv, open_data_csv, provider_csv
from klachtstroom.reporting.render.html import render_annual_html, render_provider_html
from klachtstroom.reporting.reports.aggregates import (
    Sees,
    annual_report_sql,
    facts_by_id,
    received_between,
    reported,
    scope_with_key,
)
from klachtstroom.reporting.reports.annual import Learning, received_in
from klachtstroom.reporting.reports.provider import mediated_overview, provider_cases, provider_report
from klachtstroom.reporting.reports.provider_measures import MeasuresUnavailable, measures_of_cases
from klachtstroom.reporting.signals.desk import list_signals
from klachtstroom.reporting.store import ProjectionSet

router = APIRouter(prefix="/api/v1", tags=["reports"])

Year = Annotated[int, Path(ge=1990, le=2999, description="report year (by date of receipt)")]
# A half year within the years a report can cover (Year): 1990-H1 up to 2999-H2.
_PERIOD = re.compile(r"(199\d|2\d{3})-H([12])")
CSV_TYPE = "text/csv; charset=utf-8"
_TEXT = {"schema": {"type": "string"}}
# A report in the format asked for (`format=`): what the OpenAPI document says the 200 can be.
REPORT_FORMATS: dict[str, Any] = {
    "description": "Het rapport, in het gevraagde formaat",
    "content": {
        "application/json": {"schema": {"type": "object"}},
        "text/csv": _TEXT,
        "text/html": _TEXT,
        "application/pdf": {"schema": {"type": "string", "format": "binary"}},
    },
}


def _optional(value: str | None) -> str | None:
    return value.strip() or None if value is not None else None


def _attachment(name: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{name}"'}


@router.get("/reports/annual/{year}", response_model=None, responses={200: REPORT_FORMATS})
async def annual(
    year: Year,
    request: Request,
    municipality: str | None = None,
    format: Literal["json", "csv", "html", "pdf"] = "json",
    as_of: Annotated[
        date | None, Query(description="stand van de registratie; standaard 31 december")
    ] = None,
    published: Annotated[
        bool, Query(description="de versie voor publicatie (Woo): alleen geconfigureerde namen")
    ] = False,
) -> Response:
    """The annual report (jaarverslag klachtbehandeling) as JSON, CSV, HTML or PDF.

    `published=true` gives the version to publish (Woo): units and municipalities named only
    when on the configured lists and in at least 3 registrations, the rest as "overig".
    """
    reporting = reporting_of(request)
    municipality = _optional(municipality)
    check_municipality(request, municipality)
    sees = scope_rule(request)
    measures = await all_measures(request)
    async with reporting.service.db.reading() as session:
        pset = await live_set(session)

        async def learn(on: AsyncSession) -> Learning:  # read beside the report's counts
            return await learning_of(request, on, pset, year, measures, sees, municipality)

        report = await annual_report_sql(
            session,
            year,
            municipality,
            as_of=reporting.as_of(year, as_of),
            learning=learn,
            sees=sees,
            pset=pset,
            cache=reporting.counts,
            apart=reporting.service.db.reads_apart,
        )
    if published:
        settings = reporting.settings
        report = published_annual(
            report,
            settings.known_units,
            settings.known_municipalities,
            settings.open_data_min_count,
            settings.known_providers,
        )
    suffix = f"{year}-{municipality}" if municipality else str(year)
    organisation = reporting.settings.organisation
    if format == "csv":
        return Response(
            annual_csv(report).encode(),
            media_type=CSV_TYPE,
            headers=_attachment(f"jaarverslag-klachten-{suffix}.csv"),
        )
    if format == "html":
        return HTMLResponse(render_annual_html(report, organisation))
    if format == "pdf":
        from klachtstroom.reporting.render.annual_pdf import (
            render_annual_pdf,  # matplotlib: imported after start (app.load_pdf_renderer)
        )

        pdf = await asyncio.to_thread(render_annual_pdf, report, organisation)
        return Response(
            pdf, media_type="application/pdf", headers=_attachment(f"jaarverslag-klachten-{suffix}.pdf")
        )
    return JSONResponse(dict(report))


async def learning_of(
    request: Request,
    session: AsyncSession,
    pset: ProjectionSet,
    year: int,
    measures: Sequence[Measure],
    sees: Sees | None,
    municipality: str | None = None,
) -> Learning:
    """Feedback and norms from the live log, and the measures register's items of `year`.

    Feedback and norms are read for the complaints the report counts (this year, the caller's
    scope, the asked municipality) and kept per projection version with the report's counts:
    reading them means looking up a year of complaint ids in the log.

    A measure belongs to the caller's report when it is linked to none, or to one of the caller's
    complaints received in this year or the three before (the report's `by_municipality` years).
    """
    cases = pset.cases
    scope, scope_key = await scope_with_key(session, cases, sees)
    judged = select(cases.id).where(reported(cases), scope, received_between(cases, year, year))
    if municipality is not None:  # as the report counts (aggregates.annual_report_sql)
        judged = judged.where(cases.municipality == municipality)
    counts = reporting_of(request).counts
    key = await counts.key(session, pset, ("learning", year, municipality, scope_key))
    read = counts.get(key)
    if read is None:
        answers_read, norms_read = await evidence.learned(session, among=judged)
        read = {"answers": answers_read, "norms": norms_read}
        counts.put(key, read)
    answers = dict(read["answers"])  # the report is the caller's to change
    norms = {complaint: list(named) for complaint, named in read["norms"].items()}
    linked = {c for m in measures for c in m["complaint_ids"]}
    where = [reported(cases), scope, received_between(cases, year - 3, year)]
    facts = await facts_by_id(session, cases, linked, where)
    chosen = measures_in_scope(request, of_year(measures, year, list(facts.values())), set(facts))
    return Learning(answers=answers, norms=norms, measures=[dict(m) for m in chosen])


@router.get("/reports/providers/{provider}/{period}", response_model=None, responses={200: REPORT_FORMATS})
async def provider(
    provider: str,
    period: Annotated[str, Path(description="half year, e.g. 2026-H1")],
    request: Request,
    format: Literal["json", "csv", "html", "pdf"] = "json",
) -> Response:
    """The twice-yearly report on complaints about one provider (zorgaanbieder): JSON, CSV, HTML or PDF."""
    match = _PERIOD.fullmatch(period)
    if match is None:
        message = "Geef de periode als jaar en halfjaar, bijvoorbeeld 2026-H1."
        raise HTTPException(422, detail=[{"loc": ["path", "period"], "type": "period", "msg": message}])
    year, half = int(match[1]), int(match[2])
    reporting = reporting_of(request)
    facts = in_scope(request, await reporting.facts(year, year))
    covered = [fact.id for fact in provider_cases(facts, provider, year, half)]
    try:
        measures = await measures_of_cases(reporting.service.peers, covered)
    except MeasuresUnavailable:
        message = "De maatregelen zijn nu niet op te vragen bij routing. Probeer het zo opnieuw."
        raise HTTPException(503, detail=message) from None
    async with reporting.service.db.reading() as session:
        cases = (await live_set(session)).cases
        about = cases.provider == provider
        answers = await evidence.answers(
            session, among=select(cases.id).where(reported(cases), about, received_between(cases, year, year))
        )
    own = measures_in_scope(request, [dict(m) for m in await all_measures(request)], {f.id for f in facts})
    report = provider_report(facts, provider, year, half, measures, answers=answers, register=own)
    name = f"halfjaarrapportage-{re.sub(r'[^A-Za-z0-9]+', '-', provider).strip('-').lower()}-{period}"
    if format == "csv":
        body = provider_csv(report).encode()
        return Response(body, media_type=CSV_TYPE, headers=_attachment(f"{name}.csv"))
    if format == "pdf":
        from klachtstroom.reporting.render.provider_pdf import render_provider_pdf  # reportlab: on first use

        pdf = await asyncio.to_thread(render_provider_pdf, report)
        return Response(pdf, media_type="application/pdf", headers=_attachment(f"{name}.pdf"))
    if format == "html":
        return HTMLResponse(render_provider_html(report))
    return JSONResponse(dict(report))


@router.get("/reports/mediated/{year}")
async def mediated(year: Year, request: Request) -> dict[str, Any]:
    """Complaints handled informally together with a partner (Awb 9:5)."""
    facts = in_scope(request, await reporting_of(request).facts(year, year))
    return dict(mediated_overview(facts, year))


@router.get("/signals")
async def signals(
    request: Request,
    since: Annotated[str | None, Query(description="ISO date or date-time: signals from then on")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 500,
    after: Annotated[int, Query(ge=0, description="continue after this position (from `next`)")] = 0,
) -> dict[str, Any]:
    """Urgent and trend signals sent to the college, oldest first."""
    moment = _moment(since) if since else None
    async with reporting_of(request).service.db.reading() as session:
        items, last = await list_signals(session, moment, limit, after)
    next_url = None
    if last is not None:
        next_url = str(request.url.include_query_params(after=last))
    return {"items": signals_in_scope(request, items), "next": next_url}


def _moment(text: str) -> datetime:
    """A date means the start of that Dutch day; a date-time without zone is Dutch time."""
    try:
        if len(text) == 10:
            moment = datetime.combine(date.fromisoformat(text), time(0), tzinfo=AMSTERDAM)
        else:
            moment = datetime.fromisoformat(text.replace(" ", "+"))  # '+' arrives as a space
            moment = moment if moment.tzinfo else moment.replace(tzinfo=AMSTERDAM)
    except ValueError:
        message = "Geef een datum (2026-03-01) of datum en tijd (2026-03-01T09:00:00+01:00)."
        raise HTTPException(
            422, detail=[{"loc": ["query", "since"], "type": "datetime", "msg": message}]
        ) from None
    return moment.astimezone(UTC)


@router.get(
    "/open-data/{year}.csv",
    response_class=Response,
    responses={200: {"description": "Het register als CSV", "content": {"text/csv": _TEXT}}},
)
async def open_data(year: Year, request: Request, municipality: str | None = None) -> Response:
    """The anonymised complaint register of a year for active publication (Woo).

    A unit or municipality is named only when it is on the configured list and at least
    `open_data_min_count` registrations of that year carry it; otherwise 'overig', so neither
    a name a resident typed nor a rare one can point to a person.
    """
    reporting = reporting_of(request)
    settings = reporting.settings
    municipality = _optional(municipality)
    facts = received_in(await reporting.facts(year, year), year)
    minimum = settings.open_data_min_count
    units = publishable_names((f.unit for f in facts), settings.known_units, minimum)
    places = publishable_names((f.municipality for f in facts), settings.known_municipalities, minimum)
    text = open_data_csv(facts, year, municipality, units=units, municipalities=places)
    return Response(text.encode(), media_type=CSV_TYPE, headers=_attachment(f"klachten-open-data-{year}.csv"))
