"""The public complaint form (klachtformulier): `GET /` and `POST /klacht`, no JavaScript needed.

Awb 9:4 asks a written complaint for name, address, date and a description, but a missing detail
is asked for later, never a reason to refuse: only 'what happened' is required here.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from pydantic import ValidationError
from starlette.datastructures import FormData, UploadFile
from starlette.exceptions import HTTPException as StarletteHTTPException

from klachtstroom.contracts.vocabulary import Channel
from klachtstroom.intake.attachments import (
    ACCEPT,
    MAX_BYTES,
    AttachmentRefused,
    check_count,
    check_file,
    too_large,
)
from klachtstroom.intake.http.web import CsrfGuard, Web, client_address, one_time_token
from klachtstroom.intake.registration import AttachmentIn, ContactDetails, NewComplaint, Registrar
from klachtstroom.intake.resident.links import status_url
from klachtstroom.intake.schemas import ComplainantIn
from klachtstroom.platform.text_guard import scrub

router = APIRouter(include_in_schema=False)

MAX_DESCRIPTION = 20_000
# Three files of 10 MB plus the text (DESIGN.md, Limits); anything larger is refused while it
# arrives, before it is read whole (the platform's body limit, raised for this route only).
MAX_REQUEST_BYTES = 31 * 1024 * 1024
FIELD_ORDER = (
    "omschrijving",
    "bereiken",
    "afdeling",
    "gemeente",
    "wanneer",
    "contact",
    "naam",
    "email",
    "telefoon",
    "adres",
    "behandeling",
    "bijlagen",
)
CONTACT_MESSAGES = {
    "name": ("naam", "Vul uw naam in met maximaal 300 tekens."),
    "email": ("email", "Vul een e-mailadres in zoals naam@voorbeeld.nl."),
    "phone": ("telefoon", "Vul een telefoonnummer in zoals 06 12345678."),
    "address": ("adres", "Vul uw adres in met maximaal 500 tekens."),
}
HANDLING_OPTIONS = [
    ("informeel", "Eerst een gesprek om het samen op te lossen"),
    ("formeel", "Meteen een formele behandeling, met een brief met ons oordeel"),
]


@dataclass
class FormValues:
    """What the resident typed, kept as typed so an error page shows it again (WCAG 3.3.7)."""

    omschrijving: str = ""
    bereiken: str = ""
    afdeling: str = ""
    gemeente: str = ""
    wanneer: str = ""
    naam: str = ""
    email: str = ""
    telefoon: str = ""
    adres: str = ""
    geen_contact: bool = False
    zorgaanbieder_contact: bool = False  # "Mag de zorgaanbieder u bellen of mailen?"
    behandeling: str = "informeel"

    @classmethod
    def from_form(cls, form: FormData) -> FormValues:
        def text(name: str, limit: int = 1000) -> str:
            value = form.get(name)
            # A multipart field may hold a NUL or undecodable bytes; what cannot be stored is dropped.
            return scrub(value).strip()[:limit] if isinstance(value, str) else ""

        return cls(
            omschrijving=text("omschrijving", MAX_DESCRIPTION + 1000),
            bereiken=text("bereiken", 6000),
            afdeling=text("afdeling", 200),
            gemeente=text("gemeente", 200),
            wanneer=text("wanneer", 300),
            naam=text("naam", 400),
            email=text("email", 400),
            telefoon=text("telefoon", 100),
            adres=text("adres", 600),
            geen_contact=form.get("geen_contact") == "ja",
            zorgaanbieder_contact=form.get("zorgaanbieder_contact") == "ja",
            behandeling="formeel" if form.get("behandeling") == "formeel" else "informeel",
        )

    def validate(self) -> dict[str, str]:
        errors: dict[str, str] = {}
        if not self.omschrijving:
            errors["omschrijving"] = "Vul in wat er is gebeurd."
        elif len(self.omschrijving) > MAX_DESCRIPTION:
            errors["omschrijving"] = (
                "Uw tekst is te lang. Gebruik maximaal 20.000 tekens. Meer kwijt? Voeg dan een bestand toe."
            )
        if len(self.bereiken) > 5000:
            errors["bereiken"] = "Schrijf dit korter: gebruik maximaal 5.000 tekens."
        if len(self.wanneer) > 200:
            errors["wanneer"] = "Schrijf dit korter: gebruik maximaal 200 tekens."
        try:
            self.contact_in()
        except ValidationError as error:
            for problem in error.errors():
                field, message = CONTACT_MESSAGES[str(problem["loc"][0])]
                errors.setdefault(field, message)
        if not (self.email or self.telefoon or self.adres) and not self.geen_contact:
            errors["contact"] = (
                "Vul minstens één manier in om u te bereiken: e-mail, telefoon of adres. "
                "Wilt u geen contact? Zet dan een vinkje bij ‘Ik wil niet dat u contact met mij opneemt’."
            )
        return errors

    def contact_in(self) -> ComplainantIn:
        # The same rules as the JSON API (e-mail and phone shape). No BSN: an anonymous form
        # cannot know whose number it is (that needs DigiD); KCC and machine clients may send one.
        return ComplainantIn(
            name=self.naam or None,
            email=self.email or None,
            phone=self.telefoon or None,
            address=self.adres or None,
        )

    def description(self) -> str:
        if self.wanneer:
            return f"{self.omschrijving}\n\nWanneer gebeurd (volgens de indiener): {self.wanneer}"
        return self.omschrijving


def _web(request: Request) -> Web:
    web: Web = request.app.state.web
    return web


def _ordered(errors: dict[str, str]) -> dict[str, str]:
    return {field: errors[field] for field in FIELD_ORDER if field in errors}


def form_page(
    request: Request,
    values: FormValues,
    units_known: list[str],
    *,
    errors: dict[str, str] | None = None,
    problems: list[str] | None = None,
    status: int = 200,
    form_token: str | None = None,
) -> HTMLResponse:
    web = _web(request)
    token = web.csrf.token_for(request)
    units = [("", "Weet ik niet"), *((unit, unit) for unit in units_known)]
    if values.afdeling and values.afdeling not in units_known:
        units.append((values.afdeling, values.afdeling))
    municipalities = web.settings.municipalities
    context: dict[str, Any] = {
        "title": "Klacht indienen",
        "form": values,
        "errors": _ordered(errors or {}),
        "problems": problems or [],
        "action": str(request.url_for("submit_form").path),
        "csrf_token": token,
        "form_token": one_time_token(form_token),
        "unit_options": units,
        "municipality_options": [("", "Kies uw gemeente"), *((m, m) for m in municipalities)]
        if municipalities
        else [],
        "handling_options": HANDLING_OPTIONS,
        "accept": ACCEPT,
    }
    response = web.pages.render(request, "form.html", context, status=status)
    return web.csrf.attach(request, response, token)


def message_page(
    request: Request, status: int, heading: str, paragraphs: list[str], headers: dict[str, str] | None = None
) -> HTMLResponse:
    return _web(request).pages.render(
        request,
        "message.html",
        {
            "title": heading,
            "heading": heading,
            "paragraphs": paragraphs,
            "back_url": str(request.url_for("show_form").path),
            "back_text": "Terug naar het klachtformulier",
        },
        status=status,
        headers=headers,
    )


@router.get("/", response_class=HTMLResponse, name="show_form")
async def show_form(request: Request) -> HTMLResponse:
    return form_page(request, FormValues(), await _web(request).unit_list())


async def read_attachments(uploads: list[UploadFile]) -> tuple[list[AttachmentIn], AttachmentRefused | None]:
    """The chosen files, checked; an empty file field (nothing chosen) is not a file."""
    chosen = [u for u in uploads if u.filename or (u.size or 0) > 0]
    try:
        check_count(len(chosen))
        files: list[AttachmentIn] = []
        for upload in chosen:
            if (upload.size or 0) > MAX_BYTES:  # refuse before reading it into memory
                raise too_large(upload.filename)
            checked = check_file(upload.filename, await upload.read())
            files.append(AttachmentIn(checked.filename, checked.content_type, checked.data))
        return files, None
    except AttachmentRefused as refused:
        return [], refused


def request_digest(values: FormValues, files: list[AttachmentIn]) -> str:
    content = {**asdict(values), "files": [hashlib.sha256(f.data).hexdigest() for f in files]}
    return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()


@router.post("/klacht", response_class=HTMLResponse, name="submit_form", max_body_size=MAX_REQUEST_BYTES)
async def submit_form(request: Request) -> HTMLResponse:
    web = _web(request)
    allowed, retry_after = web.limiter.allow(client_address(request))
    if not allowed:
        minutes = max(1, round(retry_after / 60))
        return message_page(
            request,
            429,
            "U heeft te vaak kort na elkaar een formulier verstuurd",
            [
                f"Wacht {minutes} {'minuut' if minutes == 1 else 'minuten'} en probeer het dan opnieuw.",
                "Lukt het niet? Bel de gemeente. Dan helpen we u verder.",
            ],
            headers={"Retry-After": str(retry_after)},
        )
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > MAX_REQUEST_BYTES:
        return _too_large(request)
    try:
        form = await request.form(max_files=20, max_fields=50, max_part_size=256 * 1024)
    except StarletteHTTPException as refused:
        if refused.status_code == 413:  # sent without a length (chunked) and grew too large
            return _too_large(request)
        return message_page(
            request, 400, "Het formulier kon niet worden gelezen", ["Ga terug en probeer het opnieuw."]
        )
    try:
        return await _handle(request, web, form)
    finally:
        await form.close()


def _too_large(request: Request) -> HTMLResponse:
    return message_page(
        request,
        413,
        "Uw bestanden zijn te groot",
        [
            "Een bestand mag maximaal 10 MB zijn. U kunt maximaal 3 bestanden toevoegen.",
            "Ga terug, kies kleinere bestanden en verstuur het formulier opnieuw.",
        ],
    )


async def _handle(request: Request, web: Web, form: FormData) -> HTMLResponse:
    values = FormValues.from_form(form)
    submitted_token = form.get("formulier_id")
    form_token = submitted_token if isinstance(submitted_token, str) else None
    if not web.csrf.verify(request, form.get(CsrfGuard.FIELD)):
        return form_page(
            request,
            values,
            await web.unit_list(),
            problems=[
                "Het formulier is verlopen of kon niet worden gecontroleerd. Uw antwoorden staan er nog. "
                "Kijk ze na en verstuur het formulier opnieuw."
            ],
            status=403,
            form_token=form_token,
        )
    errors = values.validate()
    uploads = [item for item in form.getlist("bijlagen") if isinstance(item, UploadFile)]
    files, refused = await read_attachments(uploads)
    if refused is not None:
        errors["bijlagen"] = refused.message
    if errors:
        status = refused.status if refused is not None and refused.status == 413 else 422
        return form_page(
            request, values, await web.unit_list(), errors=errors, status=status, form_token=form_token
        )

    contact = values.contact_in()
    registrar: Registrar = request.app.state.registrar
    new = NewComplaint(
        channel=Channel.web_form,
        description=values.description(),
        received_at=registrar.service.clock.now(),
        contact=ContactDetails(contact.name, contact.email, contact.phone, contact.address),
        municipality=values.gemeente or None,
        unit=values.afdeling or None,
        formal=values.behandeling == "formeel",
        attachments=files,
        desired_outcome=values.bereiken or None,
        # Who wants no contact at all gives no consent to the provider either.
        provider_may_contact=values.zorgaanbieder_contact and not values.geen_contact,
    )
    digest = request_digest(values, files)
    # One filled-in form registers once, however often it is sent: the hidden one-time token
    # plus its content is the idempotency key (changed content after 'back' is a new complaint).
    key = f"form:{one_time_token(form_token)}:{digest[:16]}"
    registered = await registrar.register(
        new, idempotency_key=key, request_hash=digest, public_base=str(request.base_url)
    )
    return web.pages.render(
        request,
        "confirmation.html",
        {
            "title": "Klacht ontvangen",
            "reference": registered.reference,
            "reachable": new.contact.reachable,
            "formal": new.formal,
            "attachments": len(files),
            "form_url": str(request.url_for("show_form").path),
            "resident_url": status_url(registrar.public_base(str(request.base_url)), registered.status_code)
            if registered.status_code
            else None,
            "resident_mail": bool(contact.email),
        },
    )
