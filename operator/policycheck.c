/*
 * policycheck.c - the stack's rendered objects through the policy engine
 * (policycheck.h).
 */
#include "policycheck.h"

#include <stdio.h>
#include <string.h>

#include "base/json.h"
#include "policy/policy.h"

/* Appends "rule-id path: message" of v to msg (bounded, "; " between). */
static void add_line(char *msg, const struct as_policy_violation *v, const json_t *obj)
{
    size_t used = strlen(msg);
    const char *kind = json_string_value(json_object_get(obj, "kind"));
    const char *name = json_string_value(as_json_path(obj, "metadata.name"));

    if (used + 8 >= AS_OP_POLICY_MESSAGE_MAX)
        return;
    snprintf(msg + used, AS_OP_POLICY_MESSAGE_MAX - used, "%s%s %s/%s %s: %s", used ? "; " : "",
             v->rule->id, kind ? kind : "?", name ? name : "?", v->path ? v->path : "",
             v->message ? v->message : "");
}

void as_op_policy_check(const json_t *appstack, const json_t *desired, int64_t now,
                        struct as_op_policy_facts *out, char msg[AS_OP_POLICY_MESSAGE_MAX])
{
    struct as_policy_config cfg;
    const char *profile = json_string_value(as_json_path(appstack, "spec.profile"));
    const json_t *obj;
    size_t i;

    memset(out, 0, sizeof(*out));
    msg[0] = '\0';
    if (as_policy_config_init_default(&cfg) != AS_OK)
        return;
    cfg.mutate = false;
    cfg.pss_level =
        profile != NULL && strcmp(profile, "baseline") == 0 ? AS_PSS_BASELINE : AS_PSS_RESTRICTED;
    out->evaluated = true;
    json_array_foreach(desired, i, obj)
    {
        struct as_policy_request req = {
            .op = AS_OP_CREATE, .user = cfg.operator_service_account, .dry_run = true, .now = now};
        struct as_policy_result res;

        as_policy_result_init(&res);
        if (as_policy_evaluate_json(&cfg, &req, obj, NULL, NULL, &res) == AS_OK) {
            for (size_t k = 0; k < res.n; k++) {
                if (res.v[k].mode != AS_POLICY_ENFORCE && res.v[k].mode != AS_POLICY_WARN)
                    continue;
                out->violations++;
                add_line(msg, &res.v[k], obj);
            }
        }
        as_policy_result_free(&res);
    }
    out->compliant = out->violations == 0;
    out->message = msg[0] ? msg : NULL;
    as_policy_config_free(&cfg);
}
