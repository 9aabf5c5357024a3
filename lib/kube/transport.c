/*
 * transport.c - sending one request: rate limit, headers, body bounds,
 * streaming, cancellation, Retry-After, and the retry policy described in
 * client.h (reads retried on 5xx/429/dropped connections; writes only on 429
 * and refused connections; watches never).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "kube/client_int.h"

/*
 * The calling thread's last API error: its code in TLS (AS_OK: none, as an
 * API error is never AS_OK), its details on the heap under a pthread key,
 * made on the first error. A thread-local struct would be 15 KiB of TLS that
 * every thread writes when it starts, and keeps resident.
 */
static pthread_once_t last_once = PTHREAD_ONCE_INIT;
static pthread_key_t last_key;
static bool last_key_ok;
static _Thread_local bool last_detailed; /* the slot holds this error's details */
static _Thread_local as_status last_code;
static _Thread_local unsigned long long rng_state;

/* Per-attempt transfer state seen by the curl callbacks. */
struct xfer {
    struct as_kube_client *c;
    const struct as_kube_request *req;
    struct as_kube_response *resp;
    CURL *easy;
    bool limit_hit;
    as_status stream_status;
    long retry_after;
};

static void last_key_make(void)
{
    last_key_ok = pthread_key_create(&last_key, free) == 0;
}

/* The calling thread's details slot, made when missing if make is set; NULL when none. */
static struct as_kube_api_error *last_slot(bool make)
{
    struct as_kube_api_error *slot;

    pthread_once(&last_once, last_key_make);
    if (!last_key_ok)
        return NULL;
    if ((slot = pthread_getspecific(last_key)) == NULL && make &&
        (slot = calloc(1, sizeof(*slot))) != NULL && pthread_setspecific(last_key, slot) != 0) {
        free(slot);
        slot = NULL;
    }
    return slot;
}

as_status as_kube_last_api_error(struct as_kube_api_error *out)
{
    struct as_kube_api_error *slot;

    if (last_code == AS_OK) {
        if (out)
            memset(out, 0, sizeof(*out));
        return AS_OK;
    }
    slot = last_detailed ? last_slot(false) : NULL;
    if (out && slot) {
        *out = *slot;
    } else if (out) { /* the details could not be kept: the code still is */
        memset(out, 0, sizeof(*out));
        out->code = last_code;
    }
    return last_code;
}

void as_kube__set_last_api_error(const struct as_kube_api_error *e)
{
    struct as_kube_api_error *slot = last_slot(true);

    if (slot)
        *slot = *e;
    last_detailed = slot != NULL;
    last_code = e->code;
}

void as_kube_response_init(struct as_kube_response *resp)
{
    resp->http_code = 0;
    as_buf_init(&resp->body, 0);
    resp->retry_after_seconds = 0;
    resp->attempts = 0;
    as_kube_api_error_clear(&resp->api);
}

void as_kube_response_free(struct as_kube_response *resp)
{
    if (resp)
        as_buf_free(&resp->body);
}

/* Uniform random double in [0,1) from a per-thread xorshift generator. */
static double rand01(void)
{
    if (rng_state == 0) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        rng_state = ((unsigned long long)ts.tv_nsec << 20) ^ (unsigned long long)ts.tv_sec ^
                    (unsigned long long)(uintptr_t)&ts;
        if (rng_state == 0)
            rng_state = 88172645463325252ull;
    }
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (double)(rng_state >> 11) / 9007199254740992.0;
}

/* Seconds on the monotonic clock (for the rate limiter). */
static double mono_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* True when the client shuts down or the request's cancel flag is set. */
static bool cancelled(const struct as_kube_client *c, const struct as_kube_request *req)
{
    return atomic_load(&c->shutdown) || (req->cancel && atomic_load(req->cancel));
}

