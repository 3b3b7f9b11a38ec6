#!/usr/bin/env bash
# Installs what is missing for `make run` / `make test` on a fresh machine: uv, the Python workspace.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v uv >/dev/null 2>&1 && [ ! -x "$HOME/.local/bin/uv" ]; then
  python3 -m pip install --quiet --disable-pip-version-check uv
fi
UV=$(command -v uv 2>/dev/null || echo "$HOME/.local/bin/uv")
"$UV" sync --frozen --quiet --python 3.11
# The two slow steps below run again only when what they depend on changed: a stamp in .venv
# holds a hash of their inputs, so `make run`, `make test` and `make -s token` do not pay for
# them on every call (loading deduce alone takes about 20 s of CPU).
inputs_hash() { cat "$@" | sha256sum | cut -c1-16; }

# Bytecode. uv installs sources only, and where PYTHONDONTWRITEBYTECODE is set (as on these CI
# machines) nothing writes a .pyc at import either: every service process then compiled
# sqlalchemy, fastapi, pydantic, alembic and the rest again, about 4 s of CPU each (importing
# routing and deadlines: 7.7 s of CPU without .pyc files, 3.6 s with them). Compiled once per
# lock file; our own sources are checked on every call (0.1 s), so an edit is compiled too.
# (`|| true`: some packages ship files that are not Python 3, e.g. test data; those stay uncompiled.)
bytecode_key=$(inputs_hash uv.lock)
if [ "$(cat .venv/.bytecode-ready 2>/dev/null)" != "$bytecode_key" ]; then
  .venv/bin/python -m compileall -q -j 0 .venv/lib/python3.11/site-packages > /dev/null || true
  echo "$bytecode_key" > .venv/.bytecode-ready
fi
.venv/bin/python -m compileall -q contracts/src services/*/src > /dev/null || true

# deduce (Dutch de-identification of published free text) builds its lookup tables on first
# use, about 75 s: build them here, once per install, never in a request.
deduce_key=$(inputs_hash uv.lock)
if [ "$(cat .venv/.deduce-ready 2>/dev/null)" != "$deduce_key" ]; then
  .venv/bin/python -m klachtstroom.reporting.publication.deidentify
  echo "$deduce_key" > .venv/.deduce-ready
fi
# The triage model of the labelled sets (about 5 s), once per install instead of in every
# intake process at its start; kept when it is up to date (triage/install.py).
triage=services/intake/src/klachtstroom/intake/triage
triage_key=$(inputs_hash uv.lock $(find "$triage" -type f ! -name '*.pickle' ! -path '*__pycache__*' | sort))
if [ ! -f "$triage/installed-model.pickle" ] || [ "$(cat .venv/.triage-ready 2>/dev/null)" != "$triage_key" ]; then
  .venv/bin/python -m klachtstroom.intake.triage.install
  echo "$triage_key" > .venv/.triage-ready
fi
