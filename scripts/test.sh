#!/usr/bin/env bash
# The whole test suite: type check, unit + contract + integration, then the
# browser end-to-end suite in Debian's Chromium. Prints "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
mkdir -p test-results
status=0

bash scripts/setup-browser.sh || { echo "test: could not install Chromium" >&2; status=1; }

echo "── type check"
npx tsc --noEmit -p tsconfig.json || status=1

echo "── lint and format (Biome)"
npx biome ci . || status=1

echo "── import cycles and layers (src/)"
node scripts/check-imports.mjs || status=1

echo "── web type check"
npx vue-tsc --noEmit -p web/tsconfig.json || status=1

echo "── build the web app (integration tests render public rooms with its server bundle)"
npm run --silent build:web || status=1

echo "── unit, contract and integration tests"
npx vitest run --reporter=default --reporter=json --outputFile.json=test-results/vitest.json || status=1

if [ -f test/e2e/vitest.e2e.config.ts ]; then
  echo "── browser tests (Chromium)"
  npx vitest run --config test/e2e/vitest.e2e.config.ts --reporter=default --reporter=json --outputFile.json=test-results/e2e.json || status=1
fi

node -e '
  const fs = require("fs");
  let passed = 0, failed = 0, skipped = 0;
  for (const f of ["test-results/vitest.json", "test-results/e2e.json"]) {
    if (!fs.existsSync(f)) continue;
    const r = JSON.parse(fs.readFileSync(f, "utf8"));
    // A suite that fails before running any test (an import error) counts as one failure.
    passed += r.numPassedTests; failed += r.numFailedTests || (r.numFailedTestSuites || 0); skipped += r.numPendingTests + r.numTodoTests;
  }
  console.log(`${passed} passed, ${failed} failed` + (skipped ? `, ${skipped} skipped` : ""));
'
exit $status
