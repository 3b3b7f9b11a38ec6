#!/usr/bin/env bash
# Proves deploy/Dockerfile's steps without a container engine (no registry is reachable here, so
# no base image can be pulled): the build context is what .dockerignore lets through (evaluated
# as Docker does, untracked files included), the venv is built at the image's path with the
# base's Python, the build stage's RUN steps use that venv, and each service's installed entry
# point, run as the image's non-root user from that path without the sources, starts and
# answers the Dockerfile's own HEALTHCHECK command; intake uses the triage model the build step
# trained instead of training at its start. What is not run here: pulling the base image, the
# deduce table build (75 s; only its module is imported), the container runtime.
set -euo pipefail
cd "$(dirname "$0")/.."
# The image's path is fixed (/opt/klachtstroom): two checks on one machine take turns.
if [ -z "${KLACHTSTROOM_IMAGE_CHECK_LOCKED:-}" ]; then
  exec env KLACHTSTROOM_IMAGE_CHECK_LOCKED=1 flock /tmp/klachtstroom-image-check.lock bash "$0" "$@"
fi
dockerfile=deploy/Dockerfile
venv=$(sed -n 's/^ENV UV_PROJECT_ENVIRONMENT=\([^ ]*\).*/\1/p' "$dockerfile")
uid=$(sed -n 's/^USER \([0-9]*\)$/\1/p' "$dockerfile")
fail() { echo "image check: $*" >&2; exit 1; }
[ "$venv" = /opt/klachtstroom ] && [ "$uid" = 10001 ] || fail "Dockerfile paths changed: update this check"
grep -q '^COPY --from=build /opt/klachtstroom /opt/klachtstroom$' "$dockerfile" || fail "runtime COPY of the venv"
grep -q 'UV_PYTHON_DOWNLOADS=never' "$dockerfile" || fail "uv may download a Python the runtime stage lacks"
# The build stage copies exactly these from the context; the check copies the same.
[ "$(grep -c '^COPY [^-]' "$dockerfile")" = 4 ] \
  && grep -qx 'COPY pyproject.toml uv.lock LICENSE ./' "$dockerfile" \
  && grep -qx 'COPY contracts contracts' "$dockerfile" && grep -qx 'COPY services services' "$dockerfile" \
  || fail "the Dockerfile's COPY lines changed: update this check"
[ "$(tail -1 "$dockerfile")" = 'CMD ["klachtstroom-intake", "serve"]' ] || fail "default command changed"
health=$(sed -n 's/^    CMD \["sh", "-c", "\(.*\)"\]$/\1/p' "$dockerfile")
[ -n "$health" ] || fail "no HEALTHCHECK CMD found"

work=$(mktemp -d /tmp/klachtstroom-image.XXXXXX)
chmod 755 "$work"
cleanup() { [ -n "${pids:-}" ] && kill $pids 2>/dev/null || true; rm -rf "$work" "$venv"; }
trap cleanup EXIT

echo "== build context: what .dockerignore lets through (deploy/build_context.py)"
.venv/bin/python deploy/build_context.py . > "$work/context.txt" || fail "forbidden files in the build context"
mkdir -p "$work/src"
grep -v -x '\.dockerignore' "$work/context.txt" | while read -r f; do
  mkdir -p "$work/src/$(dirname "$f")"; cp "$f" "$work/src/$f"; done
echo "   $(wc -l < "$work/context.txt") files"

echo "== uv sync --frozen --no-dev --no-editable into $venv (the base's Python, no download)"
UV=$(command -v uv 2>/dev/null || echo "$HOME/.local/bin/uv")
(cd "$work/src" && UV_PROJECT_ENVIRONMENT="$venv" UV_COMPILE_BYTECODE=1 UV_LINK_MODE=copy \
  UV_PYTHON_DOWNLOADS=never "$UV" sync --frozen --no-dev --no-editable --quiet --python /usr/bin/python3.11)
rm -rf "$work/src"   # the runtime stage has no sources: entry points must not need them
for service in intake routing deadlines reporting; do
  head -1 "$venv/bin/klachtstroom-$service" | grep -qx "#!$venv/bin/python3\?" || fail "$service entry point shebang"
done
python=$(readlink -f "$venv/bin/python")
case "$python" in /usr/*) ;; *) fail "the venv's Python $python is not the base image's" ;; esac

echo "== the build stage's RUN steps after the sync use the venv at its path (run, as root, as in the build)"
grep -qx "RUN $venv/bin/python -m klachtstroom.intake.triage.install" "$dockerfile" \
  || fail "the build no longer trains the triage model (intake would train at every start)"
sed -n '/^RUN uv sync/,/^FROM/p' "$dockerfile" | sed -n 's/^RUN //p' | tail -n +2 | while read -r step; do
  case "$step" in
    "$venv/bin/python -m klachtstroom.reporting.publication.deidentify")
      "$venv/bin/python" -c "import klachtstroom.reporting.publication.deidentify" \
        || fail "RUN $step: module does not import" ;;
    "$venv/bin/python -m "*)
      "$venv/bin/python" -m "${step#"$venv/bin/python -m "}" >/dev/null || fail "RUN $step failed" ;;
    *) fail "RUN $step: not the venv's python at $venv (update this check if intended)" ;;
  esac
done

id -u klachtstroom >/dev/null 2>&1 || useradd --uid "$uid" --no-create-home klachtstroom
RUNUSER=$(command -v runuser)
# Non-root and nothing of the image writable by it (the venv is root's, as COPY leaves it).
[ "$("$RUNUSER" -u klachtstroom -- id -u)" = "$uid" ] || fail "user klachtstroom is not uid $uid"
if "$RUNUSER" -u klachtstroom -- test -w "$venv/bin"; then fail "the venv is writable by uid $uid"; fi
mkdir -p "$work/data" && chown "$uid" "$work/data"
free_port() { /usr/bin/python3.11 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

echo "== each service as uid $uid from $venv answers the HEALTHCHECK: $health"
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
    if env -i PATH="$venv/bin:/usr/bin:/bin" KLACHTSTROOM_SERVICE="$service" "KLACHTSTROOM_${upper}_PORT=$port" \
       "$RUNUSER" -u klachtstroom -- sh -c "$health"; then ok=1; break; fi
    sleep 0.5
  done
  [ -n "$ok" ] || { tail -20 "$work/$service.log"; fail "$service did not answer its healthcheck"; }
  echo "   $service: healthy on port $port"
done

echo "== intake uses the triage model trained at build, it does not train at its start"
used=""
for _ in $(seq 1 60); do
  if grep -q 'triage: model in use: trained at install' "$work/intake.log"; then used=1; break; fi
  grep -q 'training from the labelled sets at start' "$work/intake.log" && break
  sleep 0.5
done
[ -n "$used" ] || { grep triage "$work/intake.log" | tail -5; fail "intake did not load the install-time triage model"; }
echo "   intake: triage model trained at install in use"
echo "== image steps proven"
