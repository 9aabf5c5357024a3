/*
 * test_kube_watch_framer.c - unit tests for the watch stream framer and event
 * decoding: chunks split at every byte boundary, CRLF, empty lines, the line
 * limit, garbage, ERROR events, and that the framer stays failed.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_run.h"
#include "kube/watch_framer.h"

#define MAX_LINES 16

struct collected {
    size_t n;
    char lines[MAX_LINES][256];
    as_status stop_at_line; /* returned for line index stop_index */
    size_t stop_index;
};

static as_status collect(const char *line, size_t len, void *p)
{
    struct collected *c = p;

    ck_assert_uint_lt(c->n, MAX_LINES);
    ck_assert_uint_lt(len, sizeof(c->lines[0]));
    memcpy(c->lines[c->n], line, len);
    c->lines[c->n][len] = '\0';
    c->n++;
    if (c->stop_at_line != AS_OK && c->n - 1 == c->stop_index)
        return c->stop_at_line;
    return AS_OK;
}

static const char stream[] =
    "{\"type\":\"ADDED\",\"object\":{\"metadata\":{\"name\":\"a\"}}}\n"
    "{\"type\":\"MODIFIED\",\"object\":{\"metadata\":{\"name\":\"b\"}}}\r\n"
    "\n"
    "\r\n"
    "{\"type\":\"BOOKMARK\",\"object\":{\"metadata\":{\"resourceVersion\":\"42\"}}}\n";

static void check_three(const struct collected *c)
{
    ck_assert_uint_eq(c->n, 3);
    ck_assert_str_eq(c->lines[0],
                     "{\"type\":\"ADDED\",\"object\":{\"metadata\":{\"name\":\"a\"}}}");
    ck_assert_str_eq(c->lines[1],
                     "{\"type\":\"MODIFIED\",\"object\":{\"metadata\":{\"name\":\"b\"}}}");
    ck_assert_str_eq(c->lines[2], "{\"type\":\"BOOKMARK\",\"object\":{\"metadata\":{"
                                  "\"resourceVersion\":\"42\"}}}");
}

START_TEST(one_chunk)
{
    struct as_watch_framer f;
    struct collected c = {0};
    struct as_error err = {0};

    as_watch_framer_init(&f, 1024);
    ck_assert_int_eq(as_watch_framer_feed(&f, stream, strlen(stream), collect, &c, &err), AS_OK);
    check_three(&c);
    ck_assert_uint_eq(as_watch_framer_pending(&f), 0);
    ck_assert_uint_eq(f.lines, 3);
    as_watch_framer_free(&f);
}
END_TEST

START_TEST(split_at_every_boundary)
{
    size_t len = strlen(stream);

    for (size_t i = 0; i <= len; i++) {
        for (size_t j = i; j <= len; j++) {
            struct as_watch_framer f;
            struct collected c = {0};
            struct as_error err = {0};
            as_watch_framer_init(&f, 1024);
            ck_assert_int_eq(as_watch_framer_feed(&f, stream, i, collect, &c, &err), AS_OK);
            ck_assert_int_eq(as_watch_framer_feed(&f, stream + i, j - i, collect, &c, &err), AS_OK);
            ck_assert_int_eq(as_watch_framer_feed(&f, stream + j, len - j, collect, &c, &err),
                             AS_OK);
            check_three(&c);
            ck_assert_uint_eq(as_watch_framer_pending(&f), 0);
            as_watch_framer_free(&f);
        }
    }
}
END_TEST

START_TEST(byte_by_byte)
{
    struct as_watch_framer f;
    struct collected c = {0};
    struct as_error err = {0};

    as_watch_framer_init(&f, 1024);
    for (size_t i = 0; i < strlen(stream); i++)
        ck_assert_int_eq(as_watch_framer_feed(&f, stream + i, 1, collect, &c, &err), AS_OK);
    check_three(&c);
    as_watch_framer_free(&f);
}
END_TEST

