#!/usr/bin/env bash
# Copies the widget tests' screenshots that the README shows into resources/screenshots/.
# Run the widget tests first (ctest -L widgets in build/dev); look at the images before committing them.
set -euo pipefail
here="$(cd "$(dirname "$0")/../.." && pwd)"
from=${1:-$here/build/dev/screenshots}
for name in 10-overview 11-orchestrator 14-history-compare 18-report-preview 20-connections 21-overview-dark; do
    cp "$from/$name.png" "$here/resources/screenshots/$name.png"
done
echo "copied to resources/screenshots/"
