#!/usr/bin/env bash
# npm start: builds what is missing or older than its sources (scripts/build.sh), then serves the
# compiled server (bin/hubbub.js runs dist/ once it is current).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
exec node bin/hubbub.js serve "$@"
