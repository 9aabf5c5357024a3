/*
 * pod_security.c - family "pod-security": the Pod Security Standards
 * (kubernetes.io/docs/concepts/security/pod-security-standards, v1.34),
 * baseline and restricted, for Pods and the pod templates of workloads, over
 * containers, initContainers and ephemeralContainers.
 *
 * Controls -> rule ids: HostProcess (pss-baseline-host-process), host
 * namespaces, privileged, capabilities (baseline list), hostPath volumes, host
 * ports, host probes/lifecycle hooks, AppArmor (field and annotation), SELinux,
 * /proc mount type, seccomp (baseline: not Unconfined), sysctls; restricted:
 * volume types, privilege escalation, running as non-root, non-root user,
 * seccomp (required), capabilities (drop ALL, add only NET_BIND_SERVICE).
 * As in the standard, restricted seccomp, privilege escalation and
 * capabilities do not apply to pods with spec.os.name "windows".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/policy_int.h"

static const char *const BASELINE_CAPS[] = {
    "AUDIT_WRITE",      "CHOWN",   "DAC_OVERRIDE", "FOWNER",  "FSETID", "KILL",       "MKNOD",
    "NET_BIND_SERVICE", "SETFCAP", "SETGID",       "SETPCAP", "SETUID", "SYS_CHROOT", NULL,
};
static const char *const SELINUX_TYPES[] = {
    "", "container_t", "container_init_t", "container_kvm_t", "container_engine_t", NULL,
};
static const char *const SAFE_SYSCTLS[] = {
    "kernel.shm_rmid_forced",
    "net.ipv4.ip_local_port_range",
    "net.ipv4.ip_local_reserved_ports",
    "net.ipv4.ip_unprivileged_port_start",
    "net.ipv4.tcp_syncookies",
    "net.ipv4.ping_group_range",
    "net.ipv4.tcp_keepalive_time",
    "net.ipv4.tcp_fin_timeout",
    "net.ipv4.tcp_keepalive_intvl",
    "net.ipv4.tcp_keepalive_probes",
    NULL,
};
/* "image" (OCI image volumes): allowed by Pod Security admission since v1.33
 * (kubernetes/kubernetes#130394); the documentation page lags (website#55370). */
static const char *const RESTRICTED_VOLUMES[] = {
    "configMap", "csi",    "downwardAPI", "emptyDir", "ephemeral", "image", "persistentVolumeClaim",
    "projected", "secret", NULL,
};
static const char *const SECCOMP_OK[] = {"RuntimeDefault", "Localhost", NULL};
static const char *const APPARMOR_ANNOTATION = "container.apparmor.security.beta.kubernetes.io/";

/* One container being checked. */
struct ctr {
    const struct as_jv *c;
    const struct as_jv *sc; /* securityContext or NULL */
    char path[AS__PATH_MAX / 2];
};

typedef void (*ctr_fn)(struct as_policy_eval *ev, const struct as__podspec *ps,
                       const struct ctr *c);

/* Every container of every list, in evaluation order, with its path (built once per pod). */
struct ctrs {
    struct ctr *v; /* owned */
    size_t n;
};

/* Collects the containers of ps; false when out of memory. */
static bool ctrs_collect(const struct as__podspec *ps, struct ctrs *out)
{
    size_t total = 0;

    out->n = 0;
    for (size_t l = 0; l < 3; l++)
        total += as_jv_size(as_jv_get(ps->spec, as__container_lists[l]));
    out->v = total > 0 ? malloc(total * sizeof(*out->v)) : NULL;
    if (total > 0 && out->v == NULL)
        return false;
    for (size_t l = 0; l < 3; l++) {
        const struct as_jv *arr = as_jv_get(ps->spec, as__container_lists[l]);
        const struct as_jv *c;
        size_t i;

        as_jv_array_foreach(arr, i, c)
        {
            struct ctr *ct = &out->v[out->n];

            if (!as_jv_is_object(c))
                continue;
            ct->c = c;
            ct->sc = as_jv_get(c, "securityContext");
            size_t len = 0;

            as__path_add(ct->path, sizeof ct->path, &len, ps->prefix);
            as__path_add(ct->path, sizeof ct->path, &len, ".");
            as__path_add(ct->path, sizeof ct->path, &len, as__container_lists[l]);
            as__path_index(ct->path, sizeof ct->path, &len, i);
            out->n++;
        }
    }
    return true;
}

