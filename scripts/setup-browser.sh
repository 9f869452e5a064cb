#!/usr/bin/env bash
# Installs Debian's chromium for the browser tests (test/e2e) when it is missing,
# with the fonts a user's screen has: CJK (the app's users write Chinese; without
# it Chromium draws boxes in screenshots) and colour emoji.
# Idempotent and quiet: does nothing when all are there; prints apt's output only
# when something fails. Never downloads a browser through playwright.
set -euo pipefail

have_fonts() { dpkg -s fonts-noto-cjk fonts-noto-color-emoji >/dev/null 2>&1; }
if [ -x /usr/bin/chromium ] && have_fonts; then
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
if ! { $SUDO apt-get update -qq && $SUDO apt-get install -y -qq chromium fonts-noto-cjk fonts-noto-color-emoji; } >"$log" 2>&1; then
  # The fonts are for what people (and screenshots) see; chromium alone is what the tests need.
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
