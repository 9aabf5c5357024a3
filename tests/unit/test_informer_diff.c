/*
 * test_informer_diff.c - unit tests for the informer's pure parts: object
 * keys, the relist diff (old cache + new list -> events) with hand-written
 * cases, the jittered backoff arithmetic, and the cache's references and
 * indexes.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_run.h"
#include "base/json.h"
#include "informer/backoff.h"
#include "informer/cache.h"
#include "informer/diff.h"

/* A ConfigMap-like object. New reference. */
static json_t *obj(const char *ns, const char *name, const char *uid, const char *rv)
{
    json_t *o = json_pack("{s:s,s:s,s:{s:s,s:s,s:s}}", "apiVersion", "v1", "kind", "ConfigMap",
                          "metadata", "name", name, "uid", uid, "resourceVersion", rv);
    if (ns)
        json_object_set_new(json_object_get(o, "metadata"), "namespace", json_string(ns));
    return o;
}

/* Builds a key -> object map from objects (references are stolen). */
static json_t *map_of(json_t *a, json_t *b, json_t *c)
{
    json_t *m = json_object(), *all[3] = {a, b, c};
    char key[AS_INFORMER_KEY_MAX];

    for (int i = 0; i < 3; i++) {
        if (!all[i])
            continue;
        ck_assert_int_eq(as_informer_object_key(all[i], key, sizeof(key)), AS_OK);
        json_object_set_new(m, key, all[i]);
    }
    return m;
}

/* "TYPE:name" of event i, into buf. */
static const char *ev_str(const struct as_informer_events *ev, size_t i, char *buf, size_t n)
{
    const json_t *o = ev->v[i].obj ? ev->v[i].obj : ev->v[i].old;
    snprintf(buf, n, "%s:%s", as_informer_event_name(ev->v[i].type),
             json_string_value(json_object_get(json_object_get(o, "metadata"), "name")));
    return buf;
}

START_TEST(keys_are_namespace_slash_name_or_name)
{
    char key[AS_INFORMER_KEY_MAX], small[4];
    json_t *a = obj("ns1", "web", "u1", "1"), *b = obj(NULL, "node-1", "u2", "1");
    json_t *bad = json_pack("{s:{s:s}}", "metadata", "namespace", "x");

    ck_assert_int_eq(as_informer_object_key(a, key, sizeof(key)), AS_OK);
    ck_assert_str_eq(key, "ns1/web");
    ck_assert_int_eq(as_informer_object_key(b, key, sizeof(key)), AS_OK);
    ck_assert_str_eq(key, "node-1");
    ck_assert_int_eq(as_informer_object_key(bad, key, sizeof(key)), AS_E_MISSING);
    ck_assert_int_eq(as_informer_object_key(a, small, sizeof(small)), AS_E_LIMIT);
    json_decref(a);
    json_decref(b);
    json_decref(bad);
}
END_TEST

START_TEST(first_list_into_empty_cache_adds_everything_in_order)
{
    json_t *items = json_pack("[o,o]", obj("n", "b", "ub", "5"), obj("n", "a", "ua", "3"));
    json_t *map = NULL;
    struct as_informer_events ev = {0};
    struct as_error err = {0};
    char s[64];

    ck_assert_int_eq(as_informer_diff(NULL, items, &map, &ev, &err), AS_OK);
    ck_assert_uint_eq(ev.n, 2);
    ck_assert_str_eq(ev_str(&ev, 0, s, sizeof(s)), "ADD:b");
    ck_assert_str_eq(ev_str(&ev, 1, s, sizeof(s)), "ADD:a");
    ck_assert_ptr_null(ev.v[0].old);
    ck_assert_uint_eq(json_object_size(map), 2);
    ck_assert_ptr_eq(json_object_get(map, "n/a"), json_array_get(items, 1));
    as_informer_events_free(&ev);
    json_decref(map);
    json_decref(items);
}
END_TEST

