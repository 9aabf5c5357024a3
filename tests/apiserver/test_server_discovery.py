"""Discovery, health, version and OpenAPI v3 documents of the local API server, plus
deletecollection, single-object watches and concurrent writers."""
import threading
import unittest

from server_harness import ServerTestCase, cm

BUILTIN = {
    ("v1", "namespaces"): ("Namespace", False, ["ns"]),
    ("v1", "configmaps"): ("ConfigMap", True, ["cm"]),
    ("v1", "secrets"): ("Secret", True, None),
    ("v1", "services"): ("Service", True, ["svc"]),
    ("v1", "serviceaccounts"): ("ServiceAccount", True, ["sa"]),
    ("v1", "events"): ("Event", True, ["ev"]),
    ("v1", "endpoints"): ("Endpoints", True, ["ep"]),
    ("v1", "persistentvolumeclaims"): ("PersistentVolumeClaim", True, ["pvc"]),
    ("v1", "pods"): ("Pod", True, ["po"]),
    ("apps/v1", "deployments"): ("Deployment", True, ["deploy"]),
    ("apps/v1", "statefulsets"): ("StatefulSet", True, ["sts"]),
    ("apps/v1", "daemonsets"): ("DaemonSet", True, ["ds"]),
    ("apps/v1", "replicasets"): ("ReplicaSet", True, ["rs"]),
    ("batch/v1", "jobs"): ("Job", True, None),
    ("batch/v1", "cronjobs"): ("CronJob", True, ["cj"]),
    ("networking.k8s.io/v1", "ingresses"): ("Ingress", True, ["ing"]),
    ("networking.k8s.io/v1", "networkpolicies"): ("NetworkPolicy", True, ["netpol"]),
    ("policy/v1", "poddisruptionbudgets"): ("PodDisruptionBudget", True, ["pdb"]),
    ("autoscaling/v2", "horizontalpodautoscalers"): ("HorizontalPodAutoscaler", True, ["hpa"]),
    ("coordination.k8s.io/v1", "leases"): ("Lease", True, None),
    ("apiextensions.k8s.io/v1", "customresourcedefinitions"):
        ("CustomResourceDefinition", False, ["crd", "crds"]),
    ("admissionregistration.k8s.io/v1", "mutatingwebhookconfigurations"):
        ("MutatingWebhookConfiguration", False, None),
    ("admissionregistration.k8s.io/v1", "validatingwebhookconfigurations"):
        ("ValidatingWebhookConfiguration", False, None),
    ("rbac.authorization.k8s.io/v1", "roles"): ("Role", True, None),
    ("rbac.authorization.k8s.io/v1", "rolebindings"): ("RoleBinding", True, None),
    ("rbac.authorization.k8s.io/v1", "clusterroles"): ("ClusterRole", False, None),
    ("rbac.authorization.k8s.io/v1", "clusterrolebindings"): ("ClusterRoleBinding", False, None),
}
WITH_STATUS = {"namespaces", "services", "persistentvolumeclaims", "pods", "deployments",
               "statefulsets", "daemonsets", "replicasets", "jobs", "cronjobs", "ingresses",
               "poddisruptionbudgets", "horizontalpodautoscalers", "customresourcedefinitions"}
VERBS = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]


