#!/usr/bin/env bash
# The whole test suite, as `npm test` runs it: system dependencies (installed when we can, else a
# message naming exactly what to install), type check, lint, then unit and integration tests against
# real servers with a coverage report, the reliability suite, then the short benchmarks so they cannot rot.
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
npx vitest run --coverage --project unit --project integration

step "reliability: faults, hostile input, fuzzing, short soak"
npm run test:faults

step "benchmarks, short form (no targets enforced: they keep the benches from rotting)"
npx tsx bench/ftp-engine.ts --short
npx tsx bench/run.ts --short
