"""The access gate in front of every service: the rules table (rules.py) applied to each request.

A pure ASGI middleware, so it sees every request before any route runs, pages and mounts
included. It finds the request's rule by method and path, lets public routes through, verifies
the bearer token, refuses a role the rule does not name (403) and a provider's call about
another provider (404), and leaves the verified caller in `request.state.access` for the route's
own scope checks (complaints and cases of the caller's municipalities or provider).
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.routing import compile_path
from starlette.types import ASGIApp, Receive, Scope, Send

from klachtstroom.platform.auth.callers import Caller, Role
from klachtstroom.platform.auth.rules import Rule, routes_of
from klachtstroom.platform.auth.verification import InvalidToken, TokenVerifier
from klachtstroom.platform.problems import PROBLEM_JSON, TYPE_BASE, Problem

log = logging.getLogger(__name__)

# A signed webhook (Standard Webhooks, or the older signature header) stands in for a token
# on routes marked `signed`; the route verifies the signature with the sender's secret.
SIGNATURE_HEADERS = (b"webhook-signature", b"x-klachtstroom-signature")

# Where the gate leaves the matched rule and its path parameters in the request's state.
RULE_STATE_KEY = "access_rule"

SessionReader = Callable[[Scope], Awaitable[Caller | None]]
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


@dataclass(frozen=True)
class Access:
    """A verified caller and the roles of it that the route's rule allows."""

    caller: Caller
    granted: frozenset[Role]
    # Signed in with the session cookie of the staff pages (signin.py), not a bearer header:
    # a form posted this way must carry the session's CSRF token.
    via_session: bool = False

    def sees(self, municipality: str | None, provider: str | None = None) -> bool:
        """Is a complaint or case of this municipality (routed to this provider) in scope?"""
        if Role.system in self.granted:
            return True
        staff = self.granted - {Role.provider}
        if staff and self.caller.sees_municipality(municipality):
            return True
        return Role.provider in self.granted and self.caller.sees_provider(provider)

    @property
    def name(self) -> str:
        return self.caller.label

    @property
    def role(self) -> str:
        """The role the caller acts in, for the audit trail (the most specific granted role)."""
        for role in Role:
            if role in self.granted:
                return role.value
        return ""


@dataclass(frozen=True)
class _CompiledRule:
    rule: Rule
    pattern: re.Pattern[str]
    specificity: tuple[int, int]


class RuleBook:
    """The rules of one service, compiled for matching request paths."""

    def __init__(self, rules: Sequence[Rule]) -> None:
        compiled = []
        for rule in rules:
            pattern, _format, convertors = compile_path(rule.path)
            literal = len(re.sub(r"\{[^}]*\}", "", rule.path))
            compiled.append(_CompiledRule(rule, pattern, (-len(convertors), literal)))
        # A literal segment wins over a parameter: /api/v1/calendar/due before /calendar/{year}.
        compiled.sort(key=lambda c: c.specificity, reverse=True)
        self._rules = compiled

    def match(self, method: str, path: str) -> tuple[Rule, dict[str, str]] | None:
        method = "GET" if method == "HEAD" else method
        for candidate in self._rules:
            if candidate.rule.method != method:
                continue
            found = candidate.pattern.match(path)
            if found:
                return candidate.rule, found.groupdict()
        return None


# The gate's refusals, as every other problem+json answer (platform/problems.py). A 404 outside
# the caller's scope is exactly the 404 of something that does not exist.
UNAUTHENTICATED = Problem(
    401,
    type=TYPE_BASE + "aanmelden-nodig",
    detail="Meld u aan: stuur een geldig toegangstoken mee (Authorization: Bearer).",
)
FORBIDDEN = Problem(
    403, type=TYPE_BASE + "rol-geeft-geen-toegang", detail="Uw rol geeft geen toegang hiertoe."
)
NOT_FOUND = Problem(404)


