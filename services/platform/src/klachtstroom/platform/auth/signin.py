"""Signing in to the staff pages (DESIGN.md "Access and roles"): a session cookie for browsers.

A browser cannot send a bearer token, so a staff page asked for without one is answered with a
redirect to `/aanmelden` (gate.py). There:

- with an OIDC issuer (`KLACHTSTROOM_OIDC_ISSUER`): the authorization-code flow with PKCE (RFC
  7636, S256) and `state`/`nonce`, at the issuer's authorization endpoint; the issuer sends the
  browser back to `/aanmelden/terug`, where the code is exchanged for tokens at the token
  endpoint (httpx), the ID token's signature, audience and nonce are checked and the access token
  is verified exactly as a bearer token is (verification.py);
- with the development issuer only: a Dutch page where a developer picks a role (and optionally
  a municipality, provider and name).

The verified caller (the claims `sub`, `name`, `roles`, `municipalities`, `provider` of the
access token) is kept in a session cookie, encrypted and authenticated (Fernet: AES-CBC +
HMAC-SHA256, with a timestamp), HttpOnly, SameSite=Lax, Secure when the request came over TLS
(or `X-Forwarded-Proto: https`, or `KLACHTSTROOM_SESSION_COOKIE_SECURE=true`), for
`KLACHTSTROOM_SESSION_SECONDS` (8 hours): not only as long as the access token, which issuers
keep short (Keycloak: 5 minutes) so that a case worker writing a decision would lose the form.
Roles changed at the issuer therefore count from the next sign-in. The gate reads the cookie for
every request without a bearer header.

A session also holds a random CSRF token: a staff page puts it in every form it renders
(`csrf_token(request)`), and the route refuses a form posted with the session but without that
token (`csrf_ok(request, submitted)`). Bearer callers need none: a page of another site cannot
make a browser send a bearer header. `/afmelden` ends the session (and, with an OIDC issuer, the
issuer's session too, at its end-session endpoint).

The key is `KLACHTSTROOM_SESSION_SECRET` when set (every replica of a service needs the same),
else one created once under the data dir, shared by the services of one installation.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import hmac
import json
import os
import secrets
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode

import httpx
import jwt
from cryptography.fernet import Fernet, InvalidToken
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.types import Scope

from klachtstroom.platform.auth.callers import ALL_MUNICIPALITIES, Caller, Role
from klachtstroom.platform.auth.development import DevelopmentIssuer
from klachtstroom.platform.auth.verification import PUBLIC_KEY_ALGORITHMS, OidcVerifier, TokenVerifier
from klachtstroom.platform.auth.verification import InvalidToken as InvalidAccessToken
from klachtstroom.platform.settings import PlatformSettings

SIGN_IN = "/aanmelden"
CALLBACK = "/aanmelden/terug"
SIGN_OUT = "/afmelden"
CSRF_FIELD = "csrf_token"
KEY_FILE = Path("auth") / "session.key"
PENDING_SECONDS = 600  # from the sign-in redirect back to the callback
MAX_FORM_BYTES = 16 * 1024

SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


@dataclass(frozen=True)
class Session:
    """What the session cookie holds: the verified caller, the session's end, the CSRF token."""

    caller: Caller
    expires: float
    csrf: str


def _claims_of(caller: Caller) -> dict[str, Any]:
    claims: dict[str, Any] = {
        "sub": caller.subject,
        "name": caller.name,
        "roles": sorted(role.value for role in caller.roles),
        "municipalities": sorted(caller.municipalities),
    }
    if caller.provider:
        claims["provider"] = caller.provider
    return claims


