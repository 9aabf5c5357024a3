"""Integration: the API server (KUBECONFIG; the local test API server in CI) calls a locally
started appstack-webhook for real, through ValidatingWebhookConfiguration /
MutatingWebhookConfiguration objects with a url clientConfig (https://127.0.0.1:PORT/...)
and a caBundle. Checks what a cluster user sees through kubectl: a privileged pod denied
with the full message, a compliant pod admitted, warnings printed by kubectl, restricted
defaults added by the mutating webhook, a hand edit (and a kubectl scale) of a guarded
child refused for a user and allowed for the operator's account, a policy change applied live (no restart),
certificate rotation in self-managed mode under continuous requests with none lost, and
/readyz answering 503 until the policy informers have synced (local API server: it slows
the API down on request).

Every webhook configuration is scoped by namespaceSelector to this test's namespace, so
nothing else in the cluster is affected, and everything is deleted at the end. Against a
real cluster the API server must be able to reach 127.0.0.1 on the test machine, which is
true only for a local API server: set APPSTACK_WEBHOOK_URL_HOST otherwise, or the suite
skips."""
import base64
import json
import os
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "golden"))
import webhookproc  # noqa: E402

ROOT = webhookproc.ROOT
OPERATOR = "system:serviceaccount:appstack-system:appstack-operator"
KUBECONFIG = os.environ.get("KUBECONFIG")
LOCAL = os.environ.get("APPSTACK_LOCAL_APISERVER") == "1"




def kubectl(*args, stdin=None, check=True, timeout=60):
    p = subprocess.run(["kubectl", *args], input=stdin, capture_output=True, text=True,
                       timeout=timeout)
    if check and p.returncode != 0:
        raise AssertionError(f"kubectl {' '.join(args)} failed: {p.stderr}")
    return p


def apply(obj, *extra, check=True):
    return kubectl("apply", "-f", "-", *extra, stdin=json.dumps(obj), check=check)


SC = {"allowPrivilegeEscalation": False, "runAsNonRoot": True, "runAsUser": 10001,
      "capabilities": {"drop": ["ALL"]}, "seccompProfile": {"type": "RuntimeDefault"}}
RES = {"requests": {"cpu": "50m", "memory": "32Mi"}, "limits": {"cpu": "100m", "memory": "64Mi"}}


def pod(ns, name, sc=None, resources=None, image="registry.example.com/app:1.0.0"):
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": ns},
            "spec": {"securityContext": {"seccompProfile": {"type": "RuntimeDefault"}},
                     "containers": [{"name": "app", "image": image,
                                     "resources": RES if resources is None else resources,
                                     "securityContext": SC if sc is None else sc}]}}


def hook_config(kind, name, ns, url, ca_pem, path, operations=("CREATE", "UPDATE")):
    entry = {
        "name": f"{path.strip('/').replace('/', '-')}.appstack.io",
        "clientConfig": {"url": url + path,
                         "caBundle": base64.b64encode(ca_pem.encode()).decode()},
        "rules": [{"apiGroups": ["", "apps"], "apiVersions": ["v1"],
                   "operations": list(operations),
                   "resources": ["pods", "deployments"], "scope": "Namespaced"},
                  {"apiGroups": ["apps"], "apiVersions": ["v1"], "operations": ["UPDATE"],
                   "resources": ["deployments/scale"], "scope": "Namespaced"}],
        "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": ns}},
        "failurePolicy": "Fail", "sideEffects": "None", "timeoutSeconds": 5,
        "admissionReviewVersions": ["v1"]}
    if kind == "MutatingWebhookConfiguration":
        entry["reinvocationPolicy"] = "Never"
    return {"apiVersion": "admissionregistration.k8s.io/v1", "kind": kind,
            "metadata": {"name": name}, "webhooks": [entry]}


def skip_reason():
    if not KUBECONFIG:
        return "KUBECONFIG is not set (run through tests/run.py --tier integration)"
    if not os.path.exists(webhookproc.WEBHOOK):
        return "appstack-webhook is not built (make)"
    if not LOCAL and not os.environ.get("APPSTACK_WEBHOOK_URL_HOST"):
        return ("a real cluster's API server cannot reach 127.0.0.1 on this machine; set "
                "APPSTACK_WEBHOOK_URL_HOST to an address it can reach")
    return None


