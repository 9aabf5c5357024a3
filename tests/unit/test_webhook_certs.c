/* test_webhook_certs.c - unit tests for lib/tls/certs and webhook/tlsstore: CA and serving
 * certificate (chain, SANs, validity, key usage), PEM round trip, the rotation decision, and
 * the swappable serving certificate. */
#include <check.h>
#include <string.h>
#include <time.h>

#include <openssl/x509v3.h>

#include "check_run.h"
#include "../../webhook/certsrc.h"
#include "../../webhook/routes.h"
#include "../../webhook/tlsstore.h"
#include "tls/certs.h"

#define NOW 1800000000LL /* 2027-01-15 */

START_TEST(ca_is_self_signed_ca_with_requested_validity)
{
    struct as_cert ca = {0};
    struct as_error err;

    ck_assert_int_eq(as_cert_make_ca("test-ca", NOW, 86400 * 10, &ca, &err), AS_OK);
    ck_assert_int_eq(X509_check_ca(ca.cert), 1);
    ck_assert_int_eq(X509_verify(ca.cert, ca.key), 1);
    ck_assert_int_eq(as_cert_not_after(ca.cert), NOW + 86400 * 10);
    ck_assert_int_le(as_cert_not_before(ca.cert), NOW);
    ck_assert_int_ge(as_cert_not_before(ca.cert), NOW - 300);
    as_cert_free(&ca);
}
END_TEST

START_TEST(serving_cert_has_sans_and_verifies_against_ca)
{
    struct as_cert ca = {0}, srv = {0};
    struct as_error err;
    const char *sans[] = {"appstack-webhook.appstack-system.svc",
                          "appstack-webhook.appstack-system.svc.cluster.local", "127.0.0.1"};
    X509_STORE *store = X509_STORE_new();
    X509_STORE_CTX *ctx = X509_STORE_CTX_new();

    ck_assert_int_eq(as_cert_make_ca("ca", NOW, 86400 * 100, &ca, &err), AS_OK);
    ck_assert_int_eq(as_cert_make_serving(&ca, sans, 3, NOW, 86400 * 10, &srv, &err), AS_OK);
    for (int i = 0; i < 3; i++)
        ck_assert(as_cert_has_san(srv.cert, sans[i]));
    ck_assert(!as_cert_has_san(srv.cert, "evil.example.com"));
    ck_assert(!as_cert_has_san(srv.cert, "127.0.0.2"));
    ck_assert_int_eq(X509_check_ca(srv.cert), 0);
    ck_assert(X509_get_extended_key_usage(srv.cert) & XKU_SSL_SERVER);
    ck_assert_int_eq(as_cert_not_after(srv.cert), NOW + 86400 * 10);
    X509_STORE_add_cert(store, ca.cert);
    X509_STORE_CTX_init(ctx, store, srv.cert, NULL);
    X509_VERIFY_PARAM_set_time(X509_STORE_CTX_get0_param(ctx), (time_t)NOW);
    ck_assert_int_eq(X509_verify_cert(ctx), 1);
    X509_STORE_CTX_free(ctx);
    X509_STORE_free(store);
    as_cert_free(&srv);
    as_cert_free(&ca);
}
END_TEST

START_TEST(serving_cert_never_outlives_its_ca)
{
    struct as_cert ca = {0}, srv = {0};
    struct as_error err;
    const char *sans[] = {"localhost"};

    ck_assert_int_eq(as_cert_make_ca("ca", NOW, 3600, &ca, &err), AS_OK);
    ck_assert_int_eq(as_cert_make_serving(&ca, sans, 1, NOW, 86400, &srv, &err), AS_OK);
    ck_assert_int_eq(as_cert_not_after(srv.cert), as_cert_not_after(ca.cert));
    as_cert_free(&srv);
    as_cert_free(&ca);
}
END_TEST

START_TEST(bad_arguments_are_refused)
{
    struct as_cert ca = {0}, srv = {0};
    struct as_error err;
    const char *bad[] = {"a,DNS:evil"};

    ck_assert_int_eq(as_cert_make_ca("ca", NOW, 0, &ca, &err), AS_E_INVALID_ARG);
    ck_assert_int_eq(as_cert_make_ca("ca", NOW, 3600, &ca, &err), AS_OK);
    ck_assert_int_eq(as_cert_make_serving(&ca, bad, 0, NOW, 60, &srv, &err), AS_E_INVALID_ARG);
    ck_assert_int_eq(as_cert_make_serving(&ca, bad, 1, NOW, 60, &srv, &err), AS_E_INVALID_ARG);
    ck_assert_ptr_null(srv.cert);
    as_cert_free(&ca);
}
END_TEST

