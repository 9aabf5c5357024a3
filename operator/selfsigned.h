/*
 * selfsigned.h - spec.ingress.tls.selfSigned: the operator makes the
 * kubernetes.io/tls Secret <stack>-tls that the Ingress references (the
 * renderer renders nothing for it): a throw-away CA (ca.crt) and a leaf
 * certificate it signs for the Ingress hosts (tls.crt, tls.key), ECDSA P-256
 * (tls/certs.h). This module builds that Secret, reads the dates and hosts
 * back out of a cached one, and decides when to renew it. No API I/O; the
 * only non-pure call is the key generation of as_op_selfsigned_secret.
 *
 * The Secret carries the children's conventions (lib/render/meta.c): the
 * labels of the stack's ingress objects (app.kubernetes.io/name and
 * component "ingress", instance "<stack>-ingress", part-of "<stack>",
 * managed-by "appstack-operator", appstack.io/stack "<stack>") and a
 * controller ownerReference to the AppStack with blockOwnerDeletion. The
 * prune pass must get it in `keep` (it is not rendered).
 */
#ifndef AS_OPERATOR_SELFSIGNED_H
#define AS_OPERATOR_SELFSIGNED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "base/status.h"
#include "status.h"

/* Lifetime of a self-signed certificate, seconds (renewed at two thirds: day 60). */
#define AS_OP_SELFSIGNED_VALIDITY (90 * 86400)

/*
 * The TLS Secret's name for a stack, "<metadata.name>-tls" (the name the
 * renderer gives the Ingress's tls.secretName; valid stack names are at most
 * 30 characters, so the renderer never shortens it), into buf.
 * AS_E_INVALID_ARG when appstack has no metadata.name or buf is NULL;
 * AS_E_LIMIT when it does not fit size (buf is then "").
 */
as_status as_op_selfsigned_name(const json_t *appstack, char *buf, size_t size);

/*
 * The hosts the certificate must cover: spec.ingress.host, then every
 * spec.ingress.extraHosts[] (strings; a route's host must be one of these),
 * empty and repeated names left out. A new array of strings (caller owns),
 * empty when there is no ingress; NULL only when out of memory.
 */
json_t *as_op_selfsigned_hosts(const json_t *appstack);

/*
 * Makes a new CA and a leaf certificate for the hosts of appstack (borrowed),
 * both ECDSA P-256, valid [now - 5 min, now + validity), and returns in
 * *secret_out the complete Secret ready for create (caller owns):
 * apiVersion v1, kind Secret, metadata {name, namespace, labels,
 * ownerReferences}, type kubernetes.io/tls, data {tls.crt (the leaf), tls.key
 * (its PKCS#8 key), ca.crt (the CA; its key is thrown away)} in base64.
 *
 * AS_E_INVALID_ARG when secret_out is NULL, metadata.name, .namespace or .uid
 * is missing, or there is no spec.ingress.host (err names the field);
 * AS_E_TLS when OpenSSL fails; AS_E_NOMEM. Nothing is set on failure. Key
 * material is wiped from every temporary buffer.
 */
as_status as_op_selfsigned_secret(const json_t *appstack, int64_t now, int64_t validity,
                                  json_t **secret_out, struct as_error *err);

/*
 * Reads a cached TLS Secret (borrowed; NULL = absent). out->present is true
 * when data["tls.crt"] holds a PEM certificate (the first one counts) and
 * data["tls.key"] the private key that matches it; then not_before and
 * not_after are its dates. Otherwise *out is all zero. *covers_hosts
 * (covers_hosts may be NULL) is true when the certificate is present and has
 * a SAN for every string in hosts (borrowed array, NULL = none).
 * AS_E_INVALID_ARG when out is NULL; AS_E_NOMEM. A broken Secret is not an
 * error: it is simply not present.
 */
as_status as_op_selfsigned_facts(const json_t *secret, const json_t *hosts,
                                 struct as_op_cert_facts *out, bool *covers_hosts);

/*
 * True when the Secret must be (re)made: absent or unparsable (f NULL or not
 * present, or dates out of order), not covering the hosts, or past two thirds
 * of its lifetime or outside it (as_cert_should_rotate). Pure.
 */
bool as_op_selfsigned_due(const struct as_op_cert_facts *f, bool covers_hosts, int64_t now);

#endif
