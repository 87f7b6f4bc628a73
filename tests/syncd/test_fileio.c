/*
 * test_fileio.c — syncd_read_file(): the whole file, exactly; the size
 * limit; and the exact message of each failure syncd and syncctl print.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "protocol/protocol.h"
#include "syncd/fileio.h"

static void write_temp(char *path, const char *text, size_t len)
{
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, len), (ssize_t)len);
    assert_int_equal(close(fd), 0);
}

static void test_reads_whole_file(void **state)
{
    (void)state;
    char path[] = "/tmp/test_fileio_XXXXXX";
    write_temp(path, "a\0b\n", 4);
    char *out = NULL;
    size_t len = 99;
    char err[256] = "";
    assert_int_equal(syncd_read_file(path, 4, "x", &out, &len, err, sizeof err),
                     0);
    assert_int_equal(len, 4);
    assert_memory_equal(out, "a\0b\n", 5); /* NUL-terminated */
    assert_string_equal(err, "");
    free(out);

    write_temp(strcpy(path, "/tmp/test_fileio_XXXXXX"), "", 0);
    assert_int_equal(syncd_read_file(path, 0, "x", &out, &len, err, sizeof err),
                     0);
    assert_int_equal(len, 0);
    assert_string_equal(out, "");
    free(out);
    unlink(path);
}

static void test_too_big(void **state)
{
    (void)state;
    char path[] = "/tmp/test_fileio_XXXXXX";
    write_temp(path, "12345", 5);
    char *out = (char *)"untouched";
    size_t len = 99;
    char err[256];
    assert_int_equal(syncd_read_file(path, 4, "a catalogue may be", &out, &len,
                                     err, sizeof err),
                     PROTO_ETOOBIG);
    assert_null(out);
    assert_int_equal(len, 0);
    char want[300];
    snprintf(want, sizeof want,
             "%s is larger than 4 bytes, the most a catalogue may be", path);
    assert_string_equal(err, want);
    unlink(path);
}

static void test_cannot_open(void **state)
{
    (void)state;
    char *out = (char *)"untouched";
    size_t len = 99;
    char err[256];
    assert_int_equal(syncd_read_file("/nonexistent/cat.yaml", 10, "x", &out,
                                     &len, err, sizeof err),
                     PROTO_EIO);
    assert_null(out);
    assert_int_equal(len, 0);
    assert_string_equal(
        err, "cannot open /nonexistent/cat.yaml: No such file or directory");
}

static void test_cannot_read(void **state)
{
    (void)state;
    char *out = (char *)"untouched";
    size_t len = 99;
    char err[256];
    /* a directory opens, then fails to read */
    assert_int_equal(
        syncd_read_file("/tmp", 10, "x", &out, &len, err, sizeof err),
        PROTO_EIO);
    assert_null(out);
    assert_string_equal(err, "cannot read /tmp: Is a directory");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reads_whole_file),
        cmocka_unit_test(test_too_big),
        cmocka_unit_test(test_cannot_open),
        cmocka_unit_test(test_cannot_read),
    };
    return cmocka_run_group_tests_name("syncd/fileio", tests, NULL, NULL);
}
