#!/usr/bin/python3
"""pykiosk.py — an independent Stepwise kiosk written from docs/PROTOCOL.md alone.

It checks that the protocol document is enough to talk to syncd: every reply
is decoded strictly by the document's rules (envelope, types, bounds, the
canonical form of section 2.5) and compared with what the document says it
must be. Uses only python3-zmq and python3-msgpack (Debian packages).

  pykiosk.py keygen DIR [NAME]          write DIR/NAME.key (0600) and DIR/NAME.pub
  pykiosk.py run --server EP --server-key FILE --key FILE --kiosk ID
                 --site SITE --catalogue FILE --out FILE [--heartbeat-ms N]
        runs the whole scenario; exits 0 when every reply is as documented,
        1 with "FAIL: ..." otherwise. --out receives the accepted events as
        JSON Lines (what syncd must hold afterwards).
  pykiosk.py check-export EXPECTED EXPORT
        compares syncd's `export events --format json` with the accepted events.
"""
import json
import os
import datetime
import random
import re
import sys
import time

import msgpack
import zmq
from zoneinfo import ZoneInfo

# ---------------------------------------------------------------- constants
HELLO, WELCOME, PUSH, ACK, CATALOGUE_REQ, CATALOGUE, FEED_REQ, FEED, PING, PONG, ERROR = range(1, 12)
AGENDA_REQ, AGENDA = 12, 13
ADMIN_REQ, ADMIN_REP = 20, 21
NAMES = {1: "HELLO", 2: "WELCOME", 3: "PUSH", 4: "ACK", 5: "CATALOGUE_REQ", 6: "CATALOGUE",
         7: "FEED_REQ", 8: "FEED", 9: "PING", 10: "PONG", 11: "ERROR", 12: "AGENDA_REQ",
         13: "AGENDA", 20: "ADMIN_REQ", 21: "ADMIN_REP"}

E = dict(EINVAL=-1, ENOMEM=-2, ETOOBIG=-3, ETRUNCATED=-4, EMALFORMED=-5, ETYPE=-6, ERANGE=-7,
         EMISSING=-8, ETRAILING=-9, EUNKNOWNMSG=-10, EUNKNOWNEVENT=-11, EDEPTH=-12, ECOUNT=-13,
         EUTF8=-14, EDUPKEY=-15, EVERSION=-16, ESTATE=-17, EDENIED=-18, EREVOKED=-19, ESTORE=-20,
         ENOTFOUND=-21, EIO=-22)
R = dict(KIOSK_MISMATCH=1, UNKNOWN_STAFF=2, UNKNOWN_STEP=3, UNKNOWN_MEASURE=4, UNKNOWN_PROCESS=5,
         UNKNOWN_SUGGESTION=6, OUT_OF_RANGE=7, BAD_ORDER=8, INVALID=9)
ENAME = {v: k for k, v in E.items()}

U63 = 2**63 - 1
U64 = 2**64 - 1
U32 = 2**32 - 1

# Server -> kiosk schemas (section 4): key -> (type, required, lo, hi); keys in table order.
T_UINT, T_INT, T_BOOL, T_STR, T_ARR = "uint", "int", "bool", "str", "array"
REJECT = [("seq", T_UINT, True, 1, U63), ("code", T_INT, True, 1, 2**31 - 1),
          ("reason", T_STR, True, 1, 300)]
SUGGESTION_STATE = [
    ("id", T_STR, True, 1, 64), ("kind", ("problem", "idea"), True, 0, 0),
    ("status", T_STR, True, 1, 64), ("title", T_STR, True, 1, 200), ("body", T_STR, False, 0, 4000),
    ("process_id", T_STR, False, 0, 64), ("step_id", T_STR, False, 0, 64),
    ("author_id", T_STR, False, 0, 64), ("votes", T_UINT, True, 0, U32),
    ("owner_id", T_STR, False, 0, 64), ("due", T_STR, False, 0, 64),
    ("feedback", T_STR, False, 0, 4000), ("merged_into", T_STR, False, 0, 64),
    ("created_ms", T_INT, True, 0, U63), ("updated_ms", T_INT, True, 0, U63)]
STANDING = [("week", T_STR, True, 1, 64), ("staff_id", T_STR, True, 1, 64),
            ("team_id", T_STR, False, 0, 64), ("points", T_INT, True, -2**63, U63),
            ("rank", T_UINT, True, 1, U32)]
I63 = (-2**63, U63)
AGENDA_STEP = [("process_id", T_STR, False, 0, 64), ("step_id", T_STR, True, 1, 64),
               ("name", T_STR, False, 0, 96), ("measure", T_STR, False, 0, 32),
               ("value_x100", T_INT, False, 0, U63), ("target_x100", T_INT, False, 0, U63),
               ("pct_x10", T_INT, False, 0, 2**31 - 1), ("rag", T_STR, False, 0, 64),
               ("people", T_UINT, False, 0, U32), ("checkins", T_UINT, False, 0, U32),
               ("points_x10", T_INT, False, *I63), ("quality_x100", T_UINT, False, 0, 500)]
