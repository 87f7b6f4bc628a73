#!/usr/bin/env bash
# A kiosk written in Python from docs/PROTOCOL.md alone (tests/e2e/pykiosk.py)
# talks to the real syncd: HELLO, PUSH with rejections, a resent batch,
# CATALOGUE, FEED paging, PING, undecodable frames, expiry. Afterwards syncd
# holds exactly the events it accepted, each once, with the fields sent.
. "$(dirname "$0")/lib.sh"
PY=${PYTHON:-/usr/bin/python3}
PYKIOSK="$(dirname "$0")/pykiosk.py"
"$PY" -c 'import zmq, msgpack' 2>/dev/null ||
    fail "$PY lacks zmq or msgpack; run scripts/install-deps (python3-zmq python3-msgpack)"

setup_keys
start_syncd
"$PY" "$PYKIOSK" keygen "$T/py" pykiosk >/dev/null
ctl enrol py01 --site "$SITE" --key "$T/py/pykiosk.pub" >/dev/null
"$PY" "$PYKIOSK" run --server "$KIOSK_EP" --server-key "$T/server/server.pub" \
    --key "$T/py/pykiosk.key" --kiosk py01 --site "$SITE" --catalogue "$CATALOGUE" \
    --heartbeat-ms 500 --out "$T/accepted.jsonl" | tee "$T/pykiosk.log" ||
    fail "the Python kiosk saw a reply that differs from docs/PROTOCOL.md"
grep -q '^pykiosk: ok' "$T/pykiosk.log" || fail "pykiosk did not finish"

ctl export events --format json -o "$T/export.jsonl"
"$PY" "$PYKIOSK" check-export "$T/accepted.jsonl" "$T/export.jsonl" ||
    fail "syncd's export differs from the events it accepted"
# The Chinese title, byte for byte, exactly once.
title='外呼系统下午经常掉线，通话中断 📞'
[ "$(grep -cF "$title" "$T/export.jsonl")" -eq 1 ] ||
    fail "the suggestion title is not stored byte for byte exactly once"
[ "$(ctl verify)" = "ok" ] || fail "rollups differ from raw events: $(ctl verify)"
echo "pykiosk: ok"
