/*
 * reconcile_gather.c - the facts of a pass that only the cluster knows:
 * generated secret values (kept from the cached Secrets, made with OpenSSL
 * randomness when missing), hashes of the Secrets the stack reads but does
 * not own, and the TLS certificate (self-signed: made or renewed here).
 *
 * Referenced Secrets (secrets.fromExisting, ingress.tls.secretName) are
 * labelled appstack.io/referenced=true once, so the label-selected "refs"
 * informer caches them and their changes roll the pods; until then (and
 * while one is missing) they are read with a GET.
 */
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

#include "base/json.h"
#include "base/log.h"
#include "kube/ops.h"
#include "reconcile_int.h"
#include "render/render.h"
#include "secrets.h"
#include "selfsigned.h"

void as_op_gathered_free(struct as_op_gathered *g)
{
    json_decref(g->secrets);
    json_decref(g->generated);
    json_decref(g->ref_hashes);
    json_decref(g->tls_write);
    json_decref(g->keep);
    memset(g, 0, sizeof(*g));
}

/* Appends "; text" to the missing list (bounded). */
static void add_missing(struct as_op_gathered *g, const char *secret, const char *key)
{
    size_t used = strlen(g->missing);

    snprintf(g->missing + used, sizeof(g->missing) - used, "%ssecret %s%s%s%s", used ? "; " : "",
             secret, key ? " (key " : "", key ? key : "", key ? ")" : "");
}

/* Lower-case hex SHA-256 of the Secret's data (canonical JSON) into out. */
static void data_hash(const json_t *secret, char out[65])
{
    static const char hex[] = "0123456789abcdef";
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    char *text = as_json_dump_canonical(json_object_get(secret, "data"));

    out[0] = '\0';
    if (text == NULL)
        return;
    if (EVP_Digest(text, strlen(text), md, &n, EVP_sha256(), NULL) == 1 && n == 32) {
        for (unsigned i = 0; i < n; i++) {
            out[2 * i] = hex[md[i] >> 4];
            out[2 * i + 1] = hex[md[i] & 15];
        }
        out[64] = '\0';
    }
    free(text);
}

/*
 * A Secret the stack reads: from the refs cache, else GET (and label it so
 * the cache follows it from now on). *out NULL when it does not exist.
 */
static as_status read_ref(struct as_op_pass *p, const char *name, json_t **out,
                          struct as_error *err)
{
    const struct as_kube_resource *res = as_kube_resource_by_kind("v1", "Secret");
    struct as_kube_write_options wo = {.field_manager = AS_OP_FIELD_MANAGER, .force = true};
    json_t *label;
    as_status st;

    *out = as_informer_get(p->rt->refs, p->ns, name);
    if (*out != NULL)
        return AS_OK;
    st = as_kube_get(p->rt->client, res, p->ns, name, out, err);
    if (st == AS_E_API_NOT_FOUND)
        return AS_OK;
    if (st != AS_OK)
        return st;
    label = json_pack("{s:s, s:s, s:{s:s, s:s, s:{s:s}}}", "apiVersion", "v1", "kind", "Secret",
                      "metadata", "name", name, "namespace", p->ns, "labels",
                      AS_OP_REFERENCED_LABEL, "true");
    if (label != NULL && as_kube_apply(p->rt->client, res, p->ns, label, &wo, NULL, err) != AS_OK)
        as_log_warn("labelling a referenced Secret failed; its changes are seen at resync only",
                    "secret", name, "namespace", p->ns, "error", err->message, NULL);
    json_decref(label);
    return AS_OK;
}