/* ---- baseline ---- */

static void privileged_ctr(struct as_policy_eval *ev, const struct as__podspec *ps,
                           const struct ctr *c)
{
    char p[AS__PATH_MAX];

    (void)ps;
    if (!as__true(c->sc, "privileged"))
        return;
    snprintf(p, sizeof p, "%s.securityContext.privileged", c->path);
    as__report(ev, "pss-baseline-privileged", p, "privileged is true");
}

static void caps_baseline_ctr(struct as_policy_eval *ev, const struct as__podspec *ps,
                              const struct ctr *c)
{
    const struct as_jv *add = as_jv_get(as_jv_get(c->sc, "capabilities"), "add");
    const struct as_jv *cap;
    size_t i;

    (void)ps;
    as_jv_array_foreach(add, i, cap)
    {
        char p[AS__PATH_MAX];
        const char *name = as_jv_str(cap);

        if (name && as__str_in(name, BASELINE_CAPS))
            continue;
        snprintf(p, sizeof p, "%s.securityContext.capabilities.add[%zu]", c->path, i);
        as__report(ev, "pss-baseline-capabilities", p, "capability %s is not in the default set",
                   name ? name : "(not a string)");
    }
}

static void host_ports_ctr(struct as_policy_eval *ev, const struct as__podspec *ps,
                           const struct ctr *c)
{
    const struct as_jv *port;
    size_t i;

    (void)ps;
    as_jv_array_foreach(as_jv_get(c->c, "ports"), i, port)
    {
        const struct as_jv *hp = as_jv_get(port, "hostPort");
        char p[AS__PATH_MAX];

        if (!hp || as_jv_is_null(hp) || (as_jv_is_integer(hp) && as_jv_integer(hp) == 0))
            continue;
        snprintf(p, sizeof p, "%s.ports[%zu].hostPort", c->path, i);
        as__report(ev, "pss-baseline-host-ports", p, "hostPort is set");
    }
}

/* Reports handler.{httpGet,tcpSocket}.host when non-empty; the handler is at base + mid. */
static void host_field(struct as_policy_eval *ev, const struct as_jv *handler, const char *base,
                       const char *mid)
{
    static const char *const KINDS[] = {"httpGet", "tcpSocket"};

    for (size_t k = 0; k < 2; k++) {
        const struct as_jv *h = as_jv_get(as_jv_get(handler, KINDS[k]), "host");
        char p[AS__PATH_MAX];

        if (!h || as_jv_is_null(h) || (as_jv_is_string(h) && as_jv_str_len(h) == 0))
            continue;
        snprintf(p, sizeof p, "%s%s.%s.host", base, mid, KINDS[k]);
        as__report(ev, "pss-baseline-host-probes", p, "host is set to %s",
                   as_jv_is_string(h) ? as_jv_str(h) : "a non-string value");
    }
}

static void host_probes_ctr(struct as_policy_eval *ev, const struct as__podspec *ps,
                            const struct ctr *c)
{
    static const char *const PROBES[] = {".livenessProbe", ".readinessProbe", ".startupProbe"};
    static const char *const HOOKS[] = {".lifecycle.postStart", ".lifecycle.preStop"};
    const struct as_jv *lifecycle = as_jv_get(c->c, "lifecycle");

    (void)ps;
    for (size_t i = 0; i < 3; i++) {
        const struct as_jv *h = as_jv_get(c->c, PROBES[i] + 1);

        if (h != NULL)
            host_field(ev, h, c->path, PROBES[i]);
    }
    for (size_t i = 0; lifecycle != NULL && i < 2; i++) {
        const struct as_jv *h = as_jv_get(lifecycle, HOOKS[i] + 11);

        if (h != NULL)
            host_field(ev, h, c->path, HOOKS[i]);
    }
}

