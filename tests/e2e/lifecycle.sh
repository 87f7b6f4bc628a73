#!/usr/bin/env bash
# lifecycle.sh — the managers' commands against a real syncd fed by
# stepwise-sim: `catalogue publish` (exact diff lines, the --yes / no
# terminal rule, identical and invalid files), `suggestions`, `decide`
# (review → accepted with owner, due, measure and feedback; a refused
# transition's exact message and exit 1), `merge` (votes move, a voter of
# both counts once), the kiosk seeing status and feedback through FEED in
# its outbox, and `similar` returning the sim's matching suggestion first.
. "$(dirname "$0")/lib.sh"

setup_keys
start_syncd
keygen_kiosks 2
enrol_kiosks
DB="$T/server/stepwise.db"
q() { sqlite3 -cmd ".timeout 5000" "$1" "$2"; }

# ---- catalogue publish
python3 - "$CATALOGUE" "$T/v2.yaml" <<'EOF'
import sys
s = open(sys.argv[1], encoding="utf-8").read()
def sub(old, new):
    global s
    assert s.count(old) == 1, old
    s = s.replace(old, new)
sub("name: {zh: 客户风险测评, en: Client risk profiling}",
    "name: {zh: 客户风险测评（线上）, en: Client risk profiling}")
sub("                target: 3\n                points: 2\n                max: 30",
    "                target: 4\n                points: 2\n                max: 30")
sub("                target: 5\n                points: 2\n                max: 50",
    "                target: 5\n                points: 3\n                max: 50")
sub("""              - id: orders
                name: {zh: 成交笔数, en: Orders closed}
                unit: {zh: 笔, en: orders}
                target: 1
                points: 10
                max: 20
""", "")
sub("daily_cap: 80}", "daily_cap: 100}")
sub("""      - id: zhang-wei
        name: {zh: 张伟, en: Zhang Wei}
        team: live-a""", """      - id: zhang-wei
        name: {zh: 张伟, en: Zhang Wei}
        team: live-b""")
sub("""      - id: lin-hui
        name: {zh: 林慧, en: Lin Hui}
        team: community
        role: adviser
""", "")
open(sys.argv[2], "w", encoding="utf-8").write(s)
EOF
cat >"$T/want-diff" <<EOF
$T/v2.yaml: 7 changes from catalogue version 1:
staff team changed: futian/zhang-wei "张伟" live-a -> live-b
staff removed: futian/lin-hui "林慧" (was team community)
step renamed: ps-profile "客户风险测评" -> "客户风险测评（线上）"
target changed: ps-profile.profiles 3 -> 4 per person per day
points cap changed: ps-recommend 80 -> 100 per person per day
points changed: ps-recommend.presentations 2 -> 3 per unit
measure removed: ps-recommend.orders "成交笔数"
EOF
# no terminal, no --yes: the diff, the hint, exit 1, nothing published
rc=0
ctl catalogue publish "$T/v2.yaml" </dev/null >"$T/out" 2>&1 || rc=$?
[ $rc -eq 1 ] || fail "publish without --yes exited $rc, want 1"
{ cat "$T/want-diff"; echo "not published; re-run with --yes to publish it as version 2"; } >"$T/want"
diff -u "$T/want" "$T/out" || fail "publish without --yes printed something else"
[ "$(q "$DB" 'SELECT max(version) FROM catalogue_versions')" = 1 ] || fail "published without --yes"
# --yes publishes version 2
ctl catalogue publish "$T/v2.yaml" --yes >"$T/out"
{ cat "$T/want-diff"; echo "published $T/v2.yaml as catalogue version 2; kiosks pick it up at their next sync"; } >"$T/want"
diff -u "$T/want" "$T/out" || fail "publish --yes printed something else"
[ "$(q "$DB" 'SELECT max(version) FROM catalogue_versions')" = 2 ] || fail "version 2 not stored"
# the same file again: nothing to publish, exit 0
out=$(ctl catalogue publish "$T/v2.yaml" --yes)
[ "$out" = "$T/v2.yaml is the same as the current catalogue version 2; nothing to publish" ] || fail "republish said: $out"
# an invalid file: the loader's file:line message, exit 1, nothing stored
sed 's/^framework:/framwork:/' "$T/v2.yaml" >"$T/bad.yaml"
rc=0
ctl catalogue publish "$T/bad.yaml" --yes >"$T/out" 2>&1 || rc=$?
[ $rc -eq 1 ] || fail "publishing an invalid file exited $rc, want 1"
grep -q "^syncctl: $T/bad.yaml:[0-9]*: " "$T/out" || fail "invalid file: $(cat "$T/out")"
[ "$(q "$DB" 'SELECT max(version) FROM catalogue_versions')" = 2 ] || fail "an invalid file was stored"
note "catalogue publish: exact diff, --yes rule, identical and invalid files"

# ---- traffic: suggestions and votes from two simulated kiosks
sim run --kiosks 2 --events 200 --seed 3 >"$T/sim.out" 2>&1 || fail "sim run failed: $(tail -3 "$T/sim.out")"
ctl suggestions --site "$SITE" >"$T/sg.json"
n_json=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))))' "$T/sg.json")
n_db=$(q "$DB" "SELECT count(*) FROM events WHERE type = 'suggestion'")
[ "$n_json" -gt 3 ] || fail "only $n_json suggestions from the sim"
[ "$n_json" = "$n_db" ] || fail "syncctl suggestions lists $n_json, syncd stored $n_db suggestion events"
note "syncctl suggestions lists all $n_json suggestions"

