"""No personal data in exported spans, whatever an instrumentation records (DESIGN.md, Personal data).

OpenTelemetry's HTTP instrumentation records the query string, the raw path, the client's
address and user agent, headers when an operator asks for them, and exception messages. A
query (`?q=<name>`) or a path (`/status/<the resident's code>`) may hold personal data or a
secret, an IP address is personal data, and an exception's message may quote what was sent.
`PrivateSpanProcessor` sits before every exporter and hands it a copy of each span without them:

- dropped: `url.query`, client and peer addresses and ports, user agents, captured headers;
- server spans: the path becomes the route template (`/status/{code}`), or goes when no route
  matched; a full URL goes (its parts that are safe stay as attributes of their own);
- client spans (httpx: ZGW, webhooks, peers): the URL keeps scheme, host and port only, since a
  webhook's path or query may hold its secret;
- exception events keep the exception's type, never its message or stack; a status description
  keeps the leading exception type name only.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from opentelemetry.context import Context
from opentelemetry.sdk.trace import Event, ReadableSpan, Span, SpanProcessor
from opentelemetry.trace import SpanKind, Status

DROPPED = frozenset(
    {
        "url.query",
        "http.client_ip",
        "client.address",
        "client.port",
        "net.peer.ip",
        "net.peer.port",
        "net.peer.name",
        "net.sock.peer.addr",
        "net.sock.peer.port",
        "network.peer.address",
        "network.peer.port",
        "user_agent.original",
        "user_agent.synthetic.type",
        "http.user_agent",
        "exception.message",
        "exception.stacktrace",
    }
)
HEADER_PREFIXES = ("http.request.header.", "http.response.header.")
PATHS = ("url.path", "http.target")
URLS = ("url.full", "http.url")
KEPT_IN_EXCEPTION_EVENTS = ("exception.type", "exception.escaped")
_TYPE_NAME = re.compile(r"[A-Za-z_][\w.]*")


def private_attributes(attributes: Mapping[str, Any] | None, kind: SpanKind) -> dict[str, Any]:
    """The attributes of a span without what could identify a person or hold a secret."""
    kept = {
        key: value
        for key, value in (attributes or {}).items()
        if key not in DROPPED and not key.startswith(HEADER_PREFIXES)
    }
    route = kept.get("http.route")
    for key in PATHS:
        if key in kept:
            if route:
                kept[key] = route
            else:
                del kept[key]
    for key in URLS:
        if key in kept:
            origin = _origin(str(kept[key])) if kind == SpanKind.CLIENT else None
            if origin:
                kept[key] = origin
            else:
                del kept[key]
    return kept


def _origin(url: str) -> str | None:
    try:
        parts = urlsplit(url)
        host, port = parts.hostname, parts.port
    except ValueError:
        return None
    if not parts.scheme or not host:
        return None
    if ":" in host:
        host = f"[{host}]"
    return f"{parts.scheme}://{host}" + (f":{port}" if port else "")


def private_status(status: Status) -> Status:
    """An error's description is an exception's type name at most (`ValueError: <message>` loses
    the message); anything else written there goes."""
    description = status.description
    if not description:
        return status
    match = _TYPE_NAME.match(description)
    kept = match.group(0) if match and description[match.end() :][:1] in ("", ":") else None
    return Status(status.status_code, kept)


def private_event(event: Event) -> Event:
    if event.name == "exception":
        attributes = {k: v for k, v in (event.attributes or {}).items() if k in KEPT_IN_EXCEPTION_EVENTS}
        return Event(event.name, attributes, event.timestamp)
    if not event.attributes:
        return event
    return Event(event.name, private_attributes(event.attributes, SpanKind.INTERNAL), event.timestamp)


def private_span(span: ReadableSpan) -> ReadableSpan:
    """A copy of an ended span holding nothing personal."""
    return ReadableSpan(
        name=span.name,
        context=span.context,
        parent=span.parent,
        resource=span.resource,
        attributes=private_attributes(span.attributes, span.kind),
        events=[private_event(event) for event in span.events],
        links=span.links,
        kind=span.kind,
        status=private_status(span.status),
        start_time=span.start_time,
        end_time=span.end_time,
        instrumentation_scope=span.instrumentation_scope,
    )


class PrivateSpanProcessor(SpanProcessor):
    """Wraps the processor of an exporter: it only ever sees `private_span` copies."""

    def __init__(self, inner: SpanProcessor) -> None:
        self.inner = inner

    def on_start(self, span: Span, parent_context: Context | None = None) -> None:
        self.inner.on_start(span, parent_context=parent_context)

    def on_end(self, span: ReadableSpan) -> None:
        self.inner.on_end(private_span(span))

    def shutdown(self) -> None:
        self.inner.shutdown()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return self.inner.force_flush(timeout_millis)
