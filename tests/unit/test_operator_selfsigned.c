/* test_operator_selfsigned.c - unit tests for operator/selfsigned: the Secret's name and hosts
 * agree with what the renderer puts in the Ingress; the generated Secret parsed back with
 * OpenSSL (PEM, P-256 key matching the leaf, SANs exactly the hosts, chain to ca.crt, dates);
 * labels and ownerReference as the rendered children carry them; facts of absent, broken and
 * mismatched Secrets; the renewal decision at two thirds, before it, and on a new host. */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "check_run.h"
#include "../../operator/selfsigned.h"
#include "kube/b64.h"
#include "op_test_util.h"
#include "render/render.h"
#include "tls/certs.h"

#define NOW 1800000000LL /* 2027-01-15 */
#define LIFE ((int64_t)AS_OP_SELFSIGNED_VALIDITY)

static const char STACK[] =
    "apiVersion: appstack.io/v1alpha1\n"
    "kind: AppStack\n"
    "metadata: {name: shop, namespace: prod, uid: u-1}\n"
    "spec:\n"
    "  components:\n"
    "    - {name: api, type: web, image: 'ghcr.io/acme/api:1.0', port: 8080}\n"
    "  ingress:\n"
    "    host: shop.example.com\n"
    "    extraHosts: [www.shop.example.com, api.shop.example.com]\n"
    "    tls: {selfSigned: true}\n"
    "    routes:\n"
    "      - {path: /, component: api}\n"
    "      - {path: /, component: api, host: api.shop.example.com}\n";

/* A fresh self-signed Secret for stack (aborts the test on failure). Caller owns. */
static json_t *make(const json_t *stack, int64_t now)
{
    json_t *secret = NULL;
    struct as_error err;

    ck_assert_msg(as_op_selfsigned_secret(stack, now, LIFE, &secret, &err) == AS_OK, "%s",
                  err.message);
    return secret;
}

/* data[key] decoded (NUL-terminated). Caller frees. */
static char *data_of(const json_t *secret, const char *key, size_t *len)
{
    const char *v = json_string_value(json_object_get(json_object_get(secret, "data"), key));
    char *raw = NULL;
    size_t n = 0, bad = 0;

    ck_assert_msg(v != NULL, "data[%s] missing", key);
    ck_assert_int_eq(as_kube_b64_decode(v, strlen(v), &raw, &n, &bad), AS_OK);
    if (len)
        *len = n;
    return raw;
}

static X509 *cert_of(const json_t *secret, const char *key)
{
    char *pem = data_of(secret, key, NULL);
    BIO *bio = BIO_new_mem_buf(pem, -1);
    X509 *x = PEM_read_bio_X509(bio, NULL, NULL, NULL);

    BIO_free(bio);
    free(pem);
    ck_assert_ptr_nonnull(x);
    return x;
}

/* The rendered object of kind (first one). Caller owns. */
static json_t *rendered(const json_t *stack, const char *kind)
{
    struct as_field_errors errs;
    json_t *objs = NULL, *o, *found = NULL;
    size_t i;

    as_field_errors_init(&errs);
    ck_assert_int_eq(as_render(stack, NULL, &objs, &errs), AS_OK);
    json_array_foreach(objs, i, o)
    {
        if (!found && strcmp(json_string_value(json_object_get(o, "kind")), kind) == 0)
            found = json_incref(o);
    }
    json_decref(objs);
    as_field_errors_free(&errs);
    ck_assert_ptr_nonnull(found);
    return found;
}

