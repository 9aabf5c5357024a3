/*
 * reconcile.c - one pass over one AppStack (reconcile.h): read it from the
 * cache, handle deletion and the finalizer, gather facts, render, write the
 * children that differ, prune, and write /status only when it changed.
 * The steps are in operator/README.md; the writes are in reconcile_write.c,
 * the facts in reconcile_gather.c.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "base/json.h"
#include "base/log.h"
#include "kube/object.h"
#include "kube/ops.h"
#include "policycheck.h"
#include "reconcile_int.h"
#include "render/render.h"

#define RETRY_MISSING_MS (30 * 1000L)

/* Every cached child the stack controls, of every served kind (new array). */
static json_t *owned_children(struct as_op_rt *rt, const char *uid)
{
    json_t *all = json_array();
    size_t n;

    as_op_kinds(&n);
    for (size_t i = 0; all != NULL && i < n; i++) {
        struct as_informer *inf = as_op_child_informer(rt, i);
        json_t *mine;

        if (inf == NULL)
            continue;
        mine = as_cache_by_owner(as_informer_cache(inf), uid);
        if (mine != NULL)
            json_array_extend(all, mine);
        json_decref(mine);
    }
    return all;
}

/*
 * The desired objects whose kind the cluster serves (a new array): what
 * status, inventory and pruning speak of. An optional API's objects are left
 * out while it is missing (OptionalAPIsAvailable/APIMissing say so).
 */
static json_t *served_only(struct as_op_rt *rt, const json_t *desired)
{
    json_t *out = json_array(), *obj;
    size_t i;

    json_array_foreach(desired, i, obj)
    {
        int k = as_op_kind_index(json_string_value(json_object_get(obj, "apiVersion")),
                                 json_string_value(json_object_get(obj, "kind")));
        if (k >= 0 && as_op_child_informer(rt, (size_t)k) != NULL)
            json_array_append(out, obj);
    }
    return out;
}

/* The field errors as one message ("a; b; c"), bounded. */
static void join_errors(const struct as_field_errors *e, char *buf, size_t size)
{
    size_t used = 0;

    buf[0] = '\0';
    for (size_t i = 0; i < e->count && used + 1 < size; i++) {
        int n = snprintf(buf + used, size - used, "%s%s", i ? "; " : "", e->items[i]);
        if (n < 0)
            break;
        used += (size_t)n;
    }
}

/* Whether the stored status already reports this generation as InvalidSpec. */
static bool already_reported_invalid(const json_t *stack)
{
    const json_t *status = json_object_get(stack, "status");
    const json_t *c = as_op_condition(status, "Stalled");
    const char *reason = json_string_value(json_object_get(c, "reason"));
    json_t *gen = as_json_path(stack, "metadata.generation");
    json_t *seen = json_object_get(status, "observedGeneration");

    return reason != NULL && strcmp(reason, "InvalidSpec") == 0 && gen != NULL && seen != NULL &&
           json_equal(gen, seen);
}

/* Writes /status by server-side apply when it changed. */
static as_status write_status(struct as_op_pass *p, json_t *status, struct as_error *err)
{
    struct as_kube_write_options wo = {.field_manager = AS_OP_FIELD_MANAGER, .force = true};
    const struct as_kube_resource *res =
        as_kube_resource_by_kind("appstack.io/v1alpha1", "AppStack");
    json_t *body;
    as_status st;

    if (!as_op_status_changed(json_object_get(p->stack, "status"), status))
        return AS_OK;
    body = json_pack("{s:s, s:s, s:{s:s, s:s}, s:O}", "apiVersion", "appstack.io/v1alpha1", "kind",
                     "AppStack", "metadata", "name", p->name, "namespace", p->ns, "status", status);
    if (body == NULL)
        return as_error_set(err, AS_E_NOMEM, "out of memory");
    st = as_kube_apply_status(p->rt->client, res, p->ns, body, &wo, NULL, err);
    json_decref(body);
    return st == AS_E_API_NOT_FOUND ? AS_OK : st; /* deleted meanwhile */
}

/* Renders with the gathered facts; fills desired or errors. */
static as_status render(struct as_op_pass *p, const struct as_op_gathered *g, json_t **desired,
                        struct as_field_errors *errors)
{
    struct as_render_facts rf = {.secrets = g->secrets,
                                 .ref_hashes = g->ref_hashes,
                                 .namespace = p->ns,
                                 .apis = atomic_load(&p->rt->apis)};

    return as_render(p->stack, &rf, desired, errors);
}

