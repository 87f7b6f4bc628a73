#!/usr/bin/env bash
# syncctl migrate: a branch's SQLite store, with check-ins, ratings,
# suggestions, votes, decisions, dead letters and two catalogue versions,
# is copied into a fresh PostgreSQL database. syncd started on PostgreSQL
# then answers exactly as it did on SQLite (export, kiosks, suggestions,
# agenda byte for byte), its rollups verify, and the kiosks carry on where
# they were: their next events arrive exactly once. A second migrate into
# the same database, and a missing source, are refused with a clear line.
. "$(dirname "$0")/lib.sh"
M=${M:-150}
PG_CLUSTER="$(dirname "$0")/../postgres/pg-cluster"
: "${STEPWISE_PG_URI_FILE:?set STEPWISE_PG_URI_FILE (ctest does)}"
URI=$("$PG_CLUSTER" newdb "$STEPWISE_PG_URI_FILE") ||
    fail "cannot create a database on the test cluster ($STEPWISE_PG_URI_FILE)"

setup_keys
keygen_kiosks 3
start_syncd
enrol_kiosks
sim run --kiosks 3 --events "$M" --seed 5 --batch 30 --timeout 60 >"$T/sim1.log" ||
    fail "first run did not drain: $(tail -3 "$T/sim1.log")"

# A dead letter: check-ins naming a catalogue version the server never had.
"$SIM" keygen --data "$T/kiosks" --kiosks 1 --prefix bad >"$T/bad.txt"
read -r bad_id bad_key <"$T/bad.txt"
ctl enrol "$bad_id" --site "$SITE" --key "$bad_key" >/dev/null
sim run --prefix bad --kiosks 1 --events 5 --seed 9 --catalogue-version 99 \
    --timeout 30 >"$T/bad.log" || true
grep -q "sim: kiosk bad-01 captured 5 acked 0 rejected 5" "$T/bad.log" ||
    fail "the kiosk naming catalogue 99 was not set aside: $(cat "$T/bad.log")"

# A second catalogue version, decisions (history, points awards).
{ cat "$CATALOGUE"; echo "# second version"; } >"$T/catalogue2.yaml"
ctl catalogue import "$T/catalogue2.yaml" >/dev/null
ctl suggestions --site "$SITE" >"$T/sugg.txt"
ids=$(grep -oE "sim-[0-9]+:[0-9]+" "$T/sugg.txt" | head -2)
[ "$(echo "$ids" | wc -w)" -eq 2 ] || fail "the simulated kiosks made fewer than 2 suggestions: $(head -5 "$T/sugg.txt")"
first=$(echo "$ids" | head -1)
second=$(echo "$ids" | tail -1)
ctl decide "$first" --status accepted --owner wang-fang \
    --due 2030-01-31 --feedback "good idea" >/dev/null || fail "decide $first"
ctl decide "$second" --status rejected --feedback "not now" >/dev/null || fail "decide $second"

# What a person sees, before.
snapshot() { # snapshot NAME
    ctl export events --format json -o "$T/$1.events.jsonl" >/dev/null
    ctl kiosks --json | sed -E 's/"(last_seen_ms|last_seen|now_ms|server_time_ms|server_time|sessions|connected|lag_s|seen_ago_s)":[^,}]*,?//g' >"$T/$1.kiosks.json"
    ctl suggestions --site "$SITE" --status accepted >"$T/$1.accepted.txt"
    ctl suggestions --site "$SITE" --status rejected >"$T/$1.rejected.txt"
    ctl agenda --site "$SITE" --week "$WEEK" --format json -o "$T/$1.agenda.json" >/dev/null
    ctl catalogue export --version 1 -o "$T/$1.cat1.yaml" >/dev/null
    ctl catalogue export -o "$T/$1.cat2.yaml" >/dev/null
}
WEEK=$(date -u +%G-W%V)
snapshot before
kill_syncd 15

# Refusals first: nothing there to read; not a PostgreSQL URI.
rc=0
"$SYNCCTL" migrate --from "$T/nothing.db" --to "$URI" >"$T/m0.out" 2>"$T/m0.err" || rc=$?
[ $rc -eq 1 ] && grep -q "cannot read the SQLite store $T/nothing.db" "$T/m0.err" ||
    fail "a missing source: exit $rc, $(cat "$T/m0.err")"
rc=0
"$SYNCCTL" migrate --from "$T/server/stepwise.db" --to "$T/x.db" >"$T/m0.out" 2>"$T/m0.err" || rc=$?
[ $rc -eq 1 ] && grep -q "is not a PostgreSQL URI" "$T/m0.err" ||
    fail "a non-PostgreSQL target: exit $rc, $(cat "$T/m0.err")"

"$SYNCCTL" migrate --from "$T/server/stepwise.db" --to "$URI" >"$T/m1.out" 2>"$T/m1.err" ||
    fail "migrate failed: $(cat "$T/m1.err")"
grep -q "^migrate: ok: " "$T/m1.out" || fail "migrate did not report ok: $(cat "$T/m1.out")"
grep -qE "^migrate:   events +$((3 * M)) rows" "$T/m1.out" ||
    fail "migrate did not copy $((3 * M)) events: $(cat "$T/m1.out")"
grep -qE "^migrate:   dead_letters +5 rows" "$T/m1.out" ||
    fail "migrate did not copy the 5 dead letters: $(cat "$T/m1.out")"
grep -qE "^migrate:   catalogue_versions +2 rows" "$T/m1.out" ||
    fail "migrate did not copy the 2 catalogue versions: $(cat "$T/m1.out")"
grep -qE "^migrate:   suggestion_history +2 rows" "$T/m1.out" ||
    fail "migrate did not copy the 2 decisions: $(cat "$T/m1.out")"

rc=0
"$SYNCCTL" migrate --from "$T/server/stepwise.db" --to "$URI" >"$T/m2.out" 2>"$T/m2.err" || rc=$?
[ $rc -eq 1 ] && grep -q "is not empty: table" "$T/m2.err" ||
    fail "a second migrate into the same database: exit $rc, $(cat "$T/m2.err")"

# syncd on PostgreSQL answers as it did on SQLite (started with the current
# catalogue file, so that it imports nothing new).
CATALOGUE="$T/catalogue2.yaml"
start_syncd --store "$URI"
snapshot after
for f in events.jsonl kiosks.json accepted.txt rejected.txt agenda.json cat1.yaml cat2.yaml; do
    cmp -s "$T/before.$f" "$T/after.$f" ||
        fail "$f differs after the migration: $(diff "$T/before.$f" "$T/after.$f" | head -5)"
done
[ "$(ctl verify)" = "ok" ] || fail "store check on PostgreSQL failed: $(ctl verify)"

# The kiosks carry on from their marks: nothing resent is stored twice.
sim run --kiosks 3 --events 40 --seed 6 --batch 30 --timeout 60 >"$T/sim2.log" ||
    fail "kiosks could not continue on PostgreSQL: $(tail -3 "$T/sim2.log")"
grep -q "sim: kiosk sim-01 captured 40 acked 40 rejected 0 pending 0" "$T/sim2.log" ||
    fail "kiosk sim-01 after the migration: $(cat "$T/sim2.log")"
assert_exactly_once 3 $((M + 40))
[ "$(ctl verify)" = "ok" ] || fail "store check after more events failed: $(ctl verify)"
echo "migrate: ok"
