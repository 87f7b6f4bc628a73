#!/usr/bin/env bash
# The admin surface: without a manager key nothing can be read or changed.
# Every admin operation is tried with an enrolled kiosk's key and with a
# key syncd never saw: syncctl gets no answer (the ZAP handler refuses the
# handshake), and afterwards nothing has changed. The operations come from
# syncd itself (an unknown op's error lists its whole op table), so an op
# added later is tried too, through a raw client ($ADMIN_OP), besides the
# syncctl commands. Then syncd refuses to start with a server.key readable
# by others, naming the file and the fix.
. "$(dirname "$0")/../e2e/lib.sh"

setup_keys
start_syncd
keygen_kiosks 1
enrol_kiosks
read -r id1 key1 <"$T/kiosks.txt"
mkdir -p "$T/other"
"$SYNCCTL" keygen manager --name stranger --out "$T/other" >/dev/null
ctl kiosks >"$T/kiosks.before"
ctl catalogue export -o "$T/cat.before"
ctl suggestions --site "$SITE" >"$T/sugg.before"
ctl export events --format json >"$T/events.before"

# the op table, from syncd, with the manager key
rc=0
"$ADMIN_OP" "$ADMIN_EP" "$T/server/server.pub" "$T/server/manager.key" 10 \
    no.such.op >"$T/ops.txt" 2>"$T/ops.err" || rc=$?
[ $rc -eq 1 ] || fail "an unknown op was not refused (exit $rc): $(cat "$T/ops.txt" "$T/ops.err")"
grep -q '^unknown operation "no.such.op"; the operations are: ' "$T/ops.txt" ||
    fail "the unknown-op error does not list the operations: $(cat "$T/ops.txt")"
mapfile -t ops < <(sed -n 's/^unknown operation "no.such.op"; the operations are: //p' "$T/ops.txt" |
    tr ',' '\n' | tr -d ' ' | grep -v '^$')
# every op syncctl offers must be in the table (catches a truncated list)
for known in ping enrol revoke kiosks status catalogue.import catalogue.export \
    export.events verify decide merge suggestions; do
    [[ " ${ops[*]} " == *" $known "* ]] || fail "op $known missing from syncd's list: ${ops[*]}"
done

# plausible arguments per op, so that with a manager key each would act
op_args() {
    case $1 in
    enrol) echo "kiosk=intruder site=$SITE key=$key1" ;;
    revoke) echo "kiosk=$id1" ;;
    catalogue.import) echo "yaml=title:evil name=evil.yaml" ;;
    catalogue.export) echo "version=1" ;;
    export.events) echo "format=json" ;;
    decide) echo "id=1 status=accepted owner=x feedback=pwned" ;;
    merge) echo "id=1 into=2" ;;
    suggestions) echo "site=$SITE" ;;
    similar) echo "site=$SITE text=x" ;;
    agenda) echo "site=$SITE format=json" ;;
    catalogue.diff) echo "from=1 to=2" ;;
    *) echo "" ;;
    esac
}

for key in "$T/kiosks/$id1/kiosk.key" "$T/other/stranger.key"; do
    bad() {
        "$SYNCCTL" --endpoint "$ADMIN_EP" --server-key "$T/server/server.pub" \
            --key "$key" --timeout 2 "$@" >"$T/out" 2>"$T/err" && fail "syncctl $* succeeded with $key"
        [ ! -s "$T/out" ] || fail "syncctl $* printed data with $key: $(head -c 200 "$T/out")"
    }
    bad ping
    bad kiosks
    bad status
    bad verify
    bad enrol intruder --site "$SITE" --key "$T/other/stranger.pub"
    bad revoke "$id1"
    bad catalogue export
    bad catalogue import "$CATALOGUE"
    bad export events --format json
    bad suggestions --site "$SITE"
    bad decide 1 --status accepted --feedback pwned
    bad merge 1 --into 2
    for op in "${ops[@]}"; do
        # shellcheck disable=SC2046 # the arguments are words on purpose
        rc=0
        "$ADMIN_OP" "$ADMIN_EP" "$T/server/server.pub" "$key" 10 "$op" \
            $(op_args "$op") >"$T/out" 2>"$T/err" || rc=$?
        [ $rc -eq 4 ] || fail "op $op with $key: expected a refused handshake, got exit $rc: $(cat "$T/out" "$T/err")"
        [ ! -s "$T/out" ] || fail "op $op printed data with $key: $(head -c 200 "$T/out")"
    done
done
ctl kiosks >"$T/kiosks.after"
cmp -s "$T/kiosks.before" "$T/kiosks.after" || fail "the kiosk list changed without a manager key"
grep -q intruder "$T/kiosks.after" && fail "an intruder was enrolled"
ctl catalogue export -o "$T/cat.after"
cmp -s "$T/cat.before" "$T/cat.after" || fail "the catalogue changed without a manager key"
ctl suggestions --site "$SITE" >"$T/sugg.after"
cmp -s "$T/sugg.before" "$T/sugg.after" || fail "the suggestions changed without a manager key"
ctl export events --format json >"$T/events.after"
cmp -s "$T/events.before" "$T/events.after" || fail "the events changed without a manager key"
grep -qF "domain=admin key=$key1" "$T/syncd.log" || fail "syncd did not log the refused kiosk key"
note "12 syncctl commands and all ${#ops[@]} ops of syncd's table (${ops[*]}) x 2 keys refused; nothing changed"

# a secret key readable by others: refused at start, with the file and fix
kill_syncd 15
chmod 644 "$T/server/server.key"
rc=0
"$SYNCD" --data "$T/server" --listen 'tcp://127.0.0.1:*' --admin 'tcp://127.0.0.1:*' \
    --catalogue "$CATALOGUE" >"$T/start.out" 2>&1 || rc=$?
[ $rc -ne 0 ] || fail "syncd started with a world-readable server.key"
grep -q "$T/server/server.key" "$T/start.out" || fail "syncd did not name the key file: $(cat "$T/start.out")"
grep -q "chmod 600" "$T/start.out" || fail "syncd did not say how to fix it: $(cat "$T/start.out")"
note "$(head -1 "$T/start.out")"
echo "admin: ok"
