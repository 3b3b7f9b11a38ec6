"""References (KL-2026-000042): unique under concurrent registrations, on SQLite and PostgreSQL.

On PostgreSQL the year's counter is taken in a short transaction of its own, so registrations
do not queue behind one another's whole transaction; the price is a gap when a registration
fails after taking its number. On SQLite the counter stays in the registration (no gap).
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from intake_harness import start_intake

import klachtstroom.intake.registration as registration

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT / "tests"))

from postgres import backends, use_backend  # type: ignore[import-not-found]  # noqa: E402


@pytest.fixture(params=backends())
def backend(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    use_backend(request.param, "intake", monkeypatch)
    yield request.param


def _number(reference: str) -> int:
    found = re.fullmatch(r"KL-2026-(\d{6})", reference)
    assert found, reference
    return int(found.group(1))


def _complaint(i: int) -> dict[str, object]:
    return {
        "channel": "web_form",
        "description": f"Klacht nummer {i} over de late betaling.",
        "received_at": "2026-03-03",
    }


def test_concurrent_registrations_get_consecutive_unique_references(backend: str, tmp_path: Path) -> None:
    service, app = start_intake(tmp_path)
    with TestClient(app, headers=service.access.dev_headers()) as client, ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda i: client.post("/api/v1/complaints", json=_complaint(i)), range(24)))
    assert [a.status_code for a in answers] == [202] * 24
    assert sorted(_number(a.json()["reference"]) for a in answers) == list(range(1, 25))


def test_a_failed_registration_costs_a_number_only_on_postgresql(
    backend: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    service, app = start_intake(tmp_path)
    following = registration.start_following
    fail = {"next": False}

    async def failing_once(*args: object, **kwargs: object) -> object:
        if fail["next"]:
            fail["next"] = False
            raise RuntimeError("the database went away halfway")
        return await following(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(registration, "start_following", failing_once)
    with TestClient(app, headers=service.access.dev_headers(), raise_server_exceptions=False) as client:
        first = client.post("/api/v1/complaints", json=_complaint(1))
        fail["next"] = True
        failed = client.post("/api/v1/complaints", json=_complaint(2))
        last = client.post("/api/v1/complaints", json=_complaint(3))
    assert failed.status_code == 500
    assert _number(first.json()["reference"]) == 1
    assert _number(last.json()["reference"]) == (3 if backend == "postgres" else 2)
