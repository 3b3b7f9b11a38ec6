"""E-mail as a channel of the outbound queue: one SMTP send (aiosmtplib), its outcome a `DeliveryResult`.

The deliverer of a mail kind builds the message (its Message-ID the same on every retry, so a
receiver can drop a repeat after a crash between sending and recording) and hands it here.
What a failure records is the error's type only (`SMTPConnectError`, `TimeoutError`): never an
address or a server's answer, which can name the recipient. A refusal is retried like an outage
(a relay that refuses is often one being reconfigured) until the kind's attempts run out.
"""

from __future__ import annotations

import email.policy
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import getaddresses

import aiosmtplib

from klachtstroom.platform.outbound.queue import DeliveryResult

# Our subjects run past 78 characters; folded by the default policy they would start with a
# space after unfolding. RFC 5322 allows lines up to 998 characters.
_WIRE_POLICY = email.policy.SMTP.clone(max_line_length=998)


@dataclass(frozen=True)
class SmtpRelay:
    """Where mail goes out: the relay, its login and how long one conversation may take."""

    host: str
    port: int
    username: str | None = None
    password: str | None = None
    starttls: bool = False
    timeout_seconds: float = 10.0


async def send_email(relay: SmtpRelay, message: EmailMessage) -> DeliveryResult:
    """Send `message` to its `To` addresses from its `From`; the result says whether it was taken."""
    [(_, sender)] = getaddresses([str(message["From"])])
    recipients = [address for _, address in getaddresses(message.get_all("To", [])) if address]
    if not recipients:
        return DeliveryResult(error="geen ontvanger", permanent=True)
    try:
        await aiosmtplib.send(
            message.as_bytes(policy=_WIRE_POLICY),
            sender=sender,
            recipients=recipients,
            hostname=relay.host,
            port=relay.port,
            username=relay.username,
            password=relay.password,
            start_tls=relay.starttls,
            timeout=relay.timeout_seconds,
        )
    except (OSError, TimeoutError, aiosmtplib.SMTPException) as error:
        return DeliveryResult(error=type(error).__name__)  # the server is away or refused: no addresses
    return DeliveryResult()
