/*
 * keys.c — CURVE key pairs on disk (see keys.h for the file format).
 *
 * Every kiosk, syncd and every manager's syncctl holds a key pair; the
 * secret half is the only thing that proves who they are. So the secret
 * file is created 0600 with O_EXCL (never overwriting a key that may be
 * enrolled somewhere) and fsynced, and a loader refuses one that others
 * can read, telling the operator the exact chmod to run. Errors never
 * quote the content of a key file: it holds a secret.
 */
#include "protocol/keys.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zmq.h>

#include "protocol/protocol.h"

#define KEY_FILE_MAX 4096 /* a key file is ~150 bytes */

static const char z85_chars[] = "0123456789"
                                "abcdefghijklmnopqrstuvwxyz"
                                "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                ".-:+=^!/*?&<>()[]{}@%$#";

__attribute__((format(printf, 3, 4))) static void
set_err(char *err, size_t err_len, const char *fmt, ...)
{
    if (!err || err_len == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, err_len, fmt, ap);
    va_end(ap);
}

int proto_keys_valid_z85(const char *s)
{
    if (!s || strlen(s) != PROTO_Z85_KEY_LEN)
        return 0;
    /* Each group of 5 characters encodes 4 bytes: its value must fit. */
    for (size_t g = 0; g < PROTO_Z85_KEY_LEN; g += 5) {
        uint64_t v = 0;
        for (size_t i = 0; i < 5; i++) {
            const char *c = strchr(z85_chars, s[g + i]);
            if (!c || !*c)
                return 0;
            v = v * 85 + (uint64_t)(c - z85_chars);
        }
        if (v > 0xffffffffu)
            return 0;
    }
    return 1;
}

int proto_keys_generate(proto_keypair_t *kp)
{
    if (!kp)
        return PROTO_EINVAL;
    memset(kp, 0, sizeof(*kp));
    if (zmq_curve_keypair(kp->public_z85, kp->secret_z85) != 0)
        return PROTO_EIO;
    return 0;
}

static bool name_ok(const char *name)
{
    if (!name || !name[0] || strlen(name) > 200 || name[0] == '.')
        return false;
    for (const char *p = name; *p; p++)
        if (*p == '/' || (unsigned char)*p < 0x20)
            return false;
    return true;
}

static int write_all(int fd, const char *s, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, s, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        s += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Writes text to path, created with mode and flags, and fsyncs it. */
static int write_file(const char *path, const char *text, int flags,
                      mode_t mode, char *err, size_t err_len)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | flags, mode);
    if (fd < 0) {
        if (errno == EEXIST)
            set_err(err, err_len,
                    "%s already exists; refusing to overwrite a secret key "
                    "(move it away or choose another name)",
                    path);
        else
            set_err(err, err_len,
                    "cannot create %s: %s; check the directory "
                    "exists and is writable",
                    path, strerror(errno));
        return PROTO_EIO;
    }
    /* The umask may have taken bits away; the mode is part of the
     * contract (0600 secret, 0644 public). */
    if (fchmod(fd, mode) != 0 || write_all(fd, text, strlen(text)) != 0 ||
        fsync(fd) != 0) {
        set_err(err, err_len, "cannot write %s: %s", path, strerror(errno));
        close(fd);
        unlink(path);
        return PROTO_EIO;
    }
    if (close(fd) != 0) {
        set_err(err, err_len, "cannot write %s: %s", path, strerror(errno));
        unlink(path);
        return PROTO_EIO;
    }
    return 0;
}