START_TEST(name_and_hosts_are_those_the_ingress_references)
{
    json_t *stack = ot_yaml(STACK), *ing = rendered(stack, "Ingress");
    json_t *tls = json_array_get(json_object_get(json_object_get(ing, "spec"), "tls"), 0);
    json_t *hosts = as_op_selfsigned_hosts(stack), *none, *bare;
    char name[64], tiny[4];

    ck_assert_int_eq(as_op_selfsigned_name(stack, name, sizeof(name)), AS_OK);
    ck_assert_str_eq(name, "shop-tls");
    ck_assert_str_eq(json_string_value(json_object_get(tls, "secretName")), name);
    ck_assert(json_equal(hosts, json_object_get(tls, "hosts")));
    ck_assert_int_eq(json_array_size(hosts), 3);
    ck_assert_int_eq(as_op_selfsigned_name(stack, tiny, sizeof(tiny)), AS_E_LIMIT);
    ck_assert_str_eq(tiny, "");
    bare = ot_with(stack, "metadata.name", NULL);
    ck_assert_int_eq(as_op_selfsigned_name(bare, name, sizeof(name)), AS_E_INVALID_ARG);
    none = as_op_selfsigned_hosts(bare); /* still has an ingress */
    ck_assert_int_eq(json_array_size(none), 3);
    json_decref(none);
    json_decref(bare);
    bare = ot_with(stack, "spec.ingress", NULL);
    none = as_op_selfsigned_hosts(bare);
    ck_assert(json_is_array(none));
    ck_assert_int_eq(json_array_size(none), 0);
    json_decref(none);
    json_decref(bare);
    /* a repeated host is listed once */
    bare =
        ot_with(stack, "spec.ingress.extraHosts", json_pack("[s, s]", "shop.example.com", "b.c"));
    none = as_op_selfsigned_hosts(bare);
    ck_assert_int_eq(json_array_size(none), 2);
    json_decref(none);
    json_decref(bare);
    json_decref(hosts);
    json_decref(ing);
    json_decref(stack);
}
END_TEST

START_TEST(secret_is_a_complete_tls_secret_with_the_childrens_metadata)
{
    json_t *stack = ot_yaml(STACK), *secret = make(stack, NOW), *ing = rendered(stack, "Ingress");
    json_t *meta = json_object_get(secret, "metadata");
    json_t *ref = json_array_get(json_object_get(meta, "ownerReferences"), 0);
    json_t *ing_meta = json_object_get(ing, "metadata");

    ck_assert_str_eq(json_string_value(json_object_get(secret, "apiVersion")), "v1");
    ck_assert_str_eq(json_string_value(json_object_get(secret, "kind")), "Secret");
    ck_assert_str_eq(json_string_value(json_object_get(secret, "type")), "kubernetes.io/tls");
    ck_assert_str_eq(json_string_value(json_object_get(meta, "name")), "shop-tls");
    ck_assert_str_eq(json_string_value(json_object_get(meta, "namespace")), "prod");
    ck_assert_int_eq(json_object_size(json_object_get(secret, "data")), 3);
    /* the same labels and ownerReference as the rendered Ingress that uses it */
    ck_assert(json_equal(json_object_get(meta, "labels"), json_object_get(ing_meta, "labels")));
    ck_assert(json_equal(json_object_get(meta, "ownerReferences"),
                         json_object_get(ing_meta, "ownerReferences")));
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(meta, "labels"),
                                                       "app.kubernetes.io/managed-by")),
                     "appstack-operator");
    ck_assert_str_eq(
        json_string_value(json_object_get(json_object_get(meta, "labels"), "appstack.io/stack")),
        "shop");
    ck_assert_str_eq(json_string_value(json_object_get(ref, "kind")), "AppStack");
    ck_assert_str_eq(json_string_value(json_object_get(ref, "uid")), "u-1");
    ck_assert(json_is_true(json_object_get(ref, "controller")));
    ck_assert(json_is_true(json_object_get(ref, "blockOwnerDeletion")));
    json_decref(ing);
    json_decref(secret);
    json_decref(stack);
}
END_TEST

/* The DNS SANs of x, in order, as a JSON array. */
static json_t *dns_sans(X509 *x)
{
    GENERAL_NAMES *names = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
    json_t *out = json_array();

    for (int i = 0; i < sk_GENERAL_NAME_num(names); i++) {
        const GENERAL_NAME *g = sk_GENERAL_NAME_value(names, i);
        ck_assert_int_eq(g->type, GEN_DNS);
        json_array_append_new(out, json_stringn((const char *)ASN1_STRING_get0_data(g->d.dNSName),
                                                (size_t)ASN1_STRING_length(g->d.dNSName)));
    }
    GENERAL_NAMES_free(names);
    return out;
}

