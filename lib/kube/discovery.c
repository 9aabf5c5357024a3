/*
 * discovery.c - the discovery cache: the group list from /api and /apis, and
 * per group/version resource lists fetched on demand. One mutex guards the
 * cache; documents replaced by a refresh are kept until free so strings
 * handed out by find_kind stay valid.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "kube/discovery.h"

#define DISCOVERY_MAX (8u * 1024u * 1024u)

struct as_kube_discovery {
    struct as_kube_client *c; /* borrowed */
    pthread_mutex_t lock;
    json_t *groups;    /* group name -> {"versions":[...], "preferred": "v1"}; NULL until loaded */
    json_t *resources; /* "group/version" -> APIResourceList, or null when not served */
    json_t *kinds;     /* "group/kind" -> {kind, group, version, api_version, plural, ...} */
    json_t *retired;   /* array of replaced documents, kept alive until free */
};

as_status as_kube_discovery_new(struct as_kube_client *c, struct as_kube_discovery **out,
                                struct as_error *err)
{
    struct as_kube_discovery *d = calloc(1, sizeof(*d));

    if (!d || !(d->resources = json_object()) || !(d->kinds = json_object()) ||
        !(d->retired = json_array())) {
        if (d) {
            json_decref(d->resources);
            json_decref(d->kinds);
            free(d);
        }
        return as_error_set(err, AS_E_NOMEM, "discovery: out of memory");
    }
    d->c = c;
    pthread_mutex_init(&d->lock, NULL);
    *out = d;
    return AS_OK;
}

void as_kube_discovery_free(struct as_kube_discovery *d)
{
    if (!d)
        return;
    json_decref(d->groups);
    json_decref(d->resources);
    json_decref(d->kinds);
    json_decref(d->retired);
    pthread_mutex_destroy(&d->lock);
    free(d);
}

/* GETs path and parses it; AS_E_API_NOT_FOUND passes through. */
static as_status fetch(struct as_kube_discovery *d, const char *path, json_t **out,
                       struct as_error *err)
{
    struct as_kube_request req = {0};
    struct as_kube_response resp;
    as_status st;

    as_kube_response_init(&resp);
    req.method = "GET";
    req.path = path;
    req.max_response_bytes = DISCOVERY_MAX;
    st = as_kube_request(d->c, &req, &resp, err);
    if (st == AS_OK)
        st = as_json_parse(resp.body.data ? resp.body.data : "", resp.body.len, DISCOVERY_MAX, out,
                           err);
    as_kube_response_free(&resp);
    return st;
}

/* Adds one group entry (name, versions[], preferred) to groups. */
static as_status add_group(json_t *groups, const char *name, const json_t *versions,
                           const char *preferred, struct as_error *err)
{
    json_t *list = json_array();
    size_t i;
    json_t *v;

    if (!list)
        return as_error_set(err, AS_E_NOMEM, "discovery: out of memory");
    json_array_foreach(versions, i, v)
    {
        const char *ver = json_is_string(v) ? json_string_value(v)
                                            : json_string_value(json_object_get(v, "version"));
        if (ver)
            json_array_append_new(list, json_string(ver));
    }
    if (!preferred)
        preferred = json_string_value(json_array_get(list, 0));
    json_object_set_new(
        groups, name,
        json_pack("{s:o,s:s}", "versions", list, "preferred", preferred ? preferred : ""));
    return AS_OK;
}

/* Merges an APIVersions (/api) or APIGroupList (/apis) document into groups. */
static as_status merge_groups(json_t *groups, const json_t *doc, struct as_error *err)
{
    const char *kind = json_string_value(json_object_get(doc, "kind"));
    const json_t *list;
    size_t i;
    json_t *g;
    as_status st = AS_OK;

    if (kind && strcmp(kind, "APIVersions") == 0)
        return add_group(groups, "", json_object_get(doc, "versions"), NULL, err);
    list = json_object_get(doc, "groups");
    if (!json_is_array(list))
        return as_error_set(err, AS_E_PARSE,
                            "discovery: expected APIVersions or APIGroupList, "
                            "got kind %s",
                            kind ? kind : "(none)");
    json_array_foreach(list, i, g)
    {
        const char *name = json_string_value(json_object_get(g, "name"));
        const char *pref = json_string_value(as_json_path(g, "preferredVersion.version"));
        if (name &&
            (st = add_group(groups, name, json_object_get(g, "versions"), pref, err)) != AS_OK)
            break;
    }
    return st;
}

/* Replaces the cache contents (lock held); old documents move to retired. */
static void install_groups(struct as_kube_discovery *d, json_t *groups)
{
    if (d->groups)
        json_array_append_new(d->retired, d->groups);
    json_array_append_new(d->retired, d->resources);
    json_array_append_new(d->retired, d->kinds);
    d->groups = groups;
    d->resources = json_object();
    d->kinds = json_object();
}

