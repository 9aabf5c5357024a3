/*
 * tls/random.c - the random secret values of random.h: RAND_bytes written as
 * hex, base64 or alphanumeric text.
 */
#include "tls/random.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "base/buf.h"

static const char ALNUM[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/* Fills out[0..n) with uniform [A-Za-z0-9] characters. AS_E_TLS when RAND_bytes fails. */
static as_status alphanumeric(char *out, size_t n)
{
    unsigned char pool[64];
    size_t i = 0, used = sizeof(pool);
    as_status st = AS_OK;

    while (i < n) {
        if (used == sizeof(pool)) {
            if (RAND_bytes(pool, (int)sizeof(pool)) != 1) {
                st = AS_E_TLS;
                break;
            }
            used = 0;
        }
        /* 248 = 4 * 62: accepting only bytes below it keeps every character equally likely */
        if (pool[used] < 248)
            out[i++] = ALNUM[pool[used] % 62];
        used++;
    }
    out[i] = '\0';
    as_memwipe(pool, sizeof(pool));
    return st;
}

/* Writes n random bytes as hex (2n) or base64 into out. AS_E_TLS when RAND_bytes fails. */
static as_status encoded(char *out, size_t n, bool base64)
{
    unsigned char raw[AS_RANDOM_MAX_LENGTH];
    as_status st = AS_OK;

    if (RAND_bytes(raw, (int)n) != 1) {
        st = AS_E_TLS;
    } else if (base64) {
        EVP_EncodeBlock((unsigned char *)out, raw, (int)n);
    } else {
        for (size_t i = 0; i < n; i++)
            snprintf(out + 2 * i, 3, "%02x", raw[i]);
    }
    as_memwipe(raw, sizeof(raw));
    return st;
}

as_status as_random_value(int64_t length, const char *encoding, char **out, struct as_error *err)
{
    bool hex = encoding != NULL && strcmp(encoding, "hex") == 0;
    bool b64 = encoding != NULL && strcmp(encoding, "base64") == 0;
    bool alnum = encoding != NULL && strcmp(encoding, "alphanumeric") == 0;
    size_t n, cap;
    char *v;
    as_status st;

    if (out == NULL)
        return as_error_set(err, AS_E_INVALID_ARG, "random value: no place for the result");
    if (length < AS_RANDOM_MIN_LENGTH || length > AS_RANDOM_MAX_LENGTH)
        return as_error_set(err, AS_E_INVALID_ARG,
                            "length %lld: must be %d..%d random bytes — set "
                            "secrets.generate[].length within that range",
                            (long long)length, AS_RANDOM_MIN_LENGTH, AS_RANDOM_MAX_LENGTH);
    if (!hex && !b64 && !alnum)
        return as_error_set(err, AS_E_INVALID_ARG,
                            "encoding '%s': unknown — use hex, base64 or alphanumeric",
                            encoding != NULL ? encoding : "(none)");
    n = (size_t)length;
    cap = hex ? 2 * n + 1 : b64 ? 4 * ((n + 2) / 3) + 1 : n + 1;
    v = malloc(cap);
    if (v == NULL)
        return as_error_set(err, AS_E_NOMEM, "random value: out of memory");
    st = alnum ? alphanumeric(v, n) : encoded(v, n, b64);
    if (st != AS_OK) {
        as_memwipe(v, cap);
        free(v);
        return as_error_set(err, st, "random value: the OpenSSL random generator failed");
    }
    *out = v;
    return AS_OK;
}
