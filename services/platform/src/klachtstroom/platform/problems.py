"""Errors as RFC 9457 problem details, the same on every service (DESIGN.md, Errors).

Every 4xx/5xx answer is `application/problem+json`:
`{type, title, status, detail, instance, errors?: [{field, message}]}` with Dutch texts.
A route refuses a request by raising `Problem` (or FastAPI's `HTTPException`, which is
translated); request validation errors become a 422 with one entry per field. The texts
never echo what was sent: a message says what is wrong with a field, not what it held.
A 5xx adds `trace_id` so an operator can find the log line; it says nothing else.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from opentelemetry import trace
from pydantic import BaseModel, ValidationError
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"
TYPE_BASE = "https://klachtstroom.nl/problemen/"

# (type slug, Dutch title, default Dutch detail) per status.
_STATUSES: dict[int, tuple[str, str, str]] = {
    400: ("ongeldig-verzoek", "Ongeldig verzoek", "Het verzoek kon niet worden gelezen."),
    401: ("niet-aangemeld", "Niet aangemeld", "Meld u aan om dit te mogen doen."),
    403: ("geen-toegang", "Geen toegang", "U mag dit niet doen."),
    404: ("niet-gevonden", "Niet gevonden", "Wat u zoekt, bestaat niet (of niet meer)."),
    405: ("methode-niet-toegestaan", "Methode niet toegestaan", "Dit adres kent deze methode niet."),
    406: ("niet-leverbaar", "Niet leverbaar", "Dit antwoord is niet in het gevraagde formaat te geven."),
    409: ("conflict", "Niet mogelijk in deze toestand", "Dit kan niet in de toestand waarin het nu is."),
    411: ("lengte-ontbreekt", "Lengte ontbreekt", "Geef de lengte van het verzoek mee."),
    413: ("te-groot", "Verzoek te groot", "Het verzoek is groter dan is toegestaan."),
    415: ("formaat-niet-ondersteund", "Formaat niet ondersteund", "Dit formaat nemen we niet aan."),
    422: ("ongeldige-invoer", "Ongeldige invoer", "Eén of meer velden zijn niet goed ingevuld."),
    429: ("te-veel-verzoeken", "Te veel verzoeken", "Wacht even en probeer het dan opnieuw."),
    500: ("interne-fout", "Interne fout", "Er ging iets mis aan onze kant. Probeer het later opnieuw."),
    502: ("storing-elders", "Storing bij een andere dienst", "Een dienst die we nodig hebben, gaf een fout."),
    503: ("niet-beschikbaar", "Tijdelijk niet beschikbaar", "Probeer het over een paar minuten opnieuw."),
    504: ("geen-antwoord", "Geen antwoord op tijd", "Een andere dienst antwoordde niet op tijd."),
}


def _status_texts(status: int) -> tuple[str, str, str]:
    known = _STATUSES.get(status)
    if known is not None:
        return known
    if status >= 500:
        return _STATUSES[500]
    return _STATUSES[400]


@dataclass(frozen=True)
class FieldError:
    """One field that is wrong, with a Dutch message (never the value it held)."""

    field: str
    message: str


class Problem(Exception):
    """Refuse a request with a problem+json answer.

    `raise Problem(409, detail="Een gesloten zaak kan niet worden verlengd.")`
    `raise Problem.invalid("weeks", "Verlengen kan met hoogstens 4 weken.")`
    """

    def __init__(
        self,
        status: int,
        title: str | None = None,
        detail: str | None = None,
        *,
        errors: Iterable[FieldError | tuple[str, str]] = (),
        headers: Mapping[str, str] | None = None,
        type: str | None = None,
    ) -> None:
        slug, default_title, default_detail = _status_texts(status)
        self.status = status
        self.title = title or default_title
        self.detail = detail or default_detail
        self.errors = [e if isinstance(e, FieldError) else FieldError(*e) for e in errors]
        self.headers = dict(headers or {})
        self.type = type or TYPE_BASE + slug
        super().__init__(f"{status} {self.title}")

    @classmethod
    def invalid(cls, field: str, message: str, detail: str | None = None) -> Problem:
        """A 422 for one field."""
        return cls(422, detail=detail, errors=[FieldError(field, message)])

    @classmethod
    def from_validation(cls, errors: Sequence[Mapping[str, Any]], *, prefix: Sequence[str] = ()) -> Problem:
        """A 422 from pydantic's errors (`ValidationError.errors()`), one entry per field, in Dutch.

        `prefix` is prepended to each error's location (e.g. ("body",) for a body validated
        by hand, which then names the field just as FastAPI's own validation would).
        """
        return cls(
            422,
            errors=[FieldError(field_name([*prefix, *e.get("loc", ())]), dutch_message(e)) for e in errors],
        )

    def body(self, instance: str) -> dict[str, Any]:
        content: dict[str, Any] = {
            "type": self.type,
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
            "instance": instance,
        }
        if self.errors:
            content["errors"] = [{"field": e.field, "message": e.message} for e in self.errors]
        return content


_LOCATIONS = ("body", "query", "path", "header", "cookie")


def field_name(loc: Sequence[Any]) -> str:
    """`("body", "complainant", "email")` -> `complainant.email`; `("query", "offset")` -> `offset`."""
    parts = [str(p) for p in loc]
    if parts and parts[0] in _LOCATIONS:
        rest = parts[1:]
        return ".".join(rest) if rest else parts[0]
    return ".".join(parts) or "body"


_MESSAGES = {
    "missing": "Dit veld is verplicht.",
    "int_parsing": "Geef een geheel getal.",
    "int_type": "Geef een geheel getal.",
    "int_from_float": "Geef een geheel getal.",
    "float_parsing": "Geef een getal.",
    "float_type": "Geef een getal.",
    "finite_number": "Geef een eindig getal.",
    "bool_parsing": "Geef true of false.",
    "bool_type": "Geef true of false.",
    "date_parsing": "Geef een datum als JJJJ-MM-DD.",
    "date_from_datetime_parsing": "Geef een datum als JJJJ-MM-DD.",
    "date_from_datetime_inexact": "Geef een datum zonder tijd, als JJJJ-MM-DD.",
    "date_type": "Geef een datum als JJJJ-MM-DD.",
    "datetime_parsing": "Geef datum en tijd als JJJJ-MM-DDTHH:MM:SS+01:00.",
    "datetime_from_date_parsing": "Geef datum en tijd als JJJJ-MM-DDTHH:MM:SS+01:00.",
    "datetime_type": "Geef datum en tijd als JJJJ-MM-DDTHH:MM:SS+01:00.",
    "timezone_aware": "Geef datum en tijd met tijdzone, zoals +01:00.",
    "string_type": "Geef tekst.",
    "string_unicode": "Deze tekst bevat tekens die we niet kunnen opslaan.",
    "string_too_short": "Deze tekst is te kort.",
    "string_too_long": "Deze tekst is te lang.",
    "string_pattern_mismatch": "Deze waarde heeft niet de juiste vorm.",
    "uuid_parsing": "Geef een geldige id (UUID).",
    "uuid_type": "Geef een geldige id (UUID).",
    "url_parsing": "Geef een geldig webadres (URL).",
    "url_scheme": "Geef een webadres dat begint met https:// of http://.",
    "list_type": "Geef een lijst.",
    "dict_type": "Geef een object.",
    "model_type": "Geef een object.",
    "model_attributes_type": "Geef een object.",
    "too_short": "Geef minstens één waarde.",
    "too_long": "Dit zijn te veel waarden.",
    "json_invalid": "De inhoud is geen geldige JSON.",
    "json_type": "De inhoud is geen geldige JSON.",
    "extra_forbidden": "Dit veld kennen we niet.",
    "union_tag_invalid": "Onbekende soort; kies een van de genoemde.",
    "union_tag_not_found": "Geef aan welke soort dit is.",
}

_BOUNDS = {
    "greater_than_equal": "De waarde moet minstens {ge} zijn.",
    "greater_than": "De waarde moet groter zijn dan {gt}.",
    "less_than_equal": "De waarde mag hoogstens {le} zijn.",
    "less_than": "De waarde moet kleiner zijn dan {lt}.",
}


def dutch_message(error: Mapping[str, Any]) -> str:
    """A Dutch message for one pydantic error, without the input it held.

    A validator's own message (`value_error`) is ours and already Dutch; anything unknown
    becomes a general message rather than pydantic's English (which may quote the input).
    """
    kind = str(error.get("type", ""))
    context = error.get("ctx") or {}
    if kind in _BOUNDS:
        return _BOUNDS[kind].format(**{k: context.get(k) for k in ("ge", "gt", "le", "lt")})
    if kind in ("literal_error", "enum"):
        return f"Onbekende waarde; kies uit: {context.get('expected', '')}."
    if kind == "string_too_long" and "max_length" in context:
        return f"Deze tekst is te lang: hoogstens {context['max_length']} tekens."
    if kind == "string_too_short" and "min_length" in context:
        return f"Deze tekst is te kort: minstens {context['min_length']} teken(s)."
    if kind == "too_long" and "max_length" in context:
        return f"Dit zijn te veel waarden: hoogstens {context['max_length']}."
    if kind == "too_short" and "min_length" in context:
        return f"Geef minstens {context['min_length']} waarde(n)."
    if kind in ("value_error", "assertion_error"):
        message = str(error.get("msg", "")).removeprefix("Value error, ").removeprefix("Assertion failed, ")
        return message[:1].upper() + message[1:] if message else "Ongeldige waarde."
    return _MESSAGES.get(kind, "Ongeldige waarde.")


def current_trace_id() -> str | None:
    span = trace.get_current_span().get_span_context()
    return f"{span.trace_id:032x}" if span.is_valid else None


def problem_response(problem: Problem, instance: str) -> JSONResponse:
    content = problem.body(instance)
    if problem.status >= 500:
        content["trace_id"] = current_trace_id()
    return JSONResponse(content, status_code=problem.status, headers=problem.headers, media_type=PROBLEM_JSON)


def internal_error(instance: str) -> JSONResponse:
    return problem_response(Problem(500), instance)


def _from_http_exception(error: StarletteHTTPException) -> Problem:
    """FastAPI/Starlette's HTTPException (routes, unknown paths, 405, body parsing) as a Problem."""
    carried = getattr(error, "problem", None)
    if isinstance(carried, Problem):  # raised where a Problem could not be (while a body is read)
        return carried
    detail: Any = error.detail
    headers = dict(error.headers or {})
    status = error.status_code
    if isinstance(detail, list):  # [{loc, msg}] as some routes still raise
        return Problem(
            status,
            headers=headers,
            errors=[FieldError(field_name(d.get("loc", ())), str(d.get("msg", ""))) for d in detail],
        )
    if isinstance(detail, str) and detail and not _is_starlette_phrase(detail, status):
        return Problem(status, detail=detail, headers=headers)
    return Problem(status, headers=headers)


