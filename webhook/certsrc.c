/*
 * certsrc.c - the Secret-backed certificate lifecycle and caBundle injection
 * of certsrc.h. Decisions (what is due) use the pure helpers of certs.h;
 * this file does the API I/O.
 */
#include "certsrc.h"

#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "kube/b64.h"
#include "kube/object.h"
#include "kube/ops.h"
#include "kube/resource.h"
#include "review.h"
#include "tls/certs.h"

#define CA_LIFETIME_FACTOR 10
#define PEM_MAX (256 * 1024)

void as_certsrc_material_free(struct as_certsrc_material *m)
{
    as_buf_free(&m->cert);
    as_buf_wipe_free(&m->key);
    as_buf_free(&m->bundle);
}

/* Sets data[key] = base64(pem) on obj. */
static as_status secret_put(json_t *data, const char *key, const struct as_buf *pem)
{
    struct as_buf b;
    as_status st;

    as_buf_init(&b, PEM_MAX * 2);
    st = as_review_base64(pem->data != NULL ? pem->data : "", pem->len, &b);
    if (st == AS_OK && json_object_set_new(data, key, json_string(b.data ? b.data : "")) != 0)
        st = AS_E_NOMEM;
    as_buf_wipe_free(&b);
    return st;
}

void as_certsrc_state_free(struct as_certsrc_state *s)
{
    as_cert_free(&s->ca);
    as_cert_free(&s->prev_ca);
    as_cert_free(&s->serving);
}

/* Loads what the Secret holds; missing or broken parts stay empty. */
static void load_state(const json_t *secret, struct as_certsrc_state *s)
{
    struct as_buf ca, cakey, crt, key;
    struct as_error err;

    as_buf_init(&ca, PEM_MAX);
    as_buf_init(&cakey, PEM_MAX);
    as_buf_init(&crt, PEM_MAX);
    as_buf_init(&key, PEM_MAX);
    if (as_kube_secret_data(secret, "ca.crt", &ca) == AS_OK &&
        as_kube_secret_data(secret, "ca.key", &cakey) == AS_OK)
        as_cert_parse(ca.data, ca.len, cakey.data, cakey.len, &s->ca, &err);
    if (s->ca.cert != NULL) {
        /* the previous CA, when present, follows the first certificate in ca.crt */
        const char *second = strstr(ca.data + 1, "-----BEGIN CERTIFICATE-----");
        if (second != NULL)
            as_cert_parse(second, strlen(second), NULL, 0, &s->prev_ca, &err);
    }
    if (s->ca.cert != NULL && as_kube_secret_data(secret, "tls.crt", &crt) == AS_OK &&
        as_kube_secret_data(secret, "tls.key", &key) == AS_OK)
        as_cert_parse(crt.data, crt.len, key.data, key.len, &s->serving, &err);
    as_buf_free(&ca);
    as_buf_wipe_free(&cakey);
    as_buf_free(&crt);
    as_buf_wipe_free(&key);
}

/* True when the serving certificate lacks one of the wanted SANs. */
static bool sans_changed(const struct as_cert *c, const struct as_certsrc_options *o)
{
    for (size_t i = 0; i < o->n_sans; i++)
        if (!as_cert_has_san(c->cert, o->sans[i]))
            return true;
    return false;
}

/* Brings s up to date; *changed when anything was (re)issued (see certsrc.h). */
as_status as_certsrc_refresh(struct as_certsrc_state *s, const struct as_certsrc_options *o,
                             int64_t now, bool *changed, struct as_error *err)
{
    as_status st = AS_OK;
    int64_t ca_validity = o->validity * CA_LIFETIME_FACTOR;

    *changed = false;
    if (s->ca.cert == NULL ||
        as_cert_should_rotate(as_cert_not_before(s->ca.cert), as_cert_not_after(s->ca.cert), now)) {
        as_cert_free(&s->prev_ca);
        if (s->ca.cert != NULL &&
            as_cert_valid_at(as_cert_not_before(s->ca.cert), as_cert_not_after(s->ca.cert), now))
            s->prev_ca = s->ca; /* kept in the bundle until it expires */
        else
            as_cert_free(&s->ca);
        memset(&s->ca, 0, sizeof(s->ca));
        st = as_cert_make_ca("appstack-webhook-ca", now, ca_validity, &s->ca, err);
        as_cert_free(&s->serving);
        *changed = true;
    }
    if (st == AS_OK && s->prev_ca.cert != NULL &&
        !as_cert_valid_at(as_cert_not_before(s->prev_ca.cert), as_cert_not_after(s->prev_ca.cert),
                          now)) {
        as_cert_free(&s->prev_ca);
        *changed = true;
    }
    if (st == AS_OK && (s->serving.cert == NULL ||
                        as_cert_should_rotate(as_cert_not_before(s->serving.cert),
                                              as_cert_not_after(s->serving.cert), now) ||
                        sans_changed(&s->serving, o))) {
        as_cert_free(&s->serving);
        st = as_cert_make_serving(&s->ca, o->sans, o->n_sans, now, o->validity, &s->serving, err);
        *changed = true;
    }
    return st;
}

/* Fills the PEM material from s (see certsrc.h). */
as_status as_certsrc_material_of(const struct as_certsrc_state *s, struct as_certsrc_material *m)
{
    as_status st;

    as_buf_init(&m->cert, PEM_MAX);
    as_buf_init(&m->key, PEM_MAX);
    as_buf_init(&m->bundle, PEM_MAX);
    st = as_cert_pem(s->serving.cert, &m->cert);
    if (st == AS_OK)
        st = as_key_pem(s->serving.key, &m->key);
    if (st == AS_OK)
        st = as_cert_pem(s->ca.cert, &m->bundle);
    if (st == AS_OK && s->prev_ca.cert != NULL)
        st = as_cert_pem(s->prev_ca.cert, &m->bundle);
    m->not_before = as_cert_not_before(s->serving.cert);
    m->not_after = as_cert_not_after(s->serving.cert);
    return st;
}