AGENDA_PERSON = [("staff_id", T_STR, True, 1, 64), ("team_id", T_STR, False, 0, 64),
                 ("name", T_STR, False, 0, 96), ("checkins", T_UINT, False, 0, U32),
                 ("points_x10", T_INT, False, *I63), ("value_x100", T_INT, False, 0, U63),
                 ("target_x100", T_INT, False, 0, U63), ("pct_x10", T_INT, False, 0, 2**31 - 1),
                 ("rag", T_STR, False, 0, 64)]
AGENDA_TEAM = [("team_id", T_STR, True, 1, 64), ("name", T_STR, False, 0, 96),
               ("members", T_UINT, False, 0, U32), ("points_x10", T_INT, False, *I63)]
AGENDA_EXCEPTION = [("kind", T_STR, True, 1, 32), ("subject", ("step", "person"), True, 0, 0),
                    ("id", T_STR, True, 1, 64), ("name", T_STR, False, 0, 96),
                    ("now_x100", T_INT, False, 0, U63), ("before_x100", T_INT, False, 0, U63)]
AGENDA_DECISION = [("id", T_STR, True, 1, 64), ("title", T_STR, True, 1, 200),
                   ("status", T_STR, True, 1, 64), ("votes", T_UINT, False, 0, U32),
                   ("group", T_UINT, True, 1, U32), ("rank", T_UINT, True, 1, U32)]
SCHEMA = {
    WELCOME: [("version", T_UINT, True, 1, U32), ("acked_seq", T_UINT, True, 0, U63),
              ("catalogue_version", T_UINT, True, 0, U63), ("feed_cursor", T_UINT, True, 0, U63),
              ("server_time_ms", T_INT, True, 0, U63), ("heartbeat_ms", T_UINT, True, 1, 86400000)],
    ACK: [("acked_seq", T_UINT, True, 0, U63), ("rejects", (T_ARR, REJECT), False, 0, 500)],
    CATALOGUE: [("version", T_UINT, True, 0, U63), ("unchanged", T_BOOL, False, 0, 0),
                ("yaml", T_STR, False, 0, 2097152)],
    FEED: [("cursor", T_UINT, True, 0, U63), ("more", T_BOOL, False, 0, 0),
           ("suggestions", (T_ARR, SUGGESTION_STATE), False, 0, 500),
           ("standings", (T_ARR, STANDING), False, 0, 500)],
    PONG: [("server_time_ms", T_INT, True, 0, U63), ("acked_seq", T_UINT, True, 0, U63),
           ("catalogue_version", T_UINT, True, 0, U63), ("feed_cursor", T_UINT, True, 0, U63)],
    ERROR: [("code", T_INT, True, -2**31, -1), ("message", T_STR, True, 1, 300)],
    AGENDA: [("site", T_STR, True, 1, 64), ("week", T_STR, True, 1, 64),
             ("generated_ms", T_INT, True, 0, U63), ("catalogue_version", T_UINT, False, 0, U63),
             ("roster", T_UINT, False, 0, U32), ("checked_in", T_UINT, False, 0, U32),
             ("omitted", T_UINT, False, 0, U32),
             ("steps", (T_ARR, AGENDA_STEP), False, 0, 60),
             ("people", (T_ARR, AGENDA_PERSON), False, 0, 60),
             ("teams", (T_ARR, AGENDA_TEAM), False, 0, 60),
             ("exceptions", (T_ARR, AGENDA_EXCEPTION), False, 0, 60),
             ("decisions", (T_ARR, AGENDA_DECISION), False, 0, 60)],
}


class Fail(Exception):
    pass


def fail(msg):
    raise Fail(msg)


def say(msg):
    print("# " + msg, flush=True)


# ---------------------------------------------------------------- key files (section 9)
def read_keyfile(path):
    keys = {}
    with open(path, encoding="ascii") as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            k, _, v = line.partition("=")
            keys[k.strip()] = v.strip()
    for k, v in keys.items():
        if len(v) != 40:
            fail(f"{path}: {k} is not a 40-character Z85 key")
    return keys