/* AppArmor field of a security context at base + mid (pod or container). */
static void apparmor_sc(struct as_policy_eval *ev, const struct as_jv *sc, const char *base,
                        const char *mid)
{
    const struct as_jv *t = as_jv_get(as_jv_get(sc, "appArmorProfile"), "type");
    char p[AS__PATH_MAX];

    if (!t || as_jv_is_null(t))
        return;
    if (as_jv_is_string(t) && as__str_in(as_jv_str(t), SECCOMP_OK))
        return;
    snprintf(p, sizeof p, "%s%s.appArmorProfile.type", base, mid);
    as__report(ev, "pss-baseline-apparmor", p, "AppArmor profile type %s is not allowed",
               as_jv_is_string(t) ? as_jv_str(t) : "(not a string)");
}

static void apparmor_ctr(struct as_policy_eval *ev, const struct as__podspec *ps,
                         const struct ctr *c)
{
    (void)ps;
    apparmor_sc(ev, c->sc, c->path, ".securityContext");
}

/* SELinux options of a security context at base + mid. */
static void selinux_sc(struct as_policy_eval *ev, const struct as_jv *sc, const char *base,
                       const char *mid)
{
    const struct as_jv *o = as_jv_get(sc, "seLinuxOptions");
    const char *type = as__str(o, "type");
    char p[AS__PATH_MAX];

    if (!as_jv_is_object(o))
        return;
    if (type && !as__str_in(type, SELINUX_TYPES)) {
        snprintf(p, sizeof p, "%s%s.seLinuxOptions.type", base, mid);
        as__report(ev, "pss-baseline-selinux", p, "SELinux type %s is not allowed", type);
    }
    for (size_t i = 0; i < 2; i++) {
        const char *key = i ? "role" : "user";
        const char *v = as__str(o, key);

        if (!v || !*v)
            continue;
        snprintf(p, sizeof p, "%s%s.seLinuxOptions.%s", base, mid, key);
        as__report(ev, "pss-baseline-selinux", p, "SELinux %s is set", key);
    }
}

static void selinux_ctr(struct as_policy_eval *ev, const struct as__podspec *ps,
                        const struct ctr *c)
{
    (void)ps;
    selinux_sc(ev, c->sc, c->path, ".securityContext");
}

static void proc_mount_ctr(struct as_policy_eval *ev, const struct as__podspec *ps,
                           const struct ctr *c)
{
    const struct as_jv *pm = as_jv_get(c->sc, "procMount");
    char p[AS__PATH_MAX];

    (void)ps;
    if (!pm || as_jv_is_null(pm) || (as_jv_is_string(pm) && strcmp(as_jv_str(pm), "Default") == 0))
        return;
    snprintf(p, sizeof p, "%s.securityContext.procMount", c->path);
    as__report(ev, "pss-baseline-proc-mount", p, "procMount is %s",
               as_jv_is_string(pm) ? as_jv_str(pm) : "not Default");
}

static void seccomp_baseline_ctr(struct as_policy_eval *ev, const struct as__podspec *ps,
                                 const struct ctr *c)
{
    const char *t = as__str(as_jv_get(c->sc, "seccompProfile"), "type");
    char p[AS__PATH_MAX];

    (void)ps;
    if (!t || strcmp(t, "Unconfined") != 0)
        return;
    snprintf(p, sizeof p, "%s.securityContext.seccompProfile.type", c->path);
    as__report(ev, "pss-baseline-seccomp", p, "seccomp profile is Unconfined");
}

static void host_process_containers(struct as_policy_eval *ev, const struct as__podspec *ps)
{
    for (size_t l = 0; l < 3; l++) {
        const struct as_jv *c;
        size_t i;

        as_jv_array_foreach(as_jv_get(ps->spec, as__container_lists[l]), i, c)
        {
            const struct as_jv *wo = as_jv_get(as_jv_get(c, "securityContext"), "windowsOptions");
            char p[AS__PATH_MAX];

            if (!as__true(wo, "hostProcess"))
                continue;
            snprintf(p, sizeof p, "%s.%s[%zu].securityContext.windowsOptions.hostProcess",
                     ps->prefix, as__container_lists[l], i);
            as__report(ev, "pss-baseline-host-process", p, "hostProcess is true");
        }
    }
}