class DiscoveryTest(ServerTestCase):
    def test_health_and_version(self):
        for p in ("/healthz", "/livez", "/readyz"):
            r = self.c.get(p)
            self.assertEqual((r.code, r.raw), (200, b"ok"))
        v = self.c.get("/version").json
        self.assertEqual((v["major"], v["minor"]), ("1", "32"))

    def test_api_and_groups(self):
        a = self.c.get("/api").json
        self.assertEqual((a["kind"], a["versions"]), ("APIVersions", ["v1"]))
        self.assertEqual(a["serverAddressByClientCIDRs"][0]["serverAddress"],
                         f"127.0.0.1:{self.server.port}")
        groups = {g["name"]: g for g in self.c.get("/apis").json["groups"]}
        for gv in {gv for gv, _ in BUILTIN if "/" in gv}:
            g, v = gv.split("/")
            self.assertEqual(groups[g]["preferredVersion"], {"groupVersion": gv, "version": v})
        g = self.c.get("/apis/apps").json
        self.assertEqual((g["kind"], g["name"]), ("APIGroup", "apps"))
        self.assertEqual(self.c.get("/apis/nope.example.com").code, 404)

    def test_resource_lists(self):
        for (gv, plural), (kind, namespaced, short) in BUILTIN.items():
            path = "/api/v1" if gv == "v1" else f"/apis/{gv}"
            rl = self.c.get(path).json
            self.assertEqual((rl["kind"], rl["groupVersion"]), ("APIResourceList", gv))
            by = {r["name"]: r for r in rl["resources"]}
            r = by[plural]
            self.assertEqual((r["kind"], r["namespaced"], r["verbs"]), (kind, namespaced, VERBS))
            self.assertEqual(r.get("shortNames"), short, plural)
            self.assertEqual(r["singularName"], kind.lower() if plural != "endpoints"
                             else "endpoints")
            self.assertEqual(plural + "/status" in by, plural in WITH_STATUS, plural)

    def test_openapi_v3_says_field_validation_is_supported(self):
        root = self.c.get("/openapi/v3").json
        url = root["paths"]["apis/apps/v1"]["serverRelativeURL"]
        self.assertTrue(url.startswith("/openapi/v3/apis/apps/v1?hash="))
        doc = self.c.get(url).json
        patch = doc["paths"]["/apis/apps/v1/namespaces/{namespace}/deployments/{name}"]["patch"]
        self.assertEqual(patch["x-kubernetes-group-version-kind"],
                         {"group": "apps", "version": "v1", "kind": "Deployment"})
        self.assertIn("fieldValidation", [p["name"] for p in patch["parameters"]])
        self.assertEqual(self.c.get("/openapi/v2").code, 404)

    def test_delete_collection(self):
        ns = self.make_ns("dc")
        p = f"/api/v1/namespaces/{ns}/configmaps"
        for n, lab in (("a", "x"), ("b", "x"), ("c", "y")):
            self.c.post(p, cm(n, ns, labels={"g": lab}))
        r = self.c.delete(p + "?labelSelector=g%3Dx")
        self.assertEqual(r.code, 200, r.raw)
        self.assertEqual(r.json["kind"], "ConfigMapList")
        self.assertEqual(sorted(i["metadata"]["name"] for i in r.json["items"]), ["a", "b"])
        self.assertEqual([i["metadata"]["name"] for i in self.c.get(p).json["items"]], ["c"])

    def test_single_object_watch(self):
        ns = self.make_ns("sow")
        p = f"/api/v1/namespaces/{ns}/configmaps"
        self.c.post(p, cm("me", ns))
        self.c.post(p, cm("other", ns))
        w = self.c.watch(p + "/me?watch=true")
        ev = w.next()
        self.assertEqual((ev["type"], ev["object"]["metadata"]["name"]), ("ADDED", "me"))
        self.c.patch(p + "/other", {"data": {"x": "1"}})
        self.c.patch(p + "/me", {"data": {"x": "1"}})
        ev = w.next()
        self.assertEqual((ev["type"], ev["object"]["metadata"]["name"]), ("MODIFIED", "me"))
        w.close()

    def test_concurrent_writers(self):
        ns = self.make_ns("conc")
        p = f"/api/v1/namespaces/{ns}/configmaps"
        rvs, errors = [], []

        def writer(k):
            c = self.server.client()
            try:
                for i in range(40):
                    r = c.post(p, cm(f"w{k}-{i}", ns))
                    if r.code != 201:
                        errors.append(r.raw)
                    else:
                        rvs.append(int(r.json["metadata"]["resourceVersion"]))
                # everyone updates the same object without resourceVersion: all succeed
                for i in range(10):
                    r = c.patch(p + "/w0-0", {"data": {f"k{k}": str(i)}})
                    if r.code != 200:
                        errors.append(r.raw)
            finally:
                c.close()
        threads = [threading.Thread(target=writer, args=(k,)) for k in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(errors, [])
        self.assertEqual(len(set(rvs)), 240)
        self.assertEqual(len(self.c.get(p).json["items"]), 240)
        data = self.c.get(p + "/w0-0").json["data"]
        self.assertEqual({k: v for k, v in data.items() if k != "k"},
                         {f"k{k}": "9" for k in range(6)})


if __name__ == "__main__":
    unittest.main()
