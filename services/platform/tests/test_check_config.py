"""`klachtstroom-<service> check-config`: every setting, its source and value; secrets only as set."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy import MetaData

from klachtstroom.platform.cli import check_config
from klachtstroom.platform.service import Service
from klachtstroom.platform.settings import PlatformSettings
from klachtstroom.platform.tables import define_platform_tables

MIGRATIONS = Path(__file__).parent / "migrations"


class ProbeSettings(BaseSettings):
    """Stands for a service's own settings model (found by its module, like intake's)."""

    model_config = SettingsConfigDict(env_prefix="KLACHTSTROOM_PROBE_", extra="ignore")

    # Where the probe sends its mail.
    mail_host: str = "127.0.0.1"
    # The probe's mailbox password.
    mail_password: SecretStr | None = None
    # A secret typed as plain text (like intake's IMAP password): secret by its name.
    notifications_token: str = ""


ProbeSettings.__module__ = "klachtstroom.probe.settings"


def test_every_setting_is_listed_with_its_source_and_no_secret_value(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("KLACHTSTROOM_OIDC_CLIENT_SECRET", "planted-oidc-secret")
    monkeypatch.setenv("KLACHTSTROOM_PROBE_MAIL_PASSWORD", "planted-mail-password")
    monkeypatch.setenv("KLACHTSTROOM_PROBE_MAIL_HOST", "relay.gemeente.example")
    monkeypatch.setenv("KLACHTSTROOM_PROBE_NOTIFICATIONS_TOKEN", "planted-token")
    monkeypatch.setenv(
        "KLACHTSTROOM_PROBE_DATABASE_URL", "postgresql+psycopg://u:planted-db-password@db/probe"
    )
    monkeypatch.setenv("KLACHTSTROOM_PROBE_ENCRYPTION_KEYS", "planted-key-1,planted-key-2")
    monkeypatch.setenv("KLACHTSTROOM_ROUTING_DATABASE_URL", "postgresql+psycopg://u:planted-other@db/routing")
    monkeypatch.setenv("KLACHTSTROOM_TYPO_SETTING", "visible")
    monkeypatch.setenv("OTEL_TRACES_EXPORTER", "otlp")
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_HEADERS", "api-key=planted-collector-key")
    metadata = MetaData()
    settings = PlatformSettings(data_dir=tmp_path)
    service = Service("probe", metadata, define_platform_tables(metadata), MIGRATIONS, settings)
    check_config(service)
    out = capsys.readouterr().out
    assert "planted" not in out
    lines = {
        line.split()[0]: line
        for line in out.splitlines()
        if line.strip().startswith(("KLACHTSTROOM_", "OTEL_"))
    }
    oidc_secret = lines["KLACHTSTROOM_OIDC_CLIENT_SECRET"]
    assert "environment" in oidc_secret and "(set)" in oidc_secret
    assert "(set)" in lines["KLACHTSTROOM_PROBE_MAIL_PASSWORD"]
    assert "(set)" in lines["KLACHTSTROOM_PROBE_NOTIFICATIONS_TOKEN"]
    assert "relay.gemeente.example" in lines["KLACHTSTROOM_PROBE_MAIL_HOST"]
    assert lines["KLACHTSTROOM_KAFKA_BOOTSTRAP"].split()[1:] == ["default", "127.0.0.1:9092"]
    assert "postgresql+psycopg" in lines["KLACHTSTROOM_PROBE_DATABASE_URL"]
    assert "(set)" in lines["KLACHTSTROOM_PROBE_ENCRYPTION_KEYS"]
    assert "(not set)" in lines["KLACHTSTROOM_KAFKA_SASL_PASSWORD"]
    assert "visible" in lines["KLACHTSTROOM_TYPO_SETTING"]
    assert "otlp" in lines["OTEL_TRACES_EXPORTER"] and "(set)" in lines["OTEL_EXPORTER_OTLP_HEADERS"]
    assert "traces exported by: otlp" in out
    # Every platform setting is there.
    assert all(f"KLACHTSTROOM_{name.upper()}" in lines for name in PlatformSettings.model_fields)
