/*
 * status_tls.c - the checks over time-bound things: the TLS certificate
 * (CertificateReady, status.certificate) and the backups (BackupHealthy,
 * status.backups).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/json.h"
#include "kube/object.h"
#include "optime.h"
#include "status_int.h"

/* ---------------------------------------------------------------- certificate */

static void cert_validity(struct ctx *x, int64_t not_after)
{
    int64_t days = st_iget(x->spec, "monitoring.alerts.certificateDaysLeft", 14);
    struct cond *c = &x->c[C_CERTIFICATE];
    char t[AS_OP_TIME_MAX];

    as_op_time_format(not_after, t);
    if (not_after <= x->f->now) {
        st_set_cond(x, C_CERTIFICATE, "False", "Expired");
        st_madd(&c->msg, "the certificate expired at %s", t);
    } else if (not_after - days * 86400 <= x->f->now) {
        st_set_cond(x, C_CERTIFICATE, "False", "Expiring");
        st_madd(&c->msg, "the certificate expires at %s, in less than %lld days", t,
                (long long)days);
    } else {
        st_set_cond(x, C_CERTIFICATE, "True", "Valid");
        st_madd(&c->msg, "the certificate is valid until %s", t);
    }
}

static void cert_manager(struct ctx *x, const char *secret_name, json_t *cert)
{
    char n[NAME_MAX_LEN];
    const json_t *obj;
    const json_t *ready;
    int64_t na;
    struct cond *c = &x->c[C_CERTIFICATE];

    if (!(x->f->apis & AS_API_CERT_MANAGER)) {
        st_set_cond(x, C_CERTIFICATE, "False", "CertManagerMissing");
        st_madd(&c->msg, "spec.ingress.tls.issuerRef needs cert-manager (cert-manager.io/v1), "
                         "which the cluster lacks — install cert-manager or use tls.selfSigned");
        return;
    }
    st_child_name(x, "tls", n, sizeof(n));
    obj = st_live_get(x, "Certificate", n);
    st_set_str(cert, "secretName",
               st_sget(obj, "spec.secretName") ? st_sget(obj, "spec.secretName") : secret_name);
    st_set_time(cert, "notAfter", obj, "status.notAfter");
    st_set_time(cert, "renewalTime", obj, "status.renewalTime");
    ready = st_child_cond(obj, "Ready");
    na = st_time_at(obj, "status.notAfter");
    if (!obj || na == 0 || !st_child_cond_is(obj, "Ready", "True")) {
        const char *m = json_string_value(json_object_get(ready, "message"));
        if (na > 0 && na <= x->f->now) {
            cert_validity(x, na);
            return;
        }
        st_set_cond(x, C_CERTIFICATE, "False", "Issuing");
        if (m)
            st_madd(&c->msg, "Certificate %s is not ready: %s", n, m);
        else
            st_madd(&c->msg, "Certificate %s is being issued", n);
        x->issuing = true;
        return;
    }
    cert_validity(x, na);
}

void st_check_certificate(struct ctx *x)
{
    const json_t *ing = json_object_get(x->spec, "ingress");
    const json_t *tls = json_object_get(ing, "tls");
    json_t *cert;
    char n[NAME_MAX_LEN];
    struct cond *c = &x->c[C_CERTIFICATE];
    const char *given = json_string_value(json_object_get(tls, "secretName"));

    if (!ing || json_object_get(ing, "gateway") || !tls)
        return;
    cert = json_object();
    st_child_name(x, "tls", n, sizeof(n));
    if (json_object_get(tls, "issuerRef")) {
        cert_manager(x, n, cert);
    } else {
        const struct as_op_cert_facts *t = &x->f->tls;
        bool self = !given;
        st_set_str(cert, "secretName", self ? n : given);
        if (!t->present || t->not_after == 0) {
            if (self) {
                st_set_cond(x, C_CERTIFICATE, "False", "Issuing");
                st_madd(&c->msg, "the operator is making the self-signed certificate in Secret %s",
                        n);
                x->issuing = true;
            } else {
                st_set_cond(x, C_CERTIFICATE, "False", "SecretMissing");
                st_madd(&c->msg,
                        "Secret %s (spec.ingress.tls.secretName) is absent or holds no "
                        "certificate — create it as a kubernetes.io/tls Secret",
                        given);
            }
        } else {
            char t1[AS_OP_TIME_MAX];
            as_op_time_format(t->not_after, t1);
            st_set_str(cert, "notAfter", t1);
            if (self && t->not_before > 0 && t->not_before < t->not_after) {
                as_op_time_format(t->not_before + (t->not_after - t->not_before) * 2 / 3, t1);
                st_set_str(cert, "renewalTime", t1);
            }
            cert_validity(x, t->not_after);
        }
    }
    json_object_set_new(x->status, "certificate", cert);
}

