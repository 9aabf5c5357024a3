/*
 * resources.c - family "resources": cpu and memory requests and limits on
 * every container and init container, per-container and per-pod maxima, and
 * the limit/request ratio bound.
 *
 * As the API server defaults a missing request to the limit, a container
 * with only a limit has a request. A container's size is its limit, else its
 * request. The pod's size is max(sum of containers, largest init container),
 * as the scheduler computes it.
 */
#include <stdio.h>
#include <string.h>

#include "policy/policy_int.h"

static const char *const RES[2] = {"cpu", "memory"};

/* Value of resources.<section>.<res> as a quantity; false when absent or malformed. */
static bool quantity_at(const struct as_jv *c, const char *section, const char *res, double *out)
{
    const struct as_jv *v = as_jv_get(as_jv_get(as_jv_get(c, "resources"), section), res);

    if (as_jv_is_string(v))
        return as_policy_quantity(as_jv_str(v), out);
    if (as_jv_is_number(v)) {
        *out = as_jv_number(v);
        return true;
    }
    return false;
}

/* Formats a quantity for messages: cores with 3 decimals or bytes. */
static void fmt_q(char *buf, size_t n, int r, double v)
{
    if (r == 0)
        snprintf(buf, n, "%gm", v * 1000.0);
    else
        snprintf(buf, n, "%.0f bytes", v);
}

/* Where a container is: its path is built on the first report only. */
struct where {
    const struct as__podspec *ps;
    size_t list, index;
    char path[AS__PATH_MAX / 2]; /* "" until needed */
};

static const char *where_path(struct where *w)
{
    if (w->path[0] == '\0')
        snprintf(w->path, sizeof w->path, "%s.%s[%zu]", w->ps->prefix, as__container_lists[w->list],
                 w->index);
    return w->path;
}

/* Checks one container; adds its size to sum[] (or max into init_max[]). */
static void check_container(struct as_policy_eval *ev, const struct as_jv *c, struct where *w,
                            bool init, double *sum, double *init_max)
{
    const struct as_policy_config *cfg = ev->cfg;
    double maxc[2] = {cfg->max_container_cpu, cfg->max_container_memory};
    char p[AS__PATH_MAX], a[64], b[64];

    for (int r = 0; r < 2; r++) {
        double req = 0, lim = 0, size;
        bool has_req = quantity_at(c, "requests", RES[r], &req);
        bool has_lim = quantity_at(c, "limits", RES[r], &lim);
        uint64_t t = as__clock(ev); /* parsing the quantities is shared: family time only */

        if (!has_req && !has_lim) {
            snprintf(p, sizeof p, "%s.resources.requests.%s", where_path(w), RES[r]);
            as__report(ev, "res-requests-required", p, "no %s request", RES[r]);
        }
        t = as__rule_time(ev, AS_R_RES_REQUESTS_REQUIRED, t);
        if (!has_lim) {
            snprintf(p, sizeof p, "%s.resources.limits.%s", where_path(w), RES[r]);
            as__report(ev, "res-limits-required", p, "no %s limit", RES[r]);
        }
        t = as__rule_time(ev, AS_R_RES_LIMITS_REQUIRED, t);
        if (!has_req && has_lim)
            req = lim, has_req = true;
        size = has_lim ? lim : req;
        if (maxc[r] > 0 && size > maxc[r]) {
            snprintf(p, sizeof p, "%s.resources.%s.%s", where_path(w),
                     has_lim ? "limits" : "requests", RES[r]);
            fmt_q(a, sizeof a, r, size);
            fmt_q(b, sizeof b, r, maxc[r]);
            as__report(ev, "res-container-max", p, "%s %s is above the maximum %s", RES[r], a, b);
        }
        t = as__rule_time(ev, AS_R_RES_CONTAINER_MAX, t);
        if (cfg->max_limit_request_ratio > 0 && has_lim && req > 0 &&
            lim / req > cfg->max_limit_request_ratio) {
            snprintf(p, sizeof p, "%s.resources.limits.%s", where_path(w), RES[r]);
            as__report(ev, "res-limit-request-ratio", p,
                       "%s limit is %.2f times the request (at most %g)", RES[r], lim / req,
                       cfg->max_limit_request_ratio);
        }
        as__rule_time(ev, AS_R_RES_LIMIT_REQUEST_RATIO, t);
        if (init) {
            if (size > init_max[r])
                init_max[r] = size;
        } else {
            sum[r] += size;
        }
    }
}

void as__check_resources(struct as_policy_eval *ev)
{
    const struct as_policy_config *cfg = ev->cfg;
    struct as__podspec ps;
    double sum[2] = {0, 0}, init_max[2] = {0, 0};
    double maxp[2] = {cfg->max_pod_cpu, cfg->max_pod_memory};
    char p[AS__PATH_MAX / 2], a[64], b[64];
    uint64_t t;

    if (!as__podspec_find(ev->obj, &ps))
        return;
    for (size_t l = 0; l < 2; l++) { /* ephemeral containers have no resources */
        const struct as_jv *c;
        size_t i;

        as_jv_array_foreach(as_jv_get(ps.spec, as__container_lists[l]), i, c)
        {
            struct where w = {&ps, l, i, ""};

            check_container(ev, c, &w, l == 1, sum, init_max);
        }
    }
    t = as__clock(ev); /* the sums were made in the container walk */
    for (int r = 0; r < 2; r++) {
        double pod = sum[r] > init_max[r] ? sum[r] : init_max[r];

        if (maxp[r] <= 0 || pod <= maxp[r])
            continue;
        snprintf(p, sizeof p, "%s.containers", ps.prefix);
        fmt_q(a, sizeof a, r, pod);
        fmt_q(b, sizeof b, r, maxp[r]);
        as__report(ev, "res-pod-max", p, "the pod's %s %s is above the maximum %s", RES[r], a, b);
    }
    as__rule_time(ev, AS_R_RES_POD_MAX, t);
}
