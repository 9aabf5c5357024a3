/*
 * secrets.c - generated secret values (secrets.h): base64 .data of cached
 * Secrets to plain text, and the needed keys completed with random values.
 */
#include "secrets.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "kube/b64.h"
#include "tls/random.h"

/*
 * True when s[0..n) is well-formed UTF-8 (RFC 3629: shortest form, no
 * surrogates, at most U+10FFFF) with no NUL byte: text the renderer can
 * carry as a C string.
 */
static bool is_text(const unsigned char *s, size_t n)
{
    size_t i = 0, len, k;
    unsigned cp, min;

    while (i < n) {
        if (s[i] == 0)
            return false;
        if (s[i] < 0x80) {
            i++;
            continue;
        }
        if ((s[i] & 0xe0) == 0xc0) {
            len = 2, cp = s[i] & 0x1fu, min = 0x80;
        } else if ((s[i] & 0xf0) == 0xe0) {
            len = 3, cp = s[i] & 0x0fu, min = 0x800;
        } else if ((s[i] & 0xf8) == 0xf0) {
            len = 4, cp = s[i] & 0x07u, min = 0x10000;
        } else {
            return false;
        }
        if (n - i < len)
            return false;
        for (k = 1; k < len; k++) {
            if ((s[i + k] & 0xc0) != 0x80)
                return false;
            cp = cp << 6 | (s[i + k] & 0x3fu);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return false;
        i += len;
    }
    return true;
}

/*
 * out[key] = the text that base64 v decodes to. Values that are not strings,
 * not base64, not text or too large are left out (AS_OK). AS_E_NOMEM only.
 */
static as_status put_decoded(json_t *out, const char *key, const json_t *v)
{
    const char *in = json_string_value(v);
    size_t in_len = json_string_length(v), n = 0, bad = 0;
    char *raw = NULL;
    as_status st;

    if (in == NULL || in_len > AS_OP_SECRET_VALUE_MAX / 3 * 4 + 8)
        return AS_OK;
    st = as_kube_b64_decode(in, in_len, &raw, &n, &bad);
    if (st == AS_E_PARSE)
        return AS_OK;
    if (st == AS_OK && n <= AS_OP_SECRET_VALUE_MAX && is_text((const unsigned char *)raw, n) &&
        json_object_set_new(out, key, json_stringn_nocheck(raw, n)) != 0)
        st = AS_E_NOMEM;
    if (raw != NULL) {
        as_memwipe(raw, n);
        free(raw);
    }
    return st;
}

/* out[key] = v when it is text; otherwise the key is removed (the API server's data would hold v).
 */
static as_status put_string(json_t *out, const char *key, const json_t *v)
{
    const char *s = json_string_value(v);
    size_t n = json_string_length(v);

    if (s == NULL || n > AS_OP_SECRET_VALUE_MAX || !is_text((const unsigned char *)s, n)) {
        json_object_del(out, key);
        return AS_OK;
    }
    return json_object_set_new(out, key, json_stringn_nocheck(s, n)) == 0 ? AS_OK : AS_E_NOMEM;
}

json_t *as_op_secret_plain(const json_t *secret)
{
    json_t *out = json_object(), *v;
    const char *key;
    as_status st = out != NULL ? AS_OK : AS_E_NOMEM;

    json_object_foreach(json_object_get(secret, "data"), key, v)
    {
        if (st == AS_OK)
            st = put_decoded(out, key, v);
    }
    json_object_foreach(json_object_get(secret, "stringData"), key, v)
    {
        if (st == AS_OK)
            st = put_string(out, key, v);
    }
    if (st != AS_OK) {
        json_decref(out);
        return NULL;
    }
    return out;
}

/* vals[key] = a new random value as spec {length, encoding} says. */
static as_status generate_one(json_t *vals, const char *key, const json_t *spec,
                              struct as_error *err)
{
    char *v = NULL;
    as_status st;

    st = as_random_value(json_integer_value(json_object_get(spec, "length")),
                         json_string_value(json_object_get(spec, "encoding")), &v, err);
    if (st == AS_OK && json_object_set_new(vals, key, json_string(v)) != 0)
        st = as_error_set(err, AS_E_NOMEM, "out of memory");
    if (v != NULL) {
        as_memwipe(v, strlen(v));
        free(v);
    }
    return st;
}

/*
 * The values of one Secret: keys (its needed keys), have (its existing plain
 * values, may be NULL). Sets values[secret] and, when any key was generated,
 * generated[secret].
 */
static as_status one_secret(const char *secret, const json_t *keys, const json_t *have,
                            json_t *values, json_t *generated, struct as_error *err)
{
    json_t *vals = json_object(), *gen = json_array(), *spec;
    const char *key;
    as_status st = AS_OK;

    if (!json_is_object(keys)) {
        st = as_error_set(err, AS_E_INVALID_ARG, "its needed keys are not an object");
        goto done;
    }
    if (vals == NULL || gen == NULL) {
        st = as_error_set(err, AS_E_NOMEM, "out of memory");
        goto done;
    }
    json_object_foreach((json_t *)keys, key, spec)
    {
        const json_t *old = json_object_get(have, key);
        if (json_is_string(old)) {
            if (json_object_set_new(vals, key, json_copy((json_t *)old)) != 0)
                st = as_error_set(err, AS_E_NOMEM, "out of memory");
        } else {
            st = generate_one(vals, key, spec, err);
            if (st == AS_OK && json_array_append_new(gen, json_string(key)) != 0)
                st = as_error_set(err, AS_E_NOMEM, "out of memory");
            if (st != AS_OK)
                as_error_prefix(err, "key %s", key);
        }
        if (st != AS_OK)
            goto done;
    }
    if (json_object_set(values, secret, vals) != 0 ||
        (json_array_size(gen) > 0 && json_object_set(generated, secret, gen) != 0))
        st = as_error_set(err, AS_E_NOMEM, "out of memory");
done:
    json_decref(vals);
    json_decref(gen);
    return st;
}

as_status as_op_secret_values(const json_t *needed, const json_t *existing, json_t **values_out,
                              json_t **generated_out, struct as_error *err)
{
    json_t *values = NULL, *generated = NULL, *keys;
    const char *secret;
    as_status st = AS_OK;

    if (!json_is_object(needed) || values_out == NULL)
        return as_error_set(err, AS_E_INVALID_ARG,
                            "generated secrets: needed must be the object of "
                            "as_render_needed_secrets and values_out not NULL");
    values = json_object();
    generated = json_object();
    if (values == NULL || generated == NULL) {
        st = as_error_set(err, AS_E_NOMEM, "out of memory");
        goto done;
    }
    json_object_foreach((json_t *)needed, secret, keys)
    {
        st = one_secret(secret, keys, json_object_get(existing, secret), values, generated, err);
        if (st != AS_OK) {
            as_error_prefix(err, "secret %s", secret);
            goto done;
        }
    }
    *values_out = values;
    values = NULL;
    if (generated_out != NULL) {
        *generated_out = generated;
        generated = NULL;
    }
done:
    json_decref(values);
    json_decref(generated);
    return st;
}
