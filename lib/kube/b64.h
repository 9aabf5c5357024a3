/*
 * b64.h - strict standard base64 decoding for kubeconfig *-data fields
 * (library-internal to lib/kube).
 */
#ifndef AS_KUBE_B64_H
#define AS_KUBE_B64_H

#include <stddef.h>

#include "base/status.h"

/*
 * Decodes standard base64 (RFC 4648 alphabet, '=' padding optional; CR and LF
 * ignored as Go's decoder ignores them). On success *out is a new
 * NUL-terminated buffer (caller owns, free; wipe first if secret) of *out_len
 * bytes. AS_E_PARSE with *bad_offset set to the offending input offset.
 */
as_status as_kube_b64_decode(const char *in, size_t len, char **out, size_t *out_len,
                             size_t *bad_offset);

#endif
