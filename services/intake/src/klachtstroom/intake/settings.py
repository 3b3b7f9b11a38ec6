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
    # Run intake's own SMTP listener for complaints by e-mail.
    smtp_enabled: bool = True
    # Host name the SMTP listener greets with.
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
    # The window of form_rate_limit, in seconds.
    form_rate_window_seconds: float = 600.0
    # Rows of a bulk import between two progress updates (each row is stored in a transaction of its own).
    import_batch: int = 100
    # Largest import file accepted, in bytes.
    import_max_bytes: int = 20 * 1024 * 1024

    # --- an existing mailbox polled over IMAP (email/imap.py); no host: not polled ---
    # IMAP server of an existing mailbox to poll; unset: no mailbox is polled.
    imap_host: str | None = None
    # IMAP port (993 for ssl, 143 for starttls or none).
    imap_port: int = 993
    imap_security: str = Field(default="ssl", description="ssl, starttls or none")
    # Mailbox user name.
    imap_username: str = ""
    # Mailbox password (when not using OAuth2).
    imap_password: str | None = None
    # Token endpoint for OAuth2 client credentials (XOAUTH2), e.g. of Microsoft 365.
    imap_oauth2_token_url: str | None = None
    # OAuth2 client id for the mailbox.
    imap_oauth2_client_id: str | None = None
    # OAuth2 client secret for the mailbox.
    imap_oauth2_client_secret: str | None = None
    # OAuth2 scope requested for the mailbox.
    imap_oauth2_scope: str | None = None
    # Folder polled for new mail.
    imap_folder: str = "INBOX"
    # Folder that mail taken in as a complaint is moved to.
    imap_processed_folder: str = "klachtstroom-verwerkt"
    # Folder that mail which could not be taken in is moved to.
    imap_refused_folder: str = "klachtstroom-niet-verwerkt"
    # Seconds between two polls of the mailbox.
    imap_poll_seconds: float = 30.0

    # --- the resident's side (resident/) ---
    # The public address of intake, used in the resident's own link (status_url) and e-mails;
    # empty: the address of the request (behind a proxy, set this).
    public_base_url: str | None = None
    # Show the handler's name on the status page and in e-mails (else only the role).
    show_handler_names: bool = False
    # Outgoing mail to residents (receipt, new handler, extension, suspension, outcome).
    mail_enabled: bool = True
    # SMTP relay for mail to residents.
    mail_smtp_host: str = "127.0.0.1"
    # Port of that relay.
    mail_smtp_port: int = 25
    # Sender address of mail to residents.
    mail_from: str = "klachten@gemeente.example"
    # Use STARTTLS with the relay.
    mail_starttls: bool = False
    # User name at the relay (unset: no login).
    mail_username: str | None = None
    # Password at the relay.
    mail_password: str | None = None
    # Timeout of one SMTP conversation.
    mail_timeout_seconds: float = 15.0
    # How often the outgoing mail queue is looked at.
    mail_poll_seconds: float = 1.0
    # First wait after a failed send; doubles per attempt.
    mail_retry_first_seconds: float = 2.0
    # Longest wait between two attempts.
    mail_retry_max_seconds: float = 900.0
    # Attempts before a resident's mail is given up (dead-lettered).
    mail_max_attempts: int = 30
