"""Who is told about warnings, breaches and escalations: the escalation configuration.

Kept in the service's own database (`deadlines_state`, name `escalation`), read and written
through `GET/PUT /api/v1/escalation`, so a restart or a second replica sees the same
configuration. It holds the work addresses of handlers (by handler name, with a default), of
each ladder level, and the webhooks (URL + Standard Webhooks secret). Secrets are never shown
by the API; a PUT without a secret keeps the one stored for that URL. A configuration file of
an earlier release (`<data_dir>/deadlines/escalation.json`) is read until the first PUT.
"""

from __future__ import annotations

import re
from pathlib import Path

from pydantic import BaseModel, Field, field_validator
from sqlalchemy.ext.asyncio import AsyncSession

from klachtstroom.deadlines.store import StateRecord
from klachtstroom.platform.db import Database

_ADDRESS = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")
LEVELS = ("coordinator", "manager", "college")


def _check_address(value: str) -> str:
    value = value.strip()
    if not _ADDRESS.match(value):
        raise ValueError("Dit is geen geldig e-mailadres.")
    return value


class Webhook(BaseModel):
    url: str = Field(pattern=r"^https?://", max_length=500)
    # The Standard Webhooks secret (`whsec_<base64>`; any other string of at least 16
    # characters is used as the key itself).
    secret: str | None = Field(default=None, min_length=16, max_length=200)


class Scope(BaseModel):
    """Recipients for the cases of one municipality, one unit, or one unit of one municipality.

    What a scope names replaces the general setting for its cases; what it leaves out (a level
    without addresses, no default handler) falls back to the general setting.
    """

    municipality: str | None = Field(default=None, max_length=200)
    unit: str | None = Field(default=None, max_length=200)
    default_handler: str | None = None
    levels: dict[str, list[str]] = Field(default_factory=dict)

    @field_validator("default_handler")
    @classmethod
    def _default_address(cls, value: str | None) -> str | None:
        return None if value is None or not value.strip() else _check_address(value)

    @field_validator("levels")
    @classmethod
    def _level_addresses(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        return _levels(value)

    def matches(self, municipality: str | None, unit: str | None) -> bool:
        def same(wanted: str | None, actual: str | None) -> bool:
            return wanted is None or (actual or "").strip().casefold() == wanted.strip().casefold()

        return (self.municipality or self.unit) is not None and (
            same(self.municipality, municipality) and same(self.unit, unit)
        )

    @property
    def specificity(self) -> int:
        return (self.municipality is not None) + 2 * (self.unit is not None)


def _levels(value: dict[str, list[str]]) -> dict[str, list[str]]:
    unknown = set(value) - set(LEVELS)
    if unknown:
        raise ValueError(f"Onbekend niveau; kies uit {', '.join(LEVELS)}.")
    return {level: [_check_address(a) for a in addresses] for level, addresses in value.items()}


class EscalationConfig(BaseModel):
    # Handler name (or provider or unit name) -> work address of the handler.
    handlers: dict[str, str] = Field(default_factory=dict)
    default_handler: str | None = None
    # Ladder level (coordinator, manager, college) -> addresses.
    levels: dict[str, list[str]] = Field(default_factory=dict)
    webhooks: list[Webhook] = Field(default_factory=list)
    # Recipients per municipality and/or unit (the most specific matching scope wins).
    scopes: list[Scope] = Field(default_factory=list)

    @field_validator("handlers")
    @classmethod
    def _handler_addresses(cls, value: dict[str, str]) -> dict[str, str]:
        return {name.strip(): _check_address(address) for name, address in value.items()}

    @field_validator("default_handler")
    @classmethod
    def _default_address(cls, value: str | None) -> str | None:
        return None if value is None or not value.strip() else _check_address(value)

    @field_validator("levels")
    @classmethod
    def _level_addresses(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        return _levels(value)

    def scopes_for(self, municipality: str | None, unit: str | None) -> list[Scope]:
        """The scopes that apply to a case, most specific first."""
        found = [s for s in self.scopes if s.matches(municipality, unit)]
        return sorted(found, key=lambda s: -s.specificity)

    def handler_addresses(
        self, *names: str | None, municipality: str | None = None, unit: str | None = None
    ) -> list[str]:
        """The first configured address among the names (handler, provider, unit), else the
        default of the most specific scope of the case, else the general default."""
        for name in names:
            if name and name.strip() in self.handlers:
                return [self.handlers[name.strip()]]
        for scope in self.scopes_for(municipality, unit):
            if scope.default_handler:
                return [scope.default_handler]
        return [self.default_handler] if self.default_handler else []

    def level_addresses(
        self, level: str, *, municipality: str | None = None, unit: str | None = None
    ) -> list[str]:
        """The addresses of a ladder level for a case: its most specific scope that names the level."""
        for scope in self.scopes_for(municipality, unit):
            if scope.levels.get(level):
                return list(scope.levels[level])
        return list(self.levels.get(level, []))

    def secret_for(self, url: str) -> str | None:
        return next((w.secret for w in self.webhooks if w.url == url), None)

    def public(self) -> dict[str, object]:
        """The configuration as the API shows it: secrets replaced by whether one is set."""
        data = self.model_dump(exclude={"webhooks"})
        data["webhooks"] = [{"url": w.url, "secret_set": bool(w.secret)} for w in self.webhooks]
        return data


STATE_NAME = "escalation"


class EscalationBook:
    """The configuration in the database; parsed once per stored version."""

    def __init__(self, db: Database, legacy_file: Path | None = None) -> None:
        self.db = db
        self.legacy_file = legacy_file
        self._parsed: tuple[str, EscalationConfig] | None = None

    def _parse(self, raw: str) -> EscalationConfig:
        if self._parsed is None or self._parsed[0] != raw:
            self._parsed = (raw, EscalationConfig.model_validate_json(raw))
        return self._parsed[1]

    async def current(self, session: AsyncSession | None = None) -> EscalationConfig:
        """The stored configuration (read in `session` when given, else in a reading session of its own)."""
        if session is None:
            async with self.db.reading() as reading:
                return await self.current(reading)
        row = await session.get(StateRecord, STATE_NAME)
        if row is not None:
            return self._parse(row.value)
        if self.legacy_file is not None and self.legacy_file.is_file():
            return self._parse(self.legacy_file.read_text(encoding="utf-8"))
        return EscalationConfig()

    async def replace(self, new: EscalationConfig) -> EscalationConfig:
        """Store a new configuration; webhooks without a secret keep the stored one for their URL."""
        async with self.db.transaction() as session:
            old = await self.current(session)
            hooks = [
                w if w.secret else Webhook(url=w.url, secret=old.secret_for(w.url)) for w in new.webhooks
            ]
            missing = [w.url for w in hooks if not w.secret]
            if missing:
                raise ValueError(f"Geef een geheim (secret, minstens 16 tekens) voor webhook {missing[0]}.")
            config = new.model_copy(update={"webhooks": hooks})
            raw = config.model_dump_json()
            row = await session.get(StateRecord, STATE_NAME)
            if row is None:
                session.add(StateRecord(name=STATE_NAME, value=raw))
            else:
                row.value = raw
        return config
