"""tests/integration/test_appstack_crd.py - the AppStack CRD as users meet it through kubectl
against an API server (the local one, or TEST_KUBECONFIG): it installs and becomes
Established, `kubectl explain` reads its field descriptions, every example applies, and a bad
field is refused naming the field."""
import json
import os
import subprocess
import sys
import time
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests", "golden"))
import kubeyaml  # noqa: E402

CRD = os.path.join(ROOT, "crds", "appstack.yaml")
EXAMPLES = sorted(os.path.join(ROOT, "examples", f) for f in os.listdir(os.path.join(ROOT, "examples"))
                  if f.endswith(".yaml"))


def kubectl(*args, stdin=None, check=True):
    p = subprocess.run(["kubectl", *args], input=stdin, capture_output=True, text=True, timeout=60)
    if check and p.returncode != 0:
        raise AssertionError(f"kubectl {' '.join(args)}: {p.stderr}")
    return p


@unittest.skipUnless(os.environ.get("KUBECONFIG"), "needs an API server (KUBECONFIG)")
class AppStackCRD(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        kubectl("apply", "--server-side", "-f", CRD)
        kubectl("wait", "--for=condition=Established", "crd/appstacks.appstack.io", "--timeout=30s")
        cls.ns = f"itest-crd-{os.getpid()}-{int(time.time()) % 100000}"
        kubectl("create", "namespace", cls.ns)

    @classmethod
    def tearDownClass(cls):
        kubectl("delete", "namespace", cls.ns, "--wait=false", check=False)

    def test_explain_reads_the_schema_descriptions(self):
        crd = kubeyaml.load_one(CRD)
        spec = crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]
        image = spec["properties"]["components"]["items"]["properties"]["image"]["description"]
        out = kubectl("explain", "appstack.spec.components").stdout
        self.assertIn("FIELDS:", out)
        self.assertIn(image.split("\n")[0].split(". ")[0], " ".join(out.split()))

    def test_every_example_applies(self):
        for path in EXAMPLES:
            with self.subTest(example=os.path.basename(path)):
                doc = kubeyaml.load_one(path)
                doc["metadata"]["namespace"] = self.ns
                kubectl("apply", "--server-side", "-f", "-", stdin=json.dumps(doc))

    def test_a_bad_field_is_refused_naming_it(self):
        doc = {"apiVersion": "appstack.io/v1alpha1", "kind": "AppStack",
               "metadata": {"name": "bad", "namespace": self.ns},
               "spec": {"components": [{"name": "web", "type": "web", "image": "nginx:1.27",
                                        "port": 99999}]}}
        p = kubectl("apply", "--server-side", "-f", "-", stdin=json.dumps(doc), check=False)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("spec.components[0].port", p.stderr)


if __name__ == "__main__":
    unittest.main()
