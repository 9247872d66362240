"""The container build context leaves out every key, certificate, token and store.

Builds a tree holding what a developer's checkout and a copied /etc/exchange may hold, applies
.containerignore and .dockerignore with docker-py's implementation of the .dockerignore rules
(the Docker CLI's and Buildah's semantics: `**`, `!` exceptions, last match wins) and checks
that no secret would be sent to the builder while everything the Containerfile copies would.
"""
import os
import sys
import tempfile

from docker.utils.build import exclude_paths

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# Never in a build context.
SECRETS = [
    "Config/pki/ca.key",
    "Config/pki/ca.crt",
    "Config/pki/server.key",
    "Config/pki/server.crt",
    "Config/pki/audit.key",
    "Config/pki/audit.pub",
    "Config/pki/clients/tax-bureau.key",
    "Config/pki/clients/tax-bureau.crt",
    "Config/tokens.json",
    "Config/.tokens.json.tmp",
    "etc/exchange/pki/server.key",
    "etc/exchange/tokens.json",
    "Deploy/tokens.json",
    "Deploy/kubernetes/server.key",
    "Deploy/kubernetes/tokens.json",
    "pki/audit.key",
    "server.key",
    "client.pem",
    "department.p12",
    "data/data.mdb",
    "data/lock.mdb",
    "var/lib/exchange/data.mdb",
    "Tests/ExchangeStoreTests/Fixtures/format-4-store/data.mdb",
    "Tests/ExchangeStoreTests/Fixtures/format-6-registry-store/data.mdb",
]

# What Deploy/container/Containerfile copies.
NEEDED = [
    "Package.swift",
    "Sources/exchanged/Exchanged.swift",
    "Sources/exchangectl/PKICommand.swift",
    "Tests/EndToEndTests/DaemonHarness.swift",
    "Deploy/install.sh",
    "Deploy/exchange.yaml",
    "Config/departments.yaml",
    "Config/topics.yaml",
    "Config/agreements/msa-business-licences.yaml",
]


def check(ignore_file):
    with open(os.path.join(ROOT, ignore_file)) as handle:
        patterns = [line.strip() for line in handle if line.strip() and not line.startswith("#")]
    failures = []
    with tempfile.TemporaryDirectory() as tree:
        for path in SECRETS + NEEDED:
            full = os.path.join(tree, path)
            os.makedirs(os.path.dirname(full), exist_ok=True)
            with open(full, "w") as handle:
                handle.write("x\n")
        sent = exclude_paths(tree, patterns, dockerfile="Deploy/container/Containerfile")
        for path in SECRETS:
            if path in sent:
                failures.append(f"{ignore_file}: {path} would enter the build context")
        for path in NEEDED:
            if path not in sent:
                failures.append(f"{ignore_file}: {path} is needed by the Containerfile but left out")
    return failures


def main():
    failures = []
    for name in (".containerignore", ".dockerignore"):
        failures += check(name)
    for failure in failures:
        print(f"error: {failure}", file=sys.stderr)
    if failures:
        return 1
    print(f"ignore files: {len(SECRETS)} secret paths left out, {len(NEEDED)} needed paths kept, in both")
    return 0


if __name__ == "__main__":
    sys.exit(main())
