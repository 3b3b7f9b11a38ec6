"""A small, strict Zaken API for tests: in-memory zaken, statussen and resultaten.

Every request is checked against the official OpenAPI specification (openapi.yaml beside this
file) and refused with 400 (ValidatieFout) when it does not validate; every response it gives
is checked too, and a violation on either side is recorded in `violations` so a test fails.
It also checks what a real Zaken API checks beyond the schema: a valid HS256 JWT with
client_id, an RSIN that passes the 11-proef, a unique identificatie per bronorganisatie,
one resultaat per zaak, and a resultaat before the closing status.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from openapi_check import OpenApi  # type: ignore[import-not-found]
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

SPEC = OpenApi(Path(__file__).with_name("openapi.yaml"))
PREFIX = "/zaken/api/v1"


def valid_rsin(value: str) -> bool:
    if len(value) != 9 or not value.isdigit():
        return False
    total = sum(int(d) * w for d, w in zip(value[:8], range(9, 1, -1), strict=True)) - int(value[8])
    return total % 11 == 0


def _b64decode(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


@dataclass
class FakeZakenApi:
    secret: str
    eindstatustype: str | None = None  # setting this statustype closes the zaak
    base_url: str = "http://127.0.0.1"
    fail_next: int = 0  # answer 503 to this many requests (an outage)
    zaken: dict[str, dict[str, Any]] = field(default_factory=dict)
    statussen: list[dict[str, Any]] = field(default_factory=list)
    resultaten: list[dict[str, Any]] = field(default_factory=list)
    requests: list[tuple[str, str, Any]] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route(f"{PREFIX}/zaken", self.zaken_endpoint, methods=["GET", "POST"]),
                Route(f"{PREFIX}/zaken/{{zaak_uuid}}", self.zaak_endpoint, methods=["GET"]),
                Route(f"{PREFIX}/statussen", self.statussen_endpoint, methods=["POST"]),
                Route(f"{PREFIX}/resultaten", self.resultaten_endpoint, methods=["POST"]),
            ]
        )

    # --- plumbing ------------------------------------------------------------------------------

    def url(self, resource: str, key: str) -> str:
        return f"{self.base_url}{PREFIX}/{resource}/{key}"

    async def _incoming(self, request: Request) -> tuple[Any, Response | None]:
        path = request.url.path.removeprefix(PREFIX)
        body = json.loads(await request.body()) if request.method == "POST" else None
        self.requests.append((request.method, path, body))
        if self.fail_next > 0:
            self.fail_next -= 1
            return body, Response(status_code=503)
        errors = SPEC.check_request(
            request.method, path, dict(request.headers), dict(request.query_params), body
        )
        if errors:
            self.violations += [f"request {request.method} {path}: {e}" for e in errors]
            return body, self._invalid(request, path, [("body", "invalid", e) for e in errors])
        if not self._authorised(request.headers.get("authorization", "")):
            return body, self._answer(request, path, 403, self._fout(path, 403, "permission_denied"))
        return body, None

    def _authorised(self, header: str) -> bool:
        try:
            head, claims, signature = header.removeprefix("Bearer ").split(".")
            expected = hmac.new(self.secret.encode(), f"{head}.{claims}".encode(), hashlib.sha256).digest()
            payload = json.loads(_b64decode(claims))
            return (
                hmac.compare_digest(expected, _b64decode(signature))
                and json.loads(_b64decode(head))["alg"] == "HS256"
                and bool(payload.get("client_id"))
                and isinstance(payload.get("iat"), int)
            )
        except (ValueError, KeyError):
            return False

    def _answer(
        self, request: Request, path: str, status: int, body: Any, headers: dict[str, str] | None = None
    ) -> Response:
        all_headers = {"API-version": "1.5.1", "Content-Crs": "EPSG:4326", **(headers or {})}
        errors = SPEC.check_response(request.method, path, status, all_headers, body)
        self.violations += [f"response {request.method} {path} {status}: {e}" for e in errors]
        media = "application/problem+json" if status >= 400 else "application/json"
        return JSONResponse(body, status_code=status, headers=all_headers, media_type=media)

    def _fout(self, path: str, status: int, code: str) -> dict[str, Any]:
        return {"type": code, "code": code, "title": code, "status": status, "detail": code, "instance": path}

    def _invalid(self, request: Request, path: str, params: list[tuple[str, str, str]]) -> Response:
        body = self._fout(path, 400, "invalid") | {
            "invalidParams": [{"name": n, "code": c, "reason": r} for n, c, r in params]
        }
        return self._answer(request, path, 400, body)

    # --- resources -----------------------------------------------------------------------------

    async def zaken_endpoint(self, request: Request) -> Response:
        body, refused = await self._incoming(request)
        if refused is not None:
            return refused
        if request.method == "GET":
            query = request.query_params
            wanted = {k: v for k, v in query.items() if k in {"identificatie", "bronorganisatie"}}
            found = [z for z in self.zaken.values() if all(z.get(k) == v for k, v in wanted.items())]
            page = {"count": len(found), "next": None, "previous": None, "results": found}
            return self._answer(request, "/zaken", 200, page)
        for name in ("bronorganisatie", "verantwoordelijkeOrganisatie"):
            if not valid_rsin(body[name]):
                return self._invalid(request, "/zaken", [(name, "invalid-rsin", "Geen geldig RSIN.")])
        if any(
            z["identificatie"] == body.get("identificatie")
            and z["bronorganisatie"] == body["bronorganisatie"]
            for z in self.zaken.values()
        ):
            return self._invalid(
                request, "/zaken", [("identificatie", "identificatie-niet-uniek", "Niet uniek.")]
            )
        key = str(uuid.uuid4())
        zaak = {
            "url": self.url("zaken", key),
            "uuid": key,
            "identificatie": body.get("identificatie") or key[:8],
            "betalingsindicatieWeergave": "",
            "deelzaken": [],
            "eigenschappen": [],
            "rollen": [],
            "zaakinformatieobjecten": [],
            "zaakobjecten": [],
            "status": None,
            "resultaat": None,
            "einddatum": None,
            **{k: v for k, v in body.items() if k != "identificatie"},
        }
        self.zaken[key] = zaak
        return self._answer(request, "/zaken", 201, zaak, {"Location": zaak["url"]})

    async def zaak_endpoint(self, request: Request) -> Response:
        _body, refused = await self._incoming(request)
        if refused is not None:
            return refused
        key = request.path_params["zaak_uuid"]
        path = f"/zaken/{key}"
        if key not in self.zaken:
            return self._answer(request, path, 404, self._fout(path, 404, "not_found"))
        return self._answer(request, path, 200, self.zaken[key])

    def _zaak_of(self, body: dict[str, Any]) -> dict[str, Any] | None:
        return next((z for z in self.zaken.values() if z["url"] == body["zaak"]), None)

    async def statussen_endpoint(self, request: Request) -> Response:
        body, refused = await self._incoming(request)
        if refused is not None:
            return refused
        zaak = self._zaak_of(body)
        if zaak is None:
            return self._invalid(request, "/statussen", [("zaak", "does_not_exist", "Onbekende zaak.")])
        closing = body["statustype"] == self.eindstatustype
        if closing and zaak["resultaat"] is None:
            return self._invalid(
                request, "/statussen", [("nonFieldErrors", "resultaat-does-not-exist", "Geen resultaat.")]
            )
        key = str(uuid.uuid4())
        status = {
            "url": self.url("statussen", key),
            "uuid": key,
            "indicatieLaatstGezetteStatus": True,
            "zaakinformatieobjecten": [],
            **body,
        }
        for earlier in self.statussen:
            if earlier["zaak"] == zaak["url"]:
                earlier["indicatieLaatstGezetteStatus"] = False
        self.statussen.append(status)
        zaak["status"] = status["url"]
        if closing:
            zaak["einddatum"] = body["datumStatusGezet"][:10]
        return self._answer(request, "/statussen", 201, status, {"Location": status["url"]})

    async def resultaten_endpoint(self, request: Request) -> Response:
        body, refused = await self._incoming(request)
        if refused is not None:
            return refused
        zaak = self._zaak_of(body)
        if zaak is None:
            return self._invalid(request, "/resultaten", [("zaak", "does_not_exist", "Onbekende zaak.")])
        if zaak["resultaat"] is not None:
            return self._invalid(
                request, "/resultaten", [("zaak", "unique", "De zaak heeft al een resultaat.")]
            )
        key = str(uuid.uuid4())
        resultaat = {"url": self.url("resultaten", key), "uuid": key, **body}
        self.resultaten.append(resultaat)
        zaak["resultaat"] = resultaat["url"]
        return self._answer(request, "/resultaten", 201, resultaat, {"Location": resultaat["url"]})
