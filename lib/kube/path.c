/*
 * path.c - request paths and percent-escaped query strings (pure).
 */
#include <string.h>

#include "kube/path.h"

#define SEGMENT_MAX 253

as_status as_kube_check_segment(const char *seg, const char *what, struct as_error *err)
{
    size_t n;

    if (!seg || !*seg)
        return as_error_set(err, AS_E_INVALID_ARG, "%s: must not be empty", what);
    n = strlen(seg);
    if (n > SEGMENT_MAX)
        return as_error_set(err, AS_E_INVALID_ARG, "%s: longer than %d characters", what,
                            SEGMENT_MAX);
    if (strcmp(seg, ".") == 0 || strcmp(seg, "..") == 0)
        return as_error_set(err, AS_E_INVALID_ARG, "%s: \"%s\" is not a valid name", what, seg);
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)seg[i];
        if (ch == '/' || ch == '%' || ch == '?' || ch == '#' || ch <= 0x20 || ch >= 0x7f)
            return as_error_set(err, AS_E_INVALID_ARG,
                                "%s: \"%s\" contains a character not allowed in a name "
                                "(use lower-case letters, digits, '-' and '.')",
                                what, seg);
    }
    return AS_OK;
}

/* Appends "/" + seg after checking it. */
static as_status append_segment(struct as_buf *out, const char *seg, const char *what,
                                struct as_error *err)
{
    as_status st = as_kube_check_segment(seg, what, err);
    if (st != AS_OK)
        return st;
    st = as_buf_appendf(out, "/%s", seg);
    if (st != AS_OK)
        return as_error_set(err, st, "%s: path too long", what);
    return AS_OK;
}

as_status as_kube_path(const struct as_kube_resource *res, const char *ns, const char *name,
                       const char *subresource, struct as_buf *out, struct as_error *err)
{
    as_status st;

    if (!res || !out)
        return as_error_set(err, AS_E_INVALID_ARG, "as_kube_path: resource is required");
    if (subresource && !name)
        return as_error_set(err, AS_E_INVALID_ARG, "subresource %s: needs an object name",
                            subresource);
    if (res->group[0])
        st = as_buf_appendf(out, "/apis/%s/%s", res->group, res->version);
    else
        st = as_buf_appendf(out, "/api/%s", res->version);
    if (st != AS_OK)
        return as_error_set(err, st, "path: cannot build");
    if (res->namespaced && ns) {
        if ((st = append_segment(out, "namespaces", "namespaces", err)) != AS_OK ||
            (st = append_segment(out, ns, "namespace", err)) != AS_OK)
            return st;
    }
    if ((st = append_segment(out, res->plural, "resource", err)) != AS_OK)
        return st;
    if (name && (st = append_segment(out, name, "name", err)) != AS_OK)
        return st;
    if (subresource && (st = append_segment(out, subresource, "subresource", err)) != AS_OK)
        return st;
    return AS_OK;
}

as_status as_kube_url_escape(struct as_buf *out, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";

    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        as_status st;
        if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
            ch == '-' || ch == '_' || ch == '.' || ch == '~') {
            st = as_buf_append(out, s, 1);
        } else {
            char enc[3] = {'%', hex[ch >> 4], hex[ch & 15]};
            st = as_buf_append(out, enc, 3);
        }
        if (st != AS_OK)
            return st;
    }
    return AS_OK;
}

as_status as_kube_query_add(struct as_buf *out, const char *key, const char *value)
{
    as_status st;
    bool first = !out->data || !memchr(out->data, '?', out->len);

    if (!value)
        return AS_OK;
    st = as_buf_append(out, first ? "?" : "&", 1);
    if (st == AS_OK)
        st = as_kube_url_escape(out, key);
    if (st == AS_OK)
        st = as_buf_append(out, "=", 1);
    if (st == AS_OK)
        st = as_kube_url_escape(out, value);
    return st;
}
