"""Kafka topics of DESIGN.md; the Kafka key of every event is the complaint id."""

from __future__ import annotations

INTAKE = "complaints.intake.v1"
CASE = "complaints.case.v1"
DEADLINE = "complaints.deadline.v1"
SIGNAL = "complaints.signal.v1"

ALL = (INTAKE, CASE, DEADLINE, SIGNAL)


def dlq(topic: str) -> str:
    """The dead-letter topic of a topic."""
    return f"{topic}.dlq"
