/*
 * tls/random.h - random values for generated secrets (OpenSSL RAND_bytes):
 * the values of spec.secrets.generate and the postgres / redis passwords,
 * made by the operator once per key and by `appstackctl render
 * --generate-secrets`.
 */
#ifndef AS_TLS_RANDOM_H
#define AS_TLS_RANDOM_H

#include <stdint.h>

#include "base/status.h"

/* The bounds of length (spec.secrets.generate[].length in docs/api.md). */
#define AS_RANDOM_MIN_LENGTH 16
#define AS_RANDOM_MAX_LENGTH 128

/*
 * One random value of length random bytes written in encoding:
 *   "hex"           2 * length lowercase hex digits (like `openssl rand -hex`);
 *   "base64"        standard base64 with '=' padding, 4 * ceil(length / 3) characters;
 *   "alphanumeric"  length characters of [A-Za-z0-9], each uniform (bytes >= 248
 *                   are drawn again, so there is no modulo bias).
 * On success *out is a new NUL-terminated string (caller owns: as_memwipe, then
 * free). AS_E_INVALID_ARG naming the length (outside 16..128) or the encoding
 * (NULL or unknown); AS_E_TLS when the random generator fails; AS_E_NOMEM.
 * *out is untouched on failure and every temporary buffer is wiped.
 */
as_status as_random_value(int64_t length, const char *encoding, char **out, struct as_error *err);

#endif
