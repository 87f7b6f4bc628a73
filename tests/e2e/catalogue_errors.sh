#!/usr/bin/env bash
# A broken catalogue is reported with file, line and what to fix, and
# nothing already accepted is lost.
. "$(dirname "$0")/lib.sh"

setup_keys
cat >"$T/broken.yaml" <<'YAML'
title: {zh: 目录, en: Catalogue}
sites:
  - id: futian
    name: {zh: 福田营业部}
    teams:
      - id: a
        name: {zh: 一组}
    staff:
      - id: s1
        name: {zh: 张三}
        team: a
        role: adviser
framework:
  - id: p1
    name: {zh: 流程}
    steps:
      - id: st1
        name: {zh: 外呼}
        measures: []
YAML
rc=0
"$SYNCD" --data "$T/server" --listen tcp://127.0.0.1:* --admin tcp://127.0.0.1:* \
    --catalogue "$T/broken.yaml" >"$T/start.log" 2>&1 || rc=$?
[ $rc -ne 0 ] || fail "syncd started with a broken catalogue"
grep -q 'broken.yaml:17: step "st1" has no measures' "$T/start.log" || fail "syncd's message does not name file, line and problem: $(cat "$T/start.log")"

start_syncd
keygen_kiosks 1
enrol_kiosks
sim run --kiosks 1 --events 50 --seed 3 --timeout 30 >/dev/null
rc=0
ctl catalogue import "$T/broken.yaml" >"$T/import.log" 2>&1 || rc=$?
[ $rc -eq 1 ] || fail "import of a broken catalogue should be refused (exit 1), got $rc"
grep -q 'broken.yaml:17: step "st1" has no measures' "$T/import.log" || fail "import error does not say where: $(cat "$T/import.log")"
assert_exactly_once 1 50
echo "catalogue_errors: ok"
