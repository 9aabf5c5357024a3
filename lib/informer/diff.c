/* diff.c - object keys and the relist diff (see diff.h). No I/O, no locks. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "informer/diff.h"

const char *as_informer_event_name(enum as_informer_event_type t)
{
    switch (t) {
    case AS_INFORMER_ADD:
        return "ADD";
    case AS_INFORMER_UPDATE:
        return "UPDATE";
    case AS_INFORMER_DELETE:
        return "DELETE";
    }
    return "UNKNOWN";
}

void as_informer_events_free(struct as_informer_events *ev)
{
    for (size_t i = 0; i < ev->n; i++) {
        json_decref(ev->v[i].old);
        json_decref(ev->v[i].obj);
    }
    free(ev->v);
    ev->v = NULL;
    ev->n = ev->cap = 0;
}

as_status as_informer_events_push(struct as_informer_events *ev, enum as_informer_event_type t,
                                  json_t *old, json_t *obj)
{
    if (ev->n == ev->cap) {
        size_t ncap = ev->cap ? ev->cap * 2 : 16;
        struct as_informer_event *n = realloc(ev->v, ncap * sizeof(*n));
        if (!n)
            return AS_E_NOMEM;
        ev->v = n;
        ev->cap = ncap;
    }
    ev->v[ev->n++] =
        (struct as_informer_event){.type = t, .old = json_incref(old), .obj = json_incref(obj)};
    return AS_OK;
}

as_status as_informer_object_key(const json_t *obj, char *buf, size_t size)
{
    const char *name = json_string_value(as_json_path(obj, "metadata.name"));
    const char *ns = json_string_value(as_json_path(obj, "metadata.namespace"));
    int n;

    if (!name || !*name)
        return AS_E_MISSING;
    n = ns && *ns ? snprintf(buf, size, "%s/%s", ns, name) : snprintf(buf, size, "%s", name);
    if (n < 0 || (size_t)n >= size)
        return AS_E_LIMIT;
    return AS_OK;
}

/* metadata.<field> as a string, or "" when absent. Borrowed. */
static const char *meta_str(const json_t *obj, const char *field)
{
    json_t *m = json_object_get(obj, "metadata");
    const char *s = json_string_value(json_object_get(m, field));
    return s ? s : "";
}

/* Events for one listed item against the old map; records it in new_map. */
static as_status diff_item(const json_t *old_map, json_t *item, const char *key, json_t *new_map,
                           struct as_informer_events *ev)
{
    json_t *old = old_map ? json_object_get(old_map, key) : NULL;
    as_status st = AS_OK;

    if (!old) {
        st = as_informer_events_push(ev, AS_INFORMER_ADD, NULL, item);
    } else if (*meta_str(old, "uid") && *meta_str(item, "uid") &&
               strcmp(meta_str(old, "uid"), meta_str(item, "uid")) != 0) {
        st = as_informer_events_push(ev, AS_INFORMER_DELETE, old, NULL);
        if (st == AS_OK)
            st = as_informer_events_push(ev, AS_INFORMER_ADD, NULL, item);
    } else if (strcmp(meta_str(old, "resourceVersion"), meta_str(item, "resourceVersion")) != 0) {
        st = as_informer_events_push(ev, AS_INFORMER_UPDATE, old, item);
    } else {
        item = old; /* unchanged: keep the reference the cache already holds */
    }
    if (st == AS_OK && json_object_set(new_map, key, item) != 0)
        st = AS_E_NOMEM;
    return st;
}

as_status as_informer_diff(const json_t *old_map, const json_t *items, json_t **new_map,
                           struct as_informer_events *ev, struct as_error *err)
{
    struct as_informer_events out = {0};
    json_t *map = json_object(), *item, *old;
    char key[AS_INFORMER_KEY_MAX];
    const char *k;
    size_t i;
    as_status st = AS_OK;

    if (!map)
        return as_error_set(err, AS_E_NOMEM, "relist: out of memory");
    if (!json_is_array(items)) {
        st = as_error_set(err, AS_E_PARSE, "relist: items: expected array, got %s",
                          as_json_type_name(items));
        goto fail;
    }
    /* First pass: keys of the new list, so vanished objects can be told apart. */
    json_array_foreach(items, i, item)
    {
        if (!json_is_object(item) || as_informer_object_key(item, key, sizeof(key)) != AS_OK) {
            st = as_error_set(err, AS_E_PARSE,
                              "relist: items[%zu]: not an object with "
                              "metadata.name (or the key is too long)",
                              i);
            goto fail;
        }
        if (json_object_set(map, key, json_null()) != 0)
            goto nomem;
    }
    if (old_map) {
        json_object_foreach((json_t *)old_map, k, old)
        {
            if (!json_object_get(map, k) &&
                as_informer_events_push(&out, AS_INFORMER_DELETE, old, NULL) != AS_OK)
                goto nomem;
        }
    }
    json_object_clear(map);
    json_array_foreach(items, i, item)
    {
        as_informer_object_key(item, key, sizeof(key));
        if (diff_item(old_map, item, key, map, &out) != AS_OK)
            goto nomem;
    }
    *new_map = map;
    *ev = out;
    return AS_OK;
nomem:
    st = as_error_set(err, AS_E_NOMEM, "relist: out of memory");
fail:
    as_informer_events_free(&out);
    json_decref(map);
    return st;
}