START_TEST(relist_reports_vanished_changed_new_and_recreated)
{
    json_t *old = map_of(obj("n", "keep", "u1", "10"), obj("n", "gone", "u2", "11"),
                         obj("n", "chg", "u3", "12"));
    json_t *recreated_old = obj("n", "again", "u4", "13");
    json_t *items, *map = NULL;
    struct as_informer_events ev = {0};
    struct as_error err = {0};
    char s[64];

    json_object_set_new(old, "n/again", recreated_old);
    items = json_pack("[o,o,o,o]", obj("n", "keep", "u1", "10"), obj("n", "chg", "u3", "20"),
                      obj("n", "new", "u5", "21"), obj("n", "again", "u6", "22"));
    ck_assert_int_eq(as_informer_diff(old, items, &map, &ev, &err), AS_OK);
    ck_assert_uint_eq(ev.n, 5);
    /* Vanished objects first, then the list in order; "keep" is unchanged: no event. */
    ck_assert_str_eq(ev_str(&ev, 0, s, sizeof(s)), "DELETE:gone");
    ck_assert_str_eq(ev_str(&ev, 1, s, sizeof(s)), "UPDATE:chg");
    ck_assert_str_eq(ev_str(&ev, 2, s, sizeof(s)), "ADD:new");
    ck_assert_str_eq(ev_str(&ev, 3, s, sizeof(s)), "DELETE:again");
    ck_assert_str_eq(ev_str(&ev, 4, s, sizeof(s)), "ADD:again");
    /* UPDATE carries the old and the new object. */
    ck_assert_ptr_eq(ev.v[1].old, json_object_get(old, "n/chg"));
    ck_assert_ptr_eq(ev.v[1].obj, json_array_get(items, 1));
    ck_assert_ptr_eq(ev.v[3].old, recreated_old);
    /* The unchanged object keeps the cached reference; the rest come from the list. */
    ck_assert_uint_eq(json_object_size(map), 4);
    ck_assert_ptr_eq(json_object_get(map, "n/keep"), json_object_get(old, "n/keep"));
    ck_assert_ptr_eq(json_object_get(map, "n/chg"), json_array_get(items, 1));
    ck_assert_ptr_null(json_object_get(map, "n/gone"));
    as_informer_events_free(&ev);
    ck_assert_ptr_null(ev.v);
    json_decref(map);
    json_decref(items);
    json_decref(old);
}
END_TEST

START_TEST(unchanged_relist_has_no_events_and_shares_references)
{
    json_t *old = map_of(obj("n", "a", "u1", "1"), obj("n", "b", "u2", "2"), NULL);
    json_t *items = json_pack("[o,o]", obj("n", "a", "u1", "1"), obj("n", "b", "u2", "2"));
    json_t *map = NULL;
    struct as_informer_events ev = {0};
    struct as_error err = {0};

    ck_assert_int_eq(as_informer_diff(old, items, &map, &ev, &err), AS_OK);
    ck_assert_uint_eq(ev.n, 0);
    ck_assert_ptr_eq(json_object_get(map, "n/a"), json_object_get(old, "n/a"));
    ck_assert_ptr_eq(json_object_get(map, "n/b"), json_object_get(old, "n/b"));
    json_decref(map);
    json_decref(items);
    json_decref(old);
}
END_TEST

START_TEST(empty_list_deletes_everything)
{
    json_t *old = map_of(obj("n", "a", "u1", "1"), obj(NULL, "c", "u3", "3"), NULL);
    json_t *items = json_array(), *map = NULL;
    struct as_informer_events ev = {0};
    struct as_error err = {0};
    char s[64];

    ck_assert_int_eq(as_informer_diff(old, items, &map, &ev, &err), AS_OK);
    ck_assert_uint_eq(ev.n, 2);
    ck_assert_str_eq(ev_str(&ev, 0, s, sizeof(s)), "DELETE:a");
    ck_assert_str_eq(ev_str(&ev, 1, s, sizeof(s)), "DELETE:c");
    ck_assert_ptr_null(ev.v[0].obj);
    ck_assert_uint_eq(json_object_size(map), 0);
    as_informer_events_free(&ev);
    json_decref(map);
    json_decref(items);
    json_decref(old);
}
END_TEST

START_TEST(malformed_items_fail_without_events)
{
    json_t *old = map_of(obj("n", "a", "u1", "1"), NULL, NULL);
    json_t *items = json_pack("[o,{s:{}}]", obj("n", "b", "u2", "2"), "metadata");
    json_t *map = NULL, *notarr = json_object();
    struct as_informer_events ev = {0};
    struct as_error err = {0};

    ck_assert_int_eq(as_informer_diff(old, items, &map, &ev, &err), AS_E_PARSE);
    ck_assert_ptr_nonnull(strstr(err.message, "items[1]"));
    ck_assert_ptr_null(map);
    ck_assert_uint_eq(ev.n, 0);
    ck_assert_int_eq(as_informer_diff(old, notarr, &map, &ev, &err), AS_E_PARSE);
    ck_assert_ptr_nonnull(strstr(err.message, "expected array"));
    json_decref(items);
    json_decref(notarr);
    json_decref(old);
}
END_TEST

