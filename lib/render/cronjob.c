/*
 * cronjob.c - CronJobs: cron components and (through r_cronjob) the backup
 * jobs. concurrencyPolicy Forbid by default, 3 successful and 3 failed Jobs
 * kept, suspended with the stack. CronJob names are at most 52 characters
 * (the controller appends an 11-character suffix to Job names).
 */
#include <stdlib.h>

#include "render/render_int.h"

/* A CronJob named name (borrowed) with a pod template (stolen). New ref. */
json_t *r_cronjob(struct r_ctx *c, const char *name, const char *app, const char *role,
                  const char *schedule, const char *tz, const char *policy, bool suspend,
                  json_t *tmpl)
{
    json_t *obj = r_object(c, "batch/v1", "CronJob", name, r_labels(c, app, role));
    json_t *spec = json_pack(
        "{s:s, s:s, s:b, s:i, s:i, s:I, s:{s:{s:i, s:o}}}", "schedule", schedule,
        "concurrencyPolicy", policy, "suspend", suspend || c->suspend, "successfulJobsHistoryLimit",
        3, "failedJobsHistoryLimit", 3, "startingDeadlineSeconds", (json_int_t)600, "jobTemplate",
        "spec", "backoffLimit", 2, "template", tmpl);

    if (spec && tz)
        json_object_set_new(spec, "timeZone", json_string(tz));
    if (!obj || !spec) {
        json_decref(obj);
        json_decref(spec);
        return NULL;
    }
    json_object_set_new(obj, "spec", spec);
    return obj;
}

/* CronJob <stack>-<name> of a cron component. */
void r_build_cronjob(struct r_ctx *c, const json_t *comp)
{
    const char *name = rs_str(comp, "name", "job");
    char *n = r_name(c, name, 52);

    r_emit(c, r_cronjob(c, n, name, "cron", rs_str(comp, "schedule", "@daily"),
                        rs_str(comp, "timeZone", NULL), rs_str(comp, "concurrencyPolicy", "Forbid"),
                        false, r_component_template(c, comp)));
    free(n);
}
