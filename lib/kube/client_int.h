/*
 * client_int.h - the client struct, shared by client.c (lifecycle, handles,
 * TLS and auth setup) and transport.c (sending requests, retries).
 * Library-internal to lib/kube.
 */
#ifndef AS_KUBE_CLIENT_INT_H
#define AS_KUBE_CLIENT_INT_H

#include <pthread.h>
#include <stdatomic.h>

#include <curl/curl.h>

#include "kube/client.h"
#include "kube/retry.h"

/* One thread's easy handle; registered in the client's list. */
struct as_kube__slot {
    CURL *easy;
    bool busy;
    struct as_kube_client *owner;
    struct as_kube__slot *next;
};

struct as_kube_client {
    struct as_kube_config *cfg;         /* owned */
    struct as_kube_client_options opts; /* defaults filled in; strings not used after init */
    char *user_agent;
    char *base_url;                /* server URL, host replaced by tls-server-name when set */
    struct curl_slist *connect_to; /* "TSN:PORT:HOST:PORT" when tls-server-name is set */
    char *host_header;             /* "Host: host:port" when tls-server-name is set */
    CURLSH *share;
    pthread_mutex_t share_locks[CURL_LOCK_DATA_LAST];
    pthread_key_t key;    /* -> struct as_kube__slot of the calling thread */
    pthread_mutex_t lock; /* slots list and rate limiter */
    struct as_kube__slot *slots;
    struct as_kube_rate_limiter rate;
    atomic_bool shutdown;
    atomic_ulong requests, retries, handles, connects;
};

/*
 * Gets an easy handle for the calling thread (its own, or a temporary one
 * when its own is busy: *temporary is then true). NULL when out of memory.
 */
CURL *as_kube__acquire(struct as_kube_client *c, bool *temporary);
void as_kube__release(struct as_kube_client *c, CURL *easy, bool temporary);

/*
 * Resets easy and applies the connection options (share, TLS, proxy, auth
 * except the bearer token, timeouts, user agent, gzip). AS_E_TLS when libcurl
 * lacks a needed feature.
 */
as_status as_kube__setup_handle(struct as_kube_client *c, CURL *easy,
                                const struct as_kube_request *req, struct as_error *err);

/*
 * Appends the request headers (Accept, Content-Type, Authorization with the
 * current bearer token, Host override, no Expect) to *headers. The caller
 * wipes and frees them with as_kube__free_headers.
 */
as_status as_kube__auth_headers(struct as_kube_client *c, const char *content_type,
                                struct curl_slist **headers, struct as_error *err);
void as_kube__free_headers(struct curl_slist *headers);

/* Records e as the calling thread's last API error (see as_kube_last_api_error). */
void as_kube__set_last_api_error(const struct as_kube_api_error *e);

#endif
