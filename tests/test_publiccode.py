"""publiccode.yml describes the project as the publiccode.yml standard (version 0.4) requires.

The standard's own parser (a Go module) is not served by the registries this project builds
from, so the rules it checks that matter for a catalogue entry are checked here, as data taken
from the standard's text: the required keys, the closed lists, the licence as SPDX expression.
"""

from __future__ import annotations

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent

DEVELOPMENT_STATUS = {"concept", "development", "beta", "stable", "obsolete"}
SOFTWARE_TYPE = {
    "standalone/mobile", "standalone/iot", "standalone/desktop", "standalone/web",
    "standalone/backend", "standalone/other", "addon", "library", "configurationFiles",
}
MAINTENANCE_TYPE = {"internal", "contract", "community", "none"}
PLATFORMS = {"web", "windows", "mac", "linux", "ios", "android"}


def test_publiccode_has_what_the_standard_requires() -> None:
    doc = yaml.safe_load((ROOT / "publiccode.yml").read_text(encoding="utf-8"))
    for key in ("publiccodeYmlVersion", "name", "url", "platforms", "developmentStatus",
                "softwareType", "description", "legal", "maintenance", "localisation"):
        assert key in doc, key
    assert doc["publiccodeYmlVersion"] == "0.4"
    assert doc["developmentStatus"] in DEVELOPMENT_STATUS
    assert doc["softwareType"] in SOFTWARE_TYPE
    assert set(doc["platforms"]) <= PLATFORMS
    assert doc["maintenance"]["type"] in MAINTENANCE_TYPE
    if doc["maintenance"]["type"] in {"internal", "community"}:
        assert doc["maintenance"]["contacts"], "internal/community maintenance names its contacts"
    for language, text in doc["description"].items():
        assert len(text["shortDescription"]) <= 150, language
        assert 150 <= len(text["longDescription"]) <= 10_000, language
        assert text["features"], language
    assert isinstance(doc["localisation"]["localisationReady"], bool)
    assert doc["legal"]["license"] == "EUPL-1.2"


def test_licence_file_and_every_distribution_say_eupl() -> None:
    assert (ROOT / "LICENSE").read_text(encoding="utf-8").startswith("EUROPEAN UNION PUBLIC LICENCE v. 1.2")
    projects = [ROOT / "contracts" / "pyproject.toml", *sorted((ROOT / "services").glob("*/pyproject.toml"))]
    for project in projects:
        assert 'license = "EUPL-1.2"' in project.read_text(encoding="utf-8"), project
