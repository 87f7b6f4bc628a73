#!/usr/bin/env bash
# Meeting mode against a real syncd: a kiosk seeds this week's data (two
# check-ins, an idea), then the manager opens meeting mode and the kiosk
# fetches the agenda summary (AGENDA_REQ) and shows it. Run in zh and en
# at 800x480, 1920x1080 and 1080x1920; the script asserts the exact texts
# (tests/kiosk/meeting/agenda.script), this file checks the UI dump and
# that syncctl's agenda of the same week has the same numbers. Shots and
# dumps stay in BUILD/tests/kiosk/shots/meeting-agenda-LANG-SIZE.
set -euo pipefail
BIN=${1:?build dir}
SRC=$(cd "$(dirname "$0")" && pwd)
# the e2e set-up: temporary directory, keys, syncd, clean-up
export STEPWISE_BIN=$BIN
. "$SRC/../e2e/lib.sh"
ASSETS=$STEPWISE_ASSETS
CATALOGUE="$SRC/model_catalogue.yaml"
KIOSK="$BIN/kiosk/kiosk"
SHOTS="$BIN/tests/kiosk/shots"

setup_keys
mkdir -p "$T/kiosk"
"$SYNCCTL" keygen kiosk --name kiosk --out "$T/kiosk" >/dev/null
start_syncd
EP=$KIOSK_EP
ctl enrol k-test --site test --key "$T/kiosk/kiosk.pub" >/dev/null
cat >"$T/kiosk/kiosk.conf" <<CONF
kiosk_id = k-test
site = test
server = $EP
server_key = $T/server/server.pub
CONF
"$KIOSK" --headless --data "$T/kiosk" --assets "$ASSETS" \
    --script "$SRC/meeting/seed.script" --screenshots "$T/seed" \
    --catalogue "$SRC/model_catalogue.yaml" || fail "seeding run"

for lang in zh en; do
    for size in 800x480 1920x1080 1080x1920; do
        out="$SHOTS/meeting-agenda-$lang-$size"
        rm -rf "$out"
        "$KIOSK" --headless --data "$T/kiosk" --assets "$ASSETS" \
            --script "$SRC/meeting/agenda.script" --screenshots "$out" \
            --catalogue "$SRC/model_catalogue.yaml" --lang "$lang" \
            --size "$size" --dump-ui "$out/ui.json" ||
            fail "meeting run $lang $size"
        for s in 01-scoreboard 02-exceptions 03-decisions 04-week-before 05-this-week; do
            [ -s "$out/$s.png" ] || fail "no $s.png for $lang $size"
        done
        # the first shot is the scoreboard, with the fetched numbers
        python3 - "$out/ui.json" "$lang" <<'PY' || fail "UI dump $lang $size"
import json, sys
shots = json.load(open(sys.argv[1]))["shots"]
want = {"zh": "外呼：55 / 1000 次 · 5.5% · 打卡 2 次 · 55 分",
        "en": "Outbound calls: 55 / 1000 calls · 5.5% · 2 check-ins · 55 pts"}
first = {w["id"]: w for w in shots[0]["widgets"]}
assert shots[0]["screen"] == "meeting", shots[0]["screen"]
assert first["ag-step-2"]["text"] == want[sys.argv[2]], first["ag-step-2"]
status = first["ag-status"]["text"]
assert ("议程" in status) if sys.argv[2] == "zh" else status.startswith("Agenda 20"), status
assert not any(w["overflow"] or w["missing_glyphs"] for s in shots for w in s["widgets"])
# the week button: the week before the agenda's, then this week again
import datetime, re
def widgets(i): return {w["id"]: w for w in shots[i]["widgets"]}
def week_of(i): return re.findall(r"\d{4}-W\d{2}", widgets(i)["ag-status"]["text"])
week = week_of(0)[0]
y, w = int(week[:4]), int(week[6:])
monday = datetime.date.fromisocalendar(y, w, 1) - datetime.timedelta(days=7)
before = "%04d-W%02d" % monday.isocalendar()[:2]
labels = {"zh": ("上一周", "本周"), "en": ("Last week", "This week")}[sys.argv[2]]
assert first["ag-week"]["text"] == labels[0], first["ag-week"]
assert week_of(3) == [before], widgets(3)["ag-status"]
assert widgets(3)["ag-week"]["text"] == labels[1], widgets(3)["ag-week"]
assert week_of(4) == [week], widgets(4)["ag-status"]
assert widgets(4)["ag-week"]["text"] == labels[0]
PY
    done
done

# the manager's own agenda of the same week agrees
week=$(python3 -c 'import json,sys; print([w for w in json.load(open(sys.argv[1]))["shots"][0]["widgets"] if w["id"]=="ag-status"][0]["text"].split()[0])' "$SHOTS/meeting-agenda-zh-800x480/ui.json")
ctl agenda --site test --week "$week" --format json -o "$T/agenda.json"
python3 - "$T/agenda.json" <<'PY' || fail "syncctl agenda disagrees"
import json, sys
a = json.load(open(sys.argv[1]))
call = [s for s in a["scoreboard"]["steps"] if s["step_id"] == "tm-call"][0]
assert (call["value"], call["target"], call["pct"], call["checkins"], call["points"]) == (55, 1000, 5.5, 2, 55), call
assert a["freshness"]["roster"] == 5 and a["freshness"]["checked_in"] == 2
PY
grep -q 'agenda summary sent kiosk=k-test site=test' "$T/syncd.log" ||
    fail "syncd did not log the agenda request"
kill_syncd TERM
echo "ok: meeting mode shows syncd's agenda in zh and en at three sizes"