START_TEST(pem_round_trip_and_key_mismatch)
{
    struct as_cert a = {0}, b = {0}, parsed = {0};
    struct as_error err;
    struct as_buf crt, key, other;

    ck_assert_int_eq(as_cert_make_ca("a", NOW, 3600, &a, &err), AS_OK);
    ck_assert_int_eq(as_cert_make_ca("b", NOW, 3600, &b, &err), AS_OK);
    as_buf_init(&crt, 1 << 16);
    as_buf_init(&key, 1 << 16);
    as_buf_init(&other, 1 << 16);
    ck_assert_int_eq(as_cert_pem(a.cert, &crt), AS_OK);
    ck_assert_int_eq(as_key_pem(a.key, &key), AS_OK);
    ck_assert_int_eq(as_key_pem(b.key, &other), AS_OK);
    ck_assert_ptr_nonnull(strstr(crt.data, "-----BEGIN CERTIFICATE-----"));
    ck_assert_ptr_nonnull(strstr(key.data, "-----BEGIN PRIVATE KEY-----"));
    ck_assert_int_eq(as_cert_parse(crt.data, crt.len, key.data, key.len, &parsed, &err), AS_OK);
    ck_assert_int_eq(X509_cmp(parsed.cert, a.cert), 0);
    as_cert_free(&parsed);
    ck_assert_int_eq(as_cert_parse(crt.data, crt.len, other.data, other.len, &parsed, &err),
                     AS_E_TLS);
    ck_assert_ptr_nonnull(strstr(err.message, "does not match"));
    ck_assert_int_eq(as_cert_parse("junk", 4, NULL, 0, &parsed, &err), AS_E_TLS);
    ck_assert_ptr_nonnull(strstr(err.message, "not a PEM X.509 certificate"));
    as_buf_free(&crt);
    as_buf_wipe_free(&key);
    as_buf_wipe_free(&other);
    as_cert_free(&a);
    as_cert_free(&b);
}
END_TEST

START_TEST(rotation_at_two_thirds_and_outside_validity)
{
    /* validity 3000 s from 1000: two thirds is at 3000 */
    ck_assert(!as_cert_should_rotate(1000, 4000, 1000));
    ck_assert(!as_cert_should_rotate(1000, 4000, 2999));
    ck_assert(as_cert_should_rotate(1000, 4000, 3000));
    ck_assert(as_cert_should_rotate(1000, 4000, 3999));
    ck_assert(as_cert_should_rotate(1000, 4000, 4000)); /* expired */
    ck_assert(as_cert_should_rotate(1000, 4000, 999));  /* not yet valid */
    ck_assert(as_cert_valid_at(1000, 4000, 1000));
    ck_assert(!as_cert_valid_at(1000, 4000, 4000));
    ck_assert(as_cert_should_rotate(0, 0, 5)); /* no certificate */
}
END_TEST

START_TEST(short_lived_certificate_is_not_due_at_once)
{
    struct as_cert ca = {0}, srv = {0};
    struct as_error err;
    const char *sans[] = {"127.0.0.1"};

    ck_assert_int_eq(as_cert_make_ca("ca", NOW, 300, &ca, &err), AS_OK);
    ck_assert_int_eq(as_cert_make_serving(&ca, sans, 1, NOW, 30, &srv, &err), AS_OK);
    ck_assert(
        !as_cert_should_rotate(as_cert_not_before(srv.cert), as_cert_not_after(srv.cert), NOW));
    ck_assert(
        as_cert_should_rotate(as_cert_not_before(srv.cert), as_cert_not_after(srv.cert), NOW + 20));
    as_cert_free(&srv);
    as_cert_free(&ca);
}
END_TEST

