/*
 * serviceaccount.c - one ServiceAccount per component and per data service,
 * with automountServiceAccountToken false (no pod of the stack talks to the
 * API server), so RBAC can later be granted per component.
 */
#include <stdlib.h>

#include "render/render_int.h"

/* ServiceAccount <stack>-<app>. */
static void one(struct r_ctx *c, const char *app, const char *role)
{
    char *n = r_name(c, app, 253);
    json_t *obj = r_object(c, "v1", "ServiceAccount", n, r_labels(c, app, role));

    if (obj)
        json_object_set_new(obj, "automountServiceAccountToken", json_false());
    r_emit(c, obj);
    free(n);
}

/* Every ServiceAccount of the stack. */
void r_build_serviceaccounts(struct r_ctx *c)
{
    json_t *comp;
    size_t i;

    json_array_foreach(rs_arr(c->spec, "components"), i, comp)
    {
        one(c, rs_str(comp, "name", "app"), rs_str(comp, "type", "web"));
    }
    if (rs_service(c, "postgres"))
        one(c, "postgres", "database");
    if (rs_service(c, "redis"))
        one(c, "redis", "cache");
}
