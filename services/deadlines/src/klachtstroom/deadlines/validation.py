"""Dutch messages for request validation errors (FastAPI's are English).

The 422 keeps FastAPI's shape (`detail: [{loc, msg, type}]`) so clients need no special case.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

_MESSAGES = {
    "missing": "Dit veld is verplicht.",
    "int_parsing": "Geef een geheel getal.",
    "int_type": "Geef een geheel getal.",
    "int_from_float": "Geef een geheel getal.",
    "bool_parsing": "Geef true of false.",
    "date_parsing": "Geef een datum als JJJJ-MM-DD.",
    "date_from_datetime_parsing": "Geef een datum als JJJJ-MM-DD.",
    "date_from_datetime_inexact": "Geef een datum zonder tijd, als JJJJ-MM-DD.",
    "date_type": "Geef een datum als JJJJ-MM-DD.",
    "datetime_parsing": "Geef datum en tijd als JJJJ-MM-DDTHH:MM:SS+01:00.",
    "string_type": "Geef tekst.",
    "string_too_short": "Deze tekst is te kort.",
    "string_too_long": "Deze tekst is te lang.",
    "string_pattern_mismatch": "Deze waarde heeft niet de juiste vorm.",
    "list_type": "Geef een lijst.",
    "dict_type": "Geef een object.",
    "model_attributes_type": "Geef een object.",
    "too_short": "Geef minstens één waarde.",
    "too_long": "Dit zijn te veel waarden.",
    "json_invalid": "De inhoud is geen geldige JSON.",
    "extra_forbidden": "Dit veld kennen we niet.",
}


def _dutch(error: dict[str, Any]) -> str:
    kind = str(error.get("type", ""))
    context = error.get("ctx") or {}
    bounds = {
        "greater_than_equal": "De waarde moet minstens {ge} zijn.",
        "greater_than": "De waarde moet groter zijn dan {gt}.",
        "less_than_equal": "De waarde mag hoogstens {le} zijn.",
        "less_than": "De waarde moet kleiner zijn dan {lt}.",
    }
    if kind in bounds:
        return bounds[kind].format(**{k: context.get(k) for k in ("ge", "gt", "le", "lt")})
    if kind in ("literal_error", "enum"):
        return f"Onbekende waarde; kies uit: {context.get('expected', '')}."
    if kind == "value_error":
        return str(error.get("msg", "")).removeprefix("Value error, ")
    return _MESSAGES.get(kind, str(error.get("msg", "Ongeldige waarde.")))


async def dutch_validation_error(_request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    detail = [
        {"loc": list(e.get("loc", ())), "msg": _dutch(e), "type": e.get("type", "value_error")}
        for e in error.errors()
    ]
    return JSONResponse({"detail": detail}, status_code=422)
