"""The deployment artefacts: deploy/k8s renders offline, every manifest is valid
against the Kubernetes schemas, and the properties docs/deploy.md promises hold;
the Dockerfiles in deploy/docker are multi-stage, pinned and run as a user.

Rendering needs ``kubectl`` (its built-in kustomize); validation uses the
``kubernetes-validate`` package, whose schemas ship inside it: nothing here
reaches a cluster or the network.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
OVERLAY = DEPLOY / "k8s" / "overlays" / "production"
BASE = DEPLOY / "k8s" / "base"
DOCKER = DEPLOY / "docker"
# The oldest Kubernetes the manifests are checked against (autoscaling/v2 and
# policy/v1 are GA there); the newest schemas the package ships are checked too.
K8S_VERSIONS = ("1.27.0", "latest")
SERVERS = {"tandem-engine": 5005, "tandem-actions": 5055, "tandem-handoff": 5070}
# names whose values are secrets (a Redis URL for socket.io carries its password)
SECRET_NAME = re.compile(r"(TOKEN|SECRET|PASSWORD|_KEY|SOCKETIO_REDIS_URL)$")

kubernetes_validate = pytest.importorskip(
    "kubernetes_validate", reason="kubernetes-validate is in the dev extra: make setup"
)


def _kubectl() -> str:
    path = shutil.which("kubectl")
    if path is None:
        pytest.skip(
            "kubectl is not installed (it ships on this project's machines; elsewhere "
            "install kubectl 1.27 or newer, whose built-in kustomize renders deploy/k8s)"
        )
    return path


def render(directory: Path) -> list[dict[str, Any]]:
    result = subprocess.run(
        [_kubectl(), "kustomize", str(directory)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


@pytest.fixture(scope="module")
def manifests() -> list[dict[str, Any]]:
    return render(OVERLAY)


def of_kind(manifests: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {m["metadata"]["name"]: m for m in manifests if m["kind"] == kind}


def containers(deployment: dict[str, Any], *, init: bool = True) -> Iterator[dict[str, Any]]:
    spec = deployment["spec"]["template"]["spec"]
    yield from spec["containers"]
    if init:
        yield from spec.get("initContainers", [])


def test_base_and_overlay_render(manifests: list[dict[str, Any]]) -> None:
    assert render(BASE)
    kinds = {m["kind"] for m in manifests}
    assert {
        "Deployment",
        "Service",
        "HorizontalPodAutoscaler",
        "PodDisruptionBudget",
        "ConfigMap",
        "NetworkPolicy",
    } <= kinds
    assert set(SERVERS) <= set(of_kind(manifests, "Deployment"))
    assert {m["metadata"].get("namespace") for m in manifests} == {"tandem"}


@pytest.mark.parametrize("version", K8S_VERSIONS)
def test_every_manifest_is_valid_against_the_kubernetes_schemas(
    manifests: list[dict[str, Any]], version: str
) -> None:
    if version == "latest":
        version = kubernetes_validate.latest_version()
    for manifest in manifests:
        kubernetes_validate.validate(manifest, version, strict=True)


def test_the_validator_refuses_a_broken_manifest(manifests: list[dict[str, Any]]) -> None:
    """The check above is worth something: a misspelt field and a wrong type fail it."""
    deployment = dict(of_kind(manifests, "Deployment")["tandem-engine"])
    misspelt = {**deployment, "spec": {**deployment["spec"], "replica": 2}}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(misspelt, "1.27.0", strict=True)
    wrong_type = {**deployment, "spec": {**deployment["spec"], "replicas": "two"}}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(wrong_type, "1.27.0", strict=True)


def test_every_container_runs_as_a_user_with_nothing_extra(
    manifests: list[dict[str, Any]],
) -> None:
    for name, deployment in of_kind(manifests, "Deployment").items():
        pod = deployment["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True, name
        assert pod["securityContext"]["runAsUser"] != 0, name
        assert pod["automountServiceAccountToken"] is False, name
        for container in containers(deployment):
            context = container["securityContext"]
            assert context.get("runAsUser", pod["securityContext"]["runAsUser"]) != 0, name
            assert context["allowPrivilegeEscalation"] is False, (name, container["name"])
            assert context["readOnlyRootFilesystem"] is True, (name, container["name"])
            assert context["capabilities"]["drop"] == ["ALL"], (name, container["name"])


def test_servers_are_probed_on_their_real_health_endpoints(
    manifests: list[dict[str, Any]],
) -> None:
    deployments = of_kind(manifests, "Deployment")
    # rasa-sdk's and the handoff service's GET /health (bot/handoff/app.py)
    for name in ("tandem-actions", "tandem-handoff"):
        (server,) = containers(deployments[name], init=False)
        for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
            assert server[probe]["httpGet"]["path"] == "/health", (name, probe)
            assert server[probe]["httpGet"]["port"] == "http", (name, probe)
        assert server["ports"] == [{"name": "http", "containerPort": SERVERS[name]}]
    # Rasa: the open hello at / for being alive; ready once /status names a model
    # (what bot/supervisor.py waits for), with the API token from the environment.
    (engine,) = containers(deployments["tandem-engine"], init=False)
    assert engine["livenessProbe"]["httpGet"]["path"] == "/"
    assert engine["startupProbe"]["httpGet"]["path"] == "/"
    ready = " ".join(engine["readinessProbe"]["exec"]["command"])
    assert "http://127.0.0.1:5005/status" in ready
    assert 'os.environ["TANDEM_RASA_TOKEN"]' in ready
    assert "model_id" in ready
    compile(engine["readinessProbe"]["exec"]["command"][2], "readinessProbe", "exec")
    assert engine["ports"] == [{"name": "http", "containerPort": 5005}]


def test_rasa_hello_is_outside_the_api_guard() -> None:
    """The liveness probe's ``/`` must stay open: the guard skips Rasa's ``hello``."""
    server = (ROOT / "bot" / "engine" / "server.py").read_text(encoding="utf-8")
    assert '!= "hello"' in server


def test_every_container_requests_and_limits_resources(
    manifests: list[dict[str, Any]],
) -> None:
    for name, deployment in of_kind(manifests, "Deployment").items():
        for container in containers(deployment):
            resources = container["resources"]
            assert {"cpu", "memory"} <= set(resources["requests"]), (name, container["name"])
            assert "memory" in resources["limits"], (name, container["name"])


def test_secrets_come_only_from_the_secret_by_reference(
    manifests: list[dict[str, Any]],
) -> None:
    assert not of_kind(manifests, "Secret"), "real secrets never live in the repository"
    for name, config in of_kind(manifests, "ConfigMap").items():
        for key, value in config["data"].items():
            if key.endswith(".yml"):
                # endpoints.yml names its secrets as ${VARIABLES} only
                for line in value.splitlines():
                    if re.match(r"\s*(password|service_token)\s*:", line):
                        assert re.search(r":\s*\$\{TANDEM_[A-Z_]+\}\s*$", line), line
            else:
                assert not SECRET_NAME.search(key), (name, key)
    referenced = set()
    for name, deployment in of_kind(manifests, "Deployment").items():
        for container in containers(deployment):
            for env in container.get("env", []):
                if SECRET_NAME.search(env["name"]):
                    ref = env["valueFrom"]["secretKeyRef"]
                    assert ref["name"] == "tandem-secrets", (name, env["name"])
                    referenced.add(ref["key"])
                elif "value" in env:
                    # values built from others: a password only as $(VARIABLE)
                    assert "PASSWORD" not in env["value"].replace(
                        "$(TANDEM_POSTGRES_PASSWORD)", ""
                    ), env
    example = yaml.safe_load((DEPLOY / "k8s" / "secret.example.yaml").read_text())
    assert example["metadata"]["name"] == "tandem-secrets"
    assert referenced == set(example["stringData"]), "secret.example.yaml lists every key"
    assert all(v.startswith("<") for v in example["stringData"].values())


def test_autoscalers_and_budgets_target_existing_deployments(
    manifests: list[dict[str, Any]],
) -> None:
    deployments = of_kind(manifests, "Deployment")
    autoscalers = of_kind(manifests, "HorizontalPodAutoscaler")
    budgets = of_kind(manifests, "PodDisruptionBudget")
    assert set(autoscalers) == set(SERVERS) == set(budgets)
    for name, hpa in autoscalers.items():
        target = hpa["spec"]["scaleTargetRef"]
        assert (target["kind"], target["name"]) == ("Deployment", name)
        assert 2 <= hpa["spec"]["minReplicas"] < hpa["spec"]["maxReplicas"]
    for name, pdb in budgets.items():
        selector = pdb["spec"]["selector"]["matchLabels"]
        pod_labels = deployments[name]["spec"]["template"]["metadata"]["labels"]
        assert selector.items() <= pod_labels.items(), name
        # a budget that all replicas could not meet would block every node drain
        assert pdb["spec"]["minAvailable"] < autoscalers[name]["spec"]["minReplicas"]
    for name, service in of_kind(manifests, "Service").items():
        pod_labels = deployments[name]["spec"]["template"]["metadata"]["labels"]
        assert service["spec"]["selector"].items() <= pod_labels.items(), name


def test_config_maps_and_images_are_wired(manifests: list[dict[str, Any]]) -> None:
    config_maps = set(of_kind(manifests, "ConfigMap"))
    for name, deployment in of_kind(manifests, "Deployment").items():
        pod = deployment["spec"]["template"]["spec"]
        for container in containers(deployment):
            image = container["image"]
            assert ":" in image.rsplit("/", 1)[-1] or "@sha256:" in image, image
            assert not image.endswith(":latest"), image
            for source in container.get("envFrom", []):
                assert source["configMapRef"]["name"] in config_maps, name
        for volume in pod.get("volumes", []):
            if "configMap" in volume:
                assert volume["configMap"]["name"] in config_maps, name
    # the model reaches the engine through the init container's emptyDir
    engine = of_kind(manifests, "Deployment")["tandem-engine"]["spec"]["template"]["spec"]
    (init,) = engine["initContainers"]
    assert init["command"][-1] == "/models/model.tar.gz"
    assert "--model=/models/model.tar.gz" in engine["containers"][0]["args"]


def test_production_endpoints_follow_the_repository_ones() -> None:
    """The ConfigMap's endpoints.yml is the production profile: PostgreSQL tracker
    store, Redis lock store, endpoints.production.yml's broker, endpoints.yml's rest."""
    shipped = yaml.safe_load((BASE / "endpoints.yml").read_text())
    local = yaml.safe_load((ROOT / "endpoints.yml").read_text())
    production = yaml.safe_load((ROOT / "endpoints.production.yml").read_text())
    assert shipped["event_broker"] == production["event_broker"]
    assert shipped["action_endpoint"] == local["action_endpoint"]
    assert shipped["nlg"] == local["nlg"]
    assert shipped["tracker_store"]["type"] == local["tracker_store"]["type"]
    assert shipped["tracker_store"]["dialect"] == "postgresql"
    assert shipped["tracker_store"]["public_contacts"] == local["tracker_store"]["public_contacts"]
    assert shipped["lock_store"]["type"] != "in_memory"


def test_every_variable_the_endpoints_expand_is_set(manifests: list[dict[str, Any]]) -> None:
    """Rasa refuses to start on an unset ``${VAR}``: the engine's env has them all."""
    text = (BASE / "endpoints.yml").read_text()
    wanted = set(re.findall(r"\$\{(\w+)\}", text))
    credentials = (ROOT / "credentials.yml").read_text()
    wanted |= set(re.findall(r"^[^#]*\$\{(\w+)\}", credentials, flags=re.M))
    engine = of_kind(manifests, "Deployment")["tandem-engine"]
    (container,) = containers(engine, init=False)
    config = next(c for n, c in of_kind(manifests, "ConfigMap").items() if "config" in n)
    have = {env["name"] for env in container["env"]} | set(config["data"])
    assert wanted <= have, wanted - have


