/*
 * fileio.h — reading a whole file into memory.
 *
 * syncd (--catalogue FILE) and syncctl (catalogue diff / import FILE) both
 * take a catalogue on the command line and need all of it at once, under
 * the same size limit and with the same messages when it cannot be read.
 */
#ifndef SYNCD_FILEIO_H
#define SYNCD_FILEIO_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Reads all of path, at most max bytes, into *out (NUL-terminated; *len
 * without the NUL); the caller free()s *out. Returns 0, or fails with *out
 * NULL and err holding one of
 *   PROTO_EIO      "cannot open PATH: REASON", "cannot read PATH: REASON"
 *   PROTO_ENOMEM   "out of memory reading PATH"
 *   PROTO_ETOOBIG  "PATH is larger than MAX bytes, the most MAX_IS"
 * where max_is says what the limit is, e.g. "a catalogue may be". */
int syncd_read_file(const char *path, size_t max, const char *max_is,
                    char **out, size_t *len, char *err, size_t err_len);

#ifdef __cplusplus
}
#endif

#endif
