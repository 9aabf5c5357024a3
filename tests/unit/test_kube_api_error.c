/*
 * test_kube_api_error.c - unit tests for Status decoding: every reason the
 * API server sends, causes, non-Status bodies classified by HTTP code, and
 * the one-line summary.
 */
#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "check_run.h"
#include "kube/api_error.h"
#include "kube/client.h"
#include "kube/client_int.h"

/* Builds a Status body the way kube-apiserver shapes it. */
static void status_body(char *buf, size_t size, long code, const char *reason, const char *msg)
{
    snprintf(buf, size,
             "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\","
             "\"message\":\"%s\",\"reason\":\"%s\",\"details\":{\"name\":\"web\",\"kind\":"
             "\"configmaps\"},\"code\":%ld}",
             msg, reason, code);
}

static const struct {
    long http;
    const char *reason;
    as_status want;
} cases[] = {
    {404, "NotFound", AS_E_API_NOT_FOUND},
    {409, "AlreadyExists", AS_E_API_ALREADY_EXISTS},
    {409, "Conflict", AS_E_API_CONFLICT},
    {422, "Invalid", AS_E_API_INVALID},
    {403, "Forbidden", AS_E_API_FORBIDDEN},
    {401, "Unauthorized", AS_E_API_UNAUTHORIZED},
    {429, "TooManyRequests", AS_E_API_TOO_MANY_REQUESTS},
    {410, "Expired", AS_E_API_GONE},
    {410, "Gone", AS_E_API_GONE},
    {504, "Timeout", AS_E_API_SERVER_TIMEOUT},
    {500, "ServerTimeout", AS_E_API_SERVER_TIMEOUT},
    {500, "InternalError", AS_E_API_INTERNAL},
    {503, "ServiceUnavailable", AS_E_API_UNAVAILABLE},
    {400, "BadRequest", AS_E_API_BAD_REQUEST},
    {405, "MethodNotAllowed", AS_E_API_BAD_REQUEST},
    {415, "UnsupportedMediaType", AS_E_API_BAD_REQUEST},
    {413, "RequestEntityTooLarge", AS_E_API_BAD_REQUEST},
};

START_TEST(each_reason_maps_to_its_code)
{
    char body[1024];
    struct as_kube_api_error e;

    status_body(body, sizeof(body), cases[_i].http, cases[_i].reason, "some message");
    ck_assert_int_eq(as_kube_api_error_decode(cases[_i].http, body, strlen(body), &e),
                     cases[_i].want);
    ck_assert_int_eq(e.code, cases[_i].want);
    ck_assert_int_eq(e.http_code, cases[_i].http);
    ck_assert_str_eq(e.reason, cases[_i].reason);
    ck_assert_str_eq(e.message, "some message");
    ck_assert_str_eq(e.name, "web");
    ck_assert_str_eq(e.kind, "configmaps");
}
END_TEST

START_TEST(reason_wins_over_http_code)
{
    /* A 409 is AlreadyExists or Conflict depending on the reason, never on the text. */
    char body[1024];
    struct as_kube_api_error e;

    status_body(body, sizeof(body), 409, "AlreadyExists", "the object has been modified");
    ck_assert_int_eq(as_kube_api_error_decode(409, body, strlen(body), &e),
                     AS_E_API_ALREADY_EXISTS);
    status_body(body, sizeof(body), 409, "Conflict", "already exists");
    ck_assert_int_eq(as_kube_api_error_decode(409, body, strlen(body), &e), AS_E_API_CONFLICT);
    /* Unknown reason: by code. */
    status_body(body, sizeof(body), 404, "SomethingNew", "x");
    ck_assert_int_eq(as_kube_api_error_decode(404, body, strlen(body), &e), AS_E_API_NOT_FOUND);
}
END_TEST

