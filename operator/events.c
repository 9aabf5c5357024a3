/*
 * events.c - core/v1 Event objects with stable, aggregating names.
 */
#include "events.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <openssl/sha.h>

#include "base/buf.h"
#include "kube/object.h"
#include "optime.h"

char *as_op_event_truncate(const char *msg, char *buf, size_t size)
{
    size_t limit = AS_OP_EVENT_MESSAGE_MAX - 1, n = msg ? strlen(msg) : 0;

    if (size - 1 < limit)
        limit = size - 1;
    if (n <= limit) {
        memcpy(buf, msg ? msg : "", n);
        buf[n] = '\0';
        return buf;
    }
    n = limit - 3;
    /* back up over UTF-8 continuation bytes so no character is split */
    while (n > 0 && ((unsigned char)msg[n] & 0xC0) == 0x80)
        n--;
    memcpy(buf, msg, n);
    memcpy(buf + n, "...", 4);
    return buf;
}

static bool camel_case(const char *s)
{
    size_t n = s ? strlen(s) : 0;

    if (n == 0 || n > 128 || s[0] < 'A' || s[0] > 'Z')
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' && s[i] <= 'z') ||
              (s[i] >= '0' && s[i] <= '9')))
            return false;
    return true;
}

static const char *str_or_empty(const char *s)
{
    return s ? s : "";
}

static as_status check(const struct as_op_event_in *in, struct as_error *err)
{
    if (!in || !in->stack || !in->stack[0])
        return as_error_set(err, AS_E_INVALID_ARG, "event: stack: required value is missing");
    if (!as_kube_obj_name(in->involved) ||
        !json_string_value(json_object_get(in->involved, "kind")))
        return as_error_set(err, AS_E_INVALID_ARG,
                            "event: involvedObject: kind and metadata.name are required");
    if (!in->type || (strcmp(in->type, "Normal") != 0 && strcmp(in->type, "Warning") != 0))
        return as_error_set(err, AS_E_INVALID_ARG, "event: type: \"%s\" is not Normal or Warning",
                            str_or_empty(in->type));
    if (!camel_case(in->reason))
        return as_error_set(err, AS_E_INVALID_ARG,
                            "event: reason: \"%s\" is not CamelCase (letters and digits, at most "
                            "128, starting upper-case)",
                            str_or_empty(in->reason));
    return AS_OK;
}

/* Appends s and a separator to the hash input. */
static void feed(struct as_buf *h, const char *s)
{
    (void)as_buf_append_str(h, str_or_empty(s));
    (void)as_buf_append(h, "\n", 1);
}

as_status as_op_event_name(const struct as_op_event_in *in, char *buf, size_t size,
                           struct as_error *err)
{
    unsigned char md[SHA256_DIGEST_LENGTH];
    char msg[AS_OP_EVENT_MESSAGE_MAX];
    struct as_buf h;
    as_status st = check(in, err);
    const json_t *o;
    int n;

    if (st != AS_OK)
        return st;
    if (strlen(in->stack) + 17 > 253)
        return as_error_set(err, AS_E_INVALID_ARG, "event: stack: name too long for an event name");
    o = in->involved;
    as_op_event_truncate(in->message, msg, sizeof(msg));
    as_buf_init(&h, 8192);
    feed(&h, json_string_value(json_object_get(o, "apiVersion")));
    feed(&h, json_string_value(json_object_get(o, "kind")));
    feed(&h, as_kube_obj_namespace(o));
    feed(&h, as_kube_obj_name(o));
    feed(&h, as_kube_obj_uid(o));
    feed(&h, in->type);
    feed(&h, in->reason);
    feed(&h, msg);
    if (!h.data) {
        as_buf_free(&h);
        return as_error_set(err, AS_E_NOMEM, "event: out of memory");
    }
    SHA256((const unsigned char *)h.data, h.len, md);
    as_buf_free(&h);
    n = snprintf(buf, size, "%s.%02x%02x%02x%02x%02x%02x%02x%02x", in->stack, md[0], md[1], md[2],
                 md[3], md[4], md[5], md[6], md[7]);
    if (n < 0 || (size_t)n >= size)
        return as_error_set(err, AS_E_LIMIT, "event: name buffer too small");
    return AS_OK;
}

