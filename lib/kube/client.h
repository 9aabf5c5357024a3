/*
 * client.h - the HTTP transport to the API server (libcurl over OpenSSL).
 *
 * One client per process is typical; it is thread-safe. Each thread that
 * makes requests gets its own CURL easy handle (created on first use, kept
 * alive between requests so connections are reused); all handles share one
 * CURLSH holding TLS sessions and the DNS cache. A request made while the
 * same thread is already inside a request (e.g. a watch callback calling
 * as_kube_get) uses a temporary handle.
 *
 * Policy:
 * - TLS: CA from memory (kubeconfig data or file), client certificate and key
 *   from memory, tls-server-name by connecting to the server's address while
 *   naming and verifying the host tls-server-name (CURLOPT_CONNECT_TO; the
 *   Host header still names the server), proxy-url (used even when NO_PROXY
 *   matches; without it the usual HTTPS_PROXY/NO_PROXY variables apply),
 *   basic auth, bearer token
 *   (re-read from its file when it rotates; the Authorization header is
 *   wiped after each request). The basic-auth password is copied by libcurl,
 *   which frees it without wiping.
 * - Timeouts: connect_timeout_ms for connecting; request_timeout_ms for the
 *   whole request except watches, which have no total timeout but abort when
 *   less than 1 byte arrives in watch_idle_seconds (TCP keep-alive is on).
 * - Identity: User-Agent "<program>/<version> (linux/<arch>) appstack".
 * - Bodies: gzip accepted; every response body is bounded (max_response_bytes
 *   after decompression) -> AS_E_LIMIT.
 * - Retries: reads (GET, i.e. get, list, discovery) are retried up to
 *   max_attempts on 5xx, 429 and dropped or refused connections, waiting the
 *   server's Retry-After (capped at retry_after_max_seconds) or a jittered
 *   backoff (retry_base_ms doubling). Writes are retried only when the server
 *   cannot have processed them: a 429 (the API server's priority-and-fairness
 *   and max-in-flight filters reject before the request reaches storage) and
 *   a refused connection; never on 5xx or a connection dropped mid-request.
 *   Watches are never retried here (the informer resumes them).
 * - Rate limit: optional token bucket (qps/burst), off by default.
 * - Shutdown: as_kube_client_shutdown makes every in-flight request (watches
 *   included) return AS_E_SHUTDOWN within about a second, and every later one
 *   fail immediately.
 */
#ifndef AS_KUBE_CLIENT_H
#define AS_KUBE_CLIENT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include "base/buf.h"
#include "base/status.h"
#include "kube/api_error.h"
#include "kube/kubeconfig.h"

#define AS_KUBE_DEFAULT_MAX_RESPONSE (64u * 1024u * 1024u)

struct as_kube_client_options {
    const char *program;            /* User-Agent program name, e.g. "appstack-operator" */
    const char *version;            /* NULL = AS_VERSION */
    long connect_timeout_ms;        /* 0 = 10000 */
    long request_timeout_ms;        /* 0 = 60000; not applied to watches */
    long watch_idle_seconds;        /* 0 = 330 (> the server's 5 min watch timeout + slack) */
    size_t max_response_bytes;      /* 0 = AS_KUBE_DEFAULT_MAX_RESPONSE */
    double qps;                     /* client-side rate limit; <= 0 = off (the default) */
    int burst;                      /* bucket size when qps > 0; < 1 = 1 */
    int max_attempts;               /* tries for a retriable request; 0 = 3; 1 = no retries */
    long retry_base_ms;             /* first backoff; 0 = 100 */
    long retry_max_ms;              /* backoff cap; 0 = 5000 */
    long retry_after_max_seconds;   /* cap on honoured Retry-After; 0 = 10 */
    const char *user_agent_comment; /* appended to the User-Agent (e.g. an identity), or NULL */
    /*
     * Called after every HTTP attempt (retries included) with the method, whether it
     * was a watch, and the HTTP code (0 = no response). From the requesting thread;
     * must be quick and thread-safe (metrics). NULL = none.
     */
    void (*on_response)(const char *method, bool watch, long http_code, void *ctx);
    void *on_response_ctx;
};

struct as_kube_client;