@unittest.skipIf(skip_reason() is not None, skip_reason() or "")
class WebhookIntegration(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.host = os.environ.get("APPSTACK_WEBHOOK_URL_HOST", "127.0.0.1")
        cls.ns = "wh-it-" + uuid.uuid4().hex[:6]
        cls.cfg_name = "appstack-it-" + cls.ns
        kubectl("apply", "--server-side", "-k", os.path.join(ROOT, "crds"))
        kubectl("create", "namespace", cls.ns)
        cls.wh = webhookproc.Webhook(["--policy-name", cls.ns + "-policy"])
        url = f"https://{cls.host}:{cls.wh.port}"
        ca = open(cls.wh.crt).read()
        apply(hook_config("ValidatingWebhookConfiguration", cls.cfg_name, cls.ns, url, ca,
                          "/validate"))
        apply(hook_config("MutatingWebhookConfiguration", cls.cfg_name, cls.ns, url, ca,
                          "/mutate", operations=("CREATE",)))

    @classmethod
    def tearDownClass(cls):
        for kind in ("validatingwebhookconfiguration", "mutatingwebhookconfiguration"):
            kubectl("delete", kind, cls.cfg_name, "--ignore-not-found", check=False)
        kubectl("delete", "appstackpolicy", cls.ns + "-policy", "--ignore-not-found", check=False)
        kubectl("delete", "namespace", cls.ns, "--wait=false", check=False)
        rc = cls.wh.stop()
        if rc != 0:
            raise AssertionError(f"appstack-webhook exited {rc}: {cls.wh.output()[-4000:]}")

    def test_not_ready_until_the_policy_informers_synced(self):
        if not LOCAL:
            self.skipTest("slowing the API server down needs /_local/faults (latencyMs), which "
                          "only the local test API server has")
        faults = ["--raw", "/_local/faults"]
        kubectl("create", *faults, "-f", "-", stdin=json.dumps({"latencyMs": 2000}))
        wh = None
        try:
            wh = webhookproc.Webhook(["--policy-name", self.ns + "-policy"], wait=False)
            first, deadline = None, time.time() + 10
            while first is None and time.time() < deadline:
                try:
                    first = wh.readyz()
                except OSError:  # not listening yet
                    time.sleep(0.05)
            # every list takes 2 s now: the server is up before its policies are known
            self.assertIsNotNone(first, wh.output()[-2000:])
            self.assertEqual(first[0], 503, first)
            self.assertIn("AppStackPolicy informers have not synced", first[1])
        finally:
            kubectl("delete", *faults, check=False)
            if wh is not None:
                try:
                    wh.wait_ready(30)
                finally:
                    self.assertEqual(wh.stop(), 0, wh.output()[-2000:])

    def test_privileged_pod_denied_with_full_message(self):
        p = apply(pod(self.ns, "priv", sc=dict(SC, privileged=True)), check=False)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("denied the request", p.stderr)
        self.assertIn("pss-baseline-privileged spec.containers[0].securityContext.privileged: ",
                      p.stderr)
        self.assertIn(" — ", p.stderr)
        got = kubectl("get", "pod", "priv", "-n", self.ns, check=False)
        self.assertNotEqual(got.returncode, 0)

    def test_every_violation_is_listed(self):
        p = apply(pod(self.ns, "many", sc=dict(SC, privileged=True),
                      image="registry.example.com/app:latest"), check=False)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("pss-baseline-privileged", p.stderr)
        self.assertIn("img-no-latest spec.containers[0].image", p.stderr)

    def test_compliant_pod_admitted(self):
        apply(pod(self.ns, "good"))
        got = json.loads(kubectl("get", "pod", "good", "-n", self.ns, "-o", "json").stdout)
        self.assertEqual(got["spec"]["containers"][0]["securityContext"]["runAsUser"], 10001)

    def test_warnings_reach_kubectl(self):
        p = apply(pod(self.ns, "nolimits", resources={"requests": RES["requests"]}))
        self.assertIn("Warning: res-limits-required spec.containers[0].resources.limits.cpu",
                      p.stderr)

    def test_mutation_fills_restricted_defaults(self):
        bare = pod(self.ns, "bare", sc={"runAsNonRoot": True, "runAsUser": 10001})
        del bare["spec"]["securityContext"]
        apply(bare)
        got = json.loads(kubectl("get", "pod", "bare", "-n", self.ns, "-o", "json").stdout)
        c = got["spec"]["containers"][0]["securityContext"]
        self.assertEqual(got["spec"]["securityContext"]["seccompProfile"]["type"],
                         "RuntimeDefault")
        self.assertIs(c["allowPrivilegeEscalation"], False)
        self.assertEqual(c["capabilities"]["drop"], ["ALL"])

    def test_guarded_child_hand_edit_refused(self):
        with open(os.path.join(ROOT, "examples", "minimal.yaml")) as f:
            stack = f.read()
        kubectl("apply", "-n", self.ns, "-f", "-", stdin=stack)
        name = "hello"  # metadata.name of examples/minimal.yaml
        uid = kubectl("get", "appstacks.appstack.io", name, "-n", self.ns, "-o",
                      "jsonpath={.metadata.uid}").stdout
        self.assertTrue(uid)
        dep = {"apiVersion": "apps/v1", "kind": "Deployment",
               "metadata": {"name": "guarded", "namespace": self.ns,
                            "ownerReferences": [{"apiVersion": "appstack.io/v1alpha1",
                                                 "kind": "AppStack", "name": name, "uid": uid,
                                                 "controller": True,
                                                 "blockOwnerDeletion": True}]},
               "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "g"}},
                        "template": {"metadata": {"labels": {"app": "g"}},
                                     "spec": pod(self.ns, "x")["spec"]}}}
        apply(dep, "--as", OPERATOR)
        patch = json.dumps({"spec": {"template": {"spec": {"containers": [
            {"name": "app", "image": "registry.example.com/app:6.6.6"}]}}}})
        p = kubectl("patch", "deployment", "guarded", "-n", self.ns, "--as", "alice",
                    "--type", "strategic", "-p", patch, check=False)
        self.assertNotEqual(p.returncode, 0, p.stdout)
        self.assertIn("grd-owned-by-appstack spec.template.spec.containers[0].image", p.stderr)
        kubectl("patch", "deployment", "guarded", "-n", self.ns, "--as", OPERATOR,
                "--type", "strategic", "-p", patch)
        # kubectl scale goes through /scale, whose Scale names no owner: still refused
        p = kubectl("scale", "deployment", "guarded", "-n", self.ns, "--as", "alice",
                    "--replicas", "5", check=False)
        self.assertNotEqual(p.returncode, 0, p.stdout)
        self.assertIn("grd-owned-by-appstack spec.replicas: replicas changed through /scale",
                      p.stderr)
        kubectl("scale", "deployment", "guarded", "-n", self.ns, "--as", OPERATOR,
                "--replicas", "2")
        self.assertEqual(kubectl("get", "deployment", "guarded", "-n", self.ns, "-o",
                                 "jsonpath={.spec.replicas}").stdout, "2")
        # an unowned Deployment scales freely
        free = json.loads(json.dumps(dep))
        free["metadata"]["name"] = "free"
        del free["metadata"]["ownerReferences"]
        apply(free)
        kubectl("scale", "deployment", "free", "-n", self.ns, "--as", "alice", "--replicas", "3")

    def test_policy_change_applies_live(self):
        """img-no-latest switched to audit by an AppStackPolicy: admitted, recorded."""
        policy = {"apiVersion": "appstack.io/v1alpha1", "kind": "AppStackPolicy",
                  "metadata": {"name": self.ns + "-policy"},
                  "spec": {"modes": {"img-no-latest": "audit"}}}
        apply(policy)
        try:
            deadline = time.time() + 20
            while True:
                p = kubectl("create", "--dry-run=server", "-o", "name", "-f", "-",
                            stdin=json.dumps(pod(self.ns, "latest",
                                                 image="registry.example.com/app:latest")),
                            check=False)
                if p.returncode == 0 or time.time() > deadline:
                    break
                time.sleep(0.5)
            self.assertEqual(p.returncode, 0, p.stderr)
            with open(self.wh.audit) as f:
                audited = [json.loads(line) for line in f]
            self.assertTrue(any(r["decision"] == "allowed" and r["mode"] == "audit" and
                                "img-no-latest" in r["rules"] for r in audited))
        finally:
            kubectl("delete", "appstackpolicy", self.ns + "-policy", check=False)