START_TEST(backoff_is_jittered_exponential_and_capped)
{
    struct as_backoff b;
    long prev = 0;

    ck_assert_int_eq(as_backoff_delay_ms(1000, 30000, 0.25, 0, 0.0), 1000);
    ck_assert_int_eq(as_backoff_delay_ms(1000, 30000, 0.25, 0, 0.5), 1125);
    ck_assert_int_eq(as_backoff_delay_ms(1000, 30000, 0.25, 1, 0.0), 2000);
    ck_assert_int_eq(as_backoff_delay_ms(1000, 30000, 0.25, 4, 0.0), 16000);
    ck_assert_int_eq(as_backoff_delay_ms(1000, 30000, 0.25, 4, 0.99), 19960);
    ck_assert_int_eq(as_backoff_delay_ms(1000, 30000, 0.25, 5, 0.0), 30000);
    ck_assert_int_eq(as_backoff_delay_ms(1000, 30000, 0.25, 5, 0.9), 30000);
    ck_assert_int_eq(as_backoff_delay_ms(1000, 30000, 0.25, 1000, 0.5), 30000);
    as_backoff_init(&b, 1000, 30000, 0.25);
    for (int i = 0; i < 8; i++) {
        long d = as_backoff_next(&b);
        long base = i < 5 ? 1000L << i : 30000;
        ck_assert_int_ge(d, base);
        ck_assert_int_le(d, base + base / 4 > 30000 ? 30000 : base + base / 4);
        ck_assert_int_ge(d, prev);
        prev = d;
    }
    as_backoff_reset(&b);
    ck_assert_int_le(as_backoff_next(&b), 1250);
}
END_TEST

/* An object with a controller owner and a label. New reference. */
static json_t *owned(const char *name, const char *owner_uid, const char *app)
{
    json_t *o = obj("n", name, name, "1");
    json_t *m = json_object_get(o, "metadata");

    json_object_set_new(m, "labels", json_pack("{s:s}", "app", app));
    json_object_set_new(m, "ownerReferences",
                        json_pack("[{s:s,s:b},{s:s,s:b}]", "uid", "not-controller", "controller", 0,
                                  "uid", owner_uid, "controller", 1));
    return o;
}

START_TEST(cache_shares_references_and_keeps_indexes_current)
{
    struct as_cache *c = NULL;
    struct as_error err = {0};
    json_t *a = owned("a", "owner-1", "web"), *b = owned("b", "owner-1", "db");
    json_t *a2 = owned("a", "owner-2", "web"), *old = NULL, *got, *arr, *map;

    ck_assert_int_eq(as_cache_new("app", &c, &err), AS_OK);
    ck_assert_str_eq(as_cache_controller_uid(a), "owner-1");
    ck_assert_int_eq(as_cache_put(c, "n/a", a, &old), AS_OK);
    ck_assert_ptr_null(old);
    ck_assert_int_eq(as_cache_put(c, "n/b", b, NULL), AS_OK);
    got = as_cache_get(c, "n/a");
    ck_assert_ptr_eq(got, a); /* the same immutable object, one more reference */
    ck_assert_int_eq(got->refcount, 3);
    json_decref(got);
    arr = as_cache_by_owner(c, "owner-1");
    ck_assert_uint_eq(json_array_size(arr), 2);
    json_decref(arr);
    arr = as_cache_by_owner(c, "not-controller");
    ck_assert_uint_eq(json_array_size(arr), 0);
    json_decref(arr);
    /* Replacing a moves it between owner index entries. */
    ck_assert_int_eq(as_cache_put(c, "n/a", a2, &old), AS_OK);
    ck_assert_ptr_eq(old, a);
    json_decref(old);
    arr = as_cache_by_owner(c, "owner-1");
    ck_assert_uint_eq(json_array_size(arr), 1);
    ck_assert_ptr_eq(json_array_get(arr, 0), b);
    json_decref(arr);
    arr = as_cache_by_label(c, "web");
    ck_assert_uint_eq(json_array_size(arr), 1);
    ck_assert_ptr_eq(json_array_get(arr, 0), a2);
    json_decref(arr);
    /* Remove and replace keep the indexes in step. */
    ck_assert_int_eq(as_cache_remove(c, "n/b", &old), AS_OK);
    ck_assert_ptr_eq(old, b);
    json_decref(old);
    arr = as_cache_by_label(c, "db");
    ck_assert_uint_eq(json_array_size(arr), 0);
    json_decref(arr);
    map = json_pack("{s:O}", "n/b", b);
    ck_assert_int_eq(as_cache_replace(c, map), AS_OK);
    ck_assert_uint_eq(as_cache_len(c), 1);
    arr = as_cache_by_owner(c, "owner-2");
    ck_assert_uint_eq(json_array_size(arr), 0);
    json_decref(arr);
    arr = as_cache_list(c);
    ck_assert_uint_eq(json_array_size(arr), 1);
    ck_assert_ptr_eq(json_array_get(arr, 0), b);
    json_decref(arr);
    as_cache_free(c);
    /* Only our own references remain. */
    ck_assert_int_eq(a->refcount, 1);
    ck_assert_int_eq(b->refcount, 1);
    json_decref(a);
    json_decref(b);
    json_decref(a2);
}
END_TEST

