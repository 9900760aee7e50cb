"""Checks deploy/kubernetes offline: every manifest against its schema, then the references
between them, then that the check itself catches broken manifests.

- Kubernetes kinds: kubernetes-validate's bundled JSON schemas, strict (unknown fields are
  errors, as `kubectl apply` with strict field validation), for the oldest Kubernetes the
  manifests support (1.30: the preStop `sleep` action) and the newest the package knows.
- ServiceMonitor, PrometheusRule and Kustomization: the schemas in deploy/schemas (their sources are named
  in their `$comment`). A kind with no schema is an error, not a warning.
- References: labels and selectors, port names, probes, the ConfigMap mount and the
  SFGATE_CONFIG path, Secret keys, the `*_env` variables sfgate.toml names, the
  kustomization's resources and image, and the security settings the docs promise.
- Self-test: known breakages (a misspelt field, a wrong type, a dangling port name, ...) of
  the real manifests must each be reported.

Usage: .venv/bin/python scripts/deploy/check_manifests.py   (scripts/deploy-check runs it)
"""

import copy
import json
import sys
import tomllib
from pathlib import Path

import jsonschema
import kubernetes_validate
import yaml
from kubernetes_validate import utils as kv_utils

ROOT = Path(__file__).resolve().parents[2]
MANIFESTS = ROOT / "deploy" / "kubernetes"
SCHEMAS = ROOT / "deploy" / "schemas"
OLDEST = "1.30.0"
# Manifests not applied by the kustomization: the Secret is created from a secret manager.
NOT_APPLIED = {"secret.example.yaml"}
CRD_SCHEMAS = {
    ("monitoring.coreos.com/v1", "ServiceMonitor"): "servicemonitor.monitoring.coreos.com-v1.json",
    ("monitoring.coreos.com/v1", "PrometheusRule"): "prometheusrule.monitoring.coreos.com-v1.json",
    ("kustomize.config.k8s.io/v1beta1", "Kustomization"): "kustomization.kustomize.config.k8s.io-v1beta1.json",
}


def load():
    """{file name: [documents]} of deploy/kubernetes."""
    files = {}
    for path in sorted(MANIFESTS.glob("*.yaml")):
        docs = [d for d in yaml.safe_load_all(path.read_text()) if d is not None]
        files[path.name] = docs
    return files


def schema_problems(files, versions):
    problems = []
    validators = {
        key: jsonschema.Draft202012Validator(json.loads((SCHEMAS / name).read_text()))
        for key, name in CRD_SCHEMAS.items()
    }
    for name, docs in files.items():
        for doc in docs:
            if not isinstance(doc, dict):
                problems.append(f"{name}: a document that is not a mapping")
                continue
            key = (doc.get("apiVersion"), doc.get("kind"))
            where = f"{name}: {key[1]} {doc.get('metadata', {}).get('name', '')}".rstrip()
            if key in validators:
                for error in validators[key].iter_errors(doc):
                    path = ".".join(str(p) for p in error.absolute_path) or "(top)"
                    problems.append(f"{where}: {path}: {error.message}")
                continue
            for version in versions:
                try:
                    kubernetes_validate.validate(doc, version, strict=True)
                except kv_utils.SchemaNotFoundError as e:
                    problems.append(f"{where}: {e.message}")
                    break
                except kv_utils.ValidationError as e:
                    path = ".".join(str(p) for p in e.path) or "(top)"
                    problems.append(f"{where}: Kubernetes {version}: {path}: {e.message}")
    return problems


def one(files, kind, name=None):
    found = [
        (file, doc)
        for file, docs in files.items()
        for doc in docs
        if isinstance(doc, dict) and doc.get("kind") == kind
        and (name is None or doc.get("metadata", {}).get("name") == name)
    ]
    return found


def selects(selector, labels):
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


