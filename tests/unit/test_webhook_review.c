/* test_webhook_review.c - unit tests for webhook/review: AdmissionReview decoding (bounds,
 * malformed input, field-naming errors) and response encoding (uid echo, status, warnings,
 * base64 JSONPatch, audit annotations). */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "check_run.h"
#include "../../webhook/review.h"

#define ENVELOPE "\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\""
#define POD "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"p\"}}"

/* Decodes s expecting failure with code; returns the message in a static buffer. */
static const char *decode_fails(const char *s, as_status code)
{
    static struct as_error err;
    struct as_review_request r;

    memset(&r, 0x5a, sizeof(r));
    ck_assert_int_eq(as_review_decode(s, strlen(s), &r, &err), code);
    ck_assert_uint_eq(((unsigned char *)&r)[0], 0x5a); /* out untouched */
    return err.message;
}

START_TEST(decodes_a_full_update_request)
{
    const char *s = "{" ENVELOPE ",\"request\":{\"uid\":\"705ab4f5\",\"kind\":{\"group\":\"apps\","
                    "\"version\":\"v1\",\"kind\":\"Deployment\"},\"resource\":{\"resource\":"
                    "\"deployments\"},\"namespace\":\"shop\",\"name\":\"web\",\"operation\":"
                    "\"UPDATE\",\"userInfo\":{\"username\":\"alice\"},\"object\":" POD
                    ",\"oldObject\":" POD ",\"dryRun\":true}}";
    struct as_review_request r;
    struct as_error err;

    ck_assert_int_eq(as_review_decode(s, strlen(s), &r, &err), AS_OK);
    ck_assert_str_eq(r.uid, "705ab4f5");
    ck_assert_str_eq(r.group, "apps");
    ck_assert_str_eq(r.kind, "Deployment");
    ck_assert_str_eq(r.resource, "deployments");
    ck_assert_str_eq(r.namespace, "shop");
    ck_assert_str_eq(r.name, "web");
    ck_assert_str_eq(r.operation, "UPDATE");
    ck_assert_str_eq(r.username, "alice");
    ck_assert_ptr_nonnull(r.object);
    ck_assert_ptr_nonnull(r.old_object);
    ck_assert(r.dry_run);
    as_review_request_free(&r);
}
END_TEST

START_TEST(create_takes_the_name_from_the_object)
{
    const char *s = "{" ENVELOPE ",\"request\":{\"uid\":\"u\",\"kind\":{\"kind\":\"Pod\"},"
                    "\"operation\":\"CREATE\",\"object\":" POD "}}";
    struct as_review_request r;
    struct as_error err;

    ck_assert_int_eq(as_review_decode(s, strlen(s), &r, &err), AS_OK);
    ck_assert_str_eq(r.name, "p");
    ck_assert_str_eq(r.namespace, "");
    ck_assert(!r.dry_run);
    as_review_request_free(&r);
}
END_TEST