/* A new compact cache indexed by the label "app". */
static struct as_cache *compact_cache(void)
{
    struct as_cache *c = NULL;
    struct as_error err = {0};

    ck_assert_int_eq(as_cache_new("app", &c, &err), AS_OK);
    as_cache_set_compact(c, true);
    return c;
}

START_TEST(compact_cache_hands_out_whole_objects_and_stubs_to_the_writer)
{
    struct as_cache *c = NULL;
    struct as_error err = {0};
    json_t *a = owned("a", "owner-1", "web"), *b = owned("b", "owner-1", "db");
    json_t *a2 = owned("a", "owner-2", "web"), *old = NULL, *got, *arr, *map, *snap;
    struct as_informer_events ev;

    json_object_set_new(json_object_get(a, "spec") ? json_object_get(a, "spec") : a, "big",
                        json_string("a value only the whole object carries"));
    c = compact_cache();
    ck_assert_int_eq(as_cache_put(c, "n/a", a, NULL), AS_OK);
    ck_assert_int_eq(as_cache_put(c, "n/b", b, NULL), AS_OK);
    ck_assert_int_eq(a->refcount, 1); /* not kept: its text is */
    got = as_cache_get(c, "n/a");
    ck_assert_ptr_ne(got, a);
    ck_assert(json_equal(got, a)); /* equal content, a private copy */
    json_decref(got);
    arr = as_cache_by_owner(c, "owner-1");
    ck_assert_uint_eq(json_array_size(arr), 2);
    ck_assert(json_equal(json_array_get(arr, 0), a) || json_equal(json_array_get(arr, 1), a));
    json_decref(arr);
    arr = as_cache_by_label(c, "db");
    ck_assert_uint_eq(json_array_size(arr), 1);
    ck_assert(json_equal(json_array_get(arr, 0), b));
    json_decref(arr);
    /* The old object of a put is the stub: identity, controller and label, no body. */
    ck_assert_int_eq(as_cache_put(c, "n/a", a2, &old), AS_OK);
    ck_assert_str_eq(as_cache_controller_uid(old), "owner-1");
    ck_assert_str_eq(json_string_value(as_json_path(old, "metadata.name")), "a");
    ck_assert_str_eq(json_string_value(as_json_path(old, "metadata.labels.app")), "web");
    ck_assert_ptr_null(json_object_get(old, "big"));
    json_decref(old);
    arr = as_cache_by_owner(c, "owner-1");
    ck_assert_uint_eq(json_array_size(arr), 1);
    json_decref(arr);
    /* A relist diff over the stubs: unchanged stays, changed and new are whole until replace. */
    map = NULL;
    arr = json_pack("[O, O]", b, a2);
    snap = as_cache_snapshot(c);
    ck_assert_ptr_nonnull(snap);
    /* body-less stubs: apiVersion, kind, metadata and the snapshot mark; no body */
    ck_assert_str_eq(json_string_value(as_json_path(snap, "n/b.metadata.uid")), "b");
    ck_assert_uint_eq(json_object_size(json_object_get(snap, "n/b")), 4);
    ck_assert(json_is_true(as_json_path(snap, "n/b._snapshot")));
    ck_assert_int_eq(as_informer_diff(snap, arr, &map, &ev, &err), AS_OK);
    json_decref(snap);
    ck_assert_uint_eq(ev.n, 0);
    as_informer_events_free(&ev);
    ck_assert_int_eq(as_cache_replace(c, map), AS_OK);
    ck_assert_uint_eq(as_cache_len(c), 2);
    got = as_cache_get(c, "n/a");
    ck_assert(json_equal(got, a2));
    json_decref(got);
    json_decref(arr);
    arr = as_cache_list(c);
    ck_assert_uint_eq(json_array_size(arr), 2);
    json_decref(arr);
    as_cache_free(c);
    ck_assert_int_eq(b->refcount, 1);
    json_decref(a);
    json_decref(b);
    json_decref(a2);
}
END_TEST

