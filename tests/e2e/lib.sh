# lib.sh — shared set-up for the end-to-end tests: a temporary directory,
# keys, a real syncd on loopback ports chosen at run time, and clean-up of
# every process the test started, whatever happens.
#
# Each test script sources this file, then calls the helpers below. The
# build directory comes from $STEPWISE_BIN (set by tests/e2e/CMakeLists.txt).
set -euo pipefail

: "${STEPWISE_BIN:?set STEPWISE_BIN to the build directory}"
: "${STEPWISE_ASSETS:?set STEPWISE_ASSETS to the assets directory}"
SYNCD="$STEPWISE_BIN/syncd/syncd"
SYNCCTL="$STEPWISE_BIN/syncd/syncctl"
SIM="$STEPWISE_BIN/kiosk/stepwise-sim"
CATALOGUE="$STEPWISE_ASSETS/catalogue.yaml"
SITE=${SITE:-futian}

T=$(mktemp -d "${TMPDIR:-/tmp}/stepwise-e2e.XXXXXX")
SYNCD_PID=""
KIOSK_EP=""
ADMIN_EP=""
PIDS=()

cleanup() {
    local rc=$?
    for p in "${PIDS[@]}" $SYNCD_PID; do
        kill -9 "$p" 2>/dev/null || true
    done
    wait 2>/dev/null || true
    if [ $rc -ne 0 ]; then
        echo "--- test failed (rc=$rc); syncd log tail:" >&2
        tail -n 40 "$T"/syncd*.log 2>/dev/null >&2 || true
        [ -n "${KEEP:-}" ] && echo "kept $T" >&2
    fi
    [ -z "${KEEP:-}" ] && rm -rf "$T"
    exit $rc
}
trap cleanup EXIT INT TERM

fail() { echo "FAIL: $*" >&2; exit 1; }
note() { echo "# $*"; }

# Server and manager keys under $T/server.
setup_keys() {
    mkdir -p "$T/server/managers"
    "$SYNCCTL" keygen server --out "$T/server" >/dev/null
    "$SYNCCTL" keygen manager --name manager --out "$T/server" >/dev/null
    cp "$T/server/manager.pub" "$T/server/managers/manager.pub"
}

# start_syncd [extra args]: first start binds ephemeral ports; later starts
# reuse the same ports so kiosks reconnect where they were.
start_syncd() {
    local listen=${KIOSK_EP:-tcp://127.0.0.1:*} admin=${ADMIN_EP:-tcp://127.0.0.1:*}
    rm -f "$T/server/run/kiosk.endpoint" "$T/server/run/admin.endpoint"
    "$SYNCD" --data "$T/server" --listen "$listen" --admin "$admin" \
        --catalogue "$CATALOGUE" --heartbeat-ms 500 "$@" \
        >>"$T/syncd.log" 2>&1 &
    SYNCD_PID=$!
    local i
    for i in $(seq 1 200); do
        if [ -s "$T/server/run/kiosk.endpoint" ] && [ -s "$T/server/run/admin.endpoint" ]; then
            KIOSK_EP=$(cat "$T/server/run/kiosk.endpoint")
            ADMIN_EP=$(cat "$T/server/run/admin.endpoint")
            return 0
        fi
        kill -0 "$SYNCD_PID" 2>/dev/null || fail "syncd exited at start"
        sleep 0.05
    done
    fail "syncd did not write its endpoints within 10 s"
}

kill_syncd() { # kill_syncd [signal]
    [ -n "$SYNCD_PID" ] || return 0
    kill -"${1:-9}" "$SYNCD_PID" 2>/dev/null || true
    wait "$SYNCD_PID" 2>/dev/null || true
    SYNCD_PID=""
}

ctl() {
    "$SYNCCTL" --endpoint "$ADMIN_EP" --server-key "$T/server/server.pub" \
        --key "$T/server/manager.key" --timeout 10 "$@"
}

# keygen_kiosks N [prefix]: keys under $T/kiosks, enrolled at $SITE.
keygen_kiosks() {
    "$SIM" keygen --data "$T/kiosks" --kiosks "$1" --prefix "${2:-sim}" >"$T/kiosks.txt"
    [ "$(wc -l <"$T/kiosks.txt")" -eq "$1" ] || fail "keygen wrote $(wc -l <"$T/kiosks.txt") kiosks, want $1"
}
enrol_kiosks() {
    local id key
    while read -r id key; do
        ctl enrol "$id" --site "$SITE" --key "$key" >/dev/null
    done <"$T/kiosks.txt"
}

sim() { # sim run|verify ... (data dir, server and catalogue filled in)
    local verb=$1; shift
    case $verb in
    run) "$SIM" run --data "$T/kiosks" --server "$KIOSK_EP" \
            --server-key "$T/server/server.pub" --catalogue "$CATALOGUE" \
            --site "$SITE" "$@" ;;
    *) "$SIM" "$verb" --data "$T/kiosks" "$@" ;;
    esac
}

# Exactly-once check on syncd's export (JSON Lines, one event a line):
# every (kiosk, seq) exactly once, and exactly the pairs expected.
export_pairs() { # writes $T/pairs: "kiosk seq" per stored event, sorted
    ctl export events --format json -o "$T/export.jsonl"
    sed -E 's/.*"kiosk_id":"([^"]*)".*/\1/' "$T/export.jsonl" >"$T/k"
    sed -E 's/.*"seq":([0-9]+).*/\1/' "$T/export.jsonl" >"$T/s"
    paste -d' ' "$T/k" "$T/s" | sort >"$T/pairs"
}
# assert_exactly_once N M [prefix]: kiosks prefix-01..N each hold seqs 1..M
assert_exactly_once() {
    local n=$1 m=$2 prefix=${3:-sim} i s
    export_pairs
    local dups
    dups=$(uniq -d "$T/pairs" | wc -l)
    [ "$dups" -eq 0 ] || fail "$dups (kiosk, seq) pairs stored more than once: $(uniq -d "$T/pairs" | head -3 | tr '\n' ' ')"
    : >"$T/want"
    while read -r id _; do
        for s in $(seq 1 "$m"); do echo "$id $s"; done >>"$T/want"
    done <"$T/kiosks.txt"
    sort -o "$T/want" "$T/want"
    if ! cmp -s "$T/want" "$T/pairs"; then
        echo "missing: $(comm -23 "$T/want" "$T/pairs" | wc -l), unexpected: $(comm -13 "$T/want" "$T/pairs" | wc -l)" >&2
        fail "syncd does not hold exactly the events the kiosks confirmed"
    fi
    note "syncd holds all $(wc -l <"$T/pairs") events, each exactly once"
}
