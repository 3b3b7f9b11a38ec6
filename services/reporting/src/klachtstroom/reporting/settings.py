"""Settings of the reporting service (prefix KLACHTSTROOM_REPORTING_); every one has a working default."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from klachtstroom.reporting.signals.trends import TrendRules


def _names(text: str) -> frozenset[str]:
    return frozenset(name.strip() for name in text.split(",") if name.strip())


class ReportingSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="KLACHTSTROOM_REPORTING_", extra="ignore")

    organisation: str | None = Field(default=None, description="name on reports and the dashboard")
    public_url: str | None = Field(default=None, description="dashboard address, linked from signal mails")

    # Signals to the college (DOMAIN.md: signals with impact reach the college immediately).
    college_email: str | None = None
    # Webhook (Standard Webhooks) that signals to the college are posted to.
    college_webhook: str | None = None
    # Secret (`whsec_...`) that signs those webhook calls.
    webhook_secret: str | None = None
    # SMTP relay for signal mail to the college.
    smtp_host: str = "127.0.0.1"
    # Port of that relay.
    smtp_port: int = 25
    # Sender address of signal mail.
    smtp_from: str = "klachtstroom@localhost"
    # Attempts of a signal delivery before it is dead-lettered.
    delivery_max_attempts: int = 12
    # How often the signal delivery queue is looked at.
    delivery_poll_seconds: float = 1.0

    # Trend signals: how often `detect_trends` runs at the latest (it also runs after new events).
    trend_interval_seconds: float = 300.0
    # Trend detection runs at most this often after new events.
    trend_min_gap_seconds: float = 60.0
    # A rise needs at least this many complaints in its 30 days; these categories never signal
    # a rise (comma-separated vocabulary values; the catch-all `other` by default).
    trend_min_count: int = Field(default=3, ge=1)
    # Categories that never signal a rise (comma-separated vocabulary values).
    trend_ignored_categories: str = "other"

    @property
    def trend_rules(self) -> TrendRules:
        return TrendRules(
            min_observed=self.trend_min_count, ignored_categories=_names(self.trend_ignored_categories)
        )

    # Publication (Woo; publication/disclosure.py): a unit or municipality is named in the open
    # data and the published annual report only when it is on the lists below AND at least this
    # many registrations of the year carry it; without a list, no names are published.
    open_data_min_count: int = 3
    units: str = Field(default="", description="comma-separated: the organisation's own units")
    municipalities: str = Field(default="", description="comma-separated: the municipalities served")
    providers: str = Field(default="", description="comma-separated: providers named in publications")

    @property
    def known_units(self) -> frozenset[str] | None:
        return _names(self.units) or None

    @property
    def known_municipalities(self) -> frozenset[str] | None:
        return _names(self.municipalities) or None

    @property
    def known_providers(self) -> frozenset[str] | None:
        return _names(self.providers) or None
