/*
 * object.h - small read-only accessors for Kubernetes objects held as JSON
 * (metadata fields and the namespace/name key used by caches and queues).
 * Pure; strings returned are borrowed from the object.
 */
#ifndef AS_KUBE_OBJECT_H
#define AS_KUBE_OBJECT_H

#include <stddef.h>

#include <jansson.h>

#include "base/buf.h"
#include "base/status.h"

/* metadata.<field> as a string, or NULL when absent or not a string. Borrowed. */
const char *as_kube_obj_name(const json_t *obj);
const char *as_kube_obj_namespace(const json_t *obj);
const char *as_kube_obj_uid(const json_t *obj);
const char *as_kube_obj_resource_version(const json_t *obj);

/* metadata.labels[key] / metadata.annotations[key], or NULL. Borrowed. */
const char *as_kube_obj_label(const json_t *obj, const char *key);
const char *as_kube_obj_annotation(const json_t *obj, const char *key);

/*
 * Writes the cache key "namespace/name" (or "name" for cluster-scoped
 * objects, i.e. without metadata.namespace) into buf. AS_E_MISSING when the
 * object has no metadata.name; AS_E_LIMIT when buf is too small (buf then
 * holds a truncated key and must not be used).
 */
as_status as_kube_obj_key(const json_t *obj, char *buf, size_t size);

/*
 * Splits a key made by as_kube_obj_key into namespace ("" when none) and name,
 * copied into the caller's buffers. AS_E_LIMIT when a buffer is too small,
 * AS_E_INVALID_ARG for an empty name or more than one '/'.
 */
as_status as_kube_split_key(const char *key, char *ns, size_t ns_size, char *name,
                            size_t name_size);

/*
 * Appends the base64-decoded value of a Secret's data[key] to out (bounded by
 * out's maximum: AS_E_LIMIT). AS_E_MISSING when absent or empty, AS_E_PARSE
 * when not base64. The temporary copy is wiped (the value may be secret).
 */
as_status as_kube_secret_data(const json_t *secret, const char *key, struct as_buf *out);

#endif