/* Sleeps ms in slices of at most 100 ms; AS_E_SHUTDOWN when cancelled meanwhile. */
static as_status sleep_ms(const struct as_kube_client *c, const struct as_kube_request *req,
                          long ms)
{
    while (ms > 0) {
        long slice = ms > 100 ? 100 : ms;
        struct timespec ts = {slice / 1000, (slice % 1000) * 1000000L};
        if (cancelled(c, req))
            return AS_E_SHUTDOWN;
        while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
            ;
        ms -= slice;
    }
    return cancelled(c, req) ? AS_E_SHUTDOWN : AS_OK;
}

/* Waits for the client-side rate limiter, when enabled. */
static as_status rate_wait(struct as_kube_client *c, const struct as_kube_request *req)
{
    double wait;

    if (c->opts.qps <= 0)
        return AS_OK;
    pthread_mutex_lock(&c->lock);
    wait = as_kube_rate_take(&c->rate, mono_seconds());
    pthread_mutex_unlock(&c->lock);
    return sleep_ms(c, req, (long)(wait * 1000.0 + 0.5));
}

/*
 * libcurl write callback: 2xx bodies of streamed requests go to the stream
 * callback, everything else into the bounded body buffer. Returning less than
 * n aborts the transfer (limit hit or stream stopped).
 */
static size_t on_write(char *data, size_t size, size_t nmemb, void *p)
{
    struct xfer *x = p;
    size_t n = size * nmemb;
    long code = 0;

    if (x->req->stream) {
        curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &code);
        if (code >= 200 && code < 300) {
            as_status st = x->req->stream(data, n, x->req->stream_ctx);
            if (st != AS_OK) {
                x->stream_status = st;
                return 0;
            }
            return n;
        }
    }
    if (as_buf_append(&x->resp->body, data, n) != AS_OK) {
        x->limit_hit = true;
        return 0;
    }
    return n;
}

/* libcurl header callback: picks up Retry-After. */
static size_t on_header(char *data, size_t size, size_t nmemb, void *p)
{
    struct xfer *x = p;
    size_t n = size * nmemb;
    static const char name[] = "retry-after:";
    char value[128];

    if (n > sizeof(name) - 1 && strncasecmp(data, name, sizeof(name) - 1) == 0) {
        size_t vlen = n - (sizeof(name) - 1);
        long secs;
        if (vlen >= sizeof(value))
            vlen = sizeof(value) - 1;
        memcpy(value, data + sizeof(name) - 1, vlen);
        value[vlen] = '\0';
        if (as_kube_parse_retry_after(value, time(NULL), x->c->opts.retry_after_max_seconds,
                                      &secs) == AS_OK)
            x->retry_after = secs;
    }
    return n;
}

/* libcurl progress callback (about once a second even when idle): non-zero aborts. */
static int on_progress(void *p, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
    struct xfer *x = p;
    (void)dt;
    (void)dn;
    (void)ut;
    (void)un;
    return cancelled(x->c, x->req) ? 1 : 0;
}

/* Maps a libcurl failure to a status and message. */
static as_status curl_failure(const struct xfer *x, CURLcode rc, const char *ctx,
                              const char *errbuf, struct as_error *err)
{
    const char *detail = errbuf[0] ? errbuf : curl_easy_strerror(rc);

    switch (rc) {
    case CURLE_WRITE_ERROR:
        if (x->limit_hit)
            return as_error_set(err, AS_E_LIMIT, "%s: response larger than %zu bytes", ctx,
                                x->resp->body.max);
        if (x->stream_status != AS_OK)
            return as_error_set(err, x->stream_status, "%s: stream stopped: %s", ctx,
                                as_status_message(x->stream_status));
        break;
    case CURLE_ABORTED_BY_CALLBACK:
        return as_error_set(err, AS_E_SHUTDOWN, "%s: cancelled", ctx);
    case CURLE_OPERATION_TIMEDOUT:
        return as_error_set(err, AS_E_TIMEOUT, "%s: %s", ctx, detail);
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_ENGINE_INITFAILED:
        return as_error_set(err, AS_E_TLS, "%s: TLS: %s", ctx, detail);
    default:
        break;
    }
    return as_error_set(err, AS_E_NETWORK, "%s: %s", ctx, detail);
}

