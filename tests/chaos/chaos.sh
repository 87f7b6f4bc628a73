#!/usr/bin/env bash
# Chaos: simulated kiosks capture and sync through a loopback proxy while
# the test, at random, SIGKILLs syncd (restarting it at once or after a
# pause), SIGKILLs kiosk processes mid-sync and restarts them, and cuts
# the link (proxy: SIGUSR1 cut, SIGUSR2 restore). One kiosk group runs on
# a "disk" that fills up (RLIMIT_FSIZE): it must say so and keep what it
# confirmed. Afterwards every event any kiosk confirmed (its outbox's
# last_seq) is in syncd exactly once or dead-lettered, rollups equal a
# recomputation (syncctl verify), and PRAGMA integrity_check is ok on
# syncd's store and every outbox.
#   make test:   about 45 s of chaos (CHAOS_SECONDS)
#   long run:    CHAOS_MINUTES=30 ctest -L chaos --timeout 3600 -V
. "$(dirname "$0")/../e2e/lib.sh"
: "${PROXY:?set PROXY to stepwise-chaos-proxy}"
SECONDS_TOTAL=${CHAOS_SECONDS:-45}
[ -n "${CHAOS_MINUTES:-}" ] && SECONDS_TOTAL=$((CHAOS_MINUTES * 60))
SEED=${CHAOS_SEED:-$$}
RANDOM=$SEED
note "chaos for ${SECONDS_TOTAL}s, seed $SEED (CHAOS_SEED=$SEED to replay the schedule)"
GROUPS_=(a b c)
declare -A SIMPID

setup_keys
start_syncd
SYNCD_PORT=${KIOSK_EP##*:}
"$PROXY" "$T/proxy.port" "$SYNCD_PORT" 2>>"$T/proxy.log" &
PROXY_PID=$!
PIDS+=("$PROXY_PID")
for _ in $(seq 1 100); do [ -s "$T/proxy.port" ] && break; sleep 0.05; done
PROXY_EP="tcp://127.0.0.1:$(cat "$T/proxy.port")"

: >"$T/all-kiosks.txt"
for g in "${GROUPS_[@]}" d; do
    "$SIM" keygen --data "$T/kiosks" --kiosks 2 --prefix "$g" >>"$T/all-kiosks.txt"
done
cp "$T/all-kiosks.txt" "$T/kiosks.txt"
enrol_kiosks

sim_start() { # sim_start GROUP: captures until killed
    "$SIM" run --data "$T/kiosks" --server "$PROXY_EP" \
        --server-key "$T/server/server.pub" --catalogue "$CATALOGUE" \
        --site "$SITE" --kiosks 2 --prefix "$1" --events 100000 --rate 15 \
        --batch 25 --seed "$RANDOM" --timeout 600 >>"$T/sim-$1.log" 2>&1 &
    SIMPID[$1]=$!
    PIDS+=("$!")
}
for g in "${GROUPS_[@]}"; do sim_start "$g"; done

# group d: a full disk. The outbox may grow to 1 MiB; SIGXFSZ ignored so
# the write fails with EFBIG, as on a full file system.
(
    trap '' XFSZ
    ulimit -f 1024
    exec "$SIM" run --data "$T/kiosks" --server "$PROXY_EP" \
        --server-key "$T/server/server.pub" --catalogue "$CATALOGUE" \
        --site "$SITE" --kiosks 2 --prefix d --events 100000 --rate 0 \
        --batch 100 --seed 3 --timeout 60
) >"$T/sim-d.log" 2>&1 &
DISK_PID=$!
PIDS+=("$DISK_PID")

end=$((SECONDS + SECONDS_TOTAL))
declare -A did
while [ $SECONDS -lt $end ]; do
    sleep "$(( RANDOM % 3 + 1 )).$(( RANDOM % 10 ))"
    case $(( RANDOM % 5 )) in
    0) kill_syncd 9; start_syncd; did[kill_syncd]=$(( ${did[kill_syncd]:-0} + 1 )) ;;
    1) kill_syncd 9; sleep 3; start_syncd; did[syncd_down]=$(( ${did[syncd_down]:-0} + 1 )) ;;
    2|3) g=${GROUPS_[$(( RANDOM % 3 ))]}
       kill -9 "${SIMPID[$g]}" 2>/dev/null || true
       wait "${SIMPID[$g]}" 2>/dev/null || true
       sim_start "$g"; did[kill_kiosk]=$(( ${did[kill_kiosk]:-0} + 1 )) ;;
    4) kill -USR1 "$PROXY_PID"; sleep 2; kill -USR2 "$PROXY_PID"
       did[cut_link]=$(( ${did[cut_link]:-0} + 1 )) ;;
    esac
