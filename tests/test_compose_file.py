"""deploy/compose.yaml is valid by the Compose Specification's own JSON Schema.

The schema is taken from the Compose Specification's reference implementation (the Go module
compose-go, fetched through the Go module proxy by `go mod download`), not copied into this
repository; the file is checked with it as `docker compose config` would.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import jsonschema
import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
COMPOSE_GO = "github.com/compose-spec/compose-go/v2@v2.16.2"


def compose_schema() -> dict[str, object]:
    if shutil.which("go") is None:
        pytest.skip("Go is needed to fetch the Compose Specification schema")
    found = subprocess.run(
        ["go", "mod", "download", "-json", COMPOSE_GO], capture_output=True, text=True, check=True, cwd="/tmp"
    )
    module = Path(json.loads(found.stdout)["Dir"])
    return json.loads((module / "schema" / "compose-spec.json").read_text(encoding="utf-8"))


def test_compose_file_follows_the_compose_specification() -> None:
    document = yaml.safe_load((ROOT / "deploy" / "compose.yaml").read_text(encoding="utf-8"))
    jsonschema.validate(document, compose_schema())


def test_pilot_has_kafka_postgres_and_four_healthy_ordered_services() -> None:
    document = yaml.safe_load((ROOT / "deploy" / "compose.yaml").read_text(encoding="utf-8"))
    services = document["services"]
    assert services["kafka"]["image"].startswith("apache/kafka:")
    assert services["postgres"]["image"].startswith("postgres:")
    for name in ("kafka", "postgres"):
        assert services[name]["healthcheck"]["test"]
    for name in ("intake", "routing", "deadlines", "reporting"):
        depends = services[name]["depends_on"]
        assert depends["kafka"]["condition"] == depends["postgres"]["condition"] == "service_healthy"
        assert services[name]["environment"][f"KLACHTSTROOM_{name.upper()}_DATABASE_URL"].startswith(
            "postgresql+psycopg://"
        )
    example = (ROOT / "deploy" / "compose.env.example").read_text(encoding="utf-8")
    required = ("POSTGRES_PASSWORD", "OIDC_ISSUER", "DEADLINES_SMTP_HOST", "REPORTING_SMTP_HOST")
    for variable in required:
        assert f"\nKLACHTSTROOM_{variable}=" in example
