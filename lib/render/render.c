/*
 * render.c - orchestration: check the document, default and validate it
 * against the embedded schema (schema.c) and the semantic rules
 * (validate.c), then call every builder in dependency order (Secrets and
 * ConfigMaps first: pod templates hash them; workloads before the
 * PrometheusRule that names them) and sort the result by kind rank and name.
 */
#include <stdio.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "render/render_int.h"
#include "render/schema.h"

/* ---- field error lists */

void as_field_errors_init(struct as_field_errors *e)
{
    memset(e, 0, sizeof *e);
}

void as_field_errors_free(struct as_field_errors *e)
{
    for (size_t i = 0; i < e->count; i++)
        free(e->items[i]);
    free(e->items);
    memset(e, 0, sizeof *e);
}

as_status as_field_errors_add(struct as_field_errors *e, const char *fmt, ...)
{
    va_list ap;
    char buf[2048], *s;

    if (!e)
        return AS_OK;
    if (e->count >= AS_FIELD_ERRORS_MAX) {
        e->dropped++;
        return AS_OK;
    }
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    for (size_t i = 0; i < e->count; i++) {
        if (strcmp(e->items[i], buf) == 0)
            return AS_OK; /* the same message twice says nothing new */
    }
    if (e->count == e->cap) {
        size_t cap = e->cap ? e->cap * 2 : 8;
        char **items = realloc(e->items, cap * sizeof *items);
        if (!items)
            return AS_E_NOMEM;
        e->items = items;
        e->cap = cap;
    }
    s = strdup(buf);
    if (!s)
        return AS_E_NOMEM;
    e->items[e->count++] = s;
    return AS_OK;
}

/* ---- ordering */

static const char *const KIND_RANK[] = {"ServiceAccount",
                                        "Secret",
                                        "ConfigMap",
                                        "PersistentVolumeClaim",
                                        "Service",
                                        "Deployment",
                                        "StatefulSet",
                                        "Job",
                                        "CronJob",
                                        "HorizontalPodAutoscaler",
                                        "PodDisruptionBudget",
                                        "NetworkPolicy",
                                        "Ingress",
                                        "HTTPRoute",
                                        "Certificate",
                                        "ServiceMonitor",
                                        "PrometheusRule",
                                        NULL};

/* Rank of an object's kind (unknown kinds last). */
static int rank(const json_t *o)
{
    const char *k = rs_str(o, "kind", "");

    for (int i = 0; KIND_RANK[i]; i++) {
        if (strcmp(KIND_RANK[i], k) == 0)
            return i;
    }
    return 100;
}

static int cmp_objects(const void *a, const void *b)
{
    const json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
    int rx = rank(x), ry = rank(y);

    if (rx != ry)
        return rx < ry ? -1 : 1;
    return strcmp(rs_str(rs_obj(x, "metadata"), "name", ""),
                  rs_str(rs_obj(y, "metadata"), "name", ""));
}

/* A sorted copy of the array (new ref). */
static json_t *sorted(json_t *arr)
{
    size_t n = json_array_size(arr);
    json_t **items = calloc(n ? n : 1, sizeof *items), *out = json_array();

    if (!items || !out) {
        free(items);
        json_decref(out);
        return NULL;
    }
    for (size_t i = 0; i < n; i++)
        items[i] = json_array_get(arr, i);
    qsort(items, n, sizeof *items, cmp_objects);
    for (size_t i = 0; i < n; i++) {
        if (json_array_append(out, items[i]) != 0) {
            json_decref(out);
            out = NULL;
            break;
        }
    }
    free(items);
    return out;
}

/* ---- preparation */

/* The schema of metadata.name inside the root schema (borrowed). */
static const json_t *name_schema(const json_t *root)
{
    const json_t *meta = json_object_get(json_object_get(root, "properties"), "metadata");
    return json_object_get(json_object_get(meta, "properties"), "name");
}

/*
 * Checks the document and fills c from a defaulted deep copy (*copy_out, caller
 * frees). Returns AS_OK, AS_E_CONFIG (errors added) or AS_E_NOMEM.
 */
