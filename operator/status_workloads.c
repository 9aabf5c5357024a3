/*
 * status_workloads.c - the checks over workloads: each component's
 * Deployment, StatefulSet or CronJob (ComponentsAvailable, status.components),
 * migration Jobs, and the postgres/redis StatefulSets with the setup Job
 * (DatabaseReady, CacheReady).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/json.h"
#include "kube/object.h"
#include "optime.h"
#include "status_int.h"

/* ---------------------------------------------------------------- workloads */

static enum wstate deployment_state(const json_t *d)
{
    int64_t want, upd, total, avail;
    const json_t *prog;
    const char *reason;

    if (!d)
        return W_ABSENT;
    want = st_iget(d, "spec.replicas", 1);
    upd = st_iget(d, "status.updatedReplicas", 0);
    total = st_iget(d, "status.replicas", 0);
    avail = st_iget(d, "status.availableReplicas", 0);
    prog = st_child_cond(d, "Progressing");
    reason = json_string_value(json_object_get(prog, "reason"));
    if (reason && strcmp(reason, "ProgressDeadlineExceeded") == 0)
        return W_UNAVAILABLE;
    if (st_iget(d, "status.observedGeneration", 0) < st_iget(d, "metadata.generation", 0))
        return W_ROLLING;
    if (upd < want || total > upd)
        return W_ROLLING;
    if (avail < want)
        return (reason && strcmp(reason, "NewReplicaSetAvailable") == 0) ? W_UNAVAILABLE
                                                                         : W_ROLLING;
    return W_AVAILABLE;
}

static enum wstate statefulset_state(const json_t *s)
{
    int64_t want;
    const char *cur, *upd;

    if (!s)
        return W_ABSENT;
    want = st_iget(s, "spec.replicas", 1);
    cur = st_sget(s, "status.currentRevision");
    upd = st_sget(s, "status.updateRevision");
    if (st_iget(s, "status.observedGeneration", 0) < st_iget(s, "metadata.generation", 0))
        return W_ROLLING;
    if ((cur && upd && strcmp(cur, upd) != 0) || st_iget(s, "status.replicas", 0) < want)
        return W_ROLLING;
    if (upd && st_iget(s, "status.updatedReplicas", 0) < want)
        return W_ROLLING;
    if (st_iget(s, "status.readyReplicas", 0) < want)
        return W_UNAVAILABLE;
    return W_AVAILABLE;
}

/* Image of the container named like the component (else the first) in a pod template. */
static const char *template_image(const json_t *wl, const char *path, const char *cname)
{
    const json_t *ctrs = as_json_path(wl, path), *c;
    size_t i;

    json_array_foreach(ctrs, i, c)
    {
        const char *n = json_string_value(json_object_get(c, "name"));
        if (n && strcmp(n, cname) == 0)
            return json_string_value(json_object_get(c, "image"));
    }
    return json_string_value(json_object_get(json_array_get(ctrs, 0), "image"));
}

/* One status.components[] entry and its availability. */
static enum wstate component(struct ctx *x, const json_t *comp, json_t *entry)
{
    const char *cname = json_string_value(json_object_get(comp, "name"));
    const char *type = json_string_value(json_object_get(comp, "type"));
    char n[NAME_MAX_LEN];
    const json_t *wl;
    enum wstate st;

    if (!type)
        type = "web";
    st_child_name(x, cname, n, sizeof(n));
    st_set_str(entry, "name", cname);
    st_set_str(entry, "type", type);
    if (strcmp(type, "cron") == 0) {
        wl = st_live_get(x, "CronJob", n);
        st_set_str(entry, "image",
                   wl ? template_image(wl, "spec.jobTemplate.spec.template.spec.containers", cname)
                      : json_string_value(json_object_get(comp, "image")));
        st_set_time(entry, "lastScheduleTime", wl, "status.lastScheduleTime");
        st_set_time(entry, "lastSuccessfulTime", wl, "status.lastSuccessfulTime");
        if (!wl)
            return W_ABSENT;
        return st_cron_last_failed(wl) ? W_UNAVAILABLE : W_AVAILABLE;
    }
    if (strcmp(type, "stateful") == 0) {
        wl = st_live_get(x, "StatefulSet", n);
        st = statefulset_state(wl);
    } else {
        wl = st_live_get(x, "Deployment", n);
        st = deployment_state(wl);
    }
    st_set_str(entry, "image",
               wl ? template_image(wl, "spec.template.spec.containers", cname)
                  : json_string_value(json_object_get(comp, "image")));
    json_object_set_new(
        entry, "replicas",
        json_integer(wl ? st_iget(wl, "spec.replicas", 1) : st_iget(comp, "replicas", 1)));
    json_object_set_new(entry, "readyReplicas",
                        json_integer(st_iget(wl, "status.readyReplicas", 0)));
    json_object_set_new(entry, "updatedReplicas",
                        json_integer(st_iget(wl, "status.updatedReplicas", 0)));
    return st;
}

static const char *wstate_text(enum wstate s)
{
    switch (s) {
    case W_AVAILABLE:
        return "available";
    case W_ROLLING:
        return "rolling out";
    case W_UNAVAILABLE:
        return "unavailable";
    case W_ABSENT:
        break;
    }
    return "not created yet";
}

static void note_rolling(struct ctx *x, const char *what)
{
    st_madd(&x->rolling_msg, "%s%s", x->rolling ? ", " : "", what);
    x->rolling = true;
}

