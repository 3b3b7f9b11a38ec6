"""The triage trained once at install: ``python -m klachtstroom.intake.triage.install``.

``deploy/install.sh`` (``make install``) and the image build (``deploy/Dockerfile``) run it, so
that no service process spends its start training (about 5 s of CPU each). It trains from the
labelled sets this package ships and writes ``INSTALLED_MODEL`` beside the package; when the
file there already has the fingerprint of these sets, this code and these libraries, it is
kept (``make install`` runs before every ``make run`` and ``make test``).
"""

from __future__ import annotations

import logging
import sys
from datetime import UTC, datetime
from pathlib import Path

from klachtstroom.intake.triage.train import (
    INSTALLED_MODEL,
    TrainedModel,
    installed_fingerprint,
    load_model,
    save_model,
    train,
)

__all__ = ["install"]


def install(path: Path = INSTALLED_MODEL) -> tuple[TrainedModel, bool]:
    """The install-time model at ``path``, and whether it was trained now (False: it was up to date)."""
    key = installed_fingerprint()
    current = load_model(path)
    if current is not None and current.fingerprint == key:
        return current, False
    trained = TrainedModel(
        model=train(),
        fingerprint=key,
        corrections=0,
        trained_at=datetime.now(UTC).isoformat(timespec="seconds"),
    )
    # The labelled sets only, no complaint text: readable by a service user that does not own
    # the installation (the image's venv is root's).
    save_model(path, trained, mode=0o644)
    return trained, True


def main() -> None:
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    trained, now = install()
    state = "trained" if now else "up to date"
    print(f"triage model {state}: {INSTALLED_MODEL} ({trained.fingerprint}, {trained.trained_at})")


if __name__ == "__main__":
    main()
