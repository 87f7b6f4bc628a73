#!/usr/bin/env bash
# `make run` without a display, as a newcomer meets it: scripts/run-demo on
# a temporary state directory. It must start syncd, drive the simulated
# kiosks, pass `verify`, write every screenshot of the headless demo in
# both languages, and show the enrolled kiosk's meeting mode with the
# agenda syncd sent (assets/demo-meeting.script expects it on screen).
set -euo pipefail
BIN=${1:?build dir}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
T=$(mktemp -d "${TMPDIR:-/tmp}/stepwise-run-demo.XXXXXX")
cleanup() {
    local rc=$?
    if [ $rc -ne 0 ]; then
        tail -n 30 "$T/out.txt" "$T"/kiosk-*.log "$T/syncd.log" >&2 2>/dev/null || true
    fi
    if [ -n "${KEEP:-}" ]; then echo "kept $T" >&2; else rm -rf "$T"; fi
    exit $rc
}
trap cleanup EXIT INT TERM
fail() { echo "FAIL: $*" >&2; exit 1; }

STEPWISE_VAR="$T" STEPWISE_HEADLESS=1 bash "$ROOT/scripts/run-demo" "$BIN" >"$T/out.txt" 2>&1 ||
    fail "run-demo exited with $?"
grep -q '^run: rollups check: ok$' "$T/out.txt" || fail "verify did not say ok"
grep -q "^run: syncd holds 600 check-ins" "$T/out.txt" ||
    fail "the simulated kiosks did not deliver exactly 4 x 150 events"
want=$(grep -c '^shot ' "$ROOT/assets/demo.script")
want_enrolled=$(grep -c '^shot ' "$ROOT/assets/demo-meeting.script")
for lang in zh en; do
    n=$(find "$T/screenshots/$lang" -name '*.png' -size +1k | wc -l)
    [ "$n" -eq "$want" ] || fail "$lang: $n screenshots, want $want"
    n=$(find "$T/screenshots/$lang-enrolled" -name '*.png' -size +1k | wc -l)
    [ "$n" -eq "$want_enrolled" ] || fail "$lang enrolled: $n screenshots, want $want_enrolled"
done
# the enrolled kiosk's two check-ins (one per language run) reached syncd
grep -c 'batch stored kiosk=front-desk n=1 accepted=1' "$T/syncd.log" | grep -qx 2 ||
    fail "front-desk's check-ins were not each stored once"
grep -q 'agenda summary sent kiosk=front-desk site=futian' "$T/syncd.log" ||
    fail "syncd did not send front-desk the agenda"
echo "ok: make run's headless demo: $want + $want_enrolled screenshots in zh and en"
