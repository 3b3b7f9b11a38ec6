"""The case worker's pages (Dutch, server-rendered, no JavaScript): the work queue at `/` and a
page per case with its terms, history, letters and a form for every action the case allows.

A form posts to `/klachten/{id}/actie/{action}`; the action goes through the same command path
as the API; after it the browser is sent back to the case page (303), with the result in words.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape
from pydantic import ValidationError

from klachtstroom.contracts.timekeeping import dutch_date, dutch_moment, local_date
from klachtstroom.contracts.vocabulary import (
    DEADLINE_KIND_LABELS,
    DEADLINE_STATE_LABELS,
    Achievement,
    DeclineGround,
    Outcome,
    Resolution,
    dutch,
)
from klachtstroom.platform.auth import Role, access_of, optional_access
from klachtstroom.platform.auth.scope import visible_to
from klachtstroom.platform.auth.signin import CSRF_FIELD, csrf_ok, csrf_token
from klachtstroom.routing.case.actions import ACTIONS, parse_command
from klachtstroom.routing.case.domain import ACTION_LABELS, InvalidCommand, TransitionForbidden
from klachtstroom.routing.casework.case_resource import (
    CaseFilter,
    case_resource,
    case_summary,
    list_cases,
    with_complaint_text,
)
from klachtstroom.routing.casework.case_rows import CaseNotFound
from klachtstroom.routing.casework.complaint_text import ComplaintTextUnavailable, complaint_text_or_none
from klachtstroom.routing.casework.contact import with_contact
from klachtstroom.routing.casework.worklist import (
    ATTENTION_KINDS,
    WorkFilter,
    filter_choices,
    open_cases_by_handler,
    terms_needing_attention,
)
from klachtstroom.routing.http.cases import casework, ensure_in_scope, in_scope
from klachtstroom.routing.http.letters import freeze, letters_overview
from klachtstroom.routing.letters.compose import GROUNDS
from klachtstroom.routing.tables import CaseRow

router = APIRouter(include_in_schema=False)
templates = Environment(
    loader=FileSystemLoader(str(Path(__file__).parent / "page_templates")), autoescape=select_autoescape()
)
# Dates and times on every page through the one helper: "6 december 2026", "... om 14:05".
templates.filters |= {"dutch_date": dutch_date, "dutch_moment": dutch_moment}


def _deadline_label(kind: str) -> str:
    known = {k.value: label for k, label in DEADLINE_KIND_LABELS.items()}
    return known[kind].capitalize() if kind in known else kind


def _deadline_state(state: str) -> str:
    known = {s.value: label for s, label in DEADLINE_STATE_LABELS.items()}
    return known.get(state, state)


OTHER_ACTIONS = {
    "open": "geopend",
    "merge": "samengevoegd",
    "escalation": "escalatie",
    "handover": "overdracht",
    "zgw": "zaaksysteem",
    "zgw-notification": "melding zaaksysteem",
    "provider-status": "status aanbieder",
}


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    kind: str = "text"  # text, textarea, select, number, checkbox
    required: bool = False
    options: list[tuple[str, str]] = field(default_factory=list)


def _choices(values: list[str]) -> list[tuple[str, str]]:
    return [(v, dutch(v)) for v in values]


DECISIONS = [o.value for o in Outcome if o not in {Outcome.withdrawn, Outcome.inadmissible}]
HANDLER = Field("handler_name", "Behandelaar", required=True)
UNIT = Field("unit", "Afdeling")
PROVIDER = Field("provider", "Zorgaanbieder", required=True)
GROUND_CHOICES = [(g.value, GROUNDS[g]) for g in DeclineGround]
FIELDS: dict[str, list[Field]] = {
    "assign": [HANDLER, UNIT],
    "take-over": [HANDLER, UNIT],
    "refer": [PROVIDER, Field("note", "Overdrachtsnotitie", "textarea")],
    "hear": [Field("report", "Verslag van het horen (Awb 9:10)", "textarea", required=True)],
    "extend": [Field("weeks", "Aantal weken (1 tot en met 4)", "number", required=True),
               Field("reason", "Reden (komt in de brief)", "textarea", required=True)],
    "suspend": [Field("reason", "Waarop wacht de behandeling?", "textarea", required=True)],
    "escalate": [Field("handler_name", "Nieuwe behandelaar (niet betrokken, Awb 9:7)"),
                 Field("advisory_committee", "Met adviescommissie (10 weken)", "checkbox")],
    "resolve": [Field("outcome", "Oordeel", "select", True, _choices(DECISIONS)),
                Field("resolution", "Afhandeling", "select", True, _choices(list(Resolution))),
                Field("summary", "Toelichting (komt in de brief)", "textarea"),
                Field("desired_outcome_achieved", "Heeft de klager bereikt wat hij of zij wilde?", "select",
                      False, [("", "Niet vastgelegd"), *((a.value, dutch(a.value)) for a in Achievement)])],
    "decline": [Field("reason", "Grond (Awb 9:8)", "select", True, GROUND_CHOICES),
                Field("explanation", "Toelichting", "textarea")],
    "withdraw": [Field("reason", "Toelichting", "textarea")],
    "reopen": [Field("reason", "Waarom heropenen?", "textarea")],
}  # fmt: skip


def _render(name: str, status: int = 200, **context: Any) -> HTMLResponse:
    context |= {"label": dutch, "deadline_label": _deadline_label, "deadline_state": _deadline_state}
    return HTMLResponse(templates.get_template(name).render(context), status_code=status)


def _action_label(action: str) -> str:
    label: str = ACTION_LABELS.get(action.replace("-", "_"), OTHER_ACTIONS.get(action, action))
    return label


@router.get("/", response_class=HTMLResponse)
async def overview(
    request: Request,
    behandelaar: str | None = None,
    afdeling: str | None = None,
    gemeente: str | None = None,
    termijn: str | None = None,
) -> HTMLResponse:
    work = casework(request)
    access = access_of(request)  # the caller sees the cases of its municipalities (or provider)
    today = local_date(work.now())
    where = WorkFilter(
        handler=behandelaar or None,
        unit=afdeling or None,
        municipality=gemeente or None,
        term=termijn or None,
    )
    async with work.service.db.reading() as session:
        attention = await terms_needing_attention(session, today, where)
        by_handler = await open_cases_by_handler(session, where)
        choices = await filter_choices(session)
    terms = [
        {
            "case_id": t.case_id, "reference": t.reference, "kind": t.kind, "late": t.late,
            "due_text": dutch_date(t.due), "handler_name": t.handler_name, "unit": t.unit,
            "municipality": t.municipality, "urgent": t.urgent,
        }
        for t in attention
        if access.sees(t.municipality, getattr(t, "provider", None))
    ]  # fmt: skip
    handlers = [
        (name, [{"id": r.id, "reference": r.reference, "state_label": case_summary(r, today)["state_label"],
                 "unit": r.provider or r.unit} for r in rows if access.sees(r.municipality, r.provider)])
        for name, rows in by_handler
    ]  # fmt: skip
    open_states = "received,assigned,referred,acknowledged,informal,formal,suspended"

    visible = visible_to(access_of(request), CaseRow.municipality, CaseRow.provider)

    async def rows(where: CaseFilter, limit: int = 100) -> list[dict[str, Any]]:
        where = replace(where, visible=visible)
        async with work.service.db.reading() as session:
            found, _next = await list_cases(session, where, today, limit=limit, cursor=None)
        summaries = [case_summary(r, today) for r in found]
        for item in summaries:
            due = item["decision_due"]
            item["decision_due_text"] = dutch_date(due) if due else None
        return summaries

    soon = (today + timedelta(days=7)).isoformat()
    candidates = await rows(CaseFilter(status=open_states), limit=500)
    due_soon = sorted(
        (c for c in candidates if c["decision_due"] and c["decision_due"] <= soon),
        key=lambda c: c["decision_due"],
    )
    return _render(
        "overview.html",
        title="Werkvoorraad",
        handler=behandelaar,
        unit=afdeling,
        municipality=gemeente,
        term=termijn,
        terms=terms,
        by_handler=handlers,
        choices=choices,
        term_kinds=ATTENTION_KINDS,
        mine=await rows(CaseFilter(status=open_states, handler=behandelaar)) if behandelaar else [],
        due_soon=due_soon,
        waiting=await rows(CaseFilter(status="referred")),
        flagged=await rows(CaseFilter(status=open_states, flagged=True)),
        recent=await rows(CaseFilter(status="received"), limit=25),
    )


async def _case_page(request: Request, case_id: str, status: int = 200, **extra: Any) -> HTMLResponse:
    work = casework(request)
    try:
        async with work.service.db.reading() as session:
            case = await case_resource(session, case_id, local_date(work.now()))
        if not in_scope(request, case.get("municipality"), case.get("provider")):
            raise CaseNotFound(case_id)
        text = await complaint_text_or_none(work.service.peers, case_id, optional_access(request))
        case = with_complaint_text(case, text)
        case = await with_contact(case, work.service.peers, optional_access(request))
    except CaseNotFound:
        return _render("base.html", 404, title="Klacht niet gevonden")
    case["received_text"] = dutch_moment(case["received_at"])
    for entry in case["history"]:
        entry["when"] = dutch_moment(entry["at"])
        entry["label"] = _action_label(entry["action"])
    allowed = [a for a in case["allowed_actions"] if a in ACTIONS]
    forms = [
        {"action": a, "title": _action_label(a).capitalize(), "fields": FIELDS.get(a, [])} for a in allowed
    ]
    done = {entry["action"] for entry in case["history"]}
    actor = extra.pop("actor", None) or request.query_params.get("behandelaar")
    letters = [
        {
            "kind": kind.name, "subject": kind.subject,
            "sent": f"verstuurd op {dutch_moment(sent.sent_at)} door {sent.sent_by}" if sent else None,
        }
        for kind, sent in await letters_overview(work, case_id)
    ]  # fmt: skip
    # Who may act on a case (platform auth/rules.py CASE_ACTIONS) may also record that a letter went out.
    access = optional_access(request)
    may_send = access is not None and bool({Role.handler, Role.coordinator} & access.caller.roles)
    return _render(
        "case.html", status, title=f"Klacht {case['reference']}", case=case, forms=forms, actions_done=done,
        actor=actor, message=request.query_params.get("melding"), csrf_token=csrf_token(request),
        letters=letters, may_send=may_send, **extra,
    )  # fmt: skip


@router.get("/klachten/{case_id}", response_class=HTMLResponse)
async def case_page(case_id: str, request: Request) -> HTMLResponse:
    return await _case_page(request, case_id)


@router.post("/klachten/{case_id}/brief/{kind}/verstuurd", response_model=None)
async def letter_sent(case_id: str, kind: str, request: Request) -> Response:
    """The case worker sent the letter (post or e-mail): it is kept as it was sent."""
    form = parse_qs((await request.body()).decode())
    tokens = form.get(CSRF_FIELD) or []
    if not csrf_ok(request, tokens[-1] if tokens else None):
        return _render("base.html", 403, title="Formulier verlopen: laad de pagina opnieuw")
    try:
        await ensure_in_scope(request, casework(request), case_id)
        letter_kind, _row = await freeze(request, case_id, kind)
    except HTTPException as error:
        if error.status_code == 404:
            return _render("base.html", 404, title="Klacht of brief niet gevonden")
        return await _case_page(request, case_id, error.status_code, error=str(error.detail))
    done = quote(f"Gelukt: '{letter_kind.subject}' is vastgelegd als verstuurd.")
    return RedirectResponse(f"/klachten/{case_id}?melding={done}", status_code=303)


@router.post("/klachten/{case_id}/actie/{action}", response_model=None)
async def case_action(case_id: str, action: str, request: Request) -> Response:
    work = casework(request)
    form = {
        k: v[-1].strip() for k, v in parse_qs((await request.body()).decode()).items() if v and v[-1].strip()
    }
    # Signed in with the session cookie: the form must carry the session's CSRF token.
    if not csrf_ok(request, form.pop(CSRF_FIELD, None)):
        return _render("base.html", 403, title="Formulier verlopen: laad de pagina opnieuw")
    # The actor is the signed-in caller (DESIGN.md), not a field of the form.
    actor = access_of(request).name
    body: dict[str, Any] = dict(form) | {"actor": actor}
    if "advisory_committee" in body:
        body["advisory_committee"] = True
    if "weeks" in body:
        body["weeks"] = int(body["weeks"]) if body["weeks"].isdigit() else body["weeks"]
    if action not in ACTIONS:
        return await _case_page(request, case_id, 404, error=f"Onbekende actie '{action}'.", actor=actor)
    try:
        await ensure_in_scope(request, work, case_id)
    except HTTPException:
        return _render("base.html", 404, title="Klacht niet gevonden")
    try:
        await work.execute(case_id, parse_command(action, body, work.now()))
    except CaseNotFound:
        return _render("base.html", 404, title="Klacht niet gevonden")
    except ValidationError as error:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors())
        return await _case_page(
            request, case_id, 422, error=f"Controleer de gegevens: {problems}", actor=actor
        )
    except InvalidCommand as error:
        return await _case_page(request, case_id, 422, error=error.message, actor=actor)
    except TransitionForbidden as error:
        return await _case_page(request, case_id, 409, error=error.reason, actor=actor)
    except ComplaintTextUnavailable:
        message = "De klachttekst is nu niet op te vragen bij intake (Awb 9:7). Probeer het zo opnieuw."
        return await _case_page(request, case_id, 503, error=message, actor=actor)
    done = quote(f"Gelukt: {_action_label(action)}.")
    return RedirectResponse(f"/klachten/{case_id}?melding={done}", status_code=303)
