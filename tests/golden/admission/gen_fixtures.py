#!/usr/bin/env python3
"""Writes the admission golden fixtures: good/ and bad/ hold one AdmissionReview
per file (NAME.json) and its expected response (NAME.expect.json).

The expectations below are written by hand from the rule table in
lib/policy/README.md (rule id and JSON path of every finding, the patch of the
mutating rules), not copied from the webhook's output. Run this script after
changing a case; tests/golden/test_admission.py checks the server against them.

Expect format: endpoint, allowed, code (403 or null), denied / warnings as
[rule-id, path] pairs in order, patch (decoded RFC 6902 list or null),
audit (true when auditAnnotations must be present).
"""
import copy
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))
OPERATOR = "system:serviceaccount:appstack-system:appstack-operator"

SC = {"allowPrivilegeEscalation": False, "runAsNonRoot": True, "runAsUser": 10001,
      "capabilities": {"drop": ["ALL"]}, "seccompProfile": {"type": "RuntimeDefault"}}
RES = {"requests": {"cpu": "100m", "memory": "64Mi"}, "limits": {"cpu": "200m", "memory": "128Mi"}}


def container(**over):
    c = {"name": "app", "image": "registry.example.com/shop/web:1.4.2",
         "resources": copy.deepcopy(RES), "securityContext": copy.deepcopy(SC)}
    c.update(over)
    return c


def pod(name="web", ns="shop", containers=None, spec_extra=None):
    spec = {"containers": containers or [container()]}
    spec.update(spec_extra or {})
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": ns},
            "spec": spec}


def deployment(name="web", ns="shop", owner=False, replicas=2, image=None):
    d = {"apiVersion": "apps/v1", "kind": "Deployment",
         "metadata": {"name": name, "namespace": ns, "labels": {"app.kubernetes.io/name": name}},
         "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
                  "template": {"metadata": {"labels": {"app": name}},
                               "spec": {"containers": [container(image=image) if image
                                                       else container()]}}}}
    if owner:
        d["metadata"]["ownerReferences"] = [{
            "apiVersion": "appstack.io/v1alpha1", "kind": "AppStack", "name": "shop",
            "uid": "0b6a7c1e-0000-4000-8000-000000000001", "controller": True,
            "blockOwnerDeletion": True}]
    return d


def root_deployment():
    d = deployment()
    d["spec"]["template"]["spec"]["containers"] = [container(securityContext=dict(SC, runAsUser=0))]
    return d


GVK = {"Pod": ("", "v1", "pods"), "Deployment": ("apps", "v1", "deployments"),
       "Service": ("", "v1", "services"), "AppStack": ("appstack.io", "v1alpha1", "appstacks"), "Ingress": ("networking.k8s.io", "v1", "ingresses")}


