#!/usr/bin/env bash
# Runs a command with its own D-Bus session and an unlocked GNOME Keyring: the Secret Service that
# QtKeychain speaks to, as on a desktop. Nothing of the user's own keyring is touched (HOME is private).
# usage: with_keyring.sh COMMAND [ARGS...]
set -euo pipefail
command -v dbus-run-session >/dev/null && command -v gnome-keyring-daemon >/dev/null || {
    echo "with_keyring.sh: needs dbus-run-session and gnome-keyring-daemon (installer/install-deps.sh)" >&2
    exit 1
}
export LG_KEYRING_HOME
LG_KEYRING_HOME=$(mktemp -d)
trap 'rm -rf "$LG_KEYRING_HOME"' EXIT
dbus-run-session -- bash -c '
    set -e
    export HOME="$LG_KEYRING_HOME" XDG_DATA_HOME="$LG_KEYRING_HOME/data" XDG_RUNTIME_DIR="$LG_KEYRING_HOME/run"
    mkdir -p "$XDG_RUNTIME_DIR" && chmod 700 "$XDG_RUNTIME_DIR"
    eval "$(printf "layerguard-test" | gnome-keyring-daemon --unlock --components=secrets)"
    export GNOME_KEYRING_CONTROL
    "$@"
' with-keyring "$@"
