#!/usr/bin/env bash
# Installs Debian's chromium for the browser tests (test/e2e) when it is missing.
# Idempotent and quiet: does nothing when /usr/bin/chromium exists; prints apt's
# output only when something fails. Never downloads a browser through playwright.
set -euo pipefail

if [ -x /usr/bin/chromium ]; then
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    SUDO="sudo"
  else
    echo "setup-browser: /usr/bin/chromium is missing; run as root: apt-get update && apt-get install -y chromium" >&2
    exit 1
  fi
fi

log="$(mktemp)"
trap 'rm -f "$log"' EXIT
export DEBIAN_FRONTEND=noninteractive
if ! { $SUDO apt-get update -qq && $SUDO apt-get install -y -qq chromium fonts-noto-color-emoji; } >"$log" 2>&1; then
  # The emoji font is a nicety; chromium alone is what the tests need.
  if ! $SUDO apt-get install -y -qq chromium >>"$log" 2>&1; then
    cat "$log" >&2
    echo "setup-browser: installing chromium failed" >&2
    exit 1
  fi
fi

if [ ! -x /usr/bin/chromium ]; then
  echo "setup-browser: chromium was installed but /usr/bin/chromium is not there" >&2
  exit 1
fi