class AccessGate:
    def __init__(
        self,
        app: ASGIApp,
        rules: Sequence[Rule],
        verifier: TokenVerifier,
        session: SessionReader | None = None,
        sign_in: Callable[[Scope], str | None] | None = None,
    ) -> None:
        self.app = app
        self.book = RuleBook(rules)
        self.verifier = verifier
        self.session = session
        self.sign_in = sign_in
        self._app_routes: RuleBook | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        matched = self.book.match(scope["method"], path)
        if matched is not None and matched[0].public:
            await self.app(scope, receive, send)
            return
        if matched is not None and matched[0].signed and _has_header(scope, *SIGNATURE_HEADERS):
            scope.setdefault("state", {})[RULE_STATE_KEY] = matched  # audited as the signed sender
            await self.app(scope, receive, send)  # the route checks the webhook signature itself
            return
        token = _bearer(scope)
        caller: Caller | None = None
        if token is not None:
            try:
                caller = await self.verifier.verify(token)
            except InvalidToken:
                caller = None
        elif self.session is not None:
            # A browser on a staff page: the caller verified at sign-in (signin.py).
            caller = await self.session(scope)
        from_session = token is None and caller is not None
        if caller is None:
            if matched is not None and matched[0].signed:
                # A callback with its own credentials (a webhook signature, the configured
                # callback token): the route checks them, and refuses when none is configured.
                scope.setdefault("state", {})[RULE_STATE_KEY] = matched
                await self.app(scope, receive, send)
                return
            await self._refuse_unauthenticated(scope, send, path, invalid=token is not None)
            return
        if matched is None:
            if self._answered_by_app(scope):
                # Deny by default: a route nobody put in the rules table answers no one.
                log.warning("no access rule for a %s route: refused", scope["method"])
                await _respond(send, FORBIDDEN, path)
                return
            await self.app(scope, receive, send)  # no such route: the app's own 404 or 405
            return
        rule, parameters = matched
        assert rule.roles is not None
        if from_session and scope["method"] not in SAFE_METHODS and not _same_origin(scope):
            # Defence in depth beside SameSite=Lax and the CSRF token of every form.
            await _respond(send, FORBIDDEN, path)
            return
        granted = caller.roles & rule.roles
        if not granted:
            await _respond(send, FORBIDDEN, path)
            return
        provider_only = rule.provider_param is not None and granted == {Role.provider}
        if provider_only and not caller.sees_provider(parameters.get(rule.provider_param or "")):
            await _respond(send, NOT_FOUND, path)
            return
        state = scope.setdefault("state", {})
        state["access"] = Access(caller, frozenset(granted), from_session)
        state[RULE_STATE_KEY] = (rule, parameters)  # for the audit trail (platform/audit.py)
        await self.app(scope, receive, send)

    def _answered_by_app(self, scope: Scope) -> bool:
        """Does the app have a route for this method and path (one the rules do not name)?"""
        if self._app_routes is None:
            app = scope.get("app")
            self._app_routes = RuleBook(
                [Rule(method, path, frozenset()) for method, path in routes_of(app)] if app else []
            )
        return self._app_routes.match(scope["method"], scope["path"]) is not None

    async def _refuse_unauthenticated(
        self, scope: Scope, send: Send, path: str, invalid: bool = False
    ) -> None:
        # A person's browser asking for a staff page is sent to sign in; API callers get 401.
        if self.sign_in is not None and scope["method"] in ("GET", "HEAD") and _wants_html(scope):
            location = self.sign_in(scope)
            if location:
                await send(
                    {
                        "type": "http.response.start",
                        "status": 303,
                        "headers": [(b"location", location.encode())],
                    }
                )
                await send({"type": "http.response.body", "body": b""})
                return
        challenge = 'Bearer error="invalid_token"' if invalid else "Bearer"
        await _respond(send, UNAUTHENTICATED, path, [(b"www-authenticate", challenge.encode())])


def access_of(request: Request) -> Access:
    """The verified caller of a protected route (set by the gate)."""
    access: Access = request.state.access
    return access


def optional_access(request: Request) -> Access | None:
    access: Access | None = getattr(request.state, "access", None)
    return access


def _bearer(scope: Scope) -> str | None:
    for name, value in scope.get("headers", ()):
        if name == b"authorization":
            text: str = value.decode("latin-1")
            scheme, _, token = text.partition(" ")
            return token.strip() or None if scheme.lower() == "bearer" else None
    return None


def _has_header(scope: Scope, *wanted: bytes) -> bool:
    return any(name in wanted for name, _ in scope.get("headers", ()))


def _same_origin(scope: Scope) -> bool:
    """A browser's `Origin` (when it sends one) names this host: the post came from our own page."""
    headers: dict[bytes, bytes] = dict(scope.get("headers", ()))
    origin = headers.get(b"origin")
    if origin is None or origin == b"null":
        return origin is None
    host = headers.get(b"x-forwarded-host") or headers.get(b"host") or b""
    return origin.split(b"://", 1)[-1] == host.split(b",")[0].strip()


def _wants_html(scope: Scope) -> bool:
    for name, value in scope.get("headers", ()):
        if name == b"accept":
            return b"text/html" in value
    return False


async def _respond(
    send: Send, refusal: Problem, instance: str, headers: list[tuple[bytes, bytes]] | None = None
) -> None:
    body = json.dumps(refusal.body(instance)).encode()
    status = refusal.status
    start: dict[str, Any] = {
        "type": "http.response.start",
        "status": status,
        "headers": [
            (b"content-type", PROBLEM_JSON.encode()),
            (b"content-length", str(len(body)).encode()),
            *(headers or []),
        ],
    }
    await send(start)
    await send({"type": "http.response.body", "body": body})
