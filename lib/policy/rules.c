/*
 * rules.c - the rule table (the one place where rule ids, families, default
 * modes, descriptions and remedies are written down) and the name tables of
 * families, modes and pod-security levels.
 *
 * The checks live in one file per family (pod_security.c, resources.c,
 * images.c, exposure.c, secrets.c, guarded.c) and report by rule id.
 */
#include <string.h>

#include "policy/policy_int.h"

#define PSS AS_FAMILY_POD_SECURITY
#define B AS_PSS_BASELINE
#define R AS_PSS_RESTRICTED
#define N AS_PSS_NONE
#define ENF AS_POLICY_ENFORCE
#define WRN AS_POLICY_WARN

static const struct as_policy_rule RULES[AS_R__COUNT] = {
    /* Pod Security Standards, baseline (also part of restricted). */
    [AS_R_PSS_BASELINE_HOST_PROCESS] =
        {"pss-baseline-host-process", PSS, ENF, B, false,
         "Windows HostProcess containers are not allowed",
         "remove securityContext.windowsOptions.hostProcess or set it to false"},
    [AS_R_PSS_BASELINE_HOST_NAMESPACES] =
        {"pss-baseline-host-namespaces", PSS, ENF, B, false,
         "sharing the host network, PID or IPC namespace is not allowed",
         "remove hostNetwork, hostPID and hostIPC or set them to false"},
    [AS_R_PSS_BASELINE_PRIVILEGED] = {"pss-baseline-privileged", PSS, ENF, B, false,
                                      "privileged containers are not allowed",
                                      "remove securityContext.privileged or set it to false"},
    [AS_R_PSS_BASELINE_CAPABILITIES] = {"pss-baseline-capabilities", PSS, ENF, B, false,
                                        "only the default capabilities may be added",
                                        "add only AUDIT_WRITE, CHOWN, DAC_OVERRIDE, FOWNER, "
                                        "FSETID, KILL, MKNOD, NET_BIND_SERVICE, "
                                        "SETFCAP, SETGID, SETPCAP, SETUID or SYS_CHROOT"},
    [AS_R_PSS_BASELINE_HOST_PATH] =
        {"pss-baseline-host-path", PSS, ENF, B, false, "hostPath volumes are not allowed",
         "use an emptyDir, configMap, secret or persistentVolumeClaim volume instead"},
    [AS_R_PSS_BASELINE_HOST_PORTS] =
        {"pss-baseline-host-ports", PSS, ENF, B, false, "host ports are not allowed",
         "remove hostPort (or set it to 0) and expose the port through a Service"},
    [AS_R_PSS_BASELINE_HOST_PROBES] =
        {"pss-baseline-host-probes", PSS, ENF, B, false,
         "probes and lifecycle hooks may not target another host",
         "remove the host field of httpGet/tcpSocket probes and lifecycle handlers"},
    [AS_R_PSS_BASELINE_APPARMOR] =
        {"pss-baseline-apparmor", PSS, ENF, B, false,
         "AppArmor may not be disabled or set to a non-default profile",
         "use appArmorProfile.type RuntimeDefault or Localhost (annotation runtime/default or "
         "localhost/<profile>)"},
    [AS_R_PSS_BASELINE_SELINUX] =
        {"pss-baseline-selinux", PSS, ENF, B, false,
         "custom SELinux user, role or type is not allowed",
         "remove seLinuxOptions.user and .role; use type container_t, container_init_t, "
         "container_kvm_t or container_engine_t"},
    [AS_R_PSS_BASELINE_PROC_MOUNT] = {"pss-baseline-proc-mount", PSS, ENF, B, false,
                                      "an unmasked /proc mount is not allowed",
                                      "remove securityContext.procMount or set it to Default"},
    [AS_R_PSS_BASELINE_SECCOMP] = {"pss-baseline-seccomp", PSS, ENF, B, false,
                                   "the Unconfined seccomp profile is not allowed",
                                   "set seccompProfile.type to RuntimeDefault or Localhost"},
    [AS_R_PSS_BASELINE_SYSCTLS] =
        {"pss-baseline-sysctls", PSS, ENF, B, false, "only namespaced safe sysctls are allowed",
         "use only kernel.shm_rmid_forced, net.ipv4.ip_local_port_range, "
         "net.ipv4.ip_local_reserved_ports, net.ipv4.ip_unprivileged_port_start, "
         "net.ipv4.tcp_syncookies, net.ipv4.ping_group_range, net.ipv4.tcp_keepalive_time, "
         "net.ipv4.tcp_fin_timeout, net.ipv4.tcp_keepalive_intvl or net.ipv4.tcp_keepalive_probes"},
    /* Pod Security Standards, restricted only. */
    [AS_R_PSS_RESTRICTED_VOLUME_TYPES] =
        {"pss-restricted-volume-types", PSS, ENF, R, false, "only core volume types are allowed",
         "use configMap, csi, downwardAPI, emptyDir, ephemeral, image, persistentVolumeClaim, "
         "projected or secret volumes"},
    [AS_R_PSS_RESTRICTED_PRIVILEGE_ESCALATION] =
        {"pss-restricted-privilege-escalation", PSS, ENF, R, true,
         "privilege escalation must be disallowed",
         "set securityContext.allowPrivilegeEscalation to false"},
    [AS_R_PSS_RESTRICTED_RUN_AS_NON_ROOT] =
        {"pss-restricted-run-as-non-root", PSS, ENF, R, false, "containers must run as non-root",
         "set securityContext.runAsNonRoot to true on the pod or on every container"},
    [AS_R_PSS_RESTRICTED_RUN_AS_USER] = {"pss-restricted-run-as-user", PSS, ENF, R, false,
                                         "containers may not run as UID 0",
                                         "set runAsUser to a non-zero UID or leave it unset"},
    [AS_R_PSS_RESTRICTED_SECCOMP] =
        {"pss-restricted-seccomp", PSS, ENF, R, true, "a seccomp profile must be set",
         "set securityContext.seccompProfile.type to RuntimeDefault or Localhost on the pod or on "
         "every container"},
    [AS_R_PSS_RESTRICTED_CAPABILITIES] =
        {"pss-restricted-capabilities", PSS, ENF, R, true,
         "containers must drop ALL capabilities and may add only NET_BIND_SERVICE",
         "set securityContext.capabilities.drop to [ALL] and add at most NET_BIND_SERVICE"},
    /* Resources. */
    [AS_R_RES_REQUESTS_REQUIRED] = {"res-requests-required", AS_FAMILY_RESOURCES, ENF, N, false,
                                    "every container needs cpu and memory requests",
                                    "set resources.requests.cpu and resources.requests.memory"},
    [AS_R_RES_LIMITS_REQUIRED] = {"res-limits-required", AS_FAMILY_RESOURCES, WRN, N, false,
                                  "every container needs cpu and memory limits",
                                  "set resources.limits.cpu and resources.limits.memory"},
    [AS_R_RES_CONTAINER_MAX] =
        {"res-container-max", AS_FAMILY_RESOURCES, ENF, N, false,
         "a container asks for more than the per-container maximum",
         "lower the container's requests and limits to the policy's maximum"},
    [AS_R_RES_POD_MAX] = {"res-pod-max", AS_FAMILY_RESOURCES, ENF, N, false,
                          "the pod asks for more than the per-pod maximum",
                          "lower the containers' requests and limits or split the workload"},
    [AS_R_RES_LIMIT_REQUEST_RATIO] =
        {"res-limit-request-ratio", AS_FAMILY_RESOURCES, WRN, N, false,
         "a limit is too large compared with its request",
         "raise the request or lower the limit to within the policy's ratio"},
    /* Images. */
    [AS_R_IMG_ALLOWED_REGISTRIES] =
        {"img-allowed-registries", AS_FAMILY_IMAGES, ENF, N, false,
         "images must come from an allowed registry",
         "pull the image from one of the policy's allowedRegistries (mirror it there)"},
    [AS_R_IMG_NO_LATEST] = {"img-no-latest", AS_FAMILY_IMAGES, ENF, N, false,
                            "images must be pinned to a version",
                            "use an explicit version tag (not :latest) or a @sha256 digest"},
    [AS_R_IMG_REQUIRE_DIGEST] = {"img-require-digest", AS_FAMILY_IMAGES, ENF, N, false,
                                 "images must be pinned by digest",
                                 "reference the image as name@sha256:<digest>"},
    /* Exposure. */
    [AS_R_EXP_INGRESS_TLS] = {"exp-ingress-tls", AS_FAMILY_EXPOSURE, ENF, N, false,
                              "Ingresses must serve TLS",
                              "add spec.tls with a secretName covering every host of spec.rules"},
    [AS_R_EXP_SERVICE_TYPE] =
        {"exp-service-type", AS_FAMILY_EXPOSURE, ENF, N, false,
         "NodePort and LoadBalancer Services are not allowed",
         "use a ClusterIP Service behind an Ingress, or ask for the type in allowedServiceTypes"},
    /* Secret hygiene. */
    [AS_R_SEC_LITERAL_CREDENTIAL_ENV] =
        {"sec-literal-credential-env", AS_FAMILY_SECRETS, ENF, N, false,
         "credentials may not be written as literal environment values",
         "store the value in a Secret and use valueFrom.secretKeyRef"},
    /* Guarded children. */
    [AS_R_GRD_OWNED_BY_APPSTACK] =
        {"grd-owned-by-appstack", AS_FAMILY_GUARDED, ENF, N, false,
         "objects owned by an AppStack are managed by the operator",
         "change the owning AppStack instead (labels and annotations may be added)"},
};

