#!/usr/bin/env python3
"""make_pod_review.py - writes pod-review.json, the Pod AdmissionReview that
`make bench-webhook` sends, as kube-apiserver sends it to a validating webhook.

What makes it realistic, beyond the pod itself (a web container with a sidecar
and an init container, as the operator renders them):
  - compact JSON, as the API server's serializer writes it (no whitespace);
  - the fields the API server has filled in before validating admission: the
    defaults of the Pod's fields (imagePullPolicy, terminationMessagePath,
    probe timings, ports' protocol, dnsPolicy, schedulerName, ...), the
    tolerations of the DefaultTolerationSeconds admission plugin, the
    generated name, uid and creationTimestamp, status.phase and qosClass;
  - metadata.managedFields: the kube-controller-manager's entry, which lists
    every field of the pod template it set (FieldsV1), so on the wire it is a
    large part of the object.

Run it again after changing the pod: python3 tests/bench/webhook/make_pod_review.py
"""
import json
import os

POD_SPEC = {
    "serviceAccountName": "shop-web",
    "automountServiceAccountToken": False,
    "enableServiceLinks": False,
    "securityContext": {
        "runAsNonRoot": True, "runAsUser": 10001, "runAsGroup": 10001, "fsGroup": 10001,
        "seccompProfile": {"type": "RuntimeDefault"},
    },
    "initContainers": [{
        "name": "wait-postgres",
        "image": "registry.example.com/tools/wait-for:1.2.0",
        "args": ["shop-postgres:5432"],
        "resources": {"requests": {"cpu": "10m", "memory": "16Mi"},
                      "limits": {"cpu": "50m", "memory": "32Mi"}},
        "securityContext": {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True,
                            "capabilities": {"drop": ["ALL"]}},
    }],
    "containers": [{
        "name": "web",
        "image": "registry.example.com/shop/web:1.4.2",
        "ports": [{"name": "http", "containerPort": 8080},
                  {"name": "metrics", "containerPort": 9090}],
        "env": [
            {"name": "DATABASE_URL", "value": "postgres://shop@shop-postgres:5432/shop"},
            {"name": "DB_PASSWORD",
             "valueFrom": {"secretKeyRef": {"name": "shop-postgres", "key": "password"}}},
            {"name": "REDIS_PASSWORD",
             "valueFrom": {"secretKeyRef": {"name": "shop-redis", "key": "password"}}},
            {"name": "LOG_LEVEL", "value": "info"},
            {"name": "PORT", "value": "8080"},
        ],
        "resources": {"requests": {"cpu": "250m", "memory": "256Mi"},
                      "limits": {"cpu": "500m", "memory": "512Mi"}},
        "livenessProbe": {"httpGet": {"path": "/health/live", "port": "http"}, "periodSeconds": 10},
        "readinessProbe": {"httpGet": {"path": "/health/ready", "port": "http"},
                           "periodSeconds": 5},
        "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"},
                         {"name": "config", "mountPath": "/etc/shop", "readOnly": True}],
        "securityContext": {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True,
                            "runAsNonRoot": True, "capabilities": {"drop": ["ALL"]}},
    }, {
        "name": "nginx",
        "image": "registry.example.com/shop/nginx:1.27.2",
        "ports": [{"name": "https", "containerPort": 8443}],
        "resources": {"requests": {"cpu": "50m", "memory": "32Mi"},
                      "limits": {"cpu": "200m", "memory": "64Mi"}},
        "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"},
                         {"name": "nginx-conf", "mountPath": "/etc/nginx/conf.d",
                          "readOnly": True}],
        "securityContext": {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True,
                            "runAsNonRoot": True,
                            "capabilities": {"drop": ["ALL"], "add": ["NET_BIND_SERVICE"]}},
    }],
    "volumes": [{"name": "tmp", "emptyDir": {"sizeLimit": "64Mi"}},
                {"name": "config", "configMap": {"name": "shop-web"}},
                {"name": "nginx-conf", "configMap": {"name": "shop-nginx"}}],
}

LABELS = {"app.kubernetes.io/name": "web", "app.kubernetes.io/instance": "shop",
          "app.kubernetes.io/part-of": "shop", "appstack.io/stack": "shop",
          "pod-template-hash": "7d9f8c6b5"}
ANNOTATIONS = {"appstack.io/config-hash": "3f1c2a9b8e7d6c5b4a3928171615141312111009",
               "prometheus.io/scrape": "true", "prometheus.io/port": "9090"}
OWNER = {"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "shop-web-7d9f8c6b5",
         "uid": "5c1b7f3e-2a4d-4e8f-9b6a-1c2d3e4f5a6b", "controller": True,
         "blockOwnerDeletion": True}