/* ---------------------------------------------------------------- backups */

enum bstate { B_FRESH, B_NOBACKUP, B_SUSPENDED, B_STALE, B_FAILED };

static enum bstate backup_one(struct ctx *x, const char *svc, const json_t *cfg, json_t *entry,
                              struct as_buf *msg)
{
    char n[NAME_MAX_LEN], suffix[64], t[AS_OP_TIME_MAX];
    const json_t *cj;
    int64_t max_age = st_iget(x->spec, "monitoring.alerts.backupMaxAgeHours", 26) * 3600;
    int64_t ok, born;

    snprintf(suffix, sizeof(suffix), "%s-backup", svc);
    st_child_name(x, suffix, n, sizeof(n));
    cj = st_live_get(x, "CronJob", n);
    st_set_str(entry, "service", svc);
    st_set_time(entry, "lastScheduleTime", cj, "status.lastScheduleTime");
    st_set_time(entry, "lastSuccessfulTime", cj, "status.lastSuccessfulTime");
    if (x->suspended || st_bget(cfg, "suspend", false)) {
        st_madd(msg, "%s: suspended", svc);
        return B_SUSPENDED;
    }
    ok = st_time_at(cj, "status.lastSuccessfulTime");
    if (st_cron_last_failed(cj)) {
        st_madd(msg, "%s: the last backup run (CronJob %s) failed", svc, n);
        return B_FAILED;
    }
    if (ok > 0) {
        as_op_time_format(ok, t);
        if (x->f->now - ok > max_age) {
            st_madd(msg, "%s: last success at %s, older than %lld hours", svc, t,
                    (long long)(max_age / 3600));
            return B_STALE;
        }
        st_madd(msg, "%s: last success at %s", svc, t);
        return B_FRESH;
    }
    born = st_time_at(cj, "metadata.creationTimestamp");
    if (born == 0)
        born = st_time_at(x->stack, "metadata.creationTimestamp");
    if (born == 0 || x->f->now - born <= max_age) {
        st_madd(msg, "%s: no backup yet (first window of %lld hours)", svc,
                (long long)(max_age / 3600));
        return B_NOBACKUP;
    }
    st_madd(msg, "%s: no successful backup in %lld hours", svc, (long long)(max_age / 3600));
    return B_STALE;
}

void st_check_backups(struct ctx *x)
{
    static const char *const svcs[] = {"postgres", "redis"};
    static const char *const reasons[] = {"Fresh", "NoBackupYet", "Suspended", "Stale", "Failed"};
    json_t *arr = json_array();
    enum bstate worst = B_FRESH;
    bool any = false;
    struct cond *c = &x->c[C_BACKUP];

    for (size_t i = 0; i < 2; i++) {
        const json_t *svc = json_object_get(json_object_get(x->spec, "services"), svcs[i]);
        const json_t *cfg = json_object_get(svc, "backup");
        json_t *entry;
        enum bstate b;
        if (!svc || !st_bget(cfg, "enabled", true))
            continue;
        entry = json_object();
        if (any)
            st_madd(&c->msg, "; ");
        b = backup_one(x, svcs[i], cfg, entry, &c->msg);
        json_array_append_new(arr, entry);
        worst = b > worst ? b : worst;
        any = true;
    }
    if (!any) {
        json_decref(arr);
        return;
    }
    json_object_set_new(x->status, "backups", arr);
    st_set_cond(x, C_BACKUP,
                worst == B_FRESH      ? "True"
                : worst == B_NOBACKUP ? "Unknown"
                                      : "False",
                reasons[worst]);
}
