"""tests/golden/test_policy_crds.py - the AppStackPolicy and AppStackPolicyException CRDs
(crds/appstackpolicy.yaml, crds/appstackpolicyexception.yaml) are structural, documented
on every field, have printer columns that point at real fields, and accept what the
engine accepts: a full example of each validates against its schema and loads through
`appstackctl check --policy`.
"""
import os
import subprocess
import tempfile
import unittest

import kubeyaml
import schemacheck

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.environ.get("APPSTACK_BIN", os.path.join(ROOT, "bin"))

POLICY = """apiVersion: appstack.io/v1alpha1
kind: AppStackPolicy
metadata:
  name: default
spec:
  podSecurity:
    level: baseline
  modes:
    images: warn
    pss-baseline-host-ports: "off"
  allowedRegistries: [ghcr.io/acme, docker.io/library]
  requireDigest: false
  resources:
    maxPerContainer: {cpu: "2", memory: 4Gi}
    maxPerPod: {cpu: "4", memory: 8Gi}
    maxLimitRequestRatio: 4
  allowedServiceTypes: [LoadBalancer]
  exemptNamespaces: [monitoring]
  exemptUsers: ["system:serviceaccount:ci:deployer"]
  operatorServiceAccount: "system:serviceaccount:appstack-system:appstack-operator"
"""

EXCEPTION = """apiVersion: appstack.io/v1alpha1
kind: AppStackPolicyException
metadata:
  name: legacy-agent
  namespace: demo
spec:
  rules: [pss-baseline-host-path, images]
  match:
    kinds: [DaemonSet]
    names: [node-agent]
    labelSelector:
      matchLabels: {app: node-agent}
      matchExpressions:
      - {key: tier, operator: In, values: [infra]}
  reason: reads host logs until the vendor ships a sidecar
  ticket: SEC-1234
  expiresAt: "2027-06-30T00:00:00Z"
"""


def load(name):
    return kubeyaml.load_one(os.path.join(ROOT, "crds", name))


def walk(node, path, visit):
    visit(path, node)
    for key, child in (node.get("properties") or {}).items():
        walk(child, f"{path}.{key}", visit)
    if isinstance(node.get("items"), dict):
        walk(node["items"], f"{path}[]", visit)
    if isinstance(node.get("additionalProperties"), dict):
        walk(node["additionalProperties"], f"{path}{{}}", visit)


@unittest.skipUnless(kubeyaml.available(), "kubectl is needed to read YAML as the API server does")
class PolicyCRDs(unittest.TestCase):
    FILES = {"appstackpolicy.yaml": ("AppStackPolicy", "Cluster", POLICY),
             "appstackpolicyexception.yaml": ("AppStackPolicyException", "Namespaced", EXCEPTION)}

    def test_names_scope_and_structure(self):
        for name, (kind, scope, _) in self.FILES.items():
            crd = load(name)
            with self.subTest(name):
                self.assertEqual(crd["spec"]["group"], "appstack.io")
                self.assertEqual(crd["spec"]["names"]["kind"], kind)
                self.assertEqual(crd["spec"]["scope"], scope)
                self.assertEqual(crd["metadata"]["name"],
                                 f"{crd['spec']['names']['plural']}.appstack.io")
                version = crd["spec"]["versions"][0]
                self.assertEqual(version["name"], "v1alpha1")
                problems = []

                def visit(path, node):
                    if "type" not in node:
                        problems.append(f"{path}: no type (not structural)")
                    # kube-apiserver refuses anything but a type on the root metadata
                    if not node.get("description") and path != ".metadata":
                        problems.append(f"{path}: no description")
                walk(version["schema"]["openAPIV3Schema"], "", visit)
                self.assertEqual(problems, [])

    def test_printer_columns_point_at_schema_fields(self):
        for name in self.FILES:
            version = load(name)["spec"]["versions"][0]
            schema = version["schema"]["openAPIV3Schema"]
            self.assertTrue(version.get("additionalPrinterColumns"))
            for col in version["additionalPrinterColumns"]:
                with self.subTest(name=name, column=col["name"]):
                    self.assertTrue(col.get("description"))
                    node = schema
                    for part in col["jsonPath"].lstrip(".").split("."):
                        if part == "creationTimestamp" and node is schema["properties"]["metadata"]:
                            break
                        node = node["properties"][part]

    def test_examples_validate_and_load_in_the_engine(self):
        checker = schemacheck.Checker()
        for name, (_, _, example) in self.FILES.items():
            schema = load(name)["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
            with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as f:
                f.write(example)
            try:
                obj = kubeyaml.load_one(f.name)
            finally:
                os.unlink(f.name)
            with self.subTest(name):
                self.assertEqual(checker.validate(schema["properties"]["spec"], obj["spec"], "spec"),
                                 [])
        ctl = os.path.join(BIN, "appstackctl")
        probe = subprocess.run([ctl, "check", "--help"], capture_output=True, text=True)
        if probe.returncode != 0:
            self.skipTest("appstackctl check is not available")
        with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as f:
            f.write(POLICY + "---\n" + EXCEPTION)
        try:
            proc = subprocess.run([ctl, "check", "--policy", f.name, "-f",
                                   os.path.join(ROOT, "tests/golden/policy/good/pod-restricted.yaml")],
                                  capture_output=True, text=True)
        finally:
            os.unlink(f.name)
        self.assertEqual(proc.returncode, 0, proc.stderr)

    def test_bad_mode_is_rejected_by_the_schema(self):
        schema = load("appstackpolicy.yaml")["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
        errors = schemacheck.Checker().validate(schema["properties"]["spec"],
                                                {"modes": {"images": "block"}}, "spec")
        self.assertTrue(any("spec.modes.images" in e for e in errors), errors)


if __name__ == "__main__":
    unittest.main()
