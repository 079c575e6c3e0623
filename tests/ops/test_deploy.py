"""The container image and the Kubernetes manifests, checked offline: every manifest is valid against the Kubernetes
API schemas (kubernetes-validate ships them), and the essentials hold: probes on /readyz and /healthz, limits,
non-root on a read-only root file system with every capability dropped, one image, secrets from Secret refs, the
migration Job runs `hub migrate`, servers never share a pod's disk, and the metrics port is not public."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from hub.config import load_settings

ROOT = Path(__file__).resolve().parents[2]
MANIFESTS = ROOT / "deploy" / "kubernetes"
KUBERNETES_VERSION = "1.30.0"
SECRET_SETTINGS = {"HUB_DATABASE_URL", "HUB_KEYRING", "AWS_SECRET_ACCESS_KEY", "HUB_SMTP_PASSWORD"}


def documents() -> list[dict[str, Any]]:
    docs = []
    for path in sorted(MANIFESTS.glob("*.yaml")):
        docs += [doc for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")) if doc]
    return docs


def of_kind(kind: str) -> list[dict[str, Any]]:
    return [d for d in documents() if d["kind"] == kind]


def workload(component: str) -> dict[str, Any]:
    (found,) = [
        d
        for d in documents()
        if d["kind"] in ("Deployment", "Job")
        and d["metadata"]["labels"].get("app.kubernetes.io/component") == component
    ]
    return found


def pod(component: str) -> dict[str, Any]:
    spec: dict[str, Any] = workload(component)["spec"]["template"]["spec"]
    return spec


def env_of(container: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {e["name"]: e for e in container.get("env", [])}


@pytest.mark.parametrize("doc", documents(), ids=lambda d: f"{d['kind']}/{d.get('metadata', {}).get('name', '')}")
def test_every_manifest_is_valid_against_the_kubernetes_schema(doc: dict[str, Any]) -> None:
    if doc["kind"] == "Kustomization":
        assert set(doc["resources"]) <= {p.name for p in MANIFESTS.glob("*.yaml")}
        assert "secret.example.yaml" not in doc["resources"]  # placeholders are never applied
        return
    kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)


@pytest.mark.parametrize("component", ["server", "worker", "migrate"])
def test_every_pod_runs_non_root_read_only_without_capabilities_and_within_limits(component: str) -> None:
    spec = pod(component)
    context = spec["securityContext"]
    assert context["runAsNonRoot"] is True and context["runAsUser"] != 0
    assert context["seccompProfile"]["type"] == "RuntimeDefault"
    assert spec["automountServiceAccountToken"] is False
    writable = {v["name"] for v in spec["volumes"] if "emptyDir" in v}
    for container in spec["containers"]:
        security = container["securityContext"]
        assert security["readOnlyRootFilesystem"] is True
        assert security["allowPrivilegeEscalation"] is False
        assert security["capabilities"]["drop"] == ["ALL"] and "add" not in security["capabilities"]
        for kind in ("requests", "limits"):
            assert set(container["resources"][kind]) == {"cpu", "memory"}, (component, kind)
        mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
        assert mounts == {"/var/lib/hub": mounts["/var/lib/hub"], "/tmp": mounts["/tmp"]}  # writes go only there
        assert set(mounts.values()) <= writable
        assert re.fullmatch(r"[\w.-]+(:\d+)?/[\w./-]+:\d+\.\d+\.\d+", container["image"]), container["image"]
        env = env_of(container)
        for name in SECRET_SETTINGS & set(env):
            assert "value" not in env[name] and env[name]["valueFrom"]["secretKeyRef"]["name"] == "hub-secrets"


def test_one_image_and_the_commands() -> None:
    images = {c["image"] for comp in ("server", "worker", "migrate") for c in pod(comp)["containers"]}
    assert len(images) == 1
    assert pod("server")["containers"][0]["command"] == ["hub", "serve"]
    assert pod("worker")["containers"][0]["command"] == ["hub", "worker"]
    assert pod("migrate")["containers"][0]["command"] == ["hub", "migrate"]
    assert pod("migrate")["restartPolicy"] == "Never"
    for component in ("server", "worker", "migrate"):
        assert {"HUB_DATABASE_URL"} <= set(env_of(pod(component)["containers"][0]))
    for component in ("server", "worker"):
        assert "HUB_KEYRING" in env_of(pod(component)["containers"][0])  # the same keyring on every process


def test_servers_are_probed_spread_and_protected() -> None:
    server = workload("server")
    assert server["spec"]["replicas"] >= 2
    (container,) = pod("server")["containers"]
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
    assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    config = {k: v for d in of_kind("ConfigMap") for k, v in d["data"].items()}
    assert config["HUB_WORKER"] == "off"  # the workers run apart
    grace = int(config["HUB_SHUTDOWN_GRACE_SECONDS"])
    pause = int(container["lifecycle"]["preStop"]["exec"]["command"][-1])
    assert pod("server")["terminationGracePeriodSeconds"] > grace + pause
    assert int(config.get("HUB_PORT", "8000")) == ports["http"]
    assert int(config["HUB_METRICS_PORT"]) == ports["metrics"]
    (budget,) = of_kind("PodDisruptionBudget")
    assert budget["spec"]["minAvailable"] >= 1
    assert budget["spec"]["selector"]["matchLabels"] == server["spec"]["selector"]["matchLabels"]
    (service,) = of_kind("Service")
    assert service["spec"]["selector"] == server["spec"]["selector"]["matchLabels"]
    assert [p["targetPort"] for p in service["spec"]["ports"]] == ["http"]  # never the metrics port


def test_the_metrics_port_is_reached_only_from_the_monitoring_namespace() -> None:
    policies = {p["metadata"]["name"]: p["spec"] for p in of_kind("NetworkPolicy")}
    server = policies["hub-server"]
    assert server["podSelector"]["matchLabels"]["app.kubernetes.io/component"] == "server"
    metrics_rules = [r for r in server["ingress"] if any(p["port"] == 9100 for p in r["ports"])]
    assert len(metrics_rules) == 1
    (source,) = metrics_rules[0]["from"]
    assert source["namespaceSelector"]["matchLabels"] == {"kubernetes.io/metadata.name": "monitoring"}
    assert all(r.get("from") for r in server["ingress"])  # no rule open to every source
    assert policies["hub-no-ingress"]["ingress"] == []


def test_the_config_map_holds_only_known_settings_and_no_secret() -> None:
    (config,) = of_kind("ConfigMap")
    assert not SECRET_SETTINGS & set(config["data"])
    settings = {k: v for k, v in config["data"].items() if k.startswith(("HUB_", "AWS_"))}
    loaded = load_settings(
        {**settings, "HUB_DATA_DIR": "/var/lib/hub", "AWS_ACCESS_KEY_ID": "k", "AWS_SECRET_ACCESS_KEY": "s"}
    )
    assert loaded.object_storage is not None  # the manifests run on object storage, never on one pod's disk


def test_the_containerfile_builds_a_non_root_read_only_friendly_image() -> None:
    text = (ROOT / "Containerfile").read_text(encoding="utf-8")
    assert re.findall(r"^FROM (\S+)", text, re.M) == ["docker.io/library/python:3.11-slim-bookworm"] * 2
    (user,) = re.findall(r"^USER (\S+)", text, re.M)
    assert user.split(":")[0].isdigit() and user.split(":")[0] != "0"
    assert "HEALTHCHECK" in text and "/healthz" in text
    assert 'ENTRYPOINT ["hub"]' in text and 'CMD ["serve"]' in text
    assert "PYTHONDONTWRITEBYTECODE=1" in text and "HUB_DATA_DIR=/var/lib/hub" in text
    assert re.search(r'^VOLUME \["/var/lib/hub", "/tmp"\]', text, re.M)
    uid = int(user.split(":")[0])
    assert all(pod(c)["securityContext"]["runAsUser"] == uid for c in ("server", "worker", "migrate"))
    ignored = (ROOT / ".containerignore").read_text(encoding="utf-8").split()
    assert {".git", ".venv", "var", "node_modules"} <= set(ignored)
    assert (ROOT / ".dockerignore").read_text(encoding="utf-8") == (ROOT / ".containerignore").read_text(
        encoding="utf-8"
    )