def reference_problems(files):
    """What a schema cannot see: names that must agree across manifests."""
    problems = []
    say = problems.append
    deployments = one(files, "Deployment")
    if len(deployments) != 1:
        return [f"expected one Deployment, found {len(deployments)}"]
    dep_file, dep = deployments[0]
    spec = dep.get("spec", {})
    pod = spec.get("template", {})
    pod_labels = pod.get("metadata", {}).get("labels", {})
    pod_spec = pod.get("spec", {})
    containers = pod_spec.get("containers", [])
    if len(containers) != 1:
        return [f"{dep_file}: expected one container, found {len(containers)}"]
    container = containers[0]
    ports = {p.get("name"): p.get("containerPort") for p in container.get("ports", [])}
    env = {e.get("name"): e for e in container.get("env", [])}

    # The Deployment's own selector, replicas and disruption budget.
    if not selects(spec.get("selector", {}).get("matchLabels"), pod_labels):
        say(f"{dep_file}: spec.selector does not select the pod template's labels")
    replicas = spec.get("replicas", 1)
    if replicas < 2:
        say(f"{dep_file}: replicas {replicas}: at least 2, so one serves during a disruption")
    for file, pdb in one(files, "PodDisruptionBudget"):
        if not selects(pdb["spec"].get("selector", {}).get("matchLabels"), pod_labels):
            say(f"{file}: the PodDisruptionBudget selects no sfgate pod")
        if pdb["spec"].get("minAvailable", 0) >= replicas:
            say(f"{file}: minAvailable {pdb['spec']['minAvailable']} >= replicas {replicas}: no drain could ever proceed")

    # Ports: names the kubelet and Services use must exist, the probes hit the gRPC port.
    for name in ports:
        if not name or len(name) > 15:
            say(f"{dep_file}: port name {name!r}: 1 to 15 characters (IANA service name)")
    if set(ports) != {"grpc", "admin"}:
        say(f"{dep_file}: container ports {sorted(ports)}: expected grpc and admin")
    for probe in ("readinessProbe", "livenessProbe"):
        grpc = container.get(probe, {}).get("grpc")
        if not grpc:
            say(f"{dep_file}: {probe}: expected a native gRPC probe")
        elif grpc.get("port") != ports.get("grpc"):
            say(f"{dep_file}: {probe}: port {grpc.get('port')} is not the grpc port {ports.get('grpc')}")
    listen = env.get("SFGATE_LISTEN", {}).get("value", "")
    if listen != f"0.0.0.0:{ports.get('grpc')}":
        say(f"{dep_file}: SFGATE_LISTEN {listen!r}: expected 0.0.0.0:<the grpc port>")

    # Services select the pods and name existing container ports.
    services = one(files, "Service")
    for file, svc in services:
        name = svc["metadata"]["name"]
        if not selects(svc["spec"].get("selector"), pod_labels):
            say(f"{file}: Service {name} selects no sfgate pod")
        for port in svc["spec"].get("ports", []):
            target = port.get("targetPort")
            if isinstance(target, str) and target not in ports:
                say(f"{file}: Service {name} port {port.get('name')}: targetPort {target!r} is no container port")
            elif isinstance(target, int) and target not in ports.values():
                say(f"{file}: Service {name} port {port.get('name')}: targetPort {target} is no container port")

    # The ServiceMonitor scrapes the admin port of exactly one Service (no pod twice).
    for file, mon in one(files, "ServiceMonitor"):
        selector = mon["spec"].get("selector", {}).get("matchLabels")
        for endpoint in mon["spec"].get("endpoints", []):
            port = endpoint.get("port")
            matched = [
                svc["metadata"]["name"]
                for _, svc in services
                if selects(selector, svc["metadata"].get("labels", {}))
                and any(p.get("name") == port for p in svc["spec"].get("ports", []))
            ]
            if len(matched) != 1:
                say(f"{file}: endpoint port {port!r} matches Services {matched}: expected exactly one")
            if port != "admin" or endpoint.get("path") != "/metrics":
                say(f"{file}: expected the admin port's /metrics, got {port!r} {endpoint.get('path')!r}")

    # The configuration: mounted where SFGATE_CONFIG points, listening where the ports are.
    config_path = env.get("SFGATE_CONFIG", {}).get("value", "")
    volumes = {v.get("name"): v for v in pod_spec.get("volumes", [])}
    mounted = None
    for mount in container.get("volumeMounts", []):
        volume = volumes.get(mount.get("name"))
        if volume is None:
            say(f"{dep_file}: volumeMount {mount.get('name')!r} names no volume")
            continue
        cm_name = volume.get("configMap", {}).get("name")
        if cm_name:
            found = one(files, "ConfigMap", cm_name)
            if not found:
                say(f"{dep_file}: volume {mount['name']} names ConfigMap {cm_name!r}, which is not here")
                continue
            for key in found[0][1].get("data", {}):
                if f"{mount['mountPath'].rstrip('/')}/{key}" == config_path:
                    mounted = found[0]
    if mounted is None:
        say(f"{dep_file}: SFGATE_CONFIG {config_path!r} is no key of a mounted ConfigMap")
        return problems
    cm_file, cm = mounted
    try:
        config = tomllib.loads(cm["data"][config_path.rsplit("/", 1)[1]])
    except tomllib.TOMLDecodeError as e:
        say(f"{cm_file}: sfgate.toml is not TOML: {e}")
        return problems
    for table, port_name in (("server", "grpc"), ("admin", "admin")):
        listen = config.get(table, {}).get("listen", "")
        if listen != f"0.0.0.0:{ports.get(port_name)}":
            say(f"{cm_file}: [{table}] listen {listen!r}: expected 0.0.0.0:<the {port_name} port>")

    # Secrets: every variable sfgate.toml names is set; every Secret key exists.
    def env_names(value, path):
        if isinstance(value, dict):
            for k, v in value.items():
                if k.endswith("_env") and isinstance(v, str):
                    yield f"{path}{k}", v
                yield from env_names(v, f"{path}{k}.")
    for key, var in env_names(config, ""):
        if var not in env:
            say(f"{cm_file}: {key} = {var!r}, which the Deployment does not set")
    secrets = {s["metadata"]["name"]: s for _, s in one(files, "Secret")}
    for name, entry in env.items():
        ref = entry.get("valueFrom", {}).get("secretKeyRef")
        if not ref:
            continue
        secret = secrets.get(ref.get("name"))
        keys = set((secret or {}).get("stringData", {})) | set((secret or {}).get("data", {}))
        if ref.get("key") not in keys:
            say(f"{dep_file}: env {name}: Secret {ref.get('name')!r} key {ref.get('key')!r} is not in the example Secret")

    # The security the docs promise.
    pod_sc = pod_spec.get("securityContext", {})
    sc = container.get("securityContext", {})
    if pod_sc.get("runAsNonRoot") is not True:
        say(f"{dep_file}: the pod must set runAsNonRoot: true")
    if sc.get("readOnlyRootFilesystem") is not True or sc.get("allowPrivilegeEscalation") is not False:
        say(f"{dep_file}: the container must have readOnlyRootFilesystem and no privilege escalation")
    if "ALL" not in sc.get("capabilities", {}).get("drop", []):
        say(f"{dep_file}: the container must drop ALL capabilities")
    resources = container.get("resources", {})
    if not resources.get("requests") or not resources.get("limits", {}).get("memory"):
        say(f"{dep_file}: resource requests and a memory limit are required")

    # The kustomization applies every manifest but the example Secret, and sets the image.
    kustomizations = one(files, "Kustomization")
    if len(kustomizations) != 1:
        say(f"expected one Kustomization, found {len(kustomizations)}")
        return problems
    k_file, kust = kustomizations[0]
    listed = set(kust.get("resources", []))
    expected = set(files) - NOT_APPLIED - {k_file}
    for missing in sorted(expected - listed):
        say(f"{k_file}: resources does not list {missing}")
    for extra in sorted(listed - set(files)):
        say(f"{k_file}: resources lists {extra}, which does not exist")
    for applied in sorted(listed & NOT_APPLIED):
        say(f"{k_file}: {applied} must not be applied (placeholder secrets)")
    image_names = {i.get("name") for i in kust.get("images", [])}
    if container.get("image") not in image_names:
        say(f"{k_file}: images does not set the container's image {container.get('image')!r}")
    return problems


