/*
 * watch.c - as_kube_watch: opens a streaming watch request and runs the
 * received bytes through the line framer, decoding each line into an event
 * for the caller's callback. ERROR events end the watch with their status.
 */
#include <stdio.h>
#include <string.h>

#include "kube/client_int.h"
#include "kube/ops.h"
#include "kube/path.h"
#include "kube/watch_framer.h"

struct watch_state {
    struct as_watch_framer framer;
    as_kube_watch_fn fn;
    void *ctx;
    bool error_event;   /* the stream ended with an ERROR event */
    bool callback_stop; /* the callback returned non-AS_OK */
    struct as_kube_api_error api;
    struct as_error err; /* why the stream callback stopped */
};

/* Decodes one line and delivers it. */
static as_status on_line(const char *line, size_t len, void *p)
{
    struct watch_state *w = p;
    enum as_kube_watch_type type;
    json_t *obj = NULL;
    as_status st = as_watch_event_decode(line, len, &type, &obj, &w->err);

    if (st != AS_OK)
        return st;
    if (type == AS_KUBE_WATCH_ERROR) {
        w->error_event = true;
        st = as_kube_api_error_from_json(0, obj, &w->api); /* never AS_OK */
        as_kube_api_error_to_error(&w->api, "watch ERROR event", &w->err);
    } else {
        st = w->fn(type, obj, w->ctx);
        if (st != AS_OK) {
            w->callback_stop = true;
            as_error_set(&w->err, st, "watch stopped by the event handler: %s",
                         as_status_message(st));
        }
    }
    json_decref(obj);
    return st;
}

/* Stream receiver: feeds the framer. */
static as_status on_bytes(const char *data, size_t len, void *p)
{
    struct watch_state *w = p;
    return as_watch_framer_feed(&w->framer, data, len, on_line, w, &w->err);
}

/* Builds the watch path with its query. */
static as_status watch_path(const struct as_kube_resource *res, const char *ns,
                            const struct as_kube_watch_options *o, struct as_buf *path,
                            struct as_error *err)
{
    char num[32];
    as_status st = as_kube_path(res, ns, NULL, NULL, path, err);

    if (st != AS_OK)
        return st;
    st = as_kube_query_add(path, "watch", "true");
    if (st == AS_OK && !o->no_bookmarks)
        st = as_kube_query_add(path, "allowWatchBookmarks", "true");
    if (st == AS_OK && o->resource_version && *o->resource_version)
        st = as_kube_query_add(path, "resourceVersion", o->resource_version);
    if (st == AS_OK && o->timeout_seconds > 0) {
        snprintf(num, sizeof(num), "%ld", o->timeout_seconds);
        st = as_kube_query_add(path, "timeoutSeconds", num);
    }
    if (st == AS_OK && o->label_selector && *o->label_selector)
        st = as_kube_query_add(path, "labelSelector", o->label_selector);
    if (st == AS_OK && o->field_selector && *o->field_selector)
        st = as_kube_query_add(path, "fieldSelector", o->field_selector);
    if (st != AS_OK)
        return as_error_set(err, st, "watch %s: query too long", res->plural);
    return AS_OK;
}

/* Maps the end of the stream to the documented result. */
static as_status finish(struct watch_state *w, as_status st, const char *path, struct as_error *err)
{
    if (w->error_event) {
        as_kube__set_last_api_error(&w->api);
        if (err)
            *err = w->err;
        as_error_prefix(err, "watch %s", path);
        return w->api.code;
    }
    if (st != AS_OK && (w->callback_stop || w->framer.failed != AS_OK) && st != AS_E_SHUTDOWN) {
        if (err)
            *err = w->err;
        return w->err.code;
    }
    if (st == AS_OK && as_watch_framer_pending(&w->framer) > 0)
        return as_error_set(err, AS_E_NETWORK,
                            "watch %s: stream ended in the middle of an event; "
                            "resume the watch",
                            path);
    return st;
}

as_status as_kube_watch(struct as_kube_client *c, const struct as_kube_resource *res,
                        const char *ns, const struct as_kube_watch_options *opts,
                        as_kube_watch_fn fn, void *ctx, struct as_error *err)
{
    static const struct as_kube_watch_options none;
    const struct as_kube_watch_options *o = opts ? opts : &none;
    struct watch_state w;
    struct as_kube_request req = {0};
    struct as_kube_response resp;
    struct as_buf path;
    as_status st;

    as_buf_init(&path, 8192);
    as_kube_response_init(&resp);
    if (!res || !fn)
        return as_error_set(err, AS_E_INVALID_ARG, "watch: resource and callback are required");
    if ((st = watch_path(res, ns, o, &path, err)) != AS_OK)
        goto done;
    /* field by field: w.api's causes are written only by an ERROR event (see
       as_kube_response_init) */
    as_watch_framer_init(&w.framer, o->max_line ? o->max_line : AS_KUBE_WATCH_MAX_LINE);
    w.error_event = w.callback_stop = false;
    as_kube_api_error_clear(&w.api);
    memset(&w.err, 0, sizeof(w.err));
    w.fn = fn;
    w.ctx = ctx;
    req.method = "GET";
    req.path = path.data;
    req.watch = true;
    req.stream = on_bytes;
    req.stream_ctx = &w;
    req.cancel = o->cancel;
    if (o->timeout_seconds > 0)
        req.idle_seconds = o->timeout_seconds + 30;
    st = as_kube_request(c, &req, &resp, err);
    st = finish(&w, st, path.data, err);
    as_kube_response_free(&resp);
    as_watch_framer_free(&w.framer);
done:
    as_buf_free(&path);
    return st;
}
