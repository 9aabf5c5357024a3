/*
 * bench_decision.c - the webhook's admission decision alone, in process: one
 * AdmissionReview (default: tests/bench/webhook/pod-review.json, the review
 * `make bench-webhook` sends) decoded, evaluated with the default policy and
 * answered on /validate, inside a request scope of the webhook's allocator as
 * webhook/routes.c does. Prints the best of 7 passes in microseconds per
 * review. No TLS, no sockets: this is the part of a request the project's own
 * code decides, and under callgrind its instruction count does not move with
 * the machine's load (docs/benchmarks.md):
 *
 *   valgrind --tool=callgrind build/release/bench/bench_decision REVIEW 200
 *
 * Usage: bench_decision [REVIEW.json [ITERATIONS]]   (ITERATIONS per pass, default 3000)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "base/buf.h"
#include "base/metrics.h"
#include "policy/policy.h"
#include "../../webhook/admit.h"
#include "../../webhook/jsonalloc.h"

#define PASSES 7
#define MAX_REVIEW (4u * 1024u * 1024u)

static double now_s(void)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    const char *path = argc > 1 ? argv[1] : "tests/bench/webhook/pod-review.json";
    long iterations = argc > 2 ? strtol(argv[2], NULL, 10) : 3000;
    struct as_admit_metrics am = {0};
    struct as_policy_config cfg;
    struct as_metrics *m = NULL;
    struct as_buf out;
    double best = 1e9;
    char *body;
    size_t len;
    FILE *f;

    if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        printf("usage: bench_decision [REVIEW.json [ITERATIONS]]\n"
               "  Decides REVIEW (default tests/bench/webhook/pod-review.json) on /validate\n"
               "  ITERATIONS times per pass (default 3000), 7 passes; prints the best pass\n"
               "  in microseconds per review.\n");
        return 0;
    }
    if (iterations <= 0) {
        fprintf(stderr, "bench_decision: ITERATIONS must be a positive number\n");
        return 2;
    }
    f = fopen(path, "rb");
    body = malloc(MAX_REVIEW);
    if (f == NULL || body == NULL) {
        fprintf(stderr, "bench_decision: cannot read %s\n", path);
        if (f != NULL)
            fclose(f);
        free(body);
        return 2;
    }
    len = fread(body, 1, MAX_REVIEW, f);
    fclose(f);
    as_jsonalloc_install();
    if (as_metrics_new(&m) != AS_OK || as_admit_metrics_register(m, &am) != AS_OK ||
        as_policy_config_init_default(&cfg) != AS_OK) {
        fprintf(stderr, "bench_decision: set-up failed\n");
        free(body);
        return 1;
    }
    struct as_admit_env env = {.cfg = &cfg, .metrics = am};
    as_buf_init(&out, 8u * 1024u * 1024u);
    for (int pass = 0; pass < PASSES; pass++) {
        double t0 = now_s(), us;

        for (long i = 0; i < iterations; i++) {
            int status = 0;

            as_buf_reset(&out);
            as_jsonalloc_scope_begin();
            if (as_admit_handle(&env, AS_ADMIT_VALIDATE, body, len, (int64_t)time(NULL), 0, &out,
                                &status) != AS_OK ||
                status != 200) {
                fprintf(stderr, "bench_decision: %s was not decided (HTTP %d): %s\n", path, status,
                        out.data != NULL ? out.data : "");
                return 1;
            }
            as_jsonalloc_scope_end();
        }
        us = (now_s() - t0) / (double)iterations * 1e6;
        if (us < best)
            best = us;
    }
    printf("decision: %s, %zu bytes: %.2f us per review (best of %d passes of %ld)\n", path, len,
           best, PASSES, iterations);
    as_buf_free(&out);
    as_policy_config_free(&cfg);
    as_metrics_free(m);
    free(body);
    return 0;
}
