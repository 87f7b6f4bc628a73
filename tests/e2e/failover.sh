#!/usr/bin/env bash
# Two syncd instances serve one store; kiosks know both endpoints. Each
# instance in turn is SIGKILLed in the middle of batches and started again
# while the other takes over. At the end every event the kiosks hold as
# confirmed is stored exactly once, and the rollups equal a recomputation
# from raw events (syncctl verify).
#
# The store is a fresh database on the test run's PostgreSQL cluster
# ($STEPWISE_PG_URI_FILE, fixture postgres); STORE=sqlite:PATH runs the
# same test against one SQLite file shared by both processes instead.
. "$(dirname "$0")/lib.sh"
M=${M:-600}
KILLS=${KILLS:-4}
PG_CLUSTER="$(dirname "$0")/../postgres/pg-cluster"

if [ -z "${STORE:-}" ]; then
    : "${STEPWISE_PG_URI_FILE:?set STEPWISE_PG_URI_FILE (ctest does), or STORE=sqlite:PATH}"
    STORE=$("$PG_CLUSTER" newdb "$STEPWISE_PG_URI_FILE") ||
        fail "cannot create a database on the test cluster ($STEPWISE_PG_URI_FILE)"
fi
note "store: $STORE"

# Instances a and b: their own --data directory (pid lock, run/ endpoints,
# log) holding copies of the one server key and the manager keys.
declare -A PID EP ADM
start_inst() { # start_inst a|b: first start picks ports, restarts reuse them
    local n=$1 d="$T/$1"
    if [ ! -d "$d" ]; then
        mkdir -p "$d/managers"
        cp "$T/server/server.key" "$T/server/server.pub" "$d/"
        cp "$T/server/managers/"*.pub "$d/managers/"
    fi
    rm -f "$d/run/kiosk.endpoint" "$d/run/admin.endpoint"
    "$SYNCD" --data "$d" --store "$STORE" \
        --listen "${EP[$n]:-tcp://127.0.0.1:*}" \
        --admin "${ADM[$n]:-tcp://127.0.0.1:*}" \
        --catalogue "$CATALOGUE" --heartbeat-ms 500 >>"$T/syncd-$n.log" 2>&1 &
    PID[$n]=$!
    PIDS+=("${PID[$n]}")
    local i
    for i in $(seq 1 200); do
        if [ -s "$d/run/kiosk.endpoint" ] && [ -s "$d/run/admin.endpoint" ]; then
            EP[$n]=$(cat "$d/run/kiosk.endpoint")
            ADM[$n]=$(cat "$d/run/admin.endpoint")
            return 0
        fi
        kill -0 "${PID[$n]}" 2>/dev/null || fail "syncd $n exited at start: $(tail -3 "$T/syncd-$n.log")"
        sleep 0.05
    done
    fail "syncd $n did not write its endpoints within 10 s"
}
kill_inst() {
    kill -9 "${PID[$1]}" 2>/dev/null || true
    wait "${PID[$1]}" 2>/dev/null || true
}

setup_keys
start_inst a
start_inst b
[ "${EP[a]}" != "${EP[b]}" ] || fail "both instances report endpoint ${EP[a]}"
ADMIN_EP=${ADM[a]}

# Two groups of kiosks, one trying a first and one trying b first, so that
# both instances ingest at the same time.
"$SIM" keygen --data "$T/kiosks" --kiosks 2 --prefix fa >"$T/kiosks.txt"
"$SIM" keygen --data "$T/kiosks" --kiosks 2 --prefix fb >>"$T/kiosks.txt"
[ "$(wc -l <"$T/kiosks.txt")" -eq 4 ] || fail "keygen wrote $(wc -l <"$T/kiosks.txt") kiosks, want 4"
enrol_kiosks # on a only: b learns of them from the store

run_group() { # run_group PREFIX FIRST,SECOND
    "$SIM" run --data "$T/kiosks" --server "$2" --server-key "$T/server/server.pub" \
        --catalogue "$CATALOGUE" --site "$SITE" --prefix "$1" --kiosks 2 \
        --events "$M" --seed 41 --batch 25 --rate 150 --timeout 150 \
        >"$T/sim-$1.log" 2>"$T/sim-$1.err"
}
run_group fa "${EP[a]},${EP[b]}" &
SIM_A=$!
run_group fb "${EP[b]},${EP[a]}" &
SIM_B=$!
PIDS+=("$SIM_A" "$SIM_B")

for k in $(seq 1 "$KILLS"); do
    victim=$([ $((k % 2)) -eq 1 ] && echo a || echo b)
    sleep "0.$((RANDOM % 5 + 4))"
    kill_inst "$victim"
    note "killed syncd $victim ($k/$KILLS)"
    sleep "0.$((RANDOM % 5 + 3))"
    start_inst "$victim"
done

wait "$SIM_A" || fail "kiosks fa did not drain their outboxes: $(tail -3 "$T/sim-fa.log") $(tail -3 "$T/sim-fa.err")"
wait "$SIM_B" || fail "kiosks fb did not drain their outboxes: $(tail -3 "$T/sim-fb.log") $(tail -3 "$T/sim-fb.err")"

