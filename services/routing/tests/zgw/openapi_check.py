"""Checks HTTP requests and responses against an OpenAPI 3.0 document (here: the official Zaken API).

OpenAPI 3.0 schemas are JSON Schema draft 4 plus a few keywords; this turns them into plain
draft 4 per direction: `nullable` becomes "or null"; in a request a `readOnly` property is
not required and may not be sent; in a response a `writeOnly` property is not required.
Formats date, date-time, uri and uuid are checked. Headers and parameters are checked for
presence and enum. A request body is checked as a closed object: a property the document does
not name (a misspelled optional field such as `omschrijvingg`) is an error, because a real API
would silently drop it and the test would never notice. Used by the fake Zaken API of the
tests, which refuses what fails.
"""

from __future__ import annotations

import json
import re
import uuid
from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import jsonschema
import yaml

_DROP = {
    "nullable",
    "discriminator",
    "example",
    "readOnly",
    "writeOnly",
    "xml",
    "externalDocs",
    "deprecated",
    "title",
}

formats = jsonschema.FormatChecker(formats=())


@formats.checks("date", raises=ValueError)
def _date(value: object) -> bool:
    return not isinstance(value, str) or (bool(date.fromisoformat(value)) and len(value) == 10)


@formats.checks("date-time", raises=ValueError)
def _date_time(value: object) -> bool:
    if not isinstance(value, str):
        return True
    return "T" in value and datetime.fromisoformat(value.replace("Z", "+00:00")).tzinfo is not None


@formats.checks("uri")
def _uri(value: object) -> bool:
    if not isinstance(value, str):
        return True
    parts = urlparse(value)
    return bool(parts.scheme in {"http", "https"} and parts.netloc)


@formats.checks("uuid", raises=ValueError)
def _uuid(value: object) -> bool:
    return not isinstance(value, str) or bool(uuid.UUID(value))


def _convert(node: Any, direction: str) -> Any:
    if isinstance(node, list):
        return [_convert(item, direction) for item in node]
    if not isinstance(node, dict):
        return node
    out = {
        key: _convert(value, direction) for key, value in node.items() if key not in _DROP | {"properties"}
    }
    props = node.get("properties")
    if isinstance(props, dict):  # property names are names, not keywords: keep every one
        out["properties"] = {name: _convert(prop, direction) for name, prop in props.items()}
        hidden = "readOnly" if direction == "request" else "writeOnly"
        skipped = {name for name, prop in props.items() if isinstance(prop, dict) and prop.get(hidden)}
        if "required" in node:
            required = [name for name in node["required"] if name not in skipped]
            if required:
                out["required"] = required
            else:
                out.pop("required", None)
        if direction == "request":
            for name in skipped:  # a client must not send what only the server sets
                out["properties"][name] = {"not": {}}
    if node.get("nullable"):
        return {"anyOf": [out, {"type": "null"}]}
    return out


