/*
 * test_operator_events.c - unit tests for operator/events: the core/v1
 * Event shape, stable aggregating names, repeat patches, message truncation
 * at UTF-8 boundaries, and input errors.
 */
#include <check.h>
#include <string.h>

#include "check_run.h"
#include "../../operator/events.h"
#include "op_test_util.h"

static json_t *stack;

static void setup(void)
{
    stack = ot_yaml("apiVersion: appstack.io/v1alpha1\nkind: AppStack\n"
                    "metadata: {name: shop, namespace: prod, uid: u-1, resourceVersion: '7'}\n");
}

static void teardown(void)
{
    json_decref(stack);
}

static struct as_op_event_in created(void)
{
    struct as_op_event_in in = {stack,
                                "shop",
                                "Normal",
                                "Created",
                                "created Deployment shop-api",
                                "appstack-operator-7f9c-abcde"};
    return in;
}

START_TEST(event_has_the_core_v1_shape)
{
    struct as_op_event_in in = created();
    json_t *ev = NULL;
    struct as_error err;
    const char *name;

    ck_assert_int_eq(as_op_event_build(&in, 1767225600, &ev, &err), AS_OK);
    ck_assert_str_eq(json_string_value(json_object_get(ev, "apiVersion")), "v1");
    ck_assert_str_eq(json_string_value(json_object_get(ev, "kind")), "Event");
    name = json_string_value(as_json_path(ev, "metadata.name"));
    ck_assert_uint_eq(strlen(name), strlen("shop.") + 16);
    ck_assert(strncmp(name, "shop.", 5) == 0);
    ck_assert_str_eq(json_string_value(as_json_path(ev, "metadata.namespace")), "prod");
    ck_assert_str_eq(json_string_value(as_json_path(ev, "involvedObject.kind")), "AppStack");
    ck_assert_str_eq(json_string_value(as_json_path(ev, "involvedObject.apiVersion")),
                     "appstack.io/v1alpha1");
    ck_assert_str_eq(json_string_value(as_json_path(ev, "involvedObject.name")), "shop");
    ck_assert_str_eq(json_string_value(as_json_path(ev, "involvedObject.namespace")), "prod");
    ck_assert_str_eq(json_string_value(as_json_path(ev, "involvedObject.uid")), "u-1");
    ck_assert_str_eq(json_string_value(json_object_get(ev, "reason")), "Created");
    ck_assert_str_eq(json_string_value(json_object_get(ev, "message")),
                     "created Deployment shop-api");
    ck_assert_str_eq(json_string_value(json_object_get(ev, "type")), "Normal");
    ck_assert_str_eq(json_string_value(as_json_path(ev, "source.component")), "appstack-operator");
    ck_assert_str_eq(json_string_value(json_object_get(ev, "reportingComponent")),
                     "appstack-operator");
    ck_assert_str_eq(json_string_value(json_object_get(ev, "reportingInstance")),
                     "appstack-operator-7f9c-abcde");
    ck_assert_str_eq(json_string_value(json_object_get(ev, "firstTimestamp")),
                     "2026-01-01T00:00:00Z");
    ck_assert_str_eq(json_string_value(json_object_get(ev, "lastTimestamp")),
                     "2026-01-01T00:00:00Z");
    ck_assert_int_eq(json_integer_value(json_object_get(ev, "count")), 1);
    ck_assert_ptr_null(json_object_get(ev, "eventTime"));
    json_decref(ev);
}
END_TEST

