"""The triage in use by the service: a trained model, people's corrections, and where it is kept.

At start-up the service loads the model that ``retrain-triage`` saved under its data directory
(when it was trained from the labelled sets this release ships), or else trains one from those
sets (a few seconds; once per process). ``retrain-triage`` rebuilds it from the sets plus the
accepted corrections and saves it; a running service picks the new file up within a minute.

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

from klachtstroom.contracts.vocabulary import Category, Kind
from klachtstroom.intake.triage.model import TriageModel, TriageResult
from klachtstroom.intake.triage.overrides import OverrideMemory
from klachtstroom.intake.triage.rules import MAX_CHARS
from klachtstroom.intake.triage.train import (
    Correction,
    TrainedModel,
    fingerprint,
    load_model,
    save_model,
    train,
)

__all__ = ["MODEL_FILE", "TriageEngine", "default_model", "ready"]

log = logging.getLogger(__name__)

MODEL_FILE = "triage-model.pickle"
RELOAD_EVERY = 30.0  # seconds between looks at the saved model file

_lock = threading.Lock()
_default: dict[str, TriageModel] = {}


def default_model() -> TriageModel:
    """The model trained from the labelled sets alone; trained once per process."""
    key = fingerprint()
    with _lock:
        if key not in _default:
            _default[key] = ready(train())
        return _default[key]


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
            self._model, self._trained = ready(saved.model), saved
            log.info(
                "triage: model loaded (trained %s with %d corrections)", saved.trained_at, saved.corrections
            )
        elif self._model is None:
            self._model = default_model()

    def _stamp(self) -> float | None:
        try:
            return self.path.stat().st_mtime if self.path is not None else None
        except FileNotFoundError:
            return None

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
            self._model, self._trained = trained.model, trained
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