# ---- decide: review, then accepted with owner, due, measure, feedback
S=$(q "$DB" "SELECT id FROM suggestions ORDER BY created_ms, id LIMIT 1")
ctl decide "$S" --status review >/dev/null
ctl decide "$S" --status accepted --owner liu-yang --due 2026-12-31 \
    --measure ps-profile.profiles:up --feedback "好主意，下周一起试行" >"$T/dec.json"
got=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["status"], d["owner"], d["due"], d["measure"], d["feedback"])' "$T/dec.json")
[ "$got" = "accepted liu-yang 2026-12-31 ps-profile.profiles:up 好主意，下周一起试行" ] || fail "decide returned: $got"
[ "$(q "$DB" "SELECT count(*) || ' ' || group_concat(to_status, ',') FROM suggestion_history WHERE suggestion_id = '$S'")" = "2 review,accepted" ] ||
    fail "history of $S: $(q "$DB" "SELECT * FROM suggestion_history WHERE suggestion_id = '$S'")"
# a refused transition: exact message, exit 1
rc=0
out=$(ctl decide "$S" --status new 2>&1) || rc=$?
[ $rc -eq 1 ] || fail "refused transition exited $rc, want 1"
[ "$out" = "syncctl: decide: suggestion $S is \"accepted\" and cannot become \"new\"; from there it can become: in_progress done rejected" ] ||
    fail "refused transition said: $out"
note "decide: accepted with owner, due, measure, feedback; accepted -> new refused"

# ---- merge: the pair sharing most voters; into ends with the union
read -r A B < <(q "$DB" "SELECT a.suggestion_id || ' ' || b.suggestion_id FROM votes a JOIN votes b
    ON a.staff_id = b.staff_id AND a.suggestion_id < b.suggestion_id
    JOIN suggestions sa ON sa.id = a.suggestion_id JOIN suggestions sb ON sb.id = b.suggestion_id
    WHERE sa.status = 'new' AND sb.status = 'new'
    GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1")
[ -n "${A:-}" ] || fail "the sim gave no two new suggestions with a common voter"
both=$(q "$DB" "SELECT count(*) FROM votes a JOIN votes b ON a.staff_id = b.staff_id WHERE a.suggestion_id = '$A' AND b.suggestion_id = '$B'")
va=$(q "$DB" "SELECT votes FROM suggestions WHERE id = '$A'")
vb=$(q "$DB" "SELECT votes FROM suggestions WHERE id = '$B'")
want=$((va + vb - both))
ctl merge "$A" --into "$B" >"$T/merge.json"
got=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["votes"])' "$T/merge.json")
[ "$got" = "$want" ] || fail "merge $A ($va votes) into $B ($vb votes, $both voters of both): $got votes, want $want"
[ "$(q "$DB" "SELECT status || ' ' || merged_into || ' ' || votes FROM suggestions WHERE id = '$A'")" = "merged $B 0" ] ||
    fail "merged one: $(q "$DB" "SELECT status, merged_into, votes FROM suggestions WHERE id = '$A'")"
[ "$(q "$DB" "SELECT count(*) FROM votes WHERE suggestion_id = '$B'")" = "$want" ] || fail "vote rows of $B"
note "merge: $va + $vb votes with $both voters of both gave $want"

# ---- a kiosk sees the decision and the merge through FEED
# A sim run ends once its events are acknowledged and a --sync-only run
# with nothing queued ends at once, while the FEED request goes out after
# WELCOME: so capture one event per run until both caches have it
# (liveness bound, not a timing assertion).
cached() { # cached KIOSK: the kiosk's view of S and A on one line
    q "$T/kiosks/$1/outbox.db" "SELECT group_concat(x, ' / ') FROM (
        SELECT status || '|' || owner_id || '|' || due || '|' || feedback AS x FROM suggestions WHERE id = '$S'
        UNION ALL SELECT status || '|' || merged_into FROM suggestions WHERE id = '$A')"
}
want_cache="accepted|liu-yang|2026-12-31|好主意，下周一起试行 / merged|$B"
for i in $(seq 1 30); do
    sim run --kiosks 2 --events 1 --seed $((10 + i)) >>"$T/sim.out" 2>&1 || fail "sim run $i failed"
    [ "$(cached sim-01)" = "$want_cache" ] && [ "$(cached sim-02)" = "$want_cache" ] && break
    sleep 0.5
done
for k in sim-01 sim-02; do
    [ "$(cached $k)" = "$want_cache" ] || fail "$k caches: $(cached $k); want $want_cache"
done
note "both kiosks hold the new status, feedback and merge from FEED"

# ---- similar: a retyped sim title finds it first
title=$(q "$DB" "SELECT title FROM suggestions WHERE title LIKE '外呼名单重复率太高%' AND status != 'merged' LIMIT 1")
[ -n "$title" ] || fail "the sim wrote no 外呼名单 suggestion"
ctl similar --site "$SITE" --json "外呼名单重复太多" >"$T/sim.json"
got=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d[0]["title"], "%.3f" % d[0]["score"], len([x for x in d if x["score"] < 0.3]))' "$T/sim.json")
[ "$got" = "$title 0.414 0" ] || fail "similar 外呼名单重复太多: $got"
out=$(ctl similar --site "$SITE" "周末")
[ "$out" = "no suggestion at $SITE is similar to \"周末\"" ] || fail "short text: $out"
rc=0
ctl similar --site "$SITE" --limit 0 "外呼名单" >"$T/out" 2>&1 || rc=$?
[ $rc -eq 1 ] && grep -q 'limit "0" is not a number from 1 to 50' "$T/out" || fail "limit 0: rc $rc $(cat "$T/out")"
note "similar: top match \"$title\" at 0.414; short texts match nothing"
