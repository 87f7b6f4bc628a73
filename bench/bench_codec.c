/*
 * bench_codec.c — protocol messages encoded and decoded per second,
 * against raw msgpack-c packing and unpacking of the same objects.
 *
 * The messages are PUSHes of 10 generated events (the kiosk's everyday
 * frame). The measured path is proto_encode / proto_decode: schema-driven,
 * every bound checked, every string validated as UTF-8. The baseline packs
 * the same maps with msgpack_pack_* by hand, keys in the same order, and
 * unpacks them with msgpack_unpack_next into the same proto_event_t
 * fields with no checks beyond the types. The decoded events of both
 * sides are hashed and must equal the hash of the generated events; the
 * two encodings are also compared byte for byte.
 */
#include <inttypes.h>
#include <math.h>
#include <msgpack.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "gen.h"

#define SEED 4
#define PER_MSG 10

static void pk_str(msgpack_packer *pk, const char *s)
{
    size_t n = strlen(s);
    msgpack_pack_str(pk, n);
    msgpack_pack_str_body(pk, s, n);
}

static void pk_num(msgpack_packer *pk, double v)
{
    if (v >= 0 && v == floor(v) && v < 9007199254740992.0)
        msgpack_pack_uint64(pk, (uint64_t)v);
    else
        msgpack_pack_double(pk, v);
}

/* The wire form of docs/PROTOCOL.md, packed by hand. */
static void raw_pack(msgpack_packer *pk, const proto_event_t *evs, size_t n)
{
    msgpack_pack_array(pk, 2);
    msgpack_pack_uint64(pk, PROTO_MSG_PUSH);
    msgpack_pack_map(pk, 1);
    pk_str(pk, "events");
    msgpack_pack_array(pk, n);
    for (size_t i = 0; i < n; i++) {
        const proto_event_t *ev = &evs[i];
        bool checkin = ev->type == PROTO_EV_CHECKIN;
        size_t keys =
            7 + (checkin ? 3 + (ev->quality > 0) + (ev->note != NULL) : 1);
        msgpack_pack_map(pk, keys);
        pk_str(pk, "type");
        pk_str(pk, proto_event_name(ev->type));
        pk_str(pk, "kiosk_id");
        pk_str(pk, ev->kiosk_id);
        pk_str(pk, "seq");
        msgpack_pack_uint64(pk, ev->seq);
        pk_str(pk, "captured_ms");
        msgpack_pack_int64(pk, ev->captured_ms);
        pk_str(pk, "boot_id");
        msgpack_pack_uint64(pk, ev->boot_id);
        pk_str(pk, "mono_ms");
        msgpack_pack_uint64(pk, ev->mono_ms);
        pk_str(pk, "staff_id");
        pk_str(pk, ev->staff_id);
        if (checkin) {
            pk_str(pk, "step_id");
            pk_str(pk, ev->step_id);
            pk_str(pk, "catalogue_version");
            msgpack_pack_uint64(pk, ev->catalogue_version);
            pk_str(pk, "measures");
            msgpack_pack_map(pk, ev->n_measures);
            for (uint32_t m = 0; m < ev->n_measures; m++) {
                pk_str(pk, ev->measures[m].key);
                pk_num(pk, ev->measures[m].value);
            }
            if (ev->quality > 0) {
                pk_str(pk, "quality");
                msgpack_pack_uint64(pk, ev->quality);
            }
            if (ev->note) {
                pk_str(pk, "note");
                pk_str(pk, ev->note);
            }
        } else {
            pk_str(pk, "score");
            msgpack_pack_uint64(pk, ev->score);
        }
    }
}

static bool key_is(const msgpack_object *k, const char *s)
{
    size_t n = strlen(s);
    return k->type == MSGPACK_OBJECT_STR && k->via.str.size == n &&
           memcmp(k->via.str.ptr, s, n) == 0;
}

static void copy_str(char *dst, size_t cap, const msgpack_object *o)
{
    size_t n = o->type == MSGPACK_OBJECT_STR ? o->via.str.size : 0;
    if (n >= cap)
        n = cap - 1;
    memcpy(dst, o->via.str.ptr, n);
    dst[n] = '\0';
}

static double num(const msgpack_object *o)
{
    switch (o->type) {
    case MSGPACK_OBJECT_POSITIVE_INTEGER:
        return (double)o->via.u64;
    case MSGPACK_OBJECT_NEGATIVE_INTEGER:
        return (double)o->via.i64;
    case MSGPACK_OBJECT_FLOAT64:
    case MSGPACK_OBJECT_FLOAT32:
        return o->via.f64;
    default:
        return NAN;
    }
}

/* The same fields out of the unpacked tree, types checked, nothing else.
 * Returns the number of events or -1. */
