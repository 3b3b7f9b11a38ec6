"""The KCC screen (`GET /kcc`): employees register a phone call, letter or desk visit after the fact.

It takes exactly the shape of `POST /api/v1/complaints` (ComplaintIn), so the rules are the same,
and registers through the same Registrar. `received_at` is the day the complaint came in: the
terms run from it (Awb 9:11), not from the day it was typed in.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from pydantic import ValidationError
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException as StarletteHTTPException

from klachtstroom.contracts.timekeeping import local_date
from klachtstroom.contracts.vocabulary import Category, Channel, Kind, dutch
from klachtstroom.intake.http.api import new_complaint_from
from klachtstroom.intake.http.web import CsrfGuard, Web, one_time_token
from klachtstroom.intake.registration import Registrar
from klachtstroom.intake.resident.links import status_url
from klachtstroom.intake.schemas import ComplaintIn
from klachtstroom.intake.scope import municipality_for_new, sees
from klachtstroom.intake.store import Complaint
from klachtstroom.platform.audit import audit_subject

router = APIRouter(include_in_schema=False)

TEXT_FIELDS = (
    "received_at",
    "description",
    "desired_outcome",
    "municipality",
    "unit",
    "provider",
    "about_employee",
    "name",
    "email",
    "phone",
    "address",
    "bsn",
    "handover_note",
)
CONTACT = ("name", "email", "phone", "address", "bsn")
ROUTING_FIELDS = ("municipality", "unit", "provider", "about_employee", "handover_note", "desired_outcome")
KCC_CHANNELS = (Channel.phone, Channel.letter, Channel.in_person, Channel.email)
MESSAGES = {
    "received_at": "Vul de datum van ontvangst in, bijvoorbeeld 03-03-2026. "
    "De datum mag niet in de toekomst liggen.",
    "channel": "Kies hoe de klacht binnenkwam.",
    "description": "Vul in wat de inwoner vertelt of schrijft (maximaal 50.000 tekens).",
    "kind": "Kies een soort uit de lijst.",
    "category": "Kies een categorie uit de lijst.",
    "name": "Vul de naam in met maximaal 300 tekens.",
    "email": "Vul een e-mailadres in zoals naam@voorbeeld.nl.",
    "phone": "Vul een telefoonnummer in zoals 06 12345678.",
    "address": "Vul het adres in met maximaal 500 tekens.",
    "bsn": "Dit burgerservicenummer klopt niet (elfproef). Kijk het na of laat het leeg.",
    "municipality": "Gebruik maximaal 200 tekens.",
    "unit": "Gebruik maximaal 200 tekens.",
    "provider": "Gebruik maximaal 200 tekens.",
    "about_employee": "Gebruik maximaal 200 tekens.",
    "handover_note": "Gebruik maximaal 5.000 tekens.",
    "desired_outcome": "Gebruik maximaal 5.000 tekens.",
}


def _values(form: FormData | None, today: str) -> dict[str, Any]:
    values: dict[str, Any] = {name: "" for name in TEXT_FIELDS}
    values.update(
        received_at=today,
        channel="phone",
        kind="",
        category="",
        urgent="",
        formal=False,
        provider_may_contact=False,
    )
    if form is None:
        return values
    for name in (*TEXT_FIELDS, "channel", "kind", "category", "urgent"):
        raw = form.get(name)
        values[name] = raw.strip()[:60_000] if isinstance(raw, str) else ""
    values["formal"] = form.get("formal") == "ja"
    values["provider_may_contact"] = form.get("provider_may_contact") == "ja"
    return values


def _complaint_in(values: dict[str, Any], today: str) -> tuple[ComplaintIn | None, dict[str, str]]:
    errors: dict[str, str] = {}
    if values["received_at"] > today:  # ISO dates compare as text
        errors["received_at"] = MESSAGES["received_at"]
    data: dict[str, Any] = {
        "channel": values["channel"],
        "description": values["description"],
        "received_at": values["received_at"] or None,
        "complainant": {
            **{k: values[k] or None for k in CONTACT},
            "provider_may_contact": values["provider_may_contact"],
        },
        "kind": values["kind"] or None,
        "category": values["category"] or None,
        "urgent": {"ja": True, "nee": False}.get(values["urgent"]),
        "formal": values["formal"],
        **{k: values[k] or None for k in ROUTING_FIELDS},
    }
    if not values["received_at"]:
        errors["received_at"] = MESSAGES["received_at"]
    try:
        body = ComplaintIn.model_validate(data)
    except ValidationError as error:
        for problem in error.errors():
            field = str(problem["loc"][-1] if problem["loc"][0] == "complainant" else problem["loc"][0])
            errors.setdefault(field, MESSAGES.get(field, "Kijk dit veld na."))
        return None, errors
    return (None, errors) if errors else (body, errors)


def _page(
    request: Request,
    values: dict[str, Any],
    errors: dict[str, str],
    status: int = 200,
    form_token: str | None = None,
) -> HTMLResponse:
    web: Web = request.app.state.web
    token = web.csrf.token_for(request)
    order = (
        "received_at",
        "channel",
        "description",
        "desired_outcome",
        "kind",
        "category",
        *CONTACT,
        "municipality",
        "unit",
        "provider",
        "about_employee",
        "handover_note",
    )
    context = {
        "title": "Klacht registreren (KCC)",
        "form": values,
        "errors": {k: errors[k] for k in order if k in errors},
        "problems": [],
        "csrf_token": token,
        "form_token": one_time_token(form_token),
        "action": str(request.url_for("kcc_submit").path),
        "channel_options": [(c.value, dutch(c.value)) for c in KCC_CHANNELS],
        "kind_options": [("", "Laat de triage kiezen"), *((k.value, dutch(k.value)) for k in Kind)],
        "category_options": [("", "Laat de triage kiezen"), *((c.value, dutch(c.value)) for c in Category)],
        "urgent_options": [("", "Laat de triage kiezen"), ("ja", "Ja, spoed"), ("nee", "Nee")],
        "units": web.units.current if web.units is not None else web.settings.units,
        "import_url": str(request.url_for("import_page").path),
    }
    return web.csrf.attach(request, web.pages.render(request, "kcc.html", context, status=status), token)


def _today(request: Request) -> str:
    registrar: Registrar = request.app.state.registrar
    return local_date(registrar.service.clock.now()).isoformat()


@router.get("/kcc", response_class=HTMLResponse, name="kcc_form")
async def kcc_form(request: Request) -> HTMLResponse:
    web: Web = request.app.state.web
    await web.unit_list()  # routing's units, for the hint beside the unit field
    return _page(request, _values(None, _today(request)), {})


@router.post("/kcc", response_class=HTMLResponse, name="kcc_submit")
async def kcc_submit(request: Request) -> HTMLResponse:
    web: Web = request.app.state.web
    today = _today(request)
    try:
        form = await request.form(max_files=0, max_fields=50, max_part_size=256 * 1024)
    except StarletteHTTPException:
        unreadable = {"description": "Het formulier kon niet worden gelezen."}
        return _page(request, _values(None, today), unreadable, 400)
    values = _values(form, today)
    submitted = form.get("formulier_id")
    form_token = submitted if isinstance(submitted, str) else None
    if not web.csrf.verify(request, form.get(CsrfGuard.FIELD)):
        errors = {"description": "Het formulier is verlopen. Kijk de gegevens na en registreer opnieuw."}
        return _page(request, values, errors, 403, form_token)
    body, errors = _complaint_in(values, today)
    if body is None:
        return _page(request, values, errors, 422, form_token)
    municipality, allowed = municipality_for_new(request, body.municipality)
    if not allowed:
        errors = {"municipality": "U kunt alleen klachten registreren voor uw eigen gemeente(n)."}
        return _page(request, values, errors, 422, form_token)
    registrar: Registrar = request.app.state.registrar
    digest = hashlib.sha256(body.model_dump_json().encode()).hexdigest()
    registered = await registrar.register(
        replace(new_complaint_from(body, registrar.service.clock.now()), municipality=municipality),
        idempotency_key=f"kcc:{one_time_token(form_token)}:{digest[:16]}",
        request_hash=digest,
        public_base=str(request.base_url),
    )
    audit_subject(request, registered.id)
    async with registrar.service.db.reading() as session:
        complaint = await session.get(Complaint, registered.id)
        duplicate = await session.get(Complaint, registered.duplicate_of) if registered.duplicate_of else None
    assert complaint is not None
    if not sees(request, duplicate):
        duplicate = None  # a complaint of another municipality is not revealed
    context = {
        "title": "Klacht geregistreerd",
        "reference": registered.reference,
        "complaint": complaint,
        "reasons": complaint.triage.get("reasons", []),
        "duplicate": duplicate,
        "status_url": str(request.url_for("complaint_status", complaint_id=registered.id).path),
        "again_url": str(request.url_for("kcc_form").path),
        "resident_url": status_url(registrar.public_base(str(request.base_url)), registered.status_code)
        if registered.status_code
        else None,
        "resident_mail": bool(body.complainant.email),
    }
    return web.pages.render(request, "kcc_done.html", context)
