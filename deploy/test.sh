#!/usr/bin/env bash
# `make test`: unit tests, then the storage tests on SQLite and PostgreSQL, then end-to-end tests
# over a real Kafka started by the test run. Everything it needs is installed here.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
work=$(mktemp -d /tmp/klachtstroom-test.XXXXXX)
chmod 755 "$work"
cleanup() { bash deploy/postgres.sh stop "$work/pg" || true; rm -rf "$work"; }
trap cleanup EXIT

start=$(date +%s)
echo "== PostgreSQL for the storage tests"
export KLACHTSTROOM_TEST_POSTGRES=$(bash deploy/postgres.sh start "$work/pg")
echo "   $KLACHTSTROOM_TEST_POSTGRES"

if [ "${KLACHTSTROOM_BROWSER_TESTS:-1}" = 1 ] && ! command -v chromium >/dev/null 2>&1; then
  echo "== Chromium for the browser tests"
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) || true
fi

if [ "${KLACHTSTROOM_BROWSER_TESTS:-1}" = 1 ] && command -v npm >/dev/null 2>&1; then
  echo "== axe-core for the accessibility checks in the browser tests (npm, pinned in tests/browser)"
  (cd tests/browser && npm ci --no-audit --no-fund --ignore-scripts --silent) || true
fi

echo "== lint: ruff, mypy --strict"
.venv/bin/ruff check contracts services tests bench deploy
.venv/bin/mypy contracts/src services/*/src

echo "== contract check: AsyncAPI document is current"
$PY deploy/asyncapi.py --check contracts/asyncapi.json

echo "== unit tests (every service) and storage tests (SQLite + PostgreSQL)"
$PY -m pytest contracts services -q -p no:cacheprovider --durations=30

echo "== container image steps (deploy/Dockerfile) on this host: same paths, same user"
bash deploy/image_check.sh

echo "== Helm chart: lint, render, check against the Kubernetes API definitions"
bash deploy/helm_check.sh

echo "== Keycloak (Maven Central) for the sign-in end-to-end test"
$PY deploy/keycloak/keycloak_server.py fetch

echo "== end-to-end tests over real Kafka (and Keycloak)"
$PY -m pytest tests -q -p no:cacheprovider --durations=30

echo "== make test took $(( $(date +%s) - start ))s"