class SessionCodec:
    """Seals and opens session cookies: encrypted and authenticated, refused when old or altered."""

    def __init__(self, key: bytes, max_seconds: int, now: Callable[[], float] = time.time) -> None:
        self._fernet = Fernet(base64.urlsafe_b64encode(hashlib.sha256(key).digest()))
        self.max_seconds = max_seconds
        self._now = now

    def seal(self, payload: Mapping[str, Any]) -> str:
        data = json.dumps(payload, separators=(",", ":")).encode()
        return self._fernet.encrypt_at_time(data, int(self._now())).decode("ascii")

    def open(self, value: str | None, max_seconds: int | None = None) -> dict[str, Any] | None:
        if not value or len(value) > 8192:
            return None
        try:
            data = self._fernet.decrypt_at_time(
                value.encode("ascii"), max_seconds or self.max_seconds, int(self._now())
            )
            found = json.loads(data)
        except (InvalidToken, ValueError, UnicodeError):
            return None
        return found if isinstance(found, dict) else None

    def seal_session(self, session: Session) -> str:
        return self.seal({"k": _claims_of(session.caller), "x": session.expires, "c": session.csrf})

    def open_session(self, value: str | None) -> Session | None:
        found = self.open(value)
        if found is None:
            return None
        claims, expires, csrf = found.get("k"), found.get("x"), found.get("c")
        if not isinstance(claims, dict) or not isinstance(expires, int | float) or not isinstance(csrf, str):
            return None
        if expires <= self._now():
            return None
        return Session(Caller.from_claims(claims), float(expires), csrf)


def session_key(settings: PlatformSettings) -> bytes:
    """`KLACHTSTROOM_SESSION_SECRET`, else a key created once (atomically) under the data dir."""
    if settings.session_secret is not None and settings.session_secret.get_secret_value():
        return settings.session_secret.get_secret_value().encode()
    path = settings.data_dir / KEY_FILE
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".session-")
        try:
            os.fchmod(handle, 0o600)
            os.write(handle, secrets.token_bytes(32))
            os.fsync(handle)
            os.close(handle)
            with contextlib.suppress(FileExistsError):  # another service was first: its key
                os.link(temporary, path)
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary)
    return path.read_bytes()


def csrf_token(request: Request) -> str | None:
    """The CSRF token a staff page puts in its forms (None for a bearer caller: none needed)."""
    session: Session | None = getattr(request.state, "session", None)
    return session.csrf if session is not None else None


def csrf_ok(request: Request, submitted: object) -> bool:
    """A form posted with the session cookie carries the session's CSRF token."""
    session: Session | None = getattr(request.state, "session", None)
    if session is None:
        return True  # a bearer caller: another site cannot make a browser send that header
    return isinstance(submitted, str) and hmac.compare_digest(submitted.encode(), session.csrf.encode())


def safe_next(value: object) -> str:
    """Where to go after signing in: a path on this service only (no open redirect)."""
    if not isinstance(value, str) or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/"
    if any(ord(c) < 0x20 for c in value) or len(value) > 2000:
        return "/"
    return value


