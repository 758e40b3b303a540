#!/usr/bin/env bash
# The whole test suite, as `npm test` runs it: system dependencies (installed when we can, else a
# message naming exactly what to install), type check, lint, then unit and integration tests against
# real servers with a coverage report, the same again on Node 24 (without coverage), the reliability
# suite, then the short benchmarks so they cannot rot.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n== %s\n' "$*"; }

step "system dependencies"
bash scripts/install-test-deps.sh

step "type check"
npx tsc --noEmit

step "lint"
npm run lint   # Biome, then the layer rules (dependency-cruiser: no upward import, no face-to-face import, no cycle)

step "tests (unit + integration, with coverage)"
echo "Node $(node --version) at $(command -v node)"
npx vitest run --coverage --project unit --project integration

step "tests on Node 24, the current LTS (unit + integration, no coverage)"
# The npm registry's `node` package brings the binary (cached after the first run). Ask that node
# for its own path and check its major: if the package failed to install, npx would silently run
# the machine's node instead.
node24=$(npx -y -p node@24 node -e 'process.stdout.write(process.execPath)')
node24_major=$("$node24" -p 'process.versions.node.split(".")[0]')
if [ "$node24_major" != 24 ]; then
  echo "npx -p node@24 gave Node $("$node24" --version) ($node24), not Node 24" >&2
  exit 1
fi
echo "Node $("$node24" --version) at $node24"
"$node24" node_modules/vitest/vitest.mjs run --project unit --project integration

step "reliability: faults, hostile input, fuzzing, short soak"
npm run test:faults

step "benchmarks, short form (no targets enforced: they keep the benches from rotting)"
npx tsx bench/ftp-engine.ts --short
npx tsx bench/run.ts --short
