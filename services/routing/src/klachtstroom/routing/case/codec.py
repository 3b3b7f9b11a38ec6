"""The domain Case as JSON for the `cases.data` column, and back (history is stored apart)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import fields
from datetime import date, datetime
from typing import Any

from klachtstroom.contracts.vocabulary import Category, Channel, Handler, Kind, Outcome, Resolution
from klachtstroom.routing.case.domain import Case, CaseEvent, CaseState


def _date(value: Any) -> date | None:
    return None if value is None else date.fromisoformat(value)


def _datetime(value: Any) -> datetime:
    return datetime.fromisoformat(value)


def _optional_datetime(value: Any) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


def _optional(enum: Callable[[Any], Any]) -> Callable[[Any], Any]:
    return lambda value: None if value is None else enum(value)


def _same(value: Any) -> Any:
    return value


# How each field of Case is read back from JSON; every field but those in NOT_STORED is listed.
_READERS: Mapping[str, Callable[[Any], Any]] = {
    "id": str,
    "state": CaseState,
    "kind": Kind,
    "category": Category,
    "urgent": bool,
    "channel": Channel,
    "received_at": _datetime,
    "received_on": date.fromisoformat,
    "municipality": _same,
    "unit": _same,
    "provider": _same,
    "handler": Handler,
    "handler_name": _same,
    "names_employee": bool,
    "formal_requested": bool,
    "resolution": _optional(Resolution),
    "outcome": _optional(Outcome),
    "acknowledged_on": _date,
    "resolved_on": _date,
    "extended_weeks": int,
    "extensions_used": int,
    "suspended_from_state": _optional(CaseState),
    "hearing_held": bool,
    "hearing_waived": bool,
    "hearing_report_missing": bool,
    "heard_at": _optional_datetime,
    "advisory_committee": bool,
    "forwarded_to": _same,
    "decision_due": _date,
    "ombudsman_referred": bool,
    "reopened_count": int,
}


def _json(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value.value if hasattr(value, "value") else value


# History is stored apart; the employee's name is intake's and only held while a command is checked.
NOT_STORED = frozenset({"history", "about_employee"})


def case_to_json(case: Case) -> dict[str, Any]:
    return {f.name: _json(getattr(case, f.name)) for f in fields(case) if f.name not in NOT_STORED}


def json_with(data: Mapping[str, Any], **changes: Any) -> dict[str, Any]:
    """Stored JSON with some fields of the case replaced: what storing
    `replace(case_from_json(data), **changes)` gives, without decoding the whole case."""
    return {**data, **{name: _json(value) for name, value in changes.items()}}


def case_from_json(data: Mapping[str, Any], history: tuple[CaseEvent, ...] = ()) -> Case:
    present: dict[str, Any] = {name: read(data[name]) for name, read in _READERS.items() if name in data}
    return Case(**present, history=history)
