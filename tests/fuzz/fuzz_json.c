/*
 * fuzz_json.c - libFuzzer target for lib/base/json: parsing must fail
 * cleanly or succeed; a parsed value's canonical dump must parse back to an
 * equal value, its YAML rendering must read back as an equal value, and
 * path lookups on it must never crash.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "base/yaml.h"

/* Exercises the path parser with a path taken from the input itself. */
static void probe_path(const json_t *v, const uint8_t *data, size_t size)
{
    char path[64];
    size_t n = size < sizeof(path) - 1 ? size : sizeof(path) - 1;
    struct as_error err;
    const char *s = NULL;
    int64_t i = 0;

    memcpy(path, data, n);
    path[n] = '\0';
    (void)as_json_path(v, path);
    (void)as_json_get_string(v, path, &s, &err);
    (void)as_json_opt_int(v, path, 0, &i, &err);
}

/* Aborts unless v (not null) survives as_json_to_yaml and as_yaml_to_json_one. */
static void yaml_round_trip(const json_t *v)
{
    struct as_buf b;
    struct as_error err;
    json_t *back = NULL;

    as_buf_init(&b, 64u * 1024u * 1024u);
    if (json_is_null(v) || as_json_to_yaml(v, &b) == AS_E_LIMIT) {
        as_buf_free(&b);
        return; /* null documents are skipped; too-deep values are refused */
    }
    if (as_yaml_to_json_one(b.data, b.len, &back, &err) != AS_OK || !as_json_equal(v, back)) {
        fprintf(stderr, "YAML round trip failed (%s):\n%s\n", back ? "changed" : err.message,
                b.data);
        abort();
    }
    json_decref(back);
    as_buf_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct as_error err;
    json_t *v = NULL, *back = NULL;
    char *text;

    probe_path(NULL, data, size);
    if (as_json_parse((const char *)data, size, 1u << 20, &v, &err) != AS_OK)
        return 0;
    probe_path(v, data, size);
    text = as_json_dump_canonical(v);
    if (!text)
        abort();
    if (as_json_parse(text, strlen(text), SIZE_MAX, &back, &err) != AS_OK ||
        !as_json_equal(v, back)) {
        fprintf(stderr, "canonical dump did not read back: %s\n", text);
        abort();
    }
    free(text);
    json_decref(back);
    yaml_round_trip(v);
    json_decref(v);
    return 0;
}
