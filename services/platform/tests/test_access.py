"""Access control: tokens of the development issuer and of an OIDC issuer, the gate's answers.

The gate runs in front of a small app with rules of its own, over real HTTP-in-process (ASGI);
the OIDC issuer is a real HTTP server publishing a discovery document and a JWKS, whose keys
are rotated in the middle of a test.
"""

from __future__ import annotations

import json
import os
import subprocess
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import FastAPI, Request

from klachtstroom.platform.auth import access_of
from klachtstroom.platform.auth.callers import Role
from klachtstroom.platform.auth.control import AccessControl, DevelopmentIssuerRefused
from klachtstroom.platform.auth.development import DevelopmentIssuer, _load_or_create
from klachtstroom.platform.auth.gate import AccessGate
from klachtstroom.platform.auth.rules import allow, public
from klachtstroom.platform.auth.verification import DevelopmentVerifier, InvalidToken, OidcVerifier
from klachtstroom.platform.settings import PlatformSettings

ROOT = Path(__file__).resolve().parents[3]
RULES = (
    public("GET", "/open"),
    allow("GET", "/cases/{case_id}", {Role.handler, Role.provider}),
    allow("GET", "/providers/{name}/report", {Role.provider, Role.coordinator}, provider_param="name"),
)


def gated_app(verifier: Any) -> FastAPI:
    app = FastAPI()

    @app.get("/open")
    async def open_route() -> dict[str, str]:
        return {"ok": "yes"}

    @app.get("/cases/{case_id}")
    async def case(case_id: str, request: Request) -> dict[str, Any]:
        access = access_of(request)
        return {"who": access.name, "granted": sorted(access.granted)}

    @app.get("/providers/{name}/report")
    async def report(name: str) -> dict[str, str]:
        return {"provider": name}

    @app.get("/unlisted")
    async def unlisted() -> dict[str, str]:
        return {"leak": "yes"}

    app.add_middleware(AccessGate, rules=RULES, verifier=verifier)
    return app


@pytest.fixture
def issuer(tmp_path: Path) -> DevelopmentIssuer:
    return DevelopmentIssuer(tmp_path, "klachtstroom")