DOCKERFILES = ("engine.Dockerfile", "actions.Dockerfile")


def _from_lines(text: str) -> list[str]:
    return [line.split()[1] for line in text.splitlines() if line.startswith("FROM ")]


@pytest.mark.parametrize("name", DOCKERFILES)
def test_dockerfiles_are_multi_stage_pinned_and_not_root(name: str) -> None:
    text = (DOCKER / name).read_text(encoding="utf-8")
    stages = _from_lines(text)
    assert len(stages) >= 2, "multi-stage: the build tools stay out of the runtime image"
    args = dict(re.findall(r"^ARG (\w+)=(\S+)$", text, flags=re.M))
    for stage in stages:
        ref = re.sub(r"\$\{(\w+)\}", lambda m: args.get(m.group(1), m.group(0)), stage)
        if ref in {"build", "runtime", "web"}:
            continue  # an earlier stage of this file
        assert re.fullmatch(r"[\w./-]+:\d[\w.-]*", ref), f"{ref}: pin an exact version tag"
        assert "latest" not in ref
    assert "@sha256:<digest>" in text, "say how to pin the digest"
    users = re.findall(r"^USER (\S+)$", text, flags=re.M)
    assert users and all(u.split(":")[0] not in {"0", "root"} for u in users)
    assert re.search(r"^ENTRYPOINT \[", text, flags=re.M)


