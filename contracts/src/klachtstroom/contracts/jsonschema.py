"""JSON Schema export of every event (`python -m klachtstroom.contracts.jsonschema DIR`)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from klachtstroom.contracts.envelope import Event, schema_uri
from klachtstroom.contracts.registry import PAYLOADS


def _open(schema: Any) -> Any:
    """Without `additionalProperties: false`: the models are closed for producers, but a consumer
    must accept fields a newer producer added (DESIGN.md: adding an optional field is compatible)."""
    if isinstance(schema, dict):
        return {k: _open(v) for k, v in schema.items() if not (k == "additionalProperties" and v is False)}
    if isinstance(schema, list):
        return [_open(v) for v in schema]
    return schema


def schemas() -> dict[str, dict[str, Any]]:
    """One schema per event type: the CloudEvents envelope with its typed `data`."""
    result: dict[str, dict[str, Any]] = {}
    for payload in PAYLOADS:
        schema = _open(Event[payload].model_json_schema())  # type: ignore[valid-type]
        schema["$id"] = schema_uri(payload.event_type)
        schema["title"] = payload.event_type
        schema["properties"]["type"]["const"] = payload.event_type
        schema["properties"]["dataschema"]["const"] = schema_uri(payload.event_type)
        schema["x-kafka-topic"] = payload.topic
        result[payload.event_type] = schema
    return result


def write(directory: Path) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for event_type, schema in schemas().items():
        path = directory / f"{event_type}.schema.json"
        path.write_text(json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n")
        written.append(path)
    return written


if __name__ == "__main__":
    for path in write(Path(sys.argv[1] if len(sys.argv) > 1 else "contracts/schemas")):
        print(path)
