"""Text that cannot be stored is refused at the door: a 422, never a 500 (DESIGN.md, Errors).

A lone surrogate (`"\\ud800"` in JSON) cannot be encoded as UTF-8, so SQLite and PostgreSQL
fail on it; PostgreSQL refuses NUL characters in text; invalid UTF-8 bytes are not text at all.
`TextGuard` checks the path and the query string before any route runs, and JSON and form
(urlencoded) bodies as they are read, and answers a problem+json 422 naming the field — never
its value.
Multipart bodies (files) are not buffered here; their text fields are checked by `unstorable`
where they are read, and mail text is cleaned with `scrub`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import unquote_to_bytes

from starlette.exceptions import HTTPException

from klachtstroom.platform.problems import PROBLEM_JSON, FieldError, Problem

Scope = dict[str, Any]
Message = dict[str, Any]

_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
# JSON escapes that decode to a surrogate or NUL; a raw NUL byte is already invalid JSON.
_SUSPECT_ESCAPE = re.compile(rb"\\u(?:[dD][89a-fA-F][0-9a-fA-F]{2}|0000)")
_CHECKED_BODIES = ("application/json", "application/x-www-form-urlencoded")
# Larger bodies are refused by the body limit (the routes that allow more take files).
_MAX_CHECKED_BODY = 2 * 1024 * 1024

BAD_TEXT = "Deze tekst bevat tekens die we niet kunnen opslaan (een NUL-teken of een losse surrogaat)."
NOT_UTF8 = "Deze tekst is geen geldige UTF-8."
DETAIL = "Eén of meer velden bevatten tekst die we niet kunnen opslaan."


def unstorable(text: str) -> bool:
    """True when text holds a NUL or a lone surrogate (what no database can store as text)."""
    return _UNSTORABLE.search(text) is not None


def scrub(text: str) -> str:
    """Text that can be stored: NUL characters dropped, lone surrogates replaced by U+FFFD."""
    if not unstorable(text):
        return text
    return _UNSTORABLE.sub(lambda m: "" if m.group() == "\x00" else "\ufffd", text)


def bad_strings(value: Any, path: str = "") -> Iterator[str]:
    """The paths (`complainant.name`, `items.2`) of strings in a JSON value that cannot be stored."""
    if isinstance(value, str):
        if unstorable(value):
            yield path or "body"
    elif isinstance(value, dict):
        for key, item in value.items():
            name = f"{path}.{key}" if path else str(key)
            if unstorable(str(key)):
                yield path or "body"
            else:
                yield from bad_strings(item, name)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from bad_strings(item, f"{path}.{index}" if path else str(index))


def bad_pairs(encoded: bytes) -> Iterator[str]:
    """Names of `name=value` pairs (query string, urlencoded form) that are not storable UTF-8."""
    for pair in encoded.split(b"&"):
        if not pair:
            continue
        raw_name, _, raw_value = pair.partition(b"=")
        name_bytes = unquote_to_bytes(raw_name.replace(b"+", b" "))
        value_bytes = unquote_to_bytes(raw_value.replace(b"+", b" "))
        try:
            name = name_bytes.decode("utf-8")
            value = value_bytes.decode("utf-8")
        except UnicodeDecodeError:
            yield _printable(name_bytes)
            continue
        if unstorable(name) or unstorable(value):
            yield _printable(name_bytes)


def _printable(name: bytes) -> str:
    text = name.decode("utf-8", "replace")
    return scrub(text)[:100] or "query"


class UnstorableText(HTTPException):
    """Raised while a body is read: a 422 naming the fields (an HTTPException, so FastAPI's body
    parsing passes it on to the platform's handler instead of turning it into a 400)."""

    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__(422, detail=DETAIL)
        self.problem = Problem(422, detail=DETAIL, errors=errors)


class TextGuard:
    """Pure ASGI middleware: refuses unstorable text in the path, query and small bodies."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        errors = list(self._in_path_and_query(scope))
        if errors:
            await self._refuse(scope, send, errors)
            return
        content_type = _content_type(scope)
        if content_type not in _CHECKED_BODIES:
            await self.app(scope, receive, send)
            return
        await self.app(scope, _checking(receive, content_type), send)

    def _in_path_and_query(self, scope: Scope) -> Iterator[FieldError]:
        raw_path = scope.get("raw_path") or scope.get("path", "").encode("utf-8", "surrogatepass")
        try:
            path = unquote_to_bytes(raw_path).decode("utf-8")
        except UnicodeDecodeError:
            yield FieldError("path", NOT_UTF8)
        else:
            if unstorable(path):
                yield FieldError("path", BAD_TEXT)
        for name in bad_pairs(scope.get("query_string", b"")):
            yield FieldError(name, BAD_TEXT)

    async def _refuse(self, scope: Scope, send: Any, errors: list[FieldError]) -> None:
        problem = Problem(422, detail=DETAIL, errors=errors)
        body = json.dumps(problem.body(scope.get("path", "")), ensure_ascii=True).encode()
        headers = [(b"content-type", PROBLEM_JSON.encode()), (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": 422, "headers": headers})
        await send({"type": "http.response.body", "body": body})


def _in_json(body: bytes) -> list[FieldError]:
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return [FieldError("body", NOT_UTF8)]
    if not _SUSPECT_ESCAPE.search(body):
        return []
    try:
        value = json.loads(body)
    except ValueError:
        return []  # not JSON: the route's validation says so
    return [FieldError(path, BAD_TEXT) for path in bad_strings(value)]


def _content_type(scope: Scope) -> str:
    for name, value in scope.get("headers", []):
        if name == b"content-type":
            text: str = value.decode("latin-1")
            return text.split(";", 1)[0].strip().lower()
    return ""


def _checking(receive: Any, content_type: str) -> Any:
    """`receive`, checking the body once it is complete, before its last part is handed on.

    The route (or FastAPI's parsing) reads the body as usual; when it holds unstorable text,
    the last read raises `UnstorableText` (a 422) instead. Bodies larger than what is checked
    here are left to the body limit.
    """
    parts: list[bytes] = []
    size = 0

    async def checked() -> Message:
        nonlocal size
        message: Message = await receive()
        if message["type"] != "http.request" or size > _MAX_CHECKED_BODY:
            return message
        chunk = message.get("body", b"")
        size += len(chunk)
        parts.append(chunk)
        if size <= _MAX_CHECKED_BODY and not message.get("more_body", False):
            body = b"".join(parts)
            parts.clear()
            errors = (
                _in_json(body)
                if content_type == "application/json"
                else [FieldError(name, BAD_TEXT) for name in bad_pairs(body)]
            )
            if errors:
                raise UnstorableText(errors)
        return message

    return checked
