/*
 * tlsstore.c - the swappable serving certificate of tlsstore.h: a mutex
 * guards the current leaf, chain and key; the SSL_CTX certificate callback
 * copies them into each new SSL under that mutex.
 */
#include "tlsstore.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/err.h>
#include <openssl/pem.h>

#include "base/buf.h"
#include "tls/certs.h"

#define MAX_FILE (1024 * 1024)

struct as_tlsstore {
    pthread_mutex_t lock;
    X509 *leaf;
    STACK_OF(X509) * chain;
    EVP_PKEY *key;
    struct timespec cert_mtime, key_mtime;
    unsigned long generation;
};

as_status as_tlsstore_new(struct as_tlsstore **out)
{
    struct as_tlsstore *s = calloc(1, sizeof(*s));

    if (s == NULL)
        return AS_E_NOMEM;
    pthread_mutex_init(&s->lock, NULL);
    *out = s;
    return AS_OK;
}

void as_tlsstore_free(struct as_tlsstore *s)
{
    if (s == NULL)
        return;
    X509_free(s->leaf);
    sk_X509_pop_free(s->chain, X509_free);
    EVP_PKEY_free(s->key);
    pthread_mutex_destroy(&s->lock);
    free(s);
}

/* Reads the certificates after the first one in cert_pem (the chain). */
static STACK_OF(X509) * read_chain(const char *pem, size_t len)
{
    BIO *bio = BIO_new_mem_buf(pem, (int)len);
    STACK_OF(X509) *chain = sk_X509_new_null();
    X509 *x;
    int i = 0;

    while (bio != NULL && chain != NULL && (x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL)
        if (i++ == 0 || sk_X509_push(chain, x) <= 0)
            X509_free(x);
    ERR_clear_error();
    BIO_free(bio);
    return chain;
}

as_status as_tlsstore_set_pem(struct as_tlsstore *s, const char *cert_pem, size_t cert_len,
                              const char *key_pem, size_t key_len, struct as_error *err)
{
    struct as_cert c = {0};
    STACK_OF(X509) * chain;
    as_status st = as_cert_parse(cert_pem, cert_len, key_pem, key_len, &c, err);

    if (st != AS_OK)
        return st;
    chain = read_chain(cert_pem, cert_len);
    pthread_mutex_lock(&s->lock);
    X509_free(s->leaf);
    sk_X509_pop_free(s->chain, X509_free);
    EVP_PKEY_free(s->key);
    s->leaf = c.cert;
    s->key = c.key;
    s->chain = chain;
    s->generation++;
    pthread_mutex_unlock(&s->lock);
    return AS_OK;
}

/* Reads a whole file (bounded) into b. */
static as_status read_file(const char *path, struct as_buf *b, struct as_error *err)
{
    char chunk[8192];
    size_t n;
    FILE *f = fopen(path, "rb");
    as_status st = AS_OK;

    if (f == NULL)
        return as_error_set(err, AS_E_IO, "%s: %s", path, strerror(errno));
    while (st == AS_OK && (n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        st = as_buf_append(b, chunk, n);
    fclose(f);
    as_memwipe(chunk, sizeof(chunk));
    if (st == AS_E_LIMIT)
        return as_error_set(err, st, "%s: larger than %d bytes", path, MAX_FILE);
    return st;
}

static bool ts_eq(struct timespec a, struct timespec b)
{
    return a.tv_sec == b.tv_sec && a.tv_nsec == b.tv_nsec;
}

as_status as_tlsstore_reload_files(struct as_tlsstore *s, const char *cert_file,
                                   const char *key_file, bool *changed, struct as_error *err)
{
    struct stat cs, ks;
    struct as_buf cb, kb;
    as_status st;

    *changed = false;
    if (stat(cert_file, &cs) != 0)
        return as_error_set(err, AS_E_IO, "--tls-cert-file %s: %s", cert_file, strerror(errno));
    if (stat(key_file, &ks) != 0)
        return as_error_set(err, AS_E_IO, "--tls-key-file %s: %s", key_file, strerror(errno));
    pthread_mutex_lock(&s->lock);
    bool same =
        s->leaf != NULL && ts_eq(s->cert_mtime, cs.st_mtim) && ts_eq(s->key_mtime, ks.st_mtim);
    pthread_mutex_unlock(&s->lock);
    if (same)
        return AS_OK;
    as_buf_init(&cb, MAX_FILE);
    as_buf_init(&kb, MAX_FILE);
    st = read_file(cert_file, &cb, err);
    if (st == AS_OK)
        st = read_file(key_file, &kb, err);
    if (st == AS_OK)
        st = as_tlsstore_set_pem(s, cb.data, cb.len, kb.data, kb.len, err);
    if (st == AS_OK) {
        pthread_mutex_lock(&s->lock);
        s->cert_mtime = cs.st_mtim;
        s->key_mtime = ks.st_mtim;
        pthread_mutex_unlock(&s->lock);
        *changed = true;
    }
    as_buf_free(&cb);
    as_buf_wipe_free(&kb);
    return st;
}

int64_t as_tlsstore_not_after(struct as_tlsstore *s)
{
    int64_t t;

    pthread_mutex_lock(&s->lock);
    t = s->leaf != NULL ? as_cert_not_after(s->leaf) : 0;
    pthread_mutex_unlock(&s->lock);
    return t;
}

int64_t as_tlsstore_not_before(struct as_tlsstore *s)
{
    int64_t t;

    pthread_mutex_lock(&s->lock);
    t = s->leaf != NULL ? as_cert_not_before(s->leaf) : 0;
    pthread_mutex_unlock(&s->lock);
    return t;
}

unsigned long as_tlsstore_generation(struct as_tlsstore *s)
{
    unsigned long g;

    pthread_mutex_lock(&s->lock);
    g = s->generation;
    pthread_mutex_unlock(&s->lock);
    return g;
}

/* SSL_CTX certificate callback: installs the current leaf, chain and key on ssl. */
static int cert_cb(SSL *ssl, void *arg)
{
    struct as_tlsstore *s = arg;
    int ok = 0;

    pthread_mutex_lock(&s->lock);
    if (s->leaf != NULL && s->key != NULL && SSL_use_certificate(ssl, s->leaf) == 1 &&
        SSL_use_PrivateKey(ssl, s->key) == 1 &&
        (s->chain == NULL || SSL_set1_chain(ssl, s->chain) == 1))
        ok = 1;
    pthread_mutex_unlock(&s->lock);
    return ok;
}

void as_tlsstore_attach(struct as_tlsstore *s, SSL_CTX *ctx)
{
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_cert_cb(ctx, cert_cb, s);
}
