#!/usr/bin/env python3
"""tests/golden/policy/gen_fixtures.py - writes the policy fixtures.

The expectations below are written by hand from the Pod Security Standards
page (kubernetes.io/docs/concepts/security/pod-security-standards) and from
the rule table in lib/policy/rules.c, never from the engine's output.
Run it after changing a case; the files it writes are committed.

Layout (one object per file; guarded UPDATE cases hold old then new):
  good/*.yaml                 no violation under the default policy
  bad/*.yaml                  `# expect: RULE PATH` per expected violation
  mutate/*.yaml               violations only of mutating rules; the patch fixes them all
  pss/<level>/{pass,fail}/    Pod Security conformance, pod-security rules only
Header lines: `# expect: RULE PATH`, `# policy: {AppStackPolicy spec, flow YAML}`,
`# op: CREATE|UPDATE|DELETE`, `# user: NAME`.
"""
import copy
import json
import os
import re
import shutil

HERE = os.path.dirname(os.path.abspath(__file__))
PLAIN = re.compile(r"^[A-Za-z_/][A-Za-z0-9_./:-]*$")
RESERVED = {"true", "false", "yes", "no", "on", "off", "null", "y", "n", "~"}


def scalar(v):
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return str(v)
    if PLAIN.match(v) and v.lower() not in RESERVED:
        return v
    return json.dumps(v)


def emit(v, indent=0):
    """Block-style YAML for dicts/lists of scalars (enough for fixtures)."""
    pad = " " * indent
    out = []
    if isinstance(v, dict):
        if not v:
            return [pad + "{}"]
        for k, x in v.items():
            if isinstance(x, (dict, list)) and x:
                out.append(f"{pad}{scalar(k)}:")
                out.extend(emit(x, indent + 2))
            else:
                out.append(f"{pad}{scalar(k)}: {emit_inline(x)}")
    elif isinstance(v, list):
        for x in v:
            if isinstance(x, (dict, list)) and x:
                sub = emit(x, indent + 2)
                out.append(pad + "- " + sub[0].lstrip())
                out.extend(sub[1:])
            else:
                out.append(f"{pad}- {emit_inline(x)}")
    return out


def emit_inline(x):
    if isinstance(x, dict):
        return "{}"
    if isinstance(x, list):
        return "[]"
    return scalar(x)


def write(path, headers, *docs):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    lines = [f"# {h}" for h in headers]
    for i, d in enumerate(docs):
        if i:
            lines.append("---")
        lines.extend(emit(d))
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


RES = {"requests": {"cpu": "100m", "memory": "64Mi"}, "limits": {"cpu": "200m", "memory": "128Mi"}}
IMAGE = "ghcr.io/acme/app:1.2.3"


def restricted_pod(name="app"):
    return {
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": name, "namespace": "demo"},
        "spec": {
            "securityContext": {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}},
            "containers": [{
                "name": "app", "image": IMAGE, "resources": copy.deepcopy(RES),
                "securityContext": {"allowPrivilegeEscalation": False,
                                    "capabilities": {"drop": ["ALL"]}},
            }],
        },
    }


def baseline_pod(name="app"):
    return {
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": name, "namespace": "demo"},
        "spec": {"containers": [{"name": "app", "image": IMAGE, "resources": copy.deepcopy(RES)}]},
    }


def psc(pod):
    return pod["spec"].setdefault("securityContext", {})


def c0(pod):
    return pod["spec"]["containers"][0]


def csc(pod):
    return c0(pod).setdefault("securityContext", {})


C0 = "spec.containers[0]"

