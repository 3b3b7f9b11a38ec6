"""The triage model trained at install: a service start loads it instead of training (issue 21).

Each test points the engine at its own install-time file and clears the per-process default
model, so nothing depends on whether this checkout ran ``make install``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from intake_harness import start_intake

from klachtstroom.intake.triage import TriageEngine, engine
from klachtstroom.intake.triage.install import install
from klachtstroom.intake.triage.model import TriageModel
from klachtstroom.intake.triage.train import (
    TrainedModel,
    fingerprint,
    installed_fingerprint,
    load_model,
    save_model,
)

TEXT = "De consulent schreeuwde tegen mij aan de balie en luisterde niet."


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One install-time model for the module (training takes seconds)."""
    path = tmp_path_factory.mktemp("install") / "installed-model.pickle"
    trained, now = install(path)
    assert now and trained.fingerprint == installed_fingerprint()
    return path


@pytest.fixture
def no_training(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Training at start raises; the list counts the attempts."""
    attempts: list[int] = []

    def train(*_args: object) -> TriageModel:
        attempts.append(1)
        raise AssertionError("the service trained at its start")

    monkeypatch.setattr(engine, "train", train)
    monkeypatch.setattr(engine, "_default", {})  # a fresh process: no default model yet
    return attempts


def use_installed(monkeypatch: pytest.MonkeyPatch, path: Path) -> None:
    monkeypatch.setattr(engine, "INSTALLED_MODEL", path)


def test_the_engine_loads_the_install_time_model_without_training(
    installed: Path, no_training: list[int], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    use_installed(monkeypatch, installed)
    started = TriageEngine(tmp_path)
    result = started.triage(TEXT)
    assert no_training == [] and started.origin == "installed"
    assert (result.kind.value, result.category.value) == ("complaint", "conduct")
    assert started.trained is None  # "trained" stays what a retraining with corrections made
    assert TriageEngine(tmp_path).model() is started.model()  # once per process


def test_install_keeps_an_up_to_date_model_and_replaces_a_stale_one(
    installed: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "installed-model.pickle"
    path.write_bytes(installed.read_bytes())
    assert installed.stat().st_mode & 0o777 == 0o644  # the service user reads it, the venv's owner writes it
    kept, now = install(path)
    assert not now and kept.fingerprint == installed_fingerprint()

    stale = replace(kept, fingerprint=fingerprint() + ":code-" + "0" * 16)  # other code or libraries
    save_model(path, stale)
    monkeypatch.setattr("klachtstroom.intake.triage.install.train", lambda: kept.model)
    renewed, now = install(path)
    assert now and renewed.fingerprint == installed_fingerprint()
    reloaded = load_model(path)
    assert reloaded is not None and reloaded.fingerprint == installed_fingerprint()


def test_a_stale_install_time_model_is_ignored_and_the_start_trains_with_one_warning(
    installed: Path,
    no_training: list[int],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    current = load_model(installed)
    assert current is not None
    stale_path = tmp_path / "stale.pickle"
    # trained from the same sets by other triage code (or other libraries): never used
    save_model(stale_path, replace(current, fingerprint=fingerprint() + ":code-" + "0" * 16), mode=0o644)
    use_installed(monkeypatch, stale_path)
    with caplog.at_level(logging.WARNING, logger=engine.__name__), pytest.raises(AssertionError):
        TriageEngine(tmp_path / "data").model()
    assert no_training == [1]

    trained_here = load_model(installed)
    assert trained_here is not None
    monkeypatch.setattr(engine, "train", lambda: trained_here.model)
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger=engine.__name__):
        first = TriageEngine(tmp_path / "data")
        first.model()
        TriageEngine(tmp_path / "data").model()
    assert first.origin == "trained_at_start" and first.model() is trained_here.model
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "out of date" in warnings[0]  # once per process


def test_without_an_install_time_model_the_start_trains_and_says_the_install_step_was_skipped(
    installed: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    model = load_model(installed)
    assert model is not None
    monkeypatch.setattr(engine, "_default", {})
    monkeypatch.setattr(engine, "train", lambda: model.model)
    use_installed(monkeypatch, tmp_path / "absent.pickle")
    with caplog.at_level(logging.WARNING, logger=engine.__name__):
        started = TriageEngine(tmp_path)
        started.model()
    assert started.origin == "trained_at_start"
    [warning] = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert "no usable model trained at install" in warning and "make install" in warning


def test_a_retrained_model_in_the_data_dir_still_wins(
    installed: Path, no_training: list[int], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    use_installed(monkeypatch, installed)
    base = load_model(installed)
    assert base is not None
    retrained = TrainedModel(
        model=base.model,
        fingerprint=fingerprint() + ":" + fingerprint(),
        corrections=2,
        trained_at="2026-12-01T09:00:00+00:00",
        correction_ids=(7, 8),
    )
    save_model(tmp_path / engine.MODEL_FILE, retrained)
    started = TriageEngine(tmp_path)
    started.model()
    assert no_training == [] and started.origin == "retrained"
    assert started.trained is not None and started.trained.correction_ids == (7, 8)


@pytest.fixture
def intake_client(
    installed: Path, no_training: list[int], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[TestClient]:
    use_installed(monkeypatch, installed)
    service, app = start_intake(tmp_path)
    with TestClient(app, headers=service.access.dev_headers()) as client:
        yield client


def test_the_model_status_says_where_the_model_in_use_came_from(intake_client: TestClient) -> None:
    assert intake_client.post("/api/v1/triage", json={"text": TEXT}).status_code == 200
    status = intake_client.get("/api/v1/triage/model").json()
    assert status["origin"] == "installed"
    assert (status["trained_at"], status["fingerprint"], status["corrections"]) == (None, None, 0)
