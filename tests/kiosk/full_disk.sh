#!/usr/bin/env bash
# A full disk under the real kiosk app: the outbox cannot grow
# (RLIMIT_FSIZE through `ulimit -f`, SIGXFSZ ignored, as chaos does for the
# sim) while a member of staff checks in. The screen says the check-in was
# not saved and why, stderr has the operator's log line, every event saved
# before is intact, and once the limit is lifted the next check-in saves.
#
# How many check-ins still fit under the limit depends on SQLite's WAL
# layout, so a first throwaway run counts them (K); the real run saves K
# (each confirmed on screen) and sees check-in K+1 refused.
set -euo pipefail
BIN=${1:?build dir}
SRC=$(cd "$(dirname "$0")" && pwd)
ASSETS=${STEPWISE_ASSETS:?}
KIOSK="$BIN/kiosk/kiosk"
LIMIT_BLOCKS=64 # 32 KiB: the outbox opens (its -shm is 32 KiB), the WAL fills
T=$(mktemp -d "${TMPDIR:-/tmp}/stepwise-kiosk-full.XXXXXX")
cleanup() {
    local rc=$?
    if [ -n "${KEEP:-}" ]; then echo "kept $T" >&2; else rm -rf "$T"; fi
    exit $rc
}
trap cleanup EXIT INT TERM
fail() { echo "FAIL: $*" >&2; exit 1; }

kiosk() { # kiosk DATA SCRIPT (stderr to DATA.err)
    "$KIOSK" --headless --data "$1" --assets "$ASSETS" --script "$2" \
        --screenshots "$T/shots" --catalogue "$SRC/model_catalogue.yaml" \
        --lang en 2>"$1.err"
}
limited() { (trap '' XFSZ; ulimit -f $LIMIT_BLOCKS; kiosk "$@"); }
events() { sqlite3 "$1/outbox.db" "SELECT count(*) FROM events"; }
checkin() { # one check-in from the step list; 35 calls
    printf '%s\n' "tap proc-telemarketing" "tap step-tm-call" "tap plus-calls"
}

mkdir -p "$T/k"
printf 'kiosk_id = k-full\nsite = test\n' >"$T/k/kiosk.conf"

# two check-ins with room to spare: confirmed, committed, kiosk closed
{
    echo "tap continue"; echo "tap tile-checkin"; echo "tap staff-zhang-wei"
    checkin; echo "tap confirm"; echo "expect-screen checkin-saved"; echo "tap again"
    checkin; echo "tap confirm"; echo "expect-screen checkin-saved"
} >"$T/before.script"
kiosk "$T/k" "$T/before.script" || fail "the first run failed: $(cat "$T/k.err")"
[ "$(events "$T/k")" = 2 ] || fail "expected 2 events before the limit, got $(events "$T/k")"

# count how many more fit under the limit (a copy; its result is discarded)
{
    echo "tap continue"; echo "tap tile-checkin"; echo "tap staff-zhang-wei"
    for _ in $(seq 1 40); do
        checkin; echo "tap confirm"; echo "expect-screen checkin-saved"; echo "tap again"
    done
} >"$T/probe.script"
cp -r "$T/k" "$T/probe"
limited "$T/probe" "$T/probe.script" >/dev/null && fail "40 check-ins fit under a 32 KiB limit"
K=$(($(events "$T/probe") - 2))
[ "$K" -ge 0 ] && [ "$K" -lt 40 ] || fail "the probe run saved $K check-ins: $(cat "$T/probe.err")"

# the real run: K check-ins saved on screen, the next refused
{
    echo "tap continue"
    echo "expect 2 waiting to sync"
    echo "tap tile-checkin"; echo "tap staff-zhang-wei"
    for _ in $(seq 1 "$K"); do
        checkin; echo "tap confirm"; echo "expect-screen checkin-saved"; echo "tap again"
    done
    checkin; echo "tap confirm"
    echo "expect-screen checkin-measures"
    echo "expect Not saved: outbox $T/k/outbox.db: could not save the event"
    echo "expect Your input is still here; tap confirm again"
    echo "dump $T/ui.json"
} >"$T/full.script"
limited "$T/k" "$T/full.script" || fail "the full-disk run failed: $(cat "$T/k.err")"
grep -q '"screen":"checkin-measures"' "$T/ui.json" || fail "the UI dump is not of the measures screen"
grep -q 'Not saved: ' "$T/ui.json" || fail "the UI dump has no save-failure text"
line=$(grep ' ERROR kiosk: could not save the check-in: ' "$T/k.err" || true)
[ -n "$line" ] || fail "no log line on stderr: $(cat "$T/k.err")"
[ "$(wc -l <<<"$line")" = 1 ] || fail "more than one failure logged: $line"
[[ $line =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z\ ERROR\ kiosk:\ could\ not\ save\ the\ check-in:\ outbox\ .*/outbox\.db:\ could\ not\ save\ the\ event:\ .*\;\ events\ already\ saved\ are\ safe$ ]] ||
    fail "log line not in the daemon's format: $line"
[ "$(events "$T/k")" = $((2 + K)) ] || fail "expected $((2 + K)) events after the full disk, got $(events "$T/k")"
[ "$(sqlite3 "$T/k/outbox.db" 'PRAGMA integrity_check')" = ok ] || fail "the outbox is damaged"
[ "$(sqlite3 "$T/k/outbox.db" 'SELECT count(DISTINCT seq) FROM events')" = $((2 + K)) ] ||
    fail "duplicate sequence numbers in the outbox"

# the limit lifted: the next check-in saves
{
    echo "tap continue"
    echo "expect $((2 + K)) waiting to sync"
    echo "tap tile-checkin"; echo "tap staff-zhang-wei"
    checkin; echo "tap confirm"; echo "expect-screen checkin-saved"
} >"$T/after.script"
kiosk "$T/k" "$T/after.script" || fail "the run after the limit failed: $(cat "$T/k.err")"
[ "$(events "$T/k")" = $((3 + K)) ] || fail "expected $((3 + K)) events at the end, got $(events "$T/k")"
echo "full_disk: ok ($K check-ins fitted under ${LIMIT_BLOCKS} blocks, the next refused on screen and in the log; $((3 + K)) events at the end)"