/* Pod-level baseline controls, one function per rule; scp is "<prefix>.securityContext". */
typedef void (*pod_fn)(struct as_policy_eval *ev, const struct as__podspec *ps,
                       const struct as_jv *psc, const char *scp);

static void host_process_pod(struct as_policy_eval *ev, const struct as__podspec *ps,
                             const struct as_jv *psc, const char *scp)
{
    char p[AS__PATH_MAX];

    if (as__true(as_jv_get(psc, "windowsOptions"), "hostProcess")) {
        snprintf(p, sizeof p, "%s.windowsOptions.hostProcess", scp);
        as__report(ev, "pss-baseline-host-process", p, "hostProcess is true");
    }
    host_process_containers(ev, ps);
}

static void host_namespaces_pod(struct as_policy_eval *ev, const struct as__podspec *ps,
                                const struct as_jv *psc, const char *scp)
{
    static const char *const HOST_NS[] = {"hostNetwork", "hostPID", "hostIPC"};
    char p[AS__PATH_MAX];

    (void)psc, (void)scp;
    for (size_t i = 0; i < 3; i++) {
        if (!as__true(ps->spec, HOST_NS[i]))
            continue;
        snprintf(p, sizeof p, "%s.%s", ps->prefix, HOST_NS[i]);
        as__report(ev, "pss-baseline-host-namespaces", p, "%s is true", HOST_NS[i]);
    }
}

static void host_path_pod(struct as_policy_eval *ev, const struct as__podspec *ps,
                          const struct as_jv *psc, const char *scp)
{
    const struct as_jv *v;
    char p[AS__PATH_MAX];
    size_t i;

    (void)psc, (void)scp;
    as_jv_array_foreach(as_jv_get(ps->spec, "volumes"), i, v)
    {
        if (!as_jv_get(v, "hostPath"))
            continue;
        snprintf(p, sizeof p, "%s.volumes[%zu].hostPath", ps->prefix, i);
        as__report(ev, "pss-baseline-host-path", p, "volume %s is a hostPath volume",
                   as__str(v, "name") ? as__str(v, "name") : "(unnamed)");
    }
}

static void apparmor_pod(struct as_policy_eval *ev, const struct as__podspec *ps,
                         const struct as_jv *psc, const char *scp)
{
    const struct as_jv *v;
    const char *key;
    char p[AS__PATH_MAX];

    apparmor_sc(ev, psc, scp, "");
    as_jv_object_foreach(as_jv_get(ps->meta, "annotations"), key, v)
    {
        const char *val = as_jv_str(v);

        if (strncmp(key, APPARMOR_ANNOTATION, strlen(APPARMOR_ANNOTATION)) != 0)
            continue;
        if (val && (strcmp(val, "runtime/default") == 0 || strncmp(val, "localhost/", 10) == 0))
            continue;
        snprintf(p, sizeof p, "%s.annotations[%s]", ps->meta_prefix, key);
        as__report(ev, "pss-baseline-apparmor", p, "AppArmor annotation is %s",
                   val ? val : "(not a string)");
    }
}

static void selinux_pod(struct as_policy_eval *ev, const struct as__podspec *ps,
                        const struct as_jv *psc, const char *scp)
{
    (void)ps;
    selinux_sc(ev, psc, scp, "");
}

static void seccomp_baseline_pod(struct as_policy_eval *ev, const struct as__podspec *ps,
                                 const struct as_jv *psc, const char *scp)
{
    const char *t = as__str(as_jv_get(psc, "seccompProfile"), "type");
    char p[AS__PATH_MAX];

    (void)ps;
    if (t && strcmp(t, "Unconfined") == 0) {
        snprintf(p, sizeof p, "%s.seccompProfile.type", scp);
        as__report(ev, "pss-baseline-seccomp", p, "seccomp profile is Unconfined");
    }
}

static void sysctls_pod(struct as_policy_eval *ev, const struct as__podspec *ps,
                        const struct as_jv *psc, const char *scp)
{
    const struct as_jv *v;
    char p[AS__PATH_MAX];
    size_t i;

    (void)ps;
    as_jv_array_foreach(as_jv_get(psc, "sysctls"), i, v)
    {
        const char *name = as__str(v, "name");

        if (name && as__str_in(name, SAFE_SYSCTLS))
            continue;
        snprintf(p, sizeof p, "%s.sysctls[%zu].name", scp, i);
        as__report(ev, "pss-baseline-sysctls", p, "sysctl %s is not in the safe set",
                   name ? name : "(unnamed)");
    }
}

