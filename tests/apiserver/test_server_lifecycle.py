"""Deletion and lifecycle on the local API server: finalizers, namespace termination,
ownerReference garbage collection (background, foreground + blockOwnerDeletion,
orphan), and CustomResourceDefinitions (Established status, discovery, schema
validation/defaulting/pruning, status subresource, deletion of their objects)."""
import unittest

from server_harness import ServerTestCase, cm

CRDS = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions"


def owner_ref(obj, kind="ConfigMap", api_version="v1", block=None):
    r = {"apiVersion": api_version, "kind": kind, "name": obj["metadata"]["name"],
         "uid": obj["metadata"]["uid"]}
    if block is not None:
        r["blockOwnerDeletion"] = block
    return r


def widget_crd(group="example.com", scope="Namespaced", status=True):
    schema = {"type": "object", "properties": {
        "spec": {"type": "object", "properties": {
            "size": {"type": "integer", "minimum": 1},
            "mode": {"type": "string", "default": "fast"}}},
        "status": {"type": "object", "properties": {
            "conditions": {"type": "array", "items": {
                "type": "object", "properties": {"type": {"type": "string"},
                                                 "status": {"type": "string"}}}}}}}}
    v = {"name": "v1", "served": True, "storage": True,
         "schema": {"openAPIV3Schema": schema}}
    if status:
        v["subresources"] = {"status": {}}
    return {"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
            "metadata": {"name": f"widgets.{group}"},
            "spec": {"group": group, "scope": scope,
                     "names": {"plural": "widgets", "singular": "widget", "kind": "Widget",
                               "shortNames": ["wd"]},
                     "versions": [v]}}