START_TEST(tlsstore_swaps_and_keeps_old_on_bad_input)
{
    struct as_tlsstore *s;
    struct as_cert a = {0}, b = {0};
    struct as_error err;
    struct as_buf crt, key;

    ck_assert_int_eq(as_tlsstore_new(&s), AS_OK);
    ck_assert_int_eq(as_tlsstore_not_after(s), 0);
    ck_assert_int_eq(as_cert_make_ca("a", NOW, 3600, &a, &err), AS_OK);
    ck_assert_int_eq(as_cert_make_ca("b", NOW, 7200, &b, &err), AS_OK);
    as_buf_init(&crt, 1 << 16);
    as_buf_init(&key, 1 << 16);
    as_cert_pem(a.cert, &crt);
    as_key_pem(a.key, &key);
    ck_assert_int_eq(as_tlsstore_set_pem(s, crt.data, crt.len, key.data, key.len, &err), AS_OK);
    ck_assert_int_eq(as_tlsstore_not_after(s), NOW + 3600);
    as_buf_reset(&key);
    as_key_pem(b.key, &key);
    ck_assert_int_eq(as_tlsstore_set_pem(s, crt.data, crt.len, key.data, key.len, &err), AS_E_TLS);
    ck_assert_int_eq(as_tlsstore_not_after(s), NOW + 3600);
    ck_assert_uint_eq(as_tlsstore_generation(s), 1);
    as_buf_reset(&crt);
    as_cert_pem(b.cert, &crt);
    ck_assert_int_eq(as_tlsstore_set_pem(s, crt.data, crt.len, key.data, key.len, &err), AS_OK);
    ck_assert_int_eq(as_tlsstore_not_after(s), NOW + 7200);
    ck_assert_uint_eq(as_tlsstore_generation(s), 2);
    as_buf_free(&crt);
    as_buf_wipe_free(&key);
    as_cert_free(&a);
    as_cert_free(&b);
    as_tlsstore_free(s);
}
END_TEST

/* Counts the certificates in a PEM bundle. */
static int count_pem(const struct as_buf *b)
{
    int n = 0;

    for (const char *p = b->data; (p = strstr(p, "-----BEGIN CERTIFICATE-----")) != NULL; p++)
        n++;
    return n;
}

START_TEST(lifecycle_issues_rotates_and_keeps_the_old_ca_for_an_overlap)
{
    static const char *const sans[] = {"svc.ns.svc", "127.0.0.1"};
    struct as_certsrc_options o = {.sans = sans, .n_sans = 2, .validity = 3000};
    struct as_certsrc_state s = {0};
    struct as_certsrc_material m = {0};
    struct as_error err;
    bool changed = false;
    X509 *first_ca, *first_srv;

    /* empty Secret: a CA (ten times the serving lifetime) and a serving certificate */
    ck_assert_int_eq(as_certsrc_refresh(&s, &o, NOW, &changed, &err), AS_OK);
    ck_assert(changed);
    ck_assert_ptr_null(s.prev_ca.cert);
    ck_assert_int_eq(as_cert_not_after(s.ca.cert), NOW + 30000);
    ck_assert(as_cert_has_san(s.serving.cert, "svc.ns.svc"));
    ck_assert(as_cert_has_san(s.serving.cert, "127.0.0.1"));
    first_ca = X509_dup(s.ca.cert);
    first_srv = X509_dup(s.serving.cert);

    /* before two thirds of the serving lifetime (notBefore is backdated 300 s): nothing */
    ck_assert_int_eq(as_certsrc_refresh(&s, &o, NOW + 1800, &changed, &err), AS_OK);
    ck_assert(!changed);
    ck_assert_int_eq(X509_cmp(s.serving.cert, first_srv), 0);

    /* past two thirds: a new serving certificate from the same CA */
    ck_assert_int_eq(as_certsrc_refresh(&s, &o, NOW + 2100, &changed, &err), AS_OK);
    ck_assert(changed);
    ck_assert_int_ne(X509_cmp(s.serving.cert, first_srv), 0);
    ck_assert_int_eq(X509_cmp(s.ca.cert, first_ca), 0);
    ck_assert_int_eq(X509_check_issued(s.ca.cert, s.serving.cert), X509_V_OK);

    /* a wanted SAN the certificate lacks: re-issued at once */
    {
        static const char *const more[] = {"svc.ns.svc", "127.0.0.1", "svc.ns.svc.cluster.local"};
        struct as_certsrc_options o2 = o;
        o2.sans = more;
        o2.n_sans = 3;
        ck_assert_int_eq(as_certsrc_refresh(&s, &o2, NOW + 2200, &changed, &err), AS_OK);
        ck_assert(changed);
        ck_assert(as_cert_has_san(s.serving.cert, "svc.ns.svc.cluster.local"));
    }

    /* the CA past two thirds of its life: a new CA, the old one kept as prev_ca */
    ck_assert_int_eq(as_certsrc_refresh(&s, &o, NOW + 20100, &changed, &err), AS_OK);
    ck_assert(changed);
    ck_assert_int_ne(X509_cmp(s.ca.cert, first_ca), 0);
    ck_assert_int_eq(X509_cmp(s.prev_ca.cert, first_ca), 0);
    ck_assert_int_eq(X509_check_issued(s.ca.cert, s.serving.cert), X509_V_OK);
    ck_assert_int_eq(as_certsrc_material_of(&s, &m), AS_OK);
    ck_assert_int_eq(count_pem(&m.bundle), 2);
    ck_assert_ptr_nonnull(strstr(m.key.data, "PRIVATE KEY"));
    as_certsrc_material_free(&m);

    /* once the old CA expired it leaves the bundle */
    ck_assert_int_eq(as_certsrc_refresh(&s, &o, NOW + 30001, &changed, &err), AS_OK);
    ck_assert(changed);
    ck_assert_ptr_null(s.prev_ca.cert);
    memset(&m, 0, sizeof(m));
    ck_assert_int_eq(as_certsrc_material_of(&s, &m), AS_OK);
    ck_assert_int_eq(count_pem(&m.bundle), 1);
    as_certsrc_material_free(&m);

    X509_free(first_ca);
    X509_free(first_srv);
    as_certsrc_state_free(&s);
}
END_TEST

