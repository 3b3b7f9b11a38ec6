"""The counting of bench/scaleout_bench.py: doubled events per complaint, and CPU time from /proc."""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))

from scaleout_bench import (
    CASE_OPENED,
    DEADLINE_SET,
    cpu_seconds_from_stat,
    duplicated_complaints,
    not_exactly_once,
)


def event(event_type: str, subject: str, **data: str) -> bytes:
    return json.dumps({"type": event_type, "subject": subject, "data": data}).encode()


def test_a_complaint_opened_twice_or_decided_twice_is_counted_once() -> None:
    cases = [
        event(CASE_OPENED, "a"),
        event(CASE_OPENED, "b"),
        event(CASE_OPENED, "b"),  # b: redelivered and opened again, its term set once
        event("nl.klachtstroom.case.assigned.v1", "a"),  # another event on the topic: not counted
    ]
    deadlines = [
        event(DEADLINE_SET, "a", kind="decision"),
        event(DEADLINE_SET, "a", kind="acknowledgement"),  # another term of the same complaint
        event(DEADLINE_SET, "b", kind="decision"),
        event(DEADLINE_SET, "c", kind="decision"),
        event(DEADLINE_SET, "c", kind="decision"),  # c: its decision term set twice
    ]
    twice, opened, decided = duplicated_complaints(cases, deadlines)
    assert twice == {"b", "c"}
    assert opened == {"a": 1, "b": 2}
    assert decided == {"a": 1, "b": 1, "c": 2}


def test_nothing_doubled_counts_nothing() -> None:
    twice, _, _ = duplicated_complaints(
        [event(CASE_OPENED, "a")], [event(DEADLINE_SET, "a", kind="decision")]
    )
    assert twice == set()


def test_exactly_once_finds_missing_and_doubled() -> None:
    assert not_exactly_once(["a", "b", "c"], {"a": 1, "b": 2}) == {"b", "c"}
    assert not_exactly_once(["a"], {"a": 1, "z": 3}) == set()


def test_cpu_seconds_are_user_plus_system_ticks() -> None:
    # A command name with spaces and a parenthesis, as /proc/<pid>/stat may show it.
    fields = ["S", "1", "2", "3", "0", "-1", "4194560", "10", "0", "0", "0", "250", "50", "7", "9"]
    stat = "4242 (python (x) y) " + " ".join([*fields, "20", "0"])
    assert cpu_seconds_from_stat(stat, ticks=100) == 3.0
