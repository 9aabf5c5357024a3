/*
 * path.h - building request paths and query strings for the API server.
 *
 * Pure string building, no I/O. Names and namespaces are checked (non-empty,
 * no '/', not "." or "..", at most 253 bytes) rather than escaped, because
 * the API server would reject them anyway; query values (selectors,
 * continue tokens, field managers) are percent-escaped.
 */
#ifndef AS_KUBE_PATH_H
#define AS_KUBE_PATH_H

#include <stdbool.h>

#include "base/buf.h"
#include "base/status.h"
#include "kube/resource.h"

/*
 * Appends the path of a collection or object to out:
 *   /api/v1/namespaces/NS/configmaps[/NAME[/SUB]]
 *   /apis/apps/v1/deployments           (all namespaces: ns NULL)
 *   /apis/appstack.io/v1alpha1/appstackpolicies/NAME   (cluster-scoped)
 * ns is ignored for cluster-scoped resources; name and subresource may be
 * NULL. AS_E_INVALID_ARG (err names the bad part) when a name, namespace or
 * subresource is not a valid path segment, or a subresource is given without
 * a name. On failure out may hold a partial path; reset it before reuse.
 */
as_status as_kube_path(const struct as_kube_resource *res, const char *ns, const char *name,
                       const char *subresource, struct as_buf *out, struct as_error *err);

/* Checks one path segment (name/namespace/subresource); what names the argument in err. */
as_status as_kube_check_segment(const char *seg, const char *what, struct as_error *err);

/*
 * Appends "?key=value" (the first time, i.e. when out holds no '?') or
 * "&key=value", percent-escaping value (RFC 3986 unreserved kept). A NULL
 * value appends nothing and returns AS_OK.
 */
as_status as_kube_query_add(struct as_buf *out, const char *key, const char *value);

/* Appends the percent-escaped form of s. */
as_status as_kube_url_escape(struct as_buf *out, const char *s);

#endif
