"""Training the triage: from the labelled sets (plus accepted corrections) to a model.

The labelled sets ship with the package (``data/``): the development set and the two older sets,
relabelled to DOMAIN.md. The blind test set is not among them; it lives in ``bench/data`` and is
never trained on. Training takes a few seconds, so it happens once, at install
(``python -m klachtstroom.intake.triage.install``: ``make install`` and the image build run it),
into ``INSTALLED_MODEL`` beside this module; ``klachtstroom-intake retrain-triage`` saves a model
of the sets plus the accepted corrections in the service's data directory (``engine.py`` says
which one a service uses).
"""

from __future__ import annotations

import hashlib
import json
import logging
import pickle
import time
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import metadata, resources
from pathlib import Path
from typing import Any

from klachtstroom.intake.triage.model import Example, TriageModel

__all__ = [
    "INSTALLED_MODEL",
    "SETS",
    "TrainedModel",
    "examples",
    "fingerprint",
    "installed_fingerprint",
    "load_model",
    "load_set",
    "save_model",
    "train",
]

log = logging.getLogger(__name__)

SETS = ("dev", "eval", "fresh")
# A correction by a person counts as much as this many labelled examples: enough to move a
# boundary, bounded so that a few corrections cannot overrule the labelled sets.
CORRECTION_WEIGHT = 3.0
MODEL_FORMAT = 2  # 2: calibrated heads
# The model trained at install, beside the package: found wherever the package is installed (an
# editable checkout or the image's venv), owned like the code (the service user cannot write it,
# so it never loads a pickle it could have written), and replaced by every install.
INSTALLED_MODEL = Path(__file__).with_name("installed-model.pickle")
# What a saved model is made of besides the sets: a change to any of them makes it stale.
MODEL_LIBRARIES = ("numpy", "scipy", "scikit-learn", "threadpoolctl")


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


def installed_fingerprint() -> str:
    """What the install-time model must have been trained from and with: the sets, this code, the libraries.

    A checkout whose triage code or libraries changed after ``make install`` (or a venv upgraded in
    place) has a stale install-time model: it is ignored, never used for a model it is not.
    """
    digest = hashlib.sha256(f"format {MODEL_FORMAT}".encode())
    for source in sorted(Path(__file__).parent.glob("*.py")):
        digest.update(source.name.encode() + b"\0" + source.read_bytes())
    for library in MODEL_LIBRARIES:
        digest.update(f"{library}=={metadata.version(library)}".encode())
    return fingerprint() + ":code-" + digest.hexdigest()[:16]


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


def save_model(path: Path, trained: TrainedModel, mode: int = 0o600) -> None:
    """Write atomically. By default readable by its owner only: a retrained model learned from
    complaint texts and is the service's own (under its data directory)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(pickle.dumps({"format": MODEL_FORMAT, "trained": trained}))
    tmp.chmod(mode)
    tmp.replace(path)


def load_model(path: Path) -> TrainedModel | None:
    """A saved model, or None when absent, unreadable or of another format (the caller checks
    its fingerprint)."""
    try:
        # Only files this software wrote: the service's own data dir, or the install beside the code.
        stored = pickle.loads(path.read_bytes())
    except FileNotFoundError:
        return None
    except Exception as error:  # an older library or format, or not ours to read: not used
        log.warning("triage: saved model %s unreadable (%s); not used", path.name, type(error).__name__)
        return None
    if not isinstance(stored, dict) or stored.get("format") != MODEL_FORMAT:
        return None
    trained = stored.get("trained")
    return trained if isinstance(trained, TrainedModel) else None