as_status as_op_event_build(const struct as_op_event_in *in, int64_t now, json_t **out,
                            struct as_error *err)
{
    char name[AS_OP_EVENT_NAME_MAX], msg[AS_OP_EVENT_MESSAGE_MAX], ts[AS_OP_TIME_MAX];
    const json_t *o;
    const char *ns;
    json_t *ev, *inv;
    as_status st = as_op_event_name(in, name, sizeof(name), err);

    if (st != AS_OK)
        return st;
    o = in->involved;
    ns = as_kube_obj_namespace(o) ? as_kube_obj_namespace(o) : "default";
    as_op_event_truncate(in->message, msg, sizeof(msg));
    as_op_time_format(now, ts);
    inv = json_pack("{s:s, s:s, s:s, s:s}", "apiVersion",
                    str_or_empty(json_string_value(json_object_get(o, "apiVersion"))), "kind",
                    json_string_value(json_object_get(o, "kind")), "name", as_kube_obj_name(o),
                    "namespace", ns);
    if (inv && as_kube_obj_uid(o))
        json_object_set_new(inv, "uid", json_string(as_kube_obj_uid(o)));
    ev = json_pack("{s:s, s:s, s:{s:s, s:s}, s:o, s:s, s:s, s:s, s:{s:s}, s:s, s:s, s:s, s:s, s:i}",
                   "apiVersion", "v1", "kind", "Event", "metadata", "name", name, "namespace", ns,
                   "involvedObject", inv, "reason", in->reason, "message", msg, "type", in->type,
                   "source", "component", AS_OP_EVENT_COMPONENT, "reportingComponent",
                   AS_OP_EVENT_COMPONENT, "reportingInstance", str_or_empty(in->instance),
                   "firstTimestamp", ts, "lastTimestamp", ts, "count", 1);
    if (!ev)
        return as_error_set(err, AS_E_NOMEM, "event: out of memory");
    *out = ev;
    return AS_OK;
}

json_t *as_op_event_repeat_patch(const json_t *existing, int64_t now)
{
    const json_t *c = json_object_get(existing, "count");
    json_int_t count = json_is_integer(c) && json_integer_value(c) > 0 ? json_integer_value(c) : 1;
    char ts[AS_OP_TIME_MAX];

    as_op_time_format(now, ts);
    return json_pack("{s:I, s:s}", "count", count + 1, "lastTimestamp", ts);
}

as_status as_op_event_for(const json_t *appstack, enum as_op_event_what what, const json_t *child,
                          const char *detail, const char *instance, int64_t now, json_t **out,
                          struct as_error *err)
{
    static const struct {
        const char *type, *reason, *lead, *tail;
    } table[] = {
        [AS_OP_EV_CREATED] = {"Normal", "Created", "created", ""},
        [AS_OP_EV_UPDATED] = {"Normal", "Updated", "updated", ""},
        [AS_OP_EV_PRUNED] = {"Normal", "Pruned", "deleted", ": no longer in the spec"},
        [AS_OP_EV_APPLY_FAILED] = {"Warning", "ApplyFailed", "applying", " failed"},
        [AS_OP_EV_INVALID_SPEC] = {"Warning", "InvalidSpec", "", ""},
        [AS_OP_EV_DELETE_FAILED] = {"Warning", "PruneFailed", "deleting", " failed"},
    };
    struct as_op_event_in in;
    struct as_buf msg;
    as_status st;

    if ((unsigned)what >= sizeof(table) / sizeof(table[0]))
        return as_error_set(err, AS_E_INVALID_ARG, "event: unknown kind of event %d", (int)what);
    as_buf_init(&msg, 4 * AS_OP_EVENT_MESSAGE_MAX);
    if (child && what != AS_OP_EV_INVALID_SPEC)
        (void)as_buf_appendf(&msg, "%s %s %s%s", table[what].lead,
                             str_or_empty(json_string_value(json_object_get(child, "kind"))),
                             str_or_empty(as_kube_obj_name(child)), table[what].tail);
    if (detail && detail[0])
        (void)as_buf_appendf(&msg, "%s%s", msg.len ? ": " : "", detail);
    in.involved = appstack;
    in.stack = as_kube_obj_name(appstack);
    in.type = table[what].type;
    in.reason = table[what].reason;
    in.message = msg.data ? msg.data : "";
    in.instance = instance;
    st = as_op_event_build(&in, now, out, err);
    as_buf_free(&msg);
    return st;
}