# (control, case name, mutation, expected at baseline, expected at restricted)
# Expectations are lists of "rule path"; None means "the case is not run at that level".
FAIL_CASES = [
    ("host-process", "pod-hostprocess",
     lambda p: psc(p).update(windowsOptions={"hostProcess": True}),
     ["pss-baseline-host-process spec.securityContext.windowsOptions.hostProcess"], "same"),
    ("host-process", "container-hostprocess",
     lambda p: csc(p).update(windowsOptions={"hostProcess": True}),
     [f"pss-baseline-host-process {C0}.securityContext.windowsOptions.hostProcess"], "same"),
    ("host-namespaces", "hostpid", lambda p: p["spec"].update(hostPID=True),
     ["pss-baseline-host-namespaces spec.hostPID"], "same"),
    ("host-namespaces", "hostnetwork-hostipc",
     lambda p: p["spec"].update(hostNetwork=True, hostIPC=True),
     ["pss-baseline-host-namespaces spec.hostNetwork", "pss-baseline-host-namespaces spec.hostIPC"],
     "same"),
    ("privileged", "privileged", lambda p: csc(p).update(privileged=True),
     [f"pss-baseline-privileged {C0}.securityContext.privileged"], "same"),
    ("privileged", "init-privileged",
     lambda p: p["spec"].update(initContainers=[dict(copy.deepcopy(c0(p)), name="init",
                                                     securityContext=dict(
                                                         copy.deepcopy(csc(p)), privileged=True))]),
     ["pss-baseline-privileged spec.initContainers[0].securityContext.privileged"], "same"),
    ("capabilities", "add-sys-admin",
     lambda p: csc(p).setdefault("capabilities", {}).update(add=["SYS_ADMIN"]),
     [f"pss-baseline-capabilities {C0}.securityContext.capabilities.add[0]"],
     [f"pss-baseline-capabilities {C0}.securityContext.capabilities.add[0]",
      f"pss-restricted-capabilities {C0}.securityContext.capabilities.add[0]"]),
    ("host-path", "hostpath-volume",
     lambda p: p["spec"].update(volumes=[{"name": "host", "hostPath": {"path": "/var/run"}}]),
     ["pss-baseline-host-path spec.volumes[0].hostPath"],
     ["pss-baseline-host-path spec.volumes[0].hostPath",
      "pss-restricted-volume-types spec.volumes[0].hostPath"]),
    ("host-ports", "hostport",
     lambda p: c0(p).update(ports=[{"containerPort": 8080, "hostPort": 8080}]),
     [f"pss-baseline-host-ports {C0}.ports[0].hostPort"], "same"),
    ("host-probes", "probe-host",
     lambda p: c0(p).update(livenessProbe={"httpGet": {"host": "10.0.0.1", "path": "/", "port": 80}}),
     [f"pss-baseline-host-probes {C0}.livenessProbe.httpGet.host"], "same"),
    ("host-probes", "lifecycle-host",
     lambda p: c0(p).update(lifecycle={"preStop": {"tcpSocket": {"host": "example.com", "port": 80}}}),
     [f"pss-baseline-host-probes {C0}.lifecycle.preStop.tcpSocket.host"], "same"),
    ("apparmor", "apparmor-field-unconfined",
     lambda p: csc(p).update(appArmorProfile={"type": "Unconfined"}),
     [f"pss-baseline-apparmor {C0}.securityContext.appArmorProfile.type"], "same"),
    ("apparmor", "apparmor-annotation-unconfined",
     lambda p: p["metadata"].update(annotations={
         "container.apparmor.security.beta.kubernetes.io/app": "unconfined"}),
     ["pss-baseline-apparmor metadata.annotations[container.apparmor.security.beta.kubernetes.io/app]"],
     "same"),
    ("selinux", "selinux-type",
     lambda p: psc(p).update(seLinuxOptions={"type": "spc_t"}),
     ["pss-baseline-selinux spec.securityContext.seLinuxOptions.type"], "same"),
    ("selinux", "selinux-user-role",
     lambda p: csc(p).update(seLinuxOptions={"user": "system_u", "role": "system_r"}),
     [f"pss-baseline-selinux {C0}.securityContext.seLinuxOptions.user",
      f"pss-baseline-selinux {C0}.securityContext.seLinuxOptions.role"], "same"),
    ("proc-mount", "unmasked", lambda p: csc(p).update(procMount="Unmasked"),
     [f"pss-baseline-proc-mount {C0}.securityContext.procMount"], "same"),
    ("seccomp", "pod-unconfined",
     lambda p: psc(p).update(seccompProfile={"type": "Unconfined"}),
     ["pss-baseline-seccomp spec.securityContext.seccompProfile.type"],
     ["pss-restricted-seccomp spec.securityContext.seccompProfile.type"]),
    ("seccomp", "container-unconfined",
     lambda p: csc(p).update(seccompProfile={"type": "Unconfined"}),
     [f"pss-baseline-seccomp {C0}.securityContext.seccompProfile.type"],
     [f"pss-restricted-seccomp {C0}.securityContext.seccompProfile.type"]),
    ("sysctls", "unsafe-sysctl",
     lambda p: psc(p).update(sysctls=[{"name": "kernel.msgmax", "value": "65536"}]),
     ["pss-baseline-sysctls spec.securityContext.sysctls[0].name"], "same"),
    # restricted only
    ("volume-types", "nfs-volume",
     lambda p: p["spec"].update(volumes=[{"name": "share", "nfs": {"server": "nfs", "path": "/"}}]),
     None, ["pss-restricted-volume-types spec.volumes[0].nfs"]),
    ("privilege-escalation", "unset",
     lambda p: csc(p).pop("allowPrivilegeEscalation"),
     None, [f"pss-restricted-privilege-escalation {C0}.securityContext.allowPrivilegeEscalation"]),
    ("privilege-escalation", "true",
     lambda p: csc(p).update(allowPrivilegeEscalation=True),
     None, [f"pss-restricted-privilege-escalation {C0}.securityContext.allowPrivilegeEscalation"]),
    ("run-as-non-root", "pod-false",
     lambda p: psc(p).update(runAsNonRoot=False),
     None, ["pss-restricted-run-as-non-root spec.securityContext.runAsNonRoot",
            f"pss-restricted-run-as-non-root {C0}.securityContext.runAsNonRoot"]),
    ("run-as-non-root", "unset",
     lambda p: psc(p).pop("runAsNonRoot"),
     None, [f"pss-restricted-run-as-non-root {C0}.securityContext.runAsNonRoot"]),
    ("run-as-non-root", "container-false",
     lambda p: csc(p).update(runAsNonRoot=False),
     None, [f"pss-restricted-run-as-non-root {C0}.securityContext.runAsNonRoot"]),
    ("run-as-user", "container-root",
     lambda p: csc(p).update(runAsUser=0),
     None, [f"pss-restricted-run-as-user {C0}.securityContext.runAsUser"]),
    ("run-as-user", "pod-root",
     lambda p: psc(p).update(runAsUser=0),
     None, ["pss-restricted-run-as-user spec.securityContext.runAsUser"]),
    ("seccomp", "unset",
     lambda p: psc(p).pop("seccompProfile"),
     None, [f"pss-restricted-seccomp {C0}.securityContext.seccompProfile.type"]),
    ("capabilities", "no-drop-all",
     lambda p: csc(p).update(capabilities={"drop": ["NET_RAW"]}),
     None, [f"pss-restricted-capabilities {C0}.securityContext.capabilities.drop"]),
    ("capabilities", "add-chown",
     lambda p: csc(p)["capabilities"].update(add=["CHOWN"]),
     None, [f"pss-restricted-capabilities {C0}.securityContext.capabilities.add[0]"]),
    ("privileged", "ephemeral-privileged",
     lambda p: p["spec"].update(ephemeralContainers=[{
         "name": "debug", "image": IMAGE,
         "securityContext": {"privileged": True, "allowPrivilegeEscalation": False,
                             "capabilities": {"drop": ["ALL"]}}}]),
     None, ["pss-baseline-privileged spec.ephemeralContainers[0].securityContext.privileged"]),
]

