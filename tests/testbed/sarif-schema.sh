#!/usr/bin/env bash
# Prints the path of the official SARIF 2.1.0 JSON schema, fetching it once from the npm registry
# (package @microsoft/sarif-multitool-linux carries it) into the user's cache.
set -euo pipefail
cache="${XDG_CACHE_HOME:-$HOME/.cache}/layerguard-testbed"
schema="$cache/sarif-2.1.0.json"
if [[ ! -s "$schema" ]]; then
    mkdir -p "$cache"
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' EXIT
    (cd "$tmp" && npm pack --silent @microsoft/sarif-multitool-linux@5.7.0 >/dev/null 2>&1)
    tar -xzf "$tmp"/microsoft-sarif-multitool-linux-5.7.0.tgz -C "$tmp" package/sarif-2.1.0.json
    mv "$tmp/package/sarif-2.1.0.json" "$schema"
fi
echo "$schema"