START_TEST(invalid_keeps_causes)
{
    static const char body[] =
        "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"status\":\"Failure\",\"message\":"
        "\"ConfigMap \\\"x\\\" is invalid: [data.a b: Invalid value, metadata.name: Required]\","
        "\"reason\":\"Invalid\",\"details\":{\"name\":\"x\",\"kind\":\"ConfigMap\",\"causes\":["
        "{\"reason\":\"FieldValueInvalid\",\"message\":\"Invalid value: \\\"a b\\\"\","
        "\"field\":\"data.a b\"},"
        "{\"reason\":\"FieldValueRequired\",\"message\":\"Required value\",\"field\":"
        "\"metadata.name\"}]},\"code\":422}";
    struct as_kube_api_error e;
    struct as_error err = {0};

    ck_assert_int_eq(as_kube_api_error_decode(422, body, strlen(body), &e), AS_E_API_INVALID);
    ck_assert_uint_eq(e.ncauses, 2);
    ck_assert_uint_eq(e.ncauses_total, 2);
    ck_assert_str_eq(e.causes[0].type, "FieldValueInvalid");
    ck_assert_str_eq(e.causes[0].field, "data.a b");
    ck_assert_str_eq(e.causes[0].message, "Invalid value: \"a b\"");
    ck_assert_str_eq(e.causes[1].field, "metadata.name");
    ck_assert_int_eq(as_kube_api_error_to_error(&e, "POST /api/v1/namespaces/n/configmaps", &err),
                     AS_E_API_INVALID);
    ck_assert_str_eq(err.message,
                     "POST /api/v1/namespaces/n/configmaps: Invalid (HTTP 422): ConfigMap \"x\" "
                     "is invalid: [data.a b: Invalid value, metadata.name: Required]");
}
END_TEST

START_TEST(causes_listed_when_message_is_empty_and_capped)
{
    char body[8192];
    size_t n;
    struct as_kube_api_error e;
    struct as_error err = {0};

    n = (size_t)snprintf(body, sizeof(body),
                         "{\"kind\":\"Status\",\"reason\":\"Invalid\","
                         "\"details\":{\"causes\":[");
    for (int i = 0; i < 20; i++)
        n += (size_t)snprintf(body + n, sizeof(body) - n,
                              "%s{\"field\":\"f%d\",\"message\":\"m%d\"}", i ? "," : "", i, i);
    snprintf(body + n, sizeof(body) - n, "]}}");
    ck_assert_int_eq(as_kube_api_error_decode(422, body, strlen(body), &e), AS_E_API_INVALID);
    ck_assert_uint_eq(e.ncauses, AS_KUBE_MAX_CAUSES);
    ck_assert_uint_eq(e.ncauses_total, 20);
    as_kube_api_error_to_error(&e, NULL, &err);
    ck_assert(strncmp(err.message, "Invalid (HTTP 422); f0: m0; f1: m1; f2: m2", 42) == 0);
}
END_TEST

START_TEST(non_status_bodies_by_http_code)
{
    static const char html[] = "<html>Bad Gateway</html>\n";
    struct as_kube_api_error e;
    struct as_error err = {0};

    ck_assert_int_eq(as_kube_api_error_decode(502, html, strlen(html), &e), AS_E_API_INTERNAL);
    ck_assert_str_eq(e.reason, "");
    ck_assert_str_eq(e.message, "<html>Bad Gateway</html> ");
    as_kube_api_error_to_error(&e, "GET /x", &err);
    ck_assert_str_eq(err.message, "GET /x: InternalError (HTTP 502): <html>Bad Gateway</html> ");
    ck_assert_int_eq(as_kube_api_error_decode(404, "", 0, &e), AS_E_API_NOT_FOUND);
    ck_assert_int_eq(as_kube_api_error_decode(401, "{\"kind\":\"Other\"}", 16, &e),
                     AS_E_API_UNAUTHORIZED);
    ck_assert_int_eq(as_kube_api_error_decode(418, NULL, 0, &e), AS_E_API_BAD_REQUEST);
    ck_assert_int_eq(as_kube_api_error_decode(599, NULL, 0, &e), AS_E_API_INTERNAL);
    ck_assert_int_eq(as_kube_api_error_decode(302, NULL, 0, &e), AS_E_API_OTHER);
    ck_assert_int_eq(as_kube_classify(504, NULL), AS_E_API_SERVER_TIMEOUT);
    ck_assert_int_eq(as_kube_classify(410, ""), AS_E_API_GONE);
}
END_TEST

START_TEST(watch_error_event_object)
{
    json_t *st = json_pack("{s:s,s:s,s:s,s:s,s:i}", "kind", "Status", "apiVersion", "v1", "message",
                           "too old resource version: 5 (20)", "reason", "Expired", "code", 410);
    struct as_kube_api_error e;

    ck_assert_int_eq(as_kube_api_error_from_json(0, st, &e), AS_E_API_GONE);
    ck_assert_int_eq(e.http_code, 410);
    ck_assert_str_eq(e.message, "too old resource version: 5 (20)");
    json_decref(st);
    ck_assert_int_eq(as_kube_api_error_from_json(0, NULL, &e), AS_E_API_OTHER);
}
END_TEST

START_TEST(retry_after_seconds_detail)
{
    static const char body[] = "{\"kind\":\"Status\",\"reason\":\"TooManyRequests\",\"message\":"
                               "\"slow down\",\"details\":{\"retryAfterSeconds\":3},\"code\":429}";
    struct as_kube_api_error e;

    ck_assert_int_eq(as_kube_api_error_decode(429, body, strlen(body), &e),
                     AS_E_API_TOO_MANY_REQUESTS);
    ck_assert_int_eq(e.retry_after_seconds, 3);
}
END_TEST

