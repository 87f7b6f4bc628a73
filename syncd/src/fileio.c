/*
 * fileio.c — syncd_read_file() of fileio.h, shared by syncd and syncctl so
 * the two read a catalogue file the same way.
 */
#include "syncd/fileio.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/protocol.h"

int syncd_read_file(const char *path, size_t max, const char *max_is,
                    char **out, size_t *len, char *err, size_t err_len)
{
    *out = NULL;
    *len = 0;
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, err_len, "cannot open %s: %s", path, strerror(errno));
        return PROTO_EIO;
    }
    int rc;
    char *buf = NULL;
    size_t used = 0, cap = 0;
    for (;;) {
        if (used == cap) {
            cap = cap ? cap * 2 : 65536;
            char *nb = realloc(buf, cap + 1);
            if (!nb) {
                snprintf(err, err_len, "out of memory reading %s", path);
                rc = PROTO_ENOMEM;
                goto out;
            }
            buf = nb;
        }
        size_t n = fread(buf + used, 1, cap - used, f);
        used += n;
        if (used > max) {
            snprintf(err, err_len, "%s is larger than %zu bytes, the most %s",
                     path, max, max_is);
            rc = PROTO_ETOOBIG;
            goto out;
        }
        if (n == 0) {
            if (ferror(f)) {
                snprintf(err, err_len, "cannot read %s: %s", path,
                         strerror(errno));
                rc = PROTO_EIO;
                goto out;
            }
            break;
        }
    }
    buf[used] = '\0';
    *out = buf;
    *len = used;
    buf = NULL;
    rc = 0;
out:
    free(buf);
    fclose(f);
    return rc;
}
