"""CRUD semantics of the local API server over HTTPS: metadata, resourceVersion,
generation, status subresource, errors as exact Status objects, namespaces,
generateName, Secrets, dryRun, authentication and impersonation."""
import base64
import copy
import random
import unittest

from server_harness import ServerTestCase, cm

CM = "/api/v1/namespaces/default/configmaps"
DEPLOY = "/apis/apps/v1/namespaces/default/deployments"


def deployment(name, replicas=1, image="nginx"):
    return {"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": name, "namespace": "default"},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
                     "template": {"metadata": {"labels": {"app": name}},
                                  "spec": {"containers": [{"name": "c", "image": image}]}}},
            "status": {"replicas": 99}}


class CrudTest(ServerTestCase):
    server_args = ("--user", "optoken=system:serviceaccount:appstack-system:appstack-operator",
                   "--user", "devtoken=dev::team-a,team-b")

    def test_create_sets_server_metadata(self):
        r = self.c.post(CM, cm("meta1"))
        self.assertEqual(r.code, 201, r.raw)
        m = r.json["metadata"]
        self.assertRegex(m["uid"], r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}$")
        self.assertRegex(m["creationTimestamp"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
        self.assertTrue(m["resourceVersion"].isdigit())
        self.assertNotIn("generation", m)  # ConfigMaps have no generation, like real
        self.assertEqual(r.json["kind"], "ConfigMap")
        self.assertEqual(r.json["apiVersion"], "v1")
        g = self.c.get(CM + "/meta1")
        self.assertEqual(g.code, 200)
        self.assertEqual(g.json["metadata"]["uid"], m["uid"])
        self.assertEqual(g.json["data"], {"k": "v"})

    def test_resource_version_is_global_and_monotonic(self):
        a = int(self.c.post(CM, cm("rv-a")).json["metadata"]["resourceVersion"])
        b = int(self.c.post("/api/v1/namespaces/default/secrets",
                            {"apiVersion": "v1", "kind": "Secret",
                             "metadata": {"name": "rv-b"}}).json["metadata"]["resourceVersion"])
        obj = self.c.get(CM + "/rv-a").json
        obj["data"] = {"x": "1"}
        c = int(self.c.put(CM + "/rv-a", obj).json["metadata"]["resourceVersion"])
        self.assertLess(a, b)
        self.assertLess(b, c)

    def test_already_exists(self):
        self.c.post(CM, cm("dup"))
        r = self.c.post(CM, cm("dup"))
        s = self.assertStatus(r, 409, "AlreadyExists", 'configmaps "dup" already exists')
        self.assertEqual(s["details"], {"name": "dup", "kind": "configmaps"})

    def test_not_found_shapes(self):
        s = self.assertStatus(self.c.get(CM + "/nope"), 404, "NotFound",
                              'configmaps "nope" not found')
        self.assertEqual(s["details"], {"name": "nope", "kind": "configmaps"})
        s = self.assertStatus(self.c.get(DEPLOY + "/nope"), 404, "NotFound",
                              'deployments.apps "nope" not found')
        self.assertEqual(s["details"], {"name": "nope", "group": "apps", "kind": "deployments"})
        s = self.assertStatus(self.c.get("/api/v1/namespaces/default/widgets"), 404,
                              "NotFound", "the server could not find the requested resource")
        self.assertEqual(s["details"], {})

    def test_missing_namespace(self):
        r = self.c.post("/api/v1/namespaces/ghost/configmaps", cm("x", ns="ghost"))
        s = self.assertStatus(r, 404, "NotFound", 'namespaces "ghost" not found')
        self.assertEqual(s["details"], {"name": "ghost", "kind": "namespaces"})

    def test_stale_resource_version_conflict(self):
        obj = self.c.post(CM, cm("stale")).json
        obj["data"] = {"a": "1"}
        self.assertEqual(self.c.put(CM + "/stale", obj).code, 200)
        obj["data"] = {"a": "2"}  # still the old resourceVersion
        s = self.assertStatus(self.c.put(CM + "/stale", obj), 409, "Conflict",
                              'Operation cannot be fulfilled on configmaps "stale": the object '
                              'has been modified; please apply your changes to the latest '
                              'version and try again')
        self.assertEqual(s["details"], {"name": "stale", "kind": "configmaps"})
        self.assertEqual(self.c.get(CM + "/stale").json["data"], {"a": "1"})

    def test_update_without_resource_version_is_unconditional(self):
        self.c.post(CM, cm("uncond"))
        body = cm("uncond", data={"z": "9"})
        r = self.c.put(CM + "/uncond", body)
        self.assertEqual(r.code, 200, r.raw)
        self.assertEqual(r.json["data"], {"z": "9"})

    def test_update_missing_is_404(self):
        self.assertStatus(self.c.put(CM + "/never", cm("never")), 404, "NotFound")

    def test_noop_update_keeps_resource_version(self):
        obj = self.c.post(CM, cm("noop")).json
        r = self.c.put(CM + "/noop", obj)
        self.assertEqual(r.code, 200)
        self.assertEqual(r.json["metadata"]["resourceVersion"], obj["metadata"]["resourceVersion"])

    def test_invalid_name_422(self):
        r = self.c.post(CM, cm("Bad_Name"))
        s = self.assertStatus(r, 422, "Invalid")
        self.assertTrue(s["message"].startswith(
            'ConfigMap "Bad_Name" is invalid: metadata.name: Invalid value: "Bad_Name": a '
            'lowercase RFC 1123 subdomain must consist of'), s["message"])
        self.assertEqual(s["details"]["name"], "Bad_Name")
        self.assertEqual(s["details"]["kind"], "ConfigMap")
        self.assertEqual(s["details"]["causes"][0]["reason"], "FieldValueInvalid")
        self.assertEqual(s["details"]["causes"][0]["field"], "metadata.name")

    def test_missing_name_and_several_causes(self):
        body = cm("x")
        del body["metadata"]["name"]
        s = self.assertStatus(self.c.post(CM, body), 422, "Invalid",
                              'ConfigMap "" is invalid: metadata.name: Required value: name or '
                              'generateName is required')
        self.assertEqual(s["details"]["causes"], [{
            "reason": "FieldValueRequired", "message": "Required value: name or generateName "
            "is required", "field": "metadata.name"}])
        d = deployment("two-errors")
        d["spec"]["template"]["metadata"]["labels"] = {"app": "other"}
        d["spec"]["template"]["spec"]["containers"][0]["image"] = ""
        s = self.assertStatus(self.c.post(DEPLOY, d), 422, "Invalid")
        self.assertTrue(s["message"].startswith('Deployment.apps "two-errors" is invalid: [spec.'
                                                'template.metadata.labels: Invalid value: '),
                        s["message"])
        self.assertIn(", spec.template.spec.containers[0].image: Required value]", s["message"])
        self.assertEqual(s["details"]["group"], "apps")
        self.assertEqual(len(s["details"]["causes"]), 2)

    def test_namespace_name_is_a_dns_label(self):
        r = self.c.post("/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace",
                                                "metadata": {"name": "a.b"}})
        s = self.assertStatus(r, 422, "Invalid")
        self.assertIn("a lowercase RFC 1123 label must consist of", s["message"])

    def test_body_mismatches_are_400(self):
        self.assertStatus(self.c.post(CM, cm("x", ns="kube-system")), 400, "BadRequest",
                          "the namespace of the provided object does not match the namespace "
                          "sent on the request")
        body = cm("x")
        body["apiVersion"] = "apps/v1"
        self.assertStatus(self.c.post(CM, body), 400, "BadRequest",
                          "the API version in the data (apps/v1) does not match the expected "
                          "API version (v1)")
        self.c.post(CM, cm("named"))
        self.assertStatus(self.c.put(CM + "/named", cm("other")), 400, "BadRequest",
                          "the name of the object (other) does not match the name on the URL "
                          "(named)")
        self.assertStatus(self.c.request("POST", CM, raw=b"{not json"), 400, "BadRequest")

    def test_create_with_resource_version_is_rejected(self):
        body = cm("withrv")
        body["metadata"]["resourceVersion"] = "5"
        self.assertStatus(self.c.post(CM, body), 500, "InternalError",
                          "Internal error occurred: resourceVersion should not be set on "
                          "objects to be created")

    def test_generate_name(self):
        body = cm("")
        body["metadata"] = {"generateName": "gen-"}
        r = self.c.post(CM, body)
        self.assertEqual(r.code, 201, r.raw)
        self.assertRegex(r.json["metadata"]["name"], r"^gen-[bcdfghjklmnpqrstvwxz2456789]{5}$")
        self.assertEqual(r.json["metadata"]["generateName"], "gen-")

    def test_generation_and_status_subresource(self):
        r = self.c.post(DEPLOY, deployment("gen"))
        self.assertEqual(r.code, 201, r.raw)
        d = r.json
        self.assertEqual(d["metadata"]["generation"], 1)
        self.assertNotIn("status", d)  # status on create is dropped
        # status through the main endpoint is ignored; spec change bumps generation
        d["spec"]["replicas"] = 3
        d["status"] = {"replicas": 7}
        d = self.c.put(DEPLOY + "/gen", d).json
        self.assertEqual(d["metadata"]["generation"], 2)
        self.assertNotIn("status", d)
        # metadata-only change: no generation bump
        d["metadata"]["labels"] = {"x": "y"}
        d = self.c.put(DEPLOY + "/gen", d).json
        self.assertEqual(d["metadata"]["generation"], 2)
        # /status changes only status
        d["status"] = {"replicas": 3, "readyReplicas": 3}
        d["spec"]["replicas"] = 10
        d["metadata"]["labels"] = {"changed": "no"}
        r = self.c.put(DEPLOY + "/gen/status", d)
        self.assertEqual(r.code, 200, r.raw)
        self.assertEqual(r.json["status"], {"replicas": 3, "readyReplicas": 3})
        self.assertEqual(r.json["spec"]["replicas"], 3)
        self.assertEqual(r.json["metadata"]["labels"], {"x": "y"})
        self.assertEqual(r.json["metadata"]["generation"], 2)
        r = self.c.patch(DEPLOY + "/gen/status", {"status": {"observedGeneration": 2}})
        self.assertEqual(r.code, 200, r.raw)
        self.assertEqual(r.json["status"]["observedGeneration"], 2)
        self.assertEqual(r.json["status"]["readyReplicas"], 3)
        self.assertStatus(self.c.get(CM + "/meta1/status"), 404, "NotFound")

    def test_service_defaults_and_immutable_cluster_ip(self):
        path = "/api/v1/namespaces/default/services"
        r = self.c.post(path, {"apiVersion": "v1", "kind": "Service",
                               "metadata": {"name": "web"},
                               "spec": {"selector": {"app": "web"}, "ports": [{"port": 80}]},
                               "status": {"loadBalancer": {"ingress": [{"ip": "1.2.3.4"}]}}})
        self.assertEqual(r.code, 201, r.raw)
        spec = r.json["spec"]
        self.assertEqual((spec["type"], spec["sessionAffinity"]), ("ClusterIP", "None"))
        self.assertEqual(spec["ports"], [{"port": 80, "protocol": "TCP", "targetPort": 80}])
        self.assertRegex(spec["clusterIP"], r"^10\.96\.\d+\.\d+$")
        self.assertEqual(spec["clusterIPs"], [spec["clusterIP"]])
        self.assertNotIn("status", r.json)
        r = self.c.patch(path + "/web", {"spec": {"clusterIP": "10.0.0.1"}})
        s = self.assertStatus(r, 422, "Invalid")
        self.assertIn("may not change once set", s["message"])
        self.assertStatus(self.c.post(path, {"apiVersion": "v1", "kind": "Service",
                                             "metadata": {"name": "1bad"},
                                             "spec": {"ports": [{"port": 80}]}}), 422, "Invalid")

    def test_protected_namespaces(self):
        s = self.assertStatus(self.c.delete("/api/v1/namespaces/default"), 403, "Forbidden",
                              'namespaces "default" is forbidden: this namespace may not be '
                              'deleted')
        self.assertEqual(s["details"], {"name": "default", "kind": "namespaces"})

    def test_secret_base64_and_string_data(self):
        path = "/api/v1/namespaces/default/secrets"
        r = self.c.post(path, {"apiVersion": "v1", "kind": "Secret",
                               "metadata": {"name": "s1"}, "data": {"a": "aGk="},
                               "stringData": {"b": "plain"}})
        self.assertEqual(r.code, 201, r.raw)
        self.assertEqual(r.json["data"], {"a": "aGk=", "b": base64.b64encode(b"plain").decode()})
        self.assertNotIn("stringData", r.json)
        self.assertEqual(r.json["type"], "Opaque")
        r = self.c.post(path, {"apiVersion": "v1", "kind": "Secret",
                               "metadata": {"name": "s2"}, "data": {"a": "not base64!"}})
        s = self.assertStatus(r, 400, "BadRequest")
        self.assertIn('Secret in version "v1" cannot be handled as a Secret: illegal base64 data',
                      s["message"])
        r = self.c.post(path, {"apiVersion": "v1", "kind": "Secret",
                               "metadata": {"name": "s3"}, "data": {"bad key": "aGk="}})
        s = self.assertStatus(r, 422, "Invalid")
        self.assertEqual(s["details"]["causes"][0]["field"], "data[bad key]")

    def test_immutable_configmap(self):
        body = cm("frozen")
        body["immutable"] = True
        obj = self.c.post(CM, body).json
        obj["data"] = {"k": "changed"}
        s = self.assertStatus(self.c.put(CM + "/frozen", obj), 422, "Invalid")
        self.assertIn("data: Forbidden: field is immutable when `immutable` is set",
                      s["message"])

    def test_dry_run_stores_nothing(self):
        r = self.c.post(CM + "?dryRun=All", cm("dry"))
        self.assertEqual(r.code, 201, r.raw)
        self.assertEqual(r.json["metadata"]["name"], "dry")
        self.assertEqual(self.c.get(CM + "/dry").code, 404)
        obj = self.c.post(CM, cm("dry2")).json
        obj["data"] = {"k": "dry"}
        r = self.c.put(CM + "/dry2?dryRun=All", obj)
        self.assertEqual(r.json["data"], {"k": "dry"})
        self.assertEqual(self.c.get(CM + "/dry2").json["data"], {"k": "v"})
        self.assertEqual(self.c.delete(CM + "/dry2?dryRun=All").code, 200)
        self.assertEqual(self.c.get(CM + "/dry2").code, 200)
        self.assertStatus(self.c.post(CM + "?dryRun=Some", cm("dry3")), 400, "BadRequest")

    def test_delete_answers_success_status(self):
        uid = self.c.post(CM, cm("gone")).json["metadata"]["uid"]
        r = self.c.delete(CM + "/gone")
        self.assertEqual(r.code, 200)
        self.assertEqual(r.json, {"kind": "Status", "apiVersion": "v1", "metadata": {},
                                  "status": "Success",
                                  "details": {"name": "gone", "kind": "configmaps", "uid": uid}})
        self.assertStatus(self.c.delete(CM + "/gone"), 404, "NotFound")

    def test_delete_preconditions(self):
        obj = self.c.post(CM, cm("pre")).json
        r = self.c.delete(CM + "/pre", {"preconditions": {"uid": "wrong"}})
        self.assertStatus(r, 409, "Conflict",
                          'Operation cannot be fulfilled on configmaps "pre": Precondition '
                          f'failed: UID in precondition: wrong, UID in object meta: '
                          f'{obj["metadata"]["uid"]}')
        r = self.c.delete(CM + "/pre", {"preconditions": {"resourceVersion": "1"}})
        self.assertStatus(r, 409, "Conflict")
        self.assertIn("Precondition failed: ResourceVersion in precondition: 1",
                      r.json["message"])
        r = self.c.delete(CM + "/pre", {"preconditions": {
            "uid": obj["metadata"]["uid"], "resourceVersion": obj["metadata"]["resourceVersion"]}})
        self.assertEqual(r.code, 200, r.raw)

    def test_cluster_wide_list_of_namespaced_resource(self):
        self.make_ns("other")
        self.c.post("/api/v1/namespaces/other/configmaps", cm("cw", ns="other"))
        self.c.post(CM, cm("cw"))
        r = self.c.get("/api/v1/configmaps?fieldSelector=metadata.name%3Dcw")
        self.assertEqual(r.code, 200)
        self.assertEqual(sorted(i["metadata"]["namespace"] for i in r.json["items"]),
                         ["default", "other"])
        self.assertEqual(r.json["kind"], "ConfigMapList")

    def test_request_body_limit(self):
        big = cm("big", data={"k": "x" * (3 * 1024 * 1024 + 10)})
        r = self.c.post(CM, big)
        self.assertStatus(r, 413, "RequestEntityTooLarge",
                          "Request entity too large: limit is 3145728")

    def test_protobuf_is_415(self):
        r = self.c.request("POST", CM, raw=b"k8s\x00", ctype="application/vnd.kubernetes.protobuf")
        self.assertStatus(r, 415, "UnsupportedMediaType")

    def test_unauthorized(self):
        for tok in ("", "wrong"):
            r = self.c.get(CM, token=tok)
            self.assertStatus(r, 401, "Unauthorized", "Unauthorized")
        self.assertEqual(self.c.get("/readyz", token="").raw, b"ok")

    def test_users_and_impersonation(self):
        log = "/_local/requests"
        self.c.delete(log)
        self.assertEqual(self.c.get(CM, token="optoken").code, 200)
        self.assertEqual(self.c.get(CM, token="devtoken").code, 200)
        self.assertEqual(self.c.get(CM, headers={"Impersonate-User": "alice"}).code, 200)
        users = [e["user"] for e in self.c.get(log).json]
        self.assertEqual(users, ["system:serviceaccount:appstack-system:appstack-operator",
                                 "dev", "alice"])
        r = self.c.get(CM, token="devtoken", headers={"Impersonate-User": "admin"})
        self.assertStatus(r, 403, "Forbidden",
                          'users "admin" is forbidden: User "dev" cannot impersonate resource '
                          '"users" in API group "" at the cluster scope')
        # the /_local endpoints are for system:masters only
        self.assertStatus(self.c.get(log, token="devtoken"), 403, "Forbidden")

    def test_malformed_bodies_never_answer_500(self):
        rnd = random.Random(5)
        vals = [None, 1, "x", [], {}, [1], {"a": 1}, True, "Bad Name", {"a": "b"}, ["f/x"],
                [{"name": "a"}], [{}]]
        paths = [CM, "/api/v1/namespaces/default/secrets", DEPLOY,
                 "/api/v1/namespaces/default/services", "/api/v1/namespaces",
                 "/apis/apiextensions.k8s.io/v1/customresourcedefinitions",
                 "/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations"]
        fields = ["metadata", "metadata.labels", "metadata.finalizers", "data", "spec",
                  "spec.selector", "spec.template.spec.containers", "spec.ports", "webhooks",
                  "spec.names", "spec.names.kind", "spec.versions", "stringData", "type"]
        for i in range(300):
            obj = {"metadata": {"name": f"m{i}"}}
            for _ in range(rnd.randint(1, 4)):
                path = rnd.choice(fields).split(".")
                cur = obj
                for k in path[:-1]:
                    if not isinstance(cur.get(k), dict):
                        cur[k] = {}
                    cur = cur[k]
                cur[path[-1]] = copy.deepcopy(rnd.choice(vals))
            p = rnd.choice(paths)
            r = rnd.choice([lambda: self.c.post(p, obj), lambda: self.c.put(p + f"/m{i % 20}", obj),
                            lambda: self.c.patch(p + f"/m{i % 20}", obj)])()
            self.assertLess(r.code, 500, f"{p} {obj}: {r.raw[:300]}")
            self.assertEqual(r.json["kind"] == "Status", r.code >= 400, r.raw[:200])

    def test_namespace_create_shape(self):
        r = self.c.post("/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace",
                                                "metadata": {"name": "shape"}})
        self.assertEqual(r.code, 201)
        self.assertEqual(r.json["status"], {"phase": "Active"})
        self.assertEqual(r.json["spec"], {"finalizers": ["kubernetes"]})
        self.assertEqual(r.json["metadata"]["labels"], {"kubernetes.io/metadata.name": "shape"})


if __name__ == "__main__":
    unittest.main()
