"""Signing in to the staff pages: the session cookie, its flags and expiry, CSRF, the sign-in pages.

The sign-in module (auth/signin.py) runs in front of a small app through AccessControl, exactly as
every service installs it; requests go in-process (ASGI). The flow against a real identity
provider (Keycloak) is tests/test_keycloak_e2e.py.
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse

from klachtstroom.platform.auth import access_of
from klachtstroom.platform.auth.callers import Caller, Role
from klachtstroom.platform.auth.control import AccessControl
from klachtstroom.platform.auth.rules import EVERY_SERVICE, allow
from klachtstroom.platform.auth.signin import (
    CSRF_FIELD,
    Session,
    SessionCodec,
    csrf_ok,
    csrf_token,
    safe_next,
)
from klachtstroom.platform.auth.verification import OidcVerifier
from klachtstroom.platform.settings import PlatformSettings

HTML = {"Accept": "text/html,application/xhtml+xml"}
ISSUER = "https://id.example.nl/realms/gemeente"


class Clock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


def staff_app(settings: PlatformSettings, clock: Clock | None = None) -> tuple[FastAPI, AccessControl]:
    """An app with one staff page and one staff form, gated and signed in to as a service is."""
    control = AccessControl("test", settings)
    control.rules = (
        *EVERY_SERVICE,
        allow("GET", "/werk", {Role.handler, Role.coordinator}),
        allow("POST", "/werk/actie", {Role.handler, Role.coordinator}),
    )
    app = FastAPI()

    @app.get("/werk", response_class=HTMLResponse)
    async def page(request: Request) -> str:
        access = access_of(request)
        token = csrf_token(request) or ""
        roles = sorted(r.value for r in access.granted)
        return f"<p>{access.name} {roles} {access.via_session}</p><i>{token}</i>"

    @app.post("/werk/actie")
    async def action(request: Request) -> HTMLResponse:
        form = parse_qs((await request.body()).decode())
        if not csrf_ok(request, (form.get(CSRF_FIELD) or [None])[0]):
            return HTMLResponse("formulier verlopen", status_code=403)
        return HTMLResponse("gedaan")

    control.install(app)
    if clock is not None:
        assert control.sign_in is not None
        control.sign_in._now = clock
        control.sign_in.codec._now = clock
    return app, control


def client(app: FastAPI, base_url: str = "http://werk.test") -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=base_url)


def hidden(page: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', page)
    assert found, page
    return found.group(1)


async def sign_in_as(
    http: httpx.AsyncClient, role: str, headers: dict[str, str] | None = None, **fields: str
) -> httpx.Response:
    form_page = await http.get("/aanmelden?volgende=/werk", headers=HTML)
    assert form_page.status_code == 200
    data = {CSRF_FIELD: hidden(form_page.text, CSRF_FIELD), "volgende": "/werk", "rol": role, **fields}
    return await http.post("/aanmelden", data=data, headers=headers or {})


@pytest.fixture
def settings(tmp_path: Path) -> PlatformSettings:
    return PlatformSettings(data_dir=tmp_path)


async def test_a_browser_is_sent_to_sign_in_and_comes_back_with_a_session(settings: PlatformSettings) -> None:
    app, _control = staff_app(settings)
    async with client(app) as http:
        away = await http.get("/werk?status=open", headers=HTML)
        assert away.status_code == 303
        assert away.headers["location"] == "/aanmelden?volgende=%2Fwerk%3Fstatus%3Dopen"
        # An API caller (no HTML wanted) is not redirected: 401 as before.
        assert (await http.get("/werk")).status_code == 401

        page = await http.get(away.headers["location"], headers=HTML)
        assert page.status_code == 200 and 'lang="nl"' in page.text and "Kies met welke rol" in page.text
        assert page.headers["cache-control"] == "no-store"
        signed_in = await sign_in_as(http, "handler", gemeente="Utrecht", naam="Anna de Vries")
        assert signed_in.status_code == 303 and signed_in.headers["location"] == "/werk"
        cookie = signed_in.headers.get_list("set-cookie")[0]
        assert cookie.startswith("klachtstroom_sessie_test=")
        assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/" in cookie
        assert "Secure" not in cookie  # plain HTTP on a developer's machine
        assert "Max-Age=28800" in cookie
        assert "Anna" not in cookie and "handler" not in cookie  # encrypted, not just signed

        work = await http.get("/werk", headers=HTML)
        assert work.status_code == 200
        assert "Anna de Vries ['handler'] True" in work.text


async def test_the_cookie_is_secure_behind_tls_or_when_the_setting_says_so(tmp_path: Path) -> None:
    app, _control = staff_app(PlatformSettings(data_dir=tmp_path))
    async with client(app) as http:
        behind_proxy = await sign_in_as(http, "handler", headers={"X-Forwarded-Proto": "https"})
        assert "Secure" in behind_proxy.headers["set-cookie"]
    async with client(app, base_url="https://werk.test") as http:
        assert "Secure" in (await sign_in_as(http, "handler")).headers["set-cookie"]
    forced, _control = staff_app(PlatformSettings(data_dir=tmp_path, session_cookie_secure=True))
    async with client(forced) as http:
        # (the browser then sends the cookies over TLS only: the sign-in form's too)
        assert "Secure" in (await http.get("/aanmelden", headers=HTML)).headers["set-cookie"]


async def test_an_expired_session_signs_in_again(settings: PlatformSettings) -> None:
    clock = Clock()
    app, _control = staff_app(settings, clock)
    async with client(app) as http:
        await sign_in_as(http, "coordinator")
        assert (await http.get("/werk", headers=HTML)).status_code == 200
        clock.now += settings.session_seconds + 1
        expired = await http.get("/werk", headers=HTML)
        assert expired.status_code == 303 and expired.headers["location"].startswith("/aanmelden")
        assert (await http.get("/werk")).status_code == 401


def test_the_session_ends_at_its_expiry_and_holds_only_the_verified_claims() -> None:
    clock = Clock()
    codec = SessionCodec(b"k" * 32, max_seconds=3600, now=clock)
    caller = Caller("s-1", "Anna", frozenset({Role.provider}), frozenset({"Utrecht"}), "Zorg Plus")
    sealed = codec.seal_session(Session(caller, expires=clock.now + 60, csrf="c"))
    assert codec.open_session(sealed) == Session(caller, clock.now + 60, "c")
    clock.now += 61  # past the session's own end, though within the cookie key's maximum age
    assert codec.open_session(sealed) is None
    clock.now += 3600
    assert codec.open(sealed) is None  # and past the maximum age: refused as a whole


async def test_a_tampered_or_foreign_cookie_is_refused(settings: PlatformSettings, tmp_path: Path) -> None:
    app, control = staff_app(settings)
    async with client(app) as http:
        signed_in = await sign_in_as(http, "handler")
        value = signed_in.cookies["klachtstroom_sessie_test"]
        assert control.sign_in is not None and control.sign_in.codec.open_session(value) is not None
        flipped = value[:40] + ("A" if value[40] != "A" else "B") + value[41:]
        everything = Caller("x", "x", frozenset(Role), frozenset({"*"}))
        other_key = SessionCodec(b"another installation", 3600).seal_session(
            Session(everything, time.time() + 3600, "c")
        )
        for forged in (flipped, other_key, "niet-een-sessie"):
            http.cookies.clear()
            http.cookies.set("klachtstroom_sessie_test", forged)
            refused = await http.get("/werk", headers=HTML)
            assert refused.status_code == 303 and refused.headers["location"].startswith("/aanmelden")
            assert (await http.get("/werk")).status_code == 401


async def test_a_form_posted_with_the_session_needs_its_csrf_token(settings: PlatformSettings) -> None:
    app, control = staff_app(settings)
    async with client(app) as http:
        await sign_in_as(http, "handler")
        token = re.search(r"<i>([^<]+)</i>", (await http.get("/werk", headers=HTML)).text)
        assert token is not None
        assert (await http.post("/werk/actie", data={})).status_code == 403
        assert (await http.post("/werk/actie", data={CSRF_FIELD: "geraden"})).status_code == 403
        assert (await http.post("/werk/actie", data={CSRF_FIELD: token.group(1)})).status_code == 200
        # A post from another site's page (the browser names its origin) is refused by the gate.
        other_site = await http.post(
            "/werk/actie", data={CSRF_FIELD: token.group(1)}, headers={"Origin": "https://kwaad.example"}
        )
        assert other_site.status_code == 403
        own_site = await http.post(
            "/werk/actie", data={CSRF_FIELD: token.group(1)}, headers={"Origin": "http://werk.test"}
        )
        assert own_site.status_code == 200
    async with client(app) as http:
        # A bearer caller needs no CSRF token: another site cannot make a browser send that header.
        bearer = {"Authorization": f"Bearer {control.dev_token()}"}
        assert (await http.post("/werk/actie", data={}, headers=bearer)).status_code == 200
        # The development sign-in form itself carries one too.
        await http.get("/aanmelden", headers=HTML)
        assert (await http.post("/aanmelden", data={"rol": "admin"})).status_code == 403
        assert "set-cookie" not in (await http.post("/aanmelden", data={"rol": "admin"})).headers


async def test_signing_out_ends_the_session(settings: PlatformSettings) -> None:
    app, _control = staff_app(settings)
    async with client(app) as http:
        await sign_in_as(http, "handler")
        page = await http.get("/afmelden", headers=HTML)
        assert page.status_code == 200
        assert (await http.post("/afmelden", data={})).status_code == 403  # without the CSRF token
        out = await http.post("/afmelden", data={CSRF_FIELD: hidden(page.text, CSRF_FIELD)})
        assert out.status_code == 303
        assert 'klachtstroom_sessie_test=""' in out.headers["set-cookie"]
        assert (await http.get("/werk", headers=HTML)).status_code == 303


async def test_the_development_sign_in_page_exists_only_with_the_development_issuer(tmp_path: Path) -> None:
    settings = PlatformSettings(
        data_dir=tmp_path, oidc_issuer=ISSUER, oidc_signin_client_id="klachtstroom-staff"
    )
    app, control = staff_app(settings)
    assert isinstance(control.verifier, OidcVerifier)
    control.verifier._metadata = {
        "issuer": ISSUER,
        "authorization_endpoint": f"{ISSUER}/protocol/openid-connect/auth",
        "token_endpoint": f"{ISSUER}/protocol/openid-connect/token",
        "jwks_uri": f"{ISSUER}/protocol/openid-connect/certs",
    }
    async with client(app) as http:
        assert (await http.post("/aanmelden", data={"rol": "admin"})).status_code == 404
        to_issuer = await http.get("/aanmelden?volgende=/werk", headers=HTML)
        assert to_issuer.status_code == 303
        location = urlsplit(to_issuer.headers["location"])
        query = {k: v[0] for k, v in parse_qs(location.query).items()}
        endpoint = f"{location.scheme}://{location.netloc}{location.path}"
        assert endpoint == f"{ISSUER}/protocol/openid-connect/auth"
        assert query["response_type"] == "code" and query["client_id"] == "klachtstroom-staff"
        assert query["redirect_uri"] == "http://werk.test/aanmelden/terug"
        assert query["code_challenge_method"] == "S256" and len(query["code_challenge"]) == 43
        assert query["state"] and query["nonce"] and "openid" in query["scope"].split()
        assert "klachtstroom_aanmelden_test=" in to_issuer.headers["set-cookie"]
        # The callback refuses a state it did not hand out (a forged or replayed sign-in).
        forged = await http.get("/aanmelden/terug", params={"code": "x", "state": "niet-van-ons"})
        assert forged.status_code == 400 and "set-cookie" not in forged.headers


@pytest.mark.parametrize(
    ("wanted", "safe"),
    [("/werk?a=1", "/werk?a=1"), ("//kwaad.example/", "/"), ("https://kwaad.example", "/"), (None, "/"),
     ("/\\kwaad.example", "/"), ("/a\r\nSet-Cookie: x", "/")],
)  # fmt: skip
def test_after_signing_in_only_a_page_of_this_service(wanted: Any, safe: str) -> None:
    assert safe_next(wanted) == safe


def test_replicas_share_the_configured_session_key_and_an_empty_one_is_not_a_key(tmp_path: Path) -> None:
    from klachtstroom.platform.auth.signin import session_key

    configured = PlatformSettings(data_dir=tmp_path / "a", session_secret="gedeeld geheim van de replica's")
    assert session_key(configured) == session_key(configured.model_copy(update={"data_dir": tmp_path / "b"}))
    empty = PlatformSettings(data_dir=tmp_path / "c", session_secret="")
    created = session_key(empty)
    assert len(created) == 32 and created == (tmp_path / "c" / "auth" / "session.key").read_bytes()
