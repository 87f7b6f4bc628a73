/*
 * gen_corpus.c — writes the seed corpus of the decode fuzz target.
 *
 * Seeds: a valid frame of every message type, full and with required
 * fields only (so the fuzzer starts inside every schema branch), a PUSH
 * with every event type, and every row of the malformed-input table
 * (tests/protocol/malformed_rows.h). The files are committed under
 * tests/fuzz/corpus/decode/; run this again after a schema change:
 *
 *   fuzz_gen_corpus tests/fuzz/corpus/decode
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../protocol/malformed_rows.h"
#include "../protocol/mpjson.h"
#include "../protocol/schema_walk.h"

static int write_seed(const char *dir, const char *name, const uint8_t *buf,
                      size_t len)
{
    char path[512], clean[128];
    size_t k = 0;
    for (const char *p = name; *p && k < sizeof(clean) - 1; p++) {
        unsigned char c = (unsigned char)*p;
        clean[k++] = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                             (c >= '0' && c <= '9') || c == '-'
                         ? (char)c
                         : '_';
    }
    clean[k] = '\0';
    snprintf(path, sizeof(path), "%s/%s", dir, clean);
    FILE *f = fopen(path, "wb");
    if (!f || (len && fwrite(buf, 1, len, f) != len) || fclose(f) != 0) {
        fprintf(stderr, "gen_corpus: cannot write %s: %s\n", path,
                strerror(errno));
        return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s CORPUS_DIR\n", argv[0]);
        return 2;
    }
    const char *dir = argv[1];
    if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
        fprintf(stderr, "gen_corpus: cannot create %s: %s\n", dir,
                strerror(errno));
        return 1;
    }
    int n = 0;
    walk_rng_t rng = {20261127};
    for (size_t i = 0; i < schema_n_msgs; i++) {
        for (int all = 0; all <= 1; all++) {
            walk_opts_t o = {.all = all, .max_arr = 2};
            proto_msg_t msg;
            uint8_t *buf;
            size_t len;
            char name[64];
            walk_fill_msg(&rng, &msg, schema_msgs[i].id, &o);
            /* keep seeds small: big texts teach the fuzzer nothing */
            if (msg.type == PROTO_MSG_CATALOGUE && msg.u.catalogue.yaml) {
                strcpy(msg.u.catalogue.yaml, "version: 1\n");
                msg.u.catalogue.yaml_len = 0;
            }
            if (msg.type == PROTO_MSG_ADMIN_REP && msg.u.admin_rep.text) {
                strcpy(msg.u.admin_rep.text, "pong");
                msg.u.admin_rep.text_len = 0;
            }
            if (proto_encode(&msg, &buf, &len) != 0) {
                fprintf(stderr, "gen_corpus: cannot encode %s\n",
                        schema_msgs[i].body.name);
                return 1;
            }
            snprintf(name, sizeof(name), "valid-%s-%s",
                     schema_msgs[i].body.name, all ? "full" : "required");
            if (write_seed(dir, name, buf, len) != 0)
                return 1;
            n++;
            proto_free(buf);
            proto_msg_clear(&msg);
        }
    }
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        uint8_t *buf;
        size_t len;
        char name[160];
        if (rows[i].spec) {
            if (mpjson(rows[i].spec, &buf, &len) != 0)
                return 1;
        } else {
            buf = unhex(rows[i].hex, &len);
        }
        snprintf(name, sizeof(name), "%s-%s", rows[i].code ? "bad" : "ok",
                 rows[i].name);
        if (write_seed(dir, name, buf, len) != 0)
            return 1;
        n++;
        free(buf);
    }
    printf("gen_corpus: %d seeds written to %s\n", n, dir);
    return 0;
}