START_TEST(stored_copy_shares_nothing_with_the_listed_object)
{
    struct as_cache *c = NULL, *plain = NULL;
    struct as_error err = {0};
    json_t *a = owned("a", "owner-1", "web"), *stub, *copy, *copy2, *map, *got;
    json_t *name = as_json_path(a, "metadata.name");

    json_object_set_new(a, "data", json_pack("{s:s}", "big", "only the whole object has this"));
    c = compact_cache();
    ck_assert_int_eq(as_cache_new("app", &plain, &err), AS_OK);
    stub = as_cache_stored_copy(c, a);
    copy = as_cache_stored_copy(plain, a);
    ck_assert_ptr_nonnull(stub);
    ck_assert_ptr_nonnull(copy);
    /* nothing of a is referenced: a list page can be freed whole */
    ck_assert_int_eq(name->refcount, 1);
    ck_assert_int_eq(a->refcount, 1);
    ck_assert_ptr_ne(as_json_path(stub, "metadata.name"), name);
    ck_assert_ptr_null(json_object_get(stub, "data")); /* a stub: identity, no body */
    ck_assert(json_equal(copy, a));
    /* stored as it is, and read back whole */
    map = json_pack("{s:O}", "n/a", stub);
    ck_assert_int_eq(as_cache_replace(c, map), AS_OK);
    copy2 = as_cache_snapshot(c); /* a stub again, made from the entry, no body */
    ck_assert_str_eq(json_string_value(as_json_path(copy2, "n/a.metadata.uid")), "a");
    ck_assert_ptr_null(json_object_get(json_object_get(copy2, "n/a"), "data"));
    json_decref(copy2);
    json_decref(a); /* the listed object goes; the cache's copy stays readable */
    got = as_cache_get(c, "n/a");
    ck_assert_str_eq(json_string_value(as_json_path(got, "metadata.name")), "a");
    ck_assert_str_eq(as_cache_controller_uid(got), "owner-1");
    ck_assert_str_eq(json_string_value(as_json_path(got, "data.big")),
                     "only the whole object has this");
    json_decref(got);
    json_decref(stub);
    json_decref(copy);
    as_cache_free(c);
    as_cache_free(plain);
}
END_TEST

/* Owner uid i % 37 and label value i % 5 of object number i. */
static json_t *numbered(int i)
{
    char name[16], owner[16], app[16];

    snprintf(name, sizeof(name), "o%04d", i);
    snprintf(owner, sizeof(owner), "owner-%d", i % 37);
    snprintf(app, sizeof(app), "app-%d", i % 5);
    return owned(name, owner, app);
}

