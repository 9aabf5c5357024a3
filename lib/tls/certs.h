/*
 * tls/certs.h - certificate material (OpenSSL): a self-signed CA, a serving
 * certificate it signs (DNS and IP SANs), PEM encoding/decoding, and the pure
 * rotation decision. Used by the webhook's serving certificate
 * (webhook/certsrc.c keeps it in a Secret and injects the CA bundle) and the
 * operator's self-signed stack certificates (operator/selfsigned.c). No
 * files, no API server.
 *
 * Keys are ECDSA P-256. Times are Unix seconds passed by the caller.
 */
#ifndef AS_TLS_CERTS_H
#define AS_TLS_CERTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "base/buf.h"
#include "base/status.h"

/* The longest subject CN X.509 allows (ub-common-name). */
#define AS_CERT_CN_MAX 64

/* A key pair and its certificate (both owned). */
struct as_cert {
    EVP_PKEY *key;
    X509 *cert;
};

void as_cert_free(struct as_cert *c);

/* Creates a self-signed CA named cn valid [now - 5 min, now + validity). */
as_status as_cert_make_ca(const char *cn, int64_t now, int64_t validity, struct as_cert *out,
                          struct as_error *err);

/*
 * Creates a serving certificate signed by ca with the given SANs: entries that
 * parse as IPv4/IPv6 addresses become IP SANs, others DNS SANs; the first
 * one of at most AS_CERT_CN_MAX bytes is also the CN (none fits: an empty
 * subject and a critical SAN extension, RFC 5280 4.2.1.6). Extended key
 * usage serverAuth. Valid [now - 5 min, now + validity) but never past the
 * CA's notAfter.
 */
as_status as_cert_make_serving(const struct as_cert *ca, const char *const *sans, size_t n_sans,
                               int64_t now, int64_t validity, struct as_cert *out,
                               struct as_error *err);

/* Appends the certificate / the private key (PKCS#8) as PEM to out. */
as_status as_cert_pem(const X509 *cert, struct as_buf *out);
as_status as_key_pem(EVP_PKEY *key, struct as_buf *out);

/*
 * Parses a PEM certificate and (when key_pem is not NULL) a PEM private key,
 * checking that the key matches. AS_E_TLS with err naming which part failed.
 */
as_status as_cert_parse(const char *cert_pem, size_t cert_len, const char *key_pem, size_t key_len,
                        struct as_cert *out, struct as_error *err);

/* notBefore / notAfter as Unix seconds. */
int64_t as_cert_not_before(const X509 *cert);
int64_t as_cert_not_after(const X509 *cert);

/* True when the certificate's SANs list name (DNS) or address (IP literal). */
bool as_cert_has_san(const X509 *cert, const char *name);

/*
 * Rotation decision (pure): rotate once now has passed two thirds of the
 * validity [not_before, not_after), or when now is outside it.
 */
bool as_cert_should_rotate(int64_t not_before, int64_t not_after, int64_t now);

/* True while now is within [not_before, not_after). */
bool as_cert_valid_at(int64_t not_before, int64_t not_after, int64_t now);

#endif