int proto_keys_save(const proto_keypair_t *kp, const char *dir,
                    const char *name, const char *role, char *err,
                    size_t err_len)
{
    char key_path[4096], pub_path[4096], text[512];
    if (!kp || !dir || !name_ok(name)) {
        set_err(err, err_len,
                "invalid key name \"%s\"; use a plain file name such as "
                "\"k01\" (no '/', not starting with '.')",
                name ? name : "");
        return PROTO_EINVAL;
    }
    if (!proto_keys_valid_z85(kp->public_z85) ||
        !proto_keys_valid_z85(kp->secret_z85)) {
        set_err(err, err_len,
                "key pair \"%s\" is not two 40-character Z85 "
                "keys; generate it with proto_keys_generate",
                name);
        return PROTO_EINVAL;
    }
    if (!role || !role[0])
        role = "key";
    if ((size_t)snprintf(key_path, sizeof(key_path), "%s/%s.key", dir, name) >=
            sizeof(key_path) ||
        (size_t)snprintf(pub_path, sizeof(pub_path), "%s/%s.pub", dir, name) >=
            sizeof(pub_path)) {
        set_err(err, err_len, "path %s/%s.key is too long", dir, name);
        return PROTO_EINVAL;
    }

    snprintf(text, sizeof(text),
             "# Stepwise CURVE key pair \"%s\" (%s). Keep this file secret.\n"
             "public = %s\n"
             "secret = %s\n",
             name, role, kp->public_z85, kp->secret_z85);
    int rc = write_file(key_path, text, O_EXCL, 0600, err, err_len);
    explicit_bzero(text, sizeof(text));
    if (rc < 0)
        return rc;

    snprintf(text, sizeof(text),
             "# Stepwise CURVE public key \"%s\" (%s). May be shared.\n"
             "public = %s\n",
             name, role, kp->public_z85);
    rc = write_file(pub_path, text, O_TRUNC, 0644, err, err_len);
    if (rc < 0) {
        /* No half pair: a secret without its public file would be
         * enrolled by nobody and block the name. */
        unlink(key_path);
        return rc;
    }
    /* Make the new directory entries durable too. */
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        (void)fsync(dfd);
        close(dfd);
    }
    return 0;
}

/* Reads a key file into buf (NUL-terminated). Checks the mode when
 * secret is true. */
static int read_key_file(const char *path, bool secret, char *buf,
                         size_t buf_len, char *err, size_t err_len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        set_err(err, err_len, "cannot open %s: %s", path, strerror(errno));
        return errno == ENOENT ? PROTO_ENOTFOUND : PROTO_EIO;
    }
    struct stat st;
    int rc = PROTO_EIO;
    if (fstat(fd, &st) != 0) {
        set_err(err, err_len, "cannot stat %s: %s", path, strerror(errno));
        goto cleanup;
    }
    if (!S_ISREG(st.st_mode)) {
        set_err(err, err_len,
                "%s is not a regular file; give the path of a "
                ".key or .pub file",
                path);
        rc = PROTO_EINVAL;
        goto cleanup;
    }
    if (secret && (st.st_mode & 077)) {
        unsigned mode = (unsigned)(st.st_mode & 07777);
        const char *who = (st.st_mode & 007) ? "others" : "its group";
        const char *how = (st.st_mode & 044) ? "readable" : "accessible";
        set_err(err, err_len, "%s is %s by %s (mode %04o); run: chmod 600 %s",
                path, how, who, mode, path);
        rc = PROTO_EDENIED;
        goto cleanup;
    }
    if (st.st_size < 0 || (size_t)st.st_size >= buf_len) {
        set_err(err, err_len,
                "%s is too large to be a key file (%lld bytes); give the "
                "path of a .key or .pub file",
                path, (long long)st.st_size);
        rc = PROTO_EINVAL;
        goto cleanup;
    }
    size_t got = 0;
    for (;;) {
        ssize_t r = read(fd, buf + got, buf_len - 1 - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            set_err(err, err_len, "cannot read %s: %s", path, strerror(errno));
            goto cleanup;
        }
        if (r == 0)
            break;
        got += (size_t)r;
        if (got == buf_len - 1) {
            set_err(err, err_len, "%s is too large to be a key file", path);
            rc = PROTO_EINVAL;
            goto cleanup;
        }
    }
    buf[got] = '\0';
    if (memchr(buf, '\0', got)) {
        set_err(err, err_len,
                "%s is not a key file (it holds binary data); "
                "give the path of a .key or .pub file",
                path);
        rc = PROTO_EINVAL;
        goto cleanup;
    }
    rc = 0;
cleanup:
    close(fd);
    return rc;
}

/* Parses "public = K" / "secret = K" lines. want_secret: the secret line
 * is required and must match the public key. */