/* The pass proper, once the stack is known to be live. */
static void run_pass(struct as_op_pass *p, struct as_op_result *out)
{
    struct as_op_gathered g = {0};
    struct as_field_errors errors;
    struct as_op_status_facts sf = {.now = p->now};
    struct as_error err = {0};
    json_t *desired = NULL, *status = NULL;
    char text[AS_OP_TEXT_MAX], policy_msg[AS_OP_POLICY_MESSAGE_MAX];
    as_status rst = AS_OK, st;
    int64_t next = 0;

    as_field_errors_init(&errors);
    st = as_op_gather(p, &g, &err);
    if (st != AS_OK) {
        as_log_warn("gathering facts failed; retrying", "stack", p->name, "namespace", p->ns,
                    "error", err.message, NULL);
        out->outcome = AS_OP_RETRY;
        out->result = "error";
        goto done;
    }
    rst = render(p, &g, &desired, &errors);
    if (rst == AS_OK) {
        json_t *all = desired;
        desired = served_only(p->rt, all);
        json_decref(all);
    }
    if (rst == AS_OK && desired != NULL) {
        as_op_policy_check(p->stack, desired, p->now, &sf.policy, policy_msg);
        as_op_write_children(p, desired, &g);
        if (!p->retry && p->apply_error[0] == '\0')
            as_op_prune_children(p, desired, g.keep);
    } else if (rst == AS_E_CONFIG && !already_reported_invalid(p->stack)) {
        join_errors(&errors, text, sizeof(text));
        as_op_emit(p, AS_OP_EV_INVALID_SPEC, NULL, text);
        as_log_warn("invalid AppStack spec; nothing changed", "stack", p->name, "namespace", p->ns,
                    "errors", text, NULL);
    }
    sf.apis = atomic_load(&p->rt->apis);
    sf.render_result = rst;
    sf.render_errors = &errors;
    sf.tls = g.tls;
    sf.missing_secrets = g.missing[0] ? g.missing : NULL;
    sf.apply_error = p->apply_error[0] ? p->apply_error : NULL;
    sf.applied = p->applied;
    if (p->applied > 0) {
        /* the children just written are not in p->children yet: re-read the caches */
        json_decref(p->children);
        p->children = owned_children(p->rt, p->uid);
    }
    st = as_op_compute_status(p->stack, rst == AS_OK ? desired : NULL, p->children, &sf, NULL,
                              &status, &err);
    if (st == AS_OK)
        st = write_status(p, status, &err);
    if (st != AS_OK) {
        as_log_warn("status update failed; retrying", "stack", p->name, "namespace", p->ns, "error",
                    err.message, NULL);
        p->retry = true;
    }
    if (p->retry) {
        out->outcome = AS_OP_RETRY;
        out->result = "error";
    } else if (rst == AS_E_CONFIG) {
        out->result = "invalid";
    } else if (g.missing[0] != '\0') {
        out->outcome = AS_OP_REQUEUE_AFTER;
        out->after_ms = RETRY_MISSING_MS;
        out->result = "requeue";
    } else if (status != NULL && as_op_next_deadline(p->stack, status, p->now, &next)) {
        out->outcome = AS_OP_REQUEUE_AFTER;
        out->after_ms = next * 1000L;
    }
done:
    json_decref(status);
    json_decref(desired);
    as_field_errors_free(&errors);
    as_op_gathered_free(&g);
}

void as_op_reconcile(struct as_op_rt *rt, const char *key, struct as_op_result *out)
{
    struct as_op_pass p = {.rt = rt, .now = (int64_t)time(NULL)};
    struct as_error err = {0};
    char ns[64], name[254];
    json_t *stack;
    bool changed = false;

    out->outcome = AS_OP_DONE;
    out->after_ms = 0;
    out->result = "success";
    if (as_kube_split_key(key, ns, sizeof(ns), name, sizeof(name)) != AS_OK || ns[0] == '\0')
        return;
    stack = as_informer_get(rt->stacks, ns, name);
    if (stack == NULL)
        return; /* deleted: garbage collection removes the children */
    p.stack = stack;
    p.ns = ns;
    p.name = name;
    p.uid = json_string_value(as_json_path(stack, "metadata.uid"));
    if (p.uid == NULL)
        goto out;
    p.children = owned_children(rt, p.uid);
    if (as_json_path(stack, "metadata.deletionTimestamp") != NULL) {
        if (as_op_finalize(&p, &err) != AS_OK) {
            as_log_warn("finalizing failed; retrying", "stack", name, "namespace", ns, "error",
                        err.message, NULL);
            out->outcome = AS_OP_RETRY;
            out->result = "error";
        }
        goto out;
    }
    if (as_op_ensure_finalizer(&p, &changed, &err) != AS_OK) {
        as_log_warn("adding the finalizer failed; retrying", "stack", name, "namespace", ns,
                    "error", err.message, NULL);
        out->outcome = AS_OP_RETRY;
        out->result = "error";
        goto out;
    }
    if (changed)
        goto out; /* the update event brings the stack back with the finalizer */
    run_pass(&p, out);
out:
    json_decref(p.held);
    json_decref(p.children);
    json_decref(stack);
}
