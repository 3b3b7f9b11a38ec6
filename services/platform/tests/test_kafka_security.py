"""TLS and SASL settings reach every Kafka client with the same options."""

from __future__ import annotations

import ssl
from pathlib import Path

import pytest

from klachtstroom.platform.kafka_security import KafkaSecurityError, broker_security, client_options
from klachtstroom.platform.settings import PlatformSettings


def test_plaintext_by_default() -> None:
    assert broker_security(PlatformSettings()) is None and client_options(PlatformSettings()) == {}


def test_sasl_over_tls_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KLACHTSTROOM_KAFKA_SECURITY_PROTOCOL", "SASL_SSL")
    monkeypatch.setenv("KLACHTSTROOM_KAFKA_SASL_MECHANISM", "SCRAM-SHA-512")
    monkeypatch.setenv("KLACHTSTROOM_KAFKA_SASL_USERNAME", "klachtstroom")
    monkeypatch.setenv("KLACHTSTROOM_KAFKA_SASL_PASSWORD", "geheim")
    options = client_options(PlatformSettings())
    assert options["security_protocol"] == "SASL_SSL" and options["sasl_mechanism"] == "SCRAM-SHA-512"
    assert (options["sasl_plain_username"], options["sasl_plain_password"]) == ("klachtstroom", "geheim")
    assert isinstance(options["ssl_context"], ssl.SSLContext)
    assert "geheim" not in repr(PlatformSettings())  # the password is a secret in settings


def test_tls_with_a_ca_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KLACHTSTROOM_KAFKA_SECURITY_PROTOCOL", "SSL")
    monkeypatch.setenv("KLACHTSTROOM_KAFKA_SSL_CAFILE", str(tmp_path / "missing-ca.pem"))
    with pytest.raises(FileNotFoundError):  # the CA file is really read
        client_options(PlatformSettings())


def test_sasl_without_credentials_is_refused() -> None:
    with pytest.raises(KafkaSecurityError):
        broker_security(PlatformSettings(kafka_security_protocol="SASL_PLAINTEXT"))
