"""tests/golden/test_crd.py - the AppStack CRD (crds/appstack.yaml) is fresh, structural,
documented, bounded for CEL cost, and its CEL rules all have Python mirrors.

The CRD is read with kubectl's YAML parser (kubeyaml.py). What the API server
does with it is not tested here (no kube-apiserver in this tier); these tests
enforce the rules kube-apiserver applies to CRD schemas that matter to us.
"""
import json
import os
import re
import subprocess
import sys
import unittest

import appstackcheck
import kubeyaml
import schemacheck

ROOT = appstackcheck.ROOT
CRD_PATH = os.path.join(ROOT, "crds", "appstack.yaml")

# Short names of built-in resources (kubectl api-resources, Kubernetes 1.32) and of common
# add-ons (cert-manager, prometheus-operator, Argo CD, Flux, Gateway API, Istio, Knative, KEDA,
# Kyverno, Velero, Tekton, Crossplane...), from their CRDs as known to the author: a guard
# against the obvious collisions, not an exhaustive registry. Argo CD's "app"/"apps" is why
# the AppStack short name is not "app".
TAKEN_SHORT_NAMES = {
    # core and built-in groups
    "cs", "cm", "ep", "ev", "limits", "ns", "no", "pvc", "pv", "po", "rc", "quota", "sa", "svc",
    "crd", "crds", "ds", "deploy", "rs", "sts", "hpa", "cj", "csr", "ing", "ingclass", "netpol",
    "pdb", "psp", "pc", "sc", "ipa", "vac", "vattr", "ipaddr", "sr", "cidr", "ingressclass",
    "mwc", "vwc", "vap", "vapb", "ev", "events", "svm",
    # cert-manager
    "cert", "certs", "cr", "crs", "ch", "challenges", "ciss", "iss",
    # prometheus-operator
    "am", "amcfg", "pmon", "prb", "prom", "promagent", "promrule", "ruler", "scfg", "smon",
    # Argo CD, Argo Rollouts, Argo Workflows
    "app", "apps", "appset", "appsets", "appproj", "appprojs", "ro", "wf", "cwf", "wftmpl",
    "cwftmpl", "cronwf",
    # Flux
    "ks", "hr", "gitrepo", "helmrepo", "ocirepo", "hc", "alert", "provider", "receiver",
    "imagerepo", "imagepol", "imgupd",
    # Gateway API
    "gtw", "gc", "refgrant",
    # Istio
    "vs", "gw", "dr", "se", "pa", "ra", "ap", "we", "wg", "tm", "wasm",
    # Knative
    "ksvc", "kcfg", "rt", "rev", "kroute", "kservice", "kconfig", "revision", "route",
    # KEDA, Kyverno, Velero, Tekton, Crossplane, Strimzi, CloudNativePG, Rancher
    "so", "sj", "ta", "cta", "pol", "cpol", "polr", "cpolr", "ur", "polex", "backup", "restore",
    "schedule", "tr", "pr", "pipe", "task", "ct", "xrd", "xrds", "comp", "pkg", "kt", "kafka",
    "cluster", "pooler",
}
CEL_REASONS = {"FieldValueInvalid", "FieldValueForbidden", "FieldValueRequired",
               "FieldValueDuplicate"}


def walk(node, path, visit):
    """Calls visit(path, node) for every schema node below node (properties, items, maps)."""
    visit(path, node)
    for name, child in node.get("properties", {}).items():
        walk(child, path + "." + name, visit)
    if isinstance(node.get("items"), dict):
        walk(node["items"], path + "[]", visit)
    if isinstance(node.get("additionalProperties"), dict):
        walk(node["additionalProperties"], path + "{}", visit)


@unittest.skipUnless(kubeyaml.available(), "kubectl is needed to read YAML (no YAML parser in "
                     "the Python standard library)")
class CRDTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.crd = kubeyaml.load_one(CRD_PATH)
        version = cls.crd["spec"]["versions"][0]
        cls.version = version
        cls.schema = version["schema"]["openAPIV3Schema"]

    def nodes(self):
        found = []
        walk(self.schema, "", lambda p, n: found.append((p, n)))
        return found

    # -------------------------------------------------------------- freshness
    def test_generated_files_are_fresh(self):
        proc = subprocess.run([sys.executable, os.path.join(ROOT, "hack", "gen-api.py"),
                               "--check"], capture_output=True, text=True)
        self.assertEqual(proc.returncode, 0, proc.stderr)

    def test_yaml_file_parses_to_the_generator_output(self):
        # Guards the small YAML emitter in hack/gen-api.py: kubectl must read back
        # exactly the data the generator wrote.
        wanted = appstackcheck.appstack_schema.crd()
        self.assertEqual(json.dumps(self.crd, sort_keys=True), json.dumps(wanted, sort_keys=True))

    # -------------------------------------------------------------- names, versions
    def test_names_scope_and_version(self):
        spec = self.crd["spec"]
        self.assertEqual(self.crd["metadata"]["name"], "appstacks.appstack.io")
        self.assertEqual(spec["group"], "appstack.io")
        self.assertEqual(spec["scope"], "Namespaced")
        names = spec["names"]
        self.assertEqual((names["kind"], names["plural"], names["singular"], names["listKind"]),
                         ("AppStack", "appstacks", "appstack", "AppStackList"))
        self.assertEqual(names["categories"], ["appstack"])
        self.assertEqual(len(spec["versions"]), 1)
        self.assertEqual(self.version["name"], "v1alpha1")
        self.assertTrue(self.version["served"] and self.version["storage"])
        self.assertEqual(self.version["subresources"], {"status": {}})

    def test_short_names_collide_with_nothing_known(self):
        for short in self.crd["spec"]["names"]["shortNames"]:
            self.assertNotIn(short, TAKEN_SHORT_NAMES)
            self.assertRegex(short, r"^[a-z]+$")

    def test_printer_columns(self):
        cols = self.version["additionalPrinterColumns"]
        self.assertEqual([c["name"] for c in cols], ["Ready", "Reason", "URL", "Age"])
        for col in cols:
            self.assertIn(col["type"], {"string", "integer", "number", "boolean", "date"})
            self.assertTrue(self.json_path_resolves(col["jsonPath"]), col["jsonPath"])
        self.assertFalse(self.json_path_resolves(".status.nope"))
        self.assertFalse(self.json_path_resolves('.status.conditions[?(@.type=="Ready")].nope'))

    def json_path_resolves(self, path):
        """True when a printer-column JSONPath names a field of the schema."""
        if path == ".metadata.creationTimestamp":
            return True
        node = self.schema
        for part in re.findall(r"\.([A-Za-z]+)|\[\?\(@\.[A-Za-z]+==\"[A-Za-z]+\"\)\]", path):
            if part == "":  # a filter: step into the list's items
                if node.get("type") != "array":
                    return False
                node = node["items"]
                continue
            if part not in node.get("properties", {}):
                return False
            node = node["properties"][part]
        return True

    # -------------------------------------------------------------- structural
    def test_schema_is_structural(self):
        for path, node in self.nodes():
            if path in (".metadata",):
                continue
            with self.subTest(path=path):
                if node.get("x-kubernetes-int-or-string"):
                    self.assertNotIn("type", node)
                    self.assertEqual(node.get("anyOf"), [{"type": "integer"}, {"type": "string"}])
                else:
                    self.assertIn(node.get("type"), {"string", "integer", "boolean", "object",
                                                     "array", "number"})
                    self.assertNotIn("anyOf", node)
                self.assertFalse("properties" in node and "additionalProperties" in node)
                if node.get("type") == "array":
                    self.assertIsInstance(node.get("items"), dict)
                for key in ("oneOf", "allOf", "not", "$ref", "additionalItems", "uniqueItems"):
                    self.assertNotIn(key, node)

    def test_metadata_restricts_only_name(self):
        meta = self.schema["properties"]["metadata"]
        self.assertEqual(set(meta), {"type", "properties"})
        self.assertLessEqual(set(meta["properties"]), {"name", "generateName"})

    def test_every_property_is_documented(self):
        for path, node in self.nodes():
            if path in ("", ".metadata", ".metadata.name"):
                continue
            with self.subTest(path=path):
                self.assertGreater(len(node.get("description", "").strip()), 3)

    def test_lists_and_strings_are_bounded(self):
        for path, node in self.nodes():
            with self.subTest(path=path):
                if node.get("type") == "array":
                    self.assertIn("maxItems", node)
                if node.get("type") == "string":
                    self.assertIn("maxLength", node)
                if node.get("type") == "object" and "additionalProperties" in node:
                    self.assertIn("maxProperties", node)

    def test_list_map_keys_are_required_or_defaulted_scalars(self):
        for path, node in self.nodes():
            if node.get("x-kubernetes-list-type") != "map":
                continue
            item = node["items"]
            for key in node["x-kubernetes-list-map-keys"]:
                with self.subTest(path=path, key=key):
                    sub = item["properties"][key]
                    self.assertIn(sub.get("type"), {"string", "integer", "boolean"})
                    self.assertTrue(key in item.get("required", []) or "default" in sub)

    def test_patterns_compile_and_defaults_validate(self):
        checker = schemacheck.Checker()
        for path, node in self.nodes():
            with self.subTest(path=path):
                if "pattern" in node:
                    re.compile(node["pattern"])
                if "default" in node:
                    value = schemacheck.apply_defaults(node, json.loads(json.dumps(node["default"])))
                    self.assertEqual(checker.validate(node, value, "default"), [])

    def test_enums_match_their_type(self):
        for path, node in self.nodes():
            for value in node.get("enum", []):
                self.assertIsInstance(value, str, path)

    # -------------------------------------------------------------- CEL
    def cel_rules(self):
        found = []
        for path, node in self.nodes():
            for r in node.get("x-kubernetes-validations", []):
                found.append((path, node, r))
        return found

    def test_cel_rules_have_messages_reasons_and_real_field_paths(self):
        rules = self.cel_rules()
        self.assertGreater(len(rules), 20)
        for path, node, r in rules:
            with self.subTest(path=path, rule=r["rule"][:60]):
                self.assertEqual(set(r) - {"rule", "message", "fieldPath", "reason"}, set())
                self.assertIn(" — ", r["message"])  # problem — what to do
                self.assertEqual(r["message"], r["message"].strip())
                if "reason" in r:
                    self.assertIn(r["reason"], CEL_REASONS)
                if "fieldPath" in r:
                    target = node
                    for part in r["fieldPath"].lstrip(".").split("."):
                        self.assertIn(part, target.get("properties", {}))
                        target = target["properties"][part]
                        if target.get("type") == "array":
                            target = target["items"]

    def test_cel_self_references_name_real_fields(self):
        # A typo in `self.foo.bar` would only show at the API server; walk every chain.
        for path, node, r in self.cel_rules():
            for chain in re.findall(r"\bself((?:\.[A-Za-z_][A-Za-z0-9_]*)+)", r["rule"]):
                target = node
                for part in chain.lstrip(".").split("."):
                    if target.get("type") != "object" or "properties" not in target:
                        break  # a method on a list or string (all, exists, endsWith...)
                    with self.subTest(path=path, chain=chain):
                        self.assertIn(part, target["properties"])
                    target = target["properties"].get(part, {})

    def test_cel_rules_are_well_formed(self):
        # No CEL parser in the standard library: check brackets, quotes and that only
        # functions and macros of Kubernetes' CEL environment are called.
        known = {"has", "all", "exists", "exists_one", "map", "filter", "size", "endsWith",
                 "startsWith", "contains", "matches"}
        pairs = {")": "(", "]": "[", "}": "{"}
        for path, _, r in self.cel_rules():
            with self.subTest(path=path, rule=r["rule"][:60]):
                code = re.sub(r"'[^'\\]*'", "''", r["rule"])
                self.assertEqual(code.count("'") % 2, 0)
                self.assertNotIn('"', code)
                stack = []
                for ch in code:
                    if ch in "([{":
                        stack.append(ch)
                    elif ch in pairs:
                        self.assertTrue(stack and stack.pop() == pairs[ch])
                self.assertEqual(stack, [])
                for name in re.findall(r"([A-Za-z_][A-Za-z0-9_]*)\s*\(", code):
                    self.assertIn(name, known)

    def test_cel_lists_iterated_are_small(self):
        # Cost: every list a rule iterates is bounded; the nested products stay small.
        for path, node in self.nodes():
            if not path.startswith(".spec"):
                continue  # status has no CEL rules
            if node.get("type") == "array" and node.get("items", {}).get("type") == "object":
                self.assertLessEqual(node["maxItems"], 32, path)

    def test_every_cel_rule_has_exactly_one_python_mirror(self):
        checker = appstackcheck.AppStackChecker(self.crd)
        rule_of = {}
        for _, _, r in self.cel_rules():
            # One message, one rule (the same rule may sit on two alike nodes).
            self.assertEqual(rule_of.setdefault(r["message"], r["rule"]), r["rule"])
        self.assertEqual(checker.used, set(rule_of))

    # -------------------------------------------------------------- status
    def test_status_conditions_have_the_standard_shape(self):
        cond = self.schema["properties"]["status"]["properties"]["conditions"]
        self.assertEqual(cond["x-kubernetes-list-type"], "map")
        self.assertEqual(cond["x-kubernetes-list-map-keys"], ["type"])
        self.assertEqual(sorted(cond["items"]["required"]),
                         ["lastTransitionTime", "message", "reason", "status", "type"])

    def test_status_has_what_the_operator_writes(self):
        status = self.schema["properties"]["status"]["properties"]
        for key in ("observedGeneration", "conditions", "components", "url", "certificate",
                    "backups", "inventory", "policy"):
            self.assertIn(key, status)
        self.assertIn("notAfter", status["certificate"]["properties"])
        self.assertIn("lastSuccessfulTime", status["backups"]["items"]["properties"])


if __name__ == "__main__":
    unittest.main()
