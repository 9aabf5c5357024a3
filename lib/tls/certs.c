/*
 * tls/certs.c - CA and serving certificate creation, PEM codec and the
 * rotation decision of certs.h (OpenSSL 3).
 */
#include "tls/certs.h"

#include <arpa/inet.h>
#include <string.h>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

/* notBefore is set a little in the past for clock skew: 5 min, less for short validity. */
static int64_t backdate(int64_t validity)
{
    return validity >= 3000 ? 300 : validity / 10;
}

void as_cert_free(struct as_cert *c)
{
    if (c == NULL)
        return;
    EVP_PKEY_free(c->key);
    X509_free(c->cert);
    c->key = NULL;
    c->cert = NULL;
}

/* Sets a random positive 128-bit serial. */
static bool set_serial(X509 *x)
{
    unsigned char raw[16];
    BIGNUM *bn;
    bool ok;

    if (RAND_bytes(raw, sizeof(raw)) != 1)
        return false;
    raw[0] &= 0x7f;
    bn = BN_bin2bn(raw, sizeof(raw), NULL);
    ok = bn != NULL && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) != NULL;
    BN_free(bn);
    return ok;
}

/* Adds one X509v3 extension by its config text. */
static bool add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
    X509V3_CTX ctx;
    X509_EXTENSION *ext;
    bool ok;

    X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
    ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
    ok = ext != NULL && X509_add_ext(x, ext, -1) == 1;
    X509_EXTENSION_free(ext);
    return ok;
}

/* A new certificate skeleton: version 3, serial, validity, subject CN (none when cn is NULL). */
static X509 *new_cert(const char *cn, EVP_PKEY *key, int64_t nb, int64_t na)
{
    X509 *x = X509_new();
    X509_NAME *name = x != NULL ? X509_get_subject_name(x) : NULL;

    if (x == NULL || X509_set_version(x, 2) != 1 || !set_serial(x) ||
        ASN1_TIME_set(X509_getm_notBefore(x), (time_t)nb) == NULL ||
        ASN1_TIME_set(X509_getm_notAfter(x), (time_t)na) == NULL ||
        (cn != NULL && X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                                                  (const unsigned char *)cn, -1, -1, 0) != 1) ||
        X509_set_pubkey(x, key) != 1) {
        X509_free(x);
        return NULL;
    }
    return x;
}

/* Generates an ECDSA P-256 key. */
static EVP_PKEY *new_key(void)
{
    return EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
}

as_status as_cert_make_ca(const char *cn, int64_t now, int64_t validity, struct as_cert *out,
                          struct as_error *err)
{
    EVP_PKEY *key = NULL;
    X509 *x = NULL;

    if (validity <= 0)
        return as_error_set(err, AS_E_INVALID_ARG,
                            "CA certificate: the validity must be positive seconds");
    key = new_key();
    if (key != NULL)
        x = new_cert(cn, key, now - backdate(validity), now + validity);
    if (x == NULL || X509_set_issuer_name(x, X509_get_subject_name(x)) != 1 ||
        !add_ext(x, x, NID_basic_constraints, "critical,CA:TRUE") ||
        !add_ext(x, x, NID_key_usage, "critical,keyCertSign,cRLSign") ||
        !add_ext(x, x, NID_subject_key_identifier, "hash") ||
        X509_sign(x, key, EVP_sha256()) == 0) {
        X509_free(x);
        EVP_PKEY_free(key);
        ERR_clear_error();
        return as_error_set(err, AS_E_TLS, "creating the CA certificate failed (OpenSSL)");
    }
    out->key = key;
    out->cert = x;
    return AS_OK;
}

/* The subject CN of a serving certificate: the first SAN that fits a CN (64 bytes), or NULL. */
static const char *serving_cn(const char *const *sans, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strlen(sans[i]) <= AS_CERT_CN_MAX)
            return sans[i];
    return NULL;
}

/* Builds "DNS:a,IP:1.2.3.4,..." into b ("critical," first when the subject is empty). */
static as_status san_text(const char *const *sans, size_t n, bool critical, struct as_buf *b)
{
    as_status st = critical ? as_buf_append_str(b, "critical,") : AS_OK;
    unsigned char addr[16];

    for (size_t i = 0; i < n && st == AS_OK; i++) {
        bool ip = inet_pton(AF_INET, sans[i], addr) == 1 || inet_pton(AF_INET6, sans[i], addr) == 1;
        if (strchr(sans[i], ',') != NULL)
            return AS_E_INVALID_ARG;
        st = as_buf_appendf(b, "%s%s:%s", i ? "," : "", ip ? "IP" : "DNS", sans[i]);
    }
    return st;
}

as_status as_cert_make_serving(const struct as_cert *ca, const char *const *sans, size_t n_sans,
                               int64_t now, int64_t validity, struct as_cert *out,
                               struct as_error *err)
{
    EVP_PKEY *key = NULL;
    X509 *x = NULL;
    struct as_buf san;
    const char *cn;
    int64_t na = now + validity, ca_na;
    as_status st;