static int raw_unpack(const char *buf, size_t len, proto_event_t *out,
                      size_t cap)
{
    msgpack_unpacked u;
    size_t off = 0;
    int n = -1;
    msgpack_unpacked_init(&u);
    if (msgpack_unpack_next(&u, buf, len, &off) != MSGPACK_UNPACK_SUCCESS)
        goto done;
    const msgpack_object *root = &u.data;
    if (root->type != MSGPACK_OBJECT_ARRAY || root->via.array.size != 2 ||
        root->via.array.ptr[1].type != MSGPACK_OBJECT_MAP)
        goto done;
    const msgpack_object_map *body = &root->via.array.ptr[1].via.map;
    for (uint32_t b = 0; b < body->size; b++) {
        if (!key_is(&body->ptr[b].key, "events") ||
            body->ptr[b].val.type != MSGPACK_OBJECT_ARRAY)
            continue;
        const msgpack_object_array *a = &body->ptr[b].val.via.array;
        if (a->size > cap)
            goto done;
        for (uint32_t i = 0; i < a->size; i++) {
            proto_event_t *ev = &out[i];
            memset(ev, 0, sizeof *ev);
            if (a->ptr[i].type != MSGPACK_OBJECT_MAP)
                goto done;
            const msgpack_object_map *m = &a->ptr[i].via.map;
            for (uint32_t k = 0; k < m->size; k++) {
                const msgpack_object *key = &m->ptr[k].key;
                const msgpack_object *v = &m->ptr[k].val;
                if (key_is(key, "type")) {
                    char t[16];
                    copy_str(t, sizeof t, v);
                    ev->type = strcmp(t, "checkin") == 0 ? PROTO_EV_CHECKIN
                                                         : PROTO_EV_RATING;
                } else if (key_is(key, "kiosk_id"))
                    copy_str(ev->kiosk_id, sizeof ev->kiosk_id, v);
                else if (key_is(key, "seq"))
                    ev->seq = v->via.u64;
                else if (key_is(key, "captured_ms"))
                    ev->captured_ms = (int64_t)v->via.u64;
                else if (key_is(key, "boot_id"))
                    ev->boot_id = v->via.u64;
                else if (key_is(key, "mono_ms"))
                    ev->mono_ms = v->via.u64;
                else if (key_is(key, "staff_id"))
                    copy_str(ev->staff_id, sizeof ev->staff_id, v);
                else if (key_is(key, "step_id"))
                    copy_str(ev->step_id, sizeof ev->step_id, v);
                else if (key_is(key, "catalogue_version"))
                    ev->catalogue_version = v->via.u64;
                else if (key_is(key, "quality"))
                    ev->quality = (uint8_t)v->via.u64;
                else if (key_is(key, "score"))
                    ev->score = (uint8_t)v->via.u64;
                else if (key_is(key, "note")) {
                    ev->note = proto_malloc(v->via.str.size + 1);
                    if (!ev->note)
                        goto done;
                    memcpy(ev->note, v->via.str.ptr, v->via.str.size);
                    ev->note[v->via.str.size] = '\0';
                } else if (key_is(key, "measures") &&
                           v->type == MSGPACK_OBJECT_MAP) {
                    for (uint32_t j = 0;
                         j < v->via.map.size && j < PROTO_MAX_MEASURES; j++) {
                        copy_str(ev->measures[j].key,
                                 sizeof ev->measures[j].key,
                                 &v->via.map.ptr[j].key);
                        ev->measures[j].value = num(&v->via.map.ptr[j].val);
                        ev->n_measures = j + 1;
                    }
                }
            }
        }
        n = (int)a->size;
    }
done:
    msgpack_unpacked_destroy(&u);
    return n;
}