PASS_CASES = [
    ("host-process", "hostprocess-false",
     lambda p: psc(p).update(windowsOptions={"hostProcess": False}), "both"),
    ("host-namespaces", "host-namespaces-false",
     lambda p: p["spec"].update(hostNetwork=False, hostPID=False, hostIPC=False), "both"),
    ("privileged", "privileged-false", lambda p: csc(p).update(privileged=False), "both"),
    ("capabilities", "add-default-set",
     lambda p: csc(p).setdefault("capabilities", {}).update(add=["CHOWN", "NET_BIND_SERVICE", "KILL"]),
     "baseline"),
    ("capabilities", "drop-all-add-net-bind",
     lambda p: csc(p).update(capabilities={"drop": ["ALL"], "add": ["NET_BIND_SERVICE"]}), "restricted"),
    ("host-path", "emptydir-volume",
     lambda p: p["spec"].update(volumes=[{"name": "tmp", "emptyDir": {}}]), "both"),
    ("host-ports", "hostport-zero",
     lambda p: c0(p).update(ports=[{"containerPort": 8080, "hostPort": 0}]), "both"),
    ("host-probes", "probe-without-host",
     lambda p: c0(p).update(livenessProbe={"httpGet": {"path": "/healthz", "port": 8080}},
                            readinessProbe={"tcpSocket": {"port": 8080, "host": ""}}), "both"),
    ("apparmor", "apparmor-runtime-default",
     lambda p: (psc(p).update(appArmorProfile={"type": "RuntimeDefault"}),
                p["metadata"].update(annotations={
                    "container.apparmor.security.beta.kubernetes.io/app": "localhost/custom"})),
     "both"),
    ("selinux", "selinux-allowed-type-and-level",
     lambda p: psc(p).update(seLinuxOptions={"type": "container_init_t", "level": "s0:c123,c456"}),
     "both"),
    ("proc-mount", "proc-mount-default", lambda p: csc(p).update(procMount="Default"), "both"),
    ("seccomp", "seccomp-localhost",
     lambda p: psc(p).update(seccompProfile={"type": "Localhost", "localhostProfile": "p.json"}),
     "both"),
    ("seccomp", "seccomp-container-level-only",
     lambda p: (psc(p).pop("seccompProfile", None),
                csc(p).update(seccompProfile={"type": "RuntimeDefault"})), "both"),
    ("sysctls", "safe-sysctls",
     lambda p: psc(p).update(sysctls=[{"name": "net.ipv4.tcp_keepalive_time", "value": "600"},
                                      {"name": "net.ipv4.ip_unprivileged_port_start", "value": "0"}]),
     "both"),
    ("volume-types", "core-volume-types",
     lambda p: p["spec"].update(volumes=[
         {"name": "a", "configMap": {"name": "cm"}}, {"name": "b", "secret": {"secretName": "s"}},
         {"name": "c", "projected": {"sources": []}}, {"name": "d", "persistentVolumeClaim": {"claimName": "x"}},
         {"name": "e", "csi": {"driver": "x"}}, {"name": "f", "downwardAPI": {"items": []}},
         {"name": "g", "ephemeral": {"volumeClaimTemplate": {"spec": {}}}},
         {"name": "h", "image": {"reference": "ghcr.io/acme/models:1.0", "pullPolicy": "IfNotPresent"}}]),
     "restricted"),
    ("privilege-escalation", "ape-false", lambda p: None, "restricted"),
    ("run-as-non-root", "container-level-true",
     lambda p: (psc(p).pop("runAsNonRoot"), csc(p).update(runAsNonRoot=True)), "restricted"),
    ("run-as-user", "non-zero-uid",
     lambda p: (psc(p).update(runAsUser=1000), csc(p).update(runAsUser=1001)), "restricted"),
    ("run-as-root", "baseline-allows-root",
     lambda p: psc(p).update(runAsUser=0, runAsNonRoot=False), "baseline"),
    ("windows", "windows-pod-skips-linux-controls",
     lambda p: (p["spec"].update(os={"name": "windows"}), psc(p).pop("seccompProfile"),
                csc(p).clear()), "restricted"),
]


