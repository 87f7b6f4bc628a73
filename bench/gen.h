/*
 * gen.h — the events every benchmark works on, and the hashes that prove
 * a benchmark stored or decoded exactly them.
 *
 * Why one generator: ingest, backlog and codec measure different paths
 * over the same realistic events (check-ins with one to three measures
 * against the sample branch's catalogue, one in ten a customer rating),
 * made from a fixed seed so that every run stores the same rows. The
 * expected hash comes from the generated events; each path's result is
 * hashed back from what it produced (rows read back from SQLite, fields
 * read back from decoded messages) and must match.
 */
#ifndef STEPWISE_BENCH_GEN_H
#define STEPWISE_BENCH_GEN_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

#include "protocol/catalogue.h"
#include "protocol/protocol.h"
#include "syncd/ingest.h"
#include "syncd/store.h"

/* 2026-11-23 09:00 Asia/Shanghai, a Monday: captures start here. */
#define BENCH_T0_MS ((int64_t)1795395600000)
#define BENCH_SITE "futian"

/* The sample catalogue (assets/catalogue.yaml, or $STEPWISE_ASSETS),
 * loaded with version 1 as syncd's first publish gives it. NULL with a
 * readable line on stderr. *yaml (may be NULL) gets the text (free()). */
proto_catalogue_t *bench_catalogue(char **yaml, size_t *yaml_len);

/* "bench-01" ... */
void bench_kiosk_id(char *out, size_t len, unsigned k);

/* Fills ev (must be clear; proto_event_clear() it) with event seq of
 * kiosk kiosk_id, deterministic from (seed, kiosk index, seq). */
int bench_event(const proto_catalogue_t *cat, uint64_t seed, unsigned kiosk,
                uint64_t seq, proto_event_t *ev);

/* Chains one event into h the way bench_hash_db() reads it back. */
uint64_t bench_hash_event(uint64_t h, const proto_event_t *ev);

/* The PUSH frames of `kiosks` kiosks holding per_kiosk events each (kiosk
 * k's at evs[k * per_kiosk]), in batches of `batch`, interleaved
 * round-robin as the kiosks would arrive. frames and frame_len have room
 * for kiosks * ceil(per_kiosk / batch). 0, or -1 with a line on stderr. */
int bench_push_frames(proto_event_t *evs, unsigned kiosks, uint32_t per_kiosk,
                      uint32_t batch, uint8_t **frames, size_t *frame_len,
                      size_t *n_frames);

/* The store at uri with the catalogue as version 1 and kiosks
 * 0..kiosks-1 enrolled at BENCH_SITE, as syncd's set-up would leave it.
 * NULL with a line on stderr. */
syncd_store_t *bench_store_new(const char *uri, const char *yaml,
                               size_t yaml_len, unsigned kiosks);

/* Seconds spent in each phase of syncd's path for PUSH frames. */
typedef struct {
    double decode; /* proto_decode and the kiosk look-up */
    double build;  /* syncd_ingest_build */
    double store;  /* syncd_store_ingest */
} bench_push_phases_t;

/* What syncd does with PUSH frame f: decode, the kiosk look-up,
 * syncd_ingest_build, syncd_store_ingest, the ACK encoded; every event of
 * it must be accepted (*accepted grows by them), and ph's phases by their
 * time. 0; -1 when the frame does not decode (said on stderr); -2 when
 * the store failed, events were rejected (said on stderr) or the ACK
 * does not encode. */
int bench_syncd_push(syncd_store_t *store, syncd_ingest_t *ing,
                     const proto_catalogue_t *cat, const uint8_t *frame,
                     size_t len, size_t f, bench_push_phases_t *ph,
                     uint64_t *accepted);

/* Hashes the events table (syncd's schema, or the baseline's copy of it)
 * of the SQLite file at path, ordered by (kiosk_id, seq). *rows gets the
 * row count. 0 or -1 with a line on stderr. */
int bench_hash_db(const char *path, uint64_t *hash, uint64_t *rows);

/* The raw-SQLite baseline: a database with syncd's events table (same
 * columns, key and index), WAL and synchronous=FULL. */
typedef struct bench_raw bench_raw_t;
bench_raw_t *bench_raw_open(const char *path);
/* Inserts n events in one transaction (BEGIN IMMEDIATE ... COMMIT), the
 * row values prepared beforehand by bench_raw_rows(). */
typedef struct bench_raw_row bench_raw_row_t;
bench_raw_row_t *bench_raw_rows(const proto_event_t *evs, size_t n);
void bench_raw_rows_free(bench_raw_row_t *rows, size_t n);
int bench_raw_insert(bench_raw_t *self, const bench_raw_row_t *rows,
                     size_t first, size_t n);
void bench_raw_close(bench_raw_t **self_p);

#endif
