"""kubectl (v1.32, /usr/bin/kubectl) against the local API server: get -o
json|yaml|name, create -f, apply --server-side (and a conflict between two field
managers), patch (merge, json, strategic, --subresource=status), delete,
wait --for=condition, get -w, and CRDs installed with kubectl."""
import json
import os
import shutil
import subprocess
import tempfile
import threading
import time
import unittest

from server_harness import ServerTestCase

KUBECTL = shutil.which("kubectl")

POD = """apiVersion: v1
kind: Pod
metadata:
  name: {name}
  labels:
    app: demo
spec:
  containers:
  - name: main
    image: busybox
"""

CM_YAML = """apiVersion: v1
kind: ConfigMap
metadata:
  name: {name}
data:
  color: {color}
"""

CRD_YAML = """apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: gadgets.kubectl.example.com
spec:
  group: kubectl.example.com
  scope: Namespaced
  names: {plural: gadgets, singular: gadget, kind: Gadget, shortNames: [gd]}
  versions:
  - name: v1
    served: true
    storage: true
    subresources: {status: {}}
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            description: GadgetSpec is what the user wants.
            properties:
              size: {type: integer, description: How many gadgets to make.}
          status:
            type: object
            x-kubernetes-preserve-unknown-fields: true
"""


@unittest.skipIf(KUBECTL is None, "kubectl is not installed (needed for the kubectl tests)")
class KubectlTest(ServerTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.tmp = tempfile.mkdtemp(prefix="appstack-kubectl-")
        cls.env = dict(os.environ, KUBECONFIG=cls.server.kubeconfig, HOME=cls.tmp)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)
        super().tearDownClass()

    def kubectl(self, *args, stdin=None, check=True):
        cmd = [KUBECTL, f"--cache-dir={self.tmp}/cache"] + list(args)
        p = subprocess.run(cmd, env=self.env, input=stdin, capture_output=True, text=True,
                           timeout=60)
        if check and p.returncode != 0:
            self.fail(f"kubectl {' '.join(args)} failed ({p.returncode}): {p.stderr}")
        return p

    def write(self, name, text):
        path = os.path.join(self.tmp, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def test_create_and_get_formats(self):
        f = self.write("cm-create.yaml", CM_YAML.format(name="k-create", color="red"))
        out = self.kubectl("create", "-f", f).stdout
        self.assertEqual(out.strip(), "configmap/k-create created")
        obj = json.loads(self.kubectl("get", "configmap", "k-create", "-o", "json").stdout)
        self.assertEqual(obj["data"], {"color": "red"})
        self.assertEqual(obj["metadata"]["uid"],
                         self.c.get("/api/v1/namespaces/default/configmaps/k-create")
                         .json["metadata"]["uid"])
        y = self.kubectl("get", "cm", "k-create", "-o", "yaml").stdout
        self.assertIn("  color: red\n", y)
        self.assertIn("kind: ConfigMap\n", y)
        names = self.kubectl("get", "cm", "-o", "name").stdout.split()
        self.assertIn("configmap/k-create", names)
        p = self.kubectl("create", "-f", f, check=False)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn('configmaps "k-create" already exists', p.stderr)
        p = self.kubectl("get", "cm", "missing", check=False)
        self.assertIn('configmaps "missing" not found', p.stderr)

    def test_typed_create_commands_send_protobuf(self):
        # kubectl's generators use client-go's typed clients, which send protobuf bodies
        self.kubectl("create", "namespace", "k-proto")
        self.kubectl("create", "configmap", "k-cm", "-n", "k-proto", "--from-literal=a=b")
        self.kubectl("create", "secret", "generic", "k-sec", "-n", "k-proto",
                     "--from-literal=pw=hunter2")
        self.kubectl("create", "serviceaccount", "k-sa", "-n", "k-proto")
        ns = self.c.get("/api/v1/namespaces/k-proto").json
        self.assertEqual(ns["status"], {"phase": "Active"})
        self.assertNotIn("namespace", ns["metadata"])
        self.assertEqual(self.c.get("/api/v1/namespaces/k-proto/configmaps/k-cm").json["data"],
                         {"a": "b"})
        sec = self.c.get("/api/v1/namespaces/k-proto/secrets/k-sec").json
        self.assertEqual(sec["data"], {"pw": "aHVudGVyMg=="})
        self.assertEqual(sec["type"], "Opaque")
        self.assertEqual(self.c.get("/api/v1/namespaces/k-proto/serviceaccounts/k-sa").code, 200)
        p = self.kubectl("create", "deployment", "k-dep", "--image=x", check=False)
        self.assertNotEqual(p.returncode, 0)  # other kinds: 415, as documented
        self.assertIn("the body of the request was in an unknown format", p.stderr)

    def test_apply_server_side_and_conflict(self):
        f = self.write("cm-apply.yaml", CM_YAML.format(name="k-apply", color="blue"))
        out = self.kubectl("apply", "--server-side", "--field-manager=alice", "-f", f).stdout
        self.assertEqual(out.strip(), "configmap/k-apply serverside-applied")
        g = self.write("cm-apply2.yaml", CM_YAML.format(name="k-apply", color="green"))
        p = self.kubectl("apply", "--server-side", "--field-manager=bob", "-f", g, check=False)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("Apply failed with 1 conflict", p.stderr)
        self.assertIn('conflict with "alice"', p.stderr)
        self.assertIn(".data.color", p.stderr)
        self.kubectl("apply", "--server-side", "--field-manager=bob", "--force-conflicts",
                     "-f", g)
        obj = self.c.get("/api/v1/namespaces/default/configmaps/k-apply").json
        self.assertEqual(obj["data"], {"color": "green"})
        self.assertIn("bob", [m["manager"] for m in obj["metadata"]["managedFields"]])

    def test_patch_kinds_and_status_subresource(self):
        self.kubectl("create", "-f", self.write("pod-p.yaml", POD.format(name="k-patch")))
        self.kubectl("patch", "pod", "k-patch", "--type=merge",
                     "-p", '{"metadata":{"labels":{"merged":"yes"}}}')
        self.kubectl("patch", "pod", "k-patch", "--type=json",
                     "-p", '[{"op":"add","path":"/metadata/annotations","value":{"j":"1"}}]')
        self.kubectl("patch", "pod", "k-patch", "--type=strategic",
                     "-p", '{"spec":{"containers":[{"name":"main","image":"busybox:2"}]}}')
        self.kubectl("patch", "pod", "k-patch", "--subresource=status", "--type=merge",
                     "-p", '{"status":{"phase":"Running"}}')
        obj = self.c.get("/api/v1/namespaces/default/pods/k-patch").json
        self.assertEqual(obj["metadata"]["labels"], {"app": "demo", "merged": "yes"})
        self.assertEqual(obj["metadata"]["annotations"], {"j": "1"})
        self.assertEqual(obj["spec"]["containers"], [{"name": "main", "image": "busybox:2"}])
        self.assertEqual(obj["status"]["phase"], "Running")

    def test_impersonation_with_as(self):
        self.c.delete("/_local/requests")
        sa = "system:serviceaccount:appstack-system:appstack-operator"
        self.kubectl("get", "configmaps", "-o", "name", f"--as={sa}")
        users = {e["user"] for e in self.c.get("/_local/requests").json
                 if e["path"].startswith("/api/v1/namespaces/default/configmaps")}
        self.assertEqual(users, {sa})

    def test_delete(self):
        self.kubectl("create", "-f", self.write("cm-del.yaml",
                                                CM_YAML.format(name="k-del", color="x")))
        out = self.kubectl("delete", "configmap", "k-del").stdout
        self.assertEqual(out.strip(), 'configmap "k-del" deleted')
        self.assertEqual(self.c.get("/api/v1/namespaces/default/configmaps/k-del").code, 404)

    def test_wait_for_condition(self):
        self.kubectl("create", "-f", self.write("pod-w.yaml", POD.format(name="k-wait")))

        def become_ready():
            time.sleep(0.7)
            c = self.server.client()
            c.patch("/api/v1/namespaces/default/pods/k-wait/status",
                    {"status": {"conditions": [{"type": "Ready", "status": "True"}]}})
            c.close()
        t = threading.Thread(target=become_ready)
        t.start()
        start = time.monotonic()
        out = self.kubectl("wait", "--for=condition=Ready", "pod/k-wait", "--timeout=20s").stdout
        t.join()
        self.assertEqual(out.strip(), "pod/k-wait condition met")
        self.assertGreater(time.monotonic() - start, 0.6)

    def test_get_watch(self):
        cmd = [KUBECTL, f"--cache-dir={self.tmp}/cache", "get", "configmaps", "-w",
               "-o", "name", "--request-timeout=30s"]
        proc = subprocess.Popen(cmd, env=self.env, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        try:
            lines = []
            t = threading.Thread(target=lambda: lines.extend(
                iter(proc.stdout.readline, "")))
            t.daemon = True
            t.start()
            time.sleep(0.8)  # kubectl lists first, then watches
            self.c.post("/api/v1/namespaces/default/configmaps",
                        {"apiVersion": "v1", "kind": "ConfigMap",
                         "metadata": {"name": "k-watched"}, "data": {"a": "b"}})
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and "configmap/k-watched\n" not in lines:
                time.sleep(0.05)
            self.assertIn("configmap/k-watched\n", lines)
        finally:
            proc.kill()
            proc.wait()
            proc.stdout.close()
            proc.stderr.close()

    def test_crd_with_kubectl(self):
        self.kubectl("apply", "--server-side", "-f", self.write("crd.yaml", CRD_YAML))
        self.kubectl("wait", "--for=condition=Established",
                     "crd/gadgets.kubectl.example.com", "--timeout=10s")
        out = self.kubectl("explain", "gadget.spec").stdout
        self.assertIn("GadgetSpec is what the user wants.", out)
        self.assertIn("How many gadgets to make.", out)
        gadget = ("apiVersion: kubectl.example.com/v1\nkind: Gadget\nmetadata:\n  name: g1\n"
                  "spec:\n  size: 3\n")
        self.kubectl("apply", "--server-side", "-f", self.write("g1.yaml", gadget))
        obj = json.loads(self.kubectl("get", "gd", "g1", "-o", "json").stdout)
        self.assertEqual(obj["spec"], {"size": 3})
        self.kubectl("delete", "crd", "gadgets.kubectl.example.com")
        p = self.kubectl("get", "gadgets", check=False)
        self.assertNotEqual(p.returncode, 0)


if __name__ == "__main__":
    unittest.main()
