"""Generate the AsyncAPI 3 document of klachtstroom from the services' own FastStream brokers.

`python deploy/asyncapi.py > contracts/asyncapi.json` writes it; `--check FILE` fails when the
checked-in document is not what the code declares (run in CI by `make test`).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from importlib import import_module
from typing import Any

from faststream.specification import AsyncAPI

from klachtstroom.contracts.envelope import STRUCTURED_CONTENT_TYPE

SERVICES = ("intake", "routing", "deadlines", "reporting")


def document() -> str:
    os.environ.setdefault("KLACHTSTROOM_DATA_DIR", tempfile.mkdtemp(prefix="klachtstroom-asyncapi-"))
    brokers = []
    for name in SERVICES:
        service, _app = import_module(f"klachtstroom.{name}.app").create_service()
        brokers.append(service.broker)
    spec = AsyncAPI(
        *brokers,
        title="klachtstroom events",
        version="1",
        description=(
            "Complaint events of klachtstroom over Apache Kafka. Every event is a CloudEvents 1.0 "
            "envelope in structured JSON mode; the Kafka key is the complaint id."
        ),
        schema_version="3.0.0",
    )
    generated = with_kafka_binding(json.loads(spec.to_specification().to_json()))
    return json.dumps(generated, indent=2, sort_keys=True) + "\n"


# What every record really carries (klachtstroom.contracts.envelope): the CloudEvents Kafka
# binding in structured mode. FastStream would name a `correlation_id` header no record has.
RECORD_HEADERS = {
    "type": "object",
    "properties": {
        "content-type": {"type": "string", "const": STRUCTURED_CONTENT_TYPE},
        "traceparent": {"type": "string", "description": "W3C trace context of the event"},
    },
    "required": ["content-type", "traceparent"],
}
CORRELATION = {
    "description": "The complaint id: the CloudEvents `subject`, also the Kafka key, shared by every "
    "event of one complaint.",
    "location": "$message.payload#/subject",
}


def with_kafka_binding(document: dict[str, Any]) -> dict[str, Any]:
    document["defaultContentType"] = STRUCTURED_CONTENT_TYPE
    for message in document.get("components", {}).get("messages", {}).values():
        message["correlationId"] = CORRELATION
        message["contentType"] = STRUCTURED_CONTENT_TYPE
        message["headers"] = RECORD_HEADERS
    return document


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--check", metavar="FILE")
    args = parser.parse_args()
    generated = document()
    if args.check:
        with open(args.check, encoding="utf-8") as handle:
            if handle.read() != generated:
                print(f"{args.check} is out of date: run `make asyncapi`", file=sys.stderr)
                return 1
        print(f"{args.check} is current")
        return 0
    sys.stdout.write(generated)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
