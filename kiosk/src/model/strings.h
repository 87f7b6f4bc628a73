/*
 * strings.h — the kiosk's UI strings, one file per language under
 * assets/strings (private to the model library).
 *
 * Why a file and not C literals: translators edit text without touching
 * code, and a test checks both languages hold the same keys. Format: one
 * "key = text" per line, '#' starts a comment line, "\n" in text is a line
 * break. Placeholders {1} {2} {3} are filled by kiosk_strings_fill().
 */
#ifndef KIOSK_MODEL_STRINGS_H
#define KIOSK_MODEL_STRINGS_H

#include <stddef.h>

typedef struct kiosk_strings kiosk_strings_t;

/* Loads path. NULL with a readable line in err on failure. */
kiosk_strings_t *kiosk_strings_load(const char *path, char *err,
                                    size_t err_len);
void kiosk_strings_destroy(kiosk_strings_t **self_p);
/* The text of key, or key itself when absent (so a gap shows on screen
 * and in the UI dump instead of an empty button). */
const char *kiosk_strings_get(const kiosk_strings_t *self, const char *key);
size_t kiosk_strings_count(const kiosk_strings_t *self);
const char *kiosk_strings_key_at(const kiosk_strings_t *self, size_t i);
/* Copies tmpl into out replacing {1} {2} {3} with a1 a2 a3 (NULL = ""). */
void kiosk_strings_fill(char *out, size_t out_len, const char *tmpl,
                        const char *a1, const char *a2, const char *a3);

#endif