/* Fetches /api and /apis into a new groups object. */
static as_status load_groups(struct as_kube_discovery *d, json_t **out, struct as_error *err)
{
    json_t *groups = json_object(), *doc = NULL;
    as_status st = groups ? AS_OK : as_error_set(err, AS_E_NOMEM, "discovery: out of memory");

    if (st == AS_OK && (st = fetch(d, "/api", &doc, err)) == AS_OK)
        st = merge_groups(groups, doc, err);
    json_decref(doc);
    doc = NULL;
    if (st == AS_OK && (st = fetch(d, "/apis", &doc, err)) == AS_OK)
        st = merge_groups(groups, doc, err);
    json_decref(doc);
    if (st != AS_OK) {
        json_decref(groups);
        return st;
    }
    *out = groups;
    return AS_OK;
}

as_status as_kube_discovery_refresh(struct as_kube_discovery *d, struct as_error *err)
{
    json_t *groups = NULL;
    as_status st = load_groups(d, &groups, err);

    if (st != AS_OK)
        return st;
    pthread_mutex_lock(&d->lock);
    install_groups(d, groups);
    pthread_mutex_unlock(&d->lock);
    return AS_OK;
}

/* Loads the group list when it never was (lock held). */
static as_status ensure_groups(struct as_kube_discovery *d, struct as_error *err)
{
    json_t *groups = NULL;
    as_status st;

    if (d->groups)
        return AS_OK;
    if ((st = load_groups(d, &groups, err)) != AS_OK)
        return st;
    install_groups(d, groups);
    return AS_OK;
}

/* True when group serves version (lock held, groups loaded). */
static bool serves(const struct as_kube_discovery *d, const char *group, const char *version)
{
    const json_t *versions = as_json_path(json_object_get(d->groups, group), "versions");
    size_t i;
    json_t *v;

    json_array_foreach(versions, i, v) if (strcmp(json_string_value(v), version) == 0) return true;
    return false;
}

/* The resource list of group/version, fetched on first use (lock held). Borrowed; may be NULL. */
static as_status resource_list(struct as_kube_discovery *d, const char *group, const char *version,
                               const json_t **out, struct as_error *err)
{
    char key[512], path[600];
    json_t *doc = NULL, *cached;
    as_status st;

    snprintf(key, sizeof(key), "%s/%s", group, version);
    cached = json_object_get(d->resources, key);
    if (cached) {
        *out = json_is_null(cached) ? NULL : cached;
        return AS_OK;
    }
    if (!serves(d, group, version)) {
        *out = NULL;
        return AS_OK;
    }
    if (*group)
        snprintf(path, sizeof(path), "/apis/%s/%s", group, version);
    else
        snprintf(path, sizeof(path), "/api/%s", version);
    st = fetch(d, path, &doc, err);
    if (st == AS_E_API_NOT_FOUND) {
        json_object_set_new(d->resources, key, json_null());
        *out = NULL;
        return AS_OK;
    }
    if (st != AS_OK)
        return st;
    json_object_set_new(d->resources, key, doc);
    *out = doc;
    return AS_OK;
}

/* Finds the resource named plural (not a subresource) in list; borrowed or NULL. */
static const json_t *find_by(const json_t *list, const char *field, const char *value)
{
    const json_t *res = json_object_get(list, "resources");
    size_t i;
    json_t *r;

    json_array_foreach(res, i, r)
    {
        const char *name = json_string_value(json_object_get(r, "name"));
        const char *v = json_string_value(json_object_get(r, field));
        if (name && v && !strchr(name, '/') && strcmp(v, value) == 0)
            return r;
    }
    return NULL;
}

as_status as_kube_discovery_has_group_version(struct as_kube_discovery *d, const char *group,
                                              const char *version, bool *out, struct as_error *err)
{
    as_status st;

    pthread_mutex_lock(&d->lock);
    st = ensure_groups(d, err);
    if (st == AS_OK)
        *out = serves(d, group ? group : "", version ? version : "");
    pthread_mutex_unlock(&d->lock);
    return st;
}

as_status as_kube_discovery_has_resource(struct as_kube_discovery *d, const char *group,
                                         const char *version, const char *plural, bool *out,
                                         struct as_error *err)
{
    const json_t *list = NULL;
    as_status st;

    if (!version || !plural)
        return as_error_set(err, AS_E_INVALID_ARG, "discovery: version and plural are required");
    pthread_mutex_lock(&d->lock);
    st = ensure_groups(d, err);
    if (st == AS_OK)
        st = resource_list(d, group ? group : "", version, &list, err);
    if (st == AS_OK)
        *out = list && find_by(list, "name", plural);
    pthread_mutex_unlock(&d->lock);
    return st;
}

/* True when list has an entry (resource or subresource) named exactly name. */
static bool has_name(const json_t *list, const char *name)
{
    const json_t *res = json_object_get(list, "resources");
    size_t i;
    json_t *r;

    json_array_foreach(res, i, r)
    {
        const char *n = json_string_value(json_object_get(r, "name"));
        if (n && strcmp(n, name) == 0)
            return true;
    }
    return false;
}

