/*
 * appstack.c - family "appstack" of appstack.h: as_render_validate errors
 * ("spec.path: problem — what to do") become app-spec-valid violations at
 * their path; defaults become "add" operations found by walking the
 * defaulted copy against the original.
 */
#include "appstack.h"

#include <stdio.h>
#include <string.h>

#include "render/render.h"

static const struct as_policy_rule rules[] = {
    {"app-spec-valid", AS_FAMILY_APPSTACK, AS_POLICY_ENFORCE, AS_PSS_NONE, false,
     "an AppStack must pass the semantic validation the operator applies",
     "see docs/api.md for the AppStack fields"},
};

/* True when apiVersion and kind are an AppStack's. */
static bool appstack_type(const char *av, const char *kind)
{
    return av != NULL && kind != NULL && strncmp(av, "appstack.io/", 12) == 0 &&
           strcmp(kind, "AppStack") == 0;
}

bool as_appstack_is(const struct as_jv *obj)
{
    return appstack_type(as_jv_str(as_jv_get(obj, "apiVersion")),
                         as_jv_str(as_jv_get(obj, "kind")));
}

/* Validator check: reports every field error of an AppStack. */
static void check(struct as_policy_eval *ev, const struct as_jv *object, void *ctx)
{
    struct as_field_errors errs;
    json_t *obj;

    (void)ctx;
    if (!as_appstack_is(object))
        return;
    /* the renderer's validation reads jansson: convert, for AppStacks only */
    obj = as_jv_to_json(object);
    if (obj == NULL) {
        as_policy_report(ev, "app-spec-valid", "spec",
                         "the webhook ran out of memory validating this AppStack; retry");
        return;
    }
    as_field_errors_init(&errs);
    if (as_render_validate(obj, &errs) != AS_OK) {
        for (size_t i = 0; i < errs.count; i++) {
            const char *e = errs.items[i];
            const char *colon = strstr(e, ": ");
            char path[256];
            if (colon == NULL || (size_t)(colon - e) >= sizeof(path) || strchr(e, ' ') < colon) {
                as_policy_report(ev, "app-spec-valid", "spec", "%s", e);
                continue;
            }
            memcpy(path, e, (size_t)(colon - e));
            path[colon - e] = '\0';
            as_policy_report(ev, "app-spec-valid", path, "%s", colon + 2);
        }
    }
    as_field_errors_free(&errs);
    json_decref(obj);
}

static const struct as_policy_validator validator = {rules, 1, check, NULL};

const struct as_policy_validator *as_appstack_validator(void)
{
    return &validator;
}

/* Appends "~0"/"~1"-escaped key to ptr (RFC 6901). Returns false when it does not fit. */
static bool ptr_append(char *ptr, size_t size, const char *key)
{
    size_t n = strlen(ptr);

    if (n + 1 >= size)
        return false;
    ptr[n++] = '/';
    for (; *key != '\0'; key++) {
        const char *esc = *key == '~' ? "~0" : *key == '/' ? "~1" : NULL;
        size_t k = esc != NULL ? 2 : 1;
        if (n + k >= size)
            return false;
        memcpy(ptr + n, esc != NULL ? esc : key, k);
        n += k;
    }
    ptr[n] = '\0';
    return true;
}

/* Walks want (defaulted) against have (original) at ptr, adding what have lacks. */
static as_status walk(const json_t *have, const json_t *want, char *ptr, size_t size, json_t *patch)
{
    size_t len = strlen(ptr);
    as_status st = AS_OK;

    if (json_is_object(want) && json_is_object(have)) {
        const char *key;
        json_t *w;
        json_object_foreach((json_t *)want, key, w)
        {
            json_t *h = json_object_get(have, key);
            if (!ptr_append(ptr, size, key))
                return AS_E_LIMIT;
            if (h == NULL) {
                if (json_array_append_new(
                        patch, json_pack("{ss ss sO}", "op", "add", "path", ptr, "value", w)) != 0)
                    st = AS_E_NOMEM;
            } else {
                st = walk(h, w, ptr, size, patch);
            }
            ptr[len] = '\0';
            if (st != AS_OK)
                return st;
        }
    } else if (json_is_array(want) && json_is_array(have) &&
               json_array_size(want) == json_array_size(have)) {
        for (size_t i = 0; i < json_array_size(want) && st == AS_OK; i++) {
            char idx[24];
            snprintf(idx, sizeof(idx), "%zu", i);
            if (!ptr_append(ptr, size, idx))
                return AS_E_LIMIT;
            st = walk(json_array_get(have, i), json_array_get(want, i), ptr, size, patch);
            ptr[len] = '\0';
        }
    }
    return st;
}

as_status as_appstack_default_patch(const json_t *obj, json_t *patch)
{
    json_t *defaulted = NULL;
    char ptr[1024] = "/spec";
    as_status st;

    if (!appstack_type(json_string_value(json_object_get(obj, "apiVersion")),
                       json_string_value(json_object_get(obj, "kind"))) ||
        !json_is_object(json_object_get(obj, "spec")))
        return AS_OK;
    if (as_render_defaults(obj, &defaulted) != AS_OK)
        return AS_OK; /* not defaultable (wrong types): validation reports it */
    st = walk(json_object_get(obj, "spec"), json_object_get(defaulted, "spec"), ptr, sizeof(ptr),
              patch);
    json_decref(defaulted);
    return st;
}
