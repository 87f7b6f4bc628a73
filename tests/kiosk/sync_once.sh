#!/usr/bin/env bash
# The kiosk offline, then online: events captured while syncd is down are
# saved, shown as waiting, and after syncd comes back arrive exactly once
# (a further sync sends nothing again). Real syncd, syncctl and kiosk
# processes on a loopback port chosen at run time.
set -euo pipefail
BIN=${1:?build dir}
SRC=$(cd "$(dirname "$0")" && pwd)
ASSETS=${STEPWISE_ASSETS:?}
SYNCD="$BIN/syncd/syncd" SYNCCTL="$BIN/syncd/syncctl" KIOSK="$BIN/kiosk/kiosk"
T=$(mktemp -d "${TMPDIR:-/tmp}/stepwise-kiosk-sync.XXXXXX")
PID=""
cleanup() {
    local rc=$?
    if [ -n "$PID" ]; then
        kill -9 "$PID" 2>/dev/null || true
        wait "$PID" 2>/dev/null || true
    fi
    if [ $rc -ne 0 ]; then
        tail -n 30 "$T/syncd.log" >&2 2>/dev/null || true
    fi
    if [ -n "${KEEP:-}" ]; then echo "kept $T" >&2; else rm -rf "$T"; fi
    exit $rc
}
trap cleanup EXIT INT TERM
fail() { echo "FAIL: $*" >&2; exit 1; }

start_syncd() { # start_syncd LISTEN ADMIN
    rm -f "$T/server/run/kiosk.endpoint" "$T/server/run/admin.endpoint"
    "$SYNCD" --data "$T/server" --listen "$1" --admin "$2" \
        --catalogue "$SRC/model_catalogue.yaml" >>"$T/syncd.log" 2>&1 &
    PID=$!
    for _ in $(seq 1 200); do
        [ -s "$T/server/run/kiosk.endpoint" ] && [ -s "$T/server/run/admin.endpoint" ] && return 0
        kill -0 "$PID" 2>/dev/null || fail "syncd exited at start"
        sleep 0.05
    done
    fail "syncd did not start within 10 s"
}
ctl() { "$SYNCCTL" --endpoint "$ADMIN" --server-key "$T/server/server.pub" --key "$T/server/manager.key" "$@"; }
kiosk() { # kiosk SCRIPT NAME
    "$KIOSK" --headless --data "$T/kiosk" --assets "$ASSETS" --script "$1" \
        --screenshots "$T/shots-$2" --catalogue "$SRC/model_catalogue.yaml"
}

mkdir -p "$T/server/managers" "$T/kiosk"
"$SYNCCTL" keygen server --out "$T/server" >/dev/null
"$SYNCCTL" keygen manager --name manager --out "$T/server" >/dev/null
cp "$T/server/manager.pub" "$T/server/managers/"
"$SYNCCTL" keygen kiosk --name kiosk --out "$T/kiosk" >/dev/null

# learn a free port, enrol the kiosk, then take syncd down
start_syncd 'tcp://127.0.0.1:*' 'tcp://127.0.0.1:*'
EP=$(cat "$T/server/run/kiosk.endpoint")
ADMIN=$(cat "$T/server/run/admin.endpoint")
ctl enrol k-test --site test --key "$T/kiosk/kiosk.pub" >/dev/null
cat >"$T/kiosk/kiosk.conf" <<CONF
kiosk_id = k-test
site = test
server = $EP
server_key = $T/server/server.pub
CONF
# first contact: the kiosk takes syncd's catalogue into its cache
kiosk "$SRC/sync/online2.script" first || fail "first online run"
kill -TERM "$PID"; wait "$PID" 2>/dev/null || true; PID=""

kiosk "$SRC/sync/offline.script" offline || fail "offline run"

start_syncd "$EP" "$ADMIN"
kiosk "$SRC/sync/online.script" online || fail "online run"
# once more: nothing is sent twice
kiosk "$SRC/sync/online2.script" again || fail "second online run"

ctl export events --format json -o "$T/events.jsonl"
n=$(grep -c '"kiosk_id":"k-test"' "$T/events.jsonl" || true)
[ "$n" -eq 3 ] || fail "syncd holds $n events of k-test, expected 3"
seqs=$(grep -o '"seq":[0-9]*' "$T/events.jsonl" | sort | uniq -d | wc -l)
[ "$seqs" -eq 0 ] || fail "duplicate seqs at syncd"
for t in checkin suggestion rating; do
    grep -q "\"type\":\"$t\"" "$T/events.jsonl" || fail "no $t event at syncd"
done
kill -TERM "$PID"; wait "$PID" 2>/dev/null || true; PID=""
echo "ok: 3 events captured offline arrived exactly once"