    if (n_sans == 0 || validity <= 0)
        return as_error_set(err, AS_E_INVALID_ARG,
                            "serving certificate: needs at least one SAN and a positive validity");
    cn = serving_cn(sans, n_sans);
    as_buf_init(&san, 16 * 1024);
    st = san_text(sans, n_sans, cn == NULL, &san);
    if (st != AS_OK) {
        as_buf_free(&san);
        return as_error_set(err, AS_E_INVALID_ARG, "serving certificate: invalid SAN list");
    }
    ca_na = as_cert_not_after(ca->cert);
    if (na > ca_na)
        na = ca_na;
    key = new_key();
    if (key != NULL)
        x = new_cert(cn, key, now - backdate(validity), na);
    if (x == NULL || X509_set_issuer_name(x, X509_get_subject_name(ca->cert)) != 1 ||
        !add_ext(x, ca->cert, NID_basic_constraints, "critical,CA:FALSE") ||
        !add_ext(x, ca->cert, NID_key_usage, "critical,digitalSignature,keyEncipherment") ||
        !add_ext(x, ca->cert, NID_ext_key_usage, "serverAuth") ||
        !add_ext(x, ca->cert, NID_subject_alt_name, san.data) ||
        !add_ext(x, ca->cert, NID_authority_key_identifier, "keyid:always") ||
        X509_sign(x, ca->key, EVP_sha256()) == 0) {
        X509_free(x);
        EVP_PKEY_free(key);
        as_buf_free(&san);
        ERR_clear_error();
        return as_error_set(err, AS_E_TLS, "creating the serving certificate failed (OpenSSL)");
    }
    as_buf_free(&san);
    out->key = key;
    out->cert = x;
    return AS_OK;
}

/* Drains a memory BIO into out. */
static as_status bio_to_buf(BIO *bio, struct as_buf *out)
{
    char *p = NULL;
    long n = BIO_get_mem_data(bio, &p);

    return n <= 0 ? AS_E_TLS : as_buf_append(out, p, (size_t)n);
}

as_status as_cert_pem(const X509 *cert, struct as_buf *out)
{
    BIO *bio = BIO_new(BIO_s_mem());
    as_status st = AS_E_NOMEM;

    if (bio != NULL)
        st = PEM_write_bio_X509(bio, (X509 *)cert) == 1 ? bio_to_buf(bio, out) : AS_E_TLS;
    BIO_free(bio);
    return st;
}

as_status as_key_pem(EVP_PKEY *key, struct as_buf *out)
{
    BIO *bio = BIO_new(BIO_s_mem());
    as_status st = AS_E_NOMEM;
    char *p = NULL;
    long n;

    if (bio != NULL)
        st = PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL) == 1 ? AS_OK : AS_E_TLS;
    if (st == AS_OK) {
        n = BIO_get_mem_data(bio, &p);
        st = n <= 0 ? AS_E_TLS : as_buf_append(out, p, (size_t)n);
        if (n > 0)
            as_memwipe(p, (size_t)n);
    }
    BIO_free(bio);
    return st;
}

as_status as_cert_parse(const char *cert_pem, size_t cert_len, const char *key_pem, size_t key_len,
                        struct as_cert *out, struct as_error *err)
{
    BIO *bio = BIO_new_mem_buf(cert_pem, (int)cert_len);
    X509 *x = bio != NULL ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
    EVP_PKEY *key = NULL;

    BIO_free(bio);
    if (x == NULL) {
        ERR_clear_error();
        return as_error_set(err, AS_E_TLS, "certificate: not a PEM X.509 certificate");
    }
    if (key_pem != NULL) {
        bio = BIO_new_mem_buf(key_pem, (int)key_len);
        key = bio != NULL ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL) : NULL;
        BIO_free(bio);
        if (key == NULL || X509_check_private_key(x, key) != 1) {
            ERR_clear_error();
            X509_free(x);
            EVP_PKEY_free(key);
            return as_error_set(err, AS_E_TLS,
                                "private key: not a PEM key or it does not match the certificate");
        }
    }
    out->cert = x;
    out->key = key;
    return AS_OK;
}

/* ASN1_TIME to Unix seconds. */
static int64_t asn1_unix(const ASN1_TIME *t)
{
    struct tm tm;

    memset(&tm, 0, sizeof(tm));
    if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1)
        return 0;
    return (int64_t)timegm(&tm);
}

int64_t as_cert_not_before(const X509 *cert)
{
    return asn1_unix(X509_get0_notBefore(cert));
}

int64_t as_cert_not_after(const X509 *cert)
{
    return asn1_unix(X509_get0_notAfter(cert));
}

bool as_cert_has_san(const X509 *cert, const char *name)
{
    unsigned char addr[16];
    int alen = 0;

    if (inet_pton(AF_INET, name, addr) == 1)
        alen = 4;
    else if (inet_pton(AF_INET6, name, addr) == 1)
        alen = 16;
    if (alen > 0)
        return X509_check_ip((X509 *)cert, addr, (size_t)alen, 0) == 1;
    return X509_check_host((X509 *)cert, name, strlen(name), X509_CHECK_FLAG_NO_WILDCARDS, NULL) ==
           1;
}

bool as_cert_valid_at(int64_t not_before, int64_t not_after, int64_t now)
{
    return now >= not_before && now < not_after;
}

bool as_cert_should_rotate(int64_t not_before, int64_t not_after, int64_t now)
{
    if (!as_cert_valid_at(not_before, not_after, now))
        return true;
    return now >= not_before + (not_after - not_before) * 2 / 3;
}