/* Builds the cached kind entry for resource r of group/version. New reference. */
static json_t *kind_entry(const json_t *list, const json_t *r, const char *group,
                          const char *version)
{
    const char *name = json_string_value(json_object_get(r, "name"));
    char apiv[512], status[300];

    snprintf(apiv, sizeof(apiv), "%s%s%s", group, *group ? "/" : "", version);
    snprintf(status, sizeof(status), "%s/status", name);
    return json_pack("{s:O,s:s,s:s,s:s,s:s,s:b,s:b}", "kind", json_object_get(r, "kind"), "group",
                     group, "version", version, "api_version", apiv, "plural", name, "namespaced",
                     json_is_true(json_object_get(r, "namespaced")), "has_status",
                     has_name(list, status));
}

/* Fills out from a cached kind entry (strings borrowed from the entry). */
static void fill_resource(const json_t *e, struct as_kube_resource *out)
{
    out->kind = json_string_value(json_object_get(e, "kind"));
    out->group = json_string_value(json_object_get(e, "group"));
    out->version = json_string_value(json_object_get(e, "version"));
    out->api_version = json_string_value(json_object_get(e, "api_version"));
    out->plural = json_string_value(json_object_get(e, "plural"));
    out->namespaced = json_is_true(json_object_get(e, "namespaced"));
    out->has_status = json_is_true(json_object_get(e, "has_status"));
}

/* Searches each served version of group (preferred first) for kind (lock held). */
static as_status search_kind(struct as_kube_discovery *d, const char *group, const char *kind,
                             json_t **entry, struct as_error *err)
{
    const json_t *g = json_object_get(d->groups, group);
    const char *pref = json_string_value(json_object_get(g, "preferred"));
    const json_t *versions = json_object_get(g, "versions");
    size_t n = json_array_size(versions);

    for (size_t i = 0; i <= n; i++) {
        const char *v = i == 0 ? pref : json_string_value(json_array_get(versions, i - 1));
        const json_t *list = NULL, *r;
        as_status st;
        if (!v || !*v || (i > 0 && pref && strcmp(v, pref) == 0))
            continue;
        if ((st = resource_list(d, group, v, &list, err)) != AS_OK)
            return st;
        if (list && (r = find_by(list, "kind", kind))) {
            *entry = kind_entry(list, r, group, v);
            return *entry ? AS_OK : as_error_set(err, AS_E_NOMEM, "discovery: out of memory");
        }
    }
    return as_error_set(err, AS_E_API_NOT_FOUND,
                        "discovery: the server does not serve kind %s in "
                        "group \"%s\"",
                        kind, group);
}

as_status as_kube_discovery_find_kind(struct as_kube_discovery *d, const char *group,
                                      const char *kind, struct as_kube_resource *out,
                                      struct as_error *err)
{
    char key[512];
    json_t *e = NULL;
    as_status st;

    if (!kind)
        return as_error_set(err, AS_E_INVALID_ARG, "discovery: kind is required");
    group = group ? group : "";
    snprintf(key, sizeof(key), "%s/%s", group, kind);
    pthread_mutex_lock(&d->lock);
    st = ensure_groups(d, err);
    if (st == AS_OK && !(e = json_object_get(d->kinds, key))) {
        st = search_kind(d, group, kind, &e, err);
        if (st == AS_OK)
            json_object_set_new(d->kinds, key, e);
    }
    if (st == AS_OK)
        fill_resource(e, out);
    pthread_mutex_unlock(&d->lock);
    return st;
}

as_status as_kube_discovery_add_groups(struct as_kube_discovery *d, const json_t *group_list,
                                       struct as_error *err)
{
    as_status st;

    pthread_mutex_lock(&d->lock);
    if (!d->groups && !(d->groups = json_object())) {
        pthread_mutex_unlock(&d->lock);
        return as_error_set(err, AS_E_NOMEM, "discovery: out of memory");
    }
    st = merge_groups(d->groups, group_list, err);
    pthread_mutex_unlock(&d->lock);
    return st;
}

as_status as_kube_discovery_add_resources(struct as_kube_discovery *d, const char *group,
                                          const char *version, const json_t *resource_list,
                                          struct as_error *err)
{
    char key[512];

    if (!json_is_array(json_object_get(resource_list, "resources")))
        return as_error_set(err, AS_E_PARSE,
                            "discovery: %s/%s: expected an APIResourceList with "
                            "resources",
                            group ? group : "", version ? version : "");
    snprintf(key, sizeof(key), "%s/%s", group ? group : "", version ? version : "");
    pthread_mutex_lock(&d->lock);
    json_object_set_new(d->resources, key, json_deep_copy(resource_list));
    pthread_mutex_unlock(&d->lock);
    return AS_OK;
}
