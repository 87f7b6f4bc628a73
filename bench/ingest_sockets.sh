#!/usr/bin/env bash
# ingest_sockets.sh — ingest through the real sockets: a real syncd
# (ZeroMQ, CURVE, ZAP, sessions, SQLite synchronous=FULL) and N
# stepwise-sim kiosks (one process, one sync thread each) that captured
# M events each while offline, then come online together and push their
# backlogs (batches of 500, the sync library's default; the sim's own
# default is 200; two PUSHes in flight per kiosk). The figure is events/s from the start of the syncing run to the
# last kiosk fully acknowledged; it includes the sim's start-up and the
# CURVE handshakes, so it is a lower bound of syncd's rate. No baseline:
# bench_ingest compares the same ingest path with raw SQLite in-process.
#
# Output check: syncd's export holds exactly N x M events, each (kiosk,
# seq) once. Env: N (kiosks), M (events per kiosk).
. "$(dirname "$0")/../tests/e2e/lib.sh"

SMOKE=""
[ "${1:-}" = "--smoke" ] && SMOKE=" (smoke)"
if [ -n "$SMOKE" ]; then
    N=${N:-2} M=${M:-300}
else
    N=${N:-8} M=${M:-2000} # the export check reads at most 15 MiB
fi

setup_keys
keygen_kiosks "$N"
start_syncd --heartbeat-ms 5000
enrol_kiosks
sim run --kiosks "$N" --events "$M" --seed 8 --offline >"$T/capture.log" 2>&1 ||
    fail "stepwise-sim could not capture the offline backlog: $(tail -3 "$T/capture.log")"
note "$N kiosks hold $M offline events each"

t0=$(date +%s.%N)
sim run --kiosks "$N" --events 0 --sync-only --batch 500 --timeout 600 >"$T/sync.log" 2>&1 ||
    fail "stepwise-sim did not drain every kiosk (exit $?): $(tail -3 "$T/sync.log")"
t1=$(date +%s.%N)
rate=$(awk -v n=$((N * M)) -v s="$t0" -v e="$t1" 'BEGIN { printf "%.0f", n / (e - s) }')
secs=$(awk -v s="$t0" -v e="$t1" 'BEGIN { printf "%.2f", e - s }')
note "$((N * M)) events from $N kiosks through the sockets in $secs s"

assert_exactly_once "$N" "$M"
HASH=$(sha256sum <"$T/pairs" | cut -c1-16)
line=$(printf 'BENCH\tingest-sockets\tingest through real sockets, %s kiosks x %s events%s\t%s\tevents/s\t-\t-\t-\t-\tinfo\t%s' \
    "$N" "$M" "$SMOKE" "$rate" "$HASH")
echo "$line"
if [ -n "${STEPWISE_BENCH_OUT:-}" ]; then
    echo "$line" >>"$STEPWISE_BENCH_OUT" || echo "bench: cannot append to $STEPWISE_BENCH_OUT (STEPWISE_BENCH_OUT)" >&2
fi
echo "ingest_sockets: ok"
