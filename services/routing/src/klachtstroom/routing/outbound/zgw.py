"""Suite Sociaal Domein (and any other case system) through the Common Ground Zaken API.

When a case opens, a zaak of the complaint zaaktype is created; as the case moves, statuses
are set (POST /statussen); at its decision the result is set (POST /resultaten) before the
closing status, as ZGW requires. Calls are queued on the platform's outbound queue inside the
case's own transaction (kinds `zgw.create_zaak`, `zgw.set_status`, `zgw.set_result`, one
sequence per case) and sent afterwards by `ZgwSender`, in order per case, retried with backoff:
an unreachable Zaken API never blocks or loses a case action.

Authentication: a HS256 JWT with `client_id` and `iat` (ZGW "JWT-Claims"), as Bearer token.
No complainant data goes to the zaak: it carries the reference, dates and statuses.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.ext.asyncio import AsyncSession

from klachtstroom.platform.outbound.queue import OutboundQueue
from klachtstroom.routing.case.domain import STATE_LABELS, Case, CaseState
from klachtstroom.routing.casework.work import CaseWork, Transition

ZGW_KIND_PREFIX = "zgw."
CRS = "EPSG:4326"  # required headers of the Zaken API (also when no geometry is sent)


class ZgwSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="KLACHTSTROOM_ROUTING_ZGW_", extra="ignore")

    zaken_url: str = ""  # e.g. https://open-zaak.example/zaken/api/v1 (empty: adapter off)
    zaaktype: str = ""  # URL of the complaint zaaktype in the Catalogi API
    # URL of the catalogus in the Catalogi API.
    catalogus: str = ""
    bronorganisatie: str = ""  # RSIN of the municipality (9 digits)
    # RSIN of the organisation responsible for the zaak (9 digits).
    verantwoordelijke_organisatie: str = ""
    statustypen: dict[str, str] = Field(default_factory=dict)  # case state -> statustype URL
    resultaattypen: dict[str, str] = Field(default_factory=dict)  # outcome -> resultaattype URL
    # Client id in the ZGW JWT.
    client_id: str = "klachtstroom"
    # Shared secret that signs the ZGW JWT (HS256).
    secret: str = ""
    notifications_token: str = ""  # Authorization the Notificaties API sends us (abonnement auth)
    # Attempts of a ZGW call before it is dead-lettered.
    max_attempts: int = Field(default=8, ge=1)
    # First wait after a failed ZGW call; doubles per attempt.
    backoff_seconds: float = Field(default=2.0, gt=0)
    # How often the ZGW queue is looked at.
    poll_seconds: float = Field(default=1.0, gt=0)
    # Timeout of one ZGW call.
    timeout_seconds: float = Field(default=10.0, gt=0)

    @property
    def enabled(self) -> bool:
        return bool(self.zaken_url and self.zaaktype)

    @property
    def base(self) -> str:
        return self.zaken_url.rstrip("/")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def zgw_token(client_id: str, secret: str, issued_at: int | None = None) -> str:
    """The ZGW JWT: HS256, with client_id and iat (and the same value as issuer)."""
    header = {"alg": "HS256", "typ": "JWT"}
    claims = {
        "iss": client_id,
        "iat": int(time.time()) if issued_at is None else issued_at,
        "client_id": client_id,
        "user_id": "klachtstroom-routing",
        "user_representation": "klachtstroom routing",
    }
    signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"
    signature = hmac.new(secret.encode(), signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_b64(signature)}"


def zaak_body(settings: ZgwSettings, reference: str, case: Case) -> dict[str, Any]:
    body: dict[str, Any] = {
        "identificatie": reference,
        "bronorganisatie": settings.bronorganisatie,
        "verantwoordelijkeOrganisatie": settings.verantwoordelijke_organisatie or settings.bronorganisatie,
        "zaaktype": settings.zaaktype,
        "omschrijving": f"Klacht {reference}"[:80],
        "startdatum": case.received_on.isoformat(),
        "registratiedatum": case.received_on.isoformat(),
        "vertrouwelijkheidaanduiding": "vertrouwelijk",
        "kenmerken": [{"kenmerk": case.id[:40], "bron": "klachtstroom"}],
    }
    return body


class ZgwQueue:
    """The hooks that queue Zaken API calls with a case's changes (same transaction)."""

    def __init__(self, work: CaseWork, settings: ZgwSettings, queue: OutboundQueue) -> None:
        self.work = work
        self.settings = settings
        self.queue = queue

    async def _call(
        self, session: AsyncSession, case_id: str, operation: str, payload: dict[str, Any]
    ) -> None:
        body = json.dumps(payload, ensure_ascii=False, sort_keys=True).encode()
        await self.queue.enqueue(
            session, f"{ZGW_KIND_PREFIX}{operation}", body, subject=case_id, sequence_key=f"zgw:{case_id}"
        )

    async def on_open(self, session: AsyncSession, case: Case, reference: str) -> None:
        if not self.settings.enabled:
            return
        await self._call(session, case.id, "create_zaak", zaak_body(self.settings, reference, case))
        await self._status(session, case.id, case.state, case.received_at.isoformat())

    async def on_transition(self, session: AsyncSession, done: Transition) -> None:
        if not self.settings.enabled or done.quiet:
            return
        case = done.case
        at = done.event.at.isoformat()
        outcome = case.outcome.value if case.outcome else None
        # ZGW: the result is set before the closing status (eindstatus).
        if outcome and done.before.outcome is None and outcome in self.settings.resultaattypen:
            toelichting = f"Uitkomst: {outcome}"
            await self._call(
                session,
                case.id,
                "set_result",
                {"resultaattype": self.settings.resultaattypen[outcome], "toelichting": toelichting},
            )
        if case.state != done.before.state:
            await self._status(session, case.id, case.state, at)

    async def _status(self, session: AsyncSession, case_id: str, state: CaseState, at: str) -> None:
        statustype = self.settings.statustypen.get(state.value)
        if statustype:
            payload = {
                "statustype": statustype,
                "datumStatusGezet": at,
                "statustoelichting": STATE_LABELS[state],
            }
            await self._call(session, case_id, "set_status", payload)