START_TEST(certificate_parses_back_with_openssl)
{
    json_t *stack = ot_yaml(STACK), *secret = make(stack, NOW), *hosts, *sans;
    X509 *leaf = cert_of(secret, "tls.crt"), *ca = cert_of(secret, "ca.crt");
    size_t klen = 0;
    char *kpem = data_of(secret, "tls.key", &klen), group[32] = "";
    BIO *bio = BIO_new_mem_buf(kpem, (int)klen);
    EVP_PKEY *key = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
    X509_STORE *store = X509_STORE_new();
    X509_STORE_CTX *ctx = X509_STORE_CTX_new();

    ck_assert_ptr_nonnull(key);
    ck_assert_ptr_nonnull(strstr(kpem, "-----BEGIN PRIVATE KEY-----"));
    ck_assert(EVP_PKEY_is_a(key, "EC"));
    ck_assert_int_eq(
        EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group), NULL),
        1);
    ck_assert_str_eq(group, "prime256v1");
    ck_assert_int_eq(X509_check_private_key(leaf, key), 1);
    /* SANs: exactly the hosts, in order */
    hosts = as_op_selfsigned_hosts(stack);
    sans = dns_sans(leaf);
    ck_assert(json_equal(sans, hosts));
    ck_assert_int_eq(X509_check_ca(leaf), 0);
    ck_assert(X509_get_extended_key_usage(leaf) & XKU_SSL_SERVER);
    ck_assert_int_eq(X509_check_ca(ca), 1);
    /* dates: [now - 5 min, now + validity) */
    ck_assert_int_eq(as_cert_not_after(leaf), NOW + LIFE);
    ck_assert_int_eq(as_cert_not_before(leaf), NOW - 300);
    /* the leaf chains to ca.crt, for every host */
    X509_STORE_add_cert(store, ca);
    X509_STORE_CTX_init(ctx, store, leaf, NULL);
    X509_VERIFY_PARAM_set_time(X509_STORE_CTX_get0_param(ctx), (time_t)NOW);
    X509_VERIFY_PARAM_set1_host(X509_STORE_CTX_get0_param(ctx), "api.shop.example.com", 0);
    ck_assert_int_eq(X509_verify_cert(ctx), 1);
    /* each call makes a new key */
    {
        json_t *again = make(stack, NOW);
        const char *k1 =
            json_string_value(json_object_get(json_object_get(secret, "data"), "tls.key"));
        const char *k2 =
            json_string_value(json_object_get(json_object_get(again, "data"), "tls.key"));
        ck_assert_str_ne(k1, k2);
        json_decref(again);
    }
    X509_STORE_CTX_free(ctx);
    X509_STORE_free(store);
    BIO_free(bio);
    EVP_PKEY_free(key);
    free(kpem);
    X509_free(leaf);
    X509_free(ca);
    json_decref(sans);
    json_decref(hosts);
    json_decref(secret);
    json_decref(stack);
}
END_TEST

START_TEST(long_host_gets_an_empty_subject_and_a_critical_san)
{
    /* 72 characters: fits a DNS name, not an X.509 CN */
    const char *host = "a-very-long-label-for-testing-0123456789.internal-tools.example.com.xyzw";
    json_t *base = ot_yaml(STACK), *stack, *secret, *hosts;
    X509 *leaf;
    struct as_op_cert_facts f;
    bool covers = false;
    int crit = -1;
    void *ext;

    ck_assert_uint_gt(strlen(host), AS_CERT_CN_MAX);
    stack = ot_with(base, "spec.ingress.host", json_string(host));
    json_object_del(json_object_get(json_object_get(stack, "spec"), "ingress"), "extraHosts");
    secret = make(stack, NOW);
    leaf = cert_of(secret, "tls.crt");
    ck_assert_int_eq(X509_NAME_entry_count(X509_get_subject_name(leaf)), 0);
    ext = X509_get_ext_d2i(leaf, NID_subject_alt_name, &crit, NULL);
    ck_assert_int_eq(crit, 1);
    GENERAL_NAMES_free(ext);
    hosts = as_op_selfsigned_hosts(stack);
    ck_assert_int_eq(as_op_selfsigned_facts(secret, hosts, &f, &covers), AS_OK);
    ck_assert(f.present && covers);
    X509_free(leaf);
    json_decref(hosts);
    json_decref(secret);
    json_decref(stack);
    json_decref(base);
}
END_TEST

