"""Checks the Helm chart's rendered manifests: valid Kubernetes objects, restricted pods, public ingress.

Usage: python deploy/helm_check.py RENDERED.yaml SWAGGER.json

Each object is validated against the Kubernetes API's own OpenAPI definitions (swagger.json of
the Kubernetes release, from the k8s.io/kubernetes Go module) in strict mode, as kubeconform
-strict does: unknown fields are errors, int-or-string and quantities accept both forms. Then
the chart's promises: every pod runs restricted (non-root, read-only root filesystem, no
privilege escalation, all capabilities dropped, seccomp RuntimeDefault), every Deployment has
requests and probes, and the Ingress exposes only the public surface of the design.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import jsonschema
import yaml

PUBLIC_PATHS = {"/", "/klacht", "/static", "/status", "/api/v1/calendar", "/api/v1/open-data"}


def strict(definitions: dict[str, Any]) -> dict[str, Any]:
    fixed = {}
    for name, schema in definitions.items():
        schema = dict(schema)
        if "properties" in schema:
            schema["additionalProperties"] = False
        fixed[name] = schema
    fixed["io.k8s.apimachinery.pkg.util.intstr.IntOrString"] = {"type": ["string", "integer"]}
    fixed["io.k8s.apimachinery.pkg.api.resource.Quantity"] = {"type": ["string", "number"]}
    return fixed


def definition_names(definitions: dict[str, Any]) -> dict[tuple[str, str, str], str]:
    found = {}
    for name, schema in definitions.items():
        for gvk in schema.get("x-kubernetes-group-version-kind", []):
            found[(gvk["group"], gvk["version"], gvk["kind"])] = name
    return found


def pod_spec(obj: dict[str, Any]) -> dict[str, Any] | None:
    if obj["kind"] in ("Deployment", "Job"):
        return obj["spec"]["template"]["spec"]  # type: ignore[no-any-return]
    return None


def check(rendered: Path, swagger: Path) -> list[str]:
    spec = json.loads(swagger.read_text(encoding="utf-8"))
    definitions = strict(spec["definitions"])
    names = definition_names(spec["definitions"])
    problems: list[str] = []
    kinds: set[str] = set()
    for obj in yaml.safe_load_all(rendered.read_text(encoding="utf-8")):
        if not obj:
            continue
        group, _, version = obj["apiVersion"].rpartition("/")
        where = f"{obj['kind']}/{obj['metadata']['name']}"
        kinds.add(obj["kind"])
        name = names.get((group, version, obj["kind"]))
        if name is None:
            problems.append(f"{where}: unknown apiVersion/kind {obj['apiVersion']} {obj['kind']}")
            continue
        schema = {"$ref": f"#/definitions/{name}", "definitions": definitions}
        for error in jsonschema.Draft4Validator(schema).iter_errors(obj):
            problems.append(f"{where}: {'.'.join(map(str, error.absolute_path))}: {error.message}")
        pod = pod_spec(obj)
        if pod is not None:
            context = pod.get("securityContext", {})
            seccomp = context.get("seccompProfile", {}).get("type")
            if context.get("runAsNonRoot") is not True or seccomp != "RuntimeDefault":
                problems.append(f"{where}: pod not restricted (runAsNonRoot, seccomp RuntimeDefault)")
            for container in pod["containers"]:
                c = container.get("securityContext", {})
                restricted = (
                    c.get("allowPrivilegeEscalation") is False
                    and c.get("readOnlyRootFilesystem") is True
                    and c.get("capabilities", {}).get("drop") == ["ALL"]
                )
                if not restricted:
                    problems.append(f"{where}/{container['name']}: container not restricted")
                if not container.get("resources", {}).get("requests"):
                    problems.append(f"{where}/{container['name']}: no resource requests")
                if obj["kind"] == "Deployment" and not (
                    container.get("readinessProbe") and container.get("livenessProbe")
                ):
                    problems.append(f"{where}/{container['name']}: no probes")
        if obj["kind"] == "Ingress":
            for rule in obj["spec"]["rules"]:
                for path in rule["http"]["paths"]:
                    if path["path"] not in PUBLIC_PATHS:
                        problems.append(f"{where}: {path['path']} is not public in the design")
    expected = ("Deployment", "Service", "PodDisruptionBudget", "NetworkPolicy", "Ingress", "Job")
    for needed in (*expected, "ConfigMap"):
        if needed not in kinds:
            problems.append(f"the chart renders no {needed}")
    return problems


if __name__ == "__main__":
    found = check(Path(sys.argv[1]), Path(sys.argv[2]))
    for line in found:
        print(line)
    print(f"{'FAILED' if found else 'ok'}: {len(found)} problems")
    raise SystemExit(1 if found else 0)
