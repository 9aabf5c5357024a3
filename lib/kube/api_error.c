/*
 * api_error.c - Kubernetes Status objects to as_status plus details.
 * Classification uses the HTTP code and Status.reason only.
 */
#include <stdio.h>
#include <string.h>

#include "kube/api_error.h"

/* Status.reason values (k8s.io/apimachinery/pkg/apis/meta/v1 StatusReason*). */
static const struct {
    const char *reason;
    as_status code;
} reasons[] = {
    {"NotFound", AS_E_API_NOT_FOUND},
    {"AlreadyExists", AS_E_API_ALREADY_EXISTS},
    {"Conflict", AS_E_API_CONFLICT},
    {"Invalid", AS_E_API_INVALID},
    {"Forbidden", AS_E_API_FORBIDDEN},
    {"Unauthorized", AS_E_API_UNAUTHORIZED},
    {"TooManyRequests", AS_E_API_TOO_MANY_REQUESTS},
    {"Expired", AS_E_API_GONE},
    {"Gone", AS_E_API_GONE},
    {"Timeout", AS_E_API_SERVER_TIMEOUT},
    {"ServerTimeout", AS_E_API_SERVER_TIMEOUT},
    {"InternalError", AS_E_API_INTERNAL},
    {"ServiceUnavailable", AS_E_API_UNAVAILABLE},
    {"BadRequest", AS_E_API_BAD_REQUEST},
    {"MethodNotAllowed", AS_E_API_BAD_REQUEST},
    {"NotAcceptable", AS_E_API_BAD_REQUEST},
    {"UnsupportedMediaType", AS_E_API_BAD_REQUEST},
    {"RequestEntityTooLarge", AS_E_API_BAD_REQUEST},
};

/* Classification by HTTP code alone. */
static as_status classify_http(long http_code)
{
    switch (http_code) {
    case 400:
        return AS_E_API_BAD_REQUEST;
    case 401:
        return AS_E_API_UNAUTHORIZED;
    case 403:
        return AS_E_API_FORBIDDEN;
    case 404:
        return AS_E_API_NOT_FOUND;
    case 409:
        return AS_E_API_CONFLICT;
    case 410:
        return AS_E_API_GONE;
    case 422:
        return AS_E_API_INVALID;
    case 429:
        return AS_E_API_TOO_MANY_REQUESTS;
    case 500:
        return AS_E_API_INTERNAL;
    case 503:
        return AS_E_API_UNAVAILABLE;
    case 504:
        return AS_E_API_SERVER_TIMEOUT;
    default:
        break;
    }
    if (http_code >= 400 && http_code < 500)
        return AS_E_API_BAD_REQUEST;
    if (http_code >= 500 && http_code < 600)
        return AS_E_API_INTERNAL;
    return AS_E_API_OTHER;
}

void as_kube_api_error_clear(struct as_kube_api_error *e)
{
    e->code = AS_OK;
    e->http_code = 0;
    e->reason[0] = e->message[0] = e->kind[0] = e->name[0] = '\0';
    e->retry_after_seconds = 0;
    e->ncauses = e->ncauses_total = 0;
}

as_status as_kube_classify(long http_code, const char *reason)
{
    if (reason && *reason) {
        for (size_t i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++)
            if (strcmp(reasons[i].reason, reason) == 0)
                return reasons[i].code;
    }
    return classify_http(http_code);
}

/* Copies a JSON string member into a fixed field (truncating); "" when absent. */
static void copy_str(char *dst, size_t size, const json_t *obj, const char *key)
{
    const char *s = json_string_value(json_object_get(obj, key));
    snprintf(dst, size, "%s", s ? s : "");
}

