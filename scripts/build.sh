#!/usr/bin/env bash
# npm run build: compiles whatever is missing or older than its sources, and nothing else:
# - the server, src/ → dist/ (tsc -p tsconfig.build.json; bin/hubbub.js runs it while it is current);
# - the web app, web/dist, and its server bundle, web/dist-ssr (npm run build:web, vite).
set -euo pipefail
cd "$(dirname "$0")/.."

# stale OUTPUT SOURCE…: OUTPUT is missing, or a file or folder among the sources is newer (a deletion touches its folder).
stale() {
  local out=$1
  shift
  [ ! -e "$out" ] || [ -n "$(find "$@" -newer "$out" -print -quit 2>/dev/null)" ]
}

if stale dist/cli.js src tsconfig.json tsconfig.build.json; then
  echo "hubbub: compiling the server…" >&2
  # From scratch: a module removed from src/ must not linger in dist/.
  rm -rf dist
  npx tsc -p tsconfig.build.json
fi

if [ -f web/index.html ]; then
  web_sources=(web/src web/index.html web/public web/vite.config.ts client)
  if stale web/dist/index.html "${web_sources[@]}" || stale web/dist-ssr/entry-server.js "${web_sources[@]}"; then
    echo "hubbub: building the web app…" >&2
    npm run --silent build:web
  fi
fi
