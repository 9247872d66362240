#!/usr/bin/env bash
# The map of docs/architecture.md, checked: every `import` in a target under Sources/ (and in the
# fuzz harness, Fuzz/Sources) must name a module the table below allows that target, so that
# dependencies only point down and the clients never link the HTTP server.
#
#   Tests/layering.sh            check the imports
#   Tests/layering.sh --package  also check `swift package describe`: the dependency closure of
#                                exchangectl, exchange-bench and exchange-fuzz holds no Hummingbird
#                                product (HummingbirdWSClient, a WebSocket client, is allowed), and
#                                each target declares in Package.swift what it imports and no more
#
# Prints each import the table does not allow (file:line: target imports module) and exits 1 if
# there is one. Run by `make test`.
set -euo pipefail
cd "$(dirname "$0")/.."

# Modules of the toolchain and the system, allowed everywhere.
system="Foundation FoundationEssentials Glibc Musl Darwin Dispatch Synchronization _Concurrency"

# Layers, bottom to top: LMDB <- ExchangeStore <- ExchangeEngine <- ExchangeServer <- exchanged.
# ExchangeConfig, ExchangeIdentity and ExchangeWire hold what the daemon and its clients share;
# they know no HTTP server. The clients (exchangectl, exchange-bench, exchange-fuzz) never import
# ExchangeEngine or ExchangeServer.
declare -A allowed=(
  [LMDB]="CLMDB"
  [ExchangeModel]=""
  [ExchangeAudit]="COpenSSL"
  [ExchangeRouting]="ExchangeModel Yams"
  [ExchangeStore]="LMDB CLMDB ExchangeModel ExchangeAudit Logging"
  [ExchangeEngine]="ExchangeModel ExchangeStore ExchangeAudit ExchangeRouting Logging Metrics CoreMetrics"
  [ExchangeConfig]="ExchangeModel ExchangeStore ExchangeAudit ExchangeEngine ExchangeRouting Logging NIOSSL"
  [ExchangeIdentity]="ExchangeModel ExchangeRouting ExchangeConfig Crypto X509 SwiftASN1 Logging"
  [ExchangeWire]="ExchangeModel ExchangeStore ExchangeEngine ExchangeAudit HTTPTypes"
  [ExchangeConsole]="ExchangeModel ExchangeStore ExchangeAudit ExchangeRouting ExchangeEngine ExchangeIdentity Mustache"
  [ExchangeServer]="ExchangeConsole ExchangeModel ExchangeStore ExchangeAudit ExchangeRouting ExchangeEngine ExchangeConfig
    ExchangeIdentity ExchangeWire Hummingbird HummingbirdCore HummingbirdWebSocket HTTPTypes NIOCore NIOHTTP1
    NIOWebSocket NIOTLS NIOSSL Crypto Metrics CoreMetrics Prometheus ServiceLifecycle Logging"
  [exchanged]="ExchangeModel ExchangeStore ExchangeAudit ExchangeRouting ExchangeEngine ExchangeConfig
    ExchangeIdentity ExchangeServer ExchangeWire NIOCore UnixSignals Metrics Prometheus ServiceLifecycle ArgumentParser Logging"
  [exchangectl]="ExchangeModel ExchangeStore ExchangeAudit ExchangeRouting ExchangeConfig ExchangeIdentity
    ExchangeWire AsyncHTTPClient NIOCore NIOHTTP1 NIOSSL ArgumentParser"
  [exchange-bench]="ExchangeModel ExchangeStore ExchangeAudit ExchangeRouting ExchangeConfig ExchangeIdentity
    ExchangeWire AsyncHTTPClient NIOCore NIOHTTP1 NIOPosix NIOSSL Crypto ArgumentParser Logging"
  [exchange-fuzz]="ExchangeModel ExchangeAudit ExchangeRouting ExchangeConfig ExchangeWire HTTPTypes"
)

