"""docs/settings.md is the settings reference as generated from the settings models (issue 20).

Fails when the document is stale (regenerate: `.venv/bin/python deploy/settings_reference.py >
docs/settings.md`), when a settings model of a service is not in it, when a setting has no
description, or when a variable read straight from the environment is not documented.
"""

from __future__ import annotations

import importlib
import re
from pathlib import Path

from pydantic_settings import BaseSettings
from settings_reference import MODELS, PER_SERVICE, render

from klachtstroom.platform.settings_reference import describe, is_secret

ROOT = Path(__file__).resolve().parent.parent
SERVICES = ("intake", "routing", "deadlines", "reporting")


def test_the_document_is_what_the_models_generate() -> None:
    written = (ROOT / "docs" / "settings.md").read_text()
    assert written == render(), "stale: run .venv/bin/python deploy/settings_reference.py > docs/settings.md"


def _subclasses(cls: type) -> set[type]:
    found = set()
    for sub in cls.__subclasses__():
        found |= {sub, *_subclasses(sub)}
    return found


def test_every_settings_model_of_every_service_is_documented() -> None:
    for service in SERVICES:
        importlib.import_module(f"klachtstroom.{service}.app")
    ours = {model for model in _subclasses(BaseSettings) if model.__module__.startswith("klachtstroom.")}
    documented = {model for _title, _summary, model in MODELS}
    assert ours - documented == set(), "add these models to deploy/settings_reference.py"


def test_every_setting_says_what_it_does() -> None:
    undescribed = [
        f"{model.__name__}.{setting.name}"
        for _title, _summary, model in MODELS
        for setting in describe(model)
        if not setting.description
    ]
    assert undescribed == [], "give these a description= or a comment above them"


def test_secrets_are_marked_and_their_defaults_not_shown() -> None:
    from pydantic import SecretStr

    assert is_secret("oidc_client_secret", SecretStr | None)
    assert is_secret("imap_password", str | None) and is_secret("notifications_token", str)
    assert not is_secret("imap_oauth2_token_url", str | None) and not is_secret("dev_keys", bool)
    for _title, _summary, model in MODELS:
        for setting in describe(model):
            if setting.secret:
                assert setting.default in ("(not set)", "(empty)", "(set)"), setting


def test_variables_read_straight_from_the_environment_are_documented() -> None:
    sources = "\n".join(p.read_text() for p in (ROOT / "services").glob("*/src/**/*.py"))
    suffixes = set(re.findall(r'KLACHTSTROOM_\{service\.upper\(\)\}_([A-Z_]+)"', sources))
    suffixes |= set(re.findall(r'prefix \+ "([A-Z_]+)"', sources))
    assert suffixes, "the patterns above no longer find the per-service variables"
    documented = " ".join(name for name, *_rest in PER_SERVICE) + " ".join(text for *_r, text in PER_SERVICE)
    missing = [suffix for suffix in suffixes if f"_{suffix}" not in documented]
    assert missing == []
    constants = set(re.findall(r'= "(KLACHTSTROOM_[A-Z_]+)"', sources))
    assert [name for name in constants if name not in documented] == []
