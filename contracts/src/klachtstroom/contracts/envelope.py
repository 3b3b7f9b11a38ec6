"""The CloudEvents 1.0 envelope every klachtstroom event travels in, and its Kafka binding.

On Kafka, events use the CloudEvents Kafka protocol binding in structured content mode: the
whole envelope is the record value (JSON), the record header `content-type` is
`application/cloudevents+json`, and no `ce_` headers are set (those would mean binary mode).
Every record also carries the W3C `traceparent` header, the same as the envelope's attribute.

This module knows nothing of the payload models (`registry.payload_of` turns an envelope into
its typed payload), so there is no import circle between the envelope and the registry.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any, ClassVar, Generic, Self, TypeVar

import uuid6
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

SPEC_VERSION = "1.0"
TYPE_PREFIX = "nl.klachtstroom."
STRUCTURED_CONTENT_TYPE = "application/cloudevents+json"  # CloudEvents Kafka binding, structured mode
SCHEMA_URI_PREFIX = "urn:klachtstroom:schema:"


def schema_uri(event_type: str) -> str:
    """The URI naming the JSON Schema of an event type (`dataschema`; the schema's `$id`)."""
    return f"{SCHEMA_URI_PREFIX}{event_type}"


def new_traceparent() -> str:
    """A W3C traceparent that starts a new trace, for an event no request or event caused."""
    return f"00-{secrets.token_hex(16)}-{secrets.token_hex(8)}-01"


class Payload(BaseModel):
    """Base of every event payload. `event_type` is the versioned CloudEvents type.

    Closed for producers (`extra="forbid"`: a misspelled or removed field is an error, and mypy's
    pydantic plugin reports it before it runs); open for consumers (`from_event_data` drops fields
    a newer producer added, which DESIGN.md calls compatible).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    event_type: ClassVar[str]
    topic: ClassVar[str]

    @classmethod
    def from_event_data(cls, data: dict[str, Any]) -> Self:
        """The payload of a consumed event; fields this version does not know are ignored."""
        known = cls.model_fields  # once: a property, slow to ask per field
        return cls.model_validate({name: value for name, value in data.items() if name in known})


P = TypeVar("P", bound=Payload)


def new_event_id() -> str:
    """UUIDv7: time-ordered, so ids sort by creation."""
    return str(uuid6.uuid7())


class Envelope(BaseModel):
    """An event as it travels over Kafka; `data` is still untyped here.

    Consumers validate the envelope first and the payload second (`registry.payload_of`), so one
    message with an unknown or broken payload can be dead-lettered without failing the batch.
    """

    model_config = ConfigDict(extra="allow")

    specversion: str = SPEC_VERSION
    id: str
    source: str
    type: str
    subject: str
    time: AwareDatetime
    datacontenttype: str = "application/json"
    dataschema: str | None = None
    traceparent: str | None = None
    data: dict[str, Any] = Field(default_factory=dict)

    def kafka_headers(self) -> dict[str, str]:
        """The record headers of the CloudEvents Kafka binding, structured mode."""
        return {"content-type": STRUCTURED_CONTENT_TYPE, "traceparent": self.traceparent or new_traceparent()}


class Event(BaseModel, Generic[P]):
    """A typed envelope, used to document topics (AsyncAPI, JSON Schema)."""

    specversion: str = SPEC_VERSION
    id: str
    source: str
    type: str
    subject: str
    time: AwareDatetime
    datacontenttype: str = "application/json"
    dataschema: str = Field(description="URI naming the JSON Schema of this event type")
    traceparent: str = Field(description="W3C trace context, also sent as the `traceparent` record header")
    data: P


def make_envelope(
    payload: Payload,
    *,
    source: str,
    subject: str,
    time: datetime | None = None,
    traceparent: str | None = None,
) -> Envelope:
    """Wrap a payload in a new envelope; `subject` is the complaint id (also the Kafka key)."""
    return Envelope(
        id=new_event_id(),
        source=source,
        type=payload.event_type,
        subject=subject,
        time=time or datetime.now(UTC),
        dataschema=schema_uri(payload.event_type),
        traceparent=traceparent or new_traceparent(),
        data=payload.model_dump(mode="json"),
    )
