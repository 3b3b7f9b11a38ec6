"""How every Kafka client of klachtstroom connects: TLS and SASL from settings (DESIGN.md
"Kafka in production"). The FastStream broker, the outbox relay's producer, the DLQ replay, the
`reporting rebuild` consumer and the topic admin client all take their options from here.

`KLACHTSTROOM_KAFKA_SECURITY_PROTOCOL` is PLAINTEXT (default), SSL, SASL_PLAINTEXT or SASL_SSL;
`..._SASL_MECHANISM` PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512 with `..._SASL_USERNAME` and
`..._SASL_PASSWORD`; `..._SSL_CAFILE` names the CA bundle that signed the brokers' certificates
(the system's trust store when not set).
"""

from __future__ import annotations

from typing import Any

from aiokafka.helpers import create_ssl_context
from faststream.kafka.security import parse_security
from faststream.security import BaseSecurity, SASLPlaintext, SASLScram256, SASLScram512

from klachtstroom.platform.settings import PlatformSettings

_SASL = {"PLAIN": SASLPlaintext, "SCRAM-SHA-256": SASLScram256, "SCRAM-SHA-512": SASLScram512}


class KafkaSecurityError(ValueError):
    """The Kafka security settings do not fit together."""


def broker_security(settings: PlatformSettings) -> BaseSecurity | None:
    """The FastStream security object for the settings; None for PLAINTEXT."""
    protocol = settings.kafka_security_protocol
    if protocol == "PLAINTEXT":
        return None
    use_ssl = protocol in ("SSL", "SASL_SSL")
    context = create_ssl_context(cafile=settings.kafka_ssl_cafile) if use_ssl else None
    if protocol == "SSL":
        return BaseSecurity(ssl_context=context, use_ssl=True)
    mechanism = settings.kafka_sasl_mechanism or "PLAIN"
    if settings.kafka_sasl_username is None or settings.kafka_sasl_password is None:
        raise KafkaSecurityError(f"{protocol} needs KLACHTSTROOM_KAFKA_SASL_USERNAME and _PASSWORD")
    return _SASL[mechanism](
        settings.kafka_sasl_username,
        settings.kafka_sasl_password.get_secret_value(),
        ssl_context=context,
        use_ssl=use_ssl,
    )


def client_options(settings: PlatformSettings) -> dict[str, Any]:
    """Keyword arguments for aiokafka's producer, consumer and admin client (same as the broker's)."""
    options: dict[str, Any] = parse_security(broker_security(settings))
    return options
