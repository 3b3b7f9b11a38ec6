"""Settings of intake itself (prefix KLACHTSTROOM_INTAKE_); the SMTP port is KLACHTSTROOM_SMTP_PORT."""

from __future__ import annotations

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_UNITS = [
    "Inkomen",
    "Werk",
    "Schuldhulpverlening",
    "Wmo",
    "Jeugd",
    "Klantcontactcentrum",
]


class IntakeSettings(BaseSettings):
    """Every setting has a working default, so `make run` needs no configuration."""

    model_config = SettingsConfigDict(
        env_prefix="KLACHTSTROOM_INTAKE_", extra="ignore", populate_by_name=True
    )

    # SQLite `synchronous` of intake's database: FULL fsyncs every commit, so a 202 survives a
    # power cut (DESIGN.md, Publishing); NORMAL is faster and may lose the last commits.
    sqlite_synchronous: str = "FULL"
    smtp_port: int = Field(
        default=2525,
        validation_alias=AliasChoices("KLACHTSTROOM_SMTP_PORT", "KLACHTSTROOM_INTAKE_SMTP_PORT"),
        description="0 picks a free port (tests)",
    )
    smtp_enabled: bool = True
    smtp_hostname: str = "klachtstroom"
    # Name shown at the top of the public pages.
    organisation: str = "Gemeente"
    # Retention (Selectielijst): how often files past their term are destroyed here.
    retention_interval_seconds: float = 86_400.0
    # Units a resident may choose from on the form ('Weet ik niet' is always there).
    units: list[str] = Field(default_factory=lambda: list(DEFAULT_UNITS))
    # Municipalities of a shared service organisation; empty hides the question on the form.
    municipalities: list[str] = Field(default_factory=list)
    # The public form: at most this many posts per client address per window.
    form_rate_limit: int = 10
    form_rate_window_seconds: float = 600.0
    import_batch: int = 100
    import_max_bytes: int = 20 * 1024 * 1024

    # --- an existing mailbox polled over IMAP (imap.py); no host: not polled ---
    imap_host: str | None = None
    imap_port: int = 993
    imap_security: str = Field(default="ssl", description="ssl, starttls or none")
    imap_username: str = ""
    imap_password: str | None = None
    imap_oauth2_token_url: str | None = None
    imap_oauth2_client_id: str | None = None
    imap_oauth2_client_secret: str | None = None
    imap_oauth2_scope: str | None = None
    imap_folder: str = "INBOX"
    imap_processed_folder: str = "klachtstroom-verwerkt"
    imap_refused_folder: str = "klachtstroom-niet-verwerkt"
    imap_poll_seconds: float = 30.0

    # --- the resident's side (resident/) ---
    # The public address of intake, used in the resident's own link (status_url) and e-mails;
    # empty: the address of the request (behind a proxy, set this).
    public_base_url: str | None = None
    # Show the handler's name on the status page and in e-mails (else only the role).
    show_handler_names: bool = False
    # Outgoing mail to residents (receipt, new handler, extension, suspension, outcome).
    mail_enabled: bool = True
    mail_smtp_host: str = "127.0.0.1"
    mail_smtp_port: int = 25
    mail_from: str = "klachten@gemeente.example"
    mail_starttls: bool = False
    mail_username: str | None = None
    mail_password: str | None = None
    mail_timeout_seconds: float = 15.0
    mail_poll_seconds: float = 1.0
    mail_retry_first_seconds: float = 2.0
    mail_retry_max_seconds: float = 900.0
    mail_max_attempts: int = 30
