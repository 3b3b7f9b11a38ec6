"""Schemathesis against every service's OpenAPI document, over a running stack of its own.

Every operation is called with requests generated from its documented schema, signed in with the
development token (every role, every municipality): no answer may be a 5xx, and every answer
must be documented: its status code, its content type, its headers and its body schema
(errors included, as problem+json). The stack is the module's own (its own Kafka too): the
generated calls change calendars, rules and clocks, which a shared stack must not see.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import schemathesis
from e2e import bearer, make_stack, started_stack
from hypothesis import HealthCheck, Phase, given, settings
from kafka_node import KafkaNode
from schemathesis import checks
from stack import Stack

pytestmark = pytest.mark.e2e

# Examples per operation: enough to reach every documented branch, small enough for CI.
EXAMPLES = int(os.environ.get("KLACHTSTROOM_FUZZ_EXAMPLES", "25"))


@pytest.fixture(scope="module")
def fuzz_stack(own_kafka: KafkaNode, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    running = make_stack(tmp_path_factory.mktemp("fuzz"), own_kafka)
    with started_stack(running) as started:
        yield started


# What the documents promise: no 5xx; status code, content type, headers and body as documented.
# Not `positive_data_acceptance`: a request can fit the schema and still be refused for what it
# means (a complaint merged into itself, a webhook on a private address), with a documented 422.
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_headers_conformance,
    checks.response_schema_conformance,
]

HYPOTHESIS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
    database=None,
    phases=[Phase.explicit, Phase.generate],  # no shrinking: the first failure says enough
)


@dataclass
class Run:
    operations: int = 0
    examples: int = 0
    failures: list[str] = field(default_factory=list)


def fuzz(stack: Stack, service: str) -> Run:
    """Every operation of the service's OpenAPI, each with generated requests; failures collected."""
    headers = bearer(stack)
    url = stack.services[service].url
    schema = schemathesis.openapi.from_url(f"{url}/openapi.json", headers=headers)
    run = Run()
    for found in schema.get_all_operations():
        operation = found.ok()
        run.operations += 1

        @given(case=operation.as_strategy())
        @HYPOTHESIS
        def call(case: Any) -> None:
            run.examples += 1
            case.call_and_validate(headers=headers, checks=CHECKS, timeout=30)

        try:
            call()
        except (Exception, BaseExceptionGroup) as error:  # a failed check: note it, go on
            first = str(error).strip().splitlines()[:12]
            run.failures.append(f"{operation.label}: " + "\n    ".join(first))
    return run


@pytest.mark.parametrize("service", ["intake", "routing", "deadlines", "reporting"])
def test_every_operation_answers_as_documented(fuzz_stack: Stack, service: str) -> None:
    run = fuzz(fuzz_stack, service)
    print(f"{service}: {run.operations} operations, {run.examples} examples, {len(run.failures)} failures")
    assert run.operations > 0
    assert not run.failures, "\n".join(run.failures)
