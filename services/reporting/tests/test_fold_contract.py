"""The contract test for the one place that still reads events by key: reporting's fold.

Everywhere else a consumer gets a typed payload (its handler's signature names the model), so
`mypy --strict` with the pydantic plugin fails on a field the producer's model does not have,
and the models are closed (`extra="forbid"`), so a producer cannot send a field that is not in
the contract either. The fold reads the logged form of an event (`event_log.log_entries`: the
payload's fields as JSON), so this test reads the fold's source and checks that every key it
reads is a field of a logged payload model.
"""

from __future__ import annotations

import ast
import inspect

from klachtstroom.reporting.projection import fold as fold_rules
from klachtstroom.reporting.projection.event_log import LOGGED_PAYLOADS

COMPUTED = {"urgent_reasons"}  # added by log_entries from the payload, not a payload field


def _keys_read(source: str, names: set[str]) -> set[str]:
    """String keys read as `data["key"]` or `data.get("key")` from variables named in `names`."""
    keys: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if (
            isinstance(node, ast.Subscript)
            and isinstance(node.value, ast.Name)
            and node.value.id in names
            and isinstance(node.slice, ast.Constant)
            and isinstance(node.slice.value, str)
        ):
            keys.add(node.slice.value)
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "get"
            and isinstance(node.func.value, ast.Name)
            and node.func.value.id in names
            and node.args
            and isinstance(node.args[0], ast.Constant)
        ):
            keys.add(str(node.args[0].value))
    return keys


def test_every_key_the_fold_reads_is_a_field_of_a_logged_event() -> None:
    fields = {name for model in LOGGED_PAYLOADS for name in model.model_fields} | COMPUTED
    read = _keys_read(inspect.getsource(fold_rules), {"data"})
    assert read, "the scan found no reads at all: it no longer sees the fold"
    assert read - fields == set(), f"the fold reads fields no event has: {sorted(read - fields)}"


def test_every_event_the_fold_applies_is_logged() -> None:
    # A fold rule for an event reporting never subscribes to is dead code (found: case.forwarded).
    assert set(fold_rules.APPLY) <= {model.event_type for model in LOGGED_PAYLOADS}


def test_the_scan_sees_a_drifted_key() -> None:
    assert _keys_read('def f(data):\n    return data.get("sensitive"), data["urgent"]\n', {"data"}) == {
        "sensitive",
        "urgent",
    }
