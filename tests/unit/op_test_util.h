/*
 * op_test_util.h - helpers shared by tests/unit/test_operator_*.c: JSON
 * and YAML literals to jansson values, with the test failing on bad input.
 * Header-only (static), test code only.
 */
#ifndef AS_TEST_OP_UTIL_H
#define AS_TEST_OP_UTIL_H

#include <check.h>
#include <string.h>

#include "base/json.h"
#include "base/yaml.h"

/* One YAML document (aborts the test on failure). Caller owns. */
static inline json_t *ot_yaml(const char *text)
{
    json_t *doc = NULL;
    struct as_error err;

    ck_assert_msg(as_yaml_to_json_one(text, strlen(text), &doc, &err) == AS_OK, "%s", err.message);
    return doc;
}

/* A deep copy with the value at a dotted path (objects only) replaced; caller owns. */
static inline json_t *ot_with(const json_t *obj, const char *path, json_t *value)
{
    json_t *copy = json_deep_copy(obj), *cur = copy;
    char buf[256], *save = NULL, *tok, *next;

    snprintf(buf, sizeof(buf), "%s", path);
    tok = strtok_r(buf, ".", &save);
    while (tok) {
        next = strtok_r(NULL, ".", &save);
        if (!next) {
            if (value)
                json_object_set_new(cur, tok, value);
            else
                json_object_del(cur, tok);
            break;
        }
        if (!json_object_get(cur, tok))
            json_object_set_new(cur, tok, json_object());
        cur = json_object_get(cur, tok);
        tok = next;
    }
    return copy;
}

#endif