/* ---- restricted ---- */

static void priv_esc_ctr(struct as_policy_eval *ev, const struct as__podspec *ps,
                         const struct ctr *c)
{
    const struct as_jv *ape = as_jv_get(c->sc, "allowPrivilegeEscalation");
    char p[AS__PATH_MAX];

    if (ps->windows || as_jv_is_false(ape))
        return;
    snprintf(p, sizeof p, "%s.securityContext.allowPrivilegeEscalation", c->path);
    as__report(ev, "pss-restricted-privilege-escalation", p, "allowPrivilegeEscalation is %s",
               as_jv_is_true(ape) ? "true" : "not set to false");
    if ((!ape || as_jv_is_null(ape)) && as__rule_active(ev, "pss-restricted-privilege-escalation"))
        as__patch_add(ev, p, json_false());
}

static void non_root_ctr(struct as_policy_eval *ev, const struct as__podspec *ps,
                         const struct ctr *c)
{
    const struct as_jv *psc = as_jv_get(ps->spec, "securityContext");
    const struct as_jv *v = as_jv_get(c->sc, "runAsNonRoot");
    bool pod_true = as__true(psc, "runAsNonRoot");
    char p[AS__PATH_MAX];

    if (as_jv_is_true(v) || (!as_jv_is_false(v) && pod_true))
        return;
    snprintf(p, sizeof p, "%s.securityContext.runAsNonRoot", c->path);
    if (as_jv_is_false(v))
        as__report(ev, "pss-restricted-run-as-non-root", p, "runAsNonRoot is false");
    else if (!pod_true)
        as__report(ev, "pss-restricted-run-as-non-root", p,
                   "runAsNonRoot is set neither here nor on the pod");
}

static void run_as_user_ctr(struct as_policy_eval *ev, const struct as__podspec *ps,
                            const struct ctr *c)
{
    const struct as_jv *u = as_jv_get(c->sc, "runAsUser");
    char p[AS__PATH_MAX];

    (void)ps;
    if (!as_jv_is_integer(u) || as_jv_integer(u) != 0)
        return;
    snprintf(p, sizeof p, "%s.securityContext.runAsUser", c->path);
    as__report(ev, "pss-restricted-run-as-user", p, "runAsUser is 0 (root)");
}

static void seccomp_restricted_ctr(struct as_policy_eval *ev, const struct as__podspec *ps,
                                   const struct ctr *c)
{
    const struct as_jv *psc = as_jv_get(ps->spec, "securityContext");
    const char *pod_t = as__str(as_jv_get(psc, "seccompProfile"), "type");
    const struct as_jv *prof = as_jv_get(c->sc, "seccompProfile");
    const char *t = as__str(prof, "type");
    char p[AS__PATH_MAX];

    if (ps->windows || (t ? as__str_in(t, SECCOMP_OK) : pod_t != NULL))
        return;
    snprintf(p, sizeof p, "%s.securityContext.seccompProfile.type", c->path);
    if (t) {
        if (!as__str_in(t, SECCOMP_OK))
            as__report(ev, "pss-restricted-seccomp", p, "seccomp profile type is %s", t);
    } else if (!pod_t) {
        as__report(ev, "pss-restricted-seccomp", p,
                   "seccompProfile is set neither here nor on the pod");
    }
}