/* True when the request cannot have reached the server (safe to retry anything). */
static bool not_sent(CURLcode rc)
{
    return rc == CURLE_COULDNT_CONNECT || rc == CURLE_COULDNT_RESOLVE_HOST ||
           rc == CURLE_COULDNT_RESOLVE_PROXY;
}

/* True when a read may be retried after this transport failure (dropped connection). */
static bool dropped(CURLcode rc)
{
    return rc == CURLE_GOT_NOTHING || rc == CURLE_RECV_ERROR || rc == CURLE_SEND_ERROR ||
           rc == CURLE_PARTIAL_FILE || rc == CURLE_HTTP2 || rc == CURLE_HTTP2_STREAM;
}

/* Configures easy for this attempt. */
static as_status prepare(struct xfer *x, struct curl_slist **headers, char *errbuf,
                         struct as_error *err)
{
    const struct as_kube_request *req = x->req;
    CURL *easy = x->easy;
    size_t urllen = strlen(x->c->base_url) + strlen(req->path) + 1;
    char *url;
    as_status st;

    if ((st = as_kube__setup_handle(x->c, easy, req, err)) != AS_OK)
        return st;
    st = as_kube__auth_headers(
        x->c, req->body ? (req->content_type ? req->content_type : "application/json") : NULL,
        headers, err);
    if (st != AS_OK)
        return st;
    url = malloc(urllen);
    if (!url)
        return as_error_set(err, AS_E_NOMEM, "out of memory");
    snprintf(url, urllen, "%s%s", x->c->base_url, req->path);
    curl_easy_setopt(easy, CURLOPT_URL, url); /* libcurl copies it */
    free(url);
    curl_easy_setopt(easy, CURLOPT_HTTPHEADER, *headers);
    curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, on_write);
    curl_easy_setopt(easy, CURLOPT_WRITEDATA, x);
    curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(easy, CURLOPT_HEADERDATA, x);
    curl_easy_setopt(easy, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(easy, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(easy, CURLOPT_XFERINFODATA, x);
    if (strcmp(req->method, "GET") == 0) {
        curl_easy_setopt(easy, CURLOPT_HTTPGET, 1L);
    } else {
        curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST, req->method);
        if (req->body) {
            curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
            curl_easy_setopt(easy, CURLOPT_POSTFIELDS, req->body);
        }
    }
    return AS_OK;
}

/* One attempt: *rc and resp->http_code tell what happened. */
static as_status attempt(struct xfer *x, CURLcode *rc, struct as_error *err)
{
    struct curl_slist *headers = NULL;
    char errbuf[CURL_ERROR_SIZE];
    as_status st;

    errbuf[0] = '\0';
    as_buf_reset(&x->resp->body);
    x->limit_hit = false;
    x->stream_status = AS_OK;
    x->retry_after = 0;
    x->resp->http_code = 0;
    st = prepare(x, &headers, errbuf, err);
    if (st == AS_OK) {
        atomic_fetch_add(&x->c->requests, 1);
        x->resp->attempts++;
        long connects = 0;
        *rc = curl_easy_perform(x->easy);
        curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &x->resp->http_code);
        if (x->c->opts.on_response != NULL)
            x->c->opts.on_response(x->req->method, x->req->watch, x->resp->http_code,
                                   x->c->opts.on_response_ctx);
        if (curl_easy_getinfo(x->easy, CURLINFO_NUM_CONNECTS, &connects) == CURLE_OK)
            atomic_fetch_add(&x->c->connects, (unsigned long)connects);
        x->resp->retry_after_seconds = x->retry_after;
        if (*rc != CURLE_OK) {
            char ctx[512];
            snprintf(ctx, sizeof(ctx), "%s %.400s", x->req->method, x->req->path);
            st = curl_failure(x, *rc, ctx, errbuf, err);
        }
    }
    /* The handle keeps pointers to these; clear them before freeing. */
    curl_easy_setopt(x->easy, CURLOPT_HTTPHEADER, NULL);
    curl_easy_setopt(x->easy, CURLOPT_ERRORBUFFER, NULL);
    as_kube__free_headers(headers);
    return st;
}

