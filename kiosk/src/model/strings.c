/*
 * strings.c — loads assets/strings/<lang>.strings into a sorted table.
 *
 * Lookups happen for every widget of every frame, so the table is sorted
 * once and searched with bsearch.
 */
#include "strings.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    char *key;
    char *text;
} entry_t;

struct kiosk_strings {
    entry_t *e;
    size_t n;
};

static int entry_cmp(const void *a, const void *b)
{
    return strcmp(((const entry_t *)a)->key, ((const entry_t *)b)->key);
}

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' ||
                     s[n - 1] == '\n'))
        s[--n] = '\0';
    return s;
}

/* "\n" in the file becomes a real line break. */
static void unescape(char *s)
{
    char *w = s;
    for (char *r = s; *r; r++) {
        if (r[0] == '\\' && r[1] == 'n') {
            *w++ = '\n';
            r++;
        } else {
            *w++ = *r;
        }
    }
    *w = '\0';
}

kiosk_strings_t *kiosk_strings_load(const char *path, char *err, size_t err_len)
{
    kiosk_strings_t *self = NULL;
    FILE *f = fopen(path, "r");
    char line[2048];
    int lineno = 0;
    if (!f) {
        snprintf(err, err_len,
                 "%s: cannot open the UI strings (%s); check the assets "
                 "directory (--assets DIR)",
                 path, strerror(errno));
        return NULL;
    }
    self = calloc(1, sizeof *self);
    if (!self)
        goto nomem;
    while (fgets(line, sizeof line, f)) {
        lineno++;
        char *s = trim(line);
        if (*s == '\0' || *s == '#')
            continue;
        char *eq = strchr(s, '=');
        if (!eq) {
            snprintf(err, err_len,
                     "%s:%d: expected \"key = text\"; fix or remove the line",
                     path, lineno);
            goto fail;
        }
        *eq = '\0';
        char *key = trim(s);
        char *text = trim(eq + 1);
        unescape(text);
        entry_t *grown = realloc(self->e, (self->n + 1) * sizeof *grown);
        if (!grown)
            goto nomem;
        self->e = grown;
        self->e[self->n].key = strdup(key);
        self->e[self->n].text = strdup(text);
        self->n++;
        if (!self->e[self->n - 1].key || !self->e[self->n - 1].text)
            goto nomem;
    }
    fclose(f);
    f = NULL;
    qsort(self->e, self->n, sizeof *self->e, entry_cmp);
    for (size_t i = 1; i < self->n; i++) {
        if (strcmp(self->e[i - 1].key, self->e[i].key) == 0) {
            snprintf(err, err_len,
                     "%s: key \"%s\" appears twice; keep one of them", path,
                     self->e[i].key);
            goto fail;
        }
    }
    return self;
nomem:
    snprintf(err, err_len, "%s: out of memory loading the UI strings", path);
fail:
    if (f)
        fclose(f);
    kiosk_strings_destroy(&self);
    return NULL;
}

void kiosk_strings_destroy(kiosk_strings_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    kiosk_strings_t *self = *self_p;
    for (size_t i = 0; i < self->n; i++) {
        free(self->e[i].key);
        free(self->e[i].text);
    }
    free(self->e);
    free(self);
    *self_p = NULL;
}

const char *kiosk_strings_get(const kiosk_strings_t *self, const char *key)
{
    if (!self)
        return key;
    entry_t probe = {.key = (char *)key};
    const entry_t *hit =
        bsearch(&probe, self->e, self->n, sizeof *self->e, entry_cmp);
    return hit ? hit->text : key;
}

size_t kiosk_strings_count(const kiosk_strings_t *self)
{
    return self ? self->n : 0;
}

const char *kiosk_strings_key_at(const kiosk_strings_t *self, size_t i)
{
    return self && i < self->n ? self->e[i].key : NULL;
}

void kiosk_strings_fill(char *out, size_t out_len, const char *tmpl,
                        const char *a1, const char *a2, const char *a3)
{
    const char *args[3] = {a1, a2, a3};
    size_t o = 0;
    if (out_len == 0)
        return;
    for (const char *p = tmpl; *p && o + 1 < out_len; p++) {
        if (p[0] == '{' && p[1] >= '1' && p[1] <= '3' && p[2] == '}') {
            const char *a = args[p[1] - '1'];
            for (; a && *a && o + 1 < out_len; a++)
                out[o++] = *a;
            p += 2;
        } else {
            out[o++] = *p;
        }
    }
    out[o] = '\0';
}