const struct as_policy_rule *as_policy_rules(size_t *count)
{
    *count = sizeof RULES / sizeof RULES[0];
    return RULES;
}

const struct as_policy_rule *as_policy_rule_find(const char *id)
{
    for (size_t i = 0; id && i < sizeof RULES / sizeof RULES[0]; i++)
        if (strcmp(RULES[i].id, id) == 0)
            return &RULES[i];
    return NULL;
}

static const char *const FAMILY_NAMES[AS_FAMILY__COUNT] = {
    "pod-security", "resources", "images", "exposure", "secrets", "appstack", "guarded",
};

const char *as_policy_family_name(enum as_policy_family f)
{
    return (unsigned)f < AS_FAMILY__COUNT ? FAMILY_NAMES[f] : "unknown";
}

bool as_policy_family_parse(const char *s, enum as_policy_family *out)
{
    for (int i = 0; s && i < AS_FAMILY__COUNT; i++) {
        if (strcmp(FAMILY_NAMES[i], s) == 0) {
            *out = (enum as_policy_family)i;
            return true;
        }
    }
    return false;
}

static const char *const MODE_NAMES[] = {"off", "audit", "warn", "enforce"};

const char *as_policy_mode_name(enum as_policy_mode m)
{
    return (unsigned)m <= AS_POLICY_ENFORCE ? MODE_NAMES[m] : "unknown";
}

