"""The outer edge of every service's HTTP app: API-Version, the last-resort 500, the body limit.

Pure ASGI middleware (no per-request task switching, works with streaming responses):

- every response, whatever produced it (a route, an error handler, a static file, a page),
  carries the `API-Version` header of the NL API Design Rules;
- an exception that no handler took becomes a 500 problem+json with the request's trace id;
  it is logged and recorded on the span by type and place only — an exception's message
  may hold what was sent (a name, an SQL parameter), so it is never written anywhere;
- the body limit itself is Starlette's `RequestBodyLimitMiddleware` (counts received bytes,
  chunked uploads included, and refuses before the body is read whole); a route may raise its
  own limit (`max_body_size=` on the route). Its plain-text 413 fallback is answered as problem+json.
"""

from __future__ import annotations

import json
import logging
import traceback
from typing import Any

from opentelemetry import trace

from klachtstroom.platform.problems import PROBLEM_JSON, Problem

log = logging.getLogger("klachtstroom.http")

Scope = dict[str, Any]
Message = dict[str, Any]

# After a 413 the rest of an oversized body is read and thrown away, up to this much, so that a
# client still sending it gets to read the answer instead of a reset connection. Beyond it the
# connection is closed: nobody may keep a worker busy with gigabytes.
DRAIN_AFTER_413 = 32 * 1024 * 1024


def error_summary(error: BaseException) -> str:
    """Where an exception happened and what kind it was — never its message.

    The stack (files, lines, functions) and the chain of exception types, so an operator can
    find the fault; messages and values stay out (they may quote personal data).
    """
    lines: list[str] = []
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        frames = traceback.extract_tb(current.__traceback__)
        lines.extend(f'  File "{f.filename}", line {f.lineno}, in {f.name}' for f in frames)
        lines.append(f"{type(current).__module__}.{type(current).__qualname__}")
        current = current.__cause__ or current.__context__
    return "\n".join(lines)


class HttpEdge:
    def __init__(self, app: Any, api_version: str) -> None:
        self.app = app
        self.header = (b"api-version", api_version.encode())

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False
        replacing = False
        status = 0
        body_read = False

        async def receive_watching() -> Message:
            nonlocal body_read
            message: Message = await receive()
            if message["type"] == "http.disconnect" or not message.get("more_body", False):
                body_read = True
            return message

        async def send_with_version(message: Message) -> None:
            nonlocal started, replacing, status, body_read
            if message["type"] == "http.response.start":
                started = True
                status = int(message["status"])
                if status == 413 and not body_read:
                    # Before the answer: once a response is complete the server reads no more
                    # of the request, and a client still sending gets a reset, not the 413.
                    await _drain(receive)
                    body_read = True
                headers = [h for h in message.get("headers", []) if h[0].lower() != b"api-version"]
                if message["status"] == 413 and _is_plain_text(headers):
                    # Starlette's body limit answered by itself: answer as every other error.
                    replacing = True
                    await self._problem(scope, send, Problem(413))
                    return
                message = {**message, "headers": [*headers, self.header]}
            elif replacing:
                return
            await send(message)

        try:
            await self.app(scope, receive_watching, send_with_version)
        except Exception as error:
            log.error(
                "unhandled %s in %s %s\n%s",
                type(error).__name__,
                scope.get("method", ""),
                _route_of(scope),
                error_summary(error),
            )
            if started:
                raise
            await self._problem(scope, send, Problem(500))

    async def _problem(self, scope: Scope, send: Any, problem: Problem) -> None:
        await send_problem(scope, send, problem, self.header)


async def send_problem(scope: Scope, send: Any, problem: Problem, *extra: tuple[bytes, bytes]) -> None:
    """Answer `problem` as problem+json straight from ASGI middleware (no app to raise into): a
    5xx with the request's trace id, the problem's own headers (`Retry-After`) and `extra`."""
    content = problem.body(scope.get("path", ""))
    if problem.status >= 500:
        content["trace_id"] = current_trace_id()
    body = json.dumps(content, ensure_ascii=False).encode()
    headers = [
        (b"content-type", PROBLEM_JSON.encode()),
        (b"content-length", str(len(body)).encode()),
        *extra,
        *((k.lower().encode(), v.encode()) for k, v in problem.headers.items()),
    ]
    await send({"type": "http.response.start", "status": problem.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _drain(receive: Any) -> None:
    """Read what is left of a refused body, discarding it, up to `DRAIN_AFTER_413` bytes."""
    drained = 0
    while drained <= DRAIN_AFTER_413:
        message = await receive()
        if message["type"] != "http.request":
            return
        drained += len(message.get("body", b""))
        if not message.get("more_body", False):
            return


def current_trace_id() -> str | None:
    """The trace id of the request's server span (OpenTelemetry's FastAPI instrumentation)."""
    context = trace.get_current_span().get_span_context()
    return f"{context.trace_id:032x}" if context.is_valid else None


def _is_plain_text(headers: list[tuple[bytes, bytes]]) -> bool:
    return any(k.lower() == b"content-type" and v.startswith(b"text/plain") for k, v in headers)


def _route_of(scope: Scope) -> str:
    """The route's template (`/status/{code}`), not the path: a path may hold a secret or a name."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    return str(path) if path else "(no route)"