class OpenApi:
    def __init__(self, path: Path) -> None:
        self.document: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
        self.base_path = urlparse(self.document["servers"][0]["url"]).path.rstrip("/")
        schemas = self.document["components"]["schemas"]
        self._schemas = {d: {k: _convert(v, d) for k, v in schemas.items()} for d in ("request", "response")}
        self._validators: dict[tuple[str, str], jsonschema.Draft4Validator] = {}
        self._templates = [
            (re.compile("^" + re.sub(r"\{[^}]+\}", "[^/]+", template) + "$"), template)
            for template in self.document["paths"]
        ]

    def operation(self, method: str, path: str) -> tuple[str, dict[str, Any]]:
        for pattern, template in self._templates:
            if pattern.match(path):
                operations = self.document["paths"][template]
                if method.lower() in operations:
                    return template, operations[method.lower()]
                raise LookupError(f"{method} is not an operation on {template}")
        raise LookupError(f"{path} is not a path of the API")

    def _validate(self, schema: dict[str, Any], direction: str, value: Any, where: str) -> list[str]:
        key = (direction, json.dumps(schema, sort_keys=True))
        validator = self._validators.get(key)
        if validator is None:
            root = {
                "allOf": [_convert(schema, direction)],
                "components": {"schemas": self._schemas[direction]},
            }
            validator = self._validators[key] = jsonschema.Draft4Validator(root, format_checker=formats)
        return [
            f"{where}{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(value)
        ]

    def _parameters(self, operation: dict[str, Any]) -> list[dict[str, Any]]:
        return [p for p in operation.get("parameters", []) if "$ref" not in p]

    def check_request(
        self, method: str, path: str, headers: dict[str, str], query: dict[str, str], body: Any
    ) -> list[str]:
        """Everything that makes this request invalid under the specification (empty: valid)."""
        try:
            _template, operation = self.operation(method, path)
        except LookupError as error:
            return [str(error)]
        errors: list[str] = []
        lowered = {k.lower(): v for k, v in headers.items()}
        for parameter in self._parameters(operation):
            name, place = parameter["name"], parameter["in"]
            given = lowered.get(name.lower()) if place == "header" else query.get(name)
            if place not in {"header", "query"}:
                continue
            if given is None:
                if parameter.get("required"):
                    errors.append(f"{place} '{name}' is required")
                continue
            enum = parameter.get("schema", {}).get("enum")
            if enum and given not in enum:
                errors.append(f"{place} '{name}' must be one of {enum}")
        known_query = {p["name"] for p in self._parameters(operation) if p["in"] == "query"}
        errors += [f"query '{name}' is not a parameter" for name in query if name not in known_query]
        if operation.get("security") and not lowered.get("authorization", "").startswith("Bearer "):
            errors.append("header 'Authorization: Bearer <JWT>' is required")
        content = operation.get("requestBody", {}).get("content", {})
        if content:
            schema = content.get("application/json", {}).get("schema")
            if schema is None:
                errors.append("no JSON request body is defined")
            else:
                errors += self._validate(schema, "request", body, "body/")
                errors += self._unknown_properties(schema, body, "body/")
        return errors

    def _resolve(self, schema: Any) -> Any:
        while isinstance(schema, dict) and "$ref" in schema:
            schema = self.document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
        return schema

    def _properties(self, schema: Any) -> dict[str, Any] | None:
        """The properties an object schema names, through allOf/anyOf/oneOf; None: not an object
        schema with named properties (free-form objects stay open)."""
        schema = self._resolve(schema)
        if not isinstance(schema, dict):
            return None
        named: dict[str, Any] | None = None
        if isinstance(schema.get("properties"), dict):
            named = dict(schema["properties"])
        for key in ("allOf", "anyOf", "oneOf"):
            for part in schema.get(key, []):
                more = self._properties(part)
                if more is not None:
                    named = {**(named or {}), **more}
        return named

    def _unknown_properties(self, schema: Any, value: Any, where: str) -> list[str]:
        schema = self._resolve(schema)
        if isinstance(value, list) and isinstance(schema, dict) and "items" in schema:
            return [
                error
                for i, item in enumerate(value)
                for error in self._unknown_properties(schema["items"], item, f"{where}{i}/")
            ]
        named = self._properties(schema)
        if not isinstance(value, dict) or named is None:
            return []
        errors = [f"{where}{name}: is not a property of the schema" for name in value if name not in named]
        for name, item in value.items():
            if name in named and isinstance(item, dict | list):
                errors += self._unknown_properties(named[name], item, f"{where}{name}/")
        return errors

    def check_response(
        self, method: str, path: str, status: int, headers: dict[str, str], body: Any
    ) -> list[str]:
        try:
            _template, operation = self.operation(method, path)
        except LookupError as error:
            return [str(error)]
        response = operation["responses"].get(str(status))
        if response is None:
            return [f"status {status} is not a documented response of {method} {path}"]
        errors: list[str] = []
        lowered = {k.lower() for k in headers}
        for name, header in response.get("headers", {}).items():
            if header.get("required") and name.lower() not in lowered:
                errors.append(f"response header '{name}' is required")
        for media, content in response.get("content", {}).items():
            if "schema" in content:
                errors += self._validate(content["schema"], "response", body, f"{media} ")
                break
        return errors