START_TEST(compact_cache_of_many_objects_keeps_order_and_indexes_through_growth)
{
    struct as_cache *c = NULL;
    json_t *arr, *snap, *o;
    size_t i;
    char key[32];

    c = compact_cache();
    for (int n = 0; n < 1000; n++) { /* far past the first bucket count: the table grows */
        o = numbered(n);
        snprintf(key, sizeof(key), "n/o%04d", n);
        ck_assert_int_eq(as_cache_put(c, key, o, NULL), AS_OK);
        json_decref(o);
    }
    ck_assert_uint_eq(as_cache_len(c), 1000);
    /* owner-3 owns 3, 40, 77, ... in that (insertion) order */
    arr = as_cache_by_owner(c, "owner-3");
    ck_assert_uint_eq(json_array_size(arr), 27);
    json_array_foreach(arr, i, o)
    {
        snprintf(key, sizeof(key), "o%04zu", 3 + 37 * i);
        ck_assert_str_eq(json_string_value(as_json_path(o, "metadata.name")), key);
        ck_assert_str_eq(as_cache_controller_uid(o), "owner-3");
    }
    json_decref(arr);
    arr = as_cache_by_label(c, "app-4");
    ck_assert_uint_eq(json_array_size(arr), 200);
    json_decref(arr);
    /* "owner-3" must not match "owner-30": equal prefixes are different values */
    arr = as_cache_by_owner(c, "owner-");
    ck_assert_uint_eq(json_array_size(arr), 0);
    json_decref(arr);
    /* removing every even object keeps every index in step */
    for (int n = 0; n < 1000; n += 2) {
        snprintf(key, sizeof(key), "n/o%04d", n);
        ck_assert_int_eq(as_cache_remove(c, key, &o), AS_OK);
        ck_assert_str_eq(json_string_value(as_json_path(o, "metadata.name")), key + 2);
        json_decref(o);
    }
    ck_assert_int_eq(as_cache_remove(c, "n/o0000", &o), AS_OK);
    ck_assert_ptr_null(o);
    arr = as_cache_by_owner(c, "owner-3"); /* 3, 77, 151, ...: the odd ones */
    ck_assert_uint_eq(json_array_size(arr), 14);
    json_decref(arr);
    arr = as_cache_by_label(c, "app-4");
    ck_assert_uint_eq(json_array_size(arr), 100);
    json_decref(arr);
    /* a snapshot given back unchanged keeps every object whole and in order */
    snap = as_cache_snapshot(c);
    ck_assert_uint_eq(json_object_size(snap), 500);
    ck_assert_int_eq(as_cache_replace(c, snap), AS_OK);
    arr = as_cache_list(c);
    ck_assert_uint_eq(json_array_size(arr), 500);
    json_array_foreach(arr, i, o)
    {
        json_t *want = numbered((int)(2 * i + 1));
        ck_assert(json_equal(o, want));
        json_decref(want);
    }
    json_decref(arr);
    arr = as_cache_by_owner(c, "owner-3");
    ck_assert_uint_eq(json_array_size(arr), 14);
    json_decref(arr);
    as_cache_free(c);
}
END_TEST

START_TEST(compact_stubs_keep_identity_owner_and_kind_exactly)
{
    struct as_cache *c = NULL;
    json_t *o, *old = NULL, *snap, *ref;
    char key[32], kind[32];

    c = compact_cache();
    o = json_pack("{s:s,s:s,s:{s:s,s:s,s:s,s:s,s:[{s:s,s:s,s:s,s:s,s:b,s:b}]},s:{s:s}}",
                  "apiVersion", "apps/v1", "kind", "Deployment", "metadata", "name", "web",
                  "namespace", "shop", "uid", "u-web", "resourceVersion", "7", "ownerReferences",
                  "apiVersion", "appstack.io/v1alpha1", "kind", "AppStack", "name", "shop", "uid",
                  "u-shop", "controller", 1, "blockOwnerDeletion", 1, "spec", "replicas", "x");
    ck_assert_int_eq(as_cache_put(c, "shop/web", o, NULL), AS_OK);
    ck_assert_int_eq(as_cache_put(c, "shop/web", o, &old), AS_OK);
    ref = as_json_path(o, "metadata.ownerReferences");
    ck_assert(json_equal(as_json_path(old, "metadata.ownerReferences"), ref));
    ck_assert_str_eq(json_string_value(as_json_path(old, "metadata.namespace")), "shop");
    ck_assert_str_eq(json_string_value(as_json_path(old, "metadata.name")), "web");
    ck_assert_str_eq(json_string_value(as_json_path(old, "metadata.resourceVersion")), "7");
    ck_assert_str_eq(json_string_value(json_object_get(old, "apiVersion")), "apps/v1");
    ck_assert_str_eq(json_string_value(json_object_get(old, "kind")), "Deployment");
    ck_assert_ptr_null(json_object_get(old, "spec"));
    json_decref(old);
    json_decref(o);
    /* more kinds than the cache interns: the rest are kept in their entries */
    for (int i = 0; i < 12; i++) {
        snprintf(key, sizeof(key), "c%d", i);
        snprintf(kind, sizeof(kind), "Kind%d", i);
        o = json_pack("{s:s,s:s,s:{s:s,s:s,s:s}}", "apiVersion", "x.io/v1", "kind", kind,
                      "metadata", "name", key, "uid", key, "resourceVersion", "1");
        ck_assert_int_eq(as_cache_put(c, key, o, NULL), AS_OK);
        json_decref(o);
    }
    snap = as_cache_snapshot(c);
    for (int i = 0; i < 12; i++) {
        snprintf(key, sizeof(key), "c%d", i);
        snprintf(kind, sizeof(kind), "Kind%d", i);
        o = json_object_get(snap, key);
        ck_assert_str_eq(json_string_value(json_object_get(o, "kind")), kind);
        ck_assert_str_eq(json_string_value(as_json_path(o, "metadata.name")), key);
        ck_assert_ptr_null(as_json_path(o, "metadata.namespace")); /* cluster-scoped */
        ck_assert_ptr_null(as_json_path(o, "metadata.ownerReferences"));
    }
    json_decref(snap);
    as_cache_free(c);
}
END_TEST

