"""Who is told about warnings, breaches and escalations: the escalation configuration.

A JSON file under the data dir (`<data_dir>/deadlines/escalation.json`), read and written
through `GET/PUT /api/v1/escalation`. It holds the work addresses of handlers (by handler
name, with a default), of each ladder level, and the webhooks (URL + HMAC secret). Secrets are
never shown by the API; a PUT without a secret keeps the one stored for that URL.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from pathlib import Path

from pydantic import BaseModel, Field, field_validator

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


class EscalationConfig(BaseModel):
    # Handler name (or provider or unit name) -> work address of the handler.
    handlers: dict[str, str] = Field(default_factory=dict)
    default_handler: str | None = None
    # Ladder level (coordinator, manager, college) -> addresses.
    levels: dict[str, list[str]] = Field(default_factory=dict)
    webhooks: list[Webhook] = Field(default_factory=list)

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
        unknown = set(value) - set(LEVELS)
        if unknown:
            raise ValueError(f"Onbekend niveau; kies uit {', '.join(LEVELS)}.")
        return {level: [_check_address(a) for a in addresses] for level, addresses in value.items()}

    def handler_addresses(self, *names: str | None) -> list[str]:
        """The first configured address among the names (handler, provider, unit), else the default."""
        for name in names:
            if name and name.strip() in self.handlers:
                return [self.handlers[name.strip()]]
        return [self.default_handler] if self.default_handler else []

    def level_addresses(self, level: str) -> list[str]:
        return list(self.levels.get(level, []))

    def secret_for(self, url: str) -> str | None:
        return next((w.secret for w in self.webhooks if w.url == url), None)

    def public(self) -> dict[str, object]:
        """The configuration as the API shows it: secrets replaced by whether one is set."""
        data = self.model_dump(exclude={"webhooks"})
        data["webhooks"] = [{"url": w.url, "secret_set": bool(w.secret)} for w in self.webhooks]
        return data


class EscalationBook:
    """The configuration file, kept in memory and re-read when another instance changed it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._config = EscalationConfig()
        self._stamp: tuple[int, int] | None = None

    def current(self) -> EscalationConfig:
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            return self._config
        if (stat.st_mtime_ns, stat.st_size) != self._stamp:
            self._config = EscalationConfig.model_validate_json(self.path.read_text(encoding="utf-8"))
            self._stamp = (stat.st_mtime_ns, stat.st_size)
        return self._config

    def replace(self, new: EscalationConfig) -> EscalationConfig:
        """Store a new configuration; webhooks without a secret keep the stored one for their URL."""
        old = self.current()
        hooks = [w if w.secret else Webhook(url=w.url, secret=old.secret_for(w.url)) for w in new.webhooks]
        missing = [w.url for w in hooks if not w.secret]
        if missing:
            raise ValueError(f"Geef een geheim (secret, minstens 16 tekens) voor webhook {missing[0]}.")
        config = new.model_copy(update={"webhooks": hooks})
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # Written atomically and readable by the service only: it holds the webhook secrets.
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".escalation-")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(json.dumps(config.model_dump(), indent=2, ensure_ascii=False))
        os.chmod(tmp, 0o600)
        os.replace(tmp, self.path)
        stat = self.path.stat()
        self._config, self._stamp = config, (stat.st_mtime_ns, stat.st_size)
        return config
