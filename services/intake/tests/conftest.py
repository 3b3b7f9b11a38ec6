"""Fixtures of intake's unit tests (the harness itself is in intake_harness.py)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

sys.path.insert(0, str(Path(__file__).parent))

from intake_harness import Intake, start_intake


@pytest.fixture
def intake(tmp_path: Path) -> Iterator[Intake]:
    service, app = start_intake(tmp_path)
    with TestClient(app, headers=service.access.dev_headers()) as client:
        yield Intake(service, app, client, tmp_path)


@pytest.fixture
def make_intake(tmp_path: Path) -> Iterator[Any]:
    """Start intake with other settings; every started instance is stopped at the end."""
    clients: list[TestClient] = []

    def make(**settings: Any) -> Intake:
        service, app = start_intake(tmp_path, **settings)
        client = TestClient(app, headers=service.access.dev_headers())
        client.__enter__()
        clients.append(client)
        return Intake(service, app, client, tmp_path)

    yield make
    for client in reversed(clients):
        client.__exit__(None, None, None)