START_TEST(compact_replace_refuses_stubs_whose_bodies_are_gone)
{
    struct as_cache *c = NULL;
    json_t *a = owned("a", "owner-1", "web"), *b = owned("b", "owner-1", "db");
    json_t *a2 = owned("a", "owner-1", "web"), *snap, *stub, *got;

    json_object_set_new(json_object_get(a2, "metadata"), "resourceVersion", json_string("2"));
    json_object_set_new(a2, "data", json_pack("{s:s}", "v", "second"));
    c = compact_cache();
    ck_assert_int_eq(as_cache_put(c, "n/a", a, NULL), AS_OK);
    /* a snapshot stub of a version that has changed since: refused, nothing changes */
    snap = as_cache_snapshot(c);
    ck_assert_int_eq(as_cache_put(c, "n/a", a2, NULL), AS_OK);
    ck_assert_int_eq(as_cache_replace(c, snap), AS_E_MISSING);
    got = as_cache_get(c, "n/a");
    ck_assert(json_equal(got, a2));
    json_decref(got);
    /* a staged stub after its list failed (unstage): refused too */
    stub = as_cache_stored_copy(c, b);
    ck_assert(json_is_true(json_object_get(stub, "_staged")));
    as_cache_unstage(c);
    ck_assert_int_eq(as_cache_replace(c, json_pack("{s:O}", "n/b", stub)), AS_E_MISSING);
    ck_assert_int_eq(as_cache_put(c, "n/b", stub, NULL), AS_E_MISSING);
    ck_assert_uint_eq(as_cache_len(c), 1);
    /* staged again, it is taken whole */
    json_decref(stub);
    stub = as_cache_stored_copy(c, b);
    ck_assert_int_eq(as_cache_replace(c, json_pack("{s:O}", "n/b", stub)), AS_OK);
    got = as_cache_get(c, "n/b");
    ck_assert(json_equal(got, b));
    json_decref(got);
    ck_assert_uint_eq(as_cache_len(c), 1);
    json_decref(stub);
    /* leftovers of a stage are freed with the cache (ASan checks) */
    json_decref(as_cache_stored_copy(c, a));
    as_cache_free(c);
    json_decref(a);
    json_decref(a2);
    json_decref(b);
}
END_TEST

