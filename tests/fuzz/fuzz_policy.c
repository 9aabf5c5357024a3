/*
 * fuzz_policy.c - libFuzzer target for lib/policy: any bytes read as YAML
 * documents are evaluated by the engine (CREATE of each document, UPDATE and
 * DELETE of document pairs, at both pod-security levels, with an AppStackPolicy
 * and exceptions parsed from the input itself). Nothing may crash or leak,
 * and every violation must carry a rule, a path and a message.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/yaml.h"
#include "policy/policy.h"

/* Aborts when a result is malformed. */
static void check_result(const struct as_policy_result *r)
{
    for (size_t i = 0; i < r->n; i++) {
        if (!r->v[i].rule || !r->v[i].path || !r->v[i].message || r->v[i].mode == AS_POLICY_OFF) {
            fprintf(stderr, "malformed violation %zu\n", i);
            abort();
        }
    }
    if (r->patch && !json_is_array(r->patch))
        abort();
}

static void evaluate(const struct as_policy_config *cfg, enum as_policy_op op, const json_t *obj,
                     const json_t *old, const char *user)
{
    struct as_policy_request req;
    struct as_policy_result res;
    struct as_buf b;

    memset(&req, 0, sizeof req);
    req.op = op;
    req.user = user;
    req.now = 1790000000;
    as_policy_result_init(&res);
    if (as_policy_evaluate_json(cfg, &req, obj, old, NULL, &res) == AS_OK)
        check_result(&res);
    as_buf_init(&b, 1u << 20);
    (void)as_policy_format(&res, AS_POLICY_ENFORCE, "\n", &b);
    as_buf_free(&b);
    as_policy_result_free(&res);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A clock that only moves forward, so the per-rule timing paths run too. */
static uint64_t fake_clock(void)
{
    static uint64_t now;

    return ++now;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct as_policy_config cfg;
    struct as_error err;
    json_t *docs = NULL, *doc;
    size_t i;

    if (as_yaml_to_json((const char *)data, size, &docs, &err) != AS_OK)
        return 0;
    if (as_policy_config_init_default(&cfg) != AS_OK)
        abort();
    cfg.clock_ns = fake_clock;
    json_array_foreach(docs, i, doc)
    {
        (void)as_policy_config_apply_policy(&cfg, doc, &err);
        (void)as_policy_config_add_exception(&cfg, doc, &err);
    }
    for (int level = AS_PSS_BASELINE; level <= AS_PSS_RESTRICTED; level++) {
        cfg.pss_level = (enum as_pss_level)level;
        json_array_foreach(docs, i, doc)
        {
            const json_t *next = json_array_get(docs, i + 1);

            evaluate(&cfg, AS_OP_CREATE, doc, NULL, "fuzzer");
            evaluate(&cfg, AS_OP_DELETE, NULL, doc, "fuzzer");
            if (next)
                evaluate(&cfg, AS_OP_UPDATE, next, doc, "fuzzer");
        }
    }
    as_policy_config_free(&cfg);
    json_decref(docs);
    return 0;
}
