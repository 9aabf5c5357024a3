"""tests/golden/test_examples.py - every example in examples/ is a valid AppStack with a
header naming its seed guide; every file in tests/golden/invalid/ is refused with the
message its first line expects; and the validator itself (schemacheck, appstackcheck,
kubeyaml) is checked on small cases so a validator that accepts everything fails here.

Validation = the CRD's OpenAPI schema (schemacheck.py) plus Python re-implementations
of its CEL rules (appstackcheck.py). CEL itself is not evaluated in this tier.
"""
import glob
import os
import re
import tempfile
import unittest

import appstackcheck
import kubeyaml
import schemacheck

ROOT = appstackcheck.ROOT
EXAMPLES = sorted(glob.glob(os.path.join(ROOT, "examples", "*.yaml")))
INVALID = sorted(glob.glob(os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                        "invalid", "*.yaml")))
SEEDS_DIR = os.path.join(os.path.dirname(ROOT), "shared", "seeds")
SEED_NAME = re.compile(r"^# Seed: (\d{3}_[0-9a-f]{16}\.txt|none)\b", re.M)
EXPECT = re.compile(r"^# expect: (\S+): (.+)$")


def header(path):
    """The leading comment block of a file (the lines starting with '#')."""
    lines = []
    with open(path) as f:
        for line in f:
            if not line.startswith("#"):
                break
            lines.append(line.rstrip("\n"))
    return "\n".join(lines)


@unittest.skipUnless(kubeyaml.available(), "kubectl is needed to read YAML (no YAML parser in "
                     "the Python standard library)")
class ExamplesTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.checker = appstackcheck.AppStackChecker(
            kubeyaml.load_one(os.path.join(ROOT, "crds", "appstack.yaml")))

    def test_there_is_an_example_per_seed_and_a_minimal_one(self):
        names = {os.path.basename(p) for p in EXAMPLES}
        self.assertIn("minimal.yaml", names)
        self.assertGreaterEqual(len(names), 6)

    def test_examples_are_valid(self):
        for path in EXAMPLES:
            with self.subTest(example=os.path.basename(path)):
                obj = kubeyaml.load_one(path)
                _, errors = self.checker.validate(obj)
                self.assertEqual(errors, [])

    def test_examples_have_a_header_naming_their_seed(self):
        seeds_named = []
        for path in EXAMPLES:
            with self.subTest(example=os.path.basename(path)):
                text = header(path)
                m = SEED_NAME.search(text)
                self.assertIsNotNone(m, "header needs a '# Seed: NNN_hash.txt' line")
                self.assertIn("Covered", text)
                self.assertIn("Not covered", text)
                if m.group(1) != "none":
                    self.assertIn("Hardened beyond the guide", text)
                    seeds_named.append(m.group(1))
        self.assertEqual(len(seeds_named), len(set(seeds_named)), "one example per seed")
        if os.path.isdir(SEEDS_DIR):
            self.assertEqual(sorted(seeds_named), sorted(os.listdir(SEEDS_DIR)))

    def test_examples_pin_images_and_keep_credentials_out_of_values(self):
        credential = re.compile(r"(PASSWORD|SECRET|TOKEN|_KEY$|APIKEY)", re.I)
        for path in EXAMPLES:
            spec = kubeyaml.load_one(path)["spec"]
            for comp in spec["components"]:
                with self.subTest(example=os.path.basename(path), component=comp["name"]):
                    self.assertRegex(comp["image"], r"(:[^/]+|@sha256:[0-9a-f]{64})$")
                    for env in comp.get("env", []):
                        if "value" in env:
                            self.assertNotRegex(env["name"], credential)

    def test_every_cel_rule_has_an_invalid_case(self):
        expected = set()
        for path in INVALID:
            with open(path) as f:
                m = EXPECT.match(f.readline().rstrip("\n"))
            if m:
                expected.add(m.group(2))
        for message in set(self.checker.messages):
            with self.subTest(message=message[:60]):
                self.assertTrue(any(e in message for e in expected),
                                "no file in tests/golden/invalid/ expects this CEL message")

    def test_invalid_stacks_are_refused_with_the_expected_message(self):
        self.assertGreaterEqual(len(INVALID), 40)
        for path in INVALID:
            with self.subTest(case=os.path.basename(path)):
                with open(path) as f:
                    m = EXPECT.match(f.readline().rstrip("\n"))
                self.assertIsNotNone(m, "first line must be '# expect: <path>: <fragment>'")
                field, fragment = m.groups()
                _, errors = self.checker.validate(kubeyaml.load_one(path))
                self.assertTrue(errors, "accepted, but should be refused")
                hits = [e for e in errors
                        if e.startswith(field + ": ") and fragment in e[len(field) + 2:]]
                self.assertTrue(hits, "expected %s: %s, got %s" % (field, fragment, errors))
                for e in errors:  # every message says what is wrong and what to do
                    self.assertRegex(e, r"^[A-Za-z][^:]*: .+ — .+")