def review(uid, obj, op="CREATE", user="alice", old=None, dry=False, ns=None):
    g, v, r = GVK[obj["kind"]]
    req = {"uid": uid, "kind": {"group": g, "version": v, "kind": obj["kind"]},
           "resource": {"group": g, "version": v, "resource": r},
           "namespace": ns or obj["metadata"].get("namespace", ""),
           "name": obj["metadata"]["name"], "operation": op,
           "userInfo": {"username": user, "groups": ["system:authenticated"]},
           "object": obj if op != "DELETE" else None, "oldObject": old, "dryRun": dry}
    return {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": req}


def expect(endpoint="/validate", allowed=True, denied=(), warnings=(), patch=None, audit=False):
    return {"endpoint": endpoint, "allowed": allowed, "code": None if allowed else 403,
            "denied": [list(x) for x in denied], "warnings": [list(x) for x in warnings],
            "patch": patch, "audit": audit}


C0 = "spec.containers[0]"
T0 = "spec.template.spec.containers[0]"
CASES = {}

# ---- good
CASES["good/pod-compliant"] = (review("g-1", pod()), expect())
CASES["good/deployment-compliant"] = (review("g-2", deployment()), expect())
CASES["good/kube-system-privileged-exempt"] = (
    review("g-3", pod(ns="kube-system", containers=[container(securityContext={"privileged": True})])),
    expect())
CASES["good/guarded-edit-by-operator"] = (
    review("g-4", deployment(owner=True, image="registry.example.com/shop/web:1.5.0"), op="UPDATE",
           user=OPERATOR, old=deployment(owner=True)),
    expect())
CASES["good/dry-run-compliant"] = (review("g-5", pod(name="dry"), dry=True), expect())
CASES["good/service-clusterip"] = (
    review("g-6", {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web", "namespace": "shop"},
                   "spec": {"type": "ClusterIP", "ports": [{"port": 80}]}}),
    expect())
CASES["good/ingress-tls"] = (
    review("g-7", {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
                   "metadata": {"name": "web", "namespace": "shop"},
                   "spec": {"tls": [{"hosts": ["shop.example.com"], "secretName": "web-tls"}],
                            "rules": [{"host": "shop.example.com"}]}}),
    expect())
CASES["good/pod-missing-limits-warns"] = (
    review("g-8", pod(containers=[container(resources={"requests": {"cpu": "100m", "memory": "64Mi"}})])),
    expect(warnings=[("res-limits-required", C0 + ".resources.limits.cpu"),
                     ("res-limits-required", C0 + ".resources.limits.memory")]))
# mutation: the restricted defaults are filled in, nothing else
bare = container()
bare["securityContext"] = {"runAsNonRoot": True, "runAsUser": 10001}
CASES["good/mutate-fills-restricted-defaults"] = (
    review("g-9", pod(name="bare", containers=[bare])),
    expect(endpoint="/mutate", patch=[
        {"op": "add", "path": "/spec/securityContext", "value": {"seccompProfile": {"type": "RuntimeDefault"}}},
        {"op": "add", "path": "/spec/containers/0/securityContext/allowPrivilegeEscalation", "value": False},
        {"op": "add", "path": "/spec/containers/0/securityContext/capabilities", "value": {"drop": ["ALL"]}},
    ]))
CASES["good/mutate-compliant-no-patch"] = (
    review("g-10", pod(spec_extra={"securityContext": {"seccompProfile": {"type": "RuntimeDefault"}}})),
    expect(endpoint="/mutate"))

# ---- bad
CASES["bad/pod-privileged"] = (
    review("b-1", pod(containers=[container(securityContext=dict(SC, privileged=True))])),
    expect(allowed=False, denied=[("pss-baseline-privileged", C0 + ".securityContext.privileged")]))
CASES["bad/pod-host-network"] = (
    review("b-2", pod(spec_extra={"hostNetwork": True})),
    expect(allowed=False, denied=[("pss-baseline-host-namespaces", "spec.hostNetwork")]))
CASES["bad/pod-no-requests"] = (
    review("b-3", pod(containers=[container(resources={})])),
    expect(allowed=False,
           denied=[("res-requests-required", C0 + ".resources.requests.cpu"),
                   ("res-requests-required", C0 + ".resources.requests.memory")],
           warnings=[("res-limits-required", C0 + ".resources.limits.cpu"),
                     ("res-limits-required", C0 + ".resources.limits.memory")]))
CASES["bad/image-latest"] = (
    review("b-4", pod(containers=[container(image="registry.example.com/shop/web:latest")])),
    expect(allowed=False, denied=[("img-no-latest", C0 + ".image")]))
CASES["bad/service-nodeport"] = (
    review("b-5", {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web", "namespace": "shop"},
                   "spec": {"type": "NodePort", "ports": [{"port": 80}]}}),
    expect(allowed=False, denied=[("exp-service-type", "spec.type")]))
CASES["bad/ingress-no-tls"] = (
    review("b-6", {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
                   "metadata": {"name": "web", "namespace": "shop"},
                   "spec": {"rules": [{"host": "shop.example.com"}]}}),
    expect(allowed=False, denied=[("exp-ingress-tls", "spec.tls")]))
CASES["bad/env-literal-password"] = (
    review("b-7", pod(containers=[container(env=[{"name": "DB_PASSWORD", "value": "hunter2"}])])),
    expect(allowed=False, denied=[("sec-literal-credential-env", C0 + ".env[0].value")]))
CASES["bad/guarded-edit-by-user"] = (
    review("b-8", deployment(owner=True, image="registry.example.com/shop/web:9.9.9"), op="UPDATE",
           user="alice", old=deployment(owner=True)),
    expect(allowed=False, denied=[("grd-owned-by-appstack", T0 + ".image")]))
CASES["bad/deployment-run-as-root"] = (
    review("b-9", root_deployment()),
    expect(allowed=False, denied=[("pss-restricted-run-as-user", T0 + ".securityContext.runAsUser")]))
CASES["bad/dry-run-privileged"] = (
    review("b-10", pod(name="dry", containers=[container(securityContext=dict(SC, privileged=True))]), dry=True),
    expect(allowed=False, denied=[("pss-baseline-privileged", C0 + ".securityContext.privileged")]))

# ---- family "appstack": semantic validation and defaulting (lib/render through webhook/appstack.c)
def appstack(**spec_extra):
    spec = {"components": [{"name": "web", "type": "web", "port": 8080, "runAsUser": 101,
                            "image": "nginxinc/nginx-unprivileged:1.27.2-alpine"}]}
    spec.update(spec_extra)
    return {"apiVersion": "appstack.io/v1alpha1", "kind": "AppStack",
            "metadata": {"name": "hello", "namespace": "shop"}, "spec": spec}


CASES["good/appstack-valid"] = (review("g-11", appstack()), expect())
bad_stack = appstack()
bad_stack["spec"]["components"][0].update(name="postgres", schedule="*/5 * * * *")
CASES["bad/appstack-reserved-name-and-schedule"] = (
    review("b-11", bad_stack),
    expect(allowed=False, denied=[("app-spec-valid", "spec.components[0].name"),
                                  ("app-spec-valid", "spec.components[0].schedule")]))
# every top-level default of the CRD set by hand except profile (default: restricted)
CASES["good/mutate-appstack-profile-default"] = (
    review("g-12", appstack(
        deletionPolicy="Retain", suspend=False,
        networkPolicy={"enabled": True, "ingressControllerNamespace": "ingress-nginx",
                       "monitoringNamespace": "monitoring"},
        monitoring={"enabled": True, "dashboard": True, "exporters": True,
                    "alerts": {"enabled": True, "backupMaxAgeHours": 26, "certificateDaysLeft": 14,
                               "componentDownMinutes": 2, "cpuPercent": 90, "errorRatePercent": 5,
                               "memoryPercent": 90, "volumePercent": 85}})),
    expect(endpoint="/mutate",
           patch=[{"op": "add", "path": "/spec/profile", "value": "restricted"}]))


def main():
    for name, (rev, exp) in sorted(CASES.items()):
        path = os.path.join(HERE, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path + ".json", "w") as f:
            json.dump(rev, f, indent=2, sort_keys=True)
            f.write("\n")
        with open(path + ".expect.json", "w") as f:
            json.dump(exp, f, indent=2, sort_keys=True)
            f.write("\n")


if __name__ == "__main__":
    main()