def keygen(d, name="pykiosk"):
    os.makedirs(d, exist_ok=True)
    pub, sec = zmq.curve_keypair()
    pub, sec = pub.decode(), sec.decode()
    fd = os.open(os.path.join(d, name + ".key"), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(f'# Stepwise CURVE key pair "{name}" (kiosk). Keep this file secret.\n'
                f"public = {pub}\nsecret = {sec}\n")
        f.flush()
        os.fsync(f.fileno())
    with open(os.path.join(d, name + ".pub"), "w") as f:
        f.write(f'# Stepwise CURVE public key "{name}" (kiosk). May be shared.\npublic = {pub}\n')
    print(pub)


# ---------------------------------------------------------------- codec (section 2)
def canon_number(v):
    """2.5: an integral number below 2^63 as an integer, any other as float 64."""
    if isinstance(v, float) and v.is_integer() and 0 <= v < 2**63:
        return int(v)
    return v


def encode(msg_id, body):
    # use_bin_type: str 8 and bin exist (2.0 format); floats are float 64 by default.
    return msgpack.packb([msg_id, body], use_bin_type=True)


def canonical(schema, body):
    """Re-encode a decoded body the canonical way: keys in table order, zero optionals omitted."""
    out = {}
    for key, typ, req, lo, hi in schema:
        if key not in body:
            continue
        v = body[key]
        if isinstance(typ, tuple) and typ[0] == T_ARR:
            v = [canonical(typ[1], e) for e in v]
        if not req and v in (0, False, "", []) and not (v is True):
            continue
        out[key] = v
    return out


def check_value(path, typ, req, lo, hi, v):
    if isinstance(typ, tuple) and typ[0] == T_ARR:
        if not isinstance(v, list):
            fail(f"{path}: array expected, got {v!r}")
        if len(v) > hi:
            fail(f"{path}: {len(v)} elements, bound {hi}")
        for i, e in enumerate(v):
            check_map(f"{path}[{i}]", typ[1], e)
        return
    if isinstance(typ, tuple):  # enumerated str
        if v not in typ:
            fail(f"{path}: {v!r} is not one of {typ}")
        return
    if typ in (T_UINT, T_INT):
        if isinstance(v, bool) or not isinstance(v, int):
            fail(f"{path}: integer expected, got {v!r}")
        if not lo <= v <= hi:
            fail(f"{path}: {v} outside {lo}..{hi}")
    elif typ == T_BOOL:
        if not isinstance(v, bool):
            fail(f"{path}: bool expected, got {v!r}")
    elif typ == T_STR:
        if not isinstance(v, str):
            fail(f"{path}: str expected, got {v!r}")
        n = len(v.encode("utf-8"))
        if not lo <= n <= hi or "\0" in v:
            fail(f"{path}: string of {n} bytes outside {lo}..{hi}")


def check_map(path, schema, m):
    if not isinstance(m, dict):
        fail(f"{path}: map expected, got {m!r}")
    known = {k[0]: k for k in schema}
    for key, typ, req, lo, hi in schema:
        if key not in m:
            if req:
                fail(f"{path}: required key {key!r} missing in {m!r}")
            continue
        check_value(f"{path}.{key}", typ, req, lo, hi, m[key])
    for k in m:
        if k not in known:
            say(f"note: {path} carries key {k!r} not in the document (skipped as 2.4 says)")


def decode(frame):
    """Strict decode of a server frame; returns (id, body)."""
    try:
        obj = msgpack.unpackb(frame, raw=False, strict_map_key=True, use_list=True)
    except Exception as e:  # ExtraData (trailing), invalid UTF-8, truncated ...
        fail(f"reply frame does not decode ({e!r}): {frame[:64]!r}")
    if not (isinstance(obj, list) and len(obj) == 2 and isinstance(obj[0], int)
            and not isinstance(obj[0], bool) and isinstance(obj[1], dict)):
        fail(f"reply is not [id, map]: {obj!r}")
    mid, body = obj
    if mid not in SCHEMA:
        fail(f"reply has message id {mid}, which the kiosk never receives")
    name = NAMES[mid]
    check_map(name, SCHEMA[mid], body)
    canon = encode(mid, canonical(SCHEMA[mid], body))
    if canon != frame:
        fail(f"{name} is not in the canonical form of section 2.5:\n got  {frame.hex()}\n want {canon.hex()}")
    return mid, body


# ---------------------------------------------------------------- connection
class Conn:
    def __init__(self, ctx, ep, server_pub, pub, sec, timeout_ms=10000):
        self.s = ctx.socket(zmq.DEALER)
        self.s.curve_serverkey = server_pub.encode()
        self.s.curve_publickey = pub.encode()
        self.s.curve_secretkey = sec.encode()
        self.s.linger = 0
        self.s.connect(ep)
        self.timeout_ms = timeout_ms

    def send_raw(self, frame):
        self.s.send(frame)

    def recv(self, timeout_ms=None):
        if not self.s.poll(timeout_ms or self.timeout_ms):
            return None
        parts = self.s.recv_multipart()
        if len(parts) != 1:
            fail(f"reply of {len(parts)} frames; section 1 says one frame")
        return decode(parts[0])

    def req_raw(self, frame, what):
        self.send_raw(frame)
        r = self.recv()
        if r is None:
            fail(f"{what}: no reply within {self.timeout_ms} ms")
        return r

    def req(self, mid, body, what=None):
        return self.req_raw(encode(mid, body), what or NAMES[mid])

    def close(self):
        self.s.close(0)


def expect(reply, mid, what):
    rid, body = reply
    if rid != mid:
        fail(f"{what}: expected {NAMES[mid]}, got {NAMES.get(rid, rid)} {body!r}")
    return body


def expect_error(reply, code, what, msg_prefix=None):
    body = expect(reply, ERROR, what)
    if body["code"] != E[code]:
        fail(f"{what}: expected ERROR {code} ({E[code]}), got {ENAME.get(body['code'], body['code'])} "
             f"({body['code']}): {body['message']!r}")
    if msg_prefix is not None and body["message"] != msg_prefix:
        fail(f"{what}: ERROR message {body['message']!r}, want {msg_prefix!r} (section 2.6)")
    return body


def eq(what, got, want):
    if got != want:
        fail(f"{what}: got {got!r}, want {want!r}")


# ---------------------------------------------------------------- the scenario
class Kiosk:
    def __init__(self, a):
        self.a = a
        self.ctx = zmq.Context()
        self.server_pub = read_keyfile(a["server-key"])["public"]
        k = read_keyfile(a["key"])
        self.pub, self.sec = k["public"], k["secret"]
        self.kid = a["kiosk"]
        self.boot_id = random.getrandbits(64) | (1 << 63)  # above 2^63: exercises uint 64
        self.mono0 = time.monotonic()
        self.last_seq = 0
        self.accepted = []

    def connect(self, timeout_ms=10000):
        return Conn(self.ctx, self.a["server"], self.server_pub, self.pub, self.sec, timeout_ms)

    def now_ms(self):
        return int(time.time() * 1000)

    def hello(self, c, version=1, kiosk_id=None, extra=None):
        body = {"version": version, "kiosk_id": kiosk_id or self.kid, "app_version": "pykiosk 1",
                "catalogue_version": 0, "last_seq": self.last_seq, "outbox_depth": 0,
                "oldest_unsent_s": 0, "kiosk_time_ms": self.now_ms(), "feed_cursor": 0}
        body.update(extra or {})
        return c.req(HELLO, body, "HELLO")

    def ev(self, typ, seq, **fields):
        e = {"type": typ, "kiosk_id": self.kid, "seq": seq, "captured_ms": self.now_ms(),
             "boot_id": self.boot_id, "mono_ms": int((time.monotonic() - self.mono0) * 1000)}
        e.update(fields)
        if "measures" in e:
            e["measures"] = {k: canon_number(v) for k, v in e["measures"].items()}
        return e

    def push(self, c, events, what):
        body = expect(c.req(PUSH, {"events": events}, what), ACK, what)
        return body["acked_seq"], body.get("rejects", [])


def run(a):
    k = Kiosk(a)
    hb_expected = int(a.get("heartbeat-ms", 0))
    with open(a["catalogue"], encoding="utf-8") as f:
        cat_text = f.read()

    # -- 6.1: any message before HELLO is ESTATE; the session opens with HELLO.
    c = k.connect()
    now = k.now_ms()
    expect_error(c.req(PING, {"last_seq": 0, "outbox_depth": 0, "oldest_unsent_s": 0,
                              "kiosk_time_ms": now}), "ESTATE", "PING before HELLO")
    say("PING before HELLO -> ERROR ESTATE")
    expect_error(c.req_raw(b"\xc1", "0xc1 before HELLO"), "EMALFORMED", "0xc1 before HELLO",
                 "EMALFORMED at frame")
    say("0xc1 before HELLO -> ERROR EMALFORMED (decoding comes before the session state)")
    expect_error(k.hello(c, kiosk_id="not-" + k.kid), "EDENIED", "HELLO with another kiosk's id")
    say("HELLO with another kiosk id -> ERROR EDENIED")
    t0 = time.monotonic()
    w = expect(k.hello(c, version=7, extra={"x-future-field": [1, "two"]}), WELCOME,
               "HELLO (version 7, an unknown key)")
    rtt = (time.monotonic() - t0) * 1000
    eq("WELCOME.version for a kiosk speaking up to 7", w["version"], 2)
    eq("WELCOME.acked_seq of a new kiosk", w["acked_seq"], 0)
    if w["catalogue_version"] < 1:
        fail(f"WELCOME.catalogue_version {w['catalogue_version']}: syncd was started with a catalogue")
    if hb_expected:
        eq("WELCOME.heartbeat_ms", w["heartbeat_ms"], hb_expected)
    skew = k.now_ms() - (w["server_time_ms"] + rtt / 2)
    if abs(skew) > 5000:
        fail(f"clock skew {skew} ms on one machine")
    catv = w["catalogue_version"]
    cursor0 = w["feed_cursor"]
    say(f"WELCOME version 2 acked_seq 0 catalogue_version {catv} feed_cursor {cursor0}")

    # -- 6.5: the catalogue.
    cat = expect(c.req(CATALOGUE_REQ, {"have_version": 0}), CATALOGUE, "CATALOGUE_REQ(0)")
    eq("CATALOGUE.version", cat["version"], catv)
    if cat.get("unchanged") or "yaml" not in cat:
        fail(f"CATALOGUE for have_version 0 has no yaml: {cat!r}")
    if cat["yaml"] != cat_text:
        fail("CATALOGUE.yaml is not the text of the imported catalogue file")
    for needle in ("- id: futian", "- id: tm-call", "- id: effective_calls", "- id: xu-jing"):
        if needle not in cat["yaml"]:
            fail(f"CATALOGUE.yaml lacks {needle!r}")
    cat2 = expect(c.req(CATALOGUE_REQ, {"have_version": catv}), CATALOGUE, "CATALOGUE_REQ(current)")
    eq("CATALOGUE for the current version", cat2, {"version": catv, "unchanged": True})
    say(f"CATALOGUE_REQ: whole YAML ({len(cat['yaml'].encode())} bytes) for 0, unchanged for {catv}")

    # -- 6.3: a batch with one bad event among good ones.
    title = "外呼系统下午经常掉线，通话中断 📞"
    body_txt = "下午两点到四点半之间，每小时掉线三到五次。\n建议：检查网络或换线路。"
    anon_title = "直播前统一检查灯光和麦克风"
    batch1 = [
        k.ev("checkin", 1, staff_id="xu-jing", step_id="tm-call", catalogue_version=catv,
             measures={"calls": 35, "effective_calls": 6.0}, quality=4, note="名单新"),
        k.ev("checkin", 2, staff_id="zhang-wei", step_id="ls-host", catalogue_version=catv,
             measures={"viewers": 320, "minutes": 47.5, "leads": 12}),
        k.ev("suggestion", 3, staff_id="huang-lei", process_id="telemarketing", step_id="tm-call",
             kind="problem", title=title, body=body_txt),
        k.ev("checkin", 4, staff_id="xu-jing", step_id="tm-cal", catalogue_version=catv,
             measures={"calls": 10}),  # unknown step
        k.ev("suggestion", 5, anonymous=True, kind="idea", title=anon_title),
        k.ev("rating", 6, staff_id="xu-jing", step_id="tm-call", score=5),
        k.ev("rating", 8, staff_id="li-na", score=3, **{"x-future": {"a": None}}),  # gap, unknown key
    ]
    acked, rejects = k.push(c, batch1, "PUSH batch 1")
    eq("ACK.acked_seq of batch 1", acked, 8)
    eq("ACK.rejects of batch 1 (seqs, codes)", [(r["seq"], r["code"]) for r in rejects],
       [(4, R["UNKNOWN_STEP"])])
    say(f"PUSH 7 events -> ACK acked_seq 8, seq 4 rejected UNKNOWN_STEP: {rejects[0]['reason']}")
    k.last_seq = 8
    k.accepted += [e for e in batch1 if e["seq"] != 4]

    # -- resent batch: a no-op, same mark, nothing rejected again.
    acked, rejects = k.push(c, batch1, "PUSH batch 1 again")
    eq("ACK.acked_seq of the resent batch", acked, 8)
    eq("ACK.rejects of the resent batch", rejects, [])
    acked, rejects = k.push(c, [], "empty PUSH")
    eq("ACK of an empty PUSH", (acked, rejects), (8, []))
    say("same batch again -> ACK acked_seq 8, no rejects; empty PUSH -> ACK 8")

    # -- every rejection code the server can give from validation (5, 6.3, 6.4).
    sid = f"{k.kid}:3"
    batch2 = [
        k.ev("vote", 9, staff_id="zhang-wei", suggestion_id=sid, vote=1),
        k.ev("vote", 10, staff_id="li-na", suggestion_id=sid, vote=1),
        k.ev("vote", 11, staff_id="li-na", suggestion_id=sid, vote=0),      # withdrawn
        k.ev("vote", 12, staff_id="li-na", suggestion_id=f"{k.kid}:999", vote=1),
        k.ev("checkin", 13, staff_id="nobody", step_id="tm-call", catalogue_version=catv,
             measures={"calls": 1}),
        k.ev("checkin", 14, staff_id="xu-jing", step_id="tm-call", catalogue_version=catv,
             measures={"cals": 1}),
        k.ev("checkin", 15, staff_id="xu-jing", step_id="tm-call", catalogue_version=catv,
             measures={"calls": 301}),
        k.ev("suggestion", 16, staff_id="xu-jing", process_id="no-such-process", kind="idea",
             title="x"),
        k.ev("suggestion", 17, staff_id="xu-jing", anonymous=True, kind="idea", title="x"),
        dict(k.ev("rating", 18, staff_id="xu-jing", score=4), kiosk_id="someone-else"),
        k.ev("rating", 20, staff_id="xu-jing", score=2),
        k.ev("rating", 19, staff_id="xu-jing", score=1),                     # out of order
    ]
    acked, rejects = k.push(c, batch2, "PUSH batch 2")
    eq("ACK.acked_seq of batch 2", acked, 20)
    # seq 17: anonymous AND staff_id: stored anonymously, the author dropped
    # (PROTOCOL.md section 5, Anonymous suggestions).
    want_accepted_17 = True
    want = [(12, "UNKNOWN_SUGGESTION"), (13, "UNKNOWN_STAFF"), (14, "UNKNOWN_MEASURE"),
            (15, "OUT_OF_RANGE"), (16, "UNKNOWN_PROCESS"),
            (18, "KIOSK_MISMATCH"), (19, "BAD_ORDER")]
    eq("ACK.rejects of batch 2", [(r["seq"], r["code"]) for r in rejects],
       [(s, R[n]) for s, n in want])
    for r in rejects:
        say(f"  reject seq {r['seq']} code {r['code']}: {r['reason']}")
    k.accepted += [e for e in batch2 if e["seq"] in (9, 10, 11, 20)]
    if want_accepted_17:  # stored as anonymous: the author must not be kept
        k.accepted.append({x: v for x, v in batch2[8].items() if x != "staff_id"})
    k.last_seq = 20
    say("PUSH 12 events -> ACK acked_seq 20, 7 rejects with the documented codes")

    # -- 6.6: the feed, one suggestion a page.
    cursor, pages, sugg, standings = 0, 0, {}, None
    while True:
        f = expect(c.req(FEED_REQ, {"cursor": cursor, "max_items": 1}), FEED, f"FEED_REQ({cursor})")
        pages += 1
        if len(f.get("suggestions", [])) > 1:
            fail(f"FEED with max_items 1 holds {len(f['suggestions'])} suggestions")
        for s in f.get("suggestions", []):
            sugg[s["id"]] = s
        if "standings" in f:
            standings = f["standings"]
        if f["cursor"] < cursor:
            fail(f"FEED cursor went back from {cursor} to {f['cursor']}")
        cursor = f["cursor"]
        if not f.get("more"):
            break
        if pages > 10:
            fail("FEED paging does not end")
    want_ids = [f"{k.kid}:3", f"{k.kid}:5"] + ([f"{k.kid}:17"] if want_accepted_17 else [])
    eq("suggestion ids in the feed", sorted(sugg), sorted(want_ids))
    if sugg[f"{k.kid}:17"].get("author_id"):
        fail(f"anonymous suggestion 17 carries author_id {sugg[f'{k.kid}:17']['author_id']!r}")
    s3, s5 = sugg[f"{k.kid}:3"], sugg[f"{k.kid}:5"]
    eq("feed suggestion 3", {x: s3.get(x) for x in ("kind", "status", "title", "body", "process_id",
                                                    "step_id", "author_id", "votes", "created_ms")},
       dict(kind="problem", status="new", title=title, body=body_txt, process_id="telemarketing",
            step_id="tm-call", author_id="huang-lei", votes=1, created_ms=batch1[2]["captured_ms"]))
    if "author_id" in s5:
        fail(f"anonymous suggestion carries author_id {s5['author_id']!r}")
    eq("feed suggestion 5", (s5["kind"], s5["title"], s5["votes"]), ("idea", anon_title, 0))
    if standings is None:
        fail(f"FEED carried no standings in {pages} pages from cursor 0, although this "
             "week's check-ins earned points (PROTOCOL.md 4.8 and 6.6)")
    else:
        ranks = {r["staff_id"]: r for r in standings}
        if "xu-jing" not in ranks or "zhang-wei" not in ranks:
            fail(f"standings lack xu-jing or zhang-wei: {standings!r}")
        eq("standings ranks", sorted(r["rank"] for r in standings)[0], 1)
    say(f"FEED paged in {pages} request(s) to cursor {cursor}")
    f = expect(c.req(FEED_REQ, {"cursor": cursor}), FEED, "FEED_REQ(last cursor)")
    eq("FEED after the last cursor", f, {"cursor": cursor})

    # -- 6.7: PING / PONG.
    p = expect(c.req(PING, {"last_seq": 20, "outbox_depth": 0, "oldest_unsent_s": 0,
                            "kiosk_time_ms": k.now_ms()}), PONG, "PING")
    eq("PONG.acked_seq", p["acked_seq"], 20)
    eq("PONG.catalogue_version", p["catalogue_version"], catv)
    eq("PONG.feed_cursor", p["feed_cursor"], cursor)
    say("PING -> PONG acked_seq 20, feed_cursor = the last FEED cursor")

    # -- 6.11: the meeting agenda of the kiosk's own site, for the week of
    # the check-ins above (site-local ISO week).
    tzm = re.search(r"timezone:\s*([\w/+-]+)", cat_text)
    tz = ZoneInfo(tzm.group(1) if tzm else "Asia/Shanghai")
    calls = [e for e in k.accepted if e["type"] == "checkin" and e["step_id"] == "tm-call"]
    if not calls:
        fail("no accepted tm-call check-in to compare the agenda with")
    iso = datetime.datetime.fromtimestamp(calls[0]["captured_ms"] / 1000, tz).isocalendar()
    week = f"{iso[0]}-W{iso[1]:02d}"
    same_week = [e for e in calls if datetime.datetime.fromtimestamp(
        e["captured_ms"] / 1000, tz).isocalendar()[:2] == iso[:2]]
    ag = expect(c.req(AGENDA_REQ, {"week": week}), AGENDA, f"AGENDA_REQ({week})")
    eq("AGENDA.site (the enrolled site, never asked for)", ag["site"], a["site"])
    eq("AGENDA.week", ag["week"], week)
    row = [r for r in ag.get("steps", []) if r["step_id"] == "tm-call"]
    if len(row) != 1:
        fail(f"AGENDA has {len(row)} tm-call rows: {ag.get('steps')!r}")
    want_calls = sum(round(e["measures"]["calls"] * 100) for e in same_week)
    eq("AGENDA tm-call value_x100", row[0].get("value_x100", 0), want_calls)
    eq("AGENDA tm-call checkins", row[0].get("checkins", 0), len(same_week))
    ideas = {d["id"]: d for d in ag.get("decisions", [])}
    if f"{k.kid}:5" not in ideas or ideas[f"{k.kid}:5"]["title"] != anon_title:
        fail(f"the anonymous idea {k.kid}:5 is not among the decisions: {ideas!r}")
    say(f"AGENDA_REQ({week}) -> AGENDA of site {ag['site']}: tm-call {want_calls / 100:g} calls "
        f"in {len(same_week)} check-in(s), idea {k.kid}:5 for decision")
    cur = expect(c.req(AGENDA_REQ, {}), AGENDA, "AGENDA_REQ (no week)")
    if not re.fullmatch(r"\d{4}-W\d{2}", cur["week"]):
        fail(f"AGENDA for no week names week {cur['week']!r}")
    expect_error(c.req(AGENDA_REQ, {"week": "2026-48"}), "EINVAL", "AGENDA_REQ(2026-48)",
                 f'agenda of site {a["site"]}: week "2026-48" is not an ISO week; write it '
                 'as 2026-W48')
    say("AGENDA_REQ with no week -> the current week; a malformed week -> ERROR EINVAL")

    # -- 6.10 / 2.6: frames that do not decode; the session goes on.
    bad = [
        (b"\xc1", "EMALFORMED", "frame"),
        (b"\x92\x09", "ETRUNCATED", "frame"),
        (b"\xdd\xff\xff\xff\xff", "ETRUNCATED", "frame"),
        (encode(PING, {}) + b"\x00", "ETRAILING", "frame"),
        (b"\x91\x09", "ETYPE", "message"),
        (msgpack.packb([9, []]), "ETYPE", "PING"),
        (encode(15, {}), "EUNKNOWNMSG", "message.id"),
        (encode(PING, {"last_seq": 1}), "EMISSING", "PING.outbox_depth"),
        (encode(PING, {"last_seq": -1, "outbox_depth": 0, "oldest_unsent_s": 0,
                       "kiosk_time_ms": 0}), "ERANGE", "PING.last_seq"),
        (encode(PING, {"last_seq": 1.0, "outbox_depth": 0, "oldest_unsent_s": 0,
                       "kiosk_time_ms": 0}), "ETYPE", "PING.last_seq"),
        (b"\x92\x09\x84\xa8last_seq\x00\xa8last_seq\x00\xacoutbox_depth\x00\xafoldest_unsent_s\x00",
         "EDUPKEY", "PING.last_seq"),
        (encode(PUSH, {"events": [{"type": "checkin", "kiosk_id": k.kid, "seq": 21,
                                   "captured_ms": 0, "boot_id": 0, "mono_ms": 0,
                                   "staff_id": "xu-jing", "step_id": "tm-call",
                                   "catalogue_version": catv, "measures": {"calls": 1},
                                   "quality": 0}]}), "ERANGE", "PUSH.events[0].quality"),
        (encode(PUSH, {"events": [{"type": "memo", "kiosk_id": k.kid, "seq": 21}]}),
         "EUNKNOWNEVENT", "PUSH.events[0].type"),
        (encode(PUSH, {"events": [{"type": "vote", "kiosk_id": k.kid, "seq": 21, "captured_ms": 0,
                                   "boot_id": 0, "mono_ms": 0, "staff_id": "x",
                                   "suggestion_id": sid, "vote": True}]}),
         "ETYPE", "PUSH.events[0].vote"),
        (encode(PUSH, {"events": [{"type": "rating", "kiosk_id": k.kid, "seq": 21,
                                   "captured_ms": 0, "boot_id": 0, "mono_ms": 0,
                                   "staff_id": b"xu-jing", "score": 1}]}),
         "ETYPE", "PUSH.events[0].staff_id"),
        # staff_id "\xc0\x80": an overlong NUL
        (b"\x92\x03\x81\xa6events\x91\x87\xa4type\xa6rating\xa8kiosk_id\xa1k\xa3seq\x15"
         b"\xabcaptured_ms\x00\xa7boot_id\x00\xa7mono_ms\x00\xa8staff_id\xa2\xc0\x80",
         "EUTF8", "PUSH.events[0].staff_id"),
        (encode(PUSH, {"events": [[[[[[]]]]]]}), "EDEPTH", "frame"),
        (encode(WELCOME, {"version": 1}), "EMISSING", "WELCOME.acked_seq"),
        (encode(WELCOME, {"version": 1, "acked_seq": 0, "catalogue_version": 0, "feed_cursor": 0,
                          "server_time_ms": 0, "heartbeat_ms": 1}), "ESTATE", None),
        (encode(ADMIN_REQ, {"op": "ping"}), "ESTATE", None),
    ]
    for frame, code, path in bad:
        r = expect_error(c.req_raw(frame, f"bad frame {frame[:24].hex()}"), code,
                         f"bad frame {frame[:24].hex()}", None if path is None else f"{code} at {path}")
        say(f"bad frame {frame[:12].hex()}... -> ERROR {code}: {r['message']}")
    # a multipart message is discarded and not answered (section 1)
    c.s.send_multipart([encode(PING, {"last_seq": 20, "outbox_depth": 0, "oldest_unsent_s": 0,
                                      "kiosk_time_ms": k.now_ms()}), b""])
    if c.recv(1000) is not None:
        fail("a two-frame message was answered; section 1 says it is discarded unanswered")
    p = expect(c.req(PING, {"last_seq": 20, "outbox_depth": 0, "oldest_unsent_s": 0,
                            "kiosk_time_ms": k.now_ms()}), PONG, "PING after bad frames")
    eq("PONG.acked_seq after bad frames", p["acked_seq"], 20)
    say("two-frame message: no answer; the session goes on (PONG)")

    # -- 6.7: expiry after 3 x heartbeat_ms of silence, then HELLO again.
    hb = w["heartbeat_ms"]
    if hb <= 2000:
        # 6.7: expired after 3 x heartbeat_ms of silence, checked once a heartbeat.
        time.sleep(4 * hb / 1000 + 0.5)
        expect_error(c.req(PING, {"last_seq": 20, "outbox_depth": 0, "oldest_unsent_s": 0,
                                  "kiosk_time_ms": k.now_ms()}), "ESTATE", "PING after expiry")
        w2 = expect(k.hello(c), WELCOME, "HELLO after expiry")
        eq("WELCOME.acked_seq after expiry", w2["acked_seq"], 20)
        say(f"silent {4 * hb + 500} ms -> ESTATE; HELLO again -> WELCOME acked_seq 20")
    c.close()

    # -- a new connection (lost local store): WELCOME says where to continue (6.2).
    c = k.connect()
    k.last_seq = 0
    w3 = expect(k.hello(c), WELCOME, "HELLO on a new connection")
    eq("WELCOME.acked_seq on a new connection", w3["acked_seq"], 20)
    acked, rejects = k.push(c, [k.ev("rating", 5, staff_id="xu-jing", score=4)],
                            "PUSH of a seq below the mark")
    eq("ACK for a seq below the mark", (acked, rejects), (20, []))
    e21 = k.ev("checkin", 21, staff_id="guo-li", step_id="cm-answer", catalogue_version=catv,
               measures={"answers": 18}, note="")
    acked, rejects = k.push(c, [e21], "PUSH seq 21")
    eq("ACK of seq 21", (acked, rejects), (21, []))
    k.accepted.append(e21)
    c.close()
    say("new connection: WELCOME acked_seq 20; seq 5 ignored; seq 21 stored")

    with open(a["out"], "w", encoding="utf-8") as f:
        for e in k.accepted:
            f.write(json.dumps(e, ensure_ascii=False) + "\n")
    print(f"pykiosk: ok ({len(k.accepted)} events accepted)")


# ---------------------------------------------------------------- export check
EXPORTED = ("type", "kiosk_id", "seq", "staff_id", "step_id", "process_id", "catalogue_version",
            "quality", "score", "vote", "suggestion_id", "measures", "note", "kind", "title", "body")


def iso_ms(ms):
    t = time.gmtime(ms // 1000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", t) + f".{ms % 1000:03d}Z"


def check_export(expected_path, export_path):
    """syncd's JSON Lines export (section 11.3) against the events it accepted."""
    with open(expected_path, encoding="utf-8") as f:
        want = [json.loads(l) for l in f if l.strip()]
    with open(export_path, "rb") as f:
        raw = f.read()
    got = [json.loads(l) for l in raw.decode("utf-8").splitlines() if l.strip()]
    keyed = {}
    for g in got:
        key = (g.get("kiosk_id"), g.get("seq"))
        if key in keyed:
            fail(f"event {key} exported twice")
        keyed[key] = g
    want_keys = {(w["kiosk_id"], w["seq"]) for w in want}
    if set(keyed) != want_keys:
        fail(f"export holds {sorted(keyed, key=str)}, want exactly {sorted(want_keys, key=str)}")
    for w in want:
        g = keyed[(w["kiosk_id"], w["seq"])]
        name = f"event {w['kiosk_id']}:{w['seq']}"
        for field in EXPORTED:
            if field not in g:
                fail(f"{name}: the export has no field {field!r}: {g!r}")
            gv, wv = g[field], w.get(field)
            if field == "measures" and isinstance(gv, dict):
                gv = {mk: canon_number(mv) for mk, mv in gv.items()}
            if wv in (None, "") and gv in (None, ""):
                continue  # absent optional field: exported as "" or null
            if gv != wv:
                fail(f"{name} field {field}: exported {gv!r}, sent {wv!r}")
        eq(f"{name} captured_utc", g.get("captured_utc"), iso_ms(w["captured_ms"]))
        if w["type"] == "suggestion":
            eq(f"{name} anonymous", g.get("anonymous"), bool(w.get("anonymous")))
            for field in ("title", "body"):
                if field in w and json.dumps(w[field], ensure_ascii=False).encode("utf-8") not in raw:
                    fail(f"{name}: {field} is not in the export byte for byte")
    print(f"pykiosk: export holds exactly the {len(want)} accepted events, each once")


def main(argv):
    if len(argv) >= 2 and argv[1] == "keygen":
        keygen(argv[2], *(argv[3:4]))
        return 0
    if len(argv) == 4 and argv[1] == "check-export":
        check_export(argv[2], argv[3])
        return 0
    if len(argv) >= 2 and argv[1] == "run":
        a, rest = {}, argv[2:]
        while rest:
            if not rest[0].startswith("--") or len(rest) < 2:
                print(__doc__, file=sys.stderr)
                return 2
            a[rest[0][2:]] = rest[1]
            rest = rest[2:]
        for need in ("server", "server-key", "key", "kiosk", "site", "catalogue", "out"):
            if need not in a:
                print(f"pykiosk: run needs --{need}", file=sys.stderr)
                return 2
        run(a)
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv))
    except Fail as e:
        print(f"FAIL: {e}", file=sys.stderr)
        sys.exit(1)
