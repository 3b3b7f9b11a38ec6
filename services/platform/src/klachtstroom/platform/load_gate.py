"""Bounded work per process: past its capacity a service says "busy" at once instead of timing out.

Without a bound, a service offered more requests than it can handle starts them all: every one
gets a sliver of the event loop, every one slows down, and after a few seconds of overload not a
single request finishes before its client gives up (measured: 200 complaints a second at an
intake that handles about 40 gave 2 answers out of 12,000, all others timed out after 10 s).

The gate lets `max_in_flight` requests work at a time; the next ones wait in order of arrival.
How long one may wait depends on whether the service keeps up:

- it keeps up (in the last `queue_wait_seconds` a slot came free with nobody waiting for it): a
  burst may wait up to `queue_wait_seconds`, so a short peak is served, a little later;
- it has not kept up for that long (sustained overload): a newcomer waits at most
  `overload_wait_seconds`, so the capacity goes to requests that can still be answered in time
  and the rest hear at once, as a 503 problem with `Retry-After`, that they should try again.

Operations endpoints (`/healthz`, `/readyz`, `/metrics`) never wait: an orchestrator that cannot
reach them would restart a service that is only busy. Refusals are counted
(`klachtstroom.http.refused_busy`).

The gate is the outermost layer of a service's app (`Service.create_app`), outside
OpenTelemetry's server middleware and the edge: under sustained overload most requests are
refused, and a refusal that first passed every layer cost about as much CPU as a quarter of a
registration, taken from the requests being served. A refusal gets a span of its own (in the
caller's trace when it sent a `traceparent`), the `API-Version` header and a `trace_id`, as every
5xx answer does.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from typing import Any

from opentelemetry import metrics, propagate, trace
from opentelemetry.trace import SpanKind, StatusCode, Tracer

from klachtstroom.platform.http_edge import send_problem
from klachtstroom.platform.problems import Problem

log = logging.getLogger("klachtstroom.http")

Scope = dict[str, Any]

EXEMPT_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})
BUSY_DETAIL = "Het is nu erg druk. Probeer het over een minuut opnieuw; er is niets opgeslagen."
RETRY_AFTER_SECONDS = 5
BUSY_PAGE = """<!doctype html>
<html lang="nl"><head><meta charset="utf-8"><title>Het is nu erg druk</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body><main><h1>Het is nu erg druk</h1>
<p>Wij konden uw bericht nu niet aannemen. Er is niets opgeslagen.</p>
<p>Probeer het over een paar minuten opnieuw. Ga daarvoor terug met de knop Terug van uw browser
en verstuur het formulier nog een keer.</p></main></body></html>
"""

_refused = metrics.get_meter("klachtstroom.http").create_counter(
    "klachtstroom.http.refused_busy",
    unit="{request}",
    description="Requests answered 503 because the service was at its capacity",
)


class LoadGate:
    """Pure ASGI middleware; one per process, so its counts are exact without locks."""

    def __init__(
        self,
        app: Any,
        *,
        max_in_flight: int,
        queue_wait_seconds: float,
        overload_wait_seconds: float,
        clock: Any = time.monotonic,
        api_version: str | None = None,
        tracer: Tracer | None = None,
    ) -> None:
        if max_in_flight < 1:
            raise ValueError("max_in_flight must be at least 1")
        self.app = app
        self.max_in_flight = max_in_flight
        self.queue_wait = queue_wait_seconds
        self.overload_wait = overload_wait_seconds
        self.clock = clock
        self.in_flight = 0
        self.waiting: deque[asyncio.Future[None]] = deque()
        self.kept_up_at = clock()  # last moment a slot was free for whoever came
        self.refused = 0
        self.version_header = [(b"api-version", api_version.encode())] if api_version else []
        self.tracer = tracer or trace.get_tracer("klachtstroom.http")

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope.get("path") in EXEMPT_PATHS:
            await self.app(scope, receive, send)
            return
        if not await self._enter():
            self.refused += 1
            _refused.add(1, {"method": scope.get("method", "")})
            await self._refuse(scope, send)
            return
        try:
            await self.app(scope, receive, send)
        finally:
            self._leave()

    async def _refuse(self, scope: Scope, send: Any) -> None:
        """The 503, in a server span of its own: the gate is outside OpenTelemetry's middleware."""
        carrier = {
            name.decode("latin-1"): value.decode("latin-1")
            for name, value in scope.get("headers", ())
            if name in (b"traceparent", b"tracestate")
        }
        method = str(scope.get("method", ""))
        with self.tracer.start_as_current_span(
            method or "HTTP",
            context=propagate.extract(carrier),
            kind=SpanKind.SERVER,
            attributes={"http.request.method": method, "http.response.status_code": 503},
        ) as span:
            span.set_status(StatusCode.ERROR, "busy")
            await _busy(scope, send, self.version_header)

    def overloaded(self) -> bool:
        """True when no slot has been free for a newcomer for longer than a burst may wait."""
        return bool(self.clock() - self.kept_up_at > self.queue_wait)

    async def _enter(self) -> bool:
        if self.in_flight < self.max_in_flight and not self.waiting:
            self.in_flight += 1
            self.kept_up_at = self.clock()
            return True
        wait = self.overload_wait if self.overloaded() else self.queue_wait
        turn: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.waiting.append(turn)
        try:
            await asyncio.wait_for(turn, wait)  # a turn handed over as it timed out still counts
        except TimeoutError:
            return False
        except asyncio.CancelledError:  # the client went away while waiting
            if turn.done() and not turn.cancelled():
                self._leave()  # the slot was already ours: pass it on
            raise
        finally:
            if not turn.done() or turn.cancelled():
                _discard(self.waiting, turn)
        return True

    def _leave(self) -> None:
        """Hand the slot to the longest waiter still waiting, else free it."""
        while self.waiting:
            turn = self.waiting.popleft()
            if not turn.done():
                turn.set_result(None)  # the slot moves on: in_flight stays the same
                return
        self.in_flight -= 1
        self.kept_up_at = self.clock()


def _discard(waiting: deque[asyncio.Future[None]], turn: asyncio.Future[None]) -> None:
    with contextlib.suppress(ValueError):
        waiting.remove(turn)


async def _busy(scope: Scope, send: Any, extra: list[tuple[bytes, bytes]]) -> None:
    """The 503 with the headers a client needs to come back later: a page for a browser (the
    resident's form), else the problem+json every API error is."""
    retry = str(RETRY_AFTER_SECONDS)
    if not _wants_page(scope):
        problem = Problem(503, detail=BUSY_DETAIL, headers={"Retry-After": retry})
        await send_problem(scope, send, problem, *extra)
        return
    body = BUSY_PAGE.encode()
    headers = [
        (b"content-type", b"text/html; charset=utf-8"),
        (b"content-length", str(len(body)).encode()),
        (b"retry-after", retry.encode()),
        *extra,
    ]
    await send({"type": "http.response.start", "status": 503, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _wants_page(scope: Scope) -> bool:
    accept = next((v for k, v in scope.get("headers", ()) if k == b"accept"), b"").decode("latin-1")
    return "text/html" in accept
