/*
 * similar.c — near-duplicate suggestions (similar.h has the contract).
 *
 * Staff write the same complaint in different words ("外呼名单质量太差",
 * "外呼名单质量差，很多空号"), and the meeting should see it once with its
 * combined support. Chinese has no spaces to split words on, so the unit
 * is the character trigram, the same unit as the store's FTS5 trigram
 * index that finds the candidates. Two boundary marks on each side make a
 * shared beginning or ending count: "直播间人气低，互动少" and "直播互动太少"
 * share no inner trigram at all, yet both start with 直播 and end with 少,
 * which is what makes them score 0.316 instead of 0. Dice rather than
 * Jaccard because it rewards a short text that repeats most of a longer
 * one, which is how people restate an idea they saw.
 *
 * A trigram is three code points (21 bits each) packed in a uint64_t; a
 * text's trigrams are sorted and deduplicated, so a score is one merge.
 * Grouping scores every pair once (n²/2 merges: a branch has hundreds of
 * open suggestions, not millions) and joins pairs with a union-find.
 */
#include "syncd/similar.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/protocol.h"

#define BOUNDARY 0u /* code point 0 never survives normalising */

typedef struct {
    uint64_t *g;
    size_t n;
} gramset_t;

/* Next code point of s (advancing *i); invalid bytes give 0xFFFFFFFF. */
static uint32_t utf8_next(const unsigned char *s, size_t len, size_t *i)
{
    unsigned char c = s[*i];
    size_t need;
    uint32_t cp;
    if (c < 0x80) {
        (*i)++;
        return c;
    } else if ((c & 0xE0) == 0xC0) {
        need = 1;
        cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
        need = 2;
        cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
        need = 3;
        cp = c & 0x07;
    } else {
        (*i)++;
        return 0xFFFFFFFFu;
    }
    if (*i + need >= len) {
        (*i)++;
        return 0xFFFFFFFFu;
    }
    for (size_t k = 1; k <= need; k++) {
        unsigned char cc = s[*i + k];
        if ((cc & 0xC0) != 0x80) {
            (*i)++;
            return 0xFFFFFFFFu;
        }
        cp = (cp << 6) | (cc & 0x3F);
    }
    *i += need + 1;
    return cp > 0x10FFFF ? 0xFFFFFFFFu : cp;
}

/* Whitespace and punctuation, ASCII and the blocks Chinese text uses. */
static bool is_dropped(uint32_t cp)
{
    if (cp < 0x80)
        return !((cp >= '0' && cp <= '9') || (cp >= 'a' && cp <= 'z') ||
                 (cp >= 'A' && cp <= 'Z'));
    return (cp >= 0x80 && cp <= 0xBF) ||     /* Latin-1 spaces, punctuation */
           (cp >= 0x2000 && cp <= 0x206F) || /* general punctuation: “” … */
           (cp >= 0x3000 && cp <= 0x303F) || /* CJK punctuation: 。、「」 */
           (cp >= 0xFE30 && cp <= 0xFE4F) || /* CJK compatibility forms */
           (cp >= 0xFF00 && cp <= 0xFF65) || /* full-width punctuation */
           cp == 0xFEFF || cp == 0xFFFFFFFFu;
}

/* The normalised code points of the concatenated texts; caller frees. */
static uint32_t *normalise(const char *const *texts, size_t n_texts,
                           size_t *n_out)
{
    size_t total = 0;
    for (size_t t = 0; t < n_texts; t++)
        total += texts[t] ? strlen(texts[t]) : 0;
    uint32_t *cps = malloc((total + 1) * sizeof *cps);
    if (!cps)
        return NULL;
    size_t n = 0;
    for (size_t t = 0; t < n_texts; t++) {
        const unsigned char *s = (const unsigned char *)texts[t];
        size_t len = s ? strlen(texts[t]) : 0;
        for (size_t i = 0; i < len;) {
            uint32_t cp = utf8_next(s, len, &i);
            if (cp >= 0xFF01 && cp <= 0xFF5E) /* full-width ASCII */
                cp -= 0xFEE0;
            if (cp >= 'A' && cp <= 'Z')
                cp += 'a' - 'A';
            if (!is_dropped(cp))
                cps[n++] = cp;
        }
    }
    *n_out = n;
    return cps;
}

