"""The CloudEvents 1.0 envelope (structured JSON mode) every klachtstroom event travels in."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar, Generic, TypeVar

import uuid6
from pydantic import BaseModel, ConfigDict, Field

SPEC_VERSION = "1.0"
TYPE_PREFIX = "nl.klachtstroom."


class Payload(BaseModel):
    """Base of every event payload. `event_type` is the versioned CloudEvents type."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    event_type: ClassVar[str]
    topic: ClassVar[str]


P = TypeVar("P", bound=Payload)


def new_event_id() -> str:
    """UUIDv7: time-ordered, so ids sort by creation."""
    return str(uuid6.uuid7())


class Envelope(BaseModel):
    """An event as it travels over Kafka; `data` is still untyped here.

    Consumers validate the envelope first and the payload second, so one message with an
    unknown or broken payload can be dead-lettered without failing the batch around it.
    """

    model_config = ConfigDict(extra="allow")

    specversion: str = SPEC_VERSION
    id: str
    source: str
    type: str
    subject: str
    time: datetime
    datacontenttype: str = "application/json"
    dataschema: str = "1"
    traceparent: str | None = None
    data: dict[str, Any] = Field(default_factory=dict)

    def payload(self) -> Payload:
        """The typed payload, validated against the model registered for `type`."""
        from klachtstroom.contracts.registry import payload_model

        return payload_model(self.type).model_validate(self.data)


class Event(BaseModel, Generic[P]):
    """A typed envelope, used to document topics (AsyncAPI, JSON Schema)."""

    specversion: str = SPEC_VERSION
    id: str
    source: str
    type: str
    subject: str
    time: datetime
    datacontenttype: str = "application/json"
    dataschema: str = "1"
    traceparent: str | None = None
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
        dataschema=payload.event_type.rsplit(".", 1)[-1],
        traceparent=traceparent,
        data=payload.model_dump(mode="json"),
    )
