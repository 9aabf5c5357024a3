/*
 * patch.c - RFC 6902 "add" operations for mutating rules. Each addition is
 * applied to a working copy of the object first, so later additions see the
 * parents earlier ones created and an explicit value is never overridden.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/policy_int.h"

#define MAX_STEPS 24

struct step {
    char key[96]; /* object key, or "" for an index step */
    long index;   /* -1 = "-" (append) */
    bool is_index;
};

/* Splits "a.b[2].c[-]" into steps. False on a malformed or too long path. */
static bool split_path(const char *path, struct step *steps, size_t *n)
{
    const char *p = path;

    *n = 0;
    while (*p) {
        struct step *s;

        if (*n == MAX_STEPS)
            return false;
        s = &steps[(*n)++];
        memset(s, 0, sizeof *s);
        if (*p == '[') {
            char *end;

            s->is_index = true;
            if (p[1] == '-' && p[2] == ']') {
                s->index = -1;
                p += 3;
            } else {
                s->index = strtol(p + 1, &end, 10);
                if (end == p + 1 || *end != ']' || s->index < 0)
                    return false;
                p = end + 1;
            }
        } else {
            size_t len = strcspn(p, ".[");

            if (len == 0 || len >= sizeof s->key)
                return false;
            memcpy(s->key, p, len);
            p += len;
        }
        if (*p == '.')
            p++;
    }
    return *n > 0;
}

/* Appends the JSON pointer of steps[0..n) to out (~ and / escaped). */
static bool pointer(const struct step *steps, size_t n, char *out, size_t cap)
{
    size_t len = 0;

    out[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        int w;

        if (steps[i].is_index && steps[i].index < 0)
            w = snprintf(out + len, cap - len, "/-");
        else if (steps[i].is_index)
            w = snprintf(out + len, cap - len, "/%ld", steps[i].index);
        else {
            w = snprintf(out + len, cap - len, "/");
            for (const char *k = steps[i].key; w > 0 && *k && len + (size_t)w + 3 < cap; k++) {
                const char *esc = *k == '~' ? "~0" : *k == '/' ? "~1" : NULL;

                if (esc) {
                    memcpy(out + len + (size_t)w, esc, 2);
                    w += 2;
                } else {
                    out[len + (size_t)w++] = *k;
                }
                out[len + (size_t)w] = '\0';
            }
        }
        if (w < 0 || (size_t)w >= cap - len)
            return false;
        len += (size_t)w;
    }
    return true;
}

/*
 * Records {"op":"add","path":ptr,"value":copy of v} (v borrowed). A copy, as
 * later additions may go inside the value in the working copy.
 */
static void record(struct as_policy_eval *ev, const char *ptr, json_t *v)
{
    json_t *op = json_pack("{s:s, s:s, s:o}", "op", "add", "path", ptr, "value", json_deep_copy(v));

    if (!ev->out->patch)
        ev->out->patch = json_array();
    if (!op || !ev->out->patch || json_array_append_new(ev->out->patch, op) != 0)
        ev->status = AS_E_NOMEM;
}

void as__patch_add(struct as_policy_eval *ev, const char *path, json_t *value)
{
    struct step steps[MAX_STEPS];
    char ptr[AS__PATH_MAX];
    size_t n, i;
    json_t *cur, *nested = value;

    if (!value) {
        ev->status = AS_E_NOMEM;
        return;
    }
    if (!ev->may_patch || !split_path(path, steps, &n))
        goto done;
    if (!ev->work && !(ev->work = as_jv_to_json(ev->obj))) {
        ev->status = AS_E_NOMEM;
        goto done;
    }
    cur = ev->work;
    for (i = 0; i < n; i++) {
        json_t *child;

        if (steps[i].is_index) {
            if (!json_is_array(cur))
                goto done;
            if (steps[i].index < 0) { /* append: must be the last step */
                if (i + 1 != n || !pointer(steps, n, ptr, sizeof ptr))
                    goto done;
                record(ev, ptr, value);
                json_array_append(cur, value);
                goto done;
            }
            child = json_array_get(cur, (size_t)steps[i].index);
            if (!child)
                goto done;
        } else {
            if (!json_is_object(cur))
                goto done;
            child = json_object_get(cur, steps[i].key);
            if (!child || json_is_null(child))
                break;
        }
        cur = child;
    }
    if (i == n) /* already set: never override */
        goto done;
    /* Build the missing part from the innermost step outwards. */
    json_incref(value);
    for (size_t j = n; j-- > i + 1;) {
        json_t *wrap;

        if (steps[j].is_index && steps[j].index < 0) {
            wrap = json_array();
            if (wrap)
                json_array_append_new(wrap, nested);
            else
                json_decref(nested);
        } else if (steps[j].is_index) { /* cannot invent an element index */
            json_decref(nested);
            goto done;
        } else {
            wrap = json_object();
            if (wrap)
                json_object_set_new(wrap, steps[j].key, nested);
            else
                json_decref(nested);
        }
        nested = wrap;
        if (!nested)
            break;
    }
    if (!nested) {
        ev->status = AS_E_NOMEM;
        goto done;
    }
    if (pointer(steps, i + 1, ptr, sizeof ptr)) {
        record(ev, ptr, nested);
        json_object_set(cur, steps[i].key, nested);
    }
    json_decref(nested);
done:
    json_decref(value);
}
