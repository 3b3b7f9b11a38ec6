"""The real identity provider: Keycloak issues the tokens, the services verify them.

Keycloak's server distribution (deploy/keycloak/keycloak_server.py, the `keycloak` fixture) runs
with the realm deploy/keycloak/realm-klachtstroom.json; intake and routing run over a real Kafka
with `KLACHTSTROOM_OIDC_ISSUER` pointing at that realm. A staff member signs in through the
authorization-code flow (PKCE) with a password at Keycloak's login form and lands on the case
worker's page; a machine client gets a token with client credentials and registers a complaint;
tokens of another realm, or of the same realm meant for another application, are refused.
"""

from __future__ import annotations

import html
import re
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from e2e import make_stack, started_stack
from keycloak_server import Keycloak
from stack import Stack

STAFF = ("behandelaar", "behandelaar-wachtwoord")
MACHINE = ("klachtstroom-machine", "klachtstroom-machine-development-secret")
OTHER_APP = ("andere-toepassing", "andere-toepassing-development-secret")
OTHER_REALM = ("elders", "klachtstroom-machine", "elders-machine-development-secret")
COMPLAINT = {"channel": "phone", "description": "Mijn aanvraag is kwijtgeraakt.", "unit": "Inkomen"}


@pytest.fixture(scope="module")
def oidc_stack(
    own_kafka: Any, keycloak: Keycloak, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Stack]:
    running = make_stack(
        tmp_path_factory.mktemp("oidc-stack"),
        own_kafka,
        KLACHTSTROOM_OIDC_ISSUER=keycloak.issuer,
        KLACHTSTROOM_OIDC_AUDIENCE="klachtstroom",
        KLACHTSTROOM_OIDC_CLIENT_ID=MACHINE[0],
        KLACHTSTROOM_OIDC_CLIENT_SECRET=MACHINE[1],
        KLACHTSTROOM_OIDC_SIGNIN_CLIENT_ID="klachtstroom-staff",
        KLACHTSTROOM_OIDC_SIGNIN_CLIENT_SECRET="klachtstroom-staff-development-secret",
    )
    with started_stack(running) as started:
        assert not (started.data_dir / "dev-token").exists()  # a real issuer: no development tokens
        yield started


def loopback_is_a_secure_context(browser: httpx.Client) -> None:
    """As browsers do, treat http://127.0.0.1 as a secure context: Keycloak marks its login
    cookies Secure (SameSite=None) even over plain HTTP, and a browser sends them back there."""

    def keep_secure_cookies(_response: httpx.Response) -> None:
        for cookie in browser.cookies.jar:
            if cookie.domain == "127.0.0.1":
                cookie.secure = False

    browser.event_hooks["response"] = [keep_secure_cookies]


def client_credentials(keycloak: Keycloak, client: tuple[str, str], realm: str = "klachtstroom") -> str:
    response = httpx.post(
        f"{keycloak.realm_issuer(realm)}/protocol/openid-connect/token",
        data={"grant_type": "client_credentials"},
        auth=client,
        timeout=30,
    )
    response.raise_for_status()
    token: str = response.json()["access_token"]
    return token


def test_a_staff_member_signs_in_at_keycloak_and_reaches_the_case_workers_page(
    oidc_stack: Stack, keycloak: Keycloak
) -> None:
    began = time.monotonic()
    routing = oidc_stack.services["routing"].url
    browser = httpx.Client(follow_redirects=True, timeout=30, headers={"Accept": "text/html"})
    loopback_is_a_secure_context(browser)
    with browser:
        # Without a session the case worker's page sends the browser to sign in, and on to Keycloak.
        login = browser.get(f"{routing}/")
        assert login.status_code == 200
        assert str(login.url).startswith(f"{keycloak.issuer}/protocol/openid-connect/auth")
        assert "code_challenge_method=S256" in str(login.history[-1].headers["location"])
        action = re.search(r'<form[^>]*id="kc-form-login"[^>]*action="([^"]+)"', login.text)
        assert action, login.text[:2000]

        # The login form: name and password, then back to our callback, then to the page asked for.
        page = browser.post(html.unescape(action.group(1)), data={"username": STAFF[0], "password": STAFF[1]})
        assert page.status_code == 200, page.text[:2000]
        assert str(page.url) == f"{routing}/"
        assert "Werkvoorraad" in page.text
        (callback,) = [r for r in page.history if str(r.url).startswith(f"{routing}/aanmelden/terug?")]
        cookie = callback.headers.get_list("set-cookie")[0]
        assert cookie.startswith("klachtstroom_sessie_routing=")
        assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" not in cookie  # plain HTTP

        # The session stands in for the bearer token on the pages, not for another service's.
        assert browser.get(f"{routing}/", follow_redirects=False).status_code == 200
        intake = oidc_stack.services["intake"].url
        assert browser.get(f"{intake}/kcc", follow_redirects=False).status_code == 303

        # Signing out ends it: the page asks to sign in again.
        form = browser.get(f"{routing}/afmelden")
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
        assert csrf
        out = browser.post(f"{routing}/afmelden", data={"csrf_token": csrf.group(1)}, follow_redirects=False)
        assert out.status_code == 303 and out.headers["location"].startswith(keycloak.issuer)
        again = browser.get(f"{routing}/", follow_redirects=False)
        assert again.status_code == 303 and again.headers["location"].startswith("/aanmelden")
    print(f"sign-in through Keycloak took {time.monotonic() - began:.2f}s")


def test_a_machine_client_registers_a_complaint_with_client_credentials(
    oidc_stack: Stack, keycloak: Keycloak
) -> None:
    token = client_credentials(keycloak, MACHINE)
    intake = oidc_stack.services["intake"].url
    bearer = {"Authorization": f"Bearer {token}"}
    posted = httpx.post(f"{intake}/api/v1/complaints", json=COMPLAINT, headers=bearer, timeout=30)
    assert posted.status_code == 202, posted.text
    assert posted.json()["id"] and posted.json()["reference"]


def test_tokens_of_another_realm_or_for_another_application_are_refused(
    oidc_stack: Stack, keycloak: Keycloak
) -> None:
    intake = oidc_stack.services["intake"].url
    other_realm = client_credentials(keycloak, OTHER_REALM[1:], realm=OTHER_REALM[0])
    other_app = client_credentials(keycloak, OTHER_APP)
    for token in (other_realm, other_app):
        bearer = {"Authorization": f"Bearer {token}"}
        refused = httpx.post(f"{intake}/api/v1/complaints", json=COMPLAINT, headers=bearer, timeout=30)
        assert refused.status_code == 401, refused.text
        assert refused.headers["www-authenticate"] == 'Bearer error="invalid_token"'