/* Writes s into secret (existing object or NULL) via create or update. */
static as_status store(struct as_kube_client *c, const struct as_certsrc_options *o,
                       const json_t *secret, const struct as_certsrc_state *s,
                       const struct as_certsrc_material *m, struct as_error *err)
{
    const struct as_kube_resource *res = as_kube_resource_by_kind("v1", "Secret");
    json_t *obj = secret != NULL
                      ? json_deep_copy(secret)
                      : json_pack("{ss ss s{ss ss} ss}", "apiVersion", "v1", "kind", "Secret",
                                  "metadata", "name", o->secret_name, "namespace", o->secret_ns,
                                  "type", "kubernetes.io/tls");
    json_t *data = json_object();
    struct as_buf cakey;
    as_status st = obj == NULL || data == NULL ? AS_E_NOMEM : AS_OK;

    as_buf_init(&cakey, PEM_MAX);
    if (st == AS_OK)
        st = as_key_pem(s->ca.key, &cakey);
    if (st == AS_OK)
        st = secret_put(data, "tls.crt", &m->cert);
    if (st == AS_OK)
        st = secret_put(data, "tls.key", &m->key);
    if (st == AS_OK)
        st = secret_put(data, "ca.crt", &m->bundle);
    if (st == AS_OK)
        st = secret_put(data, "ca.key", &cakey);
    as_buf_wipe_free(&cakey);
    if (st == AS_OK && json_object_set(obj, "data", data) != 0)
        st = AS_E_NOMEM;
    if (st == AS_OK)
        st = secret != NULL ? as_kube_update(c, res, o->secret_ns, obj, NULL, NULL, err)
                            : as_kube_create(c, res, o->secret_ns, obj, NULL, NULL, err);
    json_decref(data);
    json_decref(obj);
    return st;
}

as_status as_certsrc_ensure(struct as_kube_client *c, const struct as_certsrc_options *o,
                            int64_t now, struct as_certsrc_material *out, struct as_error *err)
{
    const struct as_kube_resource *res = as_kube_resource_by_kind("v1", "Secret");
    as_status st = AS_OK;

    for (int attempt = 0; attempt < 5; attempt++) {
        struct as_certsrc_state s = {0};
        struct as_certsrc_material m = {0};
        json_t *secret = NULL;
        bool changed = false;

        st = as_kube_get(c, res, o->secret_ns, o->secret_name, &secret, err);
        if (st != AS_OK && st != AS_E_API_NOT_FOUND)
            return st;
        if (secret != NULL)
            load_state(secret, &s);
        st = as_certsrc_refresh(&s, o, now, &changed, err);
        if (st == AS_OK)
            st = as_certsrc_material_of(&s, &m);
        if (st == AS_OK && changed)
            st = store(c, o, secret, &s, &m, err);
        as_certsrc_state_free(&s);
        json_decref(secret);
        if (st == AS_OK) {
            if (changed)
                as_log_info("webhook certificate issued", "secret", o->secret_name, NULL);
            *out = m;
            return AS_OK;
        }
        as_certsrc_material_free(&m);
        if (st != AS_E_API_CONFLICT && st != AS_E_API_ALREADY_EXISTS)
            return st;
        /* another replica wrote first: read its material */
    }
    return st;
}

/* Patches one configuration's caBundle entries. */
static as_status inject_one(struct as_kube_client *c, const struct as_kube_resource *res,
                            const char *name, const char *b64, struct as_error *err)
{
    json_t *obj = NULL, *patch = NULL, *hooks;
    size_t i;
    json_t *h;
    as_status st = as_kube_get(c, res, NULL, name, &obj, err);

    if (st == AS_E_API_NOT_FOUND)
        return AS_OK;
    if (st != AS_OK)
        return st;
    patch = json_array();
    hooks = json_object_get(obj, "webhooks");
    json_array_foreach(hooks, i, h)
    {
        json_t *cc = json_object_get(h, "clientConfig");
        const char *cur = json_string_value(json_object_get(cc, "caBundle"));
        char path[96];
        if (cc == NULL || (cur != NULL && strcmp(cur, b64) == 0))
            continue;
        snprintf(path, sizeof(path), "/webhooks/%zu/clientConfig/caBundle", i);
        json_array_append_new(patch, json_pack("{ss ss ss}", "op", cur ? "replace" : "add", "path",
                                               path, "value", b64));
    }
    if (json_array_size(patch) > 0)
        st = as_kube_patch(c, res, NULL, name, AS_KUBE_PATCH_JSON, patch, NULL, NULL, err);
    json_decref(patch);
    json_decref(obj);
    return st;
}

as_status as_certsrc_inject(struct as_kube_client *c, const struct as_certsrc_options *o,
                            const char *bundle_pem, size_t len, struct as_error *err)
{
    static const char *const kinds[] = {"MutatingWebhookConfiguration",
                                        "ValidatingWebhookConfiguration"};
    struct as_buf b64;
    as_status st = AS_OK;

    as_buf_init(&b64, PEM_MAX * 2);
    st = as_review_base64(bundle_pem, len, &b64);
    for (size_t i = 0; i < o->n_webhook_configs && st == AS_OK; i++)
        for (size_t k = 0; k < 2 && st == AS_OK; k++)
            st =
                inject_one(c, as_kube_resource_by_kind("admissionregistration.k8s.io/v1", kinds[k]),
                           o->webhook_configs[i], b64.data, err);
    as_buf_free(&b64);
    return st;
}
