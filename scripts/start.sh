#!/usr/bin/env bash
# Builds the web app when its build is missing or older than its sources, then serves.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -f web/index.html ]; then
  if [ ! -f web/dist/index.html ] || [ -n "$(find web/src web/index.html web/vite.config.ts client -newer web/dist/index.html -print -quit 2>/dev/null)" ]; then
    echo "hubbub: building the web app…" >&2
    npx vite build --config web/vite.config.ts --logLevel warn
  fi
fi
exec node bin/hubbub.js serve "$@"