async def call(verifier: Any, path: str, token: str | None = None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    transport = httpx.ASGITransport(app=gated_app(verifier))
    async with httpx.AsyncClient(transport=transport, base_url="http://svc") as client:
        return await client.get(path, headers=headers)


async def test_the_gate_answers_401_403_404_and_lets_the_right_role_through(
    issuer: DevelopmentIssuer,
) -> None:
    verifier = DevelopmentVerifier(issuer, leeway_seconds=30)
    anonymous = await call(verifier, "/cases/1")
    assert anonymous.status_code == 401 and anonymous.headers["www-authenticate"] == "Bearer"
    assert anonymous.headers["content-type"] == "application/problem+json"
    assert (await call(verifier, "/open")).status_code == 200

    handler = issuer.mint([Role.handler], subject="h1", name="Anna de Vries", municipalities=["Utrecht"])
    allowed = await call(verifier, "/cases/1", handler)
    assert allowed.status_code == 200 and allowed.json() == {"who": "Anna de Vries", "granted": ["handler"]}

    college = issuer.mint([Role.college], subject="c1")
    assert (await call(verifier, "/cases/1", college)).status_code == 403

    # Deny by default: a route the table does not name answers no one, whatever the role.
    assert (await call(verifier, "/unlisted", issuer.dev_token())).status_code == 403
    assert (await call(verifier, "/unlisted")).status_code == 401

    zorg = issuer.mint([Role.provider], subject="p1", provider="Zorg Plus")
    assert (await call(verifier, "/providers/Zorg Plus/report", zorg)).status_code == 200
    assert (await call(verifier, "/providers/Andere Zorg/report", zorg)).status_code == 404
    coordinator = issuer.mint([Role.coordinator], subject="k1")
    assert (await call(verifier, "/providers/Andere Zorg/report", coordinator)).status_code == 200


async def test_tokens_that_do_not_hold_are_refused(issuer: DevelopmentIssuer, tmp_path: Path) -> None:
    verifier = DevelopmentVerifier(issuer, leeway_seconds=30)
    now = time.time()
    expired = issuer.mint([Role.handler], subject="h", seconds=60, now=now - 120)
    slightly_expired = issuer.mint([Role.handler], subject="h", seconds=60, now=now - 75)  # within skew
    other_key = DevelopmentIssuer(tmp_path / "elsewhere", "klachtstroom").mint([Role.handler], subject="h")
    other_audience = DevelopmentIssuer(tmp_path, "another-app").mint([Role.handler], subject="h")
    future = jwt.encode(
        {
            "iss": issuer.issuer, "aud": "klachtstroom", "sub": "h", "roles": ["handler"],
            "iat": int(now), "nbf": int(now) + 600, "exp": int(now) + 1200,
        },
        issuer.private_key, algorithm="RS256", headers={"kid": issuer.key_id},
    )  # fmt: skip
    unsigned = jwt.encode({"iss": issuer.issuer, "aud": "klachtstroom", "sub": "h"}, None, algorithm="none")
    for token in (expired, other_key, other_audience, future, unsigned, "not-a-jwt"):
        refused = await call(verifier, "/cases/1", token)
        assert refused.status_code == 401, token
        assert refused.headers["www-authenticate"] == 'Bearer error="invalid_token"'
    assert (await call(verifier, "/cases/1", slightly_expired)).status_code == 200


def test_production_refuses_the_development_issuer_unless_allowed(tmp_path: Path) -> None:
    with pytest.raises(DevelopmentIssuerRefused):
        AccessControl("intake", PlatformSettings(data_dir=tmp_path, environment="production"))
    allowed = PlatformSettings(data_dir=tmp_path, environment="production", allow_development_issuer=True)
    assert AccessControl("intake", allowed).development is not None
    real = PlatformSettings(data_dir=tmp_path, environment="production", oidc_issuer="https://id.example.nl")
    assert AccessControl("intake", real).development is None


def test_services_starting_together_share_one_key(tmp_path: Path) -> None:
    path = tmp_path / "auth" / "key.pem"
    with ThreadPoolExecutor(8) as pool:
        keys = list(pool.map(lambda _: _load_or_create(path), range(8)))
    numbers = {key.private_numbers().d for key in keys}
    assert len(numbers) == 1
    assert path.stat().st_mode & 0o777 == 0o600
    assert [p.name for p in path.parent.iterdir()] == ["key.pem"]  # no temporary files left


async def test_make_token_prints_only_a_token_of_that_role(tmp_path: Path) -> None:
    env = {**os.environ, "KLACHTSTROOM_DATA_DIR": str(tmp_path / "fresh")}
    env.pop("KLACHTSTROOM_OIDC_ISSUER", None)
    made = subprocess.run(
        ["make", "-s", "token", "ROLE=kcc", "MUNICIPALITY=Utrecht", "NAME=Jan Jansen"],
        cwd=ROOT, env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    token = made.stdout.strip()
    assert made.stdout == token + "\n"
    verifier = DevelopmentVerifier(DevelopmentIssuer(tmp_path / "fresh", "klachtstroom"), 30)
    caller = await verifier.verify(token)
    assert caller.roles == {Role.kcc} and caller.municipalities == {"Utrecht"} and caller.name == "Jan Jansen"
    refused = subprocess.run(
        ["make", "-s", "token", "ROLE=kcc"], cwd=ROOT, capture_output=True, text=True,
        env={**env, "KLACHTSTROOM_OIDC_ISSUER": "https://id.example.nl"},
    )  # fmt: skip
    assert refused.returncode != 0 and refused.stdout == ""


class _Issuer(BaseHTTPRequestHandler):
    """A real HTTP OIDC issuer: discovery document and JWKS (keys can be rotated)."""

    keys: ClassVar[list[tuple[str, rsa.RSAPrivateKey]]] = []
    base: ClassVar[str] = ""
    jwks_fetches: ClassVar[int] = 0

    def do_GET(self) -> None:
        if self.path == "/.well-known/openid-configuration":
            body: dict[str, Any] = {
                "issuer": self.base,
                "jwks_uri": f"{self.base}/jwks",
                "token_endpoint": f"{self.base}/token",
            }
        elif self.path == "/jwks":
            type(self).jwks_fetches += 1
            body = {"keys": [_jwk(kid, key) for kid, key in self.keys]}
        else:
            self.send_error(404)
            return
        raw = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def log_message(self, *_args: Any) -> None:
        pass


def _jwk(kid: str, key: rsa.RSAPrivateKey) -> dict[str, Any]:
    jwk: dict[str, Any] = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    return jwk | {"kid": kid, "use": "sig", "alg": "RS256"}


@pytest.fixture
def oidc_issuer() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Issuer)
    _Issuer.base = f"http://127.0.0.1:{server.server_address[1]}"
    _Issuer.keys = [("k1", rsa.generate_private_key(public_exponent=65537, key_size=2048))]
    _Issuer.jwks_fetches = 0
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield _Issuer.base
    finally:
        server.shutdown()


def _issued(base: str, kid: str, key: rsa.RSAPrivateKey, **claims: Any) -> str:
    now = int(time.time())
    body = {"iss": base, "aud": "klachtstroom", "sub": "s", "iat": now, "exp": now + 300, "roles": ["kcc"]}
    return jwt.encode(body | claims, key, algorithm="RS256", headers={"kid": kid})


async def test_oidc_tokens_are_checked_against_the_issuers_keys_and_rotation_is_followed(
    oidc_issuer: str,
) -> None:
    verifier = OidcVerifier(oidc_issuer, "klachtstroom", leeway_seconds=30, refetch_cooldown_seconds=0)
    kid, key = _Issuer.keys[0]
    caller = await verifier.verify(_issued(oidc_issuer, kid, key, name="Piet", municipalities=["*"]))
    assert caller.name == "Piet" and caller.roles == {Role.kcc}
    with pytest.raises(InvalidToken):
        await verifier.verify(_issued(oidc_issuer, kid, key, aud="account"))
    with pytest.raises(InvalidToken):
        await verifier.verify(_issued("https://another.example", kid, key))
    with pytest.raises(InvalidToken):  # signed by a key the issuer never published
        stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        await verifier.verify(_issued(oidc_issuer, kid, stranger))

    # The issuer rotates its key: a token with the new key id makes the verifier fetch the JWKS again.
    fetched = _Issuer.jwks_fetches
    _Issuer.keys = [("k2", rsa.generate_private_key(public_exponent=65537, key_size=2048))]
    new_kid, new_key = _Issuer.keys[0]
    assert (await verifier.verify(_issued(oidc_issuer, new_kid, new_key, sub="after"))).subject == "after"
    assert _Issuer.jwks_fetches > fetched
