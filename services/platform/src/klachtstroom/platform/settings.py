"""Settings shared by every service (pydantic-settings, prefix KLACHTSTROOM_)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class PlatformSettings(BaseSettings):
    """Every setting has a working default, so `make run` needs no configuration."""

    model_config = SettingsConfigDict(env_prefix="KLACHTSTROOM_", extra="ignore")

    # Where each service keeps its SQLite database, development keys and files (one folder per service).
    data_dir: Path = Path(".run")
    # Kafka bootstrap servers, comma-separated host:port.
    kafka_bootstrap: str = "127.0.0.1:9092"
    # TLS and SASL for every Kafka client (kafka_security.py); PLAINTEXT for the development node.
    kafka_security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = "PLAINTEXT"
    # SASL mechanism with a SASL_* security protocol.
    kafka_sasl_mechanism: Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] | None = None
    # SASL user name.
    kafka_sasl_username: str | None = None
    # SASL password.
    kafka_sasl_password: SecretStr | None = None
    # CA bundle (PEM) that signed the brokers' certificates, for SSL and SASL_SSL.
    kafka_ssl_cafile: str | None = None
    # Partitions of the topics created by `kafka_topics` (event topics kept forever, DLQ topics 30 days).
    kafka_partitions: int = 6
    kafka_replication_factor: int | None = Field(
        default=None, description="Replication factor of the topics created; unset: min(3, brokers)"
    )
    # Address the HTTP (and intake's SMTP) server listens on; 0.0.0.0 in a container.
    host: str = "127.0.0.1"
    # Level of the JSON logs on stderr: DEBUG, INFO, WARNING or ERROR.
    log_level: str = "INFO"
    # Telemetry: the standard OTEL_* variables come first (OTEL_SERVICE_NAME,
    # OTEL_TRACES_EXPORTER, OTEL_METRICS_EXPORTER, OTEL_EXPORTER_OTLP_ENDPOINT, ...); these two
    # are a shorthand for when none of those is set.
    otel_exporter: str = Field(
        default="none",
        description="none, console or otlp: traces (and with otlp metrics) when OTEL_TRACES_EXPORTER "
        "and OTEL_METRICS_EXPORTER are not set",
    )
    otel_endpoint: str | None = Field(
        default=None,
        description="OTLP/HTTP base URL (like OTEL_EXPORTER_OTLP_ENDPOINT, e.g. http://collector:4318) "
        "when no OTEL_EXPORTER_OTLP_*ENDPOINT is set",
    )
    # Consumers: after this many failed attempts an event goes to <topic>.dlq.
    max_attempts: int = 5
    # At most this many events per consumed batch (one database transaction).
    consumer_batch: int = 500
    # At most this many outbox rows per relay batch sent to Kafka.
    relay_batch: int = 1000
    # How often the outbox relay looks for new rows when it was not woken.
    relay_poll_seconds: float = 0.2
    # Record batches of the relay's producer (bytes): fewer, larger produce requests.
    relay_max_batch_bytes: int = 512 * 1024
    # Young-generation threshold of Python's cycle collector once started (0: leave as is).
    gc_threshold: int = 10_000
    # A span for every consumed event (besides the one per batch): for debugging a trace.
    trace_each_event: bool = False
    # A test clock for end-to-end tests (never in production): PUT /api/v1/test/clock.
    test_clock: bool = False
    # The version of the public API, sent as `API-Version` on every response (NL API Design Rules).
    api_version: str = "1.0.0"
    # Request bodies (JSON above all) at most this many bytes; a route may allow more.
    max_body_bytes: int = 1024 * 1024
    # Requests one process works on at a time (load_gate.py); the next ones wait in order.
    http_max_in_flight: int = 16
    # How long a request may wait for its turn while the service keeps up (a burst).
    http_queue_wait_seconds: float = 5.0
    # Once no turn has come free for that long (overload): a newcomer waits at most this, then 503.
    http_overload_wait_seconds: float = 0.1
    # Without a configured key a service may create a development key under the data dir, but
    # only while it holds no encrypted data (keys.py). Production sets this to false.
    dev_keys: bool = True
    # Access (DESIGN.md "Access and roles"). Without an issuer, the development issuer under
    # the data dir signs and verifies tokens; production refuses that unless allowed.
    environment: str = Field(default="development", description="development, test or production")
    # URL of the OIDC issuer whose tokens are accepted (Keycloak realm); unset: the development issuer.
    oidc_issuer: str | None = None
    # Audience (`aud`) the tokens must name.
    oidc_audience: str = "klachtstroom"
    # This service as a machine client of the issuer (client credentials), to call its peers.
    oidc_client_id: str | None = None
    # Client secret of this service at the issuer (client credentials).
    oidc_client_secret: SecretStr | None = None
    # Clocks of issuer and service may differ this much (exp, nbf, iat).
    oidc_leeway_seconds: int = 30
    # Allow the development issuer with environment=production (never in a real deployment).
    allow_development_issuer: bool = False
    # Signing in to the staff pages (auth/signin.py): the issuer's client for the
    # authorization-code flow (else `oidc_client_id`).
    oidc_signin_client_id: str | None = None
    # The sign-in client's secret: set, the client is confidential; unset, a public client (PKCE).
    oidc_signin_client_secret: SecretStr | None = None
    # The scopes asked for at sign-in.
    oidc_scopes: str = "openid profile"
    # The session cookie's key: every replica the same; unset, a key under the data dir.
    session_secret: SecretStr | None = None
    # How long a staff session lasts before signing in again, in seconds.
    session_seconds: int = 8 * 3600
    # Mark the session cookie Secure always (else only when the request came over TLS).
    session_cookie_secure: bool = False

    def database_url(self, service: str) -> str:
        """`KLACHTSTROOM_<SERVICE>_DATABASE_URL`, else a SQLite file under the data dir."""
        url = os.environ.get(f"KLACHTSTROOM_{service.upper()}_DATABASE_URL")
        if url:
            return url
        path = self.service_dir(service) / f"{service}.db"
        return f"sqlite+aiosqlite:///{path.resolve()}"

    def service_dir(self, service: str) -> Path:
        path = self.data_dir / service
        path.mkdir(parents=True, exist_ok=True)
        return path
