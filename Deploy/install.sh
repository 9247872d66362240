#!/usr/bin/env bash
# Installs the exchange in the layout every recipe in Deploy/ shares, with owners and modes that
# let the daemon, running as its own user, read what it needs and nobody else read its keys:
#
#   /usr/local/bin/exchanged, exchangectl       root:root 0755            (with --bin)
#   /etc/exchange/                              root:root 0755
#   /etc/exchange/exchange.yaml                 root:root 0644            (Deploy/exchange.yaml)
#   /etc/exchange/departments.yaml, topics.yaml, agreements/   root:root 0644 (examples from Config/)
#   /etc/exchange/pki/                          root:GROUP 0750
#   /etc/exchange/pki/server.key, audit.key     USER:GROUP 0600
#   /etc/exchange/pki/server.crt, ca.crt, audit.pub   root:root 0644
#   /etc/exchange/pki/ca.key, clients/          root:root 0600 / 0700  (development CA: move it off the host)
#   /etc/exchange/tokens.json                   USER:GROUP 0600
#   /var/lib/exchange/                          USER:GROUP 0700           (the LMDB store)
#
# Files already there are kept (configuration, agreements, certificates, tokens, the store); only
# their owners and modes are set as above, so running it again after copying in your own
# certificates or tokens is how they get the right owners. Needs root. See docs/operations.md.
#
# Usage: Deploy/install.sh [options]
#   --user USER[:GROUP]   the service user (default exchange:exchange); created with
#                         `useradd --system` when missing
#   --bin DIR             install exchanged and exchangectl from DIR (e.g. .build/release) into
#                         ROOT/usr/local/bin; without it exchangectl is taken from
#                         ROOT/usr/local/bin, else from PATH
#   --examples DIR        where departments.yaml, topics.yaml and agreements/ are copied from when
#                         missing (default: Config/ of this checkout, or Config/ beside this script)
#   --department ID       also issue a development client certificate for ID (repeatable)
#   --no-pki              do not create development certificates; install your own as
#                         pki/server.crt, pki/server.key, pki/ca.crt and run this again
#   --systemd             install Deploy/systemd/exchanged.service into ROOT/etc/systemd/system
#                         (and run `systemctl daemon-reload` when ROOT is /)
#   --root DIR            stage the layout under DIR instead of /: for tests and image builds; the
#                         installed exchange.yaml then names paths under DIR
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=/
OWNER=exchange
BIN=
EXAMPLES=
DEPARTMENTS=()
PKI=1
SYSTEMD=0

fail() { echo "error: install: $*" >&2; exit 1; }

while [[ $# -gt 0 ]]; do
    case $1 in
        --user) OWNER=${2:?--user needs USER[:GROUP]}; shift 2 ;;
        --bin) BIN=${2:?--bin needs a directory}; shift 2 ;;
        --examples) EXAMPLES=${2:?--examples needs a directory}; shift 2 ;;
        --department) DEPARTMENTS+=(--department "${2:?--department needs an id}"); shift 2 ;;
        --no-pki) PKI=0; shift ;;
        --systemd) SYSTEMD=1; shift ;;
        --root) ROOT=${2:?--root needs a directory}; shift 2 ;;
        -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) echo "error: install: unknown option $1 (see --help)" >&2; exit 64 ;;
    esac
done

