/*
 * resource.h - the resource table: which kinds this project talks to, and
 * where each lives in the API (group, version, plural, scope, subresources).
 *
 * The table is static data (resource.c); entries are borrowed, immutable and
 * live for the whole program. Kinds that are not in the table can still be
 * reached through discovery.h, which fills the same struct from the server.
 */
#ifndef AS_KUBE_RESOURCE_H
#define AS_KUBE_RESOURCE_H

#include <stdbool.h>

#include <jansson.h>

struct as_kube_resource {
    const char *kind;        /* "Deployment" */
    const char *group;       /* "apps"; "" for the core group */
    const char *version;     /* "v1" */
    const char *api_version; /* "apps/v1", or "v1" for the core group */
    const char *plural;      /* "deployments" */
    bool namespaced;         /* false for cluster-scoped kinds */
    bool has_status;         /* true when the kind has a /status subresource */
};

/*
 * Looks a kind up by apiVersion ("apps/v1") and kind. A NULL api_version
 * matches the first entry of that kind. Borrowed; NULL when unknown.
 */
const struct as_kube_resource *as_kube_resource_by_kind(const char *api_version, const char *kind);

/* Looks a resource up by group ("" for core) and plural. Borrowed; NULL when unknown. */
const struct as_kube_resource *as_kube_resource_by_plural(const char *group, const char *plural);

/*
 * Looks up the resource an object belongs to, from its apiVersion and kind.
 * Borrowed; NULL when either is missing or the kind is not in the table.
 */
const struct as_kube_resource *as_kube_resource_of(const json_t *obj);

/* The whole table, for iteration (tests, discovery checks). *count receives its length. */
const struct as_kube_resource *as_kube_resource_table(unsigned *count);

#endif