/* Fills the causes from details.causes. */
static void copy_causes(struct as_kube_api_error *out, const json_t *details)
{
    const json_t *causes = json_object_get(details, "causes");
    size_t i;
    json_t *c;

    if (!json_is_array(causes))
        return;
    out->ncauses_total = json_array_size(causes);
    json_array_foreach(causes, i, c)
    {
        if (out->ncauses == AS_KUBE_MAX_CAUSES)
            break;
        if (!json_is_object(c))
            continue;
        struct as_kube_status_cause *dst = &out->causes[out->ncauses++];
        copy_str(dst->type, sizeof(dst->type), c, "reason");
        copy_str(dst->field, sizeof(dst->field), c, "field");
        copy_str(dst->message, sizeof(dst->message), c, "message");
    }
}

as_status as_kube_api_error_from_json(long http_code, const json_t *status,
                                      struct as_kube_api_error *out)
{
    const json_t *details;
    const char *kind;

    memset(out, 0, sizeof(*out));
    out->http_code = http_code;
    kind = json_string_value(json_object_get(status, "kind"));
    if (!json_is_object(status) || !kind || strcmp(kind, "Status") != 0) {
        out->code = classify_http(http_code);
        return out->code;
    }
    if (http_code == 0)
        out->http_code = (long)json_integer_value(json_object_get(status, "code"));
    copy_str(out->reason, sizeof(out->reason), status, "reason");
    copy_str(out->message, sizeof(out->message), status, "message");
    details = json_object_get(status, "details");
    if (json_is_object(details)) {
        copy_str(out->kind, sizeof(out->kind), details, "kind");
        copy_str(out->name, sizeof(out->name), details, "name");
        out->retry_after_seconds =
            (long)json_integer_value(json_object_get(details, "retryAfterSeconds"));
        copy_causes(out, details);
    }
    out->code = as_kube_classify(out->http_code, out->reason);
    return out->code;
}

/* Keeps a printable excerpt of a non-Status body as the message. */
static void body_excerpt(struct as_kube_api_error *out, const char *body, size_t len)
{
    size_t n = 0;

    for (size_t i = 0; i < len && n + 1 < sizeof(out->message) && n < 200; i++) {
        unsigned char ch = (unsigned char)body[i];
        out->message[n++] = (ch >= 0x20 && ch < 0x7f) ? (char)ch : ' ';
    }
    out->message[n] = '\0';
}

as_status as_kube_api_error_decode(long http_code, const char *body, size_t len,
                                   struct as_kube_api_error *out)
{
    json_t *doc = NULL;

    if (body && len > 0)
        doc = json_loadb(body, len, JSON_REJECT_DUPLICATES, NULL);
    as_kube_api_error_from_json(http_code, doc, out);
    out->http_code = http_code;
    if (!doc || out->reason[0] == '\0') {
        if (out->message[0] == '\0' && body)
            body_excerpt(out, body, len);
    }
    json_decref(doc);
    return out->code;
}

as_status as_kube_api_error_to_error(const struct as_kube_api_error *e, const char *context,
                                     struct as_error *err)
{
    char buf[AS_ERROR_MESSAGE_MAX];
    size_t n;
    int w;

    w = snprintf(buf, sizeof(buf), "%s%s%s (HTTP %ld)%s%s", context ? context : "",
                 context ? ": " : "", e->reason[0] ? e->reason : as_status_name(e->code),
                 e->http_code, e->message[0] ? ": " : "", e->message);
    n = w < 0 ? 0 : ((size_t)w >= sizeof(buf) ? sizeof(buf) - 1 : (size_t)w);
    /* The server's message normally already lists the causes; add them only when it is empty. */
    for (size_t i = 0; e->message[0] == '\0' && i < e->ncauses && n + 1 < sizeof(buf); i++) {
        const struct as_kube_status_cause *c = &e->causes[i];
        w = snprintf(buf + n, sizeof(buf) - n, "; %s%s%s", c->field, c->field[0] ? ": " : "",
                     c->message);
        if (w < 0)
            break;
        n += (size_t)w >= sizeof(buf) - n ? sizeof(buf) - n - 1 : (size_t)w;
    }
    return as_error_set(err, e->code, "%s", buf);
}
