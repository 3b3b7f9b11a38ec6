"""Standard Webhooks signing and verification, checked against the specification's published vector."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

import pytest

from klachtstroom.platform.outbound.signing import (
    SignatureInvalid,
    as_standard_secret,
    new_secret,
    secret_key,
    signed_headers,
    verify,
)

# The example of the Standard Webhooks specification and its reference libraries.
VECTOR_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
VECTOR_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
VECTOR_TIMESTAMP = 1614265330
VECTOR_BODY = b'{"test": 2432232314}'
VECTOR_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_signing_gives_the_published_signature() -> None:
    at = datetime.fromtimestamp(VECTOR_TIMESTAMP, UTC)
    headers = signed_headers(VECTOR_SECRET, VECTOR_ID, VECTOR_BODY, at)
    assert headers == {
        "webhook-id": VECTOR_ID,
        "webhook-timestamp": str(VECTOR_TIMESTAMP),
        "webhook-signature": VECTOR_SIGNATURE,
    }


def test_a_fresh_request_verifies_and_a_changed_one_does_not() -> None:
    secret = new_secret()
    assert secret.startswith("whsec_") and len(base64.b64decode(secret[6:])) == 32
    body = b'{"case_id": "c-1", "status": "registered"}'
    headers = signed_headers(secret, "msg_1", body)
    assert verify(secret, body, headers).message_id == "msg_1"
    with pytest.raises(SignatureInvalid):
        verify(secret, body.replace(b"c-1", b"c-2"), headers)
    with pytest.raises(SignatureInvalid):
        verify(secret, body, headers | {"webhook-id": "msg_2"})
    with pytest.raises(SignatureInvalid):
        verify(new_secret(), body, headers)
    with pytest.raises(SignatureInvalid):
        verify(None, body, headers)
    with pytest.raises(SignatureInvalid):
        verify(secret, body, {})


@pytest.mark.parametrize("minutes", [-6, 6])
def test_a_timestamp_more_than_five_minutes_off_is_refused(minutes: int) -> None:
    secret = new_secret()
    at = datetime.now(UTC) + timedelta(minutes=minutes)
    headers = signed_headers(secret, "msg_1", b"{}", at)
    with pytest.raises(SignatureInvalid):
        verify(secret, b"{}", headers)
    inside = signed_headers(secret, "msg_1", b"{}", datetime.now(UTC) + timedelta(minutes=minutes * 4 / 6))
    verify(secret, b"{}", inside)


def test_an_old_style_secret_is_wrapped_as_its_own_bytes() -> None:
    old = "geheim-van-zorg-bv-0123456789"
    assert secret_key(old) == old.encode()
    assert as_standard_secret(old) == "whsec_" + base64.b64encode(old.encode()).decode()
    body = b"{}"
    headers = signed_headers(old, "msg_1", body)
    verify(as_standard_secret(old), body, headers)  # the same key, written either way
    assert secret_key(VECTOR_SECRET) == base64.b64decode(VECTOR_SECRET[6:])
