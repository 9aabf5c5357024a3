/*
 * hash.c - the renderer's pure computations over bytes: sha256 (for name
 * suffixes and the pod config-hash) and base64 (Secret data), both with
 * OpenSSL, which here is plain computation (no I/O, no randomness).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/sha.h>

#include "base/json.h"
#include "render/render_int.h"

/* Lower-case hex of sha256(data) into out (65 bytes, NUL-terminated). */
void r_sha256_hex(const void *data, size_t n, char out[65])
{
    unsigned char md[SHA256_DIGEST_LENGTH];
    static const char hex[] = "0123456789abcdef";

    SHA256((const unsigned char *)data, n, md);
    for (size_t i = 0; i < sizeof md; i++) {
        out[2 * i] = hex[md[i] >> 4];
        out[2 * i + 1] = hex[md[i] & 15];
    }
    out[64] = '\0';
}

/* Standard base64 (with padding) of n bytes. Caller owns; NULL when out of memory. */
char *r_base64(const char *s, size_t n)
{
    size_t outlen = 4 * ((n + 2) / 3) + 1;
    char *out;

    if (n > (1u << 28))
        return NULL;
    out = malloc(outlen);
    if (!out)
        return NULL;
    EVP_EncodeBlock((unsigned char *)out, (const unsigned char *)s, (int)n);
    return out;
}

/* sha256 hex of the canonical dump of v into out; records AS_E_NOMEM (out = "") on failure. */
void r_digest_json(struct r_ctx *c, const json_t *v, char out[65])
{
    char *d = v ? as_json_dump_canonical(v) : NULL;

    if (!d) {
        r_fail(c, AS_E_NOMEM);
        out[0] = '\0';
        return;
    }
    r_sha256_hex(d, strlen(d), out);
    free(d);
}
