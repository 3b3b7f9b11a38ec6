#!/usr/bin/env bash
# Installs what is missing for `make run` / `make test` on a fresh machine: uv, the Python workspace.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v uv >/dev/null 2>&1 && [ ! -x "$HOME/.local/bin/uv" ]; then
  python3 -m pip install --quiet --disable-pip-version-check uv
fi
UV=$(command -v uv 2>/dev/null || echo "$HOME/.local/bin/uv")
"$UV" sync --frozen --quiet --python 3.11
# deduce (Dutch de-identification of published free text) builds its lookup tables on first
# use, about 75 s: build them here, once per install, never in a request.
.venv/bin/python -m klachtstroom.reporting.publication.deidentify
# The triage model of the labelled sets (about 5 s), once per install instead of in every
# intake process at its start; kept when it is up to date (triage/install.py).
.venv/bin/python -m klachtstroom.intake.triage.install
