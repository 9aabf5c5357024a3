/*
 * fuzz_yaml.c - libFuzzer target for lib/base/yaml: any input must either
 * fail cleanly or parse; every parsed document must survive
 * as_json_to_yaml and read back (as_yaml_to_json_one) as an equal value.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "base/json.h"
#include "base/yaml.h"

/* Aborts with a description when a document does not round-trip. */
static void check_round_trip(const json_t *doc)
{
    struct as_buf b;
    struct as_error err;
    json_t *back = NULL;

    as_buf_init(&b, 64u * 1024u * 1024u);
    if (as_json_to_yaml(doc, &b) != AS_OK) {
        /* Only the nesting limit may refuse a value the reader produced. */
        fprintf(stderr, "as_json_to_yaml failed\n");
        abort();
    }
    if (as_yaml_to_json_one(b.data, b.len, &back, &err) != AS_OK) {
        fprintf(stderr, "re-parse failed: %s\n---\n%s\n", err.message, b.data);
        abort();
    }
    if (!as_json_equal(doc, back)) {
        char *a = as_json_dump_canonical(doc), *c = as_json_dump_canonical(back);
        fprintf(stderr, "round trip changed the value:\n%s\n%s\n---\n%s\n", a, c, b.data);
        abort();
    }
    json_decref(back);
    as_buf_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct as_error err;
    json_t *docs = NULL, *doc;
    size_t i;

    if (as_yaml_to_json((const char *)data, size, &docs, &err) != AS_OK)
        return 0;
    json_array_foreach(docs, i, doc)
    {
        check_round_trip(doc);
    }
    json_decref(docs);
    return 0;
}
