#!/usr/bin/env bash
# syncctl agenda end to end: a real syncd, simulated kiosks pushing check-ins
# this week, then the agenda in every format through the admin endpoint.
# The JSON's check-ins of the week must equal the check-ins syncd exported
# for the same site-local days (nothing lost or counted twice on the way
# from events through rollups to the agenda); errors name what to fix.
. "$(dirname "$0")/../e2e/lib.sh"

setup_keys
start_syncd
keygen_kiosks 2
enrol_kiosks
sim run --kiosks 2 --events 60 --seed 12 --timeout 60 >/dev/null
week=$(TZ=Asia/Shanghai date +%G-W%V)

ctl agenda --site "$SITE" --week "$week" --format json -o "$T/a.json"
ctl export events --format json -o "$T/events.jsonl"
python3 - "$T/a.json" "$T/events.jsonl" "$week" <<'PY' || fail "agenda JSON does not match the stored events"
import datetime, json, sys
a = json.load(open(sys.argv[1]))
assert a["week"]["id"] == sys.argv[3], a["week"]
mon, sun = a["week"]["monday"], a["week"]["sunday"]
ev = [json.loads(l) for l in open(sys.argv[2]) if l.strip()]
want = sum(1 for e in ev if e.get("type") == "checkin" and mon <= e.get("day", "") <= sun)
got = sum(s["checkins"] for s in a["scoreboard"]["steps"])
people = sum(p["checkins"] for p in a["scoreboard"]["people"])
print(f"# {want} check-ins stored this week; agenda steps {got}, people {people}")
assert want > 0, "the simulation stored no check-in this week"
assert got == want and people == want, (got, people, want)
assert len(a["freshness"]["kiosks"]) == 2, a["freshness"]
PY

ctl agenda --site "$SITE" --week "$week" --format md -o "$T/a.md"
for s in 0 1 2 3 4 5 6 7 8; do grep -q "^## $s " "$T/a.md" || fail "Markdown lacks section $s"; done
ctl agenda --site "$SITE" --week "$week" --format csv -o "$T/a.csv"
head -c 3 "$T/a.csv" | od -An -tx1 | grep -q "ef bb bf" || fail "CSV has no UTF-8 BOM"
ctl agenda --site "$SITE" --week "$week" >"$T/a.html"
grep -q '<html lang="zh-CN">' "$T/a.html" || fail "HTML is not the agenda page"

rc=0
ctl agenda --site nowhere --week "$week" --format md >"$T/err.out" 2>"$T/err.log" || rc=$?
[ $rc -eq 1 ] || fail "unknown site: want exit 1, got $rc"
grep -q 'site "nowhere" is not in catalogue version' "$T/err.log" || fail "unknown site message: $(cat "$T/err.log")"
rc=0
ctl agenda --site "$SITE" --week "$week" --format pdf >/dev/null 2>"$T/err.log" || rc=$?
[ $rc -eq 1 ] || fail "unknown format: want exit 1, got $rc"
grep -q 'agenda format "pdf" is not known; use html, md, json or csv' "$T/err.log" || fail "format message: $(cat "$T/err.log")"
rc=0
ctl agenda --site "$SITE" >/dev/null 2>&1 || rc=$?
[ $rc -eq 2 ] || fail "missing --week: want usage error 2, got $rc"
note "syncctl agenda: ok"
