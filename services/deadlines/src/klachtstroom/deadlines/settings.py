"""Settings of the deadlines service (prefix KLACHTSTROOM_DEADLINES_); every one has a working default."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from klachtstroom.contracts.vocabulary import DeadlineKind
from klachtstroom.deadlines.terms.compute import TermPolicy

# The escalation ladder after a breach, in order (DESIGN: handler -> coordinator -> manager -> college).
LADDER = ("handler", "coordinator", "manager", "college")


class DeadlinesSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="KLACHTSTROOM_DEADLINES_", extra="ignore")

    # -- terms (TermPolicy) ------------------------------------------------------------------
    # Working days within which the complainant is contacted.
    contact_working_days: int = Field(default=5, ge=1)
    # Weeks to decide on a complaint (Awb 9:11).
    decision_weeks: int = Field(default=6, ge=1)
    # Weeks to decide with an advisory committee (Awb 9:11).
    advisory_committee_weeks: int = Field(default=10, ge=1)
    # Longest extension of the decision term (Awb 9:11 lid 2).
    max_extension_weeks: int = Field(default=4, ge=1)
    # Weeks within which a decision not to handle a complaint is sent (Awb 9:8).
    decline_weeks: int = Field(default=4, ge=1)
    # Working days a provider has to respond to a handed-over complaint.
    provider_response_working_days: int = Field(default=10, ge=1)
    # Working days before a term ends that a warning goes out (0: none).
    warning_working_days: int = Field(default=3, ge=0)

    # -- timers --------------------------------------------------------------------------------
    # Working days after the due date at which each level of the ladder is told.
    escalation_working_days: dict[str, int] = Field(
        default_factory=lambda: {"handler": 1, "coordinator": 2, "manager": 5, "college": 10}
    )
    # Local hour (Europe/Amsterdam) at which warnings and escalations go out; a breach fires at
    # 00:00 on the day after the due date, the first moment the term has passed.
    warning_hour: int = Field(default=8, ge=0, le=23)
    # Local hour at which escalations go out.
    escalation_hour: int = Field(default=8, ge=0, le=23)
    # Terms that get warnings and escalations. The decline term (Awb 9:8) only lapses.
    timer_kinds: list[DeadlineKind] = Field(
        default_factory=lambda: [DeadlineKind.contact, DeadlineKind.decision, DeadlineKind.provider_response]
    )
    # Timers fired per transaction.
    timer_batch: int = Field(default=500, ge=1)
    # Longest sleep of the timer loop between two looks at due timers.
    timer_max_sleep_seconds: float = Field(default=30.0, gt=0)

    # -- notifications ---------------------------------------------------------------------------
    # SMTP relay for warning and escalation mail.
    smtp_host: str = "127.0.0.1"
    # Port of that relay.
    smtp_port: int = 1025
    # Sender address of warning and escalation mail.
    smtp_from: str = "termijnbewaking@klachtstroom.invalid"
    # User name at the relay (unset: no login).
    smtp_username: str | None = None
    # Password at the relay.
    smtp_password: str | None = None
    # Use STARTTLS with the relay.
    smtp_starttls: bool = False
    # Timeout of one SMTP conversation.
    smtp_timeout_seconds: float = 10.0
    # Timeout of one escalation webhook call.
    webhook_timeout_seconds: float = 10.0
    # Notifications sent per look at the queue.
    sender_batch: int = Field(default=50, ge=1)
    # How often the notification queue is looked at.
    sender_poll_seconds: float = Field(default=5.0, gt=0)
    # First wait after a failed notification; doubles per attempt.
    retry_first_seconds: float = Field(default=1.0, gt=0)
    # Longest wait between two attempts.
    retry_max_seconds: float = Field(default=600.0, gt=0)
    # Attempts of a notification before it is given up (`dropped`); with the default waits,
    # about a day of trying.
    delivery_max_attempts: int = Field(default=150, ge=1)
    # A claimed notification is taken over by another instance after this long.
    sender_lease_seconds: float = Field(default=60.0, gt=0)
    escalation_file: Path | None = Field(
        default=None,
        description=(
            "JSON of an earlier release with addresses and webhooks, read until the configuration "
            "is first saved in the database; default <data_dir>/deadlines/escalation.json"
        ),
    )

    def policy(self) -> TermPolicy:
        return TermPolicy(
            contact_working_days=self.contact_working_days,
            decision_weeks=self.decision_weeks,
            advisory_committee_weeks=self.advisory_committee_weeks,
            max_extension_weeks=self.max_extension_weeks,
            decline_weeks=self.decline_weeks,
            provider_response_working_days=self.provider_response_working_days,
            warning_working_days=self.warning_working_days,
        )

    def ladder(self) -> list[tuple[str, int]]:
        """(level, working days after the due date), in ladder order; unknown levels are ignored."""
        return [
            (level, self.escalation_working_days[level])
            for level in LADDER
            if level in self.escalation_working_days
        ]