def check(files, versions):
    """Every problem: the schemas first; the references only between valid manifests."""
    return schema_problems(files, versions) or reference_problems(files)


def mutations():
    """(what, change) pairs: each change breaks the manifests in a way the check must catch."""
    def deployment(files):
        return one(files, "Deployment")[0][1]

    def container(files):
        return deployment(files)["spec"]["template"]["spec"]["containers"][0]

    def servicemonitor(files):
        return one(files, "ServiceMonitor")[0][1]

    def set_(getter, *path, value=None, rename=None):
        def change(files):
            node = getter(files)
            for key in path[:-1]:
                node = node[key]
            if rename:
                node[rename] = node.pop(path[-1])
            else:
                node[path[-1]] = value
        return change

    return [
        ("a misspelt container field (resourcess)", set_(container, "resources", rename="resourcess")),
        ("a misspelt probe field (readinesProbe)", set_(container, "readinessProbe", rename="readinesProbe")),
        ("a string where Kubernetes wants an integer (replicas)", set_(deployment, "spec", "replicas", value="2")),
        ("an unknown probe kind field (grpc.serviceName)", set_(container, "livenessProbe", "grpc", "serviceName", value="x")),
        ("a misspelt ServiceMonitor endpoint field (intervall)", lambda f: servicemonitor(f)["spec"]["endpoints"][0].update({"intervall": "15s"})),
        ("a ServiceMonitor interval that is no duration", lambda f: servicemonitor(f)["spec"]["endpoints"][0].update({"interval": "15 seconds"})),
        ("a ServiceMonitor without endpoints", lambda f: servicemonitor(f)["spec"].pop("endpoints")),
        ("a misspelt PrometheusRule field (annotation)", lambda f: one(f, "PrometheusRule")[0][1]["spec"]["groups"][0]["rules"][0].update({"annotation": {}})),
        ("a PrometheusRule rule with neither alert nor record", lambda f: one(f, "PrometheusRule")[0][1]["spec"]["groups"][0]["rules"][0].pop("alert")),
        ("a misspelt kustomization field (resource)", lambda f: one(f, "Kustomization")[0][1].update({"resource": []})),
        ("a Service targetPort naming no container port", lambda f: one(f, "Service", "sfgate")[0][1]["spec"]["ports"][0].update({"targetPort": "gprc"})),
        ("a probe on another port", set_(container, "readinessProbe", "grpc", "port", value=9090)),
        ("a ServiceMonitor scraping a port no Service has", lambda f: servicemonitor(f)["spec"]["endpoints"][0].update({"port": "metrics"})),
        ("a Secret key the example Secret lacks", lambda f: container(f)["env"][-1]["valueFrom"]["secretKeyRef"].update({"key": "page-token"})),
        ("SFGATE_CONFIG pointing past the mount", lambda f: next(e for e in container(f)["env"] if e["name"] == "SFGATE_CONFIG").update({"value": "/etc/sfgate.toml"})),
        ("a root filesystem made writable", set_(container, "securityContext", "readOnlyRootFilesystem", value=False)),
        ("one replica", set_(deployment, "spec", "replicas", value=1)),
        ("a kind with no schema", lambda f: f.update({"x.yaml": [{"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}}]})),
    ]


def main():
    files = load()
    versions = [OLDEST, kv_utils.latest_version()]
    problems = check(files, versions)
    for p in problems:
        print(f"  {p}")
    if problems:
        print(f"manifests: {len(problems)} problem(s)")
        return 1
    count = sum(len(d) for d in files.values())
    print(f"manifests: {count} documents in {len(files)} files valid (Kubernetes {versions[0]} and "
          f"{versions[1]}, strict; ServiceMonitor, PrometheusRule and Kustomization against deploy/schemas), references agree")

    missed = []
    for what, change in mutations():
        broken = copy.deepcopy(files)
        change(broken)
        found = check(broken, versions)
        if not found:
            missed.append(what)
        else:
            print(f"  self-test: {what}: caught ({found[0]})")
    if missed:
        for what in missed:
            print(f"  self-test: NOT caught: {what}")
        return 1
    print(f"manifests: self-test: all {len(mutations())} breakages caught")
    return 0


if __name__ == "__main__":
    sys.exit(main())
