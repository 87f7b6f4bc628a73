#!/usr/bin/env bash
# Hostile peers against a real syncd while four stepwise-sim kiosks sync:
# garbage, wrong ZMTP greetings, unknown CURVE keys, oversized frames,
# 1000-part messages and silent half-open connections, several of each at
# once (stepwise-hostile --attack). Asserts what kiosks rely on: every
# legitimate event stored exactly once, rollups consistent, the probe
# kiosk's every exchange answered, syncd still running. The probe's round
# trip quiet vs under attack is printed (and recorded in
# docs/RELIABILITY.md); it is not asserted, machines are noisy.
# Bigger: HOSTILE_ROUNDS=1000 HOSTILE_THREADS=4 ctest -L hostile -V
. "$(dirname "$0")/../e2e/lib.sh"
: "${HOSTILE:?set HOSTILE to the stepwise-hostile program}"
M=${M:-300}
ROUNDS=${HOSTILE_ROUNDS:-200}
THREADS=${HOSTILE_THREADS:-2}

setup_keys
start_syncd
keygen_kiosks 4
enrol_kiosks
mkdir -p "$T/probe"
"$SYNCCTL" keygen kiosk --name probe --out "$T/probe" >/dev/null
"$SYNCCTL" keygen kiosk --name evil --out "$T/probe" >/dev/null
ctl enrol probe-01 --site "$SITE" --key "$T/probe/probe.pub" >/dev/null
ctl enrol evil-01 --site "$SITE" --key "$T/probe/evil.pub" >/dev/null

# the legitimate fleet captures and syncs all through the attack
sim run --kiosks 4 --events "$M" --rate 30 --batch 20 --seed 5 --timeout 200 \
    >"$T/sim.log" 2>"$T/sim.err" &
SIM_PID=$!
PIDS+=("$SIM_PID")

"$HOSTILE" --endpoint "$KIOSK_EP" --server-key "$T/server/server.pub" \
    --key "$T/probe/probe.key" --id probe-01 --evil-key "$T/probe/evil.key" \
    --rounds "$ROUNDS" --threads "$THREADS" --attack | tee "$T/hostile.out" \
    || fail "the probe kiosk was not served under attack: $(cat "$T/hostile.out")"

wait "$SIM_PID" || fail "the simulated kiosks did not drain under attack: $(tail -5 "$T/sim.err")"
kill -0 "$SYNCD_PID" 2>/dev/null || fail "syncd is not running after the attack"
grep -q "^attacks garbage=[1-9]" "$T/hostile.out" || fail "no garbage attack ran"
for k in greeting unknown_key oversized multipart half_open; do
    grep -Eq "^attacks.* $k=[1-9]" "$T/hostile.out" || fail "no $k attack ran"
done
grep -Eq "^attacks.* half_open_dropped=[1-9]" "$T/hostile.out" || fail "syncd never dropped a silent half-open connection"

# the sim's own kiosks: exactly once (the probe's and evil's events are
# separate kiosks, checked by count)
export_pairs
grep -v '^probe-01 \|^evil-01 ' "$T/pairs" >"$T/pairs.sim" || true
[ "$(uniq -d "$T/pairs" | wc -l)" -eq 0 ] || fail "events stored twice: $(uniq -d "$T/pairs" | head -3)"
: >"$T/want"
while read -r id _; do seq 1 "$M" | sed "s/^/$id /"; done <"$T/kiosks.txt" | sort >"$T/want"
cmp -s "$T/want" "$T/pairs.sim" || fail "syncd does not hold exactly the $((4 * M)) events the kiosks confirmed ($(wc -l <"$T/pairs.sim") held)"
probe_n=$(grep -c '^probe-01 ' "$T/pairs" || true)
[ "$probe_n" -eq $((2 * ROUNDS)) ] || fail "probe events stored: $probe_n, want $((2 * ROUNDS))"
grep -c '^evil-01 ' "$T/pairs" >/dev/null && fail "the evil kiosk's malformed messages stored events" || true
[ "$(ctl verify)" = "ok" ] || fail "rollups differ from raw events: $(ctl verify)"
note "syncd holds all $((4 * M)) sim events and $probe_n probe events, each once"
echo "hostile: ok"