/* Installs a certificate valid [now + from, now + to) into store. */
static void install(struct as_tlsstore *store, int64_t from, int64_t to)
{
    static const char *const sans[] = {"127.0.0.1"};
    struct as_cert ca = {0}, srv = {0};
    struct as_buf crt, key;
    struct as_error err;
    int64_t now = (int64_t)time(NULL);

    ck_assert_int_eq(as_cert_make_ca("ca", now + from - 1, 100000, &ca, &err), AS_OK);
    ck_assert_int_eq(
        as_cert_make_serving(&ca, sans, 1, now + from + 300, to - from - 300, &srv, &err), AS_OK);
    as_buf_init(&crt, 1 << 16);
    as_buf_init(&key, 1 << 16);
    as_cert_pem(srv.cert, &crt);
    as_key_pem(srv.key, &key);
    ck_assert_int_eq(as_tlsstore_set_pem(store, crt.data, crt.len, key.data, key.len, &err), AS_OK);
    as_buf_free(&crt);
    as_buf_wipe_free(&key);
    as_cert_free(&srv);
    as_cert_free(&ca);
}

START_TEST(ready_only_while_the_certificate_is_valid)
{
    struct as_routes r = {0};
    struct as_error err;
    const char *why = NULL;

    ck_assert_int_eq(as_tlsstore_new(&r.tls), AS_OK);
    ck_assert_int_eq(as_policyset_new("default", NULL, NULL, 0, &r.policies, &err), AS_OK);
    ck_assert(!as_routes_ready(&r, &why));
    ck_assert_str_eq(why, "the serving certificate is not valid now");
    install(r.tls, -100, 3600); /* valid now */
    ck_assert(as_routes_ready(&r, &why));
    ck_assert_str_eq(why, "ok");
    install(r.tls, -7200, -60); /* expired a minute ago */
    ck_assert(!as_routes_ready(&r, &why));
    as_policyset_free(r.policies);
    as_tlsstore_free(r.tls);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("webhook_certs");
    TCase *tc = tcase_create("core");

    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, ca_is_self_signed_ca_with_requested_validity);
    tcase_add_test(tc, serving_cert_has_sans_and_verifies_against_ca);
    tcase_add_test(tc, serving_cert_never_outlives_its_ca);
    tcase_add_test(tc, bad_arguments_are_refused);
    tcase_add_test(tc, pem_round_trip_and_key_mismatch);
    tcase_add_test(tc, rotation_at_two_thirds_and_outside_validity);
    tcase_add_test(tc, short_lived_certificate_is_not_due_at_once);
    tcase_add_test(tc, tlsstore_swaps_and_keeps_old_on_bad_input);
    tcase_add_test(tc, lifecycle_issues_rotates_and_keeps_the_old_ca_for_an_overlap);
    tcase_add_test(tc, ready_only_while_the_certificate_is_valid);
    suite_add_tcase(s, tc);
    return as_check_run(s);
}
