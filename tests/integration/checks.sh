# Sourced by the integration scripts: each check says "ok" or stops the script with what failed.
# shellcheck shell=bash
passed=0
fail() { echo "FAIL: $*" >&2; echo "$passed passed, 1 failed"; exit 1; }
ok() { passed=$((passed + 1)); echo "ok   $*"; }
