"""tests/golden/test_crds_accepted.py - every CRD in crds/ passes the same structural and
API validation the local API server applies on CRD create (tests/apiserver/schema.py,
written from kube-apiserver's apiextensions validation), so `kubectl apply -f crds/`
is not refused for a schema reason. CEL rules are not compiled here (see schema.py).
"""
import glob
import os
import sys
import unittest

import kubeyaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests", "apiserver"))
import schema  # noqa: E402  (the local API server's CRD validation)

CRD_FILES = sorted(f for f in glob.glob(os.path.join(ROOT, "crds", "*.yaml"))
                   if os.path.basename(f) != "kustomization.yaml")


class CRDsAccepted(unittest.TestCase):
    def test_there_are_crds(self):
        self.assertGreaterEqual(len(CRD_FILES), 3)

    def test_each_crd_is_structural_and_valid(self):
        for path in CRD_FILES:
            with self.subTest(crd=os.path.basename(path)):
                docs = kubeyaml.load_all(path)
                for crd in docs:
                    self.assertEqual(crd.get("kind"), "CustomResourceDefinition")
                    self.assertEqual(schema.check_structural(crd), [])

    def test_metadata_with_description_is_refused(self):
        """The check itself must catch what kube-apiserver refuses (a described metadata)."""
        crd = kubeyaml.load_one(CRD_FILES[0])
        version = crd["spec"]["versions"][0]
        version["schema"]["openAPIV3Schema"]["properties"]["metadata"] = {
            "type": "object", "description": "Standard object metadata."}
        self.assertNotEqual(schema.check_structural(crd), [])


if __name__ == "__main__":
    unittest.main()
