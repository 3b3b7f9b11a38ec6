"""Sends the queued Zaken API calls: in order per case, retried with exponential backoff.

A 4xx answer (other than 408/429) will not get better by trying again: the call is marked
`failed` at once, with the answer kept for the functional administrator. Creating a zaak
first looks it up by `identificatie`, so a retry after a lost answer never makes a second zaak.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from klachtstroom.routing.casework import CaseWork, system_event
from klachtstroom.routing.store import CaseRow, ZaakRow, ZgwCallRow
from klachtstroom.routing.zgw import CRS, ZgwSettings, zgw_token

log = logging.getLogger(__name__)

RETRYABLE = {408, 425, 429}


class CallFailed(Exception):
    def __init__(self, message: str, *, permanent: bool) -> None:
        super().__init__(message)
        self.permanent = permanent


class ZgwSender:
    def __init__(
        self, work: CaseWork, settings: ZgwSettings, client: httpx.AsyncClient | None = None
    ) -> None:
        self.work = work
        self.settings = settings
        self.client = client or httpx.AsyncClient(timeout=settings.timeout_seconds)

    def headers(self) -> dict[str, str]:
        return {
            "Authorization": f"Bearer {zgw_token(self.settings.client_id, self.settings.secret)}",
            "Accept-Crs": CRS,
            "Content-Crs": CRS,
            "Content-Type": "application/json",
            "Accept": "application/json",
        }

    async def run(self) -> None:
        if not self.settings.enabled:
            return
        while True:
            try:
                sent = await self.send_due()
            except asyncio.CancelledError:
                raise
            except Exception as error:
                log.warning("zgw sender: pass failed (%s)", type(error).__name__)
                sent = 0
            if not sent:
                with contextlib.suppress(TimeoutError):
                    await asyncio.sleep(self.settings.poll_seconds)

    async def send_due(self, limit: int = 200) -> int:
        """One pass: the first pending call of each case, if it is due. Returns calls attempted."""
        now = self.work.now()
        async with self.work.service.db.reading() as session:
            pending = list(
                (
                    await session.execute(
                        select(ZgwCallRow)
                        .where(ZgwCallRow.status == "pending")
                        .order_by(ZgwCallRow.id)
                        .limit(limit)
                    )
                ).scalars()
            )
        seen: set[str] = set()
        attempted = 0
        for call in pending:
            if call.case_id in seen:
                continue  # keep the order per case: a later status never overtakes the zaak
            seen.add(call.case_id)
            due = (
                call.next_attempt_at
                if call.next_attempt_at.tzinfo
                else call.next_attempt_at.replace(tzinfo=now.tzinfo)
            )
            if due > now:
                continue
            attempted += 1
            await self._attempt(call)
        return attempted

    async def _attempt(self, call: ZgwCallRow) -> None:
        try:
            zaak_url = await self._perform(call)
            error: CallFailed | None = None
        except CallFailed as failed:
            error, zaak_url = failed, None
        except httpx.HTTPError as failure:
            error, zaak_url = CallFailed(type(failure).__name__, permanent=False), None
        await self._record(call.id, error, zaak_url)

    async def _perform(self, call: ZgwCallRow) -> str | None:
        base = self.settings.base
        if call.operation == "create_zaak":
            existing = await self._find_zaak(
                call.payload["identificatie"], call.payload.get("bronorganisatie")
            )
            if existing:
                return existing
            return str((await self._post(f"{base}/zaken", call.payload))["url"])
        async with self.work.service.db.reading() as session:
            zaak = await session.get(ZaakRow, call.case_id)
        if zaak is None:
            raise CallFailed("de zaak bestaat nog niet", permanent=False)
        path = {"set_status": "statussen", "set_result": "resultaten"}[call.operation]
        await self._post(f"{base}/{path}", {"zaak": zaak.zaak_url, **call.payload})
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
        permanent = 400 <= response.status_code < 500 and response.status_code not in RETRYABLE
        detail = response.text[:500]
        raise CallFailed(f"HTTP {response.status_code}: {detail}", permanent=permanent)

    async def _record(self, call_id: int, error: CallFailed | None, zaak_url: str | None) -> None:
        now = self.work.now()
        async with self.work.service.db.transaction() as session:
            call = await session.get(ZgwCallRow, call_id)
            if call is None or call.status != "pending":
                return
            call.attempts += 1
            call.last_error = str(error) if error else None
            if error is None:
                call.status, call.finished_at = "done", now
                if zaak_url and await session.get(ZaakRow, call.case_id) is None:
                    identificatie = call.payload.get("identificatie")
                    session.add(
                        ZaakRow(
                            case_id=call.case_id,
                            zaak_url=zaak_url,
                            identificatie=identificatie,
                            created_at=now,
                        )
                    )
            elif error.permanent or call.attempts >= self.settings.max_attempts:
                call.status, call.finished_at = "failed", now
                await self._tell_case(session, call)
            else:
                call.next_attempt_at = now + timedelta(
                    seconds=self.settings.backoff_seconds * 2 ** (call.attempts - 1)
                )
        if error is not None:
            log.info(
                "zgw call %s (%s) failed: attempt recorded",
                call_id,
                "permanent" if error.permanent else "retry",
            )

    async def _tell_case(self, session: AsyncSession, call: ZgwCallRow) -> None:
        case_row = await session.get(CaseRow, call.case_id)
        if case_row is None:
            return
        entry = system_event(
            "zgw",
            self.work.now(),
            {"operation": call.operation, "failed": True, "attempts": call.attempts},
            reason="Het zaaksysteem nam de wijziging niet aan; de functioneel beheerder kijkt ernaar.",
        )
        await self.work.note(session, case_row, entry)
