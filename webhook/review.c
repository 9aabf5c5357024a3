/*
 * review.c - AdmissionReview v1 decoding (bounded, field-naming errors) and
 * response encoding (uid echo, status, warnings, base64 JSONPatch, audit
 * annotations). Pure: no I/O, no clock. The JSON reading and string
 * escaping underneath live in review_json.c.
 */
#include "review.h"

#include <stdlib.h>
#include <string.h>

#include "base/json.h"

/* Reads an optional string field of obj into *out ("" when absent). */
static as_status opt_str(const struct as_jv *obj, const char *key, const char *field,
                         const char **out, struct as_error *err)
{
    const struct as_jv *v = as_jv_get(obj, key);

    if (v == NULL || as_jv_is_null(v)) {
        *out = "";
        return AS_OK;
    }
    if (!as_jv_is_string(v))
        return as_error_set(err, AS_E_INVALID_ARG, "%s: expected string, got %s — send a string",
                            field, as_jv_type_name(v));
    *out = as_jv_str(v);
    return AS_OK;
}

/* Reads an optional object field (NULL when absent or null). */
static as_status opt_obj(const struct as_jv *obj, const char *key, const char *field,
                         const struct as_jv **out, struct as_error *err)
{
    const struct as_jv *v = as_jv_get(obj, key);

    if (v == NULL || as_jv_is_null(v)) {
        *out = NULL;
        return AS_OK;
    }
    if (!as_jv_is_object(v))
        return as_error_set(err, AS_E_INVALID_ARG, "%s: expected object, got %s — send an object",
                            field, as_jv_type_name(v));
    *out = v;
    return AS_OK;
}

/* Checks apiVersion and kind of the envelope. */
static as_status check_envelope(const struct as_jv *doc, struct as_error *err)
{
    const char *av, *kind;
    as_status st;

    if (!as_jv_is_object(doc))
        return as_error_set(err, AS_E_INVALID_ARG,
                            "(root): expected an AdmissionReview object, got %s",
                            as_jv_type_name(doc));
    st = opt_str(doc, "apiVersion", "apiVersion", &av, err);
    if (st == AS_OK && strcmp(av, "admission.k8s.io/v1") != 0)
        st = as_error_set(err, AS_E_INVALID_ARG,
                          "apiVersion: \"%.64s\" is not supported — configure "
                          "admissionReviewVersions: [v1] (admission.k8s.io/v1)",
                          av);
    if (st == AS_OK)
        st = opt_str(doc, "kind", "kind", &kind, err);
    if (st == AS_OK && strcmp(kind, "AdmissionReview") != 0)
        st = as_error_set(err, AS_E_INVALID_ARG,
                          "kind: expected \"AdmissionReview\", got \"%.64s\"", kind);
    return st;
}

/* Reads request.uid: required, non-empty, bounded. */
static as_status read_uid(const struct as_jv *req, const char **out, struct as_error *err)
{
    const char *uid;
    as_status st = opt_str(req, "uid", "request.uid", &uid, err);

    if (st != AS_OK)
        return st;
    if (*uid == '\0')
        return as_error_set(err, AS_E_INVALID_ARG,
                            "request.uid: required value is missing — the response must echo it");
    if (strlen(uid) > AS_REVIEW_MAX_UID)
        return as_error_set(err, AS_E_INVALID_ARG, "request.uid: longer than %d characters",
                            AS_REVIEW_MAX_UID);
    *out = uid;
    return AS_OK;
}

/* Reads request.kind {group, version, kind}; kind is required. */
static as_status read_kind(const struct as_jv *req, struct as_review_request *r,
                           struct as_error *err)
{
    const struct as_jv *k;
    as_status st = opt_obj(req, "kind", "request.kind", &k, err);

    if (st != AS_OK)
        return st;
    if (k == NULL)
        return as_error_set(err, AS_E_INVALID_ARG, "request.kind: required value is missing");
    st = opt_str(k, "group", "request.kind.group", &r->group, err);
    if (st == AS_OK)
        st = opt_str(k, "version", "request.kind.version", &r->version, err);
    if (st == AS_OK)
        st = opt_str(k, "kind", "request.kind.kind", &r->kind, err);
    if (st == AS_OK && *r->kind == '\0')
        st = as_error_set(err, AS_E_INVALID_ARG, "request.kind.kind: required value is missing");
    return st;
}

/* Reads operation, resource, names, user and dryRun. */
static as_status read_fields(const struct as_jv *req, struct as_review_request *r,
                             struct as_error *err)
{
    static const char *const ops[] = {"CREATE", "UPDATE", "DELETE", "CONNECT"};
    const struct as_jv *res = NULL, *user = NULL;
    const struct as_jv *dry;
    as_status st = opt_str(req, "operation", "request.operation", &r->operation, err);
    bool known = false;