class SignIn:
    """Sign-in, callback and sign-out routes of one service, and the session reader of its gate."""

    def __init__(
        self,
        service: str,
        settings: PlatformSettings,
        verifier: TokenVerifier,
        development: DevelopmentIssuer | None,
        now: Callable[[], float] = time.time,
    ) -> None:
        self.service = service
        self.settings = settings
        self.verifier = verifier
        self.development = development
        self.codec = SessionCodec(session_key(settings), settings.session_seconds, now)
        self._now = now
        # Cookies are not kept apart by port: one name per service, so services on one host
        # (127.0.0.1:8000..8003) do not overwrite each other's session.
        self.cookie = f"klachtstroom_sessie_{service}"
        self.pending_cookie = f"klachtstroom_aanmelden_{service}"
        self.client_id = settings.oidc_signin_client_id or settings.oidc_client_id
        secret = settings.oidc_signin_client_secret
        if secret is None and not settings.oidc_signin_client_id:
            secret = settings.oidc_client_secret
        self.client_secret = secret.get_secret_value() if secret is not None else None
        self.router = self._routes()

    # --- for the gate ------------------------------------------------------------------------

    async def read(self, scope: Scope) -> Caller | None:
        """The signed-in caller of the request's session cookie (SessionReader of the gate)."""
        session = self.codec.open_session(_cookie(scope, self.cookie))
        if session is None:
            return None
        scope.setdefault("state", {})["session"] = session
        return session.caller

    def location(self, scope: Scope) -> str:
        """Where the gate sends a browser without a session: sign in, then back to this page."""
        wanted = scope.get("path", "/")
        query = scope.get("query_string", b"").decode("latin-1")
        if query:
            wanted = f"{wanted}?{query}"
        return f"{SIGN_IN}?{urlencode({'volgende': safe_next(wanted)})}"

    # --- cookies -----------------------------------------------------------------------------

    def secure(self, request: Request) -> bool:
        if self.settings.session_cookie_secure or request.url.scheme == "https":
            return True
        forwarded = request.headers.get("x-forwarded-proto", "")
        return forwarded.split(",")[0].strip().lower() == "https"

    def start_session(self, request: Request, response: Response, caller: Caller) -> None:
        expires = self._now() + self.settings.session_seconds
        session = Session(caller, expires, secrets.token_urlsafe(24))
        response.set_cookie(
            self.cookie,
            self.codec.seal_session(session),
            max_age=max(1, round(expires - self._now())),
            path="/",
            httponly=True,
            samesite="lax",
            secure=self.secure(request),
        )
        response.delete_cookie(self.pending_cookie, path="/")

    def _set_pending(self, request: Request, response: Response, payload: Mapping[str, Any]) -> None:
        response.set_cookie(
            self.pending_cookie,
            self.codec.seal(payload),
            max_age=PENDING_SECONDS,
            path="/",
            httponly=True,
            samesite="lax",  # sent on the issuer's top-level redirect back to the callback
            secure=self.secure(request),
        )

    def _pending(self, request: Request) -> dict[str, Any] | None:
        return self.codec.open(request.cookies.get(self.pending_cookie), PENDING_SECONDS)

    # --- routes ------------------------------------------------------------------------------

    def _routes(self) -> APIRouter:
        router = APIRouter(tags=["aanmelden"], include_in_schema=False)
        router.add_api_route(SIGN_IN, self.sign_in_page, methods=["GET"], response_model=None)
        router.add_api_route(SIGN_IN, self.development_sign_in, methods=["POST"], response_model=None)
        router.add_api_route(CALLBACK, self.callback, methods=["GET"], response_model=None)
        router.add_api_route(SIGN_OUT, self.sign_out_page, methods=["GET"], response_model=None)
        router.add_api_route(SIGN_OUT, self.sign_out, methods=["POST"], response_model=None)
        return router

    async def sign_in_page(self, request: Request) -> Response:
        wanted = safe_next(request.query_params.get("volgende"))
        if self.development is not None:
            csrf = secrets.token_urlsafe(24)
            response = _page("Aanmelden (ontwikkeling)", _development_form(self.service, wanted, csrf))
            self._set_pending(request, response, {"c": csrf})
            return response
        if not isinstance(self.verifier, OidcVerifier) or not self.client_id:
            return _page("Aanmelden", "<p>Aanmelden is hier niet ingesteld.</p>", status=503)
        try:
            metadata = await self.verifier.metadata()
            endpoint = metadata["authorization_endpoint"]
        except (httpx.HTTPError, InvalidAccessToken, KeyError, ValueError):
            unreachable = "<p>De aanmeldserver is niet bereikbaar. Probeer het later opnieuw.</p>"
            return _page("Aanmelden", unreachable, status=503)
        state, nonce = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
        verifier = secrets.token_urlsafe(48)  # PKCE code verifier (RFC 7636: 43 to 128 characters)
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        query = {
            "response_type": "code",
            "client_id": self.client_id,
            "redirect_uri": self._callback_url(request),
            "scope": self.settings.oidc_scopes,
            "state": state,
            "nonce": nonce,
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        }
        redirect = RedirectResponse(f"{endpoint}?{urlencode(query)}", status_code=303)
        self._set_pending(request, redirect, {"s": state, "n": nonce, "v": verifier, "next": wanted})
        return redirect

    async def development_sign_in(self, request: Request) -> Response:
        """The development page's form: a token of the chosen role (development issuer only)."""
        if self.development is None:
            return _page("Niet gevonden", "<p>Deze pagina bestaat niet.</p>", status=404)
        form = await _form(request)
        pending = self._pending(request)
        submitted = form.get(CSRF_FIELD, "")
        if pending is None or not hmac.compare_digest(str(pending.get("c", "")).encode(), submitted.encode()):
            return _refused_form()
        try:
            role = Role(form.get("rol", ""))
        except ValueError:
            return _page("Aanmelden (ontwikkeling)", "<p>Kies een rol.</p>", status=400)
        municipality = form.get("gemeente", "").strip() or ALL_MUNICIPALITIES
        provider = form.get("zorgaanbieder", "").strip() or None
        name = form.get("naam", "").strip() or f"ontwikkelaar-{role.value}"
        caller = Caller(
            subject=name, name=name, roles=frozenset({role}), municipalities=frozenset({municipality}),
            provider=provider,
        )  # fmt: skip
        response = RedirectResponse(safe_next(form.get("volgende")), status_code=303)
        self.start_session(request, response, caller)
        return response

    async def callback(self, request: Request) -> Response:
        """The issuer sends the browser back here with a code (authorization-code flow)."""
        pending = self._pending(request)
        state = request.query_params.get("state", "")
        if pending is None or not hmac.compare_digest(str(pending.get("s", "")).encode(), state.encode()):
            return _page("Aanmelden mislukt", _again("De aanmelding is verlopen of ongeldig."), status=400)
        code = request.query_params.get("code")
        if not code or not isinstance(self.verifier, OidcVerifier) or not self.client_id:
            return _page("Aanmelden mislukt", _again("De aanmeldserver gaf geen toegang."), status=400)
        try:
            tokens = await self._exchange(request, code, str(pending.get("v", "")))
            await self._check_id_token(tokens.get("id_token"), str(pending.get("n", "")))
            # The access token is verified exactly as a bearer token (issuer, audience, expiry).
            caller = await self.verifier.verify(str(tokens["access_token"]))
        except (httpx.HTTPError, InvalidAccessToken, jwt.PyJWTError, KeyError, ValueError):
            return _page("Aanmelden mislukt", _again("De aanmelding kon niet worden bevestigd."), status=400)
        response = RedirectResponse(safe_next(pending.get("next")), status_code=303)
        self.start_session(request, response, caller)
        return response

    async def _exchange(self, request: Request, code: str, verifier: str) -> dict[str, Any]:
        assert isinstance(self.verifier, OidcVerifier) and self.client_id
        endpoint = (await self.verifier.metadata())["token_endpoint"]
        data = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": self._callback_url(request),
            "code_verifier": verifier,
            "client_id": self.client_id,
        }
        async with httpx.AsyncClient(timeout=10, follow_redirects=False) as client:
            if self.client_secret:  # a confidential client authenticates (client_secret_basic)
                response = await client.post(endpoint, data=data, auth=(self.client_id, self.client_secret))
            else:
                response = await client.post(endpoint, data=data)
            response.raise_for_status()
            found: dict[str, Any] = response.json()
        return found

    async def _check_id_token(self, id_token: object, nonce: str) -> None:
        """The ID token was issued to this client, for this sign-in (nonce), by the issuer."""
        assert isinstance(self.verifier, OidcVerifier)
        if not isinstance(id_token, str):
            raise ValueError("no id_token")
        keys = await self.verifier.key_client()
        key = await asyncio.to_thread(keys.get_signing_key_from_jwt, id_token)
        claims = jwt.decode(
            id_token,
            key,
            algorithms=PUBLIC_KEY_ALGORITHMS,
            audience=self.client_id,
            issuer=(await self.verifier.metadata())["issuer"],
            leeway=self.settings.oidc_leeway_seconds,
            options={"require": ["exp", "iat", "iss", "aud", "sub", "nonce"]},
        )
        if not hmac.compare_digest(str(claims["nonce"]).encode(), nonce.encode()):
            raise ValueError("nonce differs")

    async def sign_out_page(self, request: Request) -> Response:
        session = self.codec.open_session(request.cookies.get(self.cookie))
        if session is None:
            again = f'<p>U bent afgemeld.</p><p><a href="{SIGN_IN}">Opnieuw aanmelden</a></p>'
            return _page("Afgemeld", again)
        body = (
            f'<form method="post" action="{SIGN_OUT}">'
            f'<input type="hidden" name="{CSRF_FIELD}" value="{escape(session.csrf)}">'
            '<button type="submit">Afmelden</button></form>'
        )
        return _page("Afmelden", body)

    async def sign_out(self, request: Request) -> Response:
        session = self.codec.open_session(request.cookies.get(self.cookie))
        form = await _form(request)
        if session is not None and not hmac.compare_digest(
            form.get(CSRF_FIELD, "").encode(), session.csrf.encode()
        ):
            return _refused_form()
        target = SIGN_OUT
        if session is not None and isinstance(self.verifier, OidcVerifier) and self.client_id:
            with contextlib.suppress(httpx.HTTPError, InvalidAccessToken):
                end_session = (await self.verifier.metadata()).get("end_session_endpoint")
                if end_session:
                    back = f"{_base_url(request)}{SIGN_OUT}"
                    query = {"client_id": self.client_id, "post_logout_redirect_uri": back}
                    target = f"{end_session}?{urlencode(query)}"
        response = RedirectResponse(target, status_code=303)
        response.delete_cookie(
            self.cookie, path="/", httponly=True, samesite="lax", secure=self.secure(request)
        )
        return response

    def _callback_url(self, request: Request) -> str:
        return f"{_base_url(request)}{CALLBACK}"


