"""The triage in use by the service: a trained model, people's corrections, and where it is kept.

At start-up the service uses, in this order:
1. the model ``retrain-triage`` saved under its data directory (the labelled sets plus accepted
   corrections), when it was trained from the labelled sets this release ships;
2. the model trained at install (``install.py``: ``make install``, the image build), when its
   fingerprint is that of these sets, this code and these libraries;
3. else it trains one from the sets (about 5 s of CPU, once per process) and warns once that the
   install step was skipped or is out of date.
``retrain-triage`` rebuilds the first and saves it; a running service picks the new file up
within a minute. Where the model in use came from is ``origin`` (``GET /api/v1/triage/model``).

A model is made ready when it is loaded, not on the first text: every code path runs once
(``warm``), and the objects alive at that point — the model's and the libraries' — are moved out
of the garbage collector's reach (``gc.freeze``). A full collection walks every tracked object
(about 100 000 here, 200 ms on this machine); without the freeze such a collection, triggered by
ordinary allocations, would land inside a request now and then.
"""

from __future__ import annotations

import gc
import logging
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from klachtstroom.contracts.vocabulary import Category, Kind
from klachtstroom.intake.triage.model import TriageModel, TriageResult
from klachtstroom.intake.triage.overrides import OverrideMemory
from klachtstroom.intake.triage.rules import MAX_CHARS
from klachtstroom.intake.triage.train import (
    INSTALLED_MODEL,
    Correction,
    TrainedModel,
    fingerprint,
    installed_fingerprint,
    load_model,
    save_model,
    train,
)

__all__ = ["MODEL_FILE", "Origin", "TriageEngine", "default_model", "ready"]

log = logging.getLogger(__name__)

MODEL_FILE = "triage-model.pickle"
RELOAD_EVERY = 30.0  # seconds between looks at the saved model file

# Where the model in use came from: retrained with corrections (data dir), trained at install,
# or trained by this process at its start (the install step did not run for this code).
Origin = Literal["retrained", "installed", "trained_at_start"]

_lock = threading.Lock()
_default: dict[str, tuple[TriageModel, Origin]] = {}


def default_model() -> TriageModel:
    """The model of the labelled sets alone: the one trained at install, else trained once per process."""
    return _default_model()[0]


def _default_model() -> tuple[TriageModel, Origin]:
    key = fingerprint()
    with _lock:
        if key not in _default:
            _default[key] = _installed_or_trained()
        return _default[key]


def _installed_or_trained() -> tuple[TriageModel, Origin]:
    installed = load_model(INSTALLED_MODEL)
    if installed is not None and installed.fingerprint == installed_fingerprint():
        log.info(
            "triage: model in use: trained at install %s (%s)", installed.trained_at, installed.fingerprint
        )
        return ready(installed.model), "installed"
    log.warning(
        "triage: %s; training from the labelled sets at start (seconds, in every process): "
        "run the install step (make install, or the image build)",
        "no usable model trained at install"
        if installed is None
        else "the model trained at install is out of date",
    )
    return ready(train()), "trained_at_start"


def ready(model: TriageModel) -> TriageModel:
    """Warm the model and keep what exists now out of later garbage collections (see above)."""
    model.warm()
    gc.collect()
    gc.freeze()
    return model


class TriageEngine:
    def __init__(self, data_dir: Path | None = None, memory: OverrideMemory | None = None) -> None:
        self.path = data_dir / MODEL_FILE if data_dir is not None else None
        self.memory = memory if memory is not None else OverrideMemory()
        self._model: TriageModel | None = None
        self._trained: TrainedModel | None = None
        self._origin: Origin | None = None
        self._file_stamp: float | None = None
        self._looked_at = 0.0
        self._lock = threading.Lock()

    # ------------------------------------------------------------ the model

    def model(self) -> TriageModel:
        if self._model is None or time.monotonic() - self._looked_at > RELOAD_EVERY:
            with self._lock:
                self._load()
        assert self._model is not None
        return self._model

    def _load(self) -> None:
        self._looked_at = time.monotonic()
        stamp = self._stamp()
        if self._model is not None and stamp == self._file_stamp:
            return
        self._file_stamp = stamp
        saved = load_model(self.path) if self.path is not None and stamp is not None else None
        if saved is not None and saved.fingerprint.startswith(fingerprint()):
            self._model, self._trained, self._origin = ready(saved.model), saved, "retrained"
            log.info(
                "triage: model loaded (trained %s with %d corrections)", saved.trained_at, saved.corrections
            )
        elif self._model is None:
            self._model, self._origin = _default_model()

    def _stamp(self) -> float | None:
        try:
            return self.path.stat().st_mtime if self.path is not None else None
        except FileNotFoundError:
            return None

    @property
    def origin(self) -> Origin | None:
        """Where the model in use came from; None until it is loaded."""
        return self._origin

    @property
    def trained(self) -> TrainedModel | None:
        """What the model in use was trained from, when it was retrained with corrections."""
        return self._trained

    def retrain(self) -> TrainedModel:
        """Rebuild from the labelled sets plus the remembered corrections; save and use it."""
        learned = [
            Correction(c.text, c.kind.value, c.category.value, c.urgent) for c in self.memory.corrections()
        ]
        trained = TrainedModel(
            model=ready(train(learned)),
            fingerprint=fingerprint() + ":" + fingerprint(learned),
            corrections=len(learned),
            trained_at=datetime.now(UTC).isoformat(timespec="seconds"),
            correction_ids=tuple(c.id for c in self.memory.corrections()),
        )
        if self.path is not None:
            save_model(self.path, trained)
        with self._lock:
            self._model, self._trained, self._origin = trained.model, trained, "retrained"
            self._file_stamp, self._looked_at = self._stamp(), time.monotonic()
        return trained

    # ------------------------------------------------------------ deciding

    def triage(self, text: str) -> TriageResult:
        """Propose kind, category and urgency for a text; never raises."""
        raw = text if isinstance(text, str) else str(text or "")
        try:
            if not raw.strip():
                return TriageResult(
                    Kind.complaint,
                    Category.other,
                    False,
                    0.05,
                    ["Geen tekst om te beoordelen: beschouwd als klacht, categorie Overig.", _check_text()],
                    [],
                    check=True,
                )
            result = self.memory.apply(raw, self.model().predict(raw))
            if len(raw) > MAX_CHARS:
                result.reasons.append(f"Alleen de eerste {MAX_CHARS} tekens zijn automatisch beoordeeld.")
            return result
        except Exception:
            log.exception("triage: failed; the text goes to a person")  # the text itself is not logged
            return TriageResult(
                Kind.complaint,
                Category.other,
                False,
                0.05,
                ["Automatische beoordeling mislukt: een medewerker beoordeelt deze tekst.", _check_text()],
                [],
                check=True,
            )


def _check_text() -> str:
    from klachtstroom.intake.triage.model import CHECK_TEXT

    return CHECK_TEXT
