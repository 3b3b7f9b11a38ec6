"""Sends the queued Zaken API calls: in order per case, retried with backoff (the outbound queue).

A 4xx answer (other than 408/425/429) will not get better by trying again: the call is dead at
once, and the case's history says so for the functional administrator. Creating a zaak first
looks it up by `identificatie`, so a retry after a lost answer never makes a second zaak.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from klachtstroom.platform.outbound.queue import DeliveryResult, OutboundCall, OutboundQueue, RetryPolicy
from klachtstroom.routing.casework.work import CaseWork, system_event
from klachtstroom.routing.outbound.zgw import CRS, ZGW_KIND_PREFIX, ZgwSettings, zgw_token
from klachtstroom.routing.tables import CaseRow, ZaakRow

RETRYABLE = {408, 425, 429}
OPERATIONS = ("create_zaak", "set_status", "set_result")


class CallFailed(Exception):
    def __init__(self, message: str, *, permanent: bool, status_code: int | None = None) -> None:
        super().__init__(message)
        self.permanent = permanent
        self.status_code = status_code


class ZgwSender:
    def __init__(
        self,
        work: CaseWork,
        settings: ZgwSettings,
        queue: OutboundQueue,
        client: httpx.AsyncClient | None = None,
    ) -> None:
        self.work = work
        self.settings = settings
        self.queue = queue
        # The Zaken API's address is configuration, not caller input: no address check, no redirects.
        self.client = client or httpx.AsyncClient(timeout=settings.timeout_seconds, follow_redirects=False)
        retry = RetryPolicy(
            max_attempts=settings.max_attempts, first_backoff_seconds=settings.backoff_seconds
        )
        for operation in OPERATIONS:
            queue.register(
                ZGW_KIND_PREFIX + operation,
                self.deliver,
                on_sent=self._remember_zaak,
                on_dead=self._tell_case,
                retry=retry,
            )

    async def send_due(self) -> int:
        """One round of the queue (tests drive it; in the service the queue's own task runs)."""
        return await self.queue.deliver_due()

    def headers(self) -> dict[str, str]:
        return {
            "Authorization": f"Bearer {zgw_token(self.settings.client_id, self.settings.secret)}",
            "Accept-Crs": CRS,
            "Content-Crs": CRS,
            "Content-Type": "application/json",
            "Accept": "application/json",
        }

    async def deliver(self, call: OutboundCall) -> DeliveryResult:
        try:
            zaak_url = await self._perform(call.kind.removeprefix(ZGW_KIND_PREFIX), call)
        except CallFailed as failed:
            return DeliveryResult(
                error=str(failed)[:200], status_code=failed.status_code, permanent=failed.permanent
            )
        except httpx.HTTPError as failure:
            return DeliveryResult(error=type(failure).__name__)
        return DeliveryResult(data={"zaak_url": zaak_url} if zaak_url else {})

    async def _perform(self, operation: str, call: OutboundCall) -> str | None:
        base = self.settings.base
        payload: dict[str, Any] = json.loads(call.body)
        if operation == "create_zaak":
            existing = await self._find_zaak(payload["identificatie"], payload.get("bronorganisatie"))
            if existing:
                return existing
            return str((await self._post(f"{base}/zaken", payload))["url"])
        async with self.work.service.db.reading() as session:
            zaak = await session.get(ZaakRow, call.subject or "")
        if zaak is None:
            raise CallFailed("de zaak bestaat nog niet", permanent=False)
        path = {"set_status": "statussen", "set_result": "resultaten"}[operation]
        await self._post(f"{base}/{path}", {"zaak": zaak.zaak_url, **payload})
        return None

    async def _find_zaak(self, identificatie: str, bronorganisatie: str | None) -> str | None:
        params = {"identificatie": identificatie}
        if bronorganisatie:
            params["bronorganisatie"] = bronorganisatie
        response = await self.client.get(f"{self.settings.base}/zaken", params=params, headers=self.headers())
        found = self._json(response)
        results = found.get("results") or []
        return str(results[0]["url"]) if results else None

    async def _post(self, url: str, body: dict[str, Any]) -> dict[str, Any]:
        return self._json(await self.client.post(url, json=body, headers=self.headers()))

    @staticmethod
    def _json(response: httpx.Response) -> dict[str, Any]:
        if response.is_success:
            data: dict[str, Any] = response.json()
            return data
        code = response.status_code
        permanent = 400 <= code < 500 and code not in RETRYABLE
        raise CallFailed(f"HTTP {code}: {response.text[:150]}", permanent=permanent, status_code=code)

    async def _remember_zaak(self, session: AsyncSession, call: OutboundCall, result: DeliveryResult) -> None:
        zaak_url = result.data.get("zaak_url")
        if not zaak_url or await session.get(ZaakRow, call.subject or "") is not None:
            return
        identificatie = json.loads(call.body).get("identificatie")
        session.add(
            ZaakRow(
                case_id=call.subject,
                zaak_url=zaak_url,
                identificatie=identificatie,
                created_at=self.work.now(),
            )
        )

    async def _tell_case(self, session: AsyncSession, call: OutboundCall, result: DeliveryResult) -> None:
        case_row = await session.get(CaseRow, call.subject or "")
        if case_row is None:
            return
        entry = system_event(
            "zgw",
            self.work.now(),
            {
                "operation": call.kind.removeprefix(ZGW_KIND_PREFIX),
                "failed": True,
                "attempts": call.attempts + 1,
            },
            reason="Het zaaksysteem nam de wijziging niet aan; de functioneel beheerder kijkt ernaar.",
        )
        await self.work.note(session, case_row, entry)
