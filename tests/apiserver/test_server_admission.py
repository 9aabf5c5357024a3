"""Admission through the local API server: registered Mutating/ValidatingWebhookConfiguration
objects are called over HTTPS (url clientConfig, caBundle verified) for creates, updates,
patches and deletes; denials come back as the webhook's Status, warnings as Warning
headers, mutations are stored, dryRun is passed on, webhook configurations themselves
are never sent to webhooks, and /scale requests arrive as autoscaling/v1 Scales. A tiny
HTTPS webhook runs in this test."""
import base64
import json
import shutil
import ssl
import tempfile
import threading
import unittest
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import certs
from server_harness import ServerTestCase, cm
from test_server_scale import deployment

CM = "/api/v1/namespaces/default/configmaps"
DEPLOY = "/apis/apps/v1/namespaces/default/deployments"
VWC = "/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations"
MWC = "/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations"
SEEN = []


class Hook(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def do_POST(self):
        review = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        req = review["request"]
        path = self.path.split("?")[0]
        SEEN.append((self.path, req))
        resp = {"uid": req["uid"], "allowed": True}
        if path == "/deny":
            resp = {"uid": req["uid"], "allowed": False,
                    "status": {"code": 403, "message": "no thanks"}}
        elif path == "/warn":
            resp["warnings"] = ["first warning", "second \"quoted\""]
        elif path == "/mutate":
            patch = [{"op": "add", "path": "/metadata/labels/mutated", "value": "yes"}]
            resp["patchType"] = "JSONPatch"
            resp["patch"] = base64.b64encode(json.dumps(patch).encode()).decode()
        data = json.dumps({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
                           "response": resp}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def hook_config(kind, name, url, ca, ops, selector_label, resources=("configmaps",)):
    return {"apiVersion": "admissionregistration.k8s.io/v1", "kind": kind,
            "metadata": {"name": name},
            "webhooks": [{"name": f"{name}.example.com", "sideEffects": "None",
                          "admissionReviewVersions": ["v1"], "failurePolicy": "Fail",
                          "timeoutSeconds": 5,
                          "clientConfig": {"url": url, "caBundle": ca},
                          "objectSelector": {"matchLabels": {selector_label: "yes"}},
                          "rules": [{"apiGroups": ["*"], "apiVersions": ["*"],
                                     "operations": list(ops), "resources": list(resources)}]}]}


class AdmissionTest(ServerTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.pki_dir = tempfile.mkdtemp(prefix="appstack-hook-")
        pki = certs.ensure_pki(cls.pki_dir)
        cls.hook = ThreadingHTTPServer(("127.0.0.1", 0), Hook)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(pki["server.crt"], pki["server.key"])
        cls.hook.socket = ctx.wrap_socket(cls.hook.socket, server_side=True)
        cls.hook.daemon_threads = True
        threading.Thread(target=cls.hook.serve_forever, daemon=True).start()
        with open(pki["ca.crt"], "rb") as f:
            cls.ca = base64.b64encode(f.read()).decode()
        cls.base = f"https://127.0.0.1:{cls.hook.server_address[1]}"

    @classmethod
    def tearDownClass(cls):
        cls.hook.shutdown()
        cls.hook.server_close()
        shutil.rmtree(cls.pki_dir, ignore_errors=True)
        super().tearDownClass()

    def register(self, kind, name, path, ops, label, resources=("configmaps",)):
        coll = VWC if kind.startswith("Validating") else MWC
        r = self.c.post(coll, hook_config(kind, name, self.base + path, self.ca, ops, label,
                                          resources))
        self.assertEqual(r.code, 201, r.raw)
        self.addCleanup(self.c.delete, f"{coll}/{name}")


    def test_webhooks_see_a_scale_and_can_refuse_it(self):
        self.assertEqual(self.c.post(DEPLOY, deployment("guarded", 2)).code, 201)
        conf = {"apiVersion": "admissionregistration.k8s.io/v1",
                "kind": "ValidatingWebhookConfiguration", "metadata": {"name": "scale"},
                "webhooks": [{"name": "scale.example.com", "sideEffects": "None",
                              "admissionReviewVersions": ["v1"], "failurePolicy": "Fail",
                              "clientConfig": {"url": self.base + "/deny", "caBundle": self.ca},
                              "rules": [{"apiGroups": ["apps"], "apiVersions": ["v1"],
                                         "operations": ["UPDATE"],
                                         "resources": ["deployments/scale"]}]}]}
        coll = "/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations"
        self.assertEqual(self.c.post(coll, conf).code, 201)
        self.addCleanup(self.c.delete, coll + "/scale")
        SEEN.clear()
        self.assertStatus(self.c.patch(DEPLOY + "/guarded/scale", {"spec": {"replicas": 9}}),
                          403)
        self.assertEqual(self.c.get(DEPLOY + "/guarded").json["spec"]["replicas"], 2)
        req = SEEN[-1][1]
        self.assertEqual(req["kind"], {"group": "autoscaling", "version": "v1", "kind": "Scale"})
        self.assertEqual(req["resource"], {"group": "apps", "version": "v1",
                                           "resource": "deployments"})
        self.assertEqual(req["subResource"], "scale")
        self.assertEqual((req["object"]["spec"], req["oldObject"]["spec"]),
                         ({"replicas": 9}, {"replicas": 2}))
        # a plain update of the Deployment is not a scale request: not sent to this hook
        SEEN.clear()
        r = self.c.patch(DEPLOY + "/guarded", {"metadata": {"labels": {"x": "y"}}})
        self.assertEqual(r.code, 200, r.raw)
        self.assertEqual(SEEN, [])

    def test_denial_returns_webhook_status(self):
        self.register("ValidatingWebhookConfiguration", "deny", "/deny", ["CREATE"], "deny")
        r = self.c.post(CM, cm("denied", labels={"deny": "yes"}))
        s = self.assertStatus(r, 403)
        self.assertIn('admission webhook "deny.example.com" denied the request: no thanks',
                      s["message"])
        self.assertEqual(self.c.get(CM + "/denied").code, 404)
        self.assertEqual(self.c.post(CM, cm("allowed")).code, 201)  # selector not matched

    def test_warnings_become_headers(self):
        self.register("ValidatingWebhookConfiguration", "warn", "/warn", ["CREATE", "UPDATE"],
                      "warn")
        r = self.c.post(CM, cm("warned", labels={"warn": "yes"}))
        self.assertEqual(r.code, 201, r.raw)
        self.assertEqual(r.headers.get_all("Warning"),
                         ['299 - "first warning"', '299 - "second \\"quoted\\""'])

    def test_mutation_is_stored_and_dry_run_passed(self):
        self.register("MutatingWebhookConfiguration", "mutate", "/mutate", ["CREATE"], "mut")
        SEEN.clear()
        r = self.c.post(CM + "?dryRun=All", cm("mut-dry", labels={"mut": "yes"}))
        self.assertEqual(r.json["metadata"]["labels"], {"mut": "yes", "mutated": "yes"})
        self.assertTrue(SEEN[-1][1]["dryRun"])
        self.assertEqual(self.c.get(CM + "/mut-dry").code, 404)
        r = self.c.post(CM, cm("mut", labels={"mut": "yes"}))
        self.assertEqual(r.code, 201, r.raw)
        self.assertEqual(self.c.get(CM + "/mut").json["metadata"]["labels"],
                         {"mut": "yes", "mutated": "yes"})
        req = SEEN[-1][1]
        self.assertEqual((req["operation"], req["resource"]["resource"], req["name"],
                          req["namespace"], req["userInfo"]["username"], req["dryRun"]),
                         ("CREATE", "configmaps", "mut", "default", "admin", False))

    def test_update_patch_and_delete_are_admitted(self):
        self.c.post(CM, cm("guarded", labels={"guard": "yes"}))
        self.register("ValidatingWebhookConfiguration", "guard", "/deny",
                      ["UPDATE", "DELETE"], "guard")
        self.assertStatus(self.c.patch(CM + "/guarded", {"data": {"x": "1"}}), 403)
        self.assertStatus(self.c.delete(CM + "/guarded"), 403)
        self.assertEqual(self.c.get(CM + "/guarded").json["data"], {"k": "v"})

    def test_namespace_selector_sees_namespace_labels(self):
        cfg = hook_config("ValidatingWebhookConfiguration", "nssel", self.base + "/deny",
                          self.ca, ["CREATE"], "unused")
        del cfg["webhooks"][0]["objectSelector"]
        cfg["webhooks"][0]["namespaceSelector"] = {"matchLabels": {"guarded": "on"}}
        self.assertEqual(self.c.post(VWC, cfg).code, 201)
        self.addCleanup(self.c.delete, VWC + "/nssel")
        for ns, labels in (("ns-on", {"guarded": "on"}), ("ns-off", {})):
            self.c.post("/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace",
                                                "metadata": {"name": ns, "labels": labels}})
        self.assertStatus(self.c.post("/api/v1/namespaces/ns-on/configmaps", cm("x", "ns-on")),
                          403)
        self.assertEqual(self.c.post("/api/v1/namespaces/ns-off/configmaps",
                                     cm("x", "ns-off")).code, 201)

    def test_webhook_configurations_are_not_admitted(self):
        self.register("ValidatingWebhookConfiguration", "deny-all", "/deny",
                      ["CREATE", "UPDATE", "DELETE"], "any", resources=("*",))
        SEEN.clear()
        other = hook_config("ValidatingWebhookConfiguration", "other", self.base + "/deny",
                            self.ca, ["CREATE"], "x")
        other["metadata"]["labels"] = {"any": "yes"}
        self.assertEqual(self.c.post(VWC, other).code, 201)
        self.assertEqual(self.c.delete(VWC + "/other").code, 200)
        self.assertEqual(SEEN, [])


if __name__ == "__main__":
    unittest.main()
