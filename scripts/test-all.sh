#!/usr/bin/env bash
# The whole test suite, as `npm test` runs it: system dependencies (installed when we can, else a
# message naming exactly what to install), type check, lint, then the tests against real servers on
# Node 24 with a coverage report, unit and integration again on the machine's Node, the reliability
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

# Node 24 (the current LTS, the image's Node) runs every project with coverage; the machine's Node
# (20 here: end of life, still supported) runs unit and integration again. The browser and heavy
# projects run once: the page's script and what a gigabyte proves do not depend on Node's version
# (vitest.config.ts says why each file is where it is).
step "tests on Node 24, the current LTS (unit, integration, browser, heavy; with coverage)"
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
"$node24" node_modules/vitest/vitest.mjs run --coverage --project unit --project integration --project browser --project heavy

step "tests on the machine's Node (unit + integration)"
echo "Node $(node --version) at $(command -v node)"
npx vitest run --project unit --project integration

step "reliability: faults, hostile input, fuzzing, short soak"
npm run test:faults

step "benchmarks, short form (no targets enforced: they keep the benches from rotting)"
npx tsx bench/ftp-engine.ts --short
npx tsx bench/run.ts --short
