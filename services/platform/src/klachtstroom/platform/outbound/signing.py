"""Standard Webhooks (https://www.standardwebhooks.com): signing what we send, verifying what we get.

Every webhook in either direction carries `webhook-id`, `webhook-timestamp` (Unix seconds) and
`webhook-signature: v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">`. The maintained
`standardwebhooks` package computes and checks the signature (and the 5-minute timestamp
window); this module only decides which key a stored secret stands for.

Secrets are `whsec_<base64 key>`. A secret stored before we followed the specification (any
other string) is used as it is: its UTF-8 bytes are the key, as if it had been stored as
`whsec_` + base64 of those bytes, so registered providers keep working without a new secret.
"""

from __future__ import annotations

import base64
import binascii
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from standardwebhooks.webhooks import Webhook, WebhookVerificationError

SECRET_PREFIX = "whsec_"
ID_HEADER = "webhook-id"
TIMESTAMP_HEADER = "webhook-timestamp"
SIGNATURE_HEADER = "webhook-signature"
# The receiver's window for `webhook-timestamp` (also what the standardwebhooks package enforces).
TOLERANCE_SECONDS = 5 * 60


class SignatureInvalid(Exception):
    """The request is not signed by the expected secret, or its timestamp is outside the window."""


def new_secret() -> str:
    """A fresh secret in the specification's form: `whsec_` + base64 of 32 random bytes."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def secret_key(stored: str) -> bytes:
    """The HMAC key a stored secret stands for (see the module text for old-style secrets)."""
    if stored.startswith(SECRET_PREFIX):
        try:
            key = base64.b64decode(stored.removeprefix(SECRET_PREFIX), validate=True)
        except (binascii.Error, ValueError):
            key = b""
        if key:
            return key
    return stored.encode()


def as_standard_secret(stored: str) -> str:
    """The stored secret written as `whsec_<base64>` (an old-style secret wrapped)."""
    return SECRET_PREFIX + base64.b64encode(secret_key(stored)).decode()


def _webhook(stored: str) -> Webhook:
    return Webhook(secret_key(stored))


def signed_headers(
    stored_secret: str, message_id: str, body: bytes, at: datetime | None = None
) -> dict[str, str]:
    """The three Standard Webhooks headers for `body`, sent as message `message_id` at `at`.

    The id stays the same over every retry of one message, so the receiver can drop a repeat;
    the timestamp is the moment of this attempt (a receiver refuses one older than 5 minutes).
    """
    moment = at or datetime.now(UTC)
    return {
        ID_HEADER: message_id,
        TIMESTAMP_HEADER: str(int(moment.timestamp())),
        SIGNATURE_HEADER: _webhook(stored_secret).sign(message_id, moment, body),
    }


@dataclass(frozen=True)
class VerifiedWebhook:
    message_id: str
    timestamp: datetime


def verify(stored_secret: str | None, body: bytes, headers: Mapping[str, str]) -> VerifiedWebhook:
    """Check a received request; raises `SignatureInvalid` (answer 401) when it does not hold.

    Refused: a missing header, a signature made with another secret or over other bytes, and a
    timestamp more than 5 minutes before or after now (a captured request replayed later).
    """
    if not stored_secret:
        raise SignatureInvalid("no secret")
    wanted = {name: headers.get(name) or "" for name in (ID_HEADER, TIMESTAMP_HEADER, SIGNATURE_HEADER)}
    try:
        _webhook(stored_secret).verify(body, wanted, json_parse=False)
    except WebhookVerificationError as error:
        raise SignatureInvalid(str(error)) from None
    return VerifiedWebhook(
        message_id=wanted[ID_HEADER],
        timestamp=datetime.fromtimestamp(int(float(wanted[TIMESTAMP_HEADER])), UTC),
    )
