#!/usr/bin/env bash
# The Helm chart (deploy/helm/klachtstroom): `helm lint`, `helm template` with the default values
# and with values for an existing Kafka (TLS + SASL) and PostgreSQL, each rendering checked by
# deploy/helm_check.py against the Kubernetes API definitions. Helm is built from its Go module
# when it is not installed (no download site but the Go module proxy is reachable here).
set -euo pipefail
cd "$(dirname "$0")/.."
HELM_MODULE=helm.sh/helm/v4/cmd/helm@v4.3.2
KUBERNETES_MODULE=k8s.io/kubernetes@v1.34.2
GOBIN=${GOBIN:-$(go env GOPATH)/bin}
if ! command -v helm >/dev/null 2>&1 && [ ! -x "$GOBIN/helm" ]; then
  echo "   building helm from $HELM_MODULE (once)"
  go install "$HELM_MODULE"
fi
HELM=$(command -v helm 2>/dev/null || echo "$GOBIN/helm")
root=$PWD
swagger="$(cd /tmp && go mod download -json "$KUBERNETES_MODULE" | "$root/.venv/bin/python" -c 'import json,sys; print(json.load(sys.stdin)["Dir"])')/api/openapi-spec/swagger.json"
work=$(mktemp -d /tmp/klachtstroom-helm.XXXXXX)
trap 'rm -rf "$work"' EXIT
chart=deploy/helm/klachtstroom
"$HELM" lint "$chart" --quiet
"$HELM" template pilot "$chart" > "$work/default.yaml"
"$HELM" template pilot "$chart" --set kafka.securityProtocol=SASL_SSL --set smtp.credentialsSecret=relay \
  --set ingress.enabled=true --set networkPolicy.enabled=true > "$work/existing.yaml"
.venv/bin/python deploy/helm_check.py "$work/default.yaml" "$swagger"
.venv/bin/python deploy/helm_check.py "$work/existing.yaml" "$swagger"
