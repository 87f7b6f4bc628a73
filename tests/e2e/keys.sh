#!/usr/bin/env bash
# Only enrolled kiosks get in: an unknown key is refused at the handshake,
# a revoked kiosk is cut off and stays out, and a manager key is needed for
# every admin operation.
. "$(dirname "$0")/lib.sh"

setup_keys
keygen_kiosks 2
start_syncd
# Enrol only the first kiosk.
read -r id1 key1 < <(sed -n 1p "$T/kiosks.txt")
read -r id2 key2 < <(sed -n 2p "$T/kiosks.txt")
ctl enrol "$id1" --site "$SITE" --key "$key1" >/dev/null

# The unknown kiosk captures and tries to sync: nothing is accepted.
rc=0
sim run --kiosks 2 --events 20 --seed 5 --timeout 4 >"$T/sim1.log" 2>&1 || rc=$?
[ $rc -eq 3 ] || fail "simulator should time out (exit 3) with one kiosk unknown, got $rc"
grep -q "kiosk $id1 captured 20 acked 20" "$T/sim1.log" || fail "enrolled kiosk did not sync: $(cat "$T/sim1.log")"
grep -q "kiosk $id2 captured 20 acked 0" "$T/sim1.log" || fail "unknown kiosk got events in: $(cat "$T/sim1.log")"
grep -qF -- "$key2" "$T/syncd.log" || fail "syncd did not log the refused key"
export_pairs
[ "$(grep -c "^$id2 " "$T/pairs" || true)" -eq 0 ] || fail "events of the unknown kiosk were stored"
[ "$(grep -c "^$id1 " "$T/pairs")" -eq 20 ] || fail "events of the enrolled kiosk missing"

# Revoke the first kiosk: further captures stay on the kiosk.
ctl revoke "$id1" >/dev/null
rc=0
sim run --kiosks 1 --events 10 --seed 6 --timeout 4 >"$T/sim2.log" 2>&1 || rc=$?
[ $rc -ne 0 ] || fail "revoked kiosk still synced"
export_pairs
[ "$(grep -c "^$id1 " "$T/pairs")" -eq 20 ] || fail "a revoked kiosk's events were stored"
ctl status --json | grep -q '"revoked": *true' || fail "status does not show the revocation"

# Admin without the manager key: a kiosk key is refused.
rc=0
"$SYNCCTL" --endpoint "$ADMIN_EP" --server-key "$T/server/server.pub" \
    --key "$T/kiosks/$id1/kiosk.key" --timeout 3 kiosks >"$T/ctl.log" 2>&1 || rc=$?
[ $rc -eq 3 ] || fail "admin request with a kiosk key should get no answer (exit 3), got $rc: $(cat "$T/ctl.log")"
# A kiosk id too long for its suggestion ids ("<kiosk>:<seq>" in 64 bytes).
long_id=k-$(printf 'x%.0s' $(seq 1 42))
rc=0
ctl enrol "$long_id" --site "$SITE" --key "$key2" >"$T/long.log" 2>&1 || rc=$?
[ $rc -eq 1 ] || fail "enrolling a 44-byte kiosk id should be refused (exit 1), got $rc"
grep -q 'kiosk ids may be at most 43 bytes' "$T/long.log" || fail "no clear message for a long kiosk id: $(cat "$T/long.log")"
echo "keys: ok"