START_TEST(facts_read_dates_and_hosts_back)
{
    json_t *stack = ot_yaml(STACK), *secret = make(stack, NOW),
           *hosts = as_op_selfsigned_hosts(stack);
    json_t *fewer = json_pack("[s]", "shop.example.com");
    json_t *more = json_pack("[s, s]", "shop.example.com", "new.shop.example.com");
    struct as_op_cert_facts f;
    bool covers = false;

    ck_assert_int_eq(as_op_selfsigned_facts(secret, hosts, &f, &covers), AS_OK);
    ck_assert(f.present);
    ck_assert(covers);
    ck_assert_int_eq(f.not_before, NOW - 300);
    ck_assert_int_eq(f.not_after, NOW + LIFE);
    ck_assert_int_eq(as_op_selfsigned_facts(secret, fewer, &f, &covers), AS_OK);
    ck_assert(covers); /* a removed host does not force a new certificate */
    ck_assert_int_eq(as_op_selfsigned_facts(secret, more, &f, &covers), AS_OK);
    ck_assert(f.present);
    ck_assert(!covers);
    ck_assert_int_eq(as_op_selfsigned_facts(secret, NULL, &f, NULL), AS_OK);
    ck_assert(f.present);
    ck_assert_int_eq(as_op_selfsigned_facts(secret, hosts, NULL, &covers), AS_E_INVALID_ARG);
    json_decref(more);
    json_decref(fewer);
    json_decref(hosts);
    json_decref(secret);
    json_decref(stack);
}
END_TEST

/* Facts of secret with data[key] replaced by value (NULL: removed). */
static struct as_op_cert_facts facts_with(const json_t *secret, const char *key, json_t *value,
                                          bool *covers)
{
    json_t *copy = json_deep_copy(secret), *data = json_object_get(copy, "data");
    struct as_op_cert_facts f;

    if (value)
        json_object_set_new(data, key, value);
    else
        json_object_del(data, key);
    ck_assert_int_eq(as_op_selfsigned_facts(copy, NULL, &f, covers), AS_OK);
    json_decref(copy);
    return f;
}

START_TEST(absent_broken_and_mismatched_secrets_are_not_present)
{
    json_t *stack = ot_yaml(STACK), *a = make(stack, NOW), *b = make(stack, NOW);
    json_t *other_key = json_object_get(json_object_get(b, "data"), "tls.key");
    struct as_op_cert_facts f = {.present = true, .not_after = 5};
    bool covers = true;

    ck_assert_int_eq(as_op_selfsigned_facts(NULL, NULL, &f, &covers), AS_OK);
    ck_assert(!f.present && !covers && f.not_after == 0 && f.not_before == 0);
    f = facts_with(a, "tls.crt", json_string("bm90IGEgY2VydGlmaWNhdGU="), &covers);
    ck_assert(!f.present && !covers);
    f = facts_with(a, "tls.crt", json_string("%%% not base64"), &covers);
    ck_assert(!f.present);
    f = facts_with(a, "tls.crt", NULL, &covers);
    ck_assert(!f.present);
    f = facts_with(a, "tls.key", NULL, &covers);
    ck_assert(!f.present);
    f = facts_with(a, "tls.key", json_copy(other_key), &covers); /* another key */
    ck_assert(!f.present && !covers);
    ck_assert(as_op_selfsigned_due(&f, covers, NOW));
    f = facts_with(a, "ca.crt", NULL, &covers); /* ca.crt is not needed to serve */
    ck_assert(f.present);
    json_decref(a);
    json_decref(b);
    json_decref(stack);
}
END_TEST

