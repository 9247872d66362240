"""The Kubernetes recipe gives the daemon the layout it reads, as shipped.

kubernetes-validate --strict (run by Tests/Deploy/run.sh) checks each manifest against the API's
schemas; this checks what the schemas cannot: Deploy/kubernetes/config.yaml is what
make-config.sh makes of Deploy/exchange.yaml and Config/; every ConfigMap key reaches its file
through the projected volume's `items` (agreements/ included); every file exchange.yaml names
under /etc/exchange comes from that volume and the store from the claim; the image is pinned;
the probes ask the daemon's health endpoints.
"""
import os
import subprocess
import sys

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
KUBE = os.path.join(ROOT, "Deploy", "kubernetes")
failures = []


def expect(condition, message):
    if not condition:
        failures.append(message)


def documents(name):
    with open(os.path.join(KUBE, name)) as handle:
        return [d for d in yaml.safe_load_all(handle) if d]


generated = subprocess.run([os.path.join(KUBE, "make-config.sh")], check=True, capture_output=True, text=True).stdout
with open(os.path.join(KUBE, "config.yaml")) as handle:
    expect(handle.read() == generated, "Deploy/kubernetes/config.yaml differs from make-config.sh's output: regenerate it")

configmap = documents("config.yaml")[0]
manifests = documents("exchange.yaml")
kinds = {d["kind"]: d for d in manifests}
for kind in ("Service", "StatefulSet", "PodDisruptionBudget", "NetworkPolicy"):
    expect(kind in kinds, f"exchange.yaml has no {kind}")
statefulset = kinds["StatefulSet"]
pod = statefulset["spec"]["template"]["spec"]
container = pod["containers"][0]

# The configuration the pod gets is the shared layout's.
config = yaml.safe_load(configmap["data"]["exchange.yaml"])
with open(os.path.join(ROOT, "Deploy", "exchange.yaml")) as handle:
    expect(config == yaml.safe_load(handle), "the ConfigMap's exchange.yaml is not Deploy/exchange.yaml")

mounts = {m["mountPath"]: m for m in container["volumeMounts"]}
volumes = {v["name"]: v for v in pod["volumes"]}
expect("/etc/exchange" in mounts and mounts["/etc/exchange"].get("readOnly"), "/etc/exchange is not mounted read-only")
expect("/var/lib/exchange" in mounts, "/var/lib/exchange is not mounted")
claims = [t["metadata"]["name"] for t in statefulset["spec"].get("volumeClaimTemplates", [])]
expect(mounts.get("/var/lib/exchange", {}).get("name") in claims, "/var/lib/exchange is not a persistent volume claim")

etc = volumes[mounts["/etc/exchange"]["name"]]
files = {}  # path under /etc/exchange -> (source kind, source name, key)
for source in etc["projected"]["sources"]:
    kind = "configMap" if "configMap" in source else "secret"
    body = source[kind]
    expect("items" in body, f"the {kind} {body['name']} has no items: its files' paths are not fixed")
    for item in body.get("items", []):
        expect(item["path"] not in files, f"{item['path']} is projected twice")
        files[item["path"]] = (kind, body["name"], item["key"])

# Every ConfigMap key is projected, and agreements land in agreements/.
projected_keys = {key for kind, name, key in files.values() if kind == "configMap"}
for key in configmap["data"]:
    expect(key in projected_keys, f"the ConfigMap key {key} has no item in the StatefulSet's projected volume")
    if key.startswith("agreements."):
        expect(files.get("agreements/" + key[len("agreements."):], (None, None, None))[2] == key, f"{key} is not projected to agreements/")
for path, (kind, name, key) in files.items():
    if kind == "configMap":
        expect(key in configmap["data"], f"{path} names the key {key}, which the ConfigMap does not have")

# Every file the configuration names under /etc/exchange is projected; keys from Secrets.
named = [
    config["server"]["tls"]["certificate"],
    config["server"]["tls"]["private_key"],
    config["server"]["tls"]["client_ca"],
    config["server"]["tokens_file"],
    config["audit"]["signing_key"],
]
for path in named:
    expect(path.startswith("/etc/exchange/"), f"{path} is not under /etc/exchange")
    relative = path[len("/etc/exchange/"):]
    expect(relative in files, f"{path} (named by exchange.yaml) is not projected into /etc/exchange")
    if relative.endswith(".key") or relative == "tokens.json":
        expect(files.get(relative, ("",))[0] == "secret", f"{path} does not come from a Secret")
expect(config["store"]["directory"] == "/var/lib/exchange", "store.directory is not /var/lib/exchange")
for required in ("exchange.yaml", "departments.yaml", "topics.yaml"):
    expect(required in files, f"{required} is not projected")
expect(any(p.startswith("agreements/") for p in files), "no agreements are projected")

# Keys readable by the pod's group only; the daemon runs as the image's user.
security = pod["securityContext"]
expect(security.get("runAsNonRoot") and security.get("runAsUser") == 10001, "the pod does not run as the image's user 10001")
expect(security.get("fsGroup") == 10001, "fsGroup is not 10001: the mounted keys would not be readable by the daemon")
expect(etc["projected"].get("defaultMode") == 0o440, "the projected files are not 0440")
expect(container["securityContext"].get("readOnlyRootFilesystem"), "the root filesystem is writable")

# A pinned image and the daemon's health endpoints.
image = container["image"]
tag = image.rsplit("/", 1)[-1]
expect("@sha256:" in image or (":" in tag and not tag.endswith(":latest")), f"the image {image} is not pinned")
expect(container["livenessProbe"]["httpGet"]["path"] == "/healthz", "the liveness probe does not ask /healthz")
expect(container["readinessProbe"]["httpGet"]["path"] == "/readyz", "the readiness probe does not ask /readyz")
for probe in ("livenessProbe", "readinessProbe"):
    expect(container[probe]["httpGet"].get("scheme") == "HTTPS", f"the {probe} does not speak HTTPS")
expect(statefulset["spec"]["replicas"] == 1, "more than one replica would open one store twice")

# TLS reaches the pod unopened for departments outside the cluster.
passthrough = {d["kind"]: d for d in documents("passthrough.yaml")}
expect(passthrough["Service"]["spec"]["type"] in ("LoadBalancer", "NodePort"), "no LoadBalancer or NodePort Service")
expect(passthrough["Ingress"]["metadata"]["annotations"].get("nginx.ingress.kubernetes.io/ssl-passthrough") == "true", "the Ingress does not pass TLS through")

for failure in failures:
    print(f"error: {failure}", file=sys.stderr)
if failures:
    sys.exit(1)
print(f"kubernetes: {len(files)} files projected into /etc/exchange, the store on a claim, image {image}")
