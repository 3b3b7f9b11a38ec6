#!/usr/bin/env bash
# Proves deploy/Dockerfile's steps without a container engine (no registry is reachable here, so
# no base image can be pulled): the venv is built at the image's path, the build context is what
# .dockerignore lets through, and each service's installed entry point, run as the image's
# non-root user from that path, starts and answers /healthz (`klachtstroom-<service> healthcheck`).
set -euo pipefail
cd "$(dirname "$0")/.."
# The image's path is fixed (/opt/klachtstroom): two checks on one machine take turns.
if [ -z "${KLACHTSTROOM_IMAGE_CHECK_LOCKED:-}" ]; then
  exec env KLACHTSTROOM_IMAGE_CHECK_LOCKED=1 flock /tmp/klachtstroom-image-check.lock bash "$0" "$@"
fi
dockerfile=deploy/Dockerfile
venv=$(sed -n 's/^ENV UV_PROJECT_ENVIRONMENT=\([^ ]*\).*/\1/p' "$dockerfile")
uid=$(sed -n 's/^USER \([0-9]*\)$/\1/p' "$dockerfile")
[ "$venv" = /opt/klachtstroom ] && [ "$uid" = 10001 ] || { echo "Dockerfile paths changed: update this check"; exit 1; }
grep -q '^COPY --from=build /opt/klachtstroom /opt/klachtstroom$' "$dockerfile"

work=$(mktemp -d /tmp/klachtstroom-image.XXXXXX)
chmod 755 "$work"
cleanup() { [ -n "${pids:-}" ] && kill $pids 2>/dev/null || true; rm -rf "$work" "$venv"; }
trap cleanup EXIT

echo "== build context (.dockerignore): what the COPY lines take"
mkdir -p "$work/src"
cp pyproject.toml uv.lock LICENSE "$work/src/"
# contracts/ and services/ as the context gives them: tracked files, without tests and caches.
git ls-files contracts services | grep -v -E '(^|/)tests/|__pycache__|\.pyc$' | while read -r f; do
  mkdir -p "$work/src/$(dirname "$f")"; cp "$f" "$work/src/$f"; done
for kept_out in .run .venv tests bench; do [ ! -e "$work/src/$kept_out" ] || { echo "$kept_out in context"; exit 1; }; done
grep -qx '\.run/' .dockerignore && grep -qx '\.venv/' .dockerignore && grep -qx '\*\*/tests/' .dockerignore

echo "== uv sync --frozen --no-dev --no-editable into $venv"
UV=$(command -v uv 2>/dev/null || echo "$HOME/.local/bin/uv")
(cd "$work/src" && UV_PROJECT_ENVIRONMENT="$venv" UV_COMPILE_BYTECODE=1 UV_LINK_MODE=copy \
  "$UV" sync --frozen --no-dev --no-editable --quiet --python /usr/bin/python3.11)
rm -rf "$work/src"   # the runtime stage has no sources: entry points must not need them
head -1 "$venv/bin/klachtstroom-intake" | grep -q "^#!$venv/bin/python" || { echo "entry point shebang"; exit 1; }

id -u klachtstroom >/dev/null 2>&1 || useradd --uid "$uid" --no-create-home klachtstroom
mkdir -p "$work/data" && chown "$uid" "$work/data"
RUNUSER=$(command -v runuser)
free_port() { /usr/bin/python3.11 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

echo "== each service as uid $uid from $venv answers /healthz"
pids=""
for service in intake routing deadlines reporting; do
  port=$(free_port)
  upper=$(echo "$service" | tr a-z A-Z)
  env -i PATH="$venv/bin:/usr/bin:/bin" HOME=/tmp KLACHTSTROOM_DATA_DIR="$work/data" \
    KLACHTSTROOM_KAFKA_BOOTSTRAP=127.0.0.1:9 KLACHTSTROOM_SMTP_PORT="$(free_port)" \
    "KLACHTSTROOM_${upper}_PORT=$port" \
    "$RUNUSER" -u klachtstroom -- "klachtstroom-$service" serve >"$work/$service.log" 2>&1 &
  pids="$pids $!"
  ok=""
  for _ in $(seq 1 60); do
    if env -i PATH="$venv/bin:/usr/bin:/bin" "KLACHTSTROOM_${upper}_PORT=$port" \
       "$RUNUSER" -u klachtstroom -- "klachtstroom-$service" healthcheck; then ok=1; break; fi
    sleep 0.5
  done
  [ -n "$ok" ] || { echo "$service did not answer /healthz"; tail -20 "$work/$service.log"; exit 1; }
  echo "   $service: healthy on port $port"
done
echo "== image steps proven"