static void caps_restricted_ctr(struct as_policy_eval *ev, const struct as__podspec *ps,
                                const struct ctr *c)
{
    const struct as_jv *caps = as_jv_get(c->sc, "capabilities");
    const struct as_jv *drop = as_jv_get(caps, "drop");
    const struct as_jv *cap;
    bool has_all = false;
    char p[AS__PATH_MAX];
    size_t i;

    if (ps->windows)
        return;
    as_jv_array_foreach(drop, i, cap) if (as_jv_is_string(cap) &&
                                          strcmp(as_jv_str(cap), "ALL") == 0) has_all = true;
    if (!has_all) {
        snprintf(p, sizeof p, "%s.securityContext.capabilities.drop", c->path);
        as__report(ev, "pss-restricted-capabilities", p, "capabilities.drop does not include ALL");
        snprintf(p, sizeof p, "%s.securityContext.capabilities.drop[-]", c->path);
        if (as__rule_active(ev, "pss-restricted-capabilities"))
            as__patch_add(ev, p, json_string("ALL"));
    }
    as_jv_array_foreach(as_jv_get(caps, "add"), i, cap)
    {
        const char *name = as_jv_str(cap);

        if (name && strcmp(name, "NET_BIND_SERVICE") == 0)
            continue;
        snprintf(p, sizeof p, "%s.securityContext.capabilities.add[%zu]", c->path, i);
        as__report(ev, "pss-restricted-capabilities", p, "capability %s may not be added",
                   name ? name : "(not a string)");
    }
}

/* Pod-level restricted controls. */
static void volume_types_pod(struct as_policy_eval *ev, const struct as__podspec *ps,
                             const struct as_jv *psc, const char *scp)
{
    const struct as_jv *vol, *v;
    const char *key;
    char p[AS__PATH_MAX];
    size_t i;

    (void)psc, (void)scp;
    as_jv_array_foreach(as_jv_get(ps->spec, "volumes"), i, vol)
    {
        as_jv_object_foreach(vol, key, v)
        {
            if (strcmp(key, "name") == 0 || as_jv_is_null(v) || as__str_in(key, RESTRICTED_VOLUMES))
                continue;
            snprintf(p, sizeof p, "%s.volumes[%zu].%s", ps->prefix, i, key);
            as__report(ev, "pss-restricted-volume-types", p, "volume type %s is not allowed", key);
        }
    }
}

static void run_as_non_root_pod(struct as_policy_eval *ev, const struct as__podspec *ps,
                                const struct as_jv *psc, const char *scp)
{
    char p[AS__PATH_MAX];

    (void)ps;
    if (as_jv_is_false(as_jv_get(psc, "runAsNonRoot"))) {
        snprintf(p, sizeof p, "%s.runAsNonRoot", scp);
        as__report(ev, "pss-restricted-run-as-non-root", p, "runAsNonRoot is false");
    }
}

static void run_as_user_pod(struct as_policy_eval *ev, const struct as__podspec *ps,
                            const struct as_jv *psc, const char *scp)
{
    const struct as_jv *v = as_jv_get(psc, "runAsUser");
    char p[AS__PATH_MAX];

    (void)ps;
    if (as_jv_is_integer(v) && as_jv_integer(v) == 0) {
        snprintf(p, sizeof p, "%s.runAsUser", scp);
        as__report(ev, "pss-restricted-run-as-user", p, "runAsUser is 0 (root)");
    }
}

static void seccomp_restricted_pod(struct as_policy_eval *ev, const struct as__podspec *ps,
                                   const struct as_jv *psc, const char *scp)
{
    const char *pod_t = as__str(as_jv_get(psc, "seccompProfile"), "type");
    char p[AS__PATH_MAX];
    size_t len = 0;

    as__path_add(p, sizeof p, &len, scp);
    as__path_add(p, sizeof p, &len, ".seccompProfile.type");
    if (!ps->windows && pod_t && !as__str_in(pod_t, SECCOMP_OK))
        as__report(ev, "pss-restricted-seccomp", p, "seccomp profile type is %s", pod_t);
    if (!ps->windows && !as_jv_get(as_jv_get(psc, "seccompProfile"), "type") &&
        as__rule_active(ev, "pss-restricted-seccomp"))
        as__patch_add(ev, p, json_string("RuntimeDefault"));
}

/* A pod-level or a per-container check, and the rule it is timed under. */
struct check {
    enum as__rule_ix rule;
    pod_fn pod;
    ctr_fn ctr;
    bool below_restricted; /* baseline seccomp: restricted has its own, stricter rule */
};

