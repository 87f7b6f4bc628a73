#!/usr/bin/env bash
# fleet_idle.sh — the idle-fleet figure: what one syncd costs with a
# branch network's kiosks connected and mostly idle.
#
# A real syncd (default heartbeat, SQLite FULL) and N stepwise-sim kiosks
# (one process, a thread and a sync thread each) that capture a trickle
# (--rate, far below a busy branch) so their sessions stay up and they
# heartbeat. After a warm-up in which every kiosk connects and syncs, syncd's
# CPU is read from /proc/PID/stat (utime + stime) over the window, and its
# resident memory (VmRSS, and VmHWM the peak) at the end.
#
# Output check: when the window closes the kiosks finish; syncd must hold
# exactly N x EVENTS events, one per (kiosk, seq) (the export, hashed).
#
# Usage: bench/fleet_idle.sh [--smoke]   (env N, WINDOW, WARMUP, RATE)
# Needs STEPWISE_BIN and STEPWISE_ASSETS (ctest sets them); appends BENCH
# lines to $STEPWISE_BENCH_OUT when set.
. "$(dirname "$0")/../tests/e2e/lib.sh"

SMOKE=""
[ "${1:-}" = "--smoke" ] && SMOKE=" (smoke)"
if [ -n "$SMOKE" ]; then
    N=${N:-10} WINDOW=${WINDOW:-2} WARMUP=${WARMUP:-3}
else
    N=${N:-500} WINDOW=${WINDOW:-30} WARMUP=${WARMUP:-20}
fi
RATE=${RATE:-0.1}
# enough captures to keep every kiosk busy-idle past the window
EVENTS=$(awk -v r="$RATE" -v s=$((WARMUP + WINDOW + 5)) 'BEGIN { e = int(r * s) + 1; print e }')
HZ=$(getconf CLK_TCK)

bench_line() { # id figure value unit target
    local line
    line=$(printf 'BENCH\t%s\t%s\t%s\t%s\t-\t-\t-\t%s\tinfo\t%s' "$1" "$2" "$3" "$4" "$5" "$HASH")
    echo "$line"
    if [ -n "${STEPWISE_BENCH_OUT:-}" ]; then
        echo "$line" >>"$STEPWISE_BENCH_OUT" || echo "bench: cannot append to $STEPWISE_BENCH_OUT (STEPWISE_BENCH_OUT)" >&2
    fi
}
cpu_ticks() { # utime + stime of syncd, fields 14 and 15 after the comm
    sed -E 's/^.*\) //' "/proc/$SYNCD_PID/stat" | awk '{ print $12 + $13 }'
}

setup_keys
keygen_kiosks "$N"
# the product's heartbeat (5 s), not lib.sh's quick test one
start_syncd --heartbeat-ms 5000
enrol_kiosks
note "$N kiosks enrolled; each captures $EVENTS events at $RATE/s"

sim run --kiosks "$N" --events "$EVENTS" --rate "$RATE" --seed 21 \
    --timeout $((WARMUP + WINDOW + 120)) >"$T/sim.log" 2>&1 &
SIM_PID=$!
PIDS+=("$SIM_PID")
sleep "$WARMUP"
kill -0 "$SIM_PID" 2>/dev/null || fail "stepwise-sim ended during the warm-up: $(tail -5 "$T/sim.log")"
c0=$(cpu_ticks)
t0=$(date +%s.%N)
sleep "$WINDOW"
c1=$(cpu_ticks)
t1=$(date +%s.%N)
rss=$(awk '/^VmRSS/ { print $2 }' "/proc/$SYNCD_PID/status")
hwm=$(awk '/^VmHWM/ { print $2 }' "/proc/$SYNCD_PID/status")
kill -0 "$SIM_PID" 2>/dev/null || fail "stepwise-sim ended before the window closed; the kiosks were not connected throughout: $(tail -5 "$T/sim.log")"
wait "$SIM_PID" || fail "stepwise-sim did not drain every kiosk (exit $?): $(tail -5 "$T/sim.log")"

# output check: exactly N x EVENTS, each (kiosk, seq) once
ctl export events --format json -o "$T/export.jsonl"
sed -E 's/.*"kiosk_id":"([^"]*)".*/\1/' "$T/export.jsonl" >"$T/k"
sed -E 's/.*"seq":([0-9]+).*/\1/' "$T/export.jsonl" >"$T/s"
paste -d' ' "$T/k" "$T/s" | sort >"$T/pairs"
got=$(wc -l <"$T/pairs")
uniq_pairs=$(sort -u "$T/pairs" | wc -l)
[ "$got" -eq $((N * EVENTS)) ] || fail "syncd holds $got events, want $((N * EVENTS)) ($N kiosks x $EVENTS)"
[ "$uniq_pairs" -eq "$got" ] || fail "syncd holds $((got - uniq_pairs)) duplicate (kiosk, seq) pairs"
HASH=$(sha256sum <"$T/pairs" | cut -c1-16)

cpu=$(awk -v a="$c0" -v b="$c1" -v s="$t0" -v e="$t1" -v hz="$HZ" 'BEGIN { printf "%.3g", 100 * (b - a) / hz / (e - s) }')
note "syncd over ${WINDOW}s with $N kiosks: cpu ${cpu}% of one core, rss $((rss / 1024)) MiB (peak $((hwm / 1024)) MiB); $got events exactly once"
bench_line fleet-cpu "idle fleet: syncd CPU, $N kiosks heartbeating (% of one core)$SMOKE" "$cpu" "%" "-"
bench_line fleet-rss "idle fleet: syncd resident memory, $N kiosks$SMOKE" \
    "$(awk -v k="$rss" 'BEGIN { printf "%.3g", k / 1024 }')" MiB "-"
echo "fleet_idle: ok"