START_TEST(partial_tail_is_pending)
{
    struct as_watch_framer f;
    struct collected c = {0};
    struct as_error err = {0};

    as_watch_framer_init(&f, 1024);
    ck_assert_int_eq(as_watch_framer_feed(&f, "abc\nde", 6, collect, &c, &err), AS_OK);
    ck_assert_uint_eq(c.n, 1);
    ck_assert_uint_eq(as_watch_framer_pending(&f), 2);
    as_watch_framer_free(&f);
}
END_TEST

START_TEST(line_limit_is_exact)
{
    char line[20];
    struct as_watch_framer f;
    struct collected c = {0};
    struct as_error err = {0};

    memset(line, 'x', sizeof(line));
    /* Exactly max bytes (plus CR) passes, across chunks. */
    as_watch_framer_init(&f, 10);
    ck_assert_int_eq(as_watch_framer_feed(&f, line, 6, collect, &c, &err), AS_OK);
    ck_assert_int_eq(as_watch_framer_feed(&f, line, 4, collect, &c, &err), AS_OK);
    ck_assert_int_eq(as_watch_framer_feed(&f, "\r\n", 2, collect, &c, &err), AS_OK);
    ck_assert_uint_eq(c.n, 1);
    ck_assert_str_eq(c.lines[0], "xxxxxxxxxx");
    /* One more byte fails, whether it arrives in one chunk or the tail grows. */
    ck_assert_int_eq(as_watch_framer_feed(&f, line, 11, collect, &c, &err),
                     AS_OK); /* 11 = 10 + CR slack */
    ck_assert_int_eq(as_watch_framer_feed(&f, "\n", 1, collect, &c, &err), AS_E_LIMIT);
    ck_assert_str_eq(err.message, "watch event line exceeds 10 bytes; restart the watch");
    /* And the framer stays failed. */
    ck_assert_int_eq(as_watch_framer_feed(&f, "ok\n", 3, collect, &c, &err), AS_E_LIMIT);
    ck_assert_str_eq(err.message, "watch stream already failed; restart the watch");
    ck_assert_uint_eq(c.n, 1);
    as_watch_framer_free(&f);

    as_watch_framer_init(&f, 10);
    ck_assert_int_eq(as_watch_framer_feed(&f, line, 12, collect, &c, &err), AS_E_LIMIT);
    as_watch_framer_free(&f);
    as_watch_framer_init(&f, 10);
    ck_assert_int_eq(as_watch_framer_feed(&f, line, 11, collect, &c, &err), AS_OK);
    ck_assert_int_eq(as_watch_framer_feed(&f, line, 1, collect, &c, &err), AS_E_LIMIT);
    as_watch_framer_free(&f);
    /* A complete oversized line inside one chunk. */
    as_watch_framer_init(&f, 10);
    ck_assert_int_eq(as_watch_framer_feed(&f, "xxxxxxxxxxx\nok\n", 15, collect, &c, &err),
                     AS_E_LIMIT);
    as_watch_framer_free(&f);
}
END_TEST

START_TEST(callback_status_stops_and_sticks)
{
    struct as_watch_framer f;
    struct collected c = {0};
    struct as_error err = {0};

    c.stop_at_line = AS_E_SHUTDOWN;
    c.stop_index = 1;
    as_watch_framer_init(&f, 100);
    ck_assert_int_eq(as_watch_framer_feed(&f, "a\nb\nc\n", 6, collect, &c, &err), AS_E_SHUTDOWN);
    ck_assert_uint_eq(c.n, 2);
    ck_assert_int_eq(as_watch_framer_feed(&f, "d\n", 2, collect, &c, &err), AS_E_SHUTDOWN);
    ck_assert_uint_eq(c.n, 2);
    as_watch_framer_free(&f);
}
END_TEST

