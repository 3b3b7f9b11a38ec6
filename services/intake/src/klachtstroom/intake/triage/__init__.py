"""Triage: is a text a complaint, an objection or a question; which category; is it urgent.

A model learned from labelled Dutch texts (``train``, ``model``, ``features``) over the
lexicon's evidence (``rules``, ``lexicon``, ``urgency_lexicon``), with people's corrections
(``overrides``, ``corrections``) and the engine the service uses (``engine``). Triage only
proposes: every answer has Dutch reasons, a confidence, and a "controleer de indeling" flag
when it is unsure; a person may always override it.
"""

from __future__ import annotations

from klachtstroom.intake.triage.engine import TriageEngine, default_model
from klachtstroom.intake.triage.model import CHECK_BELOW, CHECK_TEXT, TriageResult
from klachtstroom.intake.triage.overrides import Correction, OverrideMemory

__all__ = [
    "CHECK_BELOW",
    "CHECK_TEXT",
    "Correction",
    "OverrideMemory",
    "TriageEngine",
    "TriageResult",
    "default_model",
    "triage",
]


def triage(text: str) -> TriageResult:
    """Triage with the model trained from the labelled sets, without corrections."""
    return _ENGINE.triage(text)


_ENGINE = TriageEngine()