class LifecycleTest(ServerTestCase):
    def cmpath(self, ns):
        return f"/api/v1/namespaces/{ns}/configmaps"

    def test_finalizers_hold_object(self):
        ns = self.make_ns("fin")
        p = self.cmpath(ns)
        self.c.post(p, cm("held", ns, finalizers=["example.com/hold"]))
        r = self.c.delete(p + "/held")
        self.assertEqual(r.code, 200, r.raw)
        self.assertEqual(r.json["kind"], "ConfigMap")  # still there: the object is answered
        m = self.c.get(p + "/held").json["metadata"]
        self.assertRegex(m["deletionTimestamp"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
        self.assertEqual(m["deletionGracePeriodSeconds"], 0)
        # new finalizers cannot be added while deleting
        r = self.c.patch(p + "/held", {"metadata": {"finalizers": ["example.com/hold",
                                                                   "example.com/more"]}})
        self.assertStatus(r, 422, "Invalid")
        self.assertIn("no new finalizers can be added if the object is being deleted",
                      r.json["message"])
        rv = self.c.get(p).json["metadata"]["resourceVersion"]
        w = self.c.watch(f"{p}?watch=1&resourceVersion={rv}")
        r = self.c.patch(p + "/held", {"metadata": {"finalizers": None}})
        self.assertEqual(r.code, 200, r.raw)
        self.assertStatus(self.c.get(p + "/held"), 404, "NotFound")
        ev = w.next()
        self.assertEqual(ev["type"], "DELETED")
        self.assertNotIn("finalizers", ev["object"]["metadata"])
        w.close()

    def test_namespace_deletion(self):
        ns = self.make_ns("doomed")
        p = self.cmpath(ns)
        self.c.post(p, cm("plain", ns))
        self.c.post(p, cm("held", ns, finalizers=["example.com/hold"]))
        r = self.c.delete(f"/api/v1/namespaces/{ns}")
        self.assertEqual(r.code, 200, r.raw)
        self.assertEqual(r.json["status"]["phase"], "Terminating")
        self.assertIn("deletionTimestamp", r.json["metadata"])
        self.assertStatus(self.c.get(p + "/plain"), 404, "NotFound")
        self.assertIn("deletionTimestamp", self.c.get(p + "/held").json["metadata"])
        ns_obj = self.c.get(f"/api/v1/namespaces/{ns}").json
        self.assertEqual(ns_obj["status"]["phase"], "Terminating")
        r = self.c.post(p, cm("late", ns))
        s = self.assertStatus(r, 403, "Forbidden")
        self.assertEqual(s["message"], f'configmaps "late" is forbidden: unable to create new '
                         f'content in namespace {ns} because it is being terminated')
        self.assertEqual(s["details"]["causes"][0]["reason"], "NamespaceTerminating")
        self.c.patch(p + "/held", {"metadata": {"finalizers": None}})
        self.assertStatus(self.c.get(f"/api/v1/namespaces/{ns}"), 404, "NotFound")

    def test_namespace_finalize_subresource(self):
        ns = self.make_ns("fz")
        self.c.patch(f"/api/v1/namespaces/{ns}", {"metadata": {"finalizers": []}})
        held = self.c.post(f"/api/v1/namespaces/{ns}/configmaps",
                           cm("h", ns, finalizers=["example.com/hold"]))
        self.assertEqual(held.code, 201)
        self.c.delete(f"/api/v1/namespaces/{ns}")
        obj = self.c.get(f"/api/v1/namespaces/{ns}").json
        self.assertEqual(obj["spec"]["finalizers"], ["kubernetes"])
        obj["spec"]["finalizers"] = []
        obj["metadata"]["labels"]["ignored"] = "yes"
        r = self.c.put(f"/api/v1/namespaces/{ns}/finalize", obj)
        self.assertEqual(r.code, 200, r.raw)
        self.assertStatus(self.c.get(f"/api/v1/namespaces/{ns}"), 404, "NotFound")

    def test_background_gc(self):
        ns = self.make_ns("gcbg")
        p = self.cmpath(ns)
        owner = self.c.post(p, cm("owner", ns)).json
        other = self.c.post(p, cm("other", ns)).json
        self.c.post(p, cm("dep", ns, ownerReferences=[owner_ref(owner)]))
        self.c.post(p, cm("two-owners", ns, ownerReferences=[owner_ref(owner),
                                                             owner_ref(other)]))
        stale = dict(owner_ref(owner), uid="00000000-0000-4000-8000-000000000000")
        self.c.post(p, cm("wrong-uid", ns, ownerReferences=[stale]))
        self.assertEqual(self.c.delete(p + "/owner").code, 200)
        self.assertStatus(self.c.get(p + "/dep"), 404, "NotFound")
        self.assertStatus(self.c.get(p + "/wrong-uid"), 404, "NotFound")
        remaining = self.c.get(p + "/two-owners").json["metadata"]["ownerReferences"]
        self.assertEqual([r["name"] for r in remaining], ["other"])

    def test_cluster_scoped_owner(self):
        ns = self.make_ns("gccl")
        owner = self.c.post("/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace",
                                                    "metadata": {"name": "owner-ns"}}).json
        p = self.cmpath(ns)
        self.c.post(p, cm("dep", ns, ownerReferences=[owner_ref(owner, "Namespace")]))
        self.assertEqual(self.c.get(p + "/dep").code, 200)
        self.c.delete("/api/v1/namespaces/owner-ns")
        self.assertStatus(self.c.get(p + "/dep"), 404, "NotFound")

    def test_foreground_with_block_owner_deletion(self):
        ns = self.make_ns("gcfg")
        p = self.cmpath(ns)
        owner = self.c.post(p, cm("owner", ns)).json
        self.c.post(p, cm("blocker", ns, finalizers=["example.com/hold"],
                          ownerReferences=[owner_ref(owner, block=True)]))
        self.c.post(p, cm("free", ns, ownerReferences=[owner_ref(owner)]))
        r = self.c.delete(p + "/owner", {"propagationPolicy": "Foreground"})
        self.assertEqual(r.code, 200)
        m = self.c.get(p + "/owner").json["metadata"]
        self.assertIn("foregroundDeletion", m["finalizers"])
        self.assertIn("deletionTimestamp", m)
        self.assertStatus(self.c.get(p + "/free"), 404, "NotFound")
        self.assertIn("deletionTimestamp", self.c.get(p + "/blocker").json["metadata"])
        self.c.patch(p + "/blocker", {"metadata": {"finalizers": None}})
        self.assertStatus(self.c.get(p + "/blocker"), 404, "NotFound")
        self.assertStatus(self.c.get(p + "/owner"), 404, "NotFound")

    def test_orphan(self):
        ns = self.make_ns("gcor")
        p = self.cmpath(ns)
        owner = self.c.post(p, cm("owner", ns)).json
        self.c.post(p, cm("dep", ns, ownerReferences=[owner_ref(owner)]))
        r = self.c.delete(p + "/owner?propagationPolicy=Orphan")
        self.assertEqual(r.code, 200)
        self.assertStatus(self.c.get(p + "/owner"), 404, "NotFound")
        dep = self.c.get(p + "/dep").json
        self.assertNotIn("ownerReferences", dep["metadata"]) if not dep["metadata"].get(
            "ownerReferences") else self.fail("ownerReferences kept")

    def test_crd_lifecycle(self):
        r = self.c.post(CRDS, widget_crd())
        self.assertEqual(r.code, 201, r.raw)
        self.assertIn("customresourcecleanup.apiextensions.k8s.io", r.json["metadata"]["finalizers"])
        crd = self.c.get(CRDS + "/widgets.example.com").json
        conds = {c["type"]: c["status"] for c in crd["status"]["conditions"]}
        self.assertEqual(conds, {"NamesAccepted": "True", "Established": "True"})
        self.assertEqual(crd["status"]["acceptedNames"]["listKind"], "WidgetList")
        self.assertEqual(crd["status"]["storedVersions"], ["v1"])
        groups = [g["name"] for g in self.c.get("/apis").json["groups"]]
        self.assertIn("example.com", groups)
        rl = self.c.get("/apis/example.com/v1").json
        self.assertEqual(rl["kind"], "APIResourceList")
        by = {x["name"]: x for x in rl["resources"]}
        self.assertEqual(by["widgets"]["kind"], "Widget")
        self.assertEqual(by["widgets"]["shortNames"], ["wd"])
        self.assertTrue(by["widgets"]["namespaced"])
        self.assertEqual(by["widgets/status"]["verbs"], ["get", "patch", "update"])

        wp = "/apis/example.com/v1/namespaces/default/widgets"
        w = {"apiVersion": "example.com/v1", "kind": "Widget",
             "metadata": {"name": "w1"}, "spec": {"size": 2, "unknown": "dropped"},
             "status": {"conditions": [{"type": "Ready", "status": "True"}]}}
        r = self.c.post(wp, w)
        self.assertEqual(r.code, 201, r.raw)
        self.assertEqual(r.json["spec"], {"size": 2, "mode": "fast"})  # pruned + defaulted
        self.assertNotIn("status", r.json)
        self.assertEqual(r.json["metadata"]["generation"], 1)
        bad = dict(w, metadata={"name": "w2"}, spec={"size": 0})
        s = self.assertStatus(self.c.post(wp, bad), 422, "Invalid")
        self.assertTrue(s["message"].startswith('Widget.example.com "w2" is invalid: spec.size'),
                        s["message"])
        self.assertEqual(s["details"]["group"], "example.com")
        self.assertEqual(s["details"]["kind"], "Widget")
        r = self.c.patch(wp + "/w1/status", {"status": {"conditions": [
            {"type": "Ready", "status": "True"}]}})
        self.assertEqual(r.code, 200, r.raw)
        self.assertEqual(r.json["metadata"]["generation"], 1)
        r = self.c.patch(wp + "/w1", {"spec": {"size": 3}})
        self.assertEqual(r.json["metadata"]["generation"], 2)
        r = self.c.patch(wp + "/w1", {"spec": {"size": 4}},
                         "application/strategic-merge-patch+json")
        self.assertStatus(r, 415, "UnsupportedMediaType")
        lst = self.c.get("/apis/example.com/v1/widgets").json
        self.assertEqual(lst["kind"], "WidgetList")
        self.assertEqual(lst["items"][0]["kind"], "Widget")  # CR list items keep their kind
        # deleting the CRD deletes its objects and its discovery
        r = self.c.delete(CRDS + "/widgets.example.com")
        self.assertEqual(r.code, 200, r.raw)
        self.assertStatus(self.c.get(CRDS + "/widgets.example.com"), 404, "NotFound")
        self.assertStatus(self.c.get(wp + "/w1"), 404, "NotFound")
        self.assertNotIn("example.com", [g["name"] for g in self.c.get("/apis").json["groups"]])
        self.assertEqual(self.c.get("/apis/example.com/v1").code, 404)
        # recreated: empty again
        self.assertEqual(self.c.post(CRDS, widget_crd()).code, 201)
        self.assertEqual(self.c.get(wp).json["items"], [])
        self.c.delete(CRDS + "/widgets.example.com")

    def test_unknown_fields_strict_and_warn(self):
        self.assertEqual(self.c.post(CRDS, widget_crd("fv.example.org")).code, 201)
        p = "/apis/fv.example.org/v1/namespaces/default/widgets"
        body = {"apiVersion": "fv.example.org/v1", "kind": "Widget",
                "metadata": {"name": "u1"}, "spec": {"size": 1, "colour": "red"}, "extra": 1}
        r = self.c.post(p + "?fieldValidation=Strict", body)
        self.assertStatus(r, 400, "BadRequest", 'strict decoding error: unknown field '
                          '"spec.colour", unknown field "extra"')
        r = self.c.post(p, body)
        self.assertEqual(r.code, 201, r.raw)
        self.assertEqual(r.headers.get_all("Warning"), ['299 - "unknown field \\"spec.colour\\""',
                                                        '299 - "unknown field \\"extra\\""'])
        self.assertNotIn("extra", r.json)
        self.c.delete(CRDS + "/widgets.fv.example.org")

    def test_apply_uses_crd_list_map_keys(self):
        crd = widget_crd("lm.example.org")
        spec_props = crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"][
            "spec"]["properties"]
        spec_props["ports"] = {
            "type": "array", "x-kubernetes-list-type": "map",
            "x-kubernetes-list-map-keys": ["name", "prefix"],
            "items": {"type": "object", "required": ["name"], "properties": {
                "name": {"type": "string"}, "prefix": {"type": "string", "default": ""},
                "port": {"type": "integer"}}}}
        spec_props["tags"] = {"type": "array", "items": {"type": "string"}}  # atomic
        self.assertEqual(self.c.post(CRDS, crd).code, 201)
        p = "/apis/lm.example.org/v1/namespaces/default/widgets/lm"
        apply = "application/apply-patch+yaml"

        def body(ports, tags):
            return {"apiVersion": "lm.example.org/v1", "kind": "Widget",
                    "metadata": {"name": "lm"}, "spec": {"ports": ports, "tags": tags}}
        r = self.c.patch(p + "?fieldManager=a", body([{"name": "http", "port": 80}], ["x"]),
                         apply)
        self.assertEqual(r.code, 201, r.raw)
        r = self.c.patch(p + "?fieldManager=b", body([{"name": "grpc", "port": 90}], ["x"]),
                         apply)
        self.assertEqual(r.code, 200, r.raw)
        self.assertEqual(r.json["spec"]["ports"], [
            {"name": "http", "prefix": "", "port": 80},
            {"name": "grpc", "prefix": "", "port": 90}])
        r = self.c.patch(p + "?fieldManager=b", body([{"name": "grpc", "port": 90}], ["y"]),
                         apply)
        self.assertStatus(r, 409, "Conflict")  # atomic list owned (shared) with a
        self.assertIn(".spec.tags", r.json["message"])
        self.c.delete(CRDS + "/widgets.lm.example.org")

    def test_crd_validation(self):
        bad = widget_crd("bad.example.org")
        bad["metadata"]["name"] = "wrong.example.org"
        s = self.assertStatus(self.c.post(CRDS, bad), 422, "Invalid")
        self.assertIn('metadata.name: Invalid value: "wrong.example.org": must be '
                      'spec.names.plural+"."+spec.group', s["message"])
        nonstructural = widget_crd("ns.example.org")
        nonstructural["spec"]["versions"][0]["schema"]["openAPIV3Schema"] = {
            "properties": {"spec": {"type": "object"}}}
        s = self.assertStatus(self.c.post(CRDS, nonstructural), 422, "Invalid")
        self.assertTrue(s["message"].startswith(
            'CustomResourceDefinition.apiextensions.k8s.io "widgets.ns.example.org" is invalid'),
            s["message"])

    def test_cluster_scoped_crd_and_version_conversion(self):
        crd = widget_crd("cl.example.org", scope="Cluster", status=False)
        v1 = crd["spec"]["versions"][0]
        v2 = dict(v1, name="v2", storage=False)
        crd["spec"]["versions"] = [v1, v2]
        self.assertEqual(self.c.post(CRDS, crd).code, 201)
        g = self.c.get("/apis/cl.example.org").json
        self.assertEqual(g["preferredVersion"]["version"], "v2")
        r = self.c.post("/apis/cl.example.org/v1/widgets", {
            "apiVersion": "cl.example.org/v1", "kind": "Widget", "metadata": {"name": "c1"},
            "spec": {"size": 1}})
        self.assertEqual(r.code, 201, r.raw)
        self.assertNotIn("namespace", r.json["metadata"])
        r = self.c.get("/apis/cl.example.org/v2/widgets/c1")
        self.assertEqual(r.json["apiVersion"], "cl.example.org/v2")
        r = self.c.patch("/apis/cl.example.org/v1/widgets/c1", {"spec": {"size": 5},
                                                                 "status": {"x": 1}})
        self.assertEqual(r.json["metadata"]["generation"], 2)
        self.c.delete(CRDS + "/widgets.cl.example.org")


if __name__ == "__main__":
    unittest.main()