def gen_pss():
    for level in ("baseline", "restricted"):
        base = baseline_pod if level == "baseline" else restricted_pod
        for control, case, fn, exp_b, exp_r in FAIL_CASES:
            exp = exp_b if level == "baseline" else (exp_b if exp_r == "same" else exp_r)
            if exp is None:
                continue
            pod = base(f"{control}-{case}")
            fn(pod)
            write(os.path.join(HERE, "pss", level, "fail", f"{control}-{case}.yaml"),
                  [f"expect: {e}" for e in exp], pod)
        for control, case, fn, levels in PASS_CASES:
            if levels not in ("both", level):
                continue
            pod = base(f"{control}-{case}")
            fn(pod)
            write(os.path.join(HERE, "pss", level, "pass", f"{control}-{case}.yaml"), [], pod)


def deployment(name="web", kind="Deployment", api="apps/v1"):
    pod = restricted_pod()
    return {"apiVersion": api, "kind": kind,
            "metadata": {"name": name, "namespace": "demo"},
            "spec": {"replicas": 2, "selector": {"matchLabels": {"app": name}},
                     "template": {"metadata": {"labels": {"app": name}}, "spec": pod["spec"]}}}


def cronjob(name="nightly"):
    pod = restricted_pod()
    pod["spec"]["restartPolicy"] = "OnFailure"
    return {"apiVersion": "batch/v1", "kind": "CronJob",
            "metadata": {"name": name, "namespace": "demo"},
            "spec": {"schedule": "0 3 * * *",
                     "jobTemplate": {"spec": {"template": {"spec": pod["spec"]}}}}}


