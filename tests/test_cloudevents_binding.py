"""The CloudEvents Kafka protocol binding, checked with the official CloudEvents Python SDK.

Every record the outbox relays is read back from the broker and handed to the SDK's Kafka
binding with auto-detection (`from_kafka_event`): structured mode must be detected (no stray
`ce_` headers), the value must parse as a CloudEvent, `dataschema` must be the URI of the type's
JSON Schema, and every record must carry the `traceparent` header of its envelope.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from cloudevents.core.bindings.kafka import KafkaMessage, from_kafka_event
from e2e import Api, eventually, every_record
from stack import Stack

from klachtstroom.contracts import topics
from klachtstroom.contracts.envelope import STRUCTURED_CONTENT_TYPE, schema_uri
from klachtstroom.contracts.registry import payload_model

pytestmark = pytest.mark.e2e


def test_every_relayed_record_is_a_structured_cloudevent(apis: dict[str, Api], stack: Stack) -> None:
    code, accepted = apis["intake"].post(
        "/api/v1/complaints",
        {"channel": "web_form", "description": "Ik wacht al zeven weken op antwoord over mijn aanvraag."},
    )
    assert code == 202, accepted
    complaint_id = str(accepted["id"])

    def termed() -> Any:
        code, body = apis["deadlines"].get(f"/api/v1/deadlines?case_id={complaint_id}")
        return code == 200 and len(body["items"]) >= 2

    eventually(termed, timeout=45)
    records = [r for r in asyncio.run(every_record(f"127.0.0.1:{stack.kafka_port}")) if r[0] in topics.ALL]
    ours = [r for r in records if r[1] == complaint_id.encode()]
    assert {r[0] for r in ours} >= {topics.INTAKE, topics.CASE, topics.DEADLINE}

    for topic, key, value, header_list in records:
        headers = dict(header_list)
        assert not [name for name in headers if name.startswith("ce_")], topic
        assert headers["content-type"] == STRUCTURED_CONTENT_TYPE.encode()
        event = from_kafka_event(KafkaMessage(headers=headers, key=key, value=value))
        envelope = json.loads(value)
        assert event.get_id() == envelope["id"] and event.get_type() == envelope["type"]
        assert event.get_subject() == key.decode() if key else True
        assert event.get_specversion() == "1.0" and event.get_source().startswith("klachtstroom-")
        assert event.get_dataschema() == schema_uri(event.get_type())
        assert headers["traceparent"].decode() == envelope["traceparent"]
        payload_model(event.get_type()).model_validate(event.get_data())  # the data is the typed payload
