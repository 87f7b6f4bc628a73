/*
 * test_keys.c — CURVE key files: generation, saving with the right modes,
 * loading, and every refusal with the message an operator will read.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zmq.h>

#include "protocol/keys.h"
#include "protocol/protocol.h"

static char dir[64];

static int setup(void **state)
{
    (void)state;
    strcpy(dir, "/tmp/stepwise-keys-XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static void write_text(const char *path, const char *text, mode_t mode)
{
    unlink(path);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    assert_int_equal(fputs(text, f) >= 0, 1);
    assert_int_equal(fclose(f), 0);
    assert_int_equal(chmod(path, mode), 0);
}

static char *read_text(const char *path)
{
    static char buf[1024];
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

static void test_generate(void **state)
{
    (void)state;
    proto_keypair_t a, b;
    assert_int_equal(proto_keys_generate(&a), 0);
    assert_int_equal(proto_keys_generate(&b), 0);
    assert_true(proto_keys_valid_z85(a.public_z85));
    assert_true(proto_keys_valid_z85(a.secret_z85));
    assert_string_not_equal(a.public_z85, b.public_z85);
    char derived[41];
    assert_int_equal(zmq_curve_public(derived, a.secret_z85), 0);
    assert_string_equal(derived, a.public_z85);
    assert_int_equal(proto_keys_generate(NULL), PROTO_EINVAL);
}

static void test_valid_z85(void **state)
{
    (void)state;
    assert_true(
        proto_keys_valid_z85("rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7"));
    assert_false(
        proto_keys_valid_z85("rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf"));
    assert_false(
        proto_keys_valid_z85("rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf77"));
    assert_false(
        proto_keys_valid_z85("rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]y 7"));
    assert_false(
        proto_keys_valid_z85("rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]y~7"));
    /* "#####" is 85^5 - 1 > 2^32 - 1: not a 4-byte group */
    assert_false(
        proto_keys_valid_z85("#####Lns47E1%kR.o@n%FcmmsL/@{H8]yf7rq:rM"));
    assert_false(proto_keys_valid_z85(""));
    assert_false(proto_keys_valid_z85(NULL));
}

static void test_save_and_load(void **state)
{
    (void)state;
    proto_keypair_t kp, back;
    char err[512], path[256], pub[41];
    struct stat st;
    assert_int_equal(proto_keys_generate(&kp), 0);
    assert_int_equal(
        proto_keys_save(&kp, dir, "k01", "kiosk", err, sizeof(err)), 0);

    snprintf(path, sizeof(path), "%s/k01.key", dir);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0600);
    char want[512];
    snprintf(want, sizeof(want),
             "# Stepwise CURVE key pair \"k01\" (kiosk). Keep this file "
             "secret.\npublic = %s\nsecret = %s\n",
             kp.public_z85, kp.secret_z85);
    assert_string_equal(read_text(path), want);
    assert_int_equal(proto_keys_load_secret(path, &back, err, sizeof(err)), 0);
    assert_string_equal(back.public_z85, kp.public_z85);
    assert_string_equal(back.secret_z85, kp.secret_z85);
    assert_int_equal(proto_keys_load_public(path, pub, err, sizeof(err)), 0);
    assert_string_equal(pub, kp.public_z85);

    snprintf(path, sizeof(path), "%s/k01.pub", dir);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0644);
    assert_null(strstr(read_text(path), kp.secret_z85));
    assert_int_equal(proto_keys_load_public(path, pub, err, sizeof(err)), 0);
    assert_string_equal(pub, kp.public_z85);
    /* the public file is no secret file (and is readable, as it should) */
    assert_int_equal(proto_keys_load_secret(path, &back, err, sizeof(err)),
                     PROTO_EDENIED);

    /* a literal key instead of a path */
    assert_int_equal(
        proto_keys_load_public(kp.public_z85, pub, err, sizeof(err)), 0);
    assert_string_equal(pub, kp.public_z85);
}

static void test_refuses_overwrite(void **state)
{
    (void)state;
    proto_keypair_t kp, first;
    char err[512], want[512], path[256];
    assert_int_equal(proto_keys_generate(&first), 0);
    assert_int_equal(
        proto_keys_save(&first, dir, "server", "server", err, sizeof(err)), 0);
    assert_int_equal(proto_keys_generate(&kp), 0);
    assert_int_equal(
        proto_keys_save(&kp, dir, "server", "server", err, sizeof(err)),
        PROTO_EIO);
    snprintf(want, sizeof(want),
             "%s/server.key already exists; refusing to overwrite a secret key "
             "(move it away or choose another name)",
             dir);
    assert_string_equal(err, want);
    /* the first key is intact */
    snprintf(path, sizeof(path), "%s/server.key", dir);
    proto_keypair_t back;
    assert_int_equal(proto_keys_load_secret(path, &back, err, sizeof(err)), 0);
    assert_string_equal(back.secret_z85, first.secret_z85);

    assert_int_equal(
        proto_keys_save(&kp, dir, "../escape", "kiosk", err, sizeof(err)),
        PROTO_EINVAL);
    assert_non_null(strstr(err, "invalid key name \"../escape\""));
    assert_int_equal(proto_keys_save(&kp, "/nonexistent/dir", "k9", "kiosk",
                                     err, sizeof(err)),
                     PROTO_EIO);
    assert_string_equal(err, "cannot create /nonexistent/dir/k9.key: No such "
                             "file or directory; check the directory exists "
                             "and is writable");
}