[[ $(id -u) -eq 0 ]] || fail "run as root: it creates the service user and gives it its keys"
ROOT=$(cd "$ROOT" 2>/dev/null && pwd) || fail "--root $ROOT: no such directory"
PREFIX=${ROOT%/}
USER_NAME=${OWNER%%:*}
GROUP_NAME=$USER_NAME
[[ $OWNER == *:* ]] && GROUP_NAME=${OWNER#*:}

if [[ -z $EXAMPLES ]]; then
    for candidate in "$HERE/../Config" "$HERE/Config"; do
        [[ -f $candidate/departments.yaml ]] && { EXAMPLES=$candidate; break; }
    done
fi
[[ -n $EXAMPLES && -f $EXAMPLES/departments.yaml ]] || fail "no example configuration (departments.yaml) found; pass --examples DIR"
PRODUCTION_CONFIG=$HERE/exchange.yaml
[[ -f $PRODUCTION_CONFIG ]] || fail "$PRODUCTION_CONFIG is missing"

# --- The service user -------------------------------------------------------------------------
if ! getent group "$GROUP_NAME" >/dev/null; then
    echo "creating group $GROUP_NAME"
    groupadd --system "$GROUP_NAME"
fi
if ! id -u "$USER_NAME" >/dev/null 2>&1; then
    echo "creating system user $USER_NAME"
    useradd --system --gid "$GROUP_NAME" --home-dir /var/lib/exchange --no-create-home \
        --shell /usr/sbin/nologin --comment "Data Exchange daemon" "$USER_NAME"
fi

ETC=$PREFIX/etc/exchange
STATE=$PREFIX/var/lib/exchange

# --- Binaries ---------------------------------------------------------------------------------
if [[ -n $BIN ]]; then
    install -d -m 0755 "$PREFIX/usr/local/bin"
    for tool in exchanged exchangectl; do
        [[ -x $BIN/$tool ]] || fail "--bin $BIN: no $tool there (build with: swift build -c release)"
        install -m 0755 -o root -g root "$BIN/$tool" "$PREFIX/usr/local/bin/$tool"
    done
fi
if [[ -x $PREFIX/usr/local/bin/exchangectl ]]; then
    EXCHANGECTL=$PREFIX/usr/local/bin/exchangectl
else
    EXCHANGECTL=$(command -v exchangectl) || fail "no exchangectl: pass --bin DIR"
fi

# --- Configuration ----------------------------------------------------------------------------
install -d -m 0755 -o root -g root "$ETC" "$ETC/agreements"
if [[ ! -f $ETC/exchange.yaml ]]; then
    if [[ -n ${ROOT#/} ]]; then
        sed -e "s#/etc/exchange#$ETC#g" -e "s#/var/lib/exchange#$STATE#g" "$PRODUCTION_CONFIG" >"$ETC/exchange.yaml"
    else
        cp "$PRODUCTION_CONFIG" "$ETC/exchange.yaml"
    fi
    echo "installed $ETC/exchange.yaml"
fi
for file in departments.yaml topics.yaml; do
    [[ -f $ETC/$file ]] || { cp "$EXAMPLES/$file" "$ETC/$file"; echo "installed the example $ETC/$file: edit it"; }
done
if [[ -z $(ls -A "$ETC/agreements") ]]; then
    cp "$EXAMPLES"/agreements/*.yaml "$ETC/agreements/"
    echo "installed the example agreements in $ETC/agreements: edit them"
fi
chown root:root "$ETC/exchange.yaml" "$ETC/departments.yaml" "$ETC/topics.yaml"
chmod 0644 "$ETC/exchange.yaml" "$ETC/departments.yaml" "$ETC/topics.yaml"
find "$ETC/agreements" -type f -exec chown root:root {} + -exec chmod 0644 {} +

# --- State ------------------------------------------------------------------------------------
install -d -m 0755 "$PREFIX/var/lib"
install -d -m 0700 -o "$USER_NAME" -g "$GROUP_NAME" "$STATE"
chown -R "$USER_NAME:$GROUP_NAME" "$STATE"
chmod 0700 "$STATE"

# --- Keys and certificates --------------------------------------------------------------------
if [[ ! -f $ETC/pki/server.crt ]]; then
    if [[ $PKI -eq 1 ]]; then
        "$EXCHANGECTL" pki init --config-dir "$ETC" --owner "$USER_NAME:$GROUP_NAME" "${DEPARTMENTS[@]}"
    else
        echo "note: no $ETC/pki/server.crt: install the server certificate, key and client CA there, then run this again"
    fi
fi
install -d -m 0750 -o root -g "$GROUP_NAME" "$ETC/pki"
chown root:"$GROUP_NAME" "$ETC/pki"
chmod 0750 "$ETC/pki"
if [[ ! -f $ETC/pki/audit.key ]]; then
    "$EXCHANGECTL" audit keygen --out "$ETC/pki/audit.key" --owner "$USER_NAME:$GROUP_NAME"
fi
for key in server.key audit.key; do
    [[ -f $ETC/pki/$key ]] || continue
    chown "$USER_NAME:$GROUP_NAME" "$ETC/pki/$key"
    chmod 0600 "$ETC/pki/$key"
done
for public in server.crt ca.crt audit.pub audit.key.pub; do
    [[ -f $ETC/pki/$public ]] || continue
    chown root:root "$ETC/pki/$public"
    chmod 0644 "$ETC/pki/$public"
done

# --- Tokens -----------------------------------------------------------------------------------
# An empty tokens file owned by the daemon's user: `exchangectl token create` keeps its owner.
if [[ ! -f $ETC/tokens.json ]]; then
    echo '{"tokens": []}' >"$ETC/tokens.json"
fi
chown "$USER_NAME:$GROUP_NAME" "$ETC/tokens.json"
chmod 0600 "$ETC/tokens.json"

# --- systemd ----------------------------------------------------------------------------------
if [[ $SYSTEMD -eq 1 ]]; then
    install -d -m 0755 "$PREFIX/etc/systemd/system"
    install -m 0644 -o root -g root "$HERE/systemd/exchanged.service" "$PREFIX/etc/systemd/system/exchanged.service"
    echo "installed $PREFIX/etc/systemd/system/exchanged.service"
    if [[ -z ${ROOT#/} ]] && command -v systemctl >/dev/null 2>&1 && [[ -d /run/systemd/system ]]; then
        systemctl daemon-reload
    fi
fi

if [[ -f $ETC/pki/server.crt ]]; then
    "$EXCHANGECTL" config check "$ETC/exchange.yaml"
fi
echo "installed for user $USER_NAME:$GROUP_NAME; next: create tokens with"
echo "  exchangectl token create --role admin --name NAME --tokens $ETC/tokens.json"