    for (size_t i = 0; st == AS_OK && i < 4; i++)
        known = known || strcmp(r->operation, ops[i]) == 0;
    if (st == AS_OK && !known)
        st = as_error_set(err, AS_E_INVALID_ARG,
                          "request.operation: \"%.32s\" is not one of CREATE, UPDATE, DELETE, "
                          "CONNECT",
                          r->operation);
    if (st == AS_OK)
        st = opt_obj(req, "resource", "request.resource", &res, err);
    r->resource = "";
    r->resource_group = "";
    if (st == AS_OK && res != NULL)
        st = opt_str(res, "resource", "request.resource.resource", &r->resource, err);
    if (st == AS_OK && res != NULL)
        st = opt_str(res, "group", "request.resource.group", &r->resource_group, err);
    if (st == AS_OK)
        st = opt_str(req, "subResource", "request.subResource", &r->subresource, err);
    if (st == AS_OK)
        st = opt_str(req, "namespace", "request.namespace", &r->namespace, err);
    if (st == AS_OK)
        st = opt_str(req, "name", "request.name", &r->name, err);
    if (st == AS_OK)
        st = opt_obj(req, "userInfo", "request.userInfo", &user, err);
    r->username = "";
    if (st == AS_OK && user != NULL)
        st = opt_str(user, "username", "request.userInfo.username", &r->username, err);
    dry = as_jv_get(req, "dryRun");
    if (st == AS_OK && dry != NULL && !as_jv_is_null(dry) && !as_jv_is_boolean(dry))
        st = as_error_set(err, AS_E_INVALID_ARG, "request.dryRun: expected boolean, got %s",
                          as_jv_type_name(dry));
    r->dry_run = as_jv_is_true(dry);
    return st;
}

/* Reads object / oldObject and checks the operation has what it needs. */
static as_status read_objects(const struct as_jv *req, struct as_review_request *r,
                              struct as_error *err)
{
    as_status st = opt_obj(req, "object", "request.object", &r->object, err);

    if (st == AS_OK)
        st = opt_obj(req, "oldObject", "request.oldObject", &r->old_object, err);
    if (st != AS_OK)
        return st;
    if ((strcmp(r->operation, "CREATE") == 0 || strcmp(r->operation, "UPDATE") == 0) &&
        r->object == NULL)
        return as_error_set(err, AS_E_INVALID_ARG,
                            "request.object: required for %s — send the object being admitted",
                            r->operation);
    if (*r->name == '\0') {
        /* CREATE with a generated or object-only name: report the object's name */
        const struct as_jv *o = r->object != NULL ? r->object : r->old_object;
        const char *n = as_jv_str(as_jv_get(as_jv_get(o, "metadata"), "name"));
        if (n != NULL)
            r->name = n;
    }
    if (strcmp(r->operation, "UPDATE") == 0 && r->old_object == NULL)
        return as_error_set(err, AS_E_INVALID_ARG,
                            "request.oldObject: required for UPDATE — send the stored object");
    return AS_OK;
}

/* Decodes an AdmissionReview v1 request body. */
as_status as_review_decode(const char *body, size_t len, struct as_review_request *out,
                           struct as_error *err)
{
    struct as_review_request r;
    const struct as_jv *req = NULL;
    as_status st;

    memset(&r, 0, sizeof(r));
    if (len > AS_REVIEW_MAX_BODY)
        return as_error_set(err, AS_E_LIMIT,
                            "request body: %zu bytes is over the limit of %u bytes", len,
                            AS_REVIEW_MAX_BODY);
    as_jv_arena_init(&r.arena);
    st = as_review_json_parse(body, len, true, &r.arena, &r.doc, err);
    if (st != AS_OK) {
        as_jv_arena_free(&r.arena);
        as_error_prefix(err, "request body");
        return st;
    }
    st = check_envelope(r.doc, err);
    if (st == AS_OK)
        st = opt_obj(r.doc, "request", "request", &req, err);
    if (st == AS_OK && req == NULL)
        st = as_error_set(err, AS_E_INVALID_ARG, "request: required value is missing");
    if (st == AS_OK)
        st = read_uid(req, &r.uid, err);
    if (st == AS_OK)
        st = read_kind(req, &r, err);
    if (st == AS_OK)
        st = read_fields(req, &r, err);
    if (st == AS_OK)
        st = read_objects(req, &r, err);
    if (st != AS_OK) {
        as_jv_arena_free(&r.arena);
        return st;
    }
    *out = r;
    return AS_OK;
}

/* Releases the parsed document. */
void as_review_request_free(struct as_review_request *r)
{
    if (r == NULL)
        return;
    as_jv_arena_free(&r->arena);
    memset(r, 0, sizeof(*r));
}

