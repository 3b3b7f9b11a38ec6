"""Every route of every service, for every role: allowed, 403, 401, or 404 outside the scope.

Walks the routes each service's app really answers (its OpenAPI routes, the HTML pages and the
mounts), fails on any route the rules table (klachtstroom.platform.auth.rules) does not name,
then calls each one in-process (ASGI, no Kafka needed) without a token and with a token of each
role, and checks the answer against the table. docs/access.md must hold the table as generated.
"""

from __future__ import annotations

import asyncio
import importlib
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.routing import compile_path

from klachtstroom.platform.auth.callers import Role
from klachtstroom.platform.auth.gate import FORBIDDEN, UNAUTHENTICATED
from klachtstroom.platform.auth.rules import ACCESS, Rule, routes_of, rules_for
from klachtstroom.platform.auth.table import generated_part, markdown
from klachtstroom.platform.settings import PlatformSettings

ROOT = Path(__file__).resolve().parent.parent
SERVICES = ("intake", "routing", "deadlines", "reporting")
PROVIDER = "Zorg Plus"
# Path parameters: a value of the right shape, so a call reaches the route (which may then 404).
SAMPLES = {"year": "2026", "period": "2026-H1", "day": "2026-12-24", "path": "form.css", "action": "assign"}


def template(path: str) -> str:
    return compile_path(path)[1]


def concrete(path: str, provider_param: str | None, provider: str = PROVIDER) -> str:
    def value(match: re.Match[str]) -> str:
        name = match.group(1).split(":")[0]
        if name == provider_param:
            return provider
        return SAMPLES.get(name, "00000000-0000-0000-0000-000000000000")

    return re.sub(r"\{([^}]+)\}", value, path)


@pytest.fixture(scope="module")
def apps(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[dict[str, tuple[Any, Any]]]:
    data_dir = tmp_path_factory.mktemp("access")
    monkey = pytest.MonkeyPatch()
    for name in SERVICES:  # peers and databases of this test only (nothing on the fixed ports)
        monkey.setenv(f"KLACHTSTROOM_{name.upper()}_URL", "http://127.0.0.1:9")
        monkey.delenv(f"KLACHTSTROOM_{name.upper()}_DATABASE_URL", raising=False)
    monkey.delenv("KLACHTSTROOM_OIDC_ISSUER", raising=False)
    built = {}
    for name in SERVICES:
        module = importlib.import_module(f"klachtstroom.{name}.app")
        settings = PlatformSettings(data_dir=data_dir, test_clock=True, kafka_bootstrap="127.0.0.1:9")
        service, app = module.create_service(settings)
        service.migrate()
        built[name] = (service, app)
    yield built
    for service, _app in built.values():
        asyncio.run(service.db.dispose())
    monkey.undo()


def test_every_route_of_every_service_is_public_or_protected(apps: dict[str, tuple[Any, Any]]) -> None:
    unlisted = []
    for name, (_service, app) in apps.items():
        declared = {(rule.method, template(rule.path)) for rule in rules_for(name)}
        unlisted += [f"{name} {m} {p}" for m, p in routes_of(app) if (m, template(p)) not in declared]
    assert unlisted == [], "routes missing from klachtstroom.platform.auth.rules: " + ", ".join(unlisted)


def test_docs_access_md_holds_the_generated_table() -> None:
    # Regenerate: .venv/bin/python -m klachtstroom.platform.auth table --write docs/access.md
    assert generated_part(ROOT / "docs" / "access.md") == markdown()


def _from_gate(response: httpx.Response) -> bool:
    """A refusal by the access gate (rather than by the route itself, e.g. a form's CSRF check)."""
    if response.status_code not in (401, 403):  # (a 404 looks the same from the gate and the route)
        return False
    try:
        kind = response.json().get("type")
    except ValueError:
        return False
    return kind in (UNAUTHENTICATED.type, FORBIDDEN.type)


def expected_for(rule: Rule, role: Role | None) -> str:
    if rule.public:
        return "allowed"
    if role is None:
        return "unsigned" if rule.signed else "401"
    assert rule.roles is not None
    return "allowed" if role in rule.roles else "403"


def answered_as(response: httpx.Response, want: str) -> bool:
    status = response.status_code
    if want == "401":
        return status == 401 and response.headers.get("www-authenticate", "").startswith("Bearer")
    if want == "403":
        return status == 403 and _from_gate(response)
    if want == "unsigned":  # the route checks its own credentials and finds none
        return status == 401
    return not _from_gate(response)  # let through (the route may still refuse a bad form or body)


async def test_each_role_gets_what_the_table_says(apps: dict[str, tuple[Any, Any]]) -> None:
    mismatches: list[str] = []
    checked = 0
    for name, (service, app) in apps.items():
        development = service.access.development
        tokens: dict[Role | None, str | None] = {None: None}
        for role in Role:
            tokens[role] = development.mint(
                [role], subject=f"test-{role.value}", provider=PROVIDER if role is Role.provider else None
            )
        present = {(m, template(p)) for m, p in routes_of(app)}
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=f"http://{name}", timeout=30) as client:
            for rule in rules_for(name):
                if (rule.method, template(rule.path)) not in present:
                    continue  # a rule for a route this service does not have (yet)
                url = concrete(rule.path, rule.provider_param)
                for role, token in tokens.items():
                    headers = {"Authorization": f"Bearer {token}"} if token else {}
                    body = None if rule.method in ("GET", "DELETE") else b"{}"
                    headers["Content-Type"] = "application/json"
                    response = await client.request(rule.method, url, headers=headers, content=body)
                    checked += 1
                    want = expected_for(rule, role)
                    if not answered_as(response, want):
                        got = response.status_code
                        mismatches.append(f"{name} {rule.method} {rule.path} as {role}: {got}, want {want}")
                if rule.provider_param and rule.roles and Role.provider in rule.roles:
                    # Another provider's resource: 404, its existence not revealed.
                    other = concrete(rule.path, rule.provider_param, provider="Andere Zorg")
                    headers = {"Authorization": f"Bearer {tokens[Role.provider]}"}
                    response = await client.request(rule.method, other, headers=headers)
                    if response.status_code != 404:
                        mismatches.append(f"{name} {rule.path} for another provider: {response.status_code}")
    assert mismatches == [], "\n".join(mismatches)
    assert checked > 500


def test_every_service_has_rules() -> None:
    assert set(ACCESS) == set(SERVICES)