def tc(obj, i=0, lst="containers"):
    spec = obj["spec"]
    if obj["kind"] == "CronJob":
        spec = spec["jobTemplate"]["spec"]["template"]["spec"]
    elif obj["kind"] != "Pod":
        spec = spec["template"]["spec"]
    return spec[lst][i]


def owned(obj):
    obj["metadata"]["labels"] = {"app.kubernetes.io/managed-by": "appstack",
                                 "app.kubernetes.io/instance": "shop"}
    obj["metadata"]["ownerReferences"] = [{
        "apiVersion": "appstack.io/v1alpha1", "kind": "AppStack", "name": "shop",
        "uid": "0b3c3f5e-1111-4222-8333-944455556666", "controller": True,
        "blockOwnerDeletion": True}]
    return obj


def ingress(tls_hosts):
    obj = {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
           "metadata": {"name": "web", "namespace": "demo"},
           "spec": {"rules": [{"host": "shop.example.com", "http": {"paths": [{
               "path": "/", "pathType": "Prefix",
               "backend": {"service": {"name": "web", "port": {"number": 80}}}}]}},
                              {"host": "api.example.com", "http": {"paths": [{
                                  "path": "/", "pathType": "Prefix",
                                  "backend": {"service": {"name": "api", "port": {"number": 80}}}}]}}]}}
    if tls_hosts is not None:
        obj["spec"]["tls"] = [{"hosts": tls_hosts, "secretName": "web-tls"}]
    return obj


def service(typ):
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web", "namespace": "demo"},
            "spec": {"type": typ, "selector": {"app": "web"}, "ports": [{"port": 80}]}}


T = "spec.template.spec.containers[0]"
OP_SA = "system:serviceaccount:appstack-system:appstack-operator"


