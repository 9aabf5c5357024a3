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

bool as__podspec_find(const json_t *obj, struct as__podspec *ps)
{
    const char *kind = as__str(obj, "kind");
    const char *tmpl;
    const json_t *t;

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
    t = *tmpl ? as_json_path(obj, tmpl) : obj;
    if (!json_is_object(t) || !json_is_object(json_object_get(t, "spec")))
        return false;
    memset(ps, 0, sizeof *ps);
    ps->spec = json_object_get(t, "spec");
    ps->meta = json_object_get(t, "metadata");
    if (*tmpl) {
        snprintf(ps->prefix, sizeof ps->prefix, "%s.spec", tmpl);
        snprintf(ps->meta_prefix, sizeof ps->meta_prefix, "%s.metadata", tmpl);
    } else {
        snprintf(ps->prefix, sizeof ps->prefix, "spec");
        snprintf(ps->meta_prefix, sizeof ps->meta_prefix, "metadata");
    }
    {
        const char *os = as__str(json_object_get(ps->spec, "os"), "name");

        ps->windows = os && strcmp(os, "windows") == 0;
    }
    return true;
}