failures=0
check() { # target directory
  local target=$1 dir=$2
  if [[ ! -v allowed[$target] ]]; then
    echo "$dir: target $target is not in the table of Tests/layering.sh"
    failures=$((failures + 1))
    return
  fi
  local permitted=" $system ${allowed[$target]//$'\n'/ } "
  permitted=${permitted//  / }
  while IFS=: read -r file line text; do
    module=$(sed -E 's/^[[:space:]]*(@[A-Za-z_]+(\([^)]*\))?[[:space:]]+)*((public|package|internal|private|fileprivate)[[:space:]]+)?import[[:space:]]+((typealias|struct|class|enum|protocol|let|var|func)[[:space:]]+)?([A-Za-z_0-9]+).*/\7/' <<<"$text")
    if [[ " $permitted " != *" $module "* ]]; then
      echo "$file:$line: $target imports $module"
      failures=$((failures + 1))
    fi
  done < <(grep -rnE '^[[:space:]]*(@[A-Za-z_]+(\([^)]*\))?[[:space:]]+)*((public|package|internal|private|fileprivate)[[:space:]]+)?import[[:space:]]+' \
    --include='*.swift' "$dir" || true)
}

for dir in Sources/*/; do
  dir=${dir%/}
  target=${dir#Sources/}
  ls "$dir"/*.swift >/dev/null 2>&1 || continue # system libraries: a module map, no Swift
  check "$target" "$dir"
done
check exchange-fuzz Fuzz/Sources

if [[ ${1:-} == --package ]]; then
  description=$(mktemp)
  trap 'rm -f "$description"' EXIT
  swift package describe --type json >"$description"
  python3 - "$description" <<'PY' || failures=$((failures + 1))
import json, sys
targets = {t["name"]: t for t in json.load(open(sys.argv[1]))["targets"]}
bad = False
for client in ("exchangectl", "exchange-bench", "exchange-fuzz"):
    seen, todo, products = set(), [client], set()
    while todo:
        name = todo.pop()
        if name in seen or name not in targets:
            continue
        seen.add(name)
        todo += targets[name].get("target_dependencies", [])
        products |= set(targets[name].get("product_dependencies", []))
    server = sorted(p for p in products if p.startswith("Hummingbird") and p != "HummingbirdWSClient")
    linked = server + (["ExchangeServer"] if "ExchangeServer" in seen else [])
    if linked:
        print(f"{client} links {', '.join(linked)}")
        bad = True
# Package.swift declares what each target imports, and no more.
import glob, re
system = {"Foundation", "FoundationEssentials", "Glibc", "Musl", "Darwin", "Dispatch", "Synchronization", "Testing", "XCTest"}
modules = {"Metrics": {"Metrics", "CoreMetrics"}, "exchange-bench": {"exchange_bench"}}
for name, target in sorted(targets.items()):
    imported = set()
    for file in glob.glob(target["path"] + "/**/*.swift", recursive=True):
        for line in open(file, encoding="utf-8"):
            found = re.match(r"\s*(?:@\w+\s+)*(?:(?:public|package|internal)\s+)?import\s+(\w+)", line)
            if found:
                imported.add(found.group(1))
    imported -= system
    declared = set(target.get("target_dependencies", [])) | set(target.get("product_dependencies", []))
    provided = set().union(*(modules.get(d, {d}) for d in declared)) if declared else set()
    unused = sorted(d for d in declared if not modules.get(d, {d}) & imported)
    undeclared = sorted(imported - provided)
    if unused or undeclared:
        print(f"Package.swift: {name} declares {unused or 'nothing'} it does not import, imports {undeclared or 'nothing'} it does not declare")
        bad = True
sys.exit(1 if bad else 0)
PY
fi

if ((failures > 0)); then
  echo "layering: $failures dependency(ies) against the map (docs/architecture.md, Tests/layering.sh)"
  exit 1
fi
echo "layering: every import follows the map"
