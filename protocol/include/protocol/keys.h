/*
 * keys.h — CURVE key pairs on disk, for syncd, syncctl, kiosks and the
 * simulator.
 *
 * A key pair is two files: NAME.key holds the public and the secret key
 * and must be mode 0600 (it is created so, and a loader refuses one that
 * group or others can read, saying which file and how to fix it); NAME.pub
 * holds the public key only and may be shared. Both are text:
 *
 *   # Stepwise CURVE key pair "k01" (kiosk). Keep this file secret.
 *   public = <40 Z85 characters>
 *   secret = <40 Z85 characters>
 *
 * Lines starting with '#' and blank lines are ignored.
 */
#ifndef PROTOCOL_KEYS_H
#define PROTOCOL_KEYS_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PROTO_Z85_KEY_LEN 40

typedef struct {
    char public_z85[PROTO_Z85_KEY_LEN + 1];
    char secret_z85[PROTO_Z85_KEY_LEN + 1];
} proto_keypair_t;

/* New random key pair (zmq_curve_keypair). 0 or PROTO_EIO. */
int proto_keys_generate(proto_keypair_t *kp);

/* Writes DIR/NAME.key (0600, refuses to overwrite an existing one) and
 * DIR/NAME.pub (0644). role is a word for the file comment ("server",
 * "kiosk", "manager"). 0 or negative with a readable line in err. */
int proto_keys_save(const proto_keypair_t *kp, const char *dir,
                    const char *name, const char *role, char *err,
                    size_t err_len);

/* Loads a .key file; refuses one readable by group or others
 * ("server.key is readable by others (mode 0644); run: chmod 600
 * server.key"). 0 or negative with err. */
int proto_keys_load_secret(const char *path, proto_keypair_t *kp, char *err,
                           size_t err_len);

/* Loads the public key from a .pub or a .key file, or accepts a literal
 * 40-character Z85 key given instead of a path. */
int proto_keys_load_public(const char *path_or_key,
                           char out[PROTO_Z85_KEY_LEN + 1], char *err,
                           size_t err_len);

/* Is s a well-formed 40-character Z85 CURVE key? */
int proto_keys_valid_z85(const char *s);

#ifdef __cplusplus
}
#endif
#endif
