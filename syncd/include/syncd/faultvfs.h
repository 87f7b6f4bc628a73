/*
 * faultvfs.h — a SQLite VFS shim that fails the Nth read, write or sync.
 *
 * Stepwise promises that a batch the store could not make durable is
 * refused whole: no ACK, nothing of it left behind, and the next attempt
 * stores it. The only honest way to show that is to make the disk fail at
 * every point of an ingest in turn, as SQLite's own test_vfs does. This
 * shim wraps the default VFS and, once installed, becomes the default for
 * every connection opened afterwards in this process (syncd's store opens
 * with the default VFS, so nothing in the store knows it is there).
 *
 * For tests only; syncd never installs it. Not thread-safe beyond what
 * tests need (counters are plain atomics; arm/disarm from one thread).
 */
#ifndef SYNCD_FAULTVFS_H
#define SYNCD_FAULTVFS_H

#include <stdbool.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    SYNCD_FAULT_READ = 0,
    SYNCD_FAULT_WRITE, /* xWrite and xTruncate */
    SYNCD_FAULT_SYNC,  /* xSync (fsync / fdatasync) */
    SYNCD_FAULT_OPS_
} syncd_fault_op_t;

typedef enum {
    SYNCD_FAULT_IOERR = 0, /* SQLITE_IOERR_READ / _WRITE / _FSYNC */
    SYNCD_FAULT_FULL,      /* SQLITE_FULL: the disk is full */
} syncd_fault_kind_t;

/* Registers the shim (named "stepwise-fault") as the default VFS. Safe to
 * call more than once. 0, or PROTO_ESTORE when SQLite refuses. */
int syncd_faultvfs_install(void);

/* Resets the counters; from now on the nth operation of kind op (1 = the
 * next one) fails with kind. sticky: every later op of that kind fails too
 * (a disk that stays full) until disarmed. nth 0 only resets counters. */
void syncd_faultvfs_arm(syncd_fault_op_t op, unsigned nth,
                        syncd_fault_kind_t kind, bool sticky);
/* No more failures; counters keep counting. */
void syncd_faultvfs_disarm(void);
/* Operations of kind op seen since the last arm (failed ones included). */
unsigned syncd_faultvfs_count(syncd_fault_op_t op);
/* How many operations were failed since the last arm. */
unsigned syncd_faultvfs_failed(void);

#ifdef __cplusplus
}
#endif
#endif
