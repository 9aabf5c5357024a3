/*
 * tlsstore.h - the serving certificate currently in use, swappable at run
 * time. The HTTPS server installs as_tlsstore_cert_cb on its SSL_CTX; every
 * new TLS handshake takes the certificate current at that moment, so a
 * reload or rotation affects new connections only and established ones keep
 * working.
 *
 * Sources: a certificate/key file pair reloaded when either mtime changes
 * (as_tlsstore_reload_files), or PEM given directly (self-managed mode).
 */
#ifndef AS_WEBHOOK_TLSSTORE_H
#define AS_WEBHOOK_TLSSTORE_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include <openssl/ssl.h>

#include "base/status.h"

struct as_tlsstore;

as_status as_tlsstore_new(struct as_tlsstore **out);
void as_tlsstore_free(struct as_tlsstore *s);

/*
 * Sets the serving certificate from PEM (cert_pem may hold the chain after
 * the leaf). AS_E_TLS with err when it does not parse or the key does not
 * match; the previous certificate stays in use then.
 */
as_status as_tlsstore_set_pem(struct as_tlsstore *s, const char *cert_pem, size_t cert_len,
                              const char *key_pem, size_t key_len, struct as_error *err);

/*
 * Reloads cert_file/key_file when their mtimes differ from the last load
 * (always on the first call). *changed says whether a new certificate was
 * installed. Bounded reads (1 MiB per file).
 */
as_status as_tlsstore_reload_files(struct as_tlsstore *s, const char *cert_file,
                                   const char *key_file, bool *changed, struct as_error *err);

/* notAfter of the current certificate (0 when none). */
int64_t as_tlsstore_not_after(struct as_tlsstore *s);
int64_t as_tlsstore_not_before(struct as_tlsstore *s);

/* Configures ctx: TLS 1.2 minimum and the certificate callback reading s (borrowed). */
void as_tlsstore_attach(struct as_tlsstore *s, SSL_CTX *ctx);

/* Number of certificates installed so far (tests, metrics). */
unsigned long as_tlsstore_generation(struct as_tlsstore *s);

#endif
