#!/usr/bin/env bash
# Installs the system packages the exchange builds and runs with, when they are missing:
# liblmdb-dev (the storage engine) and libssl-dev (OpenSSL, for audit signatures); python3 with
# venv, curl and jq for the API checks (Tests/API/run-schemathesis.sh); systemd (systemd-analyze),
# util-linux (setpriv) and passwd (useradd) for the deployment checks (Tests/Deploy/run.sh); promtool
# (Debian's prometheus package) for the alert rules' checks (Tests/alerts.sh); chromium, chromium-driver and a
# Simplified Chinese font for the console's browser tests (Tests/Console/run-console-tests.sh).
# Uses apt-get; runs it through sudo when not root.
set -euo pipefail

missing=()
pkg-config --exists lmdb 2>/dev/null || missing+=(liblmdb-dev)
pkg-config --exists libcrypto 2>/dev/null || missing+=(libssl-dev)
command -v pkg-config >/dev/null 2>&1 || missing+=(pkg-config)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
python3 -c 'import ensurepip, venv' >/dev/null 2>&1 || missing+=(python3-venv)
command -v curl >/dev/null 2>&1 || missing+=(curl)
command -v jq >/dev/null 2>&1 || missing+=(jq)
command -v systemd-analyze >/dev/null 2>&1 || missing+=(systemd)
command -v setpriv >/dev/null 2>&1 || missing+=(util-linux)
command -v useradd >/dev/null 2>&1 || missing+=(passwd)
command -v promtool >/dev/null 2>&1 || missing+=(prometheus)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v chromedriver >/dev/null 2>&1 || missing+=(chromium-driver)
fc-list :lang=zh 2>/dev/null | grep -q . || missing+=(fonts-wqy-microhei)

if [ ${#missing[@]} -eq 0 ]; then
    exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
    echo "missing system packages: ${missing[*]}; install them with your package manager" >&2
    exit 1
fi

as_root=()
if [ "$(id -u)" -ne 0 ]; then
    as_root=(sudo)
fi
echo "installing ${missing[*]} with apt-get" >&2
"${as_root[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${as_root[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