static size_t utf8_put(uint32_t cp, char *out)
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    } else if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    } else if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

int syncd_similar_normalise(const char *text, char *out, size_t len,
                            size_t *n_cp)
{
    if (!out || len == 0)
        return PROTO_EINVAL;
    size_t n = 0, used = 0;
    int rc = 0;
    uint32_t *cps = normalise(&text, 1, &n);
    if (!cps)
        return PROTO_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        char buf[4];
        size_t k = utf8_put(cps[i], buf);
        if (used + k >= len) {
            rc = PROTO_ERANGE;
            break;
        }
        memcpy(out + used, buf, k);
        used += k;
    }
    out[used] = '\0';
    if (n_cp)
        *n_cp = rc == 0 ? n : 0;
    free(cps);
    return rc;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static uint64_t pack(uint32_t a, uint32_t b, uint32_t c)
{
    return ((uint64_t)a << 42) | ((uint64_t)b << 21) | c;
}

/* The padded trigram set of the texts (empty when too short). */
static int gramset_build(const char *const *texts, size_t n_texts,
                         gramset_t *out)
{
    out->g = NULL;
    out->n = 0;
    size_t n = 0;
    uint32_t *cps = normalise(texts, n_texts, &n);
    if (!cps)
        return PROTO_ENOMEM;
    if (n < SYNCD_SIMILAR_MIN_CHARS) {
        free(cps);
        return 0;
    }
    /* padded: B B c0 ... cn-1 B B gives n + 2 trigrams */
    out->g = malloc((n + 2) * sizeof *out->g);
    if (!out->g) {
        free(cps);
        return PROTO_ENOMEM;
    }
    for (size_t i = 0; i < n + 2; i++) {
        uint32_t w[3];
        for (size_t k = 0; k < 3; k++) {
            size_t p = i + k; /* position in the padded text */
            w[k] = (p < 2 || p >= n + 2) ? BOUNDARY : cps[p - 2];
        }
        out->g[i] = pack(w[0], w[1], w[2]);
    }
    free(cps);
    qsort(out->g, n + 2, sizeof *out->g, cmp_u64);
    size_t u = 0;
    for (size_t i = 0; i < n + 2; i++) {
        if (u == 0 || out->g[u - 1] != out->g[i])
            out->g[u++] = out->g[i];
    }
    out->n = u;
    return 0;
}

static double dice(const gramset_t *a, const gramset_t *b)
{
    if (a->n == 0 || b->n == 0)
        return 0.0;
    size_t i = 0, j = 0, common = 0;
    while (i < a->n && j < b->n) {
        if (a->g[i] == b->g[j]) {
            common++;
            i++;
            j++;
        } else if (a->g[i] < b->g[j]) {
            i++;
        } else {
            j++;
        }
    }
    return 2.0 * (double)common / (double)(a->n + b->n);
}

double syncd_similarity(const char *a, const char *b)
{
    gramset_t ga, gb;
    double score = 0.0;
    if (gramset_build(&a, 1, &ga) != 0)
        return 0.0;
    if (gramset_build(&b, 1, &gb) == 0) {
        score = dice(&ga, &gb);
        free(gb.g);
    }
    free(ga.g);
    return score;
}

/* ---------------------------------------------------------------- grouping */

static size_t find_root(size_t *parent, size_t x)
{
    while (parent[x] != x) {
        parent[x] = parent[parent[x]];
        x = parent[x];
    }
    return x;
}

