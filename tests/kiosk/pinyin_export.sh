#!/usr/bin/env bash
# A suggestion typed in pinyin at a headless kiosk (liucheng → 流程 ...)
# reaches syncd and comes out of its export byte for byte in UTF-8. Real
# syncd, syncctl and kiosk processes on a loopback port chosen at run time.
set -euo pipefail
BIN=${1:?build dir}
SRC=$(cd "$(dirname "$0")" && pwd)
ASSETS=${STEPWISE_ASSETS:?}
SYNCD="$BIN/syncd/syncd" SYNCCTL="$BIN/syncd/syncctl" KIOSK="$BIN/kiosk/kiosk"
T=$(mktemp -d "${TMPDIR:-/tmp}/stepwise-pinyin.XXXXXX")
PID=""
cleanup() {
    local rc=$?
    if [ -n "$PID" ]; then
        kill -9 "$PID" 2>/dev/null || true
        wait "$PID" 2>/dev/null || true
    fi
    if [ $rc -ne 0 ]; then
        tail -n 30 "$T/syncd.log" >&2 2>/dev/null || true
    fi
    if [ -n "${KEEP:-}" ]; then echo "kept $T" >&2; else rm -rf "$T"; fi
    exit $rc
}
trap cleanup EXIT INT TERM
fail() { echo "FAIL: $*" >&2; exit 1; }

mkdir -p "$T/server/managers" "$T/kiosk"
"$SYNCCTL" keygen server --out "$T/server" >/dev/null
"$SYNCCTL" keygen manager --name manager --out "$T/server" >/dev/null
cp "$T/server/manager.pub" "$T/server/managers/"
"$SYNCCTL" keygen kiosk --name kiosk --out "$T/kiosk" >/dev/null
"$SYNCD" --data "$T/server" --listen 'tcp://127.0.0.1:*' --admin 'tcp://127.0.0.1:*' \
    --catalogue "$SRC/model_catalogue.yaml" >>"$T/syncd.log" 2>&1 &
PID=$!
for _ in $(seq 1 200); do
    [ -s "$T/server/run/kiosk.endpoint" ] && [ -s "$T/server/run/admin.endpoint" ] && break
    kill -0 "$PID" 2>/dev/null || fail "syncd exited at start"
    sleep 0.05
done
[ -s "$T/server/run/admin.endpoint" ] || fail "syncd did not start within 10 s"
EP=$(cat "$T/server/run/kiosk.endpoint")
ADMIN=$(cat "$T/server/run/admin.endpoint")
ctl() { "$SYNCCTL" --endpoint "$ADMIN" --server-key "$T/server/server.pub" --key "$T/server/manager.key" "$@"; }
ctl enrol k-test --site test --key "$T/kiosk/kiosk.pub" >/dev/null
cat >"$T/kiosk/kiosk.conf" <<CONF
kiosk_id = k-test
site = test
server = $EP
server_key = $T/server/server.pub
CONF
"$KIOSK" --headless --data "$T/kiosk" --assets "$ASSETS" --script "$SRC/pinyin/suggest.script" \
    --screenshots "$T/shots" --catalogue "$SRC/model_catalogue.yaml" || fail "kiosk run"
# the deploy result stays in the kiosk's data directory for the next start
[ -s "$T/kiosk/rime/build/luna_pinyin_simp.prism.bin" ] || fail "no rime build cache in DIR/rime"

ctl export events --format json -o "$T/events.jsonl"
n=$(grep -c '"type":"suggestion"' "$T/events.jsonl" || true)
[ "$n" -eq 1 ] || fail "syncd holds $n suggestions, expected 1"
# 流程太慢 and 客户等待 as raw UTF-8 bytes (not \u escapes, not mojibake)
title=$(printf '"title":"\xe6\xb5\x81\xe7\xa8\x8b\xe5\xa4\xaa\xe6\x85\xa2"')
body=$(printf '"body":"\xe5\xae\xa2\xe6\x88\xb7\xe7\xad\x89\xe5\xbe\x85"')
grep -qF "$title" "$T/events.jsonl" || { cat "$T/events.jsonl" >&2; fail "title 流程太慢 not in the export byte for byte"; }
grep -qF "$body" "$T/events.jsonl" || { cat "$T/events.jsonl" >&2; fail "body 客户等待 not in the export byte for byte"; }
kill -TERM "$PID"; wait "$PID" 2>/dev/null || true; PID=""
echo "ok: 流程太慢 / 客户等待 typed in pinyin arrived at syncd byte for byte"