done
note "done: $(for k in "${!did[@]}"; do printf '%s=%s ' "$k" "${did[$k]}"; done)"

# stop the fleet the hard way, mid-sync, then drain everything through a
# healthy link
for g in "${GROUPS_[@]}"; do kill -9 "${SIMPID[$g]}" 2>/dev/null || true; done
wait "$DISK_PID" 2>/dev/null && fail "the kiosk on a full disk did not report a failure"
grep -q "could not save the event" "$T/sim-d.log" || fail "the full-disk kiosk did not say why: $(tail -3 "$T/sim-d.log")"
grep -q "events already saved are safe" "$T/sim-d.log" || fail "the full-disk message does not say saved events are safe"
note "full disk: $(grep -m1 'could not save' "$T/sim-d.log" | cut -c1-200)"
kill -USR2 "$PROXY_PID"
[ -n "$SYNCD_PID" ] || start_syncd
for g in "${GROUPS_[@]}" d; do
    "$SIM" run --data "$T/kiosks" --server "$PROXY_EP" \
        --server-key "$T/server/server.pub" --catalogue "$CATALOGUE" \
        --site "$SITE" --kiosks 2 --prefix "$g" --events 0 --sync-only \
        --timeout 120 >>"$T/drain.log" 2>&1 || fail "group $g did not drain: $(tail -3 "$T/drain.log")"
done

# every confirmed event: stored once, or dead-lettered (counted by verify)
export_pairs
[ "$(uniq -d "$T/pairs" | wc -l)" -eq 0 ] || fail "events stored twice: $(uniq -d "$T/pairs" | head -3 | tr '\n' ' ')"
total=0
for g in "${GROUPS_[@]}" d; do
    "$SIM" verify --data "$T/kiosks" --kiosks 2 --prefix "$g" >"$T/verify-$g.log" || fail "group $g still has pending events: $(cat "$T/verify-$g.log")"
done
cat "$T"/verify-*.log >"$T/verify.log"
while read -r id _; do
    line=$(grep -E "(^|[ :])$id[ :]" "$T/verify.log" | head -1)
    last=$(sed -E 's/.*last_seq[ =]([0-9]+).*/\1/' <<<"$line")
    rej=$(sed -E 's/.*rejected[ =]([0-9]+).*/\1/' <<<"$line")
    [[ "$last" =~ ^[0-9]+$ && "$rej" =~ ^[0-9]+$ ]] || fail "cannot read sim verify for $id: $line"
    held=$(grep -c "^$id " "$T/pairs" || true)
    [ $((held + rej)) -eq "$last" ] || fail "kiosk $id confirmed $last events; syncd holds $held and $rej were rejected"
    bad=$(awk -v id="$id" -v last="$last" '$1 == id && ($2 < 1 || $2 > last)' "$T/pairs" | wc -l)
    [ "$bad" -eq 0 ] || fail "syncd holds $bad events of $id that the kiosk never confirmed"
    total=$((total + last))
done <"$T/all-kiosks.txt"
[ "$total" -gt 100 ] || fail "only $total events captured in the whole run"
[ "$(ctl verify)" = "ok" ] || fail "rollups differ from raw events: $(ctl verify)"
kill_syncd 15
for db in "$T/server/stepwise.db" "$T"/kiosks/*/outbox.db; do
    [ -f "$db" ] || fail "missing store $db"
    r=$(sqlite3 "$db" 'PRAGMA integrity_check')
    [ "$r" = "ok" ] || fail "integrity_check of $db: $r"
done
note "all $total confirmed events accounted for, each once; every store intact"
echo "chaos: ok"
