#!/usr/bin/env bash
# syncd is SIGKILLed again and again in the middle of batches and started
# again on the same ports. Every event the kiosks confirmed is stored
# exactly once, and the rollups equal a recomputation from raw events.
. "$(dirname "$0")/lib.sh"
M=${M:-2000}
KILLS=${KILLS:-6}

setup_keys
keygen_kiosks 3
start_syncd
enrol_kiosks

sim run --kiosks 3 --events "$M" --seed 23 --batch 40 --rate 800 --timeout 120 \
    >"$T/sim.log" 2>"$T/sim.err" &
SIM_PID=$!
PIDS+=("$SIM_PID")

for k in $(seq 1 "$KILLS"); do
    sleep "0.$((RANDOM % 6 + 3))"
    kill_syncd 9
    note "killed syncd ($k/$KILLS)"
    sleep "0.$((RANDOM % 5 + 1))"
    start_syncd
done

wait "$SIM_PID" || fail "simulator did not drain its backlog: $(tail -5 "$T/sim.log") $(tail -5 "$T/sim.err")"
grep -q "SIGKILL\|killed\|signal" "$T/syncd.log" 2>/dev/null || true
assert_exactly_once 3 "$M"
[ "$(ctl verify)" = "ok" ] || fail "store check failed: $(ctl verify)"
echo "kill_restart: ok"