# What the kiosks hold as confirmed: every one of their M events, none
# pending and none set aside.
for p in fa fb; do
    "$SIM" verify --data "$T/kiosks" --prefix "$p" --kiosks 2 >"$T/verify-$p.txt" ||
        fail "kiosks $p still hold unconfirmed events: $(cat "$T/verify-$p.txt")"
    [ "$(wc -l <"$T/verify-$p.txt")" -eq 2 ] || fail "sim verify listed $(wc -l <"$T/verify-$p.txt") kiosks $p, want 2"
    while read -r _ _ id _ last _ acked _ pending _ rejected; do
        [ "$last $acked $pending $rejected" = "$M $M 0 0" ] ||
            fail "kiosk $id: last_seq $last acked_seq $acked pending $pending rejected $rejected, want $M $M 0 0"
    done <"$T/verify-$p.txt"
done

# Failovers really happened: both instances stored batches.
for n in a b; do
    grep -q 'batch stored' "$T/syncd-$n.log" || fail "syncd $n stored no batch; the kiosks never failed over to it"
done

# Each instance sees the whole store: exactly once through either one.
for n in a b; do
    ADMIN_EP=${ADM[$n]}
    assert_exactly_once 4 "$M"
    [ "$(ctl verify)" = "ok" ] || fail "store check through syncd $n failed: $(ctl verify)"
done

# What one instance changes, the other learns from the store: an enrolment
# (the periodic refresh lets the kiosk in), a published catalogue (check-ins
# naming it are accepted before the refresh too), a revocation.
"$SIM" keygen --data "$T/kiosks" --kiosks 1 --prefix fc >"$T/fc.txt"
"$SIM" keygen --data "$T/kiosks" --kiosks 1 --prefix fd >>"$T/fc.txt"
ADMIN_EP=${ADM[a]}
while read -r id key; do
    ctl enrol "$id" --site "$SITE" --key "$key" >/dev/null
done <"$T/fc.txt"
one_kiosk() { # one_kiosk PREFIX ENDPOINT [sim options]: sync one kiosk
    local p=$1 ep=$2
    shift 2
    "$SIM" run --data "$T/kiosks" --server "$ep" --server-key "$T/server/server.pub" \
        --catalogue "$CATALOGUE" --site "$SITE" --prefix "$p" --kiosks 1 \
        --seed 7 --batch 10 --timeout 30 "$@"
}
one_kiosk fc "${EP[b]}" --events 20 >"$T/fc.log" 2>"$T/fc.err" ||
    fail "kiosk fc-01, enrolled through syncd a, could not sync through b: $(tail -3 "$T/fc.err")"
grep -q "sim: kiosk fc-01 captured 20 acked 20 rejected 0 pending 0" "$T/fc.log" ||
    fail "kiosk fc-01 through b: $(cat "$T/fc.log")"

{ cat "$CATALOGUE"; echo "# version published through syncd b"; } >"$T/catalogue2.yaml"
ADMIN_EP=${ADM[b]}
ctl catalogue import "$T/catalogue2.yaml" >"$T/import.txt" || fail "catalogue import through b: $(cat "$T/import.txt")"
V2=$(sed -nE 's/.*as catalogue version ([0-9]+);.*/\1/p' "$T/import.txt")
[ "${V2:-0}" -ge 2 ] || fail "the import through b did not make a new version: $(cat "$T/import.txt")"
one_kiosk fd "${EP[a]}" --events 20 --catalogue-version "$V2" >"$T/fd.log" 2>"$T/fd.err" ||
    fail "kiosk fd-01 could not sync through a: $(tail -3 "$T/fd.err")"
grep -q "sim: kiosk fd-01 captured 20 acked 20 rejected 0 pending 0" "$T/fd.log" ||
    fail "check-ins naming catalogue $V2 (published through b) sent through a: $(cat "$T/fd.log")"
ADMIN_EP=${ADM[a]}
# the daemon's own catalogue_version comes first, before the kiosks' ones
VA=$(ctl status --json | tr -d ' \n' | grep -o '"catalogue_version":[0-9]*' | head -1 | cut -d: -f2)
[ "$VA" = "$V2" ] || fail "syncd a reports catalogue version $VA, b published $V2"

ADMIN_EP=${ADM[b]}
ctl revoke fc-01 >/dev/null || fail "revoke fc-01 through b"
ADMIN_EP=${ADM[a]}
ctl kiosks | grep -q "fc-01.*revoked" || fail "syncd a does not list fc-01 as revoked: $(ctl kiosks)"
rc=0
# refused at the handshake (ZAP) or with ERROR EREVOKED: either way not one
# of its new events may be acknowledged
one_kiosk fc "${EP[a]}" --events 5 --timeout 6 >"$T/fc2.log" 2>"$T/fc2.err" || rc=$?
[ $rc -eq 3 ] && grep -q "refused this kiosk's key\|revoked" "$T/fc2.err" &&
    grep -q "sim: kiosk fc-01 captured 5 acked 0 " "$T/fc2.log" ||
    fail "kiosk fc-01, revoked through b, was not refused by a (sim exit $rc): $(tail -3 "$T/fc2.err")"
echo "failover: ok"