START_TEST(due_at_two_thirds_not_before)
{
    json_t *stack = ot_yaml(STACK), *secret = make(stack, NOW),
           *hosts = as_op_selfsigned_hosts(stack);
    json_t *more = json_pack("[s, s]", "shop.example.com", "new.shop.example.com");
    struct as_op_cert_facts f, none = {0};
    bool covers = false;
    int64_t renew;

    ck_assert_int_eq(as_op_selfsigned_facts(secret, hosts, &f, &covers), AS_OK);
    renew = f.not_before + (f.not_after - f.not_before) * 2 / 3;
    ck_assert(!as_op_selfsigned_due(&f, covers, NOW));
    ck_assert(!as_op_selfsigned_due(&f, covers, NOW + 59 * 86400));
    ck_assert(!as_op_selfsigned_due(&f, covers, renew - 1));
    ck_assert(as_op_selfsigned_due(&f, covers, renew));
    ck_assert(as_op_selfsigned_due(&f, covers, f.not_after + 1));
    ck_assert(as_op_selfsigned_due(&f, covers, f.not_before - 1)); /* clock before notBefore */
    /* a new host: due at once */
    ck_assert_int_eq(as_op_selfsigned_facts(secret, more, &f, &covers), AS_OK);
    ck_assert(as_op_selfsigned_due(&f, covers, NOW));
    /* absent */
    ck_assert(as_op_selfsigned_due(&none, true, NOW));
    ck_assert(as_op_selfsigned_due(NULL, true, NOW));
    /* a renewal made at the deadline is not due again */
    {
        json_t *next = make(stack, renew);
        ck_assert_int_eq(as_op_selfsigned_facts(next, hosts, &f, &covers), AS_OK);
        ck_assert(!as_op_selfsigned_due(&f, covers, renew));
        ck_assert_int_eq(f.not_after, renew + LIFE);
        json_decref(next);
    }
    json_decref(more);
    json_decref(hosts);
    json_decref(secret);
    json_decref(stack);
}
END_TEST

START_TEST(missing_metadata_or_host_is_an_error_naming_it)
{
    json_t *stack = ot_yaml(STACK), *bad, *out = (json_t *)0x1;
    struct as_error err;
    static const char *const fields[] = {"metadata.uid", "metadata.namespace", "metadata.name"};

    for (size_t i = 0; i < 3; i++) {
        bad = ot_with(stack, fields[i], NULL);
        ck_assert_int_eq(as_op_selfsigned_secret(bad, NOW, LIFE, &out, &err), AS_E_INVALID_ARG);
        ck_assert_msg(strstr(err.message, fields[i]) != NULL, "%s", err.message);
        json_decref(bad);
    }
    bad = ot_with(stack, "spec.ingress", NULL);
    ck_assert_int_eq(as_op_selfsigned_secret(bad, NOW, LIFE, &out, &err), AS_E_INVALID_ARG);
    ck_assert_ptr_nonnull(strstr(err.message, "spec.ingress.host"));
    json_decref(bad);
    ck_assert_int_eq(as_op_selfsigned_secret(stack, NOW, 0, &out, &err), AS_E_INVALID_ARG);
    ck_assert_int_eq(as_op_selfsigned_secret(stack, NOW, LIFE, NULL, &err), AS_E_INVALID_ARG);
    ck_assert_ptr_eq(out, (json_t *)0x1);
    json_decref(stack);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("operator_selfsigned");
    TCase *tc = tcase_create("core");

    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, name_and_hosts_are_those_the_ingress_references);
    tcase_add_test(tc, secret_is_a_complete_tls_secret_with_the_childrens_metadata);
    tcase_add_test(tc, certificate_parses_back_with_openssl);
    tcase_add_test(tc, long_host_gets_an_empty_subject_and_a_critical_san);
    tcase_add_test(tc, facts_read_dates_and_hosts_back);
    tcase_add_test(tc, absent_broken_and_mismatched_secrets_are_not_present);
    tcase_add_test(tc, due_at_two_thirds_not_before);
    tcase_add_test(tc, missing_metadata_or_host_is_an_error_naming_it);
    suite_add_tcase(s, tc);
    return as_check_run(s);
}
