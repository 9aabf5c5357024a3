/*
 * selfsigned.c - the self-signed TLS Secret of selfsigned.h: hosts, the
 * Secret object (CA + leaf from tls/certs.h), its facts and the renewal
 * decision.
 */
#include "selfsigned.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "base/buf.h"
#include "kube/b64.h"
#include "kube/object.h"
#include "tls/certs.h"

/* Largest PEM read from or written to the Secret. */
#define PEM_MAX (64 * 1024)
/* Longest Secret name (a DNS subdomain). */
#define NAME_MAX_LEN 254

/* metadata.<field> of obj as a non-empty string, or NULL. */
static const char *meta_str(const json_t *obj, const char *field)
{
    const char *s = json_string_value(json_object_get(json_object_get(obj, "metadata"), field));

    return s != NULL && *s != '\0' ? s : NULL;
}

as_status as_op_selfsigned_name(const json_t *appstack, char *buf, size_t size)
{
    const char *stack = meta_str(appstack, "name");
    int n;

    if (buf == NULL || size == 0 || stack == NULL)
        return AS_E_INVALID_ARG;
    n = snprintf(buf, size, "%s-tls", stack);
    if (n < 0 || (size_t)n >= size) {
        buf[0] = '\0';
        return AS_E_LIMIT;
    }
    return AS_OK;
}

/* Appends host to hosts unless it is not a non-empty string or already there. 0, -1 on NOMEM. */
static int add_host(json_t *hosts, const json_t *host)
{
    const char *h = json_string_value(host);
    const json_t *x;
    size_t i;

    if (h == NULL || *h == '\0')
        return 0;
    json_array_foreach(hosts, i, x)
    {
        if (strcmp(json_string_value(x), h) == 0)
            return 0;
    }
    return json_array_append_new(hosts, json_string(h));
}

json_t *as_op_selfsigned_hosts(const json_t *appstack)
{
    const json_t *ing = json_object_get(json_object_get(appstack, "spec"), "ingress");
    json_t *hosts = json_array(), *h;
    size_t i;
    int bad;

    if (hosts == NULL)
        return NULL;
    bad = add_host(hosts, json_object_get(ing, "host"));
    json_array_foreach(json_object_get(ing, "extraHosts"), i, h)
    {
        bad |= add_host(hosts, h);
    }
    if (bad != 0) {
        json_decref(hosts);
        return NULL;
    }
    return hosts;
}

/* The labels and controller ownerReference of the stack's children (lib/render/meta.c). */
static json_t *metadata(const char *name, const char *stack, const char *ns, const char *uid)
{
    char instance[NAME_MAX_LEN];

    snprintf(instance, sizeof(instance), "%s-ingress", stack);
    return json_pack("{s:s, s:s, s:{s:s, s:s, s:s, s:s, s:s, s:s}, s:[{s:s, s:s, s:s, s:s, s:b, "
                     "s:b}]}",
                     "name", name, "namespace", ns, "labels", "app.kubernetes.io/name", "ingress",
                     "app.kubernetes.io/instance", instance, "app.kubernetes.io/component",
                     "ingress", "app.kubernetes.io/part-of", stack, "app.kubernetes.io/managed-by",
                     "appstack-operator", "appstack.io/stack", stack, "ownerReferences",
                     "apiVersion", "appstack.io/v1alpha1", "kind", "AppStack", "name", stack, "uid",
                     uid, "controller", 1, "blockOwnerDeletion", 1);
}

/* data[key] = base64(pem); the encoded copy is wiped. */
static as_status put_b64(json_t *data, const char *key, const struct as_buf *pem)
{
    size_t cap = 4 * ((pem->len + 2) / 3) + 1;
    unsigned char *b64;
    as_status st = AS_OK;

    if (pem->data == NULL || pem->len > PEM_MAX)
        return AS_E_TLS;
    b64 = malloc(cap);
    if (b64 == NULL)
        return AS_E_NOMEM;
    EVP_EncodeBlock(b64, (const unsigned char *)pem->data, (int)pem->len);
    if (json_object_set_new(data, key, json_string((const char *)b64)) != 0)
        st = AS_E_NOMEM;
    as_memwipe(b64, cap);
    free(b64);
    return st;
}

/* {tls.crt, tls.key, ca.crt} in base64 for leaf and ca (new object in *out). */
static as_status tls_data(const struct as_cert *ca, const struct as_cert *leaf, json_t **out)
{
    struct as_buf crt, key, cacrt;
    json_t *data = json_object();
    as_status st = data != NULL ? AS_OK : AS_E_NOMEM;

    as_buf_init(&crt, PEM_MAX);
    as_buf_init(&key, PEM_MAX);
    as_buf_init(&cacrt, PEM_MAX);
    if (st == AS_OK)
        st = as_cert_pem(leaf->cert, &crt);
    if (st == AS_OK)
        st = as_key_pem(leaf->key, &key);
    if (st == AS_OK)
        st = as_cert_pem(ca->cert, &cacrt);
    if (st == AS_OK)
        st = put_b64(data, "tls.crt", &crt);
    if (st == AS_OK)
        st = put_b64(data, "tls.key", &key);
    if (st == AS_OK)
        st = put_b64(data, "ca.crt", &cacrt);
    as_buf_free(&crt);
    as_buf_wipe_free(&key);
    as_buf_free(&cacrt);
    if (st != AS_OK) {
        json_decref(data);
        return st;
    }
    *out = data;
    return AS_OK;
}