START_TEST(names_are_stable_and_distinguish_what_happened)
{
    struct as_op_event_in in = created();
    char a[AS_OP_EVENT_NAME_MAX], b[AS_OP_EVENT_NAME_MAX], c[AS_OP_EVENT_NAME_MAX];
    json_t *ev1 = NULL, *ev2 = NULL;
    struct as_error err;

    ck_assert_int_eq(as_op_event_name(&in, a, sizeof(a), &err), AS_OK);
    /* the same event at another time, from another replica: the same name */
    in.instance = "other-replica";
    ck_assert_int_eq(as_op_event_build(&in, 100, &ev1, &err), AS_OK);
    ck_assert_int_eq(as_op_event_build(&in, 200, &ev2, &err), AS_OK);
    ck_assert_str_eq(json_string_value(as_json_path(ev1, "metadata.name")), a);
    ck_assert_str_eq(json_string_value(as_json_path(ev2, "metadata.name")), a);
    /* resourceVersion of the stack changes; the name does not */
    json_object_set_new(json_object_get(stack, "metadata"), "resourceVersion", json_string("8"));
    ck_assert_int_eq(as_op_event_name(&in, b, sizeof(b), &err), AS_OK);
    ck_assert_str_eq(a, b);
    /* another reason, message or type: another name */
    in.reason = "Pruned";
    ck_assert_int_eq(as_op_event_name(&in, b, sizeof(b), &err), AS_OK);
    ck_assert_str_ne(a, b);
    in = created();
    in.message = "created Deployment shop-web";
    ck_assert_int_eq(as_op_event_name(&in, c, sizeof(c), &err), AS_OK);
    ck_assert_str_ne(a, c);
    ck_assert_str_ne(b, c);
    /* a re-created stack (new uid) starts new events */
    json_object_set_new(json_object_get(stack, "metadata"), "uid", json_string("u-2"));
    in = created();
    ck_assert_int_eq(as_op_event_name(&in, b, sizeof(b), &err), AS_OK);
    ck_assert_str_ne(a, b);
    json_decref(ev1);
    json_decref(ev2);
}
END_TEST

START_TEST(repeat_patch_bumps_count_and_last_timestamp)
{
    json_t *existing = ot_yaml("{count: 4, lastTimestamp: '2026-01-01T00:00:00Z'}");
    json_t *p = as_op_event_repeat_patch(existing, 1767225600 + 90);

    ck_assert_int_eq(json_integer_value(json_object_get(p, "count")), 5);
    ck_assert_str_eq(json_string_value(json_object_get(p, "lastTimestamp")),
                     "2026-01-01T00:01:30Z");
    ck_assert_uint_eq(json_object_size(p), 2);
    json_decref(p);
    json_object_del(existing, "count");
    p = as_op_event_repeat_patch(existing, 0);
    ck_assert_int_eq(json_integer_value(json_object_get(p, "count")), 2);
    json_decref(p);
    json_decref(existing);
}
END_TEST

START_TEST(long_messages_are_cut_at_a_character_boundary)
{
    char long_msg[3000], out[AS_OP_EVENT_MESSAGE_MAX];
    struct as_op_event_in in = created();
    json_t *ev = NULL;
    struct as_error err;
    size_t i;

    /* "x" then two-byte "é"s: byte 1020 is the middle of an "é", so the cut backs up to 1019 */
    long_msg[0] = 'x';
    for (i = 1; i + 2 < sizeof(long_msg); i += 2)
        memcpy(long_msg + i, "\xc3\xa9", 2);
    long_msg[i] = '\0';
    as_op_event_truncate(long_msg, out, sizeof(out));
    ck_assert_uint_eq(strlen(out), 1019 + 3);
    ck_assert_str_eq(out + 1019, "...");
    ck_assert_int_eq((unsigned char)out[1018], 0xa9); /* ends on a whole "é" */
    memset(long_msg, 'x', 1500);
    long_msg[1500] = '\0';
    as_op_event_truncate(long_msg, out, sizeof(out));
    ck_assert_uint_eq(strlen(out), 1023);
    as_op_event_truncate("short", out, sizeof(out));
    ck_assert_str_eq(out, "short");
    in.message = long_msg;
    ck_assert_int_eq(as_op_event_build(&in, 0, &ev, &err), AS_OK);
    ck_assert_uint_eq(strlen(json_string_value(json_object_get(ev, "message"))), 1023);
    json_decref(ev);
}
END_TEST

