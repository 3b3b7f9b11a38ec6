"""Settings of the routing service (prefix KLACHTSTROOM_ROUTING_); every one has a working default."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class RoutingSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="KLACHTSTROOM_ROUTING_", extra="ignore")

    # The seed rule set routes every complaint to this handler of the municipality.
    default_handler_name: str = "klachtcoördinator"
    # Registers of known values (comma separated). When a register is empty and no rule names
    # a value of that field, every value counts as known: nothing to compare with.
    known_municipalities: str = ""
    # Register of known units (comma-separated), see known_municipalities.
    known_units: str = ""
    # Default number of cases per page of a list.
    page_size: int = Field(default=50, ge=1, le=500)
    # Retention (Selectielijst): how often closed files past their term are destroyed.
    retention_interval_seconds: float = Field(default=86_400.0, gt=0)
    # How long GET/POST on a case wait for a complaint intake accepted a moment ago (see http/cases.py).
    new_case_wait_seconds: float = Field(default=3.0, ge=0, le=30)
    # Warm hand-over to providers: attempts before a delivery is dead-lettered, and backoff.
    delivery_max_attempts: int = Field(default=6, ge=1)
    # First wait after a failed hand-over to a provider; doubles per attempt.
    delivery_backoff_seconds: float = Field(default=2.0, gt=0)
    # How often the hand-over queue is looked at.
    delivery_poll_seconds: float = Field(default=1.0, gt=0)
    # Timeout of one call to a provider's system.
    delivery_timeout_seconds: float = Field(default=10.0, gt=0)
    # Letters: who writes, and who the complainant can turn to next (Awb 9:12).
    organisation: str = "de gemeente"
    # Who signs every letter: a name or a role ("A. Jansen, klachtcoördinator"). Empty: the
    # case's handler, or "De klachtcoördinator" when there is none.
    letter_signer: str = Field(default="", max_length=200)
    # Who a complainant can turn to next, named in letters.
    ombudsman: str = "de Nationale ombudsman"
    # How to reach that ombudsman, in letters.
    ombudsman_contact: str = "www.nationaleombudsman.nl, telefoon 0800 335 55 55"

    # Where objections, questions and reports are forwarded (Awb 9:8 / DOMAIN.md: not a complaint,
    # refer): key -> the name the resident reads. More can be configured as JSON.
    forward_destinations: dict[str, str] = Field(
        default_factory=lambda: {
            "objection": "het team Bezwaar en beroep",
            "kcc": "het Klantcontactcentrum (KCC)",
        }
    )

    @staticmethod
    def _values(text: str) -> frozenset[str]:
        return frozenset(part.strip() for part in text.split(",") if part.strip())

    @property
    def municipalities(self) -> frozenset[str]:
        return self._values(self.known_municipalities)

    @property
    def units(self) -> frozenset[str]:
        return self._values(self.known_units)
