/*
 * certsrc.h - self-managed certificates: the CA and serving certificate are
 * kept in a Secret (created once, reused on restart and shared by replicas),
 * the serving certificate is re-issued at two thirds of its lifetime, the CA
 * likewise (the previous CA stays in the bundle until it expires, so no
 * request fails during the overlap), and the bundle is injected as caBundle
 * into every webhook entry of the named Mutating/ValidatingWebhookConfigurations.
 *
 * Secret keys (type kubernetes.io/tls): tls.crt, tls.key (serving), ca.crt
 * (bundle: current CA first, then the previous one while valid), ca.key.
 */
#ifndef AS_WEBHOOK_CERTSRC_H
#define AS_WEBHOOK_CERTSRC_H

#include <stdint.h>

#include "base/buf.h"
#include "base/status.h"
#include "kube/client.h"
#include "tls/certs.h"

struct as_certsrc_options {
    const char *secret_ns, *secret_name;
    const char *const *sans; /* serving certificate SANs */
    size_t n_sans;
    int64_t validity;                   /* serving certificate lifetime, seconds */
    const char *const *webhook_configs; /* names to inject the bundle into */
    size_t n_webhook_configs;
};

/* The PEM material currently in the Secret (buffers owned; free with _material_free). */
struct as_certsrc_material {
    struct as_buf cert, key, bundle;
    int64_t not_before, not_after;
};

void as_certsrc_material_free(struct as_certsrc_material *m);

/* What the Secret holds, parsed (everything owned; empty parts are NULL). */
struct as_certsrc_state {
    struct as_cert ca, prev_ca, serving;
};

void as_certsrc_state_free(struct as_certsrc_state *s);

/*
 * The pure lifecycle decision: issues a CA when there is none or it is due
 * (two thirds of its life; the old one, while still valid, becomes prev_ca),
 * drops prev_ca once expired, and re-issues the serving certificate when
 * absent, due, or missing a wanted SAN (always after a new CA). *changed
 * tells whether the Secret must be written.
 */
as_status as_certsrc_refresh(struct as_certsrc_state *s, const struct as_certsrc_options *o,
                             int64_t now, bool *changed, struct as_error *err);

/* PEM material of s: serving cert and key, bundle = CA then prev_ca. */
as_status as_certsrc_material_of(const struct as_certsrc_state *s, struct as_certsrc_material *m);

/*
 * Reads the Secret, creates or re-issues what is missing, expired or due
 * (two thirds of its lifetime, or SANs changed), writes the Secret back when
 * it changed (optimistic concurrency; a lost race re-reads the winner's),
 * and fills *out. now is Unix seconds.
 */
as_status as_certsrc_ensure(struct as_kube_client *c, const struct as_certsrc_options *o,
                            int64_t now, struct as_certsrc_material *out, struct as_error *err);

/*
 * Sets clientConfig.caBundle of every webhook entry of each named
 * configuration (both kinds; a name absent in one kind is skipped) to bundle,
 * with a JSON patch, only where it differs.
 */
as_status as_certsrc_inject(struct as_kube_client *c, const struct as_certsrc_options *o,
                            const char *bundle_pem, size_t len, struct as_error *err);

#endif
