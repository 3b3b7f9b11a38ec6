"""What every HTML page of intake shares: templates, CSRF tokens, security headers, rate limits."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from klachtstroom.contracts.vocabulary import dutch
from klachtstroom.intake.http.routing_units import RoutingUnits
from klachtstroom.intake.settings import IntakeSettings

TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"

# Pages hold personal data: never cached, never framed, no third-party scripts.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}

_ONE_TIME_TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


class Pages:
    """Renders the Jinja2 templates inside the package, with the headers every page needs."""

    def __init__(self, organisation: str) -> None:
        self.organisation = organisation
        self.env = Environment(
            loader=FileSystemLoader(TEMPLATES),
            autoescape=select_autoescape(["html"]),
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.env.globals["dutch"] = dutch

    def render(
        self,
        request: Request,
        template: str,
        context: Mapping[str, Any],
        *,
        status: int = 200,
        headers: Mapping[str, str] | None = None,
    ) -> HTMLResponse:
        def static(path: str) -> str:
            return str(request.url_for("static", path=path).path)

        html = self.env.get_template(template).render(
            {"organisation": self.organisation, "static": static, "errors": {}, **context}
        )
        return HTMLResponse(html, status_code=status, headers={**SECURITY_HEADERS, **(headers or {})})


class CsrfGuard:
    """Signed double-submit token: the same signed value in a cookie and in a hidden field.

    A page of another site can make the browser send our cookie, but cannot read it to put the
    same value in the form; the signature stops a value planted in the cookie from outside.
    """

    COOKIE = "klachtstroom_csrf"
    FIELD = "csrf_token"
    MAX_AGE = 24 * 3600  # writing a complaint may take a long time; a day is plenty

    def __init__(self, key_dir: Path, now: Callable[[], float] = time.time) -> None:
        key_file = key_dir / "csrf.key"
        if not key_file.exists():
            key_file.write_bytes(secrets.token_bytes(32))
            key_file.chmod(0o600)
        self._key = key_file.read_bytes()
        self._now = now

    def _sign(self, payload: str) -> str:
        return hmac.new(self._key, payload.encode(), hashlib.sha256).hexdigest()[:40]

    def issue(self) -> str:
        payload = f"{secrets.token_urlsafe(18)}.{int(self._now())}"
        return f"{payload}.{self._sign(payload)}"

    def is_valid(self, token: str | None) -> bool:
        if not token or token.count(".") != 2 or len(token) > 200:
            return False
        payload, _, signature = token.rpartition(".")
        if not hmac.compare_digest(signature, self._sign(payload)):
            return False
        issued = payload.rsplit(".", 1)[1]
        return issued.isdigit() and 0 <= self._now() - int(issued) <= self.MAX_AGE

    def token_for(self, request: Request) -> str:
        """The visitor's current token (so several open tabs keep working), or a new one."""
        current = request.cookies.get(self.COOKIE)
        return current if current and self.is_valid(current) else self.issue()

    def verify(self, request: Request, submitted: object) -> bool:
        cookie = request.cookies.get(self.COOKIE)
        if not cookie or not isinstance(submitted, str):
            return False
        return hmac.compare_digest(cookie, submitted) and self.is_valid(cookie)

    def attach(self, request: Request, response: HTMLResponse, token: str) -> HTMLResponse:
        response.set_cookie(
            self.COOKIE,
            token,
            httponly=True,
            samesite="lax",
            secure=request.url.scheme == "https",
            path="/",
        )
        return response


class RateLimiter:
    """At most `limit` posts per client address in a sliding window (in memory, per process)."""

    def __init__(self, limit: int, window: float, now: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self.window = window
        self._now = now
        self._hits: dict[str, deque[float]] = {}

    def allow(self, client: str) -> tuple[bool, int]:
        """(allowed, seconds until the next post is allowed)."""
        now = self._now()
        hits = self._hits.setdefault(client, deque())
        while hits and now - hits[0] >= self.window:
            hits.popleft()
        if len(hits) >= self.limit:
            return False, max(1, int(self.window - (now - hits[0])) + 1)
        hits.append(now)
        if len(self._hits) > 10_000:  # forget quiet addresses so memory stays bounded
            for key in [k for k, v in self._hits.items() if not v or now - v[-1] >= self.window]:
                del self._hits[key]
        return True, 0


def one_time_token(submitted: object | None = None) -> str:
    """The hidden token that makes a double submit of one filled-in form register once."""
    if isinstance(submitted, str) and _ONE_TIME_TOKEN.match(submitted):
        return submitted
    return secrets.token_urlsafe(24)


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


@dataclass
class Web:
    """The HTML side of intake, kept on `app.state.web`."""

    pages: Pages
    csrf: CsrfGuard
    limiter: RateLimiter
    settings: IntakeSettings
    units: RoutingUnits | None = None  # the units routing knows, for the form's list

    async def unit_list(self) -> list[str]:
        return await self.units.refresh() if self.units is not None else list(self.settings.units)
