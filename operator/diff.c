/*
 * diff.c - the subset comparison of diff.h: desired object vs live object,
 * keyed lists as server-side apply keys them, quantities by value.
 */
#include "diff.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/sha.h>

#include "base/json.h"

#define PATH_MAX_LEN 512

/* Where the walk is: the dotted path so far (for the report) and the top-level kind. */
struct walk {
    char path[PATH_MAX_LEN];
    size_t len;
    const char *kind; /* desired kind, or "" */
};

static bool sub(struct walk *w, const json_t *d, const json_t *l, const char *key,
                const char *parent);

/* Appends text to the path (truncating at the buffer); returns the previous length. */
static size_t push(struct walk *w, const char *text)
{
    size_t old = w->len, n = strlen(text);

    if (n > sizeof(w->path) - 1 - w->len)
        n = sizeof(w->path) - 1 - w->len;
    memcpy(w->path + w->len, text, n);
    w->len += n;
    w->path[w->len] = '\0';
    return old;
}

static void pop(struct walk *w, size_t old)
{
    w->len = old;
    w->path[old] = '\0';
}

/* Fields the server drops when zero although they are false/0 (non-pointer omitempty). */
static bool zero_omitted(const char *key)
{
    static const char *const names[] = {"initialDelaySeconds",
                                        "publishNotReadyAddresses",
                                        "paused",
                                        "hostNetwork",
                                        "hostPID",
                                        "hostIPC",
                                        "stdin",
                                        "stdinOnce",
                                        "tty"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (key && strcmp(key, names[i]) == 0)
            return true;
    return false;
}

/* A desired value that an absent live field satisfies. */
static bool empty_value(const json_t *d, const char *key)
{
    if (json_is_null(d))
        return true;
    if (json_is_object(d))
        return json_object_size(d) == 0;
    if (json_is_array(d))
        return json_array_size(d) == 0;
    if (json_is_string(d))
        return json_string_length(d) == 0;
    if (json_is_false(d) || (json_is_integer(d) && json_integer_value(d) == 0))
        return zero_omitted(key);
    return false;
}

/* Parses a quantity into a long double. */
static bool quantity_value(const char *s, long double *out)
{
    static const struct {
        const char *suf;
        long double mul;
    } sufs[] = {{"Ki", 1024.0L},
                {"Mi", 1048576.0L},
                {"Gi", 1073741824.0L},
                {"Ti", 1099511627776.0L},
                {"Pi", 1125899906842624.0L},
                {"Ei", 1152921504606846976.0L},
                {"n", 1e-9L},
                {"u", 1e-6L},
                {"m", 1e-3L},
                {"", 1.0L},
                {"k", 1e3L},
                {"M", 1e6L},
                {"G", 1e9L},
                {"T", 1e12L},
                {"P", 1e15L},
                {"E", 1e18L}};
    const char *p = s;
    long double v = 0, scale = 1;
    bool any = false;

    if (!s)
        return false;
    if (*p == '+' || *p == '-')
        p++;
    for (; isdigit((unsigned char)*p); p++, any = true)
        v = v * 10 + (*p - '0');
    if (*p == '.')
        for (p++; isdigit((unsigned char)*p); p++, any = true) {
            scale /= 10;
            v += (*p - '0') * scale;
        }
    if (!any)
        return false;
    if (*s == '-')
        v = -v;
    if ((*p == 'e' || *p == 'E') && p[1] != '\0') {
        char *end;
        long e = strtol(p + 1, &end, 10);
        if (*end != '\0' || end == p + 1 || e > 30 || e < -30)
            return false;
        *out = v * powl(10.0L, (long double)e);
        return true;
    }
    for (size_t i = 0; i < sizeof(sufs) / sizeof(sufs[0]); i++)
        if (strcmp(p, sufs[i].suf) == 0) {
            *out = v * sufs[i].mul;
            return true;
        }
    return false;
}

bool as_op_quantity_equal(const char *a, const char *b)
{
    long double x, y, scale;

    if (!quantity_value(a, &x) || !quantity_value(b, &y))
        return false;
    scale = fabsl(x) > fabsl(y) ? fabsl(x) : fabsl(y);
    return fabsl(x - y) <= scale * 1e-12L;
}

/* Keys whose string values are quantities. */
static bool quantity_key(const char *key, const char *parent)
{
    static const char *const names[] = {"cpu", "memory", "storage", "ephemeral-storage",
                                        "sizeLimit"};
    if (parent && (strcmp(parent, "requests") == 0 || strcmp(parent, "limits") == 0))
        return true;
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (key && strcmp(key, names[i]) == 0)
            return true;
    return false;
}

static bool scalar_equal(const json_t *d, const json_t *l, const char *key, const char *parent)
{
    if (json_is_number(d) && json_is_number(l))
        return json_number_value(d) == json_number_value(l);
    if (json_is_string(d) && json_is_string(l)) {
        const char *a = json_string_value(d), *b = json_string_value(l);
        if (strcmp(a, b) == 0)
            return true;
        return quantity_key(key, parent) && as_op_quantity_equal(a, b);
    }
    return json_equal((json_t *)d, (json_t *)l) != 0;
}

/* The list-map keys of a keyed list (NULL-terminated), or NULL for an atomic list. */
static const char *const *list_keys(const struct walk *w, const char *key, const json_t *d)
{
    static const char *const name[] = {"name", NULL};
    static const char *const mount[] = {"mountPath", NULL};
    static const char *const device[] = {"devicePath", NULL};
    static const char *const type[] = {"type", NULL};
    static const char *const uid[] = {"uid", NULL};
    static const char *const ip[] = {"ip", NULL};
    static const char *const spread[] = {"topologyKey", "whenUnsatisfiable", NULL};
    static const char *const cport[] = {"containerPort", "protocol", NULL};
    static const char *const sport[] = {"port", "protocol", NULL};
    static const struct {
        const char *field;
        const char *const *keys;
    } table[] = {{"containers", name},
                 {"initContainers", name},
                 {"ephemeralContainers", name},
                 {"env", name},
                 {"volumes", name},
                 {"imagePullSecrets", name},
                 {"resourceClaims", name},
                 {"volumeMounts", mount},
                 {"volumeDevices", device},
                 {"conditions", type},
                 {"ownerReferences", uid},
                 {"hostAliases", ip},
                 {"topologySpreadConstraints", spread}};
    const json_t *first = json_array_get(d, 0);

    for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
        if (strcmp(key, table[i].field) == 0)
            return table[i].keys;
    if (strcmp(key, "ports") == 0) {
        if (json_is_object(first) && json_object_get(first, "containerPort"))
            return cport;
        if (strcmp(w->kind, "Service") == 0 && strcmp(w->path, "spec.ports") == 0)
            return sport;
    }
    return NULL;
}

/* The protocol of a port element, with the server's default. Borrowed or static. */
static const char *protocol_of(const json_t *elem)
{
    const char *p = json_string_value(json_object_get(elem, "protocol"));

    return p ? p : "TCP";
}

static bool same_key(const json_t *a, const json_t *b, const char *const *keys)
{
    for (; *keys; keys++) {
        const json_t *x, *y;
        if (strcmp(*keys, "protocol") == 0) {
            if (strcmp(protocol_of(a), protocol_of(b)) != 0)
                return false;
            continue;
        }
        x = json_object_get(a, *keys);
        y = json_object_get(b, *keys);
        if (!x || !y || !json_equal((json_t *)x, (json_t *)y))
            return false;
    }
    return true;
}

/* Path label of a keyed element: "[name=web]" or "[containerPort=8080,...]". */
static size_t push_key(struct walk *w, const json_t *elem, const char *const *keys)
{
    size_t old = w->len;
    bool firstk = true;

    push(w, "[");
    for (; *keys; keys++) {
        const json_t *v = json_object_get(elem, *keys);
        char num[32];
        const char *txt = "?";
        if (json_is_string(v))
            txt = json_string_value(v);
        else if (json_is_integer(v)) {
            snprintf(num, sizeof(num), "%lld", (long long)json_integer_value(v));
            txt = num;
        } else if (!v)
            continue;
        if (!firstk)
            push(w, ",");
        push(w, *keys);
        push(w, "=");
        push(w, txt);
        firstk = false;
    }
    push(w, "]");
    return old;
}

static bool keyed_list(struct walk *w, const json_t *d, const json_t *l, const char *const *keys)
{
    size_t i, j, next = 0, nl = json_array_size(l);
    const json_t *de;

    json_array_foreach(d, i, de)
    {
        size_t old = push_key(w, de, keys), found = nl;
        if (!json_is_object(de))
            return false;
        for (j = next; j < nl && found == nl; j++)
            if (same_key(de, json_array_get(l, j), keys))
                found = j;
        if (found == nl) /* absent, or present only before an earlier match (reordered) */
            return false;
        if (!sub(w, de, json_array_get(l, found), NULL, NULL))
            return false;
        next = found + 1;
        pop(w, old);
    }
    return true;
}

static bool atomic_list(struct walk *w, const json_t *d, const json_t *l, const char *key)
{
    size_t i;
    const json_t *de;
    char idx[24];

    if (json_array_size(d) != json_array_size(l)) {
        push(w, "[length]");
        return false;
    }
    json_array_foreach(d, i, de)
    {
        const json_t *le = json_array_get(l, i);
        size_t old;
        snprintf(idx, sizeof(idx), "[%zu]", i);
        old = push(w, idx);
        if (json_is_object(de) ? !sub(w, de, le, NULL, NULL) : !scalar_equal(de, le, key, NULL))
            return false;
        pop(w, old);
    }
    return true;
}

/* Metadata fields owned by the API server, never compared. */
static bool server_owned(const char *k)
{
    static const char *const names[] = {"uid",
                                        "resourceVersion",
                                        "generation",
                                        "creationTimestamp",
                                        "deletionTimestamp",
                                        "deletionGracePeriodSeconds",
                                        "managedFields",
                                        "selfLink"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (strcmp(k, names[i]) == 0)
            return true;
    return false;
}

static bool sub_object(struct walk *w, const json_t *d, const json_t *l)
{
    const char *k;
    const json_t *dv;
    bool top = w->len == 0, meta = strcmp(w->path, "metadata") == 0;
    const char *parent_key = NULL;

    /* the parent key is the last dotted segment of the path */
    if (w->len > 0) {
        const char *dot = strrchr(w->path, '.');
        parent_key = dot ? dot + 1 : w->path;
    }
    json_object_foreach((json_t *)d, k, dv)
    {
        size_t old;
        if (top &&
            (strcmp(k, "apiVersion") == 0 || strcmp(k, "kind") == 0 || strcmp(k, "status") == 0))
            continue;
        if (meta && server_owned(k))
            continue;
        old = w->len;
        if (!top)
            push(w, ".");
        push(w, k);
        if (!sub(w, dv, json_object_get(l, k), k, parent_key))
            return false;
        pop(w, old);
    }
    return true;
}

/* Is live value l a superset of desired value d (under field key, in map parent)? */
static bool sub(struct walk *w, const json_t *d, const json_t *l, const char *key,
                const char *parent)
{
    if (!l || json_is_null(l))
        return empty_value(d, key);
    if (json_is_null(d))
        return true;
    if (json_is_object(d))
        return json_is_object(l) && sub_object(w, d, l);
    if (json_is_array(d)) {
        const char *const *keys;
        if (!json_is_array(l))
            return false;
        keys = key ? list_keys(w, key, d) : NULL;
        return keys ? keyed_list(w, d, l, keys) : atomic_list(w, d, l, key);
    }
    return scalar_equal(d, l, key, parent);
}

bool as_op_needs_apply(const json_t *desired, const json_t *live, char *where, size_t where_size)
{
    struct walk w;
    const char *kind = json_string_value(json_object_get(desired, "kind"));
    bool same;

    memset(&w, 0, sizeof(w));
    w.kind = kind ? kind : "";
    if (!live) {
        if (where && where_size)
            snprintf(where, where_size, "(absent)");
        return true;
    }
    same = json_is_object(desired) && json_is_object(live) && sub_object(&w, desired, live);
    if (!same && where && where_size)
        snprintf(where, where_size, "%s", w.len ? w.path : "(root)");
    return !same;
}

as_status as_op_stamp(json_t *obj)
{
    json_t *meta = json_object_get(obj, "metadata"), *ann;
    unsigned char md[SHA256_DIGEST_LENGTH];
    char hex[17], *dump;

    if (!json_is_object(obj) || (meta && !json_is_object(meta)))
        return AS_E_INVALID_ARG;
    if (!meta) {
        meta = json_object();
        if (!meta || json_object_set_new(obj, "metadata", meta) != 0)
            return AS_E_NOMEM;
    }
    ann = json_object_get(meta, "annotations");
    if (ann && !json_is_object(ann))
        return AS_E_INVALID_ARG;
    if (ann) { /* hash without the stamp; an annotations map it alone made counts as absent */
        json_object_del(ann, AS_OP_APPLIED_HASH_ANNOTATION);
        if (json_object_size(ann) == 0) {
            json_object_del(meta, "annotations");
            ann = NULL;
        }
    }
    dump = as_json_dump_canonical(obj);
    if (!dump)
        return AS_E_NOMEM;
    SHA256((const unsigned char *)dump, strlen(dump), md);
    free(dump);
    for (int i = 0; i < 8; i++)
        snprintf(hex + 2 * i, 3, "%02x", md[i]);
    if (!ann) {
        ann = json_object();
        if (!ann || json_object_set_new(meta, "annotations", ann) != 0)
            return AS_E_NOMEM;
    }
    if (json_object_set_new(ann, AS_OP_APPLIED_HASH_ANNOTATION, json_string(hex)) != 0)
        return AS_E_NOMEM;
    return AS_OK;
}