static void test_refuses_readable_secret(void **state)
{
    (void)state;
    proto_keypair_t kp, back;
    char err[1024], path[256], want[1024];
    assert_int_equal(proto_keys_generate(&kp), 0);
    assert_int_equal(
        proto_keys_save(&kp, dir, "mgr", "manager", err, sizeof(err)), 0);
    snprintf(path, sizeof(path), "%s/mgr.key", dir);

    assert_int_equal(chmod(path, 0644), 0);
    assert_int_equal(proto_keys_load_secret(path, &back, err, sizeof(err)),
                     PROTO_EDENIED);
    snprintf(want, sizeof(want),
             "%s is readable by others (mode 0644); run: chmod 600 %s", path,
             path);
    assert_string_equal(err, want);
    assert_string_equal(back.secret_z85, ""); /* nothing handed out */

    assert_int_equal(chmod(path, 0640), 0);
    assert_int_equal(proto_keys_load_secret(path, &back, err, sizeof(err)),
                     PROTO_EDENIED);
    snprintf(want, sizeof(want),
             "%s is readable by its group (mode 0640); run: chmod 600 %s", path,
             path);
    assert_string_equal(err, want);

    assert_int_equal(chmod(path, 0400), 0);
    assert_int_equal(proto_keys_load_secret(path, &back, err, sizeof(err)), 0);
}

static void expect_refused(const char *name, const char *text,
                           const char *want_suffix)
{
    char path[256], err[512], want[512];
    proto_keypair_t kp;
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    write_text(path, text, 0600);
    int rc = proto_keys_load_secret(path, &kp, err, sizeof(err));
    assert_true(rc < 0);
    snprintf(want, sizeof(want), "%s%s", path, want_suffix);
    assert_string_equal(err, want);
}

static void test_refuses_garbage(void **state)
{
    (void)state;
    proto_keypair_t kp;
    assert_int_equal(proto_keys_generate(&kp), 0);
    char text[512];

    expect_refused("garbage.key", "hello world\n",
                   ":1: expected \"public = <key>\" or \"secret = <key>\"; is "
                   "this a Stepwise key file?");
    expect_refused("later.key", "# comment\n\nnot a key line\n",
                   ":3: expected \"public = <key>\" or \"secret = <key>\"; is "
                   "this a Stepwise key file?");
    expect_refused("short.key", "public = abc\n",
                   ":1: public key is not 40 Z85 characters; the file is "
                   "damaged: restore it or generate a new key pair");
    snprintf(text, sizeof(text), "public = %s\n", kp.public_z85);
    expect_refused("nosecret.key", text,
                   ": no \"secret = <key>\" line; give the .key file, not "
                   "the .pub file");
    expect_refused("empty.key", "",
                   ": no \"public = <key>\" line; is this a Stepwise key "
                   "file?");
    proto_keypair_t other;
    assert_int_equal(proto_keys_generate(&other), 0);
    snprintf(text, sizeof(text), "public = %s\nsecret = %s\n", kp.public_z85,
             other.secret_z85);
    expect_refused("mismatch.key", text,
                   ": the public key does not belong to the secret key; the "
                   "file is damaged: restore it or generate a new pair");
    snprintf(text, sizeof(text), "public = %s\npublic = %s\n", kp.public_z85,
             kp.public_z85);
    expect_refused("twice.key", text,
                   ":2: public key given twice; keep one line");

    /* binary content */
    char path[256], err[512];
    snprintf(path, sizeof(path), "%s/binary.key", dir);
    FILE *f = fopen(path, "w");
    fwrite("\x7f"
           "ELF\0\0\1",
           1, 7, f);
    fclose(f);
    chmod(path, 0600);
    assert_int_equal(proto_keys_load_secret(path, &kp, err, sizeof(err)),
                     PROTO_EINVAL);
    assert_non_null(strstr(err, "is not a key file (it holds binary data)"));

    /* a CRLF file with spaces around '=' is fine */
    proto_keypair_t good;
    assert_int_equal(proto_keys_generate(&good), 0);
    snprintf(text, sizeof(text), "# x\r\n  public=%s  \r\nsecret\t=\t%s\r\n",
             good.public_z85, good.secret_z85);
    snprintf(path, sizeof(path), "%s/crlf.key", dir);
    write_text(path, text, 0600);
    assert_int_equal(proto_keys_load_secret(path, &kp, err, sizeof(err)), 0);
    assert_string_equal(kp.secret_z85, good.secret_z85);
}

static void test_load_public_errors(void **state)
{
    (void)state;
    char out[41], err[512];
    assert_int_equal(
        proto_keys_load_public("/nonexistent/k.pub", out, err, sizeof(err)),
        PROTO_ENOTFOUND);
    assert_string_equal(err, "/nonexistent/k.pub: no such file, and not a "
                             "40-character Z85 key; give a .pub file or the "
                             "key itself");
    assert_int_equal(proto_keys_load_public(dir, out, err, sizeof(err)),
                     PROTO_EINVAL);
    assert_non_null(strstr(err, "is not a regular file"));
    char missing[256];
    snprintf(missing, sizeof(missing), "%s/missing.key", dir);
    proto_keypair_t kp;
    assert_true(proto_keys_load_secret(missing, &kp, err, sizeof(err)) < 0);
    assert_non_null(strstr(err, "cannot open"));
    assert_non_null(strstr(err, "missing.key"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_generate),
        cmocka_unit_test(test_valid_z85),
        cmocka_unit_test(test_save_and_load),
        cmocka_unit_test(test_refuses_overwrite),
        cmocka_unit_test(test_refuses_readable_secret),
        cmocka_unit_test(test_refuses_garbage),
        cmocka_unit_test(test_load_public_errors),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
