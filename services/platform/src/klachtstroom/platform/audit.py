"""The audit trail (DESIGN.md "Access and roles", Audit): who read or changed which complaint or case.

Every service keeps an append-only `audit_log` table (tables.py). `AuditMiddleware` sits just
inside the access gate (auth/gate.py) and records every answered call (status below 400) whose
rule says it reads personal data or changes something (`Rule.audit` in auth/rules.py): who (the
signed-in caller's subject and name, the role it acted in), what (read or change, method and
route template), which complaint or case (the path's `case_id` or `complaint_id`, or what the
route named with `audit_subject`), when, and in which service. A callback carrying credentials
of its own (a provider's signed webhook, the Notificaties API) is recorded once its route
accepted it, named by the provider in its path. Coverage follows the rules table,
so a new route is audited by its rule, not by a call someone has to remember.

The row is written before the answer leaves, so nothing is read without a trace (a failed write
fails the request). It holds identifiers and route templates only: never complaint text, query
strings or a resident's personal data. Nothing updates or deletes a row; the auditor reads them
at `GET /api/v1/audit?case_id=&since=` on each service.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel
from sqlalchemy import Table, insert, select
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from klachtstroom.platform.auth.callers import Role
from klachtstroom.platform.auth.gate import RULE_STATE_KEY, Access
from klachtstroom.platform.auth.rules import Rule
from klachtstroom.platform.clock import Clock
from klachtstroom.platform.db import Database
from klachtstroom.platform.ids import MAX_ROW_ID
from klachtstroom.platform.problems import Problem

log = logging.getLogger(__name__)

# A service asking a peer on behalf of a signed-in person names that person here (its subject);
# the peer records it beside its own caller (the service). Recorded only for `system` callers.
ON_BEHALF_HEADER = "X-Klachtstroom-On-Behalf-Of"
_ON_BEHALF = ON_BEHALF_HEADER.lower().encode()
# A route whose complaint or case is not in its path (a new complaint) names it here.
SUBJECT_STATE_KEY = "audit_case_id"
_PATH_IDS = ("case_id", "complaint_id")
_MAX = 200


def audit_subject(request: Request, case_id: str) -> None:
    """Name the complaint or case this call is about, when its path does not hold it."""
    request.state.audit_case_id = case_id


def on_behalf_of(access: Access | None) -> dict[str, str]:
    """Headers for a call to a peer made for this signed-in caller (its audit row names them)."""
    if access is None:
        return {}
    return {ON_BEHALF_HEADER: access.caller.subject[:_MAX]}


class AuditWriteFailed(RuntimeError):
    """The audit row could not be written, so the call it records must not be answered."""


@dataclass(frozen=True)
class Who:
    """Whom an audit row names: a signed-in caller, or the sender of a signed callback."""

    subject: str
    actor: str
    role: str

    @classmethod
    def of(cls, access: Access) -> Who:
        return cls(access.caller.subject, access.name, access.role)

    @classmethod
    def signed_sender(cls, rule: Rule, parameters: dict[str, str]) -> Who:
        """A callback with its own credentials (a provider's signed webhook, the Notificaties API),
        accepted by its route: named by the provider in its path, else as the callback."""
        provider = parameters.get(rule.provider_param or "")
        if provider:
            return cls(provider, provider, Role.provider.value)
        return cls("callback", "callback", Role.system.value)


class AuditTrail:
    """Writes audit rows of one service; rows arriving together share one transaction."""

    def __init__(self, service: str, db: Database, table: Table, clock: Clock) -> None:
        self.service = service
        self.db = db
        self.table = table
        self.clock = clock
        self._pending: list[tuple[dict[str, Any], asyncio.Future[None]]] = []
        self._lock = asyncio.Lock()

    async def record(
        self,
        who: Who,
        rule: Rule,
        *,
        case_id: str | None,
        status: int,
        on_behalf: str | None = None,
    ) -> None:
        row = {
            "at": self.clock.now(),
            "service": self.service,
            "subject": who.subject[:_MAX],
            "actor": who.actor[:_MAX],
            "role": who.role,
            "action": rule.audit,
            "method": rule.method,
            "route": rule.path[:_MAX],
            "case_id": case_id[:64] if case_id else None,
            "status": status,
            "on_behalf_of": on_behalf[:_MAX] if on_behalf else None,
        }
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._pending.append((row, done))
        # Group commit: whoever holds the lock writes every row waiting by then.
        async with self._lock:
            if not done.done():
                batch, self._pending = self._pending, []
                try:
                    async with self.db.transaction() as session:
                        await session.execute(insert(self.table), [r for r, _ in batch])
                except Exception as error:
                    # The request fails (500) rather than answer without a trace. The error
                    # names its kind only: a database error's text would quote the row.
                    failed = AuditWriteFailed(type(error).__name__)
                    for _, waiting in batch:
                        if not waiting.done():
                            waiting.set_exception(failed)
                else:
                    for _, waiting in batch:
                        if not waiting.done():
                            waiting.set_result(None)
        await done

    async def entries(
        self, *, case_id: str | None, since: datetime | None, after: int | None, limit: int
    ) -> list[dict[str, Any]]:
        table = self.table
        query = select(table).order_by(table.c.id).limit(limit)
        if case_id is not None:
            query = query.where(table.c.case_id == case_id)
        if since is not None:
            query = query.where(table.c.at >= since)
        if after is not None:
            query = query.where(table.c.id > after)
        async with self.db.reading() as session:
            rows = (await session.execute(query)).mappings().all()
        return [dict(row) for row in rows]


class AuditMiddleware:
    """Pure ASGI middleware inside the access gate: records audited calls (see the module doc)."""

    def __init__(self, app: ASGIApp, trail: AuditTrail) -> None:
        self.app = app
        self.trail = trail

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_recorded(message: Message) -> None:
            if message["type"] == "http.response.start":
                await self._record(scope, int(message["status"]))
            await send(message)

        await self.app(scope, receive, send_recorded)

    async def _record(self, scope: Scope, status: int) -> None:
        state = scope.get("state") or {}
        access: Access | None = state.get("access")
        matched: tuple[Rule, dict[str, str]] | None = state.get(RULE_STATE_KEY)
        if matched is None or status >= 400:
            return
        rule, parameters = matched
        if rule.audit is None or (access is None and not rule.signed):
            return
        who = Who.of(access) if access is not None else Who.signed_sender(rule, parameters)
        case_id = state.get(SUBJECT_STATE_KEY) or next(
            (parameters[name] for name in _PATH_IDS if parameters.get(name)), None
        )
        on_behalf = None
        if access is not None and Role.system in access.granted:
            for name, value in scope.get("headers", ()):
                if name == _ON_BEHALF:
                    on_behalf = value.decode("latin-1").strip() or None
        await self.trail.record(who, rule, case_id=case_id, status=status, on_behalf=on_behalf)


class AuditEntry(BaseModel):
    id: int
    at: datetime
    service: str
    subject: str
    actor: str
    role: str
    action: str
    method: str
    route: str
    case_id: str | None
    status: int
    on_behalf_of: str | None


class AuditList(BaseModel):
    items: list[AuditEntry]
    next: str | None = None


def audit_router(trail: AuditTrail) -> APIRouter:
    router = APIRouter(prefix="/api/v1", tags=["audit"])

    @router.get("/audit", response_model=AuditList)
    async def read_audit(
        request: Request,
        case_id: Annotated[str | None, Query(max_length=64)] = None,
        since: datetime | None = None,
        after: Annotated[int | None, Query(ge=0, le=MAX_ROW_ID)] = None,
        limit: Annotated[int, Query(ge=1, le=1000)] = 200,
    ) -> AuditList:
        """Who read or changed what, oldest first (`auditor` only); `next` pages on."""
        if since is not None:
            try:
                since = _aware(since).astimezone(UTC)
            except OverflowError:
                raise Problem.invalid("since", "Geef een tijdstip tussen het jaar 1 en 9999.") from None
        rows = await trail.entries(case_id=case_id, since=since, after=after, limit=limit)
        items = [AuditEntry(**{**row, "at": _aware(row["at"])}) for row in rows]
        following = None
        if len(items) == limit:
            following = str(request.url.include_query_params(after=items[-1].id))
        return AuditList(items=items, next=following)

    return router


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