void st_check_components(struct ctx *x)
{
    json_t *arr = json_array();
    const json_t *comp;
    size_t i, bad = 0;
    struct cond *c = &x->c[C_COMPONENTS];

    json_array_foreach(json_object_get(x->spec, "components"), i, comp)
    {
        json_t *entry = json_object();
        enum wstate st = component(x, comp, entry);
        const char *cname = json_string_value(json_object_get(comp, "name"));
        json_array_append_new(arr, entry);
        if (x->suspended)
            continue;
        if (st == W_ROLLING)
            note_rolling(x, cname ? cname : "?");
        if (st != W_AVAILABLE) {
            st_madd(&c->msg, "%s%s %s", bad ? "; " : "", cname ? cname : "?", wstate_text(st));
            bad++;
        }
    }
    json_object_set_new(x->status, "components", arr);
    if (x->suspended) {
        st_set_cond(x, C_COMPONENTS, "False", "Suspended");
        st_madd(&c->msg, "spec.suspend is true: every workload is scaled to zero");
    } else if (bad) {
        st_set_cond(x, C_COMPONENTS, "False", "ComponentsUnavailable");
    } else {
        st_set_cond(x, C_COMPONENTS, "True", "AllAvailable");
        st_madd(&c->msg, "every component has its desired ready replicas");
    }
}

/* ---------------------------------------------------------------- jobs in desired */

/* Desired Jobs whose app.kubernetes.io/<label> is value: calls fn for each with its live Job. */
static void desired_jobs(struct ctx *x, const char *label, const char *value,
                         void (*fn)(struct ctx *, const char *, const json_t *, void *), void *arg)
{
    const json_t *o;
    size_t i;

    json_array_foreach(x->desired, i, o)
    {
        const char *k = json_string_value(json_object_get(o, "kind"));
        const char *n = as_kube_obj_name(o), *l = as_kube_obj_label(o, label);
        if (k && n && l && strcmp(k, "Job") == 0 && strcmp(l, value) == 0)
            fn(x, n, st_live_get(x, "Job", n), arg);
    }
}

static bool job_complete(const json_t *j)
{
    return st_child_cond_is(j, "Complete", "True") ||
           (st_iget(j, "status.succeeded", 0) > 0 && !st_child_cond(j, "Complete"));
}

static void migration_job(struct ctx *x, const char *n, const json_t *j, void *arg)
{
    (void)arg;
    if (st_child_cond_is(j, "Failed", "True")) {
        st_madd(&x->migration_msg,
                "%smigration Job %s failed: %s — fix the migration and change "
                "the component's image or migrate command to run it again",
                x->migration_failed ? "; " : "", n,
                json_string_value(json_object_get(st_child_cond(j, "Failed"), "reason"))
                    ? json_string_value(json_object_get(st_child_cond(j, "Failed"), "reason"))
                    : "Failed");
        x->migration_failed = true;
    } else if (!job_complete(j)) {
        x->migration_running = true;
    }
}

void st_check_migrations(struct ctx *x)
{
    desired_jobs(x, "app.kubernetes.io/component", "migration", migration_job, NULL);
}

/* ---------------------------------------------------------------- data services */

struct setup_state {
    bool done, failed;
    const char *name;
};

static void setup_job(struct ctx *x, const char *n, const json_t *j, void *arg)
{
    struct setup_state *s = arg;

    (void)x;
    s->name = n;
    if (st_child_cond_is(j, "Failed", "True"))
        s->failed = true;
    else if (job_complete(j))
        s->done = true;
}

void st_check_service(struct ctx *x, const char *svc, enum cond_id id)
{
    char n[NAME_MAX_LEN];
    const json_t *sts;
    enum wstate st;
    struct cond *c = &x->c[id];

    if (!json_object_get(json_object_get(x->spec, "services"), svc))
        return;
    st_child_name(x, svc, n, sizeof(n));
    sts = st_live_get(x, "StatefulSet", n);
    st = statefulset_state(sts);
    if (st == W_ROLLING && !x->suspended)
        note_rolling(x, svc);
    if (st == W_ABSENT || st == W_ROLLING) {
        st_set_cond(x, id, "False", "Provisioning");
        st_madd(&c->msg, "StatefulSet %s is %s", n, wstate_text(st));
        return;
    }
    if (st == W_UNAVAILABLE) {
        st_set_cond(x, id, "False", "NotReady");
        st_madd(&c->msg, "StatefulSet %s has %lld of %lld replicas ready", n,
                (long long)st_iget(sts, "status.readyReplicas", 0),
                (long long)st_iget(sts, "spec.replicas", 1));
        return;
    }
    if (strcmp(svc, "postgres") == 0) {
        struct setup_state s = {false, false, NULL};
        desired_jobs(x, "app.kubernetes.io/name", "postgres-setup", setup_job, &s);
        if (s.name && s.failed) {
            st_set_cond(x, id, "False", "NotReady");
            st_madd(&c->msg,
                    "setup Job %s failed: roles, databases or extensions could not be "
                    "created — see its logs",
                    s.name);
            return;
        }
        if (s.name && !s.done) {
            st_set_cond(x, id, "False", "Provisioning");
            st_madd(&c->msg, "setup Job %s is creating the roles, databases and extensions",
                    s.name);
            return;
        }
    }
    st_set_cond(x, id, "True", "Ready");
    st_madd(&c->msg, "StatefulSet %s is ready", n);
}
