"""The /scale subresource of Deployments, StatefulSets and ReplicaSets: discovery lists it
with kind autoscaling/v1 Scale; GET shows the parent's replicas and selector; PUT, merge and
JSON patches change spec.replicas of the parent (a new generation); negative replicas are
refused naming the field; a stale resourceVersion conflicts; kinds without /scale answer 404.
Admission of /scale requests is tested in test_server_admission.py."""
import unittest

from server_harness import ServerTestCase

DEPLOY = "/apis/apps/v1/namespaces/default/deployments"


def deployment(name, replicas=1):
    return {"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": name, "namespace": "default"},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
                     "template": {"metadata": {"labels": {"app": name}},
                                  "spec": {"containers": [{"name": "c", "image": "x:1"}]}}}}


class ScaleTest(ServerTestCase):
    def make(self, name, replicas=1):
        r = self.c.post(DEPLOY, deployment(name, replicas))
        self.assertEqual(r.code, 201, r.raw)
        return r.json

    def test_discovery_lists_scale(self):
        res = {r["name"]: r for r in self.c.get("/apis/apps/v1").json["resources"]}
        for plural in ("deployments", "statefulsets", "replicasets"):
            sub = res[plural + "/scale"]
            self.assertEqual((sub["group"], sub["version"], sub["kind"]),
                             ("autoscaling", "v1", "Scale"))
        self.assertNotIn("daemonsets/scale", res)

    def test_get_put_and_patches_change_the_parent(self):
        d = self.make("s1", 2)
        s = self.c.get(DEPLOY + "/s1/scale").json
        self.assertEqual((s["apiVersion"], s["kind"]), ("autoscaling/v1", "Scale"))
        self.assertEqual(s["metadata"]["uid"], d["metadata"]["uid"])
        self.assertEqual(s["spec"], {"replicas": 2})
        self.assertEqual(s["status"]["selector"], "app=s1")
        s["spec"]["replicas"] = 4
        r = self.c.put(DEPLOY + "/s1/scale", s)
        self.assertEqual(r.code, 200, r.raw)
        self.assertEqual(r.json["spec"]["replicas"], 4)
        live = self.c.get(DEPLOY + "/s1").json
        self.assertEqual(live["spec"]["replicas"], 4)
        self.assertEqual(live["metadata"]["generation"], d["metadata"]["generation"] + 1)
        r = self.c.patch(DEPLOY + "/s1/scale", {"spec": {"replicas": 1}})
        self.assertEqual(r.code, 200, r.raw)
        r = self.c.patch(DEPLOY + "/s1/scale",
                         [{"op": "replace", "path": "/spec/replicas", "value": 0}],
                         ctype="application/json-patch+json")
        self.assertEqual(r.code, 200, r.raw)
        self.assertEqual(self.c.get(DEPLOY + "/s1").json["spec"]["replicas"], 0)

    def test_bad_replicas_and_stale_versions_are_refused(self):
        self.make("s2")
        s = self.assertStatus(self.c.patch(DEPLOY + "/s2/scale", {"spec": {"replicas": -1}}),
                              422, "Invalid")
        self.assertIn("spec.replicas", s["message"])
        old = self.c.get(DEPLOY + "/s2/scale").json
        self.c.patch(DEPLOY + "/s2/scale", {"spec": {"replicas": 3}})
        old["spec"]["replicas"] = 5
        self.assertStatus(self.c.put(DEPLOY + "/s2/scale", old), 409, "Conflict")
        self.assertEqual(self.c.get(DEPLOY + "/s2").json["spec"]["replicas"], 3)

    def test_kinds_without_scale_answer_404(self):
        self.assertEqual(self.c.get("/api/v1/namespaces/default/configmaps/x/scale").code, 404)
        self.assertEqual(self.c.get(DEPLOY + "/missing/scale").code, 404)


if __name__ == "__main__":
    unittest.main()