/* Runs a list of checks in order, timing each one under its rule. */
static void run_checks(struct as_policy_eval *ev, const struct as__podspec *ps,
                       const struct ctrs *cs, const struct check *list, size_t n)
{
    const struct as_jv *psc = as_jv_get(ps->spec, "securityContext");
    char scp[AS__PATH_MAX / 2];
    size_t scp_len = 0;

    as__path_add(scp, sizeof scp, &scp_len, ps->prefix);
    as__path_add(scp, sizeof scp, &scp_len, ".securityContext");
    uint64_t t = as__clock(ev);

    for (size_t k = 0; k < n; k++) {
        if (list[k].below_restricted && ev->cfg->pss_level >= AS_PSS_RESTRICTED)
            continue;
        if (list[k].pod)
            list[k].pod(ev, ps, psc, scp);
        for (size_t i = 0; list[k].ctr && i < cs->n; i++)
            list[k].ctr(ev, ps, &cs->v[i]);
        t = as__rule_time(ev, list[k].rule, t);
    }
}

/* In report order: pod-level baseline controls, then per-container ones. */
static const struct check BASELINE[] = {
    {AS_R_PSS_BASELINE_HOST_PROCESS, host_process_pod, NULL, false},
    {AS_R_PSS_BASELINE_HOST_NAMESPACES, host_namespaces_pod, NULL, false},
    {AS_R_PSS_BASELINE_HOST_PATH, host_path_pod, NULL, false},
    {AS_R_PSS_BASELINE_APPARMOR, apparmor_pod, NULL, false},
    {AS_R_PSS_BASELINE_SELINUX, selinux_pod, NULL, false},
    {AS_R_PSS_BASELINE_SECCOMP, seccomp_baseline_pod, NULL, true},
    {AS_R_PSS_BASELINE_SYSCTLS, sysctls_pod, NULL, false},
    {AS_R_PSS_BASELINE_PRIVILEGED, NULL, privileged_ctr, false},
    {AS_R_PSS_BASELINE_CAPABILITIES, NULL, caps_baseline_ctr, false},
    {AS_R_PSS_BASELINE_HOST_PORTS, NULL, host_ports_ctr, false},
    {AS_R_PSS_BASELINE_HOST_PROBES, NULL, host_probes_ctr, false},
    {AS_R_PSS_BASELINE_APPARMOR, NULL, apparmor_ctr, false},
    {AS_R_PSS_BASELINE_SELINUX, NULL, selinux_ctr, false},
    {AS_R_PSS_BASELINE_PROC_MOUNT, NULL, proc_mount_ctr, false},
    {AS_R_PSS_BASELINE_SECCOMP, NULL, seccomp_baseline_ctr, true},
};
static const struct check RESTRICTED[] = {
    {AS_R_PSS_RESTRICTED_VOLUME_TYPES, volume_types_pod, NULL, false},
    {AS_R_PSS_RESTRICTED_RUN_AS_NON_ROOT, run_as_non_root_pod, NULL, false},
    {AS_R_PSS_RESTRICTED_RUN_AS_USER, run_as_user_pod, NULL, false},
    {AS_R_PSS_RESTRICTED_SECCOMP, seccomp_restricted_pod, NULL, false},
    {AS_R_PSS_RESTRICTED_PRIVILEGE_ESCALATION, NULL, priv_esc_ctr, false},
    {AS_R_PSS_RESTRICTED_RUN_AS_NON_ROOT, NULL, non_root_ctr, false},
    {AS_R_PSS_RESTRICTED_RUN_AS_USER, NULL, run_as_user_ctr, false},
    {AS_R_PSS_RESTRICTED_SECCOMP, NULL, seccomp_restricted_ctr, false},
    {AS_R_PSS_RESTRICTED_CAPABILITIES, NULL, caps_restricted_ctr, false},
};

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

void as__check_pod_security(struct as_policy_eval *ev)
{
    struct as__podspec ps;
    struct ctrs cs;

    if (!as__podspec_find(ev->obj, &ps))
        return;
    if (!ctrs_collect(&ps, &cs)) {
        ev->status = AS_E_NOMEM;
        return;
    }
    run_checks(ev, &ps, &cs, BASELINE, N_OF(BASELINE));
    if (ev->cfg->pss_level >= AS_PSS_RESTRICTED)
        run_checks(ev, &ps, &cs, RESTRICTED, N_OF(RESTRICTED));
    free(cs.v);
}