class SchemaCheckTest(unittest.TestCase):
    """The validator catches what it claims to (so the example tests can fail)."""

    SCHEMA = {
        "type": "object", "required": ["name"],
        "properties": {
            "name": {"type": "string", "maxLength": 5, "pattern": "^[a-z]+$"},
            "size": {"anyOf": [{"type": "integer"}, {"type": "string"}],
                     "x-kubernetes-int-or-string": True, "pattern": "^[0-9]+Mi$"},
            "mode": {"type": "string", "enum": ["a", "b"], "default": "a"},
            "opts": {"type": "object", "default": {},
                     "properties": {"on": {"type": "boolean", "default": True}}},
            "items": {"type": "array", "maxItems": 2, "x-kubernetes-list-type": "map",
                      "x-kubernetes-list-map-keys": ["k"],
                      "items": {"type": "object", "required": ["k"],
                                "properties": {"k": {"type": "string"},
                                               "n": {"type": "integer", "minimum": 1}}}},
        },
    }

    def check(self, value):
        value = schemacheck.apply_defaults(self.SCHEMA, value)
        return schemacheck.Checker().validate(self.SCHEMA, value, "spec")

    def test_valid_value_and_nested_defaults(self):
        value = {"name": "ab", "size": "5Mi"}
        self.assertEqual(self.check(value), [])
        self.assertEqual(value["mode"], "a")
        self.assertEqual(value["opts"], {"on": True})

    def test_each_violation_is_reported_at_its_path(self):
        cases = [
            ({}, "spec.name: required"),
            ({"name": "abcdef"}, "spec.name: is 6 characters long"),
            ({"name": "AB"}, "spec.name: \"AB\" is not valid"),
            ({"name": 3}, "spec.name: must be a string, got an integer"),
            ({"name": "a", "size": True}, "spec.size: must be an integer or a string"),
            ({"name": "a", "size": "5G"}, "spec.size: \"5G\" is not valid"),
            ({"name": "a", "mode": "c"}, "spec.mode: \"c\" is not allowed"),
            ({"name": "a", "extra": 1}, "spec.extra: unknown field"),
            ({"name": "a", "items": [{"k": "x"}, {"k": "x"}]}, "spec.items[1].k: duplicate entry"),
            ({"name": "a", "items": [{"k": "x"}] * 3}, "spec.items: has 3 items, the limit is 2"),
            ({"name": "a", "items": [{"k": "x", "n": 0}]}, "spec.items[0].n: 0 is too small"),
            ({"name": "a", "opts": {"on": "yes"}}, "spec.opts.on: must be true or false"),
        ]
        for value, expected in cases:
            with self.subTest(expected=expected):
                errors = self.check(value)
                self.assertTrue(any(e.startswith(expected) for e in errors), errors)


@unittest.skipUnless(kubeyaml.available(), "kubectl is needed to read YAML")
class KubeYAMLTest(unittest.TestCase):
    def load(self, text):
        with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as f:
            f.write(text)
        try:
            return kubeyaml.load_all(f.name)
        finally:
            os.unlink(f.name)

    def test_documents_types_and_no_loader_traces(self):
        docs = self.load("apiVersion: v1\nkind: A\nspec:\n  num: 1\n  s: \"1\"\n  b: true\n"
                         "---\napiVersion: v1\nkind: B\nmetadata:\n  name: x\n"
                         "  labels:\n    keep: \"yes\"\n")
        self.assertEqual(docs, [
            {"apiVersion": "v1", "kind": "A", "spec": {"num": 1, "s": "1", "b": True}},
            {"apiVersion": "v1", "kind": "B", "metadata": {"name": "x",
                                                          "labels": {"keep": "yes"}}}])

    def test_malformed_yaml_is_an_error(self):
        with self.assertRaises(kubeyaml.YAMLError):
            self.load("apiVersion: v1\nkind: A\nspec: [\n")


if __name__ == "__main__":
    unittest.main()
