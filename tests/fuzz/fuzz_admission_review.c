/*
 * fuzz_admission_review.c - libFuzzer target for the webhook's AdmissionReview
 * path: any bytes go through the decoder (webhook/review.c) and, when they
 * decode, through the whole decision (webhook/admit.c: policy evaluation,
 * response encoding) on every endpoint. Decoding must fail with a message or
 * succeed; a decision must give HTTP 200 with a response that parses back,
 * echoes the uid and carries a base64 patch only as JSONPatch. Two endpoints
 * decide inside a request scope of the webhook's allocator (as routes.c
 * does; jsonalloc.h), two outside it, so the arena is fuzzed under ASan too.
 *
 * hack/fuzz links only lib/*, so the webhook sources are compiled in here.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../webhook/admit.c"
#include "../../webhook/appstack.c"
#include "../../webhook/jsonalloc.c"
#include "../../webhook/review.c"
#include "../../webhook/review_json.c"

static struct as_policy_config cfg;
static int ready;

/* Aborts unless body is a well-formed response to uid. */
static void check_response(const struct as_buf *out, const char *uid)
{
    json_t *doc = json_loadb(out->data, out->len, 0, NULL);
    json_t *r = json_object_get(doc, "response");
    const char *got = json_string_value(json_object_get(r, "uid"));

    if (doc == NULL || r == NULL || got == NULL || strcmp(got, uid) != 0 ||
        !json_is_boolean(json_object_get(r, "allowed")) ||
        (json_object_get(r, "patch") != NULL && !json_is_string(json_object_get(r, "patchType"))))
        abort();
    json_decref(doc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const enum as_admit_endpoint eps[] = {AS_ADMIT_VALIDATE, AS_ADMIT_VALIDATE_ENFORCE,
                                                 AS_ADMIT_VALIDATE_ADVISORY, AS_ADMIT_MUTATE};
    struct as_review_request rq;
    struct as_error err = {0};

    if (!ready) {
        as_jsonalloc_install();
        as_policy_config_init_default(&cfg);
        cfg.validators = as_appstack_validator();
        cfg.n_validators = 1;
        ready = 1;
    }
    if (as_review_decode((const char *)data, size, &rq, &err) != AS_OK) {
        if (err.message[0] == '\0')
            abort();
        return 0;
    }
    for (size_t i = 0; i < 4; i++) {
        struct as_admit_env env = {.cfg = &cfg};
        struct as_buf out;
        int status = 0;
        as_status st;
        as_buf_init(&out, 8u * 1024u * 1024u);
        if (i >= 2)
            as_jsonalloc_scope_begin();
        st = as_admit_handle(&env, eps[i], (const char *)data, size, 1800000000, 0, &out, &status);
        if (i >= 2)
            as_jsonalloc_scope_end();
        if (st == AS_OK) {
            if (status != 200)
                abort();
            check_response(&out, rq.uid);
        }
        as_buf_free(&out);
    }
    as_review_request_free(&rq);
    return 0;
}