/* Decodes s, expecting AS_E_PARSE with message want. */
static void bad_event(const char *s, const char *want)
{
    enum as_kube_watch_type t;
    json_t *obj = NULL;
    struct as_error err = {0};

    ck_assert_int_eq(as_watch_event_decode(s, strlen(s), &t, &obj, &err), AS_E_PARSE);
    ck_assert_ptr_null(obj);
    ck_assert_str_eq(err.message, want);
}

START_TEST(decode_rejects_garbage)
{
    bad_event("[1,2]", "watch event: expected an object, got an array");
    bad_event("42", "watch event: expected an object, got a scalar");
    bad_event("{\"object\":{}}", "watch event: \"type\" is missing or not a string");
    bad_event("{\"type\":7,\"object\":{}}", "watch event: \"type\" is missing or not a string");
    bad_event("{\"type\":\"ADDED\"}", "watch event ADDED: \"object\" is missing or not an object");
    bad_event("{\"type\":\"ADDED\",\"object\":[]}",
              "watch event ADDED: \"object\" is missing or not an object");
    bad_event("{\"type\":\"EXPLODED\",\"object\":{}}", "watch event: unknown type \"EXPLODED\"");
}
END_TEST

START_TEST(decode_not_json_names_column)
{
    enum as_kube_watch_type t;
    json_t *obj = NULL;
    struct as_error err = {0};

    ck_assert_int_eq(as_watch_event_decode("{\"type\":", 8, &t, &obj, &err), AS_E_PARSE);
    ck_assert(strncmp(err.message, "watch event: not JSON (column ", 30) == 0);
}
END_TEST

START_TEST(decode_events)
{
    static const char *const lines[] = {
        "{\"type\":\"ADDED\",\"object\":{\"kind\":\"ConfigMap\"}}",
        "{\"type\":\"MODIFIED\",\"object\":{\"kind\":\"ConfigMap\"}}",
        "{\"type\":\"DELETED\",\"object\":{\"kind\":\"ConfigMap\"}}",
        "{\"type\":\"BOOKMARK\",\"object\":{\"kind\":\"ConfigMap\"}}",
        "{\"type\":\"ERROR\",\"object\":{\"kind\":\"Status\",\"code\":410,\"reason\":\"Expired\"}}",
    };
    static const enum as_kube_watch_type want[] = {AS_KUBE_WATCH_ADDED, AS_KUBE_WATCH_MODIFIED,
                                                   AS_KUBE_WATCH_DELETED, AS_KUBE_WATCH_BOOKMARK,
                                                   AS_KUBE_WATCH_ERROR};
    static const char *const names[] = {"ADDED", "MODIFIED", "DELETED", "BOOKMARK", "ERROR"};

    for (int i = 0; i < 5; i++) {
        enum as_kube_watch_type t;
        json_t *obj = NULL;
        struct as_error err = {0};
        ck_assert_int_eq(as_watch_event_decode(lines[i], strlen(lines[i]), &t, &obj, &err), AS_OK);
        ck_assert_int_eq(t, want[i]);
        ck_assert_str_eq(as_kube_watch_type_name(t), names[i]);
        ck_assert_ptr_nonnull(json_object_get(obj, "kind"));
        ck_assert_int_eq(obj->refcount, 1); /* the event wrapper was released */
        json_decref(obj);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("kube_watch_framer");
    TCase *tc = tcase_create("core");

    tcase_add_test(tc, one_chunk);
    tcase_add_test(tc, split_at_every_boundary);
    tcase_add_test(tc, byte_by_byte);
    tcase_add_test(tc, partial_tail_is_pending);
    tcase_add_test(tc, line_limit_is_exact);
    tcase_add_test(tc, callback_status_stops_and_sticks);
    tcase_add_test(tc, decode_rejects_garbage);
    tcase_add_test(tc, decode_not_json_names_column);
    tcase_add_test(tc, decode_events);
    suite_add_tcase(s, tc);
    return as_check_run(s);
}
