/*
 * podspec.c - where the pod spec of a Pod or of a workload's pod template
 * lives, and the container lists of a pod spec.
 */
#include <stdio.h>
#include <string.h>

#include "policy/policy_int.h"

const char *const as__container_lists[3] = {"containers", "initContainers", "ephemeralContainers"};

/* Kinds whose pod template is at spec.template. */
static const char *const TEMPLATE_KINDS[] = {
    "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "ReplicationController", NULL,
};

bool as__podspec_find(const struct as_jv *obj, struct as__podspec *ps)
{
    const char *kind = as__str(obj, "kind");
    const char *tmpl;
    const struct as_jv *t;

    if (!kind)
        return false;
    if (strcmp(kind, "Pod") == 0)
        tmpl = "";
    else if (as__str_in(kind, TEMPLATE_KINDS))
        tmpl = "spec.template";
    else if (strcmp(kind, "CronJob") == 0)
        tmpl = "spec.jobTemplate.spec.template";
    else
        return false;
    t = obj;
    if (strcmp(kind, "CronJob") == 0)
        t = as_jv_get(as_jv_get(t, "spec"), "jobTemplate");
    if (*tmpl)
        t = as_jv_get(as_jv_get(t, "spec"), "template");
    if (!as_jv_is_object(t) || !as_jv_is_object(as_jv_get(t, "spec")))
        return false;
    memset(ps, 0, sizeof *ps);
    ps->spec = as_jv_get(t, "spec");
    ps->meta = as_jv_get(t, "metadata");
    if (*tmpl) {
        snprintf(ps->prefix, sizeof ps->prefix, "%s.spec", tmpl);
        snprintf(ps->meta_prefix, sizeof ps->meta_prefix, "%s.metadata", tmpl);
    } else {
        snprintf(ps->prefix, sizeof ps->prefix, "spec");
        snprintf(ps->meta_prefix, sizeof ps->meta_prefix, "metadata");
    }
    {
        const char *os = as__str(as_jv_get(ps->spec, "os"), "name");

        ps->windows = os && strcmp(os, "windows") == 0;
    }
    return true;
}