START_TEST(malformed_and_wrong_inputs_name_the_field)
{
    ck_assert_ptr_nonnull(strstr(decode_fails("{\"a\":", AS_E_PARSE), "request body: line 1"));
    ck_assert_ptr_nonnull(strstr(decode_fails("", AS_E_PARSE), "request body"));
    ck_assert_ptr_nonnull(
        strstr(decode_fails("[1]", AS_E_INVALID_ARG), "expected an AdmissionReview object"));
    ck_assert_ptr_nonnull(strstr(
        decode_fails("{\"apiVersion\":\"admission.k8s.io/v1beta1\",\"kind\":\"AdmissionReview\"}",
                     AS_E_INVALID_ARG),
        "admissionReviewVersions: [v1]"));
    ck_assert_ptr_nonnull(strstr(
        decode_fails("{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"Foo\"}", AS_E_INVALID_ARG),
        "kind: expected \"AdmissionReview\""));
    ck_assert_str_eq(decode_fails("{" ENVELOPE "}", AS_E_INVALID_ARG),
                     "request: required value is missing");
    ck_assert_ptr_nonnull(strstr(decode_fails("{" ENVELOPE ",\"request\":{}}", AS_E_INVALID_ARG),
                                 "request.uid: required value is missing"));
    ck_assert_ptr_nonnull(
        strstr(decode_fails("{" ENVELOPE ",\"request\":{\"uid\":7}}", AS_E_INVALID_ARG),
               "request.uid: expected string, got integer"));
    ck_assert_ptr_nonnull(
        strstr(decode_fails("{" ENVELOPE ",\"request\":{\"uid\":\"u\"}}", AS_E_INVALID_ARG),
               "request.kind: required value is missing"));
    ck_assert_ptr_nonnull(
        strstr(decode_fails("{" ENVELOPE ",\"request\":{\"uid\":\"u\",\"kind\":{\"kind\":\"Pod\"},"
                            "\"operation\":\"PATCH\"}}",
                            AS_E_INVALID_ARG),
               "request.operation: \"PATCH\" is not one of"));
    ck_assert_ptr_nonnull(
        strstr(decode_fails("{" ENVELOPE ",\"request\":{\"uid\":\"u\",\"kind\":{\"kind\":\"Pod\"},"
                            "\"operation\":\"CREATE\"}}",
                            AS_E_INVALID_ARG),
               "request.object: required for CREATE"));
    ck_assert_ptr_nonnull(
        strstr(decode_fails("{" ENVELOPE ",\"request\":{\"uid\":\"u\",\"kind\":{\"kind\":\"Pod\"},"
                            "\"operation\":\"UPDATE\",\"object\":{}}}",
                            AS_E_INVALID_ARG),
               "request.oldObject: required for UPDATE"));
    ck_assert_ptr_nonnull(
        strstr(decode_fails("{" ENVELOPE ",\"request\":{\"uid\":\"u\",\"kind\":{\"kind\":\"Pod\"},"
                            "\"operation\":\"CREATE\",\"object\":[]}}",
                            AS_E_INVALID_ARG),
               "request.object: expected object, got array"));
    ck_assert_ptr_nonnull(
        strstr(decode_fails("{" ENVELOPE ",\"request\":{\"uid\":\"u\",\"kind\":{\"kind\":\"Pod\"},"
                            "\"operation\":\"DELETE\",\"dryRun\":\"yes\"}}",
                            AS_E_INVALID_ARG),
               "request.dryRun: expected boolean"));
    ck_assert_ptr_nonnull(strstr(decode_fails("{\"a\":1,\"a\":2}", AS_E_PARSE), "duplicate"));
}
END_TEST

START_TEST(bodies_over_the_limit_are_refused_before_parsing)
{
    size_t n = AS_REVIEW_MAX_BODY + 1;
    char *big = malloc(n);
    struct as_review_request r;
    struct as_error err;

    memset(big, ' ', n);
    ck_assert_int_eq(as_review_decode(big, n, &r, &err), AS_E_LIMIT);
    ck_assert_ptr_nonnull(strstr(err.message, "over the limit of 3145728 bytes"));
    free(big);
}
END_TEST

START_TEST(uid_length_is_bounded)
{
    char s[512];
    char uid[AS_REVIEW_MAX_UID + 2];

    memset(uid, 'a', sizeof(uid) - 1);
    uid[sizeof(uid) - 1] = '\0';
    snprintf(s, sizeof(s), "{" ENVELOPE ",\"request\":{\"uid\":\"%s\"}}", uid);
    ck_assert_ptr_nonnull(strstr(decode_fails(s, AS_E_INVALID_ARG), "longer than 128"));
}
END_TEST