def _base_url(request: Request) -> str:
    """This service as the browser sees it (behind a proxy: X-Forwarded-Proto/-Host)."""
    proto = request.headers.get("x-forwarded-proto", "").split(",")[0].strip() or request.url.scheme
    host = request.headers.get("x-forwarded-host", "").split(",")[0].strip() or request.headers.get(
        "host", request.url.netloc
    )
    return f"{proto}://{host}"


def _cookie(scope: Scope, name: str) -> str | None:
    for header, value in scope.get("headers", ()):
        if header == b"cookie":
            for part in value.decode("latin-1").split(";"):
                key, _, found = part.strip().partition("=")
                if key == name:
                    text: str = found.strip('"')
                    return text
    return None


async def _form(request: Request) -> dict[str, str]:
    """A small url-encoded form (sign-in, sign-out): first value of each field."""
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM_BYTES:
            return {}
    if "application/x-www-form-urlencoded" not in request.headers.get("content-type", ""):
        return {}
    parsed = parse_qs(body.decode("utf-8", errors="replace"), keep_blank_values=True)
    return {key: values[0] for key, values in parsed.items() if values}


def _page(title: str, body: str, status: int = 200) -> HTMLResponse:
    html = (
        '<!doctype html><html lang="nl"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)} · klachtstroom</title>"
        "<style>body{font-family:system-ui,sans-serif;max-width:36rem;margin:2rem auto;padding:0 1rem}"
        "label{display:block;margin-top:1rem;font-weight:600}input,select{font-size:1rem;padding:.3rem;width:100%}"
        "button{margin-top:1.5rem;font-size:1rem;padding:.5rem 1rem}.hint{color:#444}</style>"
        f"</head><body><main><h1>{escape(title)}</h1>{body}</main></body></html>"
    )
    return HTMLResponse(html, status_code=status, headers=SECURITY_HEADERS)


