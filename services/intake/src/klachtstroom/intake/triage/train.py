"""Training the triage: from the labelled sets (plus accepted corrections) to a model.

The labelled sets ship with the package (``data/``): the development set and the two older sets,
relabelled to DOMAIN.md. The blind test set is not among them; it lives in ``bench/data`` and is
never trained on. Training takes a few seconds, so the service trains at start-up, or loads
the model that ``klachtstroom-intake retrain-triage`` saved (sets + accepted corrections).
"""

from __future__ import annotations

import hashlib
import json
import logging
import pickle
import time
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from klachtstroom.intake.triage.model import Example, TriageModel

__all__ = ["SETS", "TrainedModel", "examples", "fingerprint", "load_model", "load_set", "save_model", "train"]

log = logging.getLogger(__name__)

SETS = ("dev", "eval", "fresh")
# A correction by a person counts as much as this many labelled examples: enough to move a
# boundary, bounded so that a few corrections cannot overrule the labelled sets.
CORRECTION_WEIGHT = 3.0
MODEL_FORMAT = 2  # 2: calibrated heads


def load_set(name: str) -> list[dict[str, Any]]:
    text = resources.files("klachtstroom.intake.triage").joinpath("data", f"{name}.jsonl").read_text("utf-8")
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def examples(names: Iterable[str] = SETS) -> list[Example]:
    return [
        Example(row["text"], row["kind"], row["category"], bool(row["urgent"]))
        for name in names
        for row in load_set(name)
    ]


@dataclass(frozen=True)
class Correction:
    """An accepted correction by a person, as training sees it (no actor, no complaint id)."""

    text: str
    kind: str
    category: str
    urgent: bool


def fingerprint(corrections: Iterable[Correction] = ()) -> str:
    """What a model was trained from: the package's sets and the corrections, hashed."""
    digest = hashlib.sha256()
    for name in SETS:
        digest.update(
            resources.files("klachtstroom.intake.triage").joinpath("data", f"{name}.jsonl").read_bytes()
        )
    for c in corrections:
        digest.update(json.dumps([c.text, c.kind, c.category, c.urgent], ensure_ascii=False).encode())
    return digest.hexdigest()[:16]


def train(corrections: Iterable[Correction] = ()) -> TriageModel:
    started = time.perf_counter()
    learned = [Example(c.text, c.kind, c.category, c.urgent, CORRECTION_WEIGHT) for c in corrections]
    model = TriageModel().fit(examples() + learned)
    log.info(
        "triage: trained on the labelled sets and %d corrections in %.1f s",
        len(learned),
        time.perf_counter() - started,
    )
    return model


@dataclass(frozen=True)
class TrainedModel:
    model: TriageModel
    fingerprint: str
    corrections: int
    trained_at: str
    correction_ids: tuple[int, ...] = ()


def save_model(path: Path, trained: TrainedModel) -> None:
    """Write atomically; the file is the service's own (under its data directory)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(pickle.dumps({"format": MODEL_FORMAT, "trained": trained}))
    tmp.chmod(0o600)  # learned from complaint texts: readable by the service only
    tmp.replace(path)


def load_model(path: Path) -> TrainedModel | None:
    """The model saved by ``retrain-triage``, or None when absent, unreadable or out of date."""
    try:
        stored = pickle.loads(path.read_bytes())  # written by this service itself, in its data dir
    except FileNotFoundError:
        return None
    except Exception:  # an older library or format: train afresh instead
        log.warning("triage: saved model unreadable, training from the labelled sets")
        return None
    if not isinstance(stored, dict) or stored.get("format") != MODEL_FORMAT:
        return None
    trained = stored.get("trained")
    return trained if isinstance(trained, TrainedModel) else None
