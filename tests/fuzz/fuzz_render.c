/*
 * fuzz_render.c - libFuzzer target for lib/render: bytes -> as_yaml_to_json ->
 * as_render for every document, with placeholder facts for whatever secrets
 * the document needs and every optional API present. Any input must give
 * either objects or field errors (never both, never neither; never
 * AS_E_NOMEM on inputs this small), never a crash or a leak; rendering twice
 * must give the same bytes.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "base/yaml.h"
#include "render/render.h"

/* Placeholder facts for every needed secret (new object), or NULL. */
static json_t *facts_for(const json_t *doc)
{
    struct as_field_errors e;
    json_t *needed = NULL, *out = NULL, *keys, *x;
    const char *s, *k;

    as_field_errors_init(&e);
    if (as_render_needed_secrets(doc, &needed, &e) == AS_OK) {
        out = json_object();
        json_object_foreach(needed, s, keys)
        {
            json_t *vals = json_object();
            json_object_foreach(keys, k, x)
            {
                json_object_set_new(vals, k, json_string("fuzz"));
            }
            json_object_set_new(out, s, vals);
        }
    }
    json_decref(needed);
    as_field_errors_free(&e);
    return out;
}

/* Renders doc; returns the canonical dump of the objects (caller frees) or NULL. */
static char *render_once(const json_t *doc, const json_t *secrets)
{
    struct as_render_facts f = {.secrets = secrets, .namespace = "fuzz", .apis = 7};
    struct as_field_errors e;
    json_t *objs = NULL;
    char *dump = NULL;
    as_status st;

    as_field_errors_init(&e);
    st = as_render(doc, &f, &objs, &e);
    if (st == AS_OK) {
        if (!json_is_array(objs) || e.count != 0)
            abort();
        dump = as_json_dump_canonical(objs);
    } else if (st != AS_E_CONFIG && st != AS_E_MISSING) {
        /* inputs are small: out of memory here means a builder passed NULL to json_pack */
        fprintf(stderr, "render returned %s\n", as_status_name(st));
        abort();
    } else if (objs != NULL || e.count == 0) {
        fprintf(stderr, "render failed without errors or with output\n");
        abort();
    }
    json_decref(objs);
    as_field_errors_free(&e);
    return dump;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct as_error err;
    json_t *docs = NULL, *doc;
    size_t i;

    if (size > 256 * 1024)
        return 0;
    if (as_yaml_to_json((const char *)data, size, &docs, &err) != AS_OK)
        return 0;
    json_array_foreach(docs, i, doc)
    {
        json_t *secrets = facts_for(doc);
        char *a = render_once(doc, secrets), *b = a ? render_once(doc, secrets) : NULL;
        if (a && (!b || strcmp(a, b) != 0)) {
            fprintf(stderr, "rendering is not deterministic\n");
            abort();
        }
        free(a);
        free(b);
        json_decref(secrets);
    }
    json_decref(docs);
    return 0;
}
