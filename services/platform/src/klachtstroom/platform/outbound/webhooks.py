"""Webhooks as a channel of the outbound queue: one Standard Webhooks POST, its outcome a `DeliveryResult`.

The body is signed with the receiver's secret (signing.py) under the queued call's message id,
sent as `webhook-id` on every retry so the receiver can drop a repeat. The client decides where
a call may go: `destinations.guarded_client` for URLs set through the API, a plain client with a
timeout and no redirects for an address only the operator configures. What a failure records is
"niet bereikbaar" or the HTTP status, nothing a port scan could use.
"""

from __future__ import annotations

from collections.abc import Mapping

import httpx

from klachtstroom.platform.outbound.destinations import failure_text
from klachtstroom.platform.outbound.queue import DeliveryResult
from klachtstroom.platform.outbound.signing import ID_HEADER, signed_headers


async def post_webhook(
    client: httpx.AsyncClient,
    url: str,
    body: bytes,
    *,
    message_id: str,
    secret: str | None,
    headers: Mapping[str, str] | None = None,
) -> DeliveryResult:
    """POST `body` (JSON) to `url`, signed when there is a secret; 2xx is delivered."""
    sent = {"Content-Type": "application/json", **(headers or {})}
    if secret:
        sent |= signed_headers(secret, message_id, body)
    else:  # a receiver registered without a secret still gets the id to drop repeats
        sent[ID_HEADER] = message_id
    try:
        response = await client.post(url, content=body, headers=sent)
    except httpx.HTTPError:
        return DeliveryResult(error=failure_text())  # refused, timed out or not allowed look the same
    if not response.is_success:
        code = response.status_code
        return DeliveryResult(error=failure_text(status_code=code), status_code=code)
    return DeliveryResult(status_code=response.status_code)


def plain_client(timeout_seconds: float = 10.0) -> httpx.AsyncClient:
    """For an address only the operator sets (a setting, not the API): timeouts, no redirects."""
    return httpx.AsyncClient(timeout=httpx.Timeout(timeout_seconds), follow_redirects=False)