/*
 * Creates a client. Takes ownership of cfg (freed with the client, also on
 * failure). opts may be NULL (defaults). curl_global_init must have run
 * (as_kube_global_init) before threads start.
 */
as_status as_kube_client_new(struct as_kube_config *cfg, const struct as_kube_client_options *opts,
                             struct as_kube_client **out, struct as_error *err);

/*
 * Frees the client and every handle it created. Call only after every thread
 * has stopped using it (after as_kube_client_shutdown and joining them).
 */
void as_kube_client_free(struct as_kube_client *c);

/* Aborts in-flight requests and fails later ones with AS_E_SHUTDOWN. Thread- and signal-safe. */
void as_kube_client_shutdown(struct as_kube_client *c);

/* The config the client uses (borrowed; read-only). */
const struct as_kube_config *as_kube_client_config(const struct as_kube_client *c);

/* Default namespace of the context ("default" when unset). Borrowed. */
const char *as_kube_client_namespace(const struct as_kube_client *c);

/* Calls curl_global_init once; call from main before starting threads. */
as_status as_kube_global_init(struct as_error *err);

/* Streaming receiver for as_kube_request: returns AS_OK to continue, anything else aborts. */
typedef as_status (*as_kube_stream_fn)(const char *data, size_t len, void *ctx);

struct as_kube_request {
    const char *method;       /* "GET", "POST", "PUT", "PATCH", "DELETE" */
    const char *path;         /* absolute path with query, e.g. "/api/v1/namespaces?limit=5" */
    const char *content_type; /* of body; NULL = "application/json" when body is set */
    const char *body;         /* borrowed; NULL for none */
    size_t body_len;
    bool watch;               /* streaming: no total timeout, idle detection, never retried */
    as_kube_stream_fn stream; /* when set, 2xx body bytes go here instead of resp->body */
    void *stream_ctx;
    const atomic_bool *cancel; /* when set and true, the request aborts with AS_E_SHUTDOWN */
    size_t max_response_bytes; /* 0 = the client's limit */
    long idle_seconds;         /* watch: abort when idle this long; 0 = the client's setting */
    long timeout_ms;           /* non-watch: whole-request timeout; 0 = the client's setting */
};

struct as_kube_response {
    long http_code;               /* 0 when no response was received */
    struct as_buf body;           /* owned; the (decompressed) body unless streamed */
    long retry_after_seconds;     /* parsed Retry-After header (0 when absent) */
    int attempts;                 /* requests sent, including retries */
    struct as_kube_api_error api; /* filled when http_code is not 2xx */
};

/*
 * Empties *resp (caller storage) for as_kube_request, which does it too, and
 * as_kube_response_free. Unlike "= {0}" it leaves the API error's causes
 * array (13 KiB) untouched: only api.ncauses of them are ever read, and
 * zeroing them kept those stack pages resident in every thread.
 */
void as_kube_response_init(struct as_kube_response *resp);

/* Frees resp->body; resp itself is caller storage. */
void as_kube_response_free(struct as_kube_response *resp);

/*
 * Sends req (with the retry and rate-limit policy above) and fills *resp,
 * which the caller then frees with as_kube_response_free (also on failure).
 * Returns AS_OK for 2xx; for other HTTP codes the decoded AS_E_API_* with
 * resp->api filled and err reading "METHOD PATH: Reason (HTTP n): message";
 * transport failures: AS_E_NETWORK, AS_E_TIMEOUT, AS_E_TLS, AS_E_LIMIT,
 * AS_E_SHUTDOWN, or the stream callback's status.
 */
as_status as_kube_request(struct as_kube_client *c, const struct as_kube_request *req,
                          struct as_kube_response *resp, struct as_error *err);

/*
 * Copies the API error details of the last failed operation on the calling
 * thread (for callers of ops.h that need Status causes) and returns its code;
 * AS_OK when the last request on this thread succeeded or was not an API error.
 */
as_status as_kube_last_api_error(struct as_kube_api_error *out);

/* Request counters (for tests and metrics). */
struct as_kube_client_stats {
    unsigned long requests; /* HTTP requests sent, retries included */
    unsigned long retries;
    unsigned long handles;  /* easy handles created */
    unsigned long connects; /* new connections opened (the others reused a kept-alive one) */
};
void as_kube_client_stats(const struct as_kube_client *c, struct as_kube_client_stats *out);

#endif