def _is_starlette_phrase(detail: str, status: int) -> bool:
    """Starlette's own English texts ("Not Found", "Method Not Allowed", ...) are replaced."""
    from http import HTTPStatus

    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        return False
    return detail == phrase or detail.startswith("There was an error parsing the body")


def instance_of(request: Request) -> str:
    """The request's path, without its query (which may hold what was searched for)."""
    return request.url.path


async def _on_problem(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, Problem)
    return problem_response(error, instance_of(request))


async def _on_http_exception(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, StarletteHTTPException)
    return problem_response(_from_http_exception(error), instance_of(request))


async def _on_request_validation(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    return problem_response(Problem.from_validation(error.errors()), instance_of(request))


async def _on_validation(request: Request, error: Exception) -> JSONResponse:
    """A pydantic ValidationError that escaped a route: the route validated a body by hand."""
    assert isinstance(error, ValidationError)
    return problem_response(Problem.from_validation(error.errors(), prefix=("body",)), instance_of(request))


async def _on_database_error(request: Request, error: Exception) -> JSONResponse:
    """A busy database (locked, serialization failure, deadlock) is a 503 to try again, not a 500."""
    from klachtstroom.platform.db import is_storage_full, is_transient

    if is_storage_full(error):
        # The operator must act (the 503s are counted too); the caller is told to try later.
        log.error("storage full: nothing can be written (%s request refused with 503)", request.method)
        full = Problem(503, detail="We kunnen op dit moment niets opslaan. Probeer het later opnieuw.",
                       headers={"Retry-After": "60"})  # fmt: skip
        return problem_response(full, instance_of(request))
    if not is_transient(error):
        raise error
    log.warning("database busy (%s) in %s", type(error).__name__, request.method)
    busy = Problem(503, detail="De gegevens zijn even bezet. Probeer het over een paar seconden opnieuw.",
                   headers={"Retry-After": "2"})  # fmt: skip
    return problem_response(busy, instance_of(request))


def install_problem_handlers(app: FastAPI) -> None:
    app.add_exception_handler(DBAPIError, _on_database_error)
    app.add_exception_handler(Problem, _on_problem)
    app.add_exception_handler(StarletteHTTPException, _on_http_exception)
    app.add_exception_handler(RequestValidationError, _on_request_validation)
    app.add_exception_handler(ValidationError, _on_validation)


# --- OpenAPI ------------------------------------------------------------------------------


class FieldErrorOut(BaseModel):
    field: str
    message: str


class ProblemDetails(BaseModel):
    """RFC 9457 problem details, with Dutch texts."""

    type: str
    title: str
    status: int
    detail: str
    instance: str
    errors: list[FieldErrorOut] | None = None
    trace_id: str | None = None


DOCUMENTED_ERRORS = (400, 401, 403, 404, 409, 413, 422, 500, 503)


def document_problems(schema: dict[str, Any], statuses: Sequence[int] = DOCUMENTED_ERRORS) -> dict[str, Any]:
    """Every operation answers its errors as problem+json: say so in the OpenAPI document.

    FastAPI's default 422 (HTTPValidationError) is replaced by the problem schema.
    """
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    details = ProblemDetails.model_json_schema(ref_template="#/components/schemas/{model}")
    components["ProblemDetails"] = details
    for defs_name, definition in details.pop("$defs", {}).items():
        components[defs_name] = definition
    components.pop("HTTPValidationError", None)
    components.pop("ValidationError", None)
    problem = {"content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/ProblemDetails"}}}}
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            responses = operation["responses"]
            # A page answers a browser's error with a page too (a 404 for an unknown link).
            pages = any(
                "text/html" in (answer.get("content") or {})
                for code, answer in responses.items()
                if code.startswith("2") and isinstance(answer, dict)
            )
            for status in statuses:
                key = str(status)
                existing = responses.get(key, {})
                description = existing.get("description") or _status_texts(status)[1]
                content = dict(problem["content"])
                if pages:
                    content["text/html"] = {"schema": {"type": "string"}}
                responses[key] = {"description": description, "content": content}
    return schema
