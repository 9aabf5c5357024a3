/*
 * fuzz_review_json.c - differential libFuzzer target for the webhook's own
 * JSON reader (webhook/review_json.c) against jansson: whatever the fast
 * reader accepts, jansson (JSON_REJECT_DUPLICATES | JSON_DECODE_ANY) must
 * accept too, with an equal tree (the reader's, base/jv.h, converted back to
 * jansson) whose compact dump is byte for byte the same
 * (key order, number types, string contents); whatever jansson rejects, the
 * fast reader must reject. as_review_json_parse must always agree with
 * jansson. With drop_managed both must equal jansson's tree with
 * request.(old)object.metadata.managedFields deleted, and accept the same
 * inputs. Any escaped string the reader produced must be escaped by
 * as_review_json_string exactly as json_dumps escapes it.
 *
 * hack/fuzz links only lib/*, so the webhook source is compiled in here.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../webhook/review_json.c"
#include "../unit/review_oracle.h"

/* Aborts unless a and b (either may be NULL) dump to the same compact bytes. */
static void same_dump(const json_t *a, const json_t *b)
{
    char *da, *db;

    if (a == NULL || b == NULL) {
        if (a != b)
            abort();
        return;
    }
    da = as_json_dumps(a, JSON_COMPACT | JSON_ENCODE_ANY);
    db = as_json_dumps(b, JSON_COMPACT | JSON_ENCODE_ANY);
    if (da == NULL || db == NULL || strcmp(da, db) != 0 || !json_equal(a, b))
        abort();
    free(da);
    free(db);
}

/* Aborts unless as_review_json_string escapes the string value s as json_dumps does. */
static void same_escape(const json_t *s)
{
    struct as_buf b;
    char *want = as_json_dumps(s, JSON_ENCODE_ANY);

    as_buf_init(&b, 64u * 1024u * 1024u);
    if (as_review_json_string(&b, json_string_value(s), json_string_length(s)) != AS_OK ||
        want == NULL || b.len != strlen(want) || memcmp(b.data, want, b.len) != 0)
        abort();
    free(want);
    as_buf_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_error_t jerr;
    struct as_error err = {0};
    struct as_jv_arena arena;
    const struct as_jv *tree;
    json_t *ref, *fast, *parsed = NULL;
    as_status st;

    if (size > AS_REVIEW_MAX_BODY)
        return 0;
    ref = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
    if (json_is_string(ref))
        same_escape(ref);
    for (int drop = 0; drop <= 1; drop++) {
        if (drop && ref != NULL) {
            review_oracle_drop_managed(ref);
        }
        /* trees compare as jansson values (as_jv_to_json keeps document order) */
        as_jv_arena_init(&arena);
        tree = as_review_json_fast((const char *)data, size, drop, &arena);
        fast = as_jv_to_json(tree);
        if (tree != NULL && fast == NULL)
            abort();
        if (fast != NULL) /* what it accepts is jansson's tree; what jansson rejects it rejects */
            same_dump(fast, ref);
        as_jv_arena_reset(&arena);
        st = as_review_json_parse((const char *)data, size, drop, &arena, &tree, &err);
        if ((st == AS_OK) != (ref != NULL) || (st != AS_OK && err.message[0] == '\0'))
            abort();
        parsed = st == AS_OK ? as_jv_to_json(tree) : NULL;
        if (st == AS_OK)
            same_dump(parsed, ref);
        as_jv_arena_free(&arena);
        json_decref(parsed);
        json_decref(fast);
    }
    json_decref(ref);
    return 0;
}