bool as_policy_mode_parse(const char *s, enum as_policy_mode *out)
{
    for (int i = 0; s && i <= AS_POLICY_ENFORCE; i++) {
        if (strcmp(MODE_NAMES[i], s) == 0) {
            *out = (enum as_policy_mode)i;
            return true;
        }
    }
    return false;
}

static const char *const LEVEL_NAMES[] = {"none", "privileged", "baseline", "restricted"};

const char *as_pss_level_name(enum as_pss_level l)
{
    return (unsigned)l <= AS_PSS_RESTRICTED ? LEVEL_NAMES[l] : "unknown";
}

bool as_pss_level_parse(const char *s, enum as_pss_level *out)
{
    for (int i = AS_PSS_PRIVILEGED; s && i <= AS_PSS_RESTRICTED; i++) {
        if (strcmp(LEVEL_NAMES[i], s) == 0) {
            *out = (enum as_pss_level)i;
            return true;
        }
    }
    return false;
}

bool as_policy_op_parse(const char *s, enum as_policy_op *out)
{
    static const char *const OPS[] = {"CREATE", "UPDATE", "DELETE", "CONNECT"};

    for (int i = 0; s && i < 4; i++) {
        if (strcmp(OPS[i], s) == 0) {
            *out = (enum as_policy_op)i;
            return true;
        }
    }
    return false;
}