START_TEST(base64_matches_rfc4648_vectors)
{
    static const char *const in[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
    static const char *const out[] = {"",         "Zg==",     "Zm8=",    "Zm9v",
                                      "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
    for (size_t i = 0; i < 7; i++) {
        struct as_buf b;
        as_buf_init(&b, 64);
        ck_assert_int_eq(as_review_base64(in[i], strlen(in[i]), &b), AS_OK);
        ck_assert_str_eq(b.data != NULL ? b.data : "", out[i]);
        as_buf_free(&b);
    }
}
END_TEST

START_TEST(encodes_a_denial_with_warnings_and_annotations)
{
    const char *w[] = {"res-limits-required spec.x: no cpu limit — set it"};
    json_t *ann = json_pack("{ss}", "policy-audit", "a b: c — d");
    struct as_review_response resp = {.uid = "u-1",
                                      .allowed = false,
                                      .code = 403,
                                      .reason = "Forbidden",
                                      .message = "line1\nline2",
                                      .warnings = w,
                                      .n_warnings = 1,
                                      .audit_annotations = ann};
    struct as_buf b;
    json_t *doc, *r;

    as_buf_init(&b, 1 << 20);
    ck_assert_int_eq(as_review_encode(&resp, &b), AS_OK);
    doc = json_loads(b.data, 0, NULL);
    ck_assert_ptr_nonnull(doc);
    ck_assert_str_eq(json_string_value(json_object_get(doc, "apiVersion")), "admission.k8s.io/v1");
    ck_assert_str_eq(json_string_value(json_object_get(doc, "kind")), "AdmissionReview");
    r = json_object_get(doc, "response");
    ck_assert_str_eq(json_string_value(json_object_get(r, "uid")), "u-1");
    ck_assert(json_is_false(json_object_get(r, "allowed")));
    ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(r, "status"), "code")),
                     403);
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(r, "status"), "message")),
                     "line1\nline2");
    ck_assert_str_eq(json_string_value(json_array_get(json_object_get(r, "warnings"), 0)), w[0]);
    ck_assert_str_eq(
        json_string_value(json_object_get(json_object_get(r, "auditAnnotations"), "policy-audit")),
        "a b: c — d");
    ck_assert_ptr_null(json_object_get(r, "patch"));
    json_decref(doc);
    json_decref(ann);
    as_buf_free(&b);
}
END_TEST

START_TEST(encodes_a_patch_as_base64_json_patch)
{
    json_t *patch = json_loads("[{\"op\":\"add\",\"path\":\"/spec/x\",\"value\":false}]", 0, NULL);
    struct as_review_response resp = {.uid = "u-2", .allowed = true, .patch = patch};
    struct as_buf b;
    json_t *doc, *r;

    as_buf_init(&b, 1 << 20);
    ck_assert_int_eq(as_review_encode(&resp, &b), AS_OK);
    doc = json_loads(b.data, 0, NULL);
    r = json_object_get(doc, "response");
    ck_assert(json_is_true(json_object_get(r, "allowed")));
    ck_assert_ptr_null(json_object_get(r, "status"));
    ck_assert_ptr_null(json_object_get(r, "warnings"));
    ck_assert_str_eq(json_string_value(json_object_get(r, "patchType")), "JSONPatch");
    /* base64 of [{"op":"add","path":"/spec/x","value":false}] written out by hand */
    ck_assert_str_eq(json_string_value(json_object_get(r, "patch")),
                     "W3sib3AiOiJhZGQiLCJwYXRoIjoiL3NwZWMveCIsInZhbHVlIjpmYWxzZX1d");
    json_decref(doc);
    json_decref(patch);
    as_buf_free(&b);
}
END_TEST

START_TEST(empty_patch_is_omitted)
{
    json_t *patch = json_array();
    struct as_review_response resp = {.uid = "u-3", .allowed = true, .patch = patch};
    struct as_buf b;

    as_buf_init(&b, 1 << 20);
    ck_assert_int_eq(as_review_encode(&resp, &b), AS_OK);
    ck_assert_ptr_null(strstr(b.data, "patch"));
    json_decref(patch);
    as_buf_free(&b);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("webhook_review");
    TCase *tc = tcase_create("core");

    tcase_add_test(tc, decodes_a_full_update_request);
    tcase_add_test(tc, create_takes_the_name_from_the_object);
    tcase_add_test(tc, malformed_and_wrong_inputs_name_the_field);
    tcase_add_test(tc, bodies_over_the_limit_are_refused_before_parsing);
    tcase_add_test(tc, uid_length_is_bounded);
    tcase_add_test(tc, base64_matches_rfc4648_vectors);
    tcase_add_test(tc, encodes_a_denial_with_warnings_and_annotations);
    tcase_add_test(tc, encodes_a_patch_as_base64_json_patch);
    tcase_add_test(tc, empty_patch_is_omitted);
    suite_add_tcase(s, tc);
    return as_check_run(s);
}