/* Standard base64 with padding. */
as_status as_review_base64(const void *data, size_t len, struct as_buf *out)
{
    static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const unsigned char *p = data;
    as_status st = AS_OK;
    char q[4];

    for (size_t i = 0; i < len && st == AS_OK; i += 3) {
        unsigned v = (unsigned)p[i] << 16;
        if (i + 1 < len)
            v |= (unsigned)p[i + 1] << 8;
        if (i + 2 < len)
            v |= p[i + 2];
        q[0] = tbl[(v >> 18) & 63];
        q[1] = tbl[(v >> 12) & 63];
        q[2] = i + 1 < len ? tbl[(v >> 6) & 63] : '=';
        q[3] = i + 2 < len ? tbl[v & 63] : '=';
        st = as_buf_append(out, q, 4);
    }
    return st;
}

/* Appends ,"key": and the string value (a NULL value is written as ""). */
static as_status put_member(struct as_buf *out, const char *key, const char *value)
{
    as_status st = as_buf_append_str(out, key);

    if (value == NULL)
        value = "";
    return st == AS_OK ? as_review_json_string(out, value, strlen(value)) : st;
}

/* The "status" member of a denial: code, message, reason (each when set). */
static as_status put_status(const struct as_review_response *resp, struct as_buf *out)
{
    const char *sep = "";
    as_status st = as_buf_append_str(out, ",\"status\":{");

    if (st == AS_OK && resp->code != 0) {
        st = as_buf_appendf(out, "\"code\":%d", resp->code);
        sep = ",";
    }
    if (st == AS_OK && resp->message != NULL) {
        st = as_buf_append_str(out, sep);
        if (st == AS_OK)
            st = put_member(out, "\"message\":", resp->message);
        sep = ",";
    }
    if (st == AS_OK && resp->reason != NULL) {
        st = as_buf_append_str(out, sep);
        if (st == AS_OK)
            st = put_member(out, "\"reason\":", resp->reason);
    }
    return st == AS_OK ? as_buf_append(out, "}", 1) : st;
}

/* The "warnings" array. */
static as_status put_warnings(const struct as_review_response *resp, struct as_buf *out)
{
    as_status st = as_buf_append_str(out, ",\"warnings\":[");

    for (size_t i = 0; i < resp->n_warnings && st == AS_OK; i++) {
        if (i > 0)
            st = as_buf_append(out, ",", 1);
        if (st == AS_OK)
            st = as_review_json_string(out, resp->warnings[i], strlen(resp->warnings[i]));
    }
    return st == AS_OK ? as_buf_append(out, "]", 1) : st;
}

/* "patchType":"JSONPatch" and the base64 of the compact patch. */
static as_status put_patch(const json_t *patch, struct as_buf *out)
{
    struct as_buf text;
    as_status st;

    as_buf_init(&text, AS_REVIEW_MAX_BODY);
    st = as_json_dump_append(patch, JSON_COMPACT, &text);
    if (st == AS_OK)
        st = as_buf_append_str(out, ",\"patchType\":\"JSONPatch\",\"patch\":\"");
    if (st == AS_OK)
        st = as_review_base64(text.data, text.len, out);
    if (st == AS_OK)
        st = as_buf_append(out, "\"", 1);
    as_buf_free(&text);
    return st;
}

/* "auditAnnotations" as jansson writes the object (compact, in insertion order). */
static as_status put_annotations(const json_t *ann, struct as_buf *out)
{
    as_status st = as_buf_append_str(out, ",\"auditAnnotations\":");

    return st == AS_OK ? as_json_dump_append(ann, JSON_COMPACT, out) : st;
}

/*
 * Encodes the AdmissionReview response into out, written directly (no jansson
 * tree): byte for byte what json_dumps(JSON_COMPACT) of the same document
 * gives, members in this order. On failure out may hold a partial response.
 */
as_status as_review_encode(const struct as_review_response *resp, struct as_buf *out)
{
    as_status st = as_buf_append_str(out, "{\"apiVersion\":\"admission.k8s.io/v1\","
                                          "\"kind\":\"AdmissionReview\",\"response\":{");

    if (st == AS_OK)
        st = put_member(out, "\"uid\":", resp->uid);
    if (st == AS_OK)
        st = as_buf_append_str(out, resp->allowed ? ",\"allowed\":true" : ",\"allowed\":false");
    if (st == AS_OK && (resp->code != 0 || resp->message != NULL))
        st = put_status(resp, out);
    if (st == AS_OK && resp->n_warnings > 0)
        st = put_warnings(resp, out);
    if (st == AS_OK && resp->patch != NULL && json_array_size(resp->patch) > 0)
        st = put_patch(resp->patch, out);
    if (st == AS_OK && resp->audit_annotations != NULL &&
        json_object_size(resp->audit_annotations) > 0)
        st = put_annotations(resp->audit_annotations, out);
    return st == AS_OK ? as_buf_append(out, "}}", 2) : st;
}
