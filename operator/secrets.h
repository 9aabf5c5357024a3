/*
 * secrets.h - the values of the Secrets the stack generates (the
 * spec.secrets.generate keys and the postgres / redis passwords): reading
 * the plain text out of cached Secrets, and completing it with fresh random
 * values (tls/random.h) for the keys that are still missing. Existing values
 * are never replaced: a generated Secret is created once and only ever gains
 * keys. No I/O besides the random generator; values never reach a log.
 */
#ifndef AS_OPERATOR_SECRETS_H
#define AS_OPERATOR_SECRETS_H

#include <jansson.h>

#include "base/status.h"

/* Largest decoded value read from a cached Secret (bigger ones are skipped). */
#define AS_OP_SECRET_VALUE_MAX (64 * 1024)

/*
 * Plain values of a cached Secret (borrowed; NULL = absent): {"key": "text"}
 * from the base64 .data and, when present, .stringData (which wins, as the API
 * server merges it). A new object (caller owns); empty for NULL or a Secret
 * without data. Keys whose value is not valid base64, not valid UTF-8 text,
 * holds a NUL byte or is larger than AS_OP_SECRET_VALUE_MAX are skipped (they
 * are not text the renderer could reuse). NULL only when out of memory.
 */
json_t *as_op_secret_plain(const json_t *secret);

/*
 * needed (borrowed): the object from as_render_needed_secrets,
 * {"<secret>": {"<key>": {"length": N, "encoding": "hex"}}}.
 * existing (borrowed, may be NULL): {"<secret>": {"key": "text"}} built from
 * the cache (as_op_secret_plain per Secret).
 *
 * On success *values_out is a new object {"<secret>": {"<key>": "text"}} with
 * every needed key and nothing else: existing values kept verbatim, missing
 * ones generated with as_random_value (length and encoding of needed).
 * *generated_out (generated_out may be NULL) is a new object
 * {"<secret>": ["key", ...]} listing only the generated keys, in needed's
 * order; an empty object when nothing was generated. Caller owns both.
 *
 * AS_E_INVALID_ARG when needed is not an object or values_out is NULL;
 * AS_E_INVALID_ARG / AS_E_TLS from as_random_value with err naming the secret
 * and key ("secret shop-app: key jwt: length 8: must be 16..128 ..."); AS_E_NOMEM.
 * Nothing is set on failure.
 */
as_status as_op_secret_values(const json_t *needed, const json_t *existing, json_t **values_out,
                              json_t **generated_out, struct as_error *err);

#endif
