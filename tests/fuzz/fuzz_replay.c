/*
 * fuzz_replay.c — runs a fuzz target over every file of its corpus.
 *
 * libFuzzer needs clang; this small main does not, so every build (gcc,
 * sanitizers, CI) replays the corpus, crashers found earlier included, on
 * each `make test`. Usage: fuzz_replay DIR_OR_FILE...
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "fuzz_replay: cannot open %s\n", path);
        return -1;
    }
    size_t cap = 4096, len = 0;
    uint8_t *buf = malloc(cap);
    size_t n;
    while (buf && (n = fread(buf + len, 1, cap - len, f)) > 0) {
        len += n;
        if (len == cap) {
            uint8_t *grown = realloc(buf, cap *= 2);
            if (!grown)
                free(buf);
            buf = grown;
        }
    }
    int err = ferror(f);
    fclose(f);
    if (!buf || err) {
        free(buf);
        fprintf(stderr, "fuzz_replay: cannot read %s\n", path);
        return -1;
    }
    /* an exact-size copy, so that ASan sees any read past the end */
    uint8_t *exact = malloc(len ? len : 1);
    memcpy(exact, buf, len);
    free(buf);
    LLVMFuzzerTestOneInput(exact, len);
    free(exact);
    return 0;
}

static int cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv)
{
    int files = 0;
    for (int i = 1; i < argc; i++) {
        struct stat st;
        if (stat(argv[i], &st) != 0) {
            fprintf(stderr, "fuzz_replay: no such file or directory: %s\n",
                    argv[i]);
            return 1;
        }
        if (!S_ISDIR(st.st_mode)) {
            if (run_file(argv[i]) != 0)
                return 1;
            files++;
            continue;
        }
        struct dirent **names;
        int n = scandir(argv[i], &names, NULL, NULL);
        if (n < 0) {
            fprintf(stderr, "fuzz_replay: cannot list %s\n", argv[i]);
            return 1;
        }
        char **paths = calloc((size_t)n, sizeof(*paths));
        int np = 0;
        for (int k = 0; k < n; k++) {
            if (names[k]->d_name[0] != '.') {
                size_t l = strlen(argv[i]) + strlen(names[k]->d_name) + 2;
                paths[np] = malloc(l);
                snprintf(paths[np++], l, "%s/%s", argv[i], names[k]->d_name);
            }
            free(names[k]);
        }
        free(names);
        qsort(paths, (size_t)np, sizeof(*paths), cmp);
        int rc = 0;
        for (int k = 0; k < np; k++) {
            if (rc == 0 && run_file(paths[k]) != 0)
                rc = 1;
            free(paths[k]);
        }
        free(paths);
        if (rc)
            return 1;
        files += np;
    }
    if (files == 0) {
        fprintf(stderr, "fuzz_replay: no input files; give a corpus "
                        "directory\n");
        return 1;
    }
    printf("fuzz_replay: %d inputs replayed, no failure\n", files);
    return 0;
}