static as_status prepare(struct r_ctx *c, const json_t *appstack, json_t **copy_out)
{
    const json_t *schema, *spec_schema;
    json_t *copy = NULL, *meta;
    size_t before = c->errors->count;
    const char *api = rs_str(appstack, "apiVersion", NULL), *kind = rs_str(appstack, "kind", NULL);
    const char *key;
    json_t *v;
    as_status st = AS_E_CONFIG;

    if (!json_is_object(appstack)) {
        as_field_errors_add(c->errors, "(document): must be an object — write an AppStack");
        return AS_E_CONFIG;
    }
    if (!api || !kind || strcmp(api, "appstack.io/v1alpha1") != 0 || strcmp(kind, "AppStack") != 0)
        as_field_errors_add(c->errors,
                            "apiVersion: expected appstack.io/v1alpha1 AppStack, got %s %s — fix "
                            "apiVersion and kind",
                            api ? api : "None", kind ? kind : "None");
    json_object_foreach((json_t *)appstack, key, v)
    {
        if (strcmp(key, "apiVersion") && strcmp(key, "kind") && strcmp(key, "metadata") &&
            strcmp(key, "spec") && strcmp(key, "status"))
            as_field_errors_add(c->errors,
                                "%s: unknown field — remove it (kubectl explain appstack)", key);
    }
    schema = as__schema_get();
    copy = json_deep_copy(appstack);
    if (!schema || !copy) {
        st = AS_E_NOMEM;
        goto done;
    }
    meta = rs_obj(copy, "metadata");
    if (!rs_has(meta, "name"))
        as_field_errors_add(c->errors, "metadata.name: required field is missing — name the stack");
    else
        as__schema_validate(name_schema(schema), json_object_get(meta, "name"), "metadata.name",
                            c->errors);
    if (rs_has(meta, "namespace") && !json_is_string(json_object_get(meta, "namespace")))
        as_field_errors_add(c->errors,
                            "metadata.namespace: must be a string — write the namespace name");
    if (rs_has(meta, "uid") && !json_is_string(json_object_get(meta, "uid")))
        as_field_errors_add(c->errors,
                            "metadata.uid: must be a string — leave uid to the API server");
    spec_schema = json_object_get(json_object_get(schema, "properties"), "spec");
    if (!rs_has(copy, "spec")) {
        as_field_errors_add(c->errors, "spec: required field is missing — add the stack's spec");
        goto done;
    }
    as__schema_default(spec_schema, json_object_get(copy, "spec"));
    as__schema_validate(spec_schema, json_object_get(copy, "spec"), "spec", c->errors);
    if (c->errors->count > before)
        goto done;
    c->stack = copy;
    c->spec = rs_obj(copy, "spec");
    c->name = rs_str(meta, "name", "");
    c->uid = rs_str(meta, "uid", NULL);
    c->ns = rs_str(meta, "namespace", c->facts->namespace);
    r_validate(c);
    if (c->errors->count > before)
        goto done;
    c->restricted = strcmp(rs_str(c->spec, "profile", "restricted"), "baseline") != 0;
    c->suspend = rs_bool(c->spec, "suspend", false);
    c->monitoring = rs_bool(rs_obj(c->spec, "monitoring"), "enabled", true);
    c->exporters = c->monitoring && rs_bool(rs_obj(c->spec, "monitoring"), "exporters", true);
    c->prom_operator = c->monitoring && (c->facts->apis & AS_API_PROMETHEUS_OPERATOR);
    *copy_out = copy;
    copy = NULL;
    st = AS_OK;
done:
    json_decref(copy);
    return st;
}

/* Every builder, in dependency order. */
static void build_all(struct r_ctx *c)
{
    json_t *comp;
    size_t i;
    const json_t *ing = rs_obj(c->spec, "ingress");

    r_build_secrets(c);
    if (c->st != AS_OK)
        return;
    r_build_serviceaccounts(c);
    r_build_redis(c); /* its ConfigMap precedes its pod template */
    r_build_postgres(c);
    if (rs_service(c, "postgres"))
        r_build_backup(c, "postgres");
    if (rs_service(c, "redis"))
        r_build_backup(c, "redis");
    json_array_foreach(rs_arr(c->spec, "components"), i, comp)
    {
        r_build_component(c, comp);
    }
    if (ing && rs_has(ing, "gateway"))
        r_build_httproute(c);
    else if (ing) {
        r_build_ingress(c);
        r_build_certificate(c);
    }
    r_build_networkpolicies(c);
    r_build_monitoring(c);
}

as_status as_render(const json_t *appstack, const struct as_render_facts *facts,
                    json_t **objects_out, struct as_field_errors *errors)
{
    static const struct as_render_facts none = {0};
    struct r_ctx c = {.facts = facts ? facts : &none, .errors = errors};
    json_t *copy = NULL, *out = NULL;
    as_status st;

    if (!objects_out || !errors)
        return AS_E_INVALID_ARG;
    st = prepare(&c, appstack, &copy);
    if (st != AS_OK)
        goto done;
    c.out = json_array();
    if (!c.out) {
        st = AS_E_NOMEM;
        goto done;
    }
    build_all(&c);
    st = c.st;
    if (st != AS_OK)
        goto done;
    out = sorted(c.out);
    if (!out) {
        st = AS_E_NOMEM;
        goto done;
    }
    *objects_out = out;
done:
    json_decref(c.out);
    json_decref(copy);
    return st;
}

void as_render_preload(void)
{
    (void)as__schema_get();
}

as_status as_render_needed_secrets(const json_t *appstack, json_t **needed_out,
                                   struct as_field_errors *errors)
{
    static const struct as_render_facts none = {0};
    struct r_ctx c = {.facts = &none, .errors = errors};
    json_t *copy = NULL, *needed;
    as_status st;

    if (!needed_out || !errors)
        return AS_E_INVALID_ARG;
    st = prepare(&c, appstack, &copy);
    if (st != AS_OK)
        return st;
    needed = r_needed_secrets(&c);
    json_decref(copy);
    if (!needed)
        return AS_E_NOMEM;
    *needed_out = needed;
    return AS_OK;
}

as_status as_render_validate(const json_t *appstack, struct as_field_errors *errors)
{
    static const struct as_render_facts none = {0};
    struct r_ctx c = {.facts = &none, .errors = errors};
    json_t *copy = NULL;
    as_status st;

    if (!errors)
        return AS_E_INVALID_ARG;
    st = prepare(&c, appstack, &copy);
    json_decref(copy);
    return st;
}

as_status as_render_defaults(const json_t *appstack, json_t **defaulted_out)
{
    const json_t *schema = as__schema_get();
    json_t *copy;

    if (!defaulted_out || !json_is_object(json_object_get(appstack, "spec")))
        return AS_E_INVALID_ARG;
    if (!schema)
        return AS_E_NOMEM;
    copy = json_deep_copy(appstack);
    if (!copy)
        return AS_E_NOMEM;
    as__schema_default(json_object_get(json_object_get(schema, "properties"), "spec"),
                       json_object_get(copy, "spec"));
    *defaulted_out = copy;
    return AS_OK;
}