/* Decides whether to retry and how long to wait first; returns false to stop. */
static bool should_retry(const struct xfer *x, as_status st, CURLcode rc, long *wait_ms)
{
    const struct as_kube_request *req = x->req;
    long code = x->resp->http_code;
    bool read = strcmp(req->method, "GET") == 0;
    int n = x->resp->attempts;

    if (req->watch || n >= x->c->opts.max_attempts || st == AS_E_SHUTDOWN || st == AS_E_LIMIT)
        return false;
    if (rc != CURLE_OK) {
        /* Transport failure: retry only when the server cannot have acted on it. */
        if (st != AS_E_NETWORK || !(not_sent(rc) || (read && dropped(rc))))
            return false;
    } else if (!(code == 429 || (read && code >= 500 && code <= 599))) {
        return false;
    }
    if (code == 429 || code == 503)
        *wait_ms = (x->retry_after > 0 ? x->retry_after : x->resp->api.retry_after_seconds) * 1000;
    else
        *wait_ms = 0;
    if (*wait_ms <= 0)
        *wait_ms =
            as_kube_backoff_ms(n, x->c->opts.retry_base_ms, x->c->opts.retry_max_ms, 0.5, rand01());
    if (*wait_ms > x->c->opts.retry_after_max_seconds * 1000)
        *wait_ms = x->c->opts.retry_after_max_seconds * 1000;
    return true;
}

/* Turns a finished non-2xx response into the API error. */
static as_status api_failure(struct xfer *x, struct as_error *err)
{
    struct as_kube_response *r = x->resp;
    char ctx[512];

    as_kube_api_error_decode(r->http_code, r->body.data, r->body.len, &r->api);
    if (r->api.retry_after_seconds == 0 && r->retry_after_seconds > 0)
        r->api.retry_after_seconds = r->retry_after_seconds;
    as_kube__set_last_api_error(&r->api);
    snprintf(ctx, sizeof(ctx), "%s %.400s", x->req->method, x->req->path);
    return as_kube_api_error_to_error(&r->api, ctx, err);
}

as_status as_kube_request(struct as_kube_client *c, const struct as_kube_request *req,
                          struct as_kube_response *resp, struct as_error *err)
{
    struct xfer x = {c, req, resp, NULL, false, AS_OK, 0};
    bool temporary = false;
    as_status st = AS_OK;
    CURLcode rc = CURLE_OK;
    long wait_ms = 0;

    as_kube_response_init(resp);
    as_buf_init(&resp->body,
                req->max_response_bytes ? req->max_response_bytes : c->opts.max_response_bytes);
    last_code = AS_OK;
    if (!req->method || !req->path || req->path[0] != '/')
        return as_error_set(err, AS_E_INVALID_ARG,
                            "request: a method and a path starting with "
                            "'/' are required");
    if (cancelled(c, req))
        return as_error_set(err, AS_E_SHUTDOWN, "%s %s: client is shutting down", req->method,
                            req->path);
    x.easy = as_kube__acquire(c, &temporary);
    if (!x.easy)
        return as_error_set(err, AS_E_NOMEM, "libcurl: cannot create a handle");
    for (;;) {
        if ((st = rate_wait(c, req)) != AS_OK)
            break;
        rc = CURLE_OK;
        st = attempt(&x, &rc, err);
        if (st == AS_OK && (resp->http_code < 200 || resp->http_code > 299))
            st = api_failure(&x, err);
        if (st == AS_OK || !should_retry(&x, st, rc, &wait_ms))
            break;
        atomic_fetch_add(&c->retries, 1);
        if ((st = sleep_ms(c, req, wait_ms)) != AS_OK)
            break;
    }
    if (st == AS_E_SHUTDOWN)
        as_error_set(err, AS_E_SHUTDOWN, "%s %s: cancelled", req->method, req->path);
    as_kube__release(c, x.easy, temporary);
    return st;
}
