/*
 * status_util.c - small readers shared by the status checks: typed lookups
 * with defaults, children by kind and name, their conditions and times,
 * message and condition setters.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/json.h"
#include "kube/object.h"
#include "optime.h"
#include "status_int.h"

int64_t st_iget(const json_t *o, const char *path, int64_t dflt)
{
    const json_t *v = as_json_path(o, path);

    return json_is_integer(v) ? (int64_t)json_integer_value(v) : dflt;
}

const char *st_sget(const json_t *o, const char *path)
{
    return json_string_value(as_json_path(o, path));
}

bool st_bget(const json_t *o, const char *path, bool dflt)
{
    const json_t *v = as_json_path(o, path);

    return json_is_boolean(v) ? json_is_true(v) : dflt;
}

/* Appends to a message, silently stopping at the limit (whole pieces only). */
void st_madd(struct as_buf *b, const char *fmt, ...)
{
    va_list ap;
    char *tmp;
    size_t room = b->max - b->len, len;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n <= 0 || room == 0)
        return;
    tmp = malloc((size_t)n + 1);
    if (!tmp)
        return;
    va_start(ap, fmt);
    vsnprintf(tmp, (size_t)n + 1, fmt, ap);
    va_end(ap);
    len = (size_t)n;
    if (len > room) { /* keep what fits, without splitting a UTF-8 character */
        len = room;
        while (len > 0 && ((unsigned char)tmp[len] & 0xC0) == 0x80)
            len--;
    }
    (void)as_buf_append(b, tmp, len);
    free(tmp);
}

/* A message's text, never NULL. */
const char *st_text(const struct as_buf *b)
{
    return b->data ? b->data : "";
}

void st_set_cond(struct ctx *x, enum cond_id id, const char *status, const char *reason)
{
    x->c[id].set = true;
    x->c[id].status = status;
    x->c[id].reason = reason;
}

/* "<stack>-<suffix>" into buf. */
const char *st_child_name(const struct ctx *x, const char *suffix, char *buf, size_t size)
{
    snprintf(buf, size, "%s-%s", x->name, suffix);
    return buf;
}

/* The live child of this kind and name (borrowed) or NULL. */
const json_t *st_live_get(const struct ctx *x, const char *kind, const char *name)
{
    const json_t *o;
    size_t i;

    json_array_foreach(x->live, i, o)
    {
        const char *k = json_string_value(json_object_get(o, "kind"));
        const char *n = as_kube_obj_name(o);
        if (k && n && strcmp(k, kind) == 0 && strcmp(n, name) == 0)
            return o;
    }
    return NULL;
}

/* The condition of a child's status.conditions by type (borrowed) or NULL. */
const json_t *st_child_cond(const json_t *obj, const char *type)
{
    const json_t *c;
    size_t i;

    json_array_foreach(as_json_path(obj, "status.conditions"), i, c)
    {
        const char *t = json_string_value(json_object_get(c, "type"));
        if (t && strcmp(t, type) == 0)
            return c;
    }
    return NULL;
}

bool st_child_cond_is(const json_t *obj, const char *type, const char *status)
{
    const char *s = json_string_value(json_object_get(st_child_cond(obj, type), "status"));

    return s && strcmp(s, status) == 0;
}

int64_t st_time_at(const json_t *o, const char *path)
{
    int64_t t = 0;

    return as_op_time_parse(st_sget(o, path), &t) ? t : 0;
}

/* The last run of a CronJob failed: scheduled after the last success, nothing active. */
bool st_cron_last_failed(const json_t *cj)
{
    int64_t sched = st_time_at(cj, "status.lastScheduleTime");
    int64_t ok = st_time_at(cj, "status.lastSuccessfulTime");

    return sched > 0 && sched > ok && json_array_size(as_json_path(cj, "status.active")) == 0;
}

void st_set_str(json_t *o, const char *k, const char *v)
{
    if (v)
        json_object_set_new(o, k, json_string(v));
}

void st_set_time(json_t *o, const char *k, const json_t *src, const char *path)
{
    st_set_str(o, k, st_sget(src, path));
}
