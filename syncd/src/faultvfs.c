/*
 * faultvfs.c — a SQLite VFS that forwards to the default one and fails the
 * Nth read, write or sync on demand (see faultvfs.h for why).
 *
 * Every file SQLite opens through the shim (the database, its WAL, any
 * journal) is the real file with our io_methods in front; only xRead,
 * xWrite, xTruncate and xSync are counted, everything else (locks, the WAL
 * index in shared memory, mmap) goes straight through, so the failures
 * are exactly those a full or failing disk gives. Every VFS method is
 * forwarded with the real VFS as its first argument, because the unix VFS
 * keeps private state behind its own sqlite3_vfs.
 */
#include <sqlite3.h>
#include <stdatomic.h>
#include <string.h>

#include "protocol/protocol.h"
#include "syncd/faultvfs.h"

typedef struct {
    sqlite3_file base;
    sqlite3_file *real; /* lives right after this struct */
} fault_file_t;

static sqlite3_vfs *real_vfs;
static sqlite3_vfs fault_vfs;
static atomic_uint counts[SYNCD_FAULT_OPS_];
static atomic_uint n_failed;
static atomic_int armed_op = -1;
static atomic_uint armed_nth;
static atomic_int armed_kind;
static atomic_bool armed_sticky;

/* Counts one operation of kind op; SQLITE_OK or the error to give. */
static int tick(syncd_fault_op_t op)
{
    static const int ioerr[SYNCD_FAULT_OPS_] = {
        [SYNCD_FAULT_READ] = SQLITE_IOERR_READ,
        [SYNCD_FAULT_WRITE] = SQLITE_IOERR_WRITE,
        [SYNCD_FAULT_SYNC] = SQLITE_IOERR_FSYNC,
    };
    unsigned n = atomic_fetch_add(&counts[op], 1) + 1;
    unsigned nth = atomic_load(&armed_nth);

    if (atomic_load(&armed_op) != (int)op || nth == 0)
        return SQLITE_OK;
    if (n == nth || (n > nth && atomic_load(&armed_sticky))) {
        atomic_fetch_add(&n_failed, 1);
        return atomic_load(&armed_kind) == SYNCD_FAULT_FULL ? SQLITE_FULL
                                                            : ioerr[op];
    }
    return SQLITE_OK;
}

static sqlite3_file *real(sqlite3_file *f)
{
    return ((fault_file_t *)f)->real;
}

/* ---- io_methods */

static int f_close(sqlite3_file *f)
{
    sqlite3_file *r = real(f);
    int rc = r->pMethods ? r->pMethods->xClose(r) : SQLITE_OK;

    f->pMethods = NULL;
    return rc;
}

static int f_read(sqlite3_file *f, void *buf, int amt, sqlite3_int64 off)
{
    int rc = tick(SYNCD_FAULT_READ);

    return rc ? rc : real(f)->pMethods->xRead(real(f), buf, amt, off);
}

static int f_write(sqlite3_file *f, const void *buf, int amt, sqlite3_int64 off)
{
    int rc = tick(SYNCD_FAULT_WRITE);

    return rc ? rc : real(f)->pMethods->xWrite(real(f), buf, amt, off);
}

static int f_truncate(sqlite3_file *f, sqlite3_int64 size)
{
    int rc = tick(SYNCD_FAULT_WRITE);

    return rc ? rc : real(f)->pMethods->xTruncate(real(f), size);
}

static int f_sync(sqlite3_file *f, int flags)
{
    int rc = tick(SYNCD_FAULT_SYNC);

    return rc ? rc : real(f)->pMethods->xSync(real(f), flags);
}

static int f_file_size(sqlite3_file *f, sqlite3_int64 *size)
{
    return real(f)->pMethods->xFileSize(real(f), size);
}

static int f_lock(sqlite3_file *f, int lock)
{
    return real(f)->pMethods->xLock(real(f), lock);
}

static int f_unlock(sqlite3_file *f, int lock)
{
    return real(f)->pMethods->xUnlock(real(f), lock);
}

static int f_check_reserved(sqlite3_file *f, int *out)
{
    return real(f)->pMethods->xCheckReservedLock(real(f), out);
}

static int f_file_control(sqlite3_file *f, int op, void *arg)
{
    return real(f)->pMethods->xFileControl(real(f), op, arg);
}

static int f_sector_size(sqlite3_file *f)
{
    return real(f)->pMethods->xSectorSize(real(f));
}

static int f_device_chars(sqlite3_file *f)
{
    return real(f)->pMethods->xDeviceCharacteristics(real(f));
}

static int f_shm_map(sqlite3_file *f, int pg, int pgsz, int extend,
                     void volatile **p)
{
    return real(f)->pMethods->xShmMap(real(f), pg, pgsz, extend, p);
}

static int f_shm_lock(sqlite3_file *f, int offset, int n, int flags)
{
    return real(f)->pMethods->xShmLock(real(f), offset, n, flags);
}

static void f_shm_barrier(sqlite3_file *f)
{
    real(f)->pMethods->xShmBarrier(real(f));
}

static int f_shm_unmap(sqlite3_file *f, int del)
{
    return real(f)->pMethods->xShmUnmap(real(f), del);
}

static int f_fetch(sqlite3_file *f, sqlite3_int64 off, int amt, void **pp)
{
    return real(f)->pMethods->xFetch(real(f), off, amt, pp);
}

static int f_unfetch(sqlite3_file *f, sqlite3_int64 off, void *p)
{
    return real(f)->pMethods->xUnfetch(real(f), off, p);
}

