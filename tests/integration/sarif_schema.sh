#!/usr/bin/env bash
# Validates Layerguard's SARIF output against the official SARIF 2.1.0 JSON schema.
# Usage: sarif_schema.sh LAYERGUARD_BINARY TESTS_DIR
set -euo pipefail
bin=$1
tests=$2
schema=$("$tests/testbed/sarif-schema.sh")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$bin" scan --demo --db "$work/c.sqlite" --quiet
"$bin" report --format sarif -o "$work/out.sarif" --db "$work/c.sqlite"
/usr/bin/python3 "$tests/integration/validate_sarif.py" "$schema" "$work/out.sarif"