/* A new CA named after the stack and a leaf for hosts signed by it. */
static as_status make_certs(const char *stack, const json_t *hosts, int64_t now, int64_t validity,
                            struct as_cert *ca, struct as_cert *leaf, struct as_error *err)
{
    size_t n = json_array_size(hosts);
    const char **sans = calloc(n > 0 ? n : 1, sizeof(*sans));
    char cn[AS_CERT_CN_MAX + 1];
    as_status st;

    if (sans == NULL)
        return as_error_set(err, AS_E_NOMEM, "out of memory");
    for (size_t i = 0; i < n; i++)
        sans[i] = json_string_value(json_array_get(hosts, i));
    snprintf(cn, sizeof(cn), "appstack %s self-signed CA", stack);
    st = as_cert_make_ca(cn, now, validity, ca, err);
    if (st == AS_OK)
        st = as_cert_make_serving(ca, sans, n, now, validity, leaf, err);
    free(sans);
    return st;
}

as_status as_op_selfsigned_secret(const json_t *appstack, int64_t now, int64_t validity,
                                  json_t **secret_out, struct as_error *err)
{
    const char *stack = meta_str(appstack, "name"), *ns = meta_str(appstack, "namespace");
    const char *uid = meta_str(appstack, "uid");
    char name[NAME_MAX_LEN];
    struct as_cert ca = {0}, leaf = {0};
    json_t *hosts = NULL, *data = NULL, *secret = NULL;
    as_status st;

    if (secret_out == NULL || stack == NULL || ns == NULL || uid == NULL) {
        st = as_error_set(err, AS_E_INVALID_ARG,
                          "self-signed Secret: metadata.%s is missing — pass the cached AppStack",
                          stack == NULL ? "name"
                          : ns == NULL  ? "namespace"
                                        : "uid");
        goto done;
    }
    st = as_op_selfsigned_name(appstack, name, sizeof(name));
    if (st != AS_OK) {
        as_error_set(err, st, "metadata.name: too long for the TLS Secret's name");
        goto done;
    }
    hosts = as_op_selfsigned_hosts(appstack);
    if (hosts == NULL) {
        st = as_error_set(err, AS_E_NOMEM, "out of memory");
        goto done;
    }
    if (json_array_size(hosts) == 0) {
        st = as_error_set(err, AS_E_INVALID_ARG,
                          "spec.ingress.host: missing — the self-signed certificate needs a host");
        goto done;
    }
    st = make_certs(stack, hosts, now, validity, &ca, &leaf, err);
    if (st != AS_OK) {
        as_error_prefix(err, "self-signed certificate for %s/%s", ns, name);
        goto done;
    }
    st = tls_data(&ca, &leaf, &data);
    if (st == AS_OK)
        secret =
            json_pack("{s:s, s:s, s:o, s:s, s:o}", "apiVersion", "v1", "kind", "Secret", "metadata",
                      metadata(name, stack, ns, uid), "type", "kubernetes.io/tls", "data", data);
    data = NULL; /* json_pack's "o" steals it, also on failure */
    if (st == AS_OK && secret == NULL)
        st = AS_E_NOMEM;
    if (st != AS_OK) {
        as_error_set(err, st, "self-signed Secret %s/%s: encoding the certificate failed (%s)", ns,
                     name, as_status_message(st));
        goto done;
    }
    *secret_out = secret;
    secret = NULL;
done:
    as_cert_free(&ca);
    as_cert_free(&leaf);
    json_decref(hosts);
    json_decref(data);
    json_decref(secret);
    return st;
}

/* True when cert has a SAN for every string of hosts. */
static bool covers(const X509 *cert, const json_t *hosts)
{
    const json_t *h;
    size_t i;

    json_array_foreach(hosts, i, h)
    {
        const char *s = json_string_value(h);
        if (s != NULL && !as_cert_has_san(cert, s))
            return false;
    }
    return true;
}

as_status as_op_selfsigned_facts(const json_t *secret, const json_t *hosts,
                                 struct as_op_cert_facts *out, bool *covers_hosts)
{
    struct as_buf crt, key;
    struct as_cert c = {0};
    as_status st;

    if (out == NULL)
        return AS_E_INVALID_ARG;
    memset(out, 0, sizeof(*out));
    if (covers_hosts != NULL)
        *covers_hosts = false;
    if (secret == NULL)
        return AS_OK;
    as_buf_init(&crt, PEM_MAX);
    as_buf_init(&key, PEM_MAX);
    st = as_kube_secret_data(secret, "tls.crt", &crt);
    if (st == AS_OK)
        st = as_kube_secret_data(secret, "tls.key", &key);
    if (st == AS_OK)
        st = as_cert_parse(crt.data, crt.len, key.data, key.len, &c, NULL);
    if (st == AS_OK) {
        out->present = true;
        out->not_before = as_cert_not_before(c.cert);
        out->not_after = as_cert_not_after(c.cert);
        if (covers_hosts != NULL)
            *covers_hosts = covers(c.cert, hosts);
    }
    as_cert_free(&c);
    as_buf_free(&crt);
    as_buf_wipe_free(&key);
    return st == AS_E_NOMEM ? AS_E_NOMEM : AS_OK;
}

bool as_op_selfsigned_due(const struct as_op_cert_facts *f, bool covers_hosts, int64_t now)
{
    if (f == NULL || !f->present || !covers_hosts || f->not_after <= f->not_before)
        return true;
    return as_cert_should_rotate(f->not_before, f->not_after, now);
}