START_TEST(clear_and_response_init_empty_everything_but_the_causes_array)
{
    static struct as_kube_response resp;
    const char *body = "{\"kind\":\"Status\",\"reason\":\"Invalid\",\"code\":422,"
                       "\"details\":{\"causes\":[{\"field\":\"spec.x\"}]}}";

    memset(&resp, 0xab, sizeof(resp));
    as_kube_response_init(&resp);
    ck_assert_int_eq(resp.http_code, 0);
    ck_assert_ptr_null(resp.body.data);
    ck_assert_uint_eq(resp.body.len, 0);
    ck_assert_int_eq(resp.attempts, 0);
    ck_assert_int_eq(resp.retry_after_seconds, 0);
    ck_assert_int_eq(resp.api.code, AS_OK);
    ck_assert_str_eq(resp.api.reason, "");
    ck_assert_str_eq(resp.api.message, "");
    ck_assert_str_eq(resp.api.kind, "");
    ck_assert_str_eq(resp.api.name, "");
    ck_assert_uint_eq(resp.api.ncauses, 0);
    ck_assert_uint_eq(resp.api.ncauses_total, 0);
    /* the 13 KiB of causes are not written (that is the point: untouched pages) */
    ck_assert_int_eq((unsigned char)resp.api.causes[0].type[0], 0xab);
    as_kube_response_free(&resp);
    /* a decode after a clear fills what it reports */
    ck_assert_int_eq(as_kube_api_error_decode(422, body, strlen(body), &resp.api),
                     AS_E_API_INVALID);
    ck_assert_uint_eq(resp.api.ncauses, 1);
    ck_assert_str_eq(resp.api.causes[0].field, "spec.x");
    as_kube_api_error_clear(&resp.api);
    ck_assert_int_eq(resp.api.code, AS_OK);
    ck_assert_uint_eq(resp.api.ncauses, 0);
    ck_assert_str_eq(resp.api.reason, "");
}
END_TEST

/* A thread's own last API error: none at first, its own after one (freed when it exits). */
static void *other_thread(void *arg)
{
    struct as_kube_api_error e, got;

    (void)arg;
    if (as_kube_last_api_error(&got) != AS_OK || got.code != AS_OK)
        return "a new thread sees another thread's error";
    as_kube_api_error_clear(&e);
    e.code = AS_E_API_CONFLICT;
    snprintf(e.name, sizeof(e.name), "%s", "theirs");
    as_kube__set_last_api_error(&e);
    if (as_kube_last_api_error(&got) != AS_E_API_CONFLICT || strcmp(got.name, "theirs") != 0)
        return "a thread does not get its own error back";
    return NULL;
}

START_TEST(last_api_error_is_per_thread)
{
    static struct as_kube_api_error e, got;
    pthread_t t;
    void *res = "not joined";

    as_kube_api_error_clear(&e);
    e.code = AS_E_API_NOT_FOUND;
    e.ncauses = 1;
    snprintf(e.causes[0].field, sizeof(e.causes[0].field), "%s", "metadata.name");
    as_kube__set_last_api_error(&e);
    ck_assert_int_eq(pthread_create(&t, NULL, other_thread, NULL), 0);
    ck_assert_int_eq(pthread_join(t, &res), 0);
    ck_assert_msg(res == NULL, "%s", (const char *)res);
    ck_assert_int_eq(as_kube_last_api_error(&got), AS_E_API_NOT_FOUND);
    ck_assert_uint_eq(got.ncauses, 1);
    ck_assert_str_eq(got.causes[0].field, "metadata.name");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("kube_api_error");
    TCase *tc = tcase_create("core");

    tcase_add_loop_test(tc, each_reason_maps_to_its_code, 0,
                        (int)(sizeof(cases) / sizeof(cases[0])));
    tcase_add_test(tc, reason_wins_over_http_code);
    tcase_add_test(tc, invalid_keeps_causes);
    tcase_add_test(tc, causes_listed_when_message_is_empty_and_capped);
    tcase_add_test(tc, non_status_bodies_by_http_code);
    tcase_add_test(tc, watch_error_event_object);
    tcase_add_test(tc, retry_after_seconds_detail);
    tcase_add_test(tc, clear_and_response_init_empty_everything_but_the_causes_array);
    tcase_add_test(tc, last_api_error_is_per_thread);
    suite_add_tcase(s, tc);
    return as_check_run(s);
}