START_TEST(slim_entries_keep_identity_and_what_was_kept_until_the_next_version)
{
    struct as_cache *c = NULL, *plain = NULL;
    struct as_error err = {0};
    json_t *a = owned("a", "owner-1", "web"), *b = owned("b", "owner-1", "web"), *a2, *got, *arr,
           *keep = json_pack("{s:{s:{s:s}}}", "metadata", "annotations", "h", "1"), *snap;

    json_object_set_new(a, "spec", json_pack("{s:i}", "replicas", 3));
    c = compact_cache();
    ck_assert_int_eq(as_cache_put(c, "n/a", a, NULL), AS_OK);
    ck_assert_int_eq(as_cache_put(c, "n/b", b, NULL), AS_OK);
    ck_assert_int_eq(as_cache_slim(c, "n/a", "2", keep), AS_E_MISSING); /* another version */
    ck_assert_int_eq(as_cache_slim(c, "n/x", "1", keep), AS_E_MISSING); /* absent */
    ck_assert_int_eq(as_cache_slim(c, "n/a", "1", keep), AS_OK);
    ck_assert_int_eq(as_cache_slim(c, "n/a", "1", keep), AS_E_MISSING); /* slim already */
    got = as_cache_get(c, "n/a");
    ck_assert(as_cache_is_slim(got));
    ck_assert_ptr_null(json_object_get(got, "spec"));
    ck_assert_str_eq(json_string_value(as_json_path(got, "metadata.annotations.h")), "1");
    ck_assert_str_eq(json_string_value(as_json_path(got, "metadata.name")), "a");
    ck_assert_str_eq(json_string_value(as_json_path(got, "metadata.resourceVersion")), "1");
    ck_assert_str_eq(as_cache_controller_uid(got), "owner-1");
    json_decref(got);
    /* still in every index, in its place */
    arr = as_cache_by_owner(c, "owner-1");
    ck_assert_uint_eq(json_array_size(arr), 2);
    ck_assert(as_cache_is_slim(json_array_get(arr, 0)));
    ck_assert(!as_cache_is_slim(json_array_get(arr, 1)));
    json_decref(arr);
    arr = as_cache_by_label(c, "web");
    ck_assert_uint_eq(json_array_size(arr), 2);
    json_decref(arr);
    arr = as_cache_list(c);
    ck_assert_str_eq(json_string_value(as_json_path(json_array_get(arr, 0), "metadata.name")), "a");
    json_decref(arr);
    /* an unchanged relist keeps it slim */
    snap = as_cache_snapshot(c);
    ck_assert_int_eq(as_cache_replace(c, snap), AS_OK);
    got = as_cache_get(c, "n/a");
    ck_assert(as_cache_is_slim(got));
    json_decref(got);
    /* the next version is whole again */
    a2 = json_deep_copy(a);
    json_object_set_new(json_object_get(a2, "metadata"), "resourceVersion", json_string("2"));
    ck_assert_int_eq(as_cache_put(c, "n/a", a2, NULL), AS_OK);
    got = as_cache_get(c, "n/a");
    ck_assert(!as_cache_is_slim(got));
    ck_assert(json_equal(got, a2));
    json_decref(got);
    /* a plain cache keeps its objects as they are */
    ck_assert_int_eq(as_cache_new(NULL, &plain, &err), AS_OK);
    ck_assert_int_eq(as_cache_put(plain, "n/a", a, NULL), AS_OK);
    ck_assert_int_eq(as_cache_slim(plain, "n/a", "1", keep), AS_E_INVALID_ARG);
    as_cache_free(plain);
    as_cache_free(c);
    json_decref(a);
    json_decref(a2);
    json_decref(b);
    json_decref(keep);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("informer_diff");
    TCase *tc = tcase_create("core");

    tcase_add_test(tc, keys_are_namespace_slash_name_or_name);
    tcase_add_test(tc, first_list_into_empty_cache_adds_everything_in_order);
    tcase_add_test(tc, relist_reports_vanished_changed_new_and_recreated);
    tcase_add_test(tc, unchanged_relist_has_no_events_and_shares_references);
    tcase_add_test(tc, empty_list_deletes_everything);
    tcase_add_test(tc, malformed_items_fail_without_events);
    tcase_add_test(tc, backoff_is_jittered_exponential_and_capped);
    tcase_add_test(tc, cache_shares_references_and_keeps_indexes_current);
    tcase_add_test(tc, compact_cache_hands_out_whole_objects_and_stubs_to_the_writer);
    tcase_add_test(tc, stored_copy_shares_nothing_with_the_listed_object);
    tcase_add_test(tc, compact_cache_of_many_objects_keeps_order_and_indexes_through_growth);
    tcase_add_test(tc, compact_stubs_keep_identity_owner_and_kind_exactly);
    tcase_add_test(tc, compact_replace_refuses_stubs_whose_bodies_are_gone);
    tcase_add_test(tc, slim_entries_keep_identity_and_what_was_kept_until_the_next_version);
    suite_add_tcase(s, tc);
    return as_check_run(s);
}