/* Representative order: more votes first, then the smaller id. */
static int item_cmp(const syncd_similar_item_t *items, size_t a, size_t b)
{
    if (items[a].votes != items[b].votes)
        return items[a].votes > items[b].votes ? -1 : 1;
    int c = strcmp(items[a].id, items[b].id);
    if (c != 0)
        return c;
    return a < b ? -1 : a > b;
}

static int member_cmp(const void *a, const void *b, void *items)
{
    return item_cmp(items, *(const size_t *)a, *(const size_t *)b);
}

static int cluster_cmp(const void *a, const void *b, void *items)
{
    const syncd_similar_cluster_t *x = a, *y = b;
    if (x->votes != y->votes)
        return x->votes > y->votes ? -1 : 1;
    return item_cmp(items, x->members[0], y->members[0]);
}

void syncd_similar_clusters_free(syncd_similar_cluster_t **clusters_p, size_t n)
{
    if (!clusters_p || !*clusters_p)
        return;
    for (size_t i = 0; i < n; i++)
        free((*clusters_p)[i].members);
    free(*clusters_p);
    *clusters_p = NULL;
}

int syncd_similar_group(const syncd_similar_item_t *items, size_t n,
                        double threshold, syncd_similar_cluster_t **out,
                        size_t *n_out)
{
    if (!out || !n_out || (n > 0 && !items))
        return PROTO_EINVAL;
    *out = NULL;
    *n_out = 0;
    for (size_t i = 0; i < n; i++) {
        if (!items[i].id)
            return PROTO_EINVAL;
    }
    if (n == 0)
        return 0;
    if (threshold <= 0)
        threshold = SYNCD_SIMILAR_THRESHOLD;
    int rc = PROTO_ENOMEM;
    gramset_t *sets = calloc(n, sizeof *sets);
    size_t *parent = malloc(n * sizeof *parent);
    size_t *count = calloc(n, sizeof *count); /* members per root */
    size_t *slot = malloc(n * sizeof *slot);  /* root → cluster index */
    syncd_similar_cluster_t *cl = NULL;
    size_t n_cl = 0;
    if (!sets || !parent || !count || !slot)
        goto cleanup;
    for (size_t i = 0; i < n; i++) {
        const char *texts[2] = {items[i].title, items[i].body};
        if (gramset_build(texts, 2, &sets[i]) != 0)
            goto cleanup;
        parent[i] = i;
    }
    for (size_t i = 0; i < n; i++) {
        for (size_t j = i + 1; j < n; j++) {
            if (dice(&sets[i], &sets[j]) < threshold)
                continue;
            size_t ri = find_root(parent, i), rj = find_root(parent, j);
            if (ri != rj)
                parent[ri > rj ? ri : rj] = ri < rj ? ri : rj;
        }
    }
    for (size_t i = 0; i < n; i++) {
        size_t r = find_root(parent, i);
        if (count[r]++ == 0)
            slot[r] = n_cl++;
    }
    cl = calloc(n_cl, sizeof *cl);
    if (!cl)
        goto cleanup;
    for (size_t i = 0; i < n; i++) {
        size_t r = find_root(parent, i);
        syncd_similar_cluster_t *c = &cl[slot[r]];
        if (!c->members) {
            c->members = malloc(count[r] * sizeof *c->members);
            if (!c->members)
                goto cleanup;
        }
        c->members[c->n++] = i;
        c->votes += items[i].votes;
    }
    for (size_t k = 0; k < n_cl; k++)
        qsort_r(cl[k].members, cl[k].n, sizeof *cl[k].members, member_cmp,
                (void *)items);
    qsort_r(cl, n_cl, sizeof *cl, cluster_cmp, (void *)items);
    *out = cl;
    *n_out = n_cl;
    cl = NULL;
    rc = 0;
cleanup:
    syncd_similar_clusters_free(&cl, n_cl);
    if (sets) {
        for (size_t i = 0; i < n; i++)
            free(sets[i].g);
    }
    free(sets);
    free(parent);
    free(count);
    free(slot);
    return rc;
}