def _again(reason: str) -> str:
    return f'<p>{escape(reason)}</p><p><a href="{SIGN_IN}">Opnieuw aanmelden</a></p>'


def _refused_form() -> HTMLResponse:
    return _page(
        "Formulier verlopen",
        "<p>Dit formulier is verlopen of niet via deze site verstuurd. Laad de pagina opnieuw.</p>",
        status=403,
    )


ROLE_TEXTS = {
    Role.kcc: "KCC-medewerker",
    Role.handler: "klachtbehandelaar",
    Role.coordinator: "klachtcoördinator",
    Role.manager: "manager",
    Role.college: "college",
    Role.provider: "zorgaanbieder",
    Role.admin: "functioneel beheerder",
    Role.auditor: "auditor",
    Role.system: "systeem (machine)",
}


def _development_form(service: str, wanted: str, csrf: str) -> str:
    options = "".join(
        f'<option value="{role.value}">{escape(ROLE_TEXTS[role])} ({role.value})</option>' for role in Role
    )
    return (
        f'<p class="hint">Ontwikkelomgeving van {escape(service)}: er is geen aanmeldserver ingesteld. '
        "Kies met welke rol u deze pagina's wilt bekijken. In productie meldt u zich aan bij de "
        "aanmeldserver van de gemeente.</p>"
        f'<form method="post" action="{SIGN_IN}">'
        f'<input type="hidden" name="{CSRF_FIELD}" value="{escape(csrf)}">'
        f'<input type="hidden" name="volgende" value="{escape(wanted)}">'
        f'<label for="rol">Rol</label><select id="rol" name="rol" required>{options}</select>'
        '<label for="gemeente">Gemeente (leeg: alle gemeenten)</label>'
        '<input id="gemeente" name="gemeente" autocomplete="off">'
        '<label for="zorgaanbieder">Zorgaanbieder (alleen voor de rol zorgaanbieder)</label>'
        '<input id="zorgaanbieder" name="zorgaanbieder" autocomplete="off">'
        '<label for="naam">Naam (leeg: ontwikkelaar)</label><input id="naam" name="naam" autocomplete="off">'
        '<button type="submit">Aanmelden</button></form>'
    )