static const sqlite3_io_methods fault_io = {
    3,
    f_close,
    f_read,
    f_write,
    f_truncate,
    f_sync,
    f_file_size,
    f_lock,
    f_unlock,
    f_check_reserved,
    f_file_control,
    f_sector_size,
    f_device_chars,
    f_shm_map,
    f_shm_lock,
    f_shm_barrier,
    f_shm_unmap,
    f_fetch,
    f_unfetch,
};

/* ---- vfs methods, forwarded with the real VFS */

static int v_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *f,
                  int flags, int *out_flags)
{
    fault_file_t *ff = (fault_file_t *)f;
    int rc;

    (void)vfs;
    ff->real = (sqlite3_file *)(ff + 1);
    memset(ff->real, 0, (size_t)real_vfs->szOsFile);
    f->pMethods = NULL;
    rc = real_vfs->xOpen(real_vfs, name, ff->real, flags, out_flags);
    /* SQLite calls xClose whenever pMethods is set, even after a failed
     * open; the real file is then closed through f_close. */
    if (ff->real->pMethods != NULL)
        f->pMethods = &fault_io;
    return rc;
}

static int v_delete(sqlite3_vfs *vfs, const char *name, int sync_dir)
{
    (void)vfs;
    return real_vfs->xDelete(real_vfs, name, sync_dir);
}

static int v_access(sqlite3_vfs *vfs, const char *name, int flags, int *out)
{
    (void)vfs;
    return real_vfs->xAccess(real_vfs, name, flags, out);
}

static int v_full_pathname(sqlite3_vfs *vfs, const char *name, int n, char *out)
{
    (void)vfs;
    return real_vfs->xFullPathname(real_vfs, name, n, out);
}

static void *v_dl_open(sqlite3_vfs *vfs, const char *name)
{
    (void)vfs;
    return real_vfs->xDlOpen(real_vfs, name);
}

static void v_dl_error(sqlite3_vfs *vfs, int n, char *out)
{
    (void)vfs;
    real_vfs->xDlError(real_vfs, n, out);
}

static void (*v_dl_sym(sqlite3_vfs *vfs, void *h, const char *sym))(void)
{
    (void)vfs;
    return real_vfs->xDlSym(real_vfs, h, sym);
}

static void v_dl_close(sqlite3_vfs *vfs, void *h)
{
    (void)vfs;
    real_vfs->xDlClose(real_vfs, h);
}

static int v_randomness(sqlite3_vfs *vfs, int n, char *out)
{
    (void)vfs;
    return real_vfs->xRandomness(real_vfs, n, out);
}

static int v_sleep(sqlite3_vfs *vfs, int us)
{
    (void)vfs;
    return real_vfs->xSleep(real_vfs, us);
}

static int v_current_time(sqlite3_vfs *vfs, double *out)
{
    (void)vfs;
    return real_vfs->xCurrentTime(real_vfs, out);
}

static int v_get_last_error(sqlite3_vfs *vfs, int n, char *out)
{
    (void)vfs;
    return real_vfs->xGetLastError ? real_vfs->xGetLastError(real_vfs, n, out)
                                   : 0;
}

static int v_current_time_i64(sqlite3_vfs *vfs, sqlite3_int64 *out)
{
    (void)vfs;
    return real_vfs->xCurrentTimeInt64(real_vfs, out);
}

int syncd_faultvfs_install(void)
{
    if (sqlite3_vfs_find("stepwise-fault") != NULL)
        return sqlite3_vfs_register(&fault_vfs, 1) == SQLITE_OK ? 0
                                                                : PROTO_ESTORE;
    if (sqlite3_initialize() != SQLITE_OK ||
        (real_vfs = sqlite3_vfs_find(NULL)) == NULL)
        return PROTO_ESTORE;
    fault_vfs = (sqlite3_vfs){
        .iVersion = 2,
        .szOsFile = (int)sizeof(fault_file_t) + real_vfs->szOsFile,
        .mxPathname = real_vfs->mxPathname,
        .zName = "stepwise-fault",
        .xOpen = v_open,
        .xDelete = v_delete,
        .xAccess = v_access,
        .xFullPathname = v_full_pathname,
        .xDlOpen = v_dl_open,
        .xDlError = v_dl_error,
        .xDlSym = v_dl_sym,
        .xDlClose = v_dl_close,
        .xRandomness = v_randomness,
        .xSleep = v_sleep,
        .xCurrentTime = v_current_time,
        .xGetLastError = v_get_last_error,
        .xCurrentTimeInt64 = v_current_time_i64,
    };
    return sqlite3_vfs_register(&fault_vfs, 1) == SQLITE_OK ? 0 : PROTO_ESTORE;
}

void syncd_faultvfs_arm(syncd_fault_op_t op, unsigned nth,
                        syncd_fault_kind_t kind, bool sticky)
{
    atomic_store(&armed_nth, 0);
    for (int i = 0; i < SYNCD_FAULT_OPS_; i++)
        atomic_store(&counts[i], 0);
    atomic_store(&n_failed, 0);
    atomic_store(&armed_kind, (int)kind);
    atomic_store(&armed_sticky, sticky);
    atomic_store(&armed_op, (int)op);
    atomic_store(&armed_nth, nth);
}

void syncd_faultvfs_disarm(void)
{
    atomic_store(&armed_nth, 0);
    atomic_store(&armed_op, -1);
}

unsigned syncd_faultvfs_count(syncd_fault_op_t op)
{
    return (unsigned)op < SYNCD_FAULT_OPS_ ? atomic_load(&counts[op]) : 0;
}

unsigned syncd_faultvfs_failed(void)
{
    return atomic_load(&n_failed);
}
