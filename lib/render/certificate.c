/*
 * certificate.c - the TLS certificate of the Ingress: a cert-manager
 * Certificate <stack>-tls for `issuerRef` when cert-manager.io exists (when
 * it does not, nothing is rendered and the operator reports
 * CertificateReady=False, CertManagerMissing). `selfSigned` renders nothing:
 * the operator makes the kubernetes.io/tls Secret <stack>-tls itself (key
 * and certificate from OpenSSL) and the Ingress only references it;
 * `secretName` is the user's Secret.
 */
#include <stdlib.h>

#include "render/render_int.h"

/* Certificate <stack>-tls for every host of the Ingress. */
void r_build_certificate(struct r_ctx *c)
{
    const json_t *ing = rs_obj(c->spec, "ingress"), *tls = rs_obj(ing, "tls");
    const json_t *iss = rs_obj(tls, "issuerRef");
    json_t *h;
    char *n;
    json_t *obj, *hosts;
    size_t i;

    if (!iss || !(c->facts->apis & AS_API_CERT_MANAGER))
        return;
    n = r_name(c, "tls", 253);
    hosts = json_pack("[s]", rs_str(ing, "host", ""));
    json_array_foreach(rs_arr(ing, "extraHosts"), i, h)
    {
        json_array_append(hosts, h);
    }
    obj = r_object(c, "cert-manager.io/v1", "Certificate", n, r_labels(c, "ingress", "ingress"));
    if (obj)
        json_object_set_new(
            obj, "spec",
            json_pack("{s:s, s:o, s:{s:s, s:s, s:s}, s:{s:s, s:i}, s:s}", "secretName", n ? n : "",
                      "dnsNames", hosts, "issuerRef", "name", rs_str(iss, "name", ""), "kind",
                      rs_str(iss, "kind", "ClusterIssuer"), "group", "cert-manager.io",
                      "privateKey", "algorithm", "ECDSA", "size", 256, "renewBefore", "720h"));
    else
        json_decref(hosts);
    r_emit(c, obj);
    free(n);
}