START_TEST(bad_input_names_the_field)
{
    struct as_op_event_in in = created();
    json_t *ev = NULL;
    struct as_error err;
    char big[300];

    in.reason = "created";
    ck_assert_int_eq(as_op_event_build(&in, 0, &ev, &err), AS_E_INVALID_ARG);
    ck_assert_ptr_nonnull(strstr(err.message, "reason"));
    in = created();
    in.reason = "Apply Failed";
    ck_assert_int_eq(as_op_event_build(&in, 0, &ev, &err), AS_E_INVALID_ARG);
    in = created();
    in.type = "Error";
    ck_assert_int_eq(as_op_event_build(&in, 0, &ev, &err), AS_E_INVALID_ARG);
    ck_assert_str_eq(err.message, "event: type: \"Error\" is not Normal or Warning");
    in = created();
    in.stack = NULL;
    ck_assert_int_eq(as_op_event_build(&in, 0, &ev, &err), AS_E_INVALID_ARG);
    in = created();
    memset(big, 'a', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    in.stack = big;
    ck_assert_int_eq(as_op_event_build(&in, 0, &ev, &err), AS_E_INVALID_ARG);
    in = created();
    in.involved = NULL;
    ck_assert_int_eq(as_op_event_build(&in, 0, &ev, &err), AS_E_INVALID_ARG);
    ck_assert_ptr_null(ev);
}
END_TEST

START_TEST(usual_events_about_children)
{
    json_t *child = ot_yaml("{apiVersion: apps/v1, kind: Deployment, metadata: {name: shop-api}}");
    json_t *ev = NULL;
    struct as_error err;

    ck_assert_int_eq(as_op_event_for(stack, AS_OP_EV_CREATED, child, NULL, "i", 0, &ev, &err),
                     AS_OK);
    ck_assert_str_eq(json_string_value(json_object_get(ev, "message")),
                     "created Deployment shop-api");
    ck_assert_str_eq(json_string_value(json_object_get(ev, "reason")), "Created");
    ck_assert_str_eq(json_string_value(json_object_get(ev, "type")), "Normal");
    ck_assert_str_eq(json_string_value(as_json_path(ev, "involvedObject.kind")), "AppStack");
    json_decref(ev);
    ck_assert_int_eq(as_op_event_for(stack, AS_OP_EV_PRUNED, child, NULL, "i", 0, &ev, &err),
                     AS_OK);
    ck_assert_str_eq(json_string_value(json_object_get(ev, "message")),
                     "deleted Deployment shop-api: no longer in the spec");
    json_decref(ev);
    ck_assert_int_eq(as_op_event_for(stack, AS_OP_EV_APPLY_FAILED, child,
                                     "admission webhook denied the request", "i", 0, &ev, &err),
                     AS_OK);
    ck_assert_str_eq(json_string_value(json_object_get(ev, "message")),
                     "applying Deployment shop-api failed: admission webhook denied the request");
    ck_assert_str_eq(json_string_value(json_object_get(ev, "type")), "Warning");
    ck_assert_str_eq(json_string_value(json_object_get(ev, "reason")), "ApplyFailed");
    json_decref(ev);
    ck_assert_int_eq(as_op_event_for(stack, AS_OP_EV_INVALID_SPEC, NULL,
                                     "spec.components[0].port: must be between 1 and 65535", "i", 0,
                                     &ev, &err),
                     AS_OK);
    ck_assert_str_eq(json_string_value(json_object_get(ev, "message")),
                     "spec.components[0].port: must be between 1 and 65535");
    ck_assert_str_eq(json_string_value(json_object_get(ev, "reason")), "InvalidSpec");
    json_decref(ev);
    ck_assert_int_eq(
        as_op_event_for(stack, (enum as_op_event_what)42, child, NULL, "i", 0, &ev, &err),
        AS_E_INVALID_ARG);
    json_decref(child);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("operator_events");
    TCase *tc = tcase_create("core");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, event_has_the_core_v1_shape);
    tcase_add_test(tc, names_are_stable_and_distinguish_what_happened);
    tcase_add_test(tc, repeat_patch_bumps_count_and_last_timestamp);
    tcase_add_test(tc, long_messages_are_cut_at_a_character_boundary);
    tcase_add_test(tc, bad_input_names_the_field);
    tcase_add_test(tc, usual_events_about_children);
    suite_add_tcase(s, tc);
    return as_check_run(s);
}