def gen_good_bad():
    good = os.path.join(HERE, "good")
    bad = os.path.join(HERE, "bad")

    write(os.path.join(good, "pod-restricted.yaml"), [], restricted_pod())
    write(os.path.join(good, "deployment-restricted.yaml"), [], deployment())
    write(os.path.join(good, "cronjob-restricted.yaml"), [], cronjob())
    for kind in ("StatefulSet", "DaemonSet", "ReplicaSet"):
        write(os.path.join(good, f"{kind.lower()}-restricted.yaml"), [], deployment(kind=kind))
    job = deployment(kind="Job", api="batch/v1")
    job["spec"]["template"]["spec"]["restartPolicy"] = "Never"
    write(os.path.join(good, "job-restricted.yaml"), [], job)
    rc = deployment(kind="ReplicationController", api="v1")
    write(os.path.join(good, "replicationcontroller-restricted.yaml"), [], rc)
    d = deployment()
    tc(d)["image"] = "nginx@sha256:" + "a" * 64
    write(os.path.join(good, "image-digest.yaml"), ["policy: {requireDigest: true}"], d)
    d = deployment()
    tc(d)["image"] = "nginx:1.25.3"
    write(os.path.join(good, "image-docker-hub-default.yaml"),
          ["policy: {allowedRegistries: [docker.io/library]}"], d)
    d = deployment()
    tc(d)["env"] = [{"name": "MONKEY", "value": "banana"},
                    {"name": "TLS_KEY_FILE", "value": "/etc/tls/tls.key"},
                    {"name": "DB_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "db", "key": "password"}}},
                    {"name": "KEYBOARD_LAYOUT", "value": "us"}]
    write(os.path.join(good, "env-not-credentials.yaml"), [], d)
    write(os.path.join(good, "ingress-tls.yaml"), [], ingress(["shop.example.com", "*.example.com"]))
    write(os.path.join(good, "service-clusterip.yaml"), [], service("ClusterIP"))
    write(os.path.join(good, "service-nodeport-allowed.yaml"),
          ["policy: {allowedServiceTypes: [NodePort]}"], service("NodePort"))
    d = deployment()
    tc(d)["resources"] = {"requests": {"cpu": "500m", "memory": "256Mi"},
                          "limits": {"cpu": "1", "memory": "512Mi"}}
    write(os.path.join(good, "resources-within-limits.yaml"),
          ["policy: {resources: {maxPerContainer: {cpu: \"1\", memory: 1Gi}, "
           "maxPerPod: {cpu: \"2\", memory: 1Gi}, maxLimitRequestRatio: 2}}"], d)
    priv = restricted_pod()
    priv["metadata"]["namespace"] = "kube-system"
    tc(priv)["securityContext"]["privileged"] = True
    write(os.path.join(good, "exempt-namespace-kube-system.yaml"), [], priv)
    # guarded: allowed changes
    old = owned(deployment())
    old["metadata"]["annotations"] = {"appstack.io/replicas-managed-by": "hpa"}
    new = copy.deepcopy(old)
    new["spec"]["replicas"] = 5
    new["metadata"]["labels"]["team"] = "payments"
    new["metadata"]["annotations"]["deployment.kubernetes.io/revision"] = "3"
    new["status"] = {"replicas": 5}
    write(os.path.join(good, "guarded-hpa-replicas-and-new-label.yaml"),
          ["op: UPDATE", "user: system:serviceaccount:kube-system:horizontal-pod-autoscaler"], old, new)
    new = copy.deepcopy(owned(deployment()))
    tc(new)["image"] = "ghcr.io/acme/app:1.2.4"
    write(os.path.join(good, "guarded-operator-update.yaml"), ["op: UPDATE", f"user: {OP_SA}"],
          owned(deployment()), new)
    write(os.path.join(good, "guarded-gc-delete.yaml"),
          ["op: DELETE", "user: system:serviceaccount:kube-system:generic-garbage-collector"],
          owned(deployment()))

    old = owned(deployment())
    old["spec"]["template"]["metadata"]["annotations"] = {"appstack.io/config-hash": "abc123"}
    new = copy.deepcopy(old)
    new["spec"]["template"]["metadata"]["annotations"]["kubectl.kubernetes.io/restartedAt"] = \
        "2026-11-22T04:00:00Z"
    write(os.path.join(good, "guarded-rollout-restart.yaml"), ["op: UPDATE", "user: alice"], old, new)
    new = copy.deepcopy(owned(deployment()))
    del new["metadata"]["ownerReferences"]
    write(os.path.join(good, "guarded-gc-orphans.yaml"),
          ["op: UPDATE", "user: system:serviceaccount:kube-system:generic-garbage-collector"],
          owned(deployment()), new)
    pvc = owned({"apiVersion": "v1", "kind": "PersistentVolumeClaim",
                 "metadata": {"name": "data", "namespace": "demo"},
                 "spec": {"accessModes": ["ReadWriteOnce"],
                          "resources": {"requests": {"storage": "10Gi"}}}})
    bound = copy.deepcopy(pvc)
    bound["spec"]["volumeName"] = "pvc-0b3c3f5e"
    bound["metadata"]["annotations"] = {"pv.kubernetes.io/bind-completed": "yes"}
    write(os.path.join(good, "guarded-pvc-binding.yaml"),
          ["op: UPDATE", "user: system:serviceaccount:kube-system:persistent-volume-binder"],
          pvc, bound)

    # bad: one rule (or one cause) each
    def bad_case(name, obj, expects, headers=()):
        write(os.path.join(bad, f"{name}.yaml"), list(headers) + [f"expect: {e}" for e in expects], obj)

    d = deployment()
    tc(d)["securityContext"]["privileged"] = True
    bad_case("deployment-privileged", d, [f"pss-baseline-privileged {T}.securityContext.privileged"])
    cj = cronjob()
    cj["spec"]["jobTemplate"]["spec"]["template"]["spec"]["hostPID"] = True
    bad_case("cronjob-hostpid", cj, ["pss-baseline-host-namespaces spec.jobTemplate.spec.template.spec.hostPID"])
    ss = deployment(kind="StatefulSet")
    tc(ss)["securityContext"]["runAsUser"] = 0
    bad_case("statefulset-run-as-root", ss, [f"pss-restricted-run-as-user {T}.securityContext.runAsUser"])
    ds = deployment(kind="DaemonSet")
    ds["spec"]["template"]["spec"]["volumes"] = [{"name": "root", "hostPath": {"path": "/"}}]
    bad_case("daemonset-hostpath", ds, ["pss-baseline-host-path spec.template.spec.volumes[0].hostPath",
                                        "pss-restricted-volume-types spec.template.spec.volumes[0].hostPath"])
    rs = deployment(kind="ReplicaSet")
    tc(rs)["securityContext"]["capabilities"]["add"] = ["NET_ADMIN"]
    bad_case("replicaset-net-admin", rs, [f"pss-baseline-capabilities {T}.securityContext.capabilities.add[0]",
                                          f"pss-restricted-capabilities {T}.securityContext.capabilities.add[0]"])
    job = deployment(kind="Job", api="batch/v1")
    job["spec"]["template"]["spec"]["securityContext"]["seccompProfile"]["type"] = "Unconfined"
    bad_case("job-seccomp-unconfined", job, ["pss-restricted-seccomp spec.template.spec.securityContext.seccompProfile.type"])
    d = deployment()
    del tc(d)["resources"]
    bad_case("resources-missing", d, [f"res-requests-required {T}.resources.requests.cpu",
                                      f"res-requests-required {T}.resources.requests.memory",
                                      f"res-limits-required {T}.resources.limits.cpu",
                                      f"res-limits-required {T}.resources.limits.memory"])
    d = deployment()
    del tc(d)["resources"]["limits"]
    bad_case("resources-no-limits", d, [f"res-limits-required {T}.resources.limits.cpu",
                                        f"res-limits-required {T}.resources.limits.memory"])
    d = deployment()
    tc(d)["resources"]["limits"]["cpu"] = "2"
    tc(d)["resources"]["requests"]["cpu"] = "1500m"
    bad_case("resources-container-max", d, [f"res-container-max {T}.resources.limits.cpu"],
             ["policy: {resources: {maxPerContainer: {cpu: \"1\"}}}"])
    d = deployment()
    second = copy.deepcopy(tc(d))
    second["name"] = "sidecar"
    d["spec"]["template"]["spec"]["containers"].append(second)
    bad_case("resources-pod-max", d, ["res-pod-max spec.template.spec.containers"],
             ["policy: {resources: {maxPerPod: {memory: 200Mi}}}"])
    d = deployment()
    tc(d)["resources"]["limits"]["cpu"] = "1"
    bad_case("resources-ratio", d, [f"res-limit-request-ratio {T}.resources.limits.cpu"],
             ["policy: {resources: {maxLimitRequestRatio: 4}}"])
    d = deployment()
    tc(d)["image"] = "nginx:latest"
    bad_case("image-latest", d, [f"img-no-latest {T}.image"])
    d = deployment()
    tc(d)["image"] = "ghcr.io/acme/app"
    bad_case("image-untagged", d, [f"img-no-latest {T}.image"])
    d = deployment()
    tc(d)["image"] = "redis:7.2"
    bad_case("image-registry-docker-hub", d, [f"img-allowed-registries {T}.image"],
             ["policy: {allowedRegistries: [ghcr.io/acme]}"])
    d = deployment()
    bad_case("image-no-digest", d, [f"img-require-digest {T}.image"], ["policy: {requireDigest: true}"])
    bad_case("ingress-no-tls", ingress(None), ["exp-ingress-tls spec.tls"])
    bad_case("ingress-host-without-tls", ingress(["shop.example.com"]),
             ["exp-ingress-tls spec.rules[1].host"])
    bad_case("service-loadbalancer", service("LoadBalancer"), ["exp-service-type spec.type"])
    bad_case("service-nodeport", service("NodePort"), ["exp-service-type spec.type"],
             ["policy: {allowedServiceTypes: [LoadBalancer]}"])
    d = deployment()
    tc(d)["env"] = [{"name": "LOG_LEVEL", "value": "info"}, {"name": "STRIPE_API_KEY", "value": "sk_live_x"}]
    bad_case("env-api-key-literal", d, [f"sec-literal-credential-env {T}.env[1].value"])
    d = deployment()
    tc(d)["env"] = [{"name": "dbPassword", "value": "hunter2"}]
    bad_case("env-camelcase-password-literal", d, [f"sec-literal-credential-env {T}.env[0].value"])
    # guarded
    old = owned(deployment())
    new = copy.deepcopy(old)
    tc(new)["image"] = "ghcr.io/acme/app:9.9.9"
    write(os.path.join(bad, "guarded-image-edit.yaml"),
          ["op: UPDATE", "user: alice", f"expect: grd-owned-by-appstack {T}.image"], old, new)
    new = copy.deepcopy(old)
    del new["metadata"]["labels"]["app.kubernetes.io/managed-by"]
    write(os.path.join(bad, "guarded-operator-label-removed.yaml"),
          ["op: UPDATE", "user: alice",
           "expect: grd-owned-by-appstack metadata.labels[app.kubernetes.io/managed-by]"], old, new)
    new = copy.deepcopy(old)
    new["spec"]["replicas"] = 7
    write(os.path.join(bad, "guarded-replicas-without-hpa.yaml"),
          ["op: UPDATE", "user: alice", "expect: grd-owned-by-appstack spec.replicas"], old, new)
    old = owned(deployment())
    old["spec"]["template"]["metadata"]["annotations"] = {"appstack.io/config-hash": "abc123"}
    new = copy.deepcopy(old)
    new["spec"]["template"]["metadata"]["annotations"]["appstack.io/config-hash"] = "forged"
    write(os.path.join(bad, "guarded-template-operator-annotation.yaml"),
          ["op: UPDATE", "user: alice", "expect: grd-owned-by-appstack "
           "spec.template.metadata.annotations[appstack.io/config-hash]"], old, new)
    grown = copy.deepcopy(pvc)
    grown["spec"]["resources"]["requests"]["storage"] = "20Gi"
    write(os.path.join(bad, "guarded-pvc-resize.yaml"),
          ["op: UPDATE", "user: alice",
           "expect: grd-owned-by-appstack spec.resources.requests.storage"], pvc, grown)
    write(os.path.join(bad, "guarded-create-forged-owner.yaml"),
          ["op: CREATE", "user: alice", "expect: grd-owned-by-appstack metadata.ownerReferences[0]"],
          owned(deployment()))
    write(os.path.join(bad, "guarded-delete.yaml"),
          ["op: DELETE", "user: alice", "expect: grd-owned-by-appstack metadata.name"],
          owned(deployment()))


def gen_mutate():
    m = os.path.join(HERE, "mutate")
    d = deployment()
    pod = d["spec"]["template"]["spec"]
    del pod["securityContext"]["seccompProfile"]
    del pod["containers"][0]["securityContext"]
    write(os.path.join(m, "deployment-bare-security-context.yaml"),
          [f"expect: pss-restricted-seccomp {T}.securityContext.seccompProfile.type",
           f"expect: pss-restricted-privilege-escalation {T}.securityContext.allowPrivilegeEscalation",
           f"expect: pss-restricted-capabilities {T}.securityContext.capabilities.drop"], d)
    p = restricted_pod()
    csc(p)["capabilities"] = {"drop": ["NET_RAW"]}
    p["spec"]["initContainers"] = [{"name": "init", "image": IMAGE, "resources": copy.deepcopy(RES)}]
    write(os.path.join(m, "pod-partial-drop-and-bare-init.yaml"),
          [f"expect: pss-restricted-capabilities {C0}.securityContext.capabilities.drop",
           "expect: pss-restricted-privilege-escalation spec.initContainers[0].securityContext.allowPrivilegeEscalation",
           "expect: pss-restricted-capabilities spec.initContainers[0].securityContext.capabilities.drop"], p)


def main():
    for sub in ("good", "bad", "mutate", "pss"):
        shutil.rmtree(os.path.join(HERE, sub), ignore_errors=True)
    gen_pss()
    gen_good_bad()
    gen_mutate()


if __name__ == "__main__":
    main()
