"""Explicit time: the system clock, or a clock that end-to-end tests move."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


class Clock:
    """Wall-clock time, optionally shifted or frozen by a test (settings.test_clock)."""

    def __init__(self) -> None:
        self._offset = timedelta(0)
        self._frozen: datetime | None = None

    def now(self) -> datetime:
        if self._frozen is not None:
            return self._frozen
        return datetime.now(UTC) + self._offset

    def set(self, moment: datetime, *, frozen: bool = False) -> None:
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        if frozen:
            self._frozen = moment
        else:
            self._frozen = None
            self._offset = moment - datetime.now(UTC)

    def reset(self) -> None:
        self._offset = timedelta(0)
        self._frozen = None