static int parse_key_text(const char *path, char *text, bool want_secret,
                          proto_keypair_t *kp, char *err, size_t err_len)
{
    bool have_pub = false, have_sec = false;
    int line = 0;
    memset(kp, 0, sizeof(*kp));
    /* Walk line by line by hand: strtok would skip blank lines and
     * miscount the line numbers that errors report. */
    char *p = text;
    while (*p) {
        char *nl = strchr(p, '\n');
        char *next = nl ? nl + 1 : p + strlen(p);
        if (nl)
            *nl = '\0';
        line++;
        size_t n = strlen(p);
        if (n && p[n - 1] == '\r')
            p[--n] = '\0';
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p == '\0' || *p == '#') {
            p = next;
            continue;
        }
        char *eq = strchr(p, '=');
        char *name_end = eq ? eq : p;
        while (name_end > p && (name_end[-1] == ' ' || name_end[-1] == '\t'))
            name_end--;
        size_t name_len = (size_t)(name_end - p);
        bool is_pub = eq && name_len == 6 && memcmp(p, "public", 6) == 0;
        bool is_sec = eq && name_len == 6 && memcmp(p, "secret", 6) == 0;
        if (!is_pub && !is_sec) {
            set_err(err, err_len,
                    "%s:%d: expected \"public = <key>\" or \"secret = <key>\"; "
                    "is this a Stepwise key file?",
                    path, line);
            return PROTO_EINVAL;
        }
        char *v = eq + 1;
        while (*v == ' ' || *v == '\t')
            v++;
        char *e = v + strlen(v);
        while (e > v && (e[-1] == ' ' || e[-1] == '\t'))
            *--e = '\0';
        if ((is_pub && have_pub) || (is_sec && have_sec)) {
            set_err(err, err_len, "%s:%d: %s key given twice; keep one line",
                    path, line, is_pub ? "public" : "secret");
            return PROTO_EINVAL;
        }
        if (!proto_keys_valid_z85(v)) {
            set_err(err, err_len,
                    "%s:%d: %s key is not 40 Z85 characters; the file is "
                    "damaged: restore it or generate a new key pair",
                    path, line, is_pub ? "public" : "secret");
            return PROTO_EINVAL;
        }
        if (is_pub) {
            memcpy(kp->public_z85, v, PROTO_Z85_KEY_LEN + 1);
            have_pub = true;
        } else {
            memcpy(kp->secret_z85, v, PROTO_Z85_KEY_LEN + 1);
            have_sec = true;
        }
        p = next;
    }
    if (!have_pub) {
        set_err(err, err_len,
                "%s: no \"public = <key>\" line; is this a Stepwise key file?",
                path);
        return PROTO_EINVAL;
    }
    if (want_secret) {
        char derived[PROTO_Z85_KEY_LEN + 1];
        if (!have_sec) {
            set_err(err, err_len,
                    "%s: no \"secret = <key>\" line; give the .key file, not "
                    "the .pub file",
                    path);
            return PROTO_EINVAL;
        }
        if (zmq_curve_public(derived, kp->secret_z85) != 0 ||
            strcmp(derived, kp->public_z85) != 0) {
            set_err(err, err_len,
                    "%s: the public key does not belong to the secret key; "
                    "the file is damaged: restore it or generate a new pair",
                    path);
            return PROTO_EINVAL;
        }
    }
    return 0;
}

int proto_keys_load_secret(const char *path, proto_keypair_t *kp, char *err,
                           size_t err_len)
{
    char buf[KEY_FILE_MAX];
    if (!path || !kp) {
        set_err(err, err_len, "no key file given");
        return PROTO_EINVAL;
    }
    memset(kp, 0, sizeof(*kp));
    int rc = read_key_file(path, true, buf, sizeof(buf), err, err_len);
    if (rc == 0)
        rc = parse_key_text(path, buf, true, kp, err, err_len);
    explicit_bzero(buf, sizeof(buf));
    if (rc < 0)
        explicit_bzero(kp, sizeof(*kp));
    return rc;
}

int proto_keys_load_public(const char *path_or_key,
                           char out[PROTO_Z85_KEY_LEN + 1], char *err,
                           size_t err_len)
{
    char buf[KEY_FILE_MAX];
    proto_keypair_t kp;
    struct stat st;
    if (!path_or_key || !out) {
        set_err(err, err_len, "no public key given");
        return PROTO_EINVAL;
    }
    out[0] = '\0';
    /* A path wins over a literal key: Z85 includes '.' and '/'. */
    if (stat(path_or_key, &st) != 0 && proto_keys_valid_z85(path_or_key)) {
        memcpy(out, path_or_key, PROTO_Z85_KEY_LEN + 1);
        return 0;
    }
    int rc = read_key_file(path_or_key, false, buf, sizeof(buf), err, err_len);
    if (rc == PROTO_ENOTFOUND)
        set_err(err, err_len,
                "%s: no such file, and not a 40-character Z85 key; give a "
                ".pub file or the key itself",
                path_or_key);
    if (rc == 0)
        rc = parse_key_text(path_or_key, buf, false, &kp, err, err_len);
    if (rc == 0)
        memcpy(out, kp.public_z85, PROTO_Z85_KEY_LEN + 1);
    explicit_bzero(buf, sizeof(buf));
    explicit_bzero(&kp, sizeof(kp));
    return rc;
}