int main(int argc, char **argv)
{
    bool smoke = bench_smoke(argc, argv);
    size_t n_msgs = smoke ? 50 : 2000;
    int reps = smoke ? 1 : 10;
    size_t total = n_msgs * PER_MSG;
    proto_catalogue_t *cat = bench_catalogue(NULL, NULL);
    proto_event_t *evs = calloc(total, sizeof *evs);
    uint8_t **enc = calloc(n_msgs, sizeof *enc);
    size_t *enc_len = calloc(n_msgs, sizeof *enc_len);
    msgpack_sbuffer *raw = calloc(n_msgs, sizeof *raw);
    proto_event_t dec[PER_MSG];
    int rc = 1;
    if (!cat || !evs || !enc || !enc_len || !raw) {
        fprintf(stderr, "bench: out of memory or no catalogue\n");
        goto done;
    }
    uint64_t want = BENCH_FNV_INIT;
    for (size_t i = 0; i < total; i++) {
        if (bench_event(cat, SEED, (unsigned)(i % 3), i + 1, &evs[i]) != 0)
            goto done;
        want = bench_hash_event(want, &evs[i]);
    }
    for (size_t m = 0; m < n_msgs; m++)
        msgpack_sbuffer_init(&raw[m]);

    /* ---- encode: ours, then raw; best of reps */
    double best_enc = INFINITY, best_raw_enc = INFINITY;
    for (int r = 0; r < reps; r++) {
        for (size_t m = 0; m < n_msgs; m++) {
            proto_free(enc[m]);
            enc[m] = NULL;
        }
        double t0 = bench_now_s();
        for (size_t m = 0; m < n_msgs; m++) {
            proto_msg_t msg = {.type = PROTO_MSG_PUSH};
            msg.u.push.n_events = PER_MSG;
            msg.u.push.events = &evs[m * PER_MSG];
            if (proto_encode(&msg, &enc[m], &enc_len[m]) != 0) {
                fprintf(stderr, "bench: message %zu does not encode\n", m);
                goto done;
            }
        }
        double t = bench_now_s() - t0;
        best_enc = t < best_enc ? t : best_enc;
        t0 = bench_now_s();
        for (size_t m = 0; m < n_msgs; m++) {
            msgpack_packer pk;
            raw[m].size = 0;
            msgpack_packer_init(&pk, &raw[m], msgpack_sbuffer_write);
            raw_pack(&pk, &evs[m * PER_MSG], PER_MSG);
        }
        t = bench_now_s() - t0;
        best_raw_enc = t < best_raw_enc ? t : best_raw_enc;
    }
    size_t same_bytes = 0;
    for (size_t m = 0; m < n_msgs; m++)
        same_bytes += raw[m].size == enc_len[m] &&
                      memcmp(raw[m].data, enc[m], enc_len[m]) == 0;
    printf("# %zu of %zu messages encode to the same bytes both ways\n",
           same_bytes, n_msgs);

    /* ---- decode: ours, then raw; the last rep's fields are hashed */
    double best_dec = INFINITY, best_raw_dec = INFINITY;
    uint64_t h_dec = 0, h_raw = 0;
    for (int r = 0; r < reps; r++) {
        uint64_t h = BENCH_FNV_INIT, hr = BENCH_FNV_INIT;
        double t_dec = 0, t_raw = 0;
        for (size_t m = 0; m < n_msgs; m++) {
            proto_msg_t msg;
            double t0 = bench_now_s();
            if (proto_decode(enc[m], enc_len[m], 0, &msg, NULL) != 0) {
                fprintf(stderr, "bench: message %zu does not decode\n", m);
                goto done;
            }
            t_dec += bench_now_s() - t0;
            for (uint32_t i = 0; i < msg.u.push.n_events; i++)
                h = bench_hash_event(h, &msg.u.push.events[i]);
            proto_msg_clear(&msg);
            t0 = bench_now_s();
            int n = raw_unpack(raw[m].data, raw[m].size, dec, PER_MSG);
            t_raw += bench_now_s() - t0;
            if (n != PER_MSG) {
                fprintf(stderr, "bench: raw message %zu does not unpack\n", m);
                goto done;
            }
            for (int i = 0; i < n; i++) {
                hr = bench_hash_event(hr, &dec[i]);
                proto_event_clear(&dec[i]);
            }
        }
        best_dec = t_dec < best_dec ? t_dec : best_dec;
        best_raw_dec = t_raw < best_raw_dec ? t_raw : best_raw_dec;
        h_dec = h;
        h_raw = hr;
    }
    if (bench_check_hash("proto_decode fields", h_dec, want) != 0 ||
        bench_check_hash("raw msgpack-c fields", h_raw, want) != 0)
        goto done;
    double enc_v = n_msgs / best_enc, enc_b = n_msgs / best_raw_enc;
    double dec_v = n_msgs / best_dec, dec_b = n_msgs / best_raw_dec;
    bench_row("codec-encode",
              smoke ? "codec encode (smoke)" : "codec encode, PUSH of 10",
              enc_v, "msgs/s", enc_b, "raw msgpack-c pack", NAN, "-", "info",
              want);
    bench_row("codec-decode",
              smoke ? "codec decode (smoke)" : "codec decode, PUSH of 10",
              dec_v, "msgs/s", dec_b, "raw msgpack-c unpack", NAN, "-", "info",
              h_dec);
    rc = 0;
done:
    for (size_t m = 0; enc && m < n_msgs; m++)
        proto_free(enc[m]);
    for (size_t m = 0; raw && m < n_msgs; m++)
        msgpack_sbuffer_destroy(&raw[m]);
    for (size_t i = 0; evs && i < total; i++)
        proto_event_clear(&evs[i]);
    free(evs);
    free(enc);
    free(enc_len);
    free(raw);
    proto_catalogue_destroy(&cat);
    return rc;
}
