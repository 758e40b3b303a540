#!/usr/bin/env bash
# The reliability suite (`npm run test:faults`): fault injection, hostile input and hostile
# servers (vitest project `faults`), the fuzzers (test/unit/fuzz), then the short soak. Every test
# file appends counter lines (JSON) to one file in a fresh temp dir; the script sums them and ends
# with ONE summary block. Exits non-zero when any step failed or a session leaked.
set -uo pipefail
cd "$(dirname "$0")/.."

work="$(mktemp -d "${TMPDIR:-/tmp}/ftpgw-faults.XXXXXX")"
trap 'rm -rf "$work"' EXIT
export FAULTS_COUNTER_FILE="$work/counters.jsonl"
: >"$FAULTS_COUNTER_FILE"
started=$(date +%s)
status=0

step() { printf '\n== %s\n' "$*"; }

step "faults, hostile input, hostile servers (vitest project faults)"
npx vitest run --project faults || status=1

step "fuzzing (fast-check, test/unit/fuzz)"
npx vitest run --project unit test/unit/fuzz || status=1

step "soak, short form"
npx tsx bench/soak.ts --short || status=1

# Sum every counter over all lines (node is there; jq may not be).
summary="$(node -e '
  const fs = require("node:fs")
  const t = { cases: 0, faults: 0, badInputs: 0, filesCompared: 0, sessionsLeaked: 0 }
  for (const line of fs.readFileSync(process.argv[1], "utf8").split("\n")) {
    if (!line.trim()) continue
    const o = JSON.parse(line)
    for (const k of Object.keys(t)) t[k] += Number(o[k] ?? 0)
  }
  process.stdout.write(JSON.stringify(t))
' "$FAULTS_COUNTER_FILE")"
field() { node -e 'process.stdout.write(String(JSON.parse(process.argv[1])[process.argv[2]]))' "$summary" "$1"; }
leaked="$(field sessionsLeaked)"
[ "$leaked" = "0" ] || status=1

cat <<SUMMARY

== faults summary
cases run:        $(field cases)
faults injected:  $(field faults)
bad inputs tried: $(field badInputs)
files compared:   $(field filesCompared)
sessions leaked:  ${leaked}
took:             $(($(date +%s) - started)) s
result:           $([ "$status" = 0 ] && echo PASS || echo FAIL)
SUMMARY
exit "$status"
