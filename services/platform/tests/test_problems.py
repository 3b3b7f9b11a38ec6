"""Errors from one place: problem+json with Dutch texts, API-Version on every answer, body limits."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel, Field
from sqlalchemy import MetaData

from klachtstroom.platform.auth import Role
from klachtstroom.platform.auth.rules import allow
from klachtstroom.platform.problems import PROBLEM_JSON, Problem
from klachtstroom.platform.service import Service
from klachtstroom.platform.settings import PlatformSettings
from klachtstroom.platform.tables import define_platform_tables

MIGRATIONS = Path(__file__).parent / "migrations"
PLANTED = "Jantje Geheimpersoon"
JSON = {"content-type": "application/json"}

router = APIRouter(prefix="/api/v1")


class Person(BaseModel):
    name: str = Field(max_length=20)
    age: int = Field(ge=0)


@router.post("/people")
async def add_person(person: Person) -> dict[str, str]:
    return {"name": person.name}


@router.post("/people/{name}/close")
async def close(name: str) -> None:
    raise Problem(409, detail="Deze persoon is al gesloten.")


@router.get("/old-style")
async def old_style() -> None:
    raise HTTPException(404, detail="Deze klacht kennen we niet.")


@router.get("/broken")
async def broken() -> None:
    raise RuntimeError(f"could not store {PLANTED} at 06-12345678")


@router.post("/upload", max_body_size=3 * 1024 * 1024)
async def upload(body: dict[str, Any]) -> dict[str, int]:
    return {"keys": len(body)}


@pytest.fixture
async def client(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    metadata = MetaData()
    service = Service(
        "probe", metadata, define_platform_tables(metadata), MIGRATIONS, PlatformSettings(data_dir=tmp_path)
    )
    # The probe's routes, for any signed-in caller (access control: klachtstroom.platform.auth).
    routes = [
        ("POST", "/api/v1/people"),
        ("POST", "/api/v1/people/{name}/close"),
        ("GET", "/api/v1/old-style"),
        ("GET", "/api/v1/broken"),
        ("POST", "/api/v1/upload"),
        ("POST", "/api/v1/notes"),
        ("GET", "/api/v1/search"),
    ]
    service.access.rules = (*service.access.rules, *(allow(m, p, set(Role)) for m, p in routes))
    app = service.create_app("probe", [router])
    await asyncio.to_thread(service.migrate)  # the platform's tables, the audit trail among them
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    headers = service.access.dev_headers()
    async with httpx.AsyncClient(transport=transport, base_url="http://probe", headers=headers) as client:
        yield client


def assert_problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status
    assert response.headers["content-type"] == PROBLEM_JSON
    assert response.headers["api-version"] == "1.0.0"
    body: dict[str, Any] = response.json()
    assert {"type", "title", "status", "detail", "instance"} <= body.keys()
    assert body["status"] == status and body["type"].startswith("https://")
    return body


async def test_every_answer_has_an_api_version(client: httpx.AsyncClient) -> None:
    assert (await client.get("/healthz")).headers["api-version"] == "1.0.0"
    created = await client.post("/api/v1/people", json={"name": "a", "age": 1})
    assert created.status_code == 200 and created.headers["api-version"] == "1.0.0"


async def test_unknown_route_and_wrong_method_are_problems_in_dutch(client: httpx.AsyncClient) -> None:
    missing = assert_problem(await client.get("/api/v1/nothing-here?email=a@b.nl"), 404)
    assert missing["title"] == "Niet gevonden" and missing["instance"] == "/api/v1/nothing-here"
    wrong = assert_problem(await client.delete("/api/v1/people"), 405)
    assert wrong["title"] == "Methode niet toegestaan"


async def test_validation_errors_name_each_field_without_echoing_input(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/v1/people", json={"name": PLANTED * 2, "age": -1})
    body = assert_problem(response, 422)
    assert body["title"] == "Ongeldige invoer"
    fields = {e["field"]: e["message"] for e in body["errors"]}
    assert fields == {
        "name": "Deze tekst is te lang: hoogstens 20 tekens.",
        "age": "De waarde moet minstens 0 zijn.",
    }
    assert PLANTED not in response.text
    missing = assert_problem(await client.post("/api/v1/people", json={}), 422)
    assert {e["field"] for e in missing["errors"]} == {"name", "age"}
    garbage = assert_problem(await client.post("/api/v1/people", content=b"{nope", headers=JSON), 422)
    assert garbage["errors"][0]["message"] == "De inhoud is geen geldige JSON."


async def test_a_raised_problem_and_an_old_style_exception_become_problems(client: httpx.AsyncClient) -> None:
    conflict = assert_problem(await client.post("/api/v1/people/x/close"), 409)
    assert conflict["detail"] == "Deze persoon is al gesloten."
    old = assert_problem(await client.get("/api/v1/old-style"), 404)
    assert old["detail"] == "Deze klacht kennen we niet."


async def test_a_500_has_a_trace_id_and_leaks_nothing(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO):
        response = await client.get("/api/v1/broken")
    body = assert_problem(response, 500)
    assert "trace_id" in body and body["title"] == "Interne fout"
    assert PLANTED not in response.text and "12345678" not in response.text
    logged = "\n".join(r.getMessage() + str(r.exc_info or "") for r in caplog.records)
    assert "RuntimeError" in logged and "broken" in logged
    assert PLANTED not in logged and "12345678" not in logged


async def test_json_bodies_over_one_megabyte_are_refused_also_when_chunked(client: httpx.AsyncClient) -> None:
    big = b'{"name": "' + b"x" * (1024 * 1024) + b'", "age": 1}'
    declared = assert_problem(
        await client.post("/api/v1/people", content=big, headers={"content-type": "application/json"}), 413
    )
    assert declared["title"] == "Verzoek te groot"
    received = 0

    async def chunks() -> AsyncIterator[bytes]:
        nonlocal received
        for start in range(0, len(big), 64 * 1024):
            received += 1
            yield big[start : start + 64 * 1024]

    chunked = await client.post("/api/v1/people", content=chunks(), headers=JSON)
    assert_problem(chunked, 413)
    # A route may allow more (the form's attachments, an import), and only that route.
    allowed = await client.post("/api/v1/upload", content=big.replace(b'"age"', b'"n"'),
                                headers={"content-type": "application/json"})  # fmt: skip
    assert allowed.status_code == 200


async def test_the_openapi_document_names_problem_answers(client: httpx.AsyncClient) -> None:
    document = (await client.get("/openapi.json")).json()
    responses = document["paths"]["/api/v1/people"]["post"]["responses"]
    for status in ("400", "401", "403", "404", "409", "413", "422"):
        schema = responses[status]["content"][PROBLEM_JSON]["schema"]
        assert schema == {"$ref": "#/components/schemas/ProblemDetails"}
    assert "HTTPValidationError" not in document["components"]["schemas"]


@router.post("/notes")
async def note(request: Request) -> dict[str, int]:
    form = await request.form()
    return {"fields": len(form)}


@router.get("/search")
async def search(q: str = "") -> dict[str, int]:
    return {"length": len(q)}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (b'{"name": "Jan\\ud800", "age": 1}', "name"),
        (b'{"name": "Jan\\u0000", "age": 1}', "name"),
        (b'{"name": "Jan", "age": 1, "extra": [{"x": "\\udfff"}]}', "extra.0.x"),
        ('{"name": "Jan\udcff", "age": 1}'.encode("utf-8", "surrogateescape"), "body"),  # invalid UTF-8
    ],
)
async def test_unstorable_text_in_json_is_a_422_naming_the_field(
    client: httpx.AsyncClient, body: bytes, field: str
) -> None:
    response = await client.post("/api/v1/people", content=body, headers=JSON)
    problem = assert_problem(response, 422)
    assert [e["field"] for e in problem["errors"]] == [field]
    assert "Jan" not in response.text


async def test_a_surrogate_pair_is_fine(client: httpx.AsyncClient) -> None:
    pair = b'{"name": "Jan \\ud83d\\ude00", "age": 1}'
    response = await client.post("/api/v1/people", content=pair, headers=JSON)
    assert response.status_code == 200 and response.json() == {"name": "Jan \U0001f600"}


@pytest.mark.parametrize("query", ["q=a%00b", "q=%ED%A0%80", "q=%FF", "q=ok&q%00=x"])
async def test_unstorable_text_in_the_query_or_path_is_a_422(client: httpx.AsyncClient, query: str) -> None:
    assert_problem(await client.get(f"/api/v1/search?{query}"), 422)
    assert (await client.get("/api/v1/search?q=caf%C3%A9")).json() == {"length": 4}
    assert_problem(await client.get("/api/v1/people/a%00b/close"), 422)
    urlencoded = {"content-type": "application/x-www-form-urlencoded"}
    form = await client.post("/api/v1/notes", content=b"a=%00", headers=urlencoded)
    assert_problem(form, 422)