/* secrets.fromExisting: hashes and the missing names/keys. */
static as_status gather_refs(struct as_op_pass *p, struct as_op_gathered *g, struct as_error *err)
{
    json_t *refs = as_json_path(p->stack, "spec.secrets.fromExisting"), *ref, *key;
    size_t i, j;
    as_status st = AS_OK;

    g->ref_hashes = json_object();
    if (g->ref_hashes == NULL)
        return AS_E_NOMEM;
    json_array_foreach(refs, i, ref)
    {
        const char *name = json_string_value(json_object_get(ref, "name"));
        json_t *secret = NULL;
        char hash[65];

        if (name == NULL)
            continue;
        if ((st = read_ref(p, name, &secret, err)) != AS_OK)
            return st;
        if (secret == NULL) {
            add_missing(g, name, NULL);
            continue;
        }
        json_array_foreach(json_object_get(ref, "keys"), j, key)
        {
            if (json_object_get(json_object_get(secret, "data"), json_string_value(key)) == NULL)
                add_missing(g, name, json_string_value(key));
        }
        data_hash(secret, hash);
        json_object_set_new(g->ref_hashes, name, json_string(hash));
        json_decref(secret);
    }
    return AS_OK;
}

/* Generated secrets: the cached values, plus new random ones where missing. */
static as_status gather_generated(struct as_op_pass *p, struct as_op_gathered *g,
                                  struct as_error *err)
{
    struct as_field_errors fe;
    json_t *needed = NULL, *existing = json_object(), *spec;
    const char *name;
    as_status st;

    as_field_errors_init(&fe);
    st = as_render_needed_secrets(p->stack, &needed, &fe);
    if (st != AS_OK) {
        /* an invalid spec: render reports it; render without generated values */
        st = AS_OK;
        g->secrets = json_object();
        g->generated = json_object();
        goto out;
    }
    if (existing == NULL) {
        st = as_error_set(err, AS_E_NOMEM, "out of memory");
        goto out;
    }
    json_object_foreach(needed, name, spec)
    {
        json_t *live = as_op_live(p->rt, "v1", "Secret", p->ns, name);
        if (live != NULL)
            json_object_set_new(existing, name, as_op_secret_plain(live));
        json_decref(live);
    }
    st = as_op_secret_values(needed, existing, &g->secrets, &g->generated, err);
out:
    as_field_errors_free(&fe);
    json_decref(needed);
    json_decref(existing);
    return st;
}

/* The stack's TLS certificate: self-signed (made/renewed here) or a named Secret. */
static as_status gather_tls(struct as_op_pass *p, struct as_op_gathered *g, struct as_error *err)
{
    const json_t *tls = as_json_path(p->stack, "spec.ingress.tls");
    const char *secret_name = json_string_value(json_object_get(tls, "secretName"));
    json_t *hosts = NULL, *secret = NULL;
    char name[254];
    bool covers = false;
    as_status st = AS_OK;

    g->keep = json_array();
    if (g->keep == NULL)
        return AS_E_NOMEM;
    if (json_is_true(json_object_get(tls, "selfSigned"))) {
        hosts = as_op_selfsigned_hosts(p->stack);
        if (as_op_selfsigned_name(p->stack, name, sizeof(name)) != AS_OK)
            goto out;
        secret = as_op_live(p->rt, "v1", "Secret", p->ns, name);
        as_op_selfsigned_facts(secret, hosts, &g->tls, &covers);
        if (as_op_selfsigned_due(&g->tls, covers, p->now)) {
            st = as_op_selfsigned_secret(p->stack, p->now, AS_OP_SELFSIGNED_VALIDITY, &g->tls_write,
                                         err);
            if (st == AS_OK)
                as_op_selfsigned_facts(g->tls_write, hosts, &g->tls, &covers);
        }
        if (st == AS_OK && (g->tls_write != NULL || secret != NULL))
            json_array_append(g->keep, g->tls_write != NULL ? g->tls_write : secret);
    } else if (secret_name != NULL) {
        hosts = as_op_selfsigned_hosts(p->stack);
        st = read_ref(p, secret_name, &secret, err);
        if (st == AS_OK)
            as_op_selfsigned_facts(secret, hosts, &g->tls, &covers);
    }
out:
    json_decref(secret);
    json_decref(hosts);
    return st;
}

as_status as_op_gather(struct as_op_pass *p, struct as_op_gathered *g, struct as_error *err)
{
    as_status st = gather_generated(p, g, err);

    if (st == AS_OK)
        st = gather_refs(p, g, err);
    if (st == AS_OK)
        st = gather_tls(p, g, err);
    return st;
}