def test_python_versions_match_the_venvs() -> None:
    """3.10 for the engine (rasa 3.6), 3.11 for the actions venv, as scripts/setup.sh."""
    engine = (DOCKER / "engine.Dockerfile").read_text()
    actions = (DOCKER / "actions.Dockerfile").read_text()
    assert re.search(r"^ARG PYTHON_IMAGE=python:3\.10\.\d+-slim", engine, flags=re.M)
    assert re.search(r"^ARG PYTHON_IMAGE=python:3\.11\.\d+-slim", actions, flags=re.M)
    assert 'pip install ".[engine]"' in engine
    assert 'pip install ".[actions]"' in actions
    # CPU torch only, and the build fails if a CUDA one got in
    assert "whl/cpu" in actions and "torch.version.cuda is not None" in actions
    assert "PIP_CONSTRAINT=/tmp/torch-constraint.txt" in actions
    for target in ("actions", "handoff"):
        assert re.search(rf"^FROM runtime AS {target}$", actions, flags=re.M)
    setup = (ROOT / "scripts" / "setup.sh").read_text()
    torch = re.search(r"TANDEM_TORCH_SPEC:-(torch==[\d.]+)", setup)
    assert torch and f"ARG TORCH_SPEC={torch.group(1)}" in actions
    models = re.search(r'MODEL_PACKAGES="([^"]+)"', setup)
    assert models and f"ARG MODEL_PACKAGES={models.group(1)}" in actions


def test_model_image_runs_as_nobody() -> None:
    text = (DOCKER / "model.Dockerfile").read_text()
    assert re.search(r"^ARG BUSYBOX_IMAGE=busybox:\d[\d.]*$", text, flags=re.M)
    assert re.search(r"^USER 65534:65534$", text, flags=re.M)


def test_dockerignore_keeps_local_state_out() -> None:
    ignored = (ROOT / ".dockerignore").read_text().splitlines()
    for entry in (".venv", ".tandem", ".git", "models/*", "!models/*.tar.gz"):
        assert entry in ignored, entry
