#!/usr/bin/env bash
# npm run bench [-- --quick] [-- flags…]: see docs/benchmarks.md or `npm run bench -- --help`.
# Raises the fd limit, pins the load generator to CPU 1 (the driver pins each
# server it starts to CPU 0 with `taskset -c 0`), and runs bench/run.ts.
set -euo pipefail
cd "$(dirname "$0")/.."

hard=$(ulimit -Hn)
if [ "$hard" = "unlimited" ]; then hard=1048576; fi
ulimit -n "$hard" 2>/dev/null || echo "bench: could not raise ulimit -n to $hard (now $(ulimit -n))" >&2
export BENCH_FD_SOFT="$(ulimit -n)" BENCH_FD_HARD="$hard"

if command -v taskset >/dev/null 2>&1 && taskset -c 1 true 2>/dev/null; then
  exec taskset -c 1 node --import tsx bench/run.ts "$@"
else
  echo "bench: taskset (or a second CPU) is missing: server and load generator run UNPINNED" >&2
  exec node --import tsx bench/run.ts --server-cpu -1 "$@"
fi
