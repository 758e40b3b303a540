#!/usr/bin/env bash
# The whole test suite, as `npm test` runs it: system dependencies (installed when we can, else a
# message naming exactly what to install), type check, lint, then unit and integration tests against
# real servers with a coverage report, then the short benchmark so it cannot rot.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n== %s\n' "$*"; }

step "system dependencies"
bash scripts/install-test-deps.sh

step "type check"
npx tsc --noEmit

step "lint"
npx biome check src test bench scripts

step "tests (unit + integration, with coverage)"
npx vitest run --coverage

if [ -f bench/ftp-engine.ts ]; then
  step "benchmark, short form (no targets enforced)"
  npx tsx bench/ftp-engine.ts --short
fi
