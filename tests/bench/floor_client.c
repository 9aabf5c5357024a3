/*
 * floor_client.c - the memory floor under appstack-operator, for
 * hack/bench-operator (not a test, and not a bench_* program: hack/bench
 * does not run it alone).
 *
 * It loads what the operator loads (lib/kube over libcurl and OpenSSL, the
 * same libraries), reads the kubeconfig as the operator does, makes one
 * request (GET /version) over its TLS settings, prints "ready" and sleeps
 * until SIGTERM or SIGINT. Its RSS, sampled beside the idle operator's in
 * the same run, is the part of the operator's idle RSS that no change to the
 * operator's own code can remove. Exit 0 after the signal, 1 on a failure
 * (printed).
 */
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

#include "kube/client.h"
#include "kube/kubeconfig.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

int main(void)
{
    struct as_kube_config_options co = {.no_in_cluster = true};
    struct as_kube_request req = {.method = "GET", .path = "/version"};
    struct as_kube_response resp;
    struct as_kube_config *cfg = NULL;
    struct as_kube_client *cl = NULL;
    struct as_error err = {0};
    struct sigaction sa = {.sa_handler = on_signal};
    as_status st;

    as_kube_response_init(&resp);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    st = as_kube_global_init(&err);
    if (st == AS_OK)
        st = as_kube_config_load(&co, &cfg, &err);
    if (st == AS_OK)
        st = as_kube_client_new(cfg, NULL, &cl, &err);
    if (st == AS_OK)
        st = as_kube_request(cl, &req, &resp, &err);
    as_kube_response_free(&resp);
    if (st != AS_OK) {
        fprintf(stderr, "floor_client: %s\n", err.message);
        as_kube_client_free(cl);
        return 1;
    }
    printf("ready\n");
    fflush(stdout);
    while (!stop)
        pause();
    as_kube_client_free(cl);
    return 0;
}
