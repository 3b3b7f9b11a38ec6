"""`GET /`: the term watch at a glance for the complaints coordinator (server-rendered, no JavaScript).

Late terms first, then the terms that end within the next two weeks. Only case ids, references
and dates: nothing about the complainant.
"""

from __future__ import annotations

import datetime as dt
from html import escape

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import select

from klachtstroom.contracts.timekeeping import dutch_date, local_date
from klachtstroom.contracts.vocabulary import DEADLINE_KIND_LABELS, DeadlineKind, DeadlineState
from klachtstroom.deadlines.http.runtime import deadlines_of
from klachtstroom.deadlines.http.scope import condition
from klachtstroom.deadlines.store import CaseRecord, TermRecord

router = APIRouter()

# At 320 CSS px nothing scrolls sideways but a table, inside its own region (WCAG 1.4.10).
_STYLE = (
    "*{box-sizing:border-box}body{font-family:system-ui,sans-serif;margin:2rem auto;padding:0 2rem;"
    "max-width:64rem;line-height:1.5;color:#1a1a1a;overflow-wrap:break-word}a{color:#154273}"
    ".table-wrap{overflow-x:auto}.table-wrap:focus,a:focus{outline:3px solid #ffbf47}"
    "table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.3rem .6rem;"
    "border-bottom:1px solid #ccc;vertical-align:top}"
    "@media (max-width:40rem){body{margin:1rem auto;padding:0 1rem}h1{font-size:1.6rem}}"
)


def _table(key: str, title: str, rows: list[tuple[TermRecord, str | None]]) -> str:
    heading = f'<h2 id="{key}">{escape(title)}</h2>'
    if not rows:
        return f"{heading}<p>Geen.</p>"
    body = "".join(
        f"<tr><td>{escape(ref or term.case_id)}</td>"
        f"<td>{escape(DEADLINE_KIND_LABELS[DeadlineKind(term.kind)])}</td>"
        f"<td>{escape(dutch_date(term.due, weekday=True))}</td>"
        f'<td><a href="/api/v1/deadlines?case_id={escape(term.case_id)}">uitleg</a></td></tr>'
        for term, ref in rows
    )
    return (
        f'{heading}<div class="table-wrap" role="region" aria-labelledby="{key}" tabindex="0">'
        "<table><thead><tr><th scope=col>Kenmerk</th><th scope=col>Termijn</th>"
        "<th scope=col>Einddatum</th><th scope=col>Berekening</th></tr></thead>"
        f"<tbody>{body}</tbody></table></div>"
    )


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
async def overview(request: Request) -> HTMLResponse:
    runtime = deadlines_of(request)
    today = local_date(runtime.tracker.now())
    soon = today + dt.timedelta(days=14)
    query = (
        select(TermRecord, CaseRecord.reference)
        .join(CaseRecord, CaseRecord.case_id == TermRecord.case_id)
        .order_by(TermRecord.due, TermRecord.id)
        .limit(200)
    )
    if (where := condition(request)) is not None:
        query = query.where(where)  # the cases of the caller's municipalities (or provider)
    async with runtime.service.db.reading() as session:
        late = (
            await session.execute(
                query.where(TermRecord.state == DeadlineState.breached.value, TermRecord.closed_on.is_(None))
            )
        ).all()
        coming = (
            await session.execute(
                # The decline term (Awb 9:8) only lapses: not something to chase.
                query.where(
                    TermRecord.state == DeadlineState.running.value,
                    TermRecord.due <= soon,
                    TermRecord.kind != DeadlineKind.decline.value,
                )
            )
        ).all()
    html = (
        '<!doctype html><html lang="nl"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1"><title>Termijnbewaking</title>'
        f"<style>{_STYLE}</style></head><body><main><h1>Termijnbewaking</h1>"
        f"<p>Stand van {escape(dutch_date(today, weekday=True))}. "
        "Termijnen volgens de Algemene termijnenwet; "
        f'zie ook de <a href="/api/v1/calendar/{today.year}">kalender {today.year}</a>.</p>'
        + _table("overschreden", "Overschreden en nog niet afgehandeld", [(t, r) for t, r in late])
        + _table("binnenkort", "Eindigt binnen twee weken", [(t, r) for t, r in coming])
        + "</main></body></html>"
    )
    return HTMLResponse(html)
