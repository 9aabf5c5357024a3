"""PATCH on the local API server: merge, JSON and strategic merge patches (415 for
custom resources), server-side apply (fieldManager, create, conflicts, force,
managedFields, status subresource), dryRun and resourceVersion preconditions."""
import unittest

from server_harness import ServerTestCase, cm

CM = "/api/v1/namespaces/default/configmaps"
DEPLOY = "/apis/apps/v1/namespaces/default/deployments"
MERGE = "application/merge-patch+json"
JSONP = "application/json-patch+json"
SMP = "application/strategic-merge-patch+json"
APPLY = "application/apply-patch+yaml"


def deployment(name, containers):
    return {"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": name, "namespace": "default"},
            "spec": {"selector": {"matchLabels": {"app": name}},
                     "template": {"metadata": {"labels": {"app": name}},
                                  "spec": {"containers": containers}}}}


class PatchTest(ServerTestCase):
    def test_merge_patch(self):
        self.c.post(CM, cm("mp", data={"a": "1", "b": "2"}))
        r = self.c.patch(CM + "/mp", {"data": {"a": None, "c": "3"}}, MERGE)
        self.assertEqual(r.code, 200, r.raw)
        self.assertEqual(r.json["data"], {"b": "2", "c": "3"})
        self.assertEqual(self.c.get(CM + "/mp").json["data"], {"b": "2", "c": "3"})

    def test_json_patch(self):
        self.c.post(CM, cm("jp", data={"a": "1"}))
        ops = [{"op": "add", "path": "/data/b", "value": "2"},
               {"op": "replace", "path": "/data/a", "value": "9"}]
        r = self.c.patch(CM + "/jp", ops, JSONP)
        self.assertEqual(r.code, 200, r.raw)
        self.assertEqual(r.json["data"], {"a": "9", "b": "2"})
        r = self.c.patch(CM + "/jp", [{"op": "test", "path": "/data/a", "value": "0"}], JSONP)
        self.assertIn(r.code, (409, 422), r.raw)  # a failed test op never writes
        self.assertEqual(r.json["kind"], "Status")
        self.assertEqual(self.c.get(CM + "/jp").json["data"], {"a": "9", "b": "2"})

    def test_strategic_merge_patch_merges_containers_by_name(self):
        r = self.c.post(DEPLOY, deployment("smp", [{"name": "a", "image": "a:1"},
                                                   {"name": "b", "image": "b:1"}]))
        self.assertEqual(r.code, 201, r.raw)
        p = {"spec": {"template": {"spec": {"containers": [{"name": "b", "image": "b:2"}]}}}}
        r = self.c.patch(DEPLOY + "/smp", p, SMP)
        self.assertEqual(r.code, 200, r.raw)
        self.assertEqual(r.json["spec"]["template"]["spec"]["containers"],
                         [{"name": "a", "image": "a:1"}, {"name": "b", "image": "b:2"}])
        self.assertEqual(r.json["metadata"]["generation"], 2)

    def test_patch_missing_object_and_bad_types(self):
        self.assertStatus(self.c.patch(CM + "/absent", {"data": {}}, MERGE), 404, "NotFound",
                          'configmaps "absent" not found')
        self.c.post(CM, cm("ct"))
        r = self.c.patch(CM + "/ct", {"data": {}}, "text/plain")
        self.assertStatus(r, 415, "UnsupportedMediaType",
                          "the body of the request was in an unknown format - accepted media "
                          "types include: application/json-patch+json, "
                          "application/merge-patch+json, application/strategic-merge-patch+json,"
                          " application/apply-patch+yaml")

    def test_patch_with_stale_resource_version_conflicts(self):
        obj = self.c.post(CM, cm("prv")).json
        self.c.patch(CM + "/prv", {"data": {"x": "1"}}, MERGE)
        r = self.c.patch(CM + "/prv", {"metadata": {"resourceVersion":
                                                    obj["metadata"]["resourceVersion"]},
                                       "data": {"x": "2"}}, MERGE)
        self.assertStatus(r, 409, "Conflict")

    def test_patch_dry_run(self):
        self.c.post(CM, cm("pdry"))
        r = self.c.patch(CM + "/pdry?dryRun=All", {"data": {"k": "dry"}}, MERGE)
        self.assertEqual(r.json["data"], {"k": "dry"})
        self.assertEqual(self.c.get(CM + "/pdry").json["data"], {"k": "v"})

    def test_apply_requires_field_manager(self):
        r = self.c.patch(CM + "/ap0", cm("ap0"), APPLY)
        s = self.assertStatus(r, 400, "BadRequest")
        self.assertIn("fieldManager is required for apply requests", s["message"])

    def test_apply_creates_then_updates(self):
        r = self.c.patch(CM + "/ap1?fieldManager=alice", cm("ap1", data={"a": "1"}), APPLY)
        self.assertEqual(r.code, 201, r.raw)
        mf = r.json["metadata"]["managedFields"]
        self.assertEqual([(m["manager"], m["operation"]) for m in mf], [("alice", "Apply")])
        self.assertEqual(mf[0]["fieldsV1"]["f:data"], {"f:a": {}})
        rv = r.json["metadata"]["resourceVersion"]
        # the same apply again is a no-op: nothing written
        r = self.c.patch(CM + "/ap1?fieldManager=alice", cm("ap1", data={"a": "1"}), APPLY)
        self.assertEqual(r.code, 200)
        self.assertEqual(r.json["metadata"]["resourceVersion"], rv)
        # dropping a field from the applied config removes it
        r = self.c.patch(CM + "/ap1?fieldManager=alice", cm("ap1", data={"b": "2"}), APPLY)
        self.assertEqual(r.json["data"], {"b": "2"})

    def test_apply_conflict_and_force(self):
        self.c.patch(CM + "/ap2?fieldManager=alice", cm("ap2", data={"a": "1"}), APPLY)
        r = self.c.patch(CM + "/ap2?fieldManager=bob", cm("ap2", data={"a": "2"}), APPLY)
        s = self.assertStatus(r, 409, "Conflict")
        self.assertTrue(s["message"].startswith(
            'Apply failed with 1 conflict: conflict with "alice"'), s["message"])
        self.assertEqual(s["details"]["causes"][0]["reason"], "FieldManagerConflict")
        self.assertEqual(s["details"]["causes"][0]["field"], ".data.a")
        self.assertEqual(self.c.get(CM + "/ap2").json["data"], {"a": "1"})
        r = self.c.patch(CM + "/ap2?fieldManager=bob&force=true", cm("ap2", data={"a": "2"}),
                         APPLY)
        self.assertEqual(r.code, 200, r.raw)
        self.assertEqual(r.json["data"], {"a": "2"})
        owners = {m["manager"]: m for m in r.json["metadata"]["managedFields"]}
        self.assertIn("f:a", owners["bob"]["fieldsV1"]["f:data"])
        self.assertNotIn("alice", owners)  # alice owned nothing else

    def test_update_takes_ownership(self):
        self.c.patch(CM + "/ap3?fieldManager=alice", cm("ap3", data={"a": "1"}), APPLY)
        r = self.c.patch(CM + "/ap3?fieldManager=editor", {"data": {"a": "9"}}, MERGE)
        mgrs = {(m["manager"], m["operation"]) for m in r.json["metadata"]["managedFields"]}
        self.assertIn(("editor", "Update"), mgrs)
        r = self.c.patch(CM + "/ap3?fieldManager=alice", cm("ap3", data={"a": "1"}), APPLY)
        self.assertStatus(r, 409, "Conflict")
        self.assertIn('conflict with "editor"', r.json["message"])

    def test_apply_merges_keyed_lists_of_two_managers(self):
        def dep(containers):
            d = deployment("keyed", containers)
            del d["spec"]["selector"], d["spec"]["template"]["metadata"]
            return d
        base = deployment("keyed", [{"name": "app", "image": "app:1",
                                     "env": [{"name": "A", "value": "1"}],
                                     "ports": [{"containerPort": 80}]}])
        r = self.c.patch(DEPLOY + "/keyed?fieldManager=owner", base, APPLY)
        self.assertEqual(r.code, 201, r.raw)
        side = dep([{"name": "sidecar", "image": "side:1"},
                    {"name": "app", "env": [{"name": "B", "value": "2"}],
                     "ports": [{"containerPort": 9090}]}])
        r = self.c.patch(DEPLOY + "/keyed?fieldManager=injector", side, APPLY)
        self.assertEqual(r.code, 200, r.raw)
        cs = {c["name"]: c for c in r.json["spec"]["template"]["spec"]["containers"]}
        self.assertEqual(set(cs), {"app", "sidecar"})
        self.assertEqual([e["name"] for e in cs["app"]["env"]], ["A", "B"])
        self.assertEqual(sorted(p["containerPort"] for p in cs["app"]["ports"]), [80, 9090])
        self.assertEqual(cs["app"]["image"], "app:1")

    def test_apply_yaml_body(self):
        body = ("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: apy\n"
                "  namespace: default\ndata:\n  a: \"1\"\n  b: two\n")
        r = self.c.request("PATCH", CM + "/apy?fieldManager=yaml", raw=body.encode(),
                           ctype=APPLY)
        self.assertEqual(r.code, 201, r.raw)
        self.assertEqual(r.json["data"], {"a": "1", "b": "two"})

    def test_apply_status_subresource(self):
        d = deployment("aps", [{"name": "a", "image": "a:1"}])
        self.assertEqual(self.c.post(DEPLOY, d).code, 201)
        body = {"apiVersion": "apps/v1", "kind": "Deployment",
                "metadata": {"name": "aps", "namespace": "default"},
                "status": {"replicas": 1, "conditions": [{"type": "Available",
                                                          "status": "True"}]}}
        r = self.c.patch(DEPLOY + "/aps/status?fieldManager=ctl", body, APPLY)
        self.assertEqual(r.code, 200, r.raw)
        self.assertEqual(r.json["status"]["conditions"][0]["type"], "Available")
        self.assertEqual(r.json["metadata"]["generation"], 1)
        status_mgr = [m for m in r.json["metadata"]["managedFields"] if m["manager"] == "ctl"]
        self.assertEqual(status_mgr[0]["subresource"], "status")
        # main-endpoint apply ignores status
        body["status"] = {"replicas": 5}
        body["spec"] = d["spec"]
        r = self.c.patch(DEPLOY + "/aps?fieldManager=deployer", body, APPLY)
        self.assertEqual(r.json["status"]["replicas"], 1)


if __name__ == "__main__":
    unittest.main()