@unittest.skipIf(skip_reason() is not None, skip_reason() or "")
class SelfManagedRotation(unittest.TestCase):
    """Self-managed mode: the webhook creates its CA and serving certificate in a Secret,
    injects the CA into the configuration, and re-issues the serving certificate every few
    seconds (--cert-validity 6s); requests through the API server keep succeeding."""

    def test_rotation_under_continuous_requests_loses_none(self):
        ns = "wh-rot-" + uuid.uuid4().hex[:6]
        name = "appstack-rot-" + ns
        kubectl("create", "namespace", ns)
        port = webhookproc.free_port()
        workdir = tempfile.mkdtemp(prefix="appstack-rot-")
        log = open(os.path.join(workdir, "webhook.log"), "wb")
        url = f"https://{os.environ.get('APPSTACK_WEBHOOK_URL_HOST', '127.0.0.1')}:{port}"
        # registered first with an empty caBundle: the webhook injects its own CA
        cfg = hook_config("ValidatingWebhookConfiguration", name, ns, url, "", "/validate")
        del cfg["webhooks"][0]["clientConfig"]["caBundle"]
        apply(cfg)
        proc = subprocess.Popen([webhookproc.WEBHOOK, "--listen", f"127.0.0.1:{port}",
                                 "--cert-secret", f"{ns}/webhook-tls", "--local",
                                 "--webhook-config", name, "--cert-validity", "6s",
                                 "--no-watch"], stdout=log, stderr=subprocess.STDOUT)
        try:
            secret = None
            deadline = time.time() + 20
            while time.time() < deadline and secret is None:
                p = kubectl("get", "secret", "webhook-tls", "-n", ns, "-o", "json", check=False)
                if p.returncode == 0:
                    secret = json.loads(p.stdout)
                time.sleep(0.2)
            self.assertIsNotNone(secret, "the webhook did not create its Secret")
            self.assertEqual(sorted(secret["data"]), ["ca.crt", "ca.key", "tls.crt", "tls.key"])
            deadline = time.time() + 10
            while time.time() < deadline:
                got = json.loads(kubectl("get", "validatingwebhookconfiguration", name, "-o",
                                         "json").stdout)
                if got["webhooks"][0]["clientConfig"].get("caBundle"):
                    break
                time.sleep(0.2)
            self.assertEqual(got["webhooks"][0]["clientConfig"]["caBundle"],
                             secret["data"]["ca.crt"])
            first = ssl.get_server_certificate(("127.0.0.1", port))
            failures, done = [], 0
            stop_at = time.time() + 14
            while time.time() < stop_at:
                p = kubectl("create", "--dry-run=server", "-o", "name", "-f", "-",
                            stdin=json.dumps(pod(ns, "rot-" + str(done))), check=False)
                done += 1
                if p.returncode != 0:
                    failures.append(p.stderr)
            last = ssl.get_server_certificate(("127.0.0.1", port))
            self.assertNotEqual(first, last, "the serving certificate was not rotated")
            self.assertGreater(done, 10)
            self.assertEqual(failures, [])
            denied = kubectl("create", "--dry-run=server", "-f", "-", check=False,
                             stdin=json.dumps(pod(ns, "p", sc=dict(SC, privileged=True))))
            self.assertIn("pss-baseline-privileged", denied.stderr)
        finally:
            proc.terminate()
            rc = proc.wait(10)
            log.close()
            kubectl("delete", "validatingwebhookconfiguration", name, "--ignore-not-found",
                    check=False)
            kubectl("delete", "namespace", ns, "--wait=false", check=False)
        with open(os.path.join(workdir, "webhook.log")) as f:
            self.assertEqual(rc, 0, f.read()[-4000:])

    def test_secret_is_reused_on_restart(self):
        ns = "wh-reuse-" + uuid.uuid4().hex[:6]
        kubectl("create", "namespace", ns)
        workdir = tempfile.mkdtemp(prefix="appstack-reuse-")
        try:
            served = []
            for run in range(2):
                port = webhookproc.free_port()
                log = open(os.path.join(workdir, f"webhook-{run}.log"), "wb")
                proc = subprocess.Popen([webhookproc.WEBHOOK, "--listen", f"127.0.0.1:{port}",
                                         "--cert-secret", f"{ns}/webhook-tls", "--local",
                                         "--cert-validity", "1h", "--no-watch"],
                                        stdout=log, stderr=subprocess.STDOUT)
                try:
                    deadline = time.time() + 15
                    pem = None
                    while pem is None and time.time() < deadline:
                        try:
                            pem = ssl.get_server_certificate(("127.0.0.1", port))
                        except OSError:
                            time.sleep(0.1)
                    self.assertIsNotNone(pem, "the webhook did not serve")
                    served.append(pem)
                finally:
                    proc.terminate()
                    self.assertEqual(proc.wait(10), 0)
                    log.close()
            secret = json.loads(kubectl("get", "secret", "webhook-tls", "-n", ns, "-o",
                                        "json").stdout)
            stored = base64.b64decode(secret["data"]["tls.crt"]).decode()
            self.assertEqual(ssl.PEM_cert_to_DER_cert(served[0]),
                             ssl.PEM_cert_to_DER_cert(served[1]))
            self.assertEqual(ssl.PEM_cert_to_DER_cert(served[1]), ssl.PEM_cert_to_DER_cert(stored))
        finally:
            kubectl("delete", "namespace", ns, "--wait=false", check=False)


if __name__ == "__main__":
    unittest.main()
