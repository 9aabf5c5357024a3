/*
 * itest_util.h - what every integration program shares: the namespace it works
 * in (created once before its tests as "<prefix>-<pid>-<time>", so runs never
 * collide, also on a shared real cluster, and deleted afterwards with everything
 * in it) and calls to the local API server's /_local control endpoints.
 * Header-only: each itest_*.c is its own program.
 */
#ifndef AS_ITEST_UTIL_H
#define AS_ITEST_UTIL_H

#include <check.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kube/client.h"
#include "kube/ops.h"
#include "kube/resource.h"

/* Names and creates the run's namespace into ns (size bytes); fails the test when it cannot. */
static inline void itest_ns_create(struct as_kube_client *c, const char *prefix, char *ns,
                                   size_t size)
{
    struct as_error err = {0};
    json_t *obj;

    snprintf(ns, size, "%s-%ld-%ld", prefix, (long)getpid(), (long)time(NULL) % 100000);
    obj = json_pack("{s:s,s:s,s:{s:s}}", "apiVersion", "v1", "kind", "Namespace", "metadata",
                    "name", ns);
    ck_assert_msg(as_kube_create(c, as_kube_resource_by_kind("v1", "Namespace"), NULL, obj, NULL,
                                 NULL, &err) == AS_OK,
                  "%s", err.message);
    json_decref(obj);
}

/* Deletes the run's namespace (background propagation); reports, but does not fail, on error. */
static inline void itest_ns_delete(struct as_kube_client *c, const char *program, const char *ns)
{
    struct as_error err = {0};
    struct as_kube_delete_options d = {.propagation_policy = "Background",
                                       .grace_period_seconds = -1};

    if (as_kube_delete(c, as_kube_resource_by_kind("v1", "Namespace"), NULL, ns, &d, NULL, &err) !=
        AS_OK)
        fprintf(stderr, "%s: could not delete namespace %s: %s\n", program, ns, err.message);
}

/*
 * method (POST, or DELETE with body NULL) /_local/<what> on the local API server;
 * fails the test unless it answers 2xx. Only for tests registered when
 * APPSTACK_LOCAL_APISERVER=1 (the endpoints do not exist on a real cluster).
 */
static inline void itest_local_call(struct as_kube_client *c, const char *method, const char *what,
                                    const char *body)
{
    struct as_kube_request req = {0};
    struct as_kube_response resp = {0};
    struct as_error err = {0};
    char path[128];

    snprintf(path, sizeof(path), "/_local/%s", what);
    req.method = method;
    req.path = path;
    req.body = body;
    req.body_len = body ? strlen(body) : 0;
    ck_assert_msg(as_kube_request(c, &req, &resp, &err) == AS_OK, "%s", err.message);
    as_kube_response_free(&resp);
}

#endif
