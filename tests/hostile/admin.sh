#!/usr/bin/env bash
# The admin surface: without a manager key nothing can be read or changed.
# Every admin operation is tried with an enrolled kiosk's key and with a
# key syncd never saw: syncctl gets no answer (the ZAP handler refuses the
# handshake), and afterwards nothing has changed. Then syncd refuses to
# start with a server.key readable by others, naming the file and the fix.
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
done
ctl kiosks >"$T/kiosks.after"
cmp -s "$T/kiosks.before" "$T/kiosks.after" || fail "the kiosk list changed without a manager key"
grep -q intruder "$T/kiosks.after" && fail "an intruder was enrolled"
ctl catalogue export -o "$T/cat.after"
cmp -s "$T/cat.before" "$T/cat.after" || fail "the catalogue changed without a manager key"
grep -qF "domain=admin key=$key1" "$T/syncd.log" || fail "syncd did not log the refused kiosk key"
note "9 admin operations x 2 keys refused; nothing changed"

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
