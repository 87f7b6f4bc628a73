/*
 * similar.h — near-duplicate suggestions: a similarity score between two
 * texts and the grouping of a list of suggestions into clusters.
 *
 * Used by the admin op `similar` (the kiosk's "+1 an existing one" while
 * someone types) and by the agenda's section 5 (suggestions for decision,
 * near-duplicates grouped). docs/AGENDA.md "Near-duplicates" documents the
 * score and the threshold; this header is the contract.
 *
 * The score is the Dice coefficient 2|A∩B| / (|A|+|B|) over the sets of
 * code-point trigrams of the two normalised texts, each text padded with
 * two boundary marks on either side (as PostgreSQL's pg_trgm pads words).
 * Normalising lower-cases ASCII, folds full-width ASCII to ASCII, and
 * removes whitespace and punctuation (ASCII and Chinese: ，。？！、：；“”（）
 * and the rest of the CJK and general punctuation blocks). A text with
 * fewer than 3 code points left scores 0 against everything.
 */
#ifndef SYNCD_SIMILAR_H
#define SYNCD_SIMILAR_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Two suggestions at or above this score are near-duplicates. Tuned on
 * tests/syncd/test_similar.c: the pairs that must group score 0.316 and
 * more, the closest pair that must not scores 0.250. */
#define SYNCD_SIMILAR_THRESHOLD 0.30

/* Fewer normalised code points than this never match anything. */
#define SYNCD_SIMILAR_MIN_CHARS 3

/* The score in [0, 1] of two UTF-8 texts (NULL counts as ""); symmetric;
 * 1 for texts equal after normalising (3 code points or more). Invalid
 * UTF-8 bytes are skipped. */
double syncd_similarity(const char *a, const char *b);

/* The normalised text of text (as UTF-8, NUL-terminated) in out, and its
 * number of code points in *n_cp (may be NULL). The store uses it to look
 * up candidates in its trigram index. 0, or PROTO_ERANGE when out is too
 * small (len >= strlen(text) + 1 always suffices). */
int syncd_similar_normalise(const char *text, char *out, size_t len,
                            size_t *n_cp);

/* One suggestion to group; the texts are borrowed. The text compared is
 * the title followed by the body (NULL body = none). */
typedef struct {
    const char *id;
    const char *title;
    const char *body;
    uint32_t votes;
} syncd_similar_item_t;

/* A cluster: indexes into the caller's items. members[0] is the
 * representative (most votes, ties by the smaller id in strcmp order);
 * the others follow in the same order. votes is the sum of the members'
 * votes (a voter of two members counts twice until they are merged). */
typedef struct {
    size_t *members;
    size_t n;
    uint64_t votes;
} syncd_similar_cluster_t;

/* Groups items by single link: two items are in one cluster when a chain
 * of pairs each scoring >= threshold joins them (threshold <= 0 means
 * SYNCD_SIMILAR_THRESHOLD). Every item is in exactly one cluster (alone
 * if it has no near-duplicate). Clusters come ordered by votes
 * (descending), then by their representative's id; the result depends
 * only on the items, not on their order. Caller frees with
 * syncd_similar_clusters_free. 0, PROTO_EINVAL or PROTO_ENOMEM. */
int syncd_similar_group(const syncd_similar_item_t *items, size_t n,
                        double threshold, syncd_similar_cluster_t **out,
                        size_t *n_out);

/* Frees a result of syncd_similar_group and clears *clusters_p. NULL ok. */
void syncd_similar_clusters_free(syncd_similar_cluster_t **clusters_p,
                                 size_t n);

#ifdef __cplusplus
}
#endif
#endif