# Lists the API server merges by key (the keys in managedFields' k:{...}).
MERGE_KEYS = {"containers": ("name",), "initContainers": ("name",), "env": ("name",),
              "ports": ("containerPort", "protocol"), "volumeMounts": ("mountPath",),
              "volumes": ("name",), "ownerReferences": ("uid",)}


def default_probe(p):
    p["httpGet"].setdefault("scheme", "HTTP")
    for k, v in (("timeoutSeconds", 1), ("periodSeconds", 10), ("successThreshold", 1),
                 ("failureThreshold", 3)):
        p.setdefault(k, v)


def default_container(c):
    c.setdefault("imagePullPolicy", "IfNotPresent")
    c.setdefault("terminationMessagePath", "/dev/termination-log")
    c.setdefault("terminationMessagePolicy", "File")
    for p in c.get("ports", []):
        p.setdefault("protocol", "TCP")
    for k in ("livenessProbe", "readinessProbe"):
        if k in c:
            default_probe(c[k])


def defaulted_spec():
    spec = json.loads(json.dumps(POD_SPEC))
    for c in spec["initContainers"] + spec["containers"]:
        default_container(c)
    for v in spec["volumes"]:
        if "configMap" in v:
            v["configMap"].setdefault("defaultMode", 420)
    spec.update({"restartPolicy": "Always", "terminationGracePeriodSeconds": 30,
                 "dnsPolicy": "ClusterFirst", "schedulerName": "default-scheduler",
                 "priority": 0, "preemptionPolicy": "PreemptLowerPriority"})
    spec["tolerations"] = [
        {"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute",
         "tolerationSeconds": 300},
        {"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute",
         "tolerationSeconds": 300},
    ]
    return spec


def fields_v1(value, key=None):
    """The FieldsV1 set of a value, as the API server's field manager writes it."""
    if isinstance(value, dict):
        out = {".": {}} if key is not None else {}
        for k, v in value.items():
            out["f:" + k] = fields_v1(v, k)
        return out
    if isinstance(value, list) and key in MERGE_KEYS:
        out = {".": {}}
        for item in value:
            ident = {k: item[k] for k in MERGE_KEYS[key] if k in item}
            entry = fields_v1(item, key + "[]")
            out["k:" + json.dumps(ident, separators=(",", ":"))] = entry
        return out
    return {}


def main():
    spec = defaulted_spec()
    template_meta = {"generateName": "shop-web-7d9f8c6b5-", "labels": LABELS,
                     "annotations": ANNOTATIONS, "ownerReferences": [OWNER]}
    managed = [{
        "manager": "kube-controller-manager", "operation": "Update", "apiVersion": "v1",
        "time": "2026-12-07T02:00:00Z", "fieldsType": "FieldsV1",
        "fieldsV1": {"f:metadata": fields_v1(template_meta), "f:spec": fields_v1(spec)},
    }]
    pod = {
        "kind": "Pod", "apiVersion": "v1",
        "metadata": {
            "name": "shop-web-7d9f8c6b5-x2k4q", "generateName": "shop-web-7d9f8c6b5-",
            "namespace": "shop", "uid": "0b8e6c1a-9f2d-4c3b-8a7e-6d5c4b3a2f10",
            "creationTimestamp": "2026-12-07T02:00:00Z", "labels": LABELS,
            "annotations": ANNOTATIONS, "ownerReferences": [OWNER], "managedFields": managed,
        },
        "spec": spec,
        "status": {"phase": "Pending", "qosClass": "Burstable"},
    }
    gvk = {"group": "", "version": "v1", "kind": "Pod"}
    gvr = {"group": "", "version": "v1", "resource": "pods"}
    review = {
        "kind": "AdmissionReview", "apiVersion": "admission.k8s.io/v1",
        "request": {
            "uid": "2f1e0d4c-8b7a-4c6d-9e5f-0a1b2c3d4e5f", "kind": gvk, "resource": gvr,
            "requestKind": gvk, "requestResource": gvr, "namespace": "shop",
            "operation": "CREATE",
            "userInfo": {"username": "system:serviceaccount:kube-system:replicaset-controller",
                         "uid": "a1b2c3d4-0000-4000-8000-000000000002",
                         "groups": ["system:serviceaccounts",
                                    "system:serviceaccounts:kube-system",
                                    "system:authenticated"]},
            "object": pod, "oldObject": None, "dryRun": False,
            "options": {"kind": "CreateOptions", "apiVersion": "meta.k8s.io/v1"},
        },
    }
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "pod-review.json")
    with open(path, "w") as f:
        f.write(json.dumps(review, separators=(",", ":")) + "\n")
    print(f"{path}: {os.path.getsize(path)} bytes")


if __name__ == "__main__":
    main()
