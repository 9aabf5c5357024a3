"""Tests for schema.py: CRD structural checks, OpenAPI v3 validation, defaulting and pruning.

Expected messages are written by hand from the kube-apiserver / kube-openapi message formats (see
the table at the top of schema.py), never copied from this module's output.
Run: cd tests/apiserver && python3 -m unittest test_schema -v
"""

import copy
import json
import os
import shutil
import subprocess
import unittest

import schema

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))


def obj_schema(props, **kw):
    s = {"type": "object", "properties": props}
    s.update(kw)
    return s


def root(spec_props, spec_kw=None, **kw):
    """A CR root schema with a spec object."""
    spec = obj_schema(spec_props, **(spec_kw or {}))
    return obj_schema({"apiVersion": {"type": "string"}, "kind": {"type": "string"},
                       "metadata": {"type": "object"}, "spec": spec}, **kw)


def cause(reason, message, field):
    return {"reason": reason, "message": message, "field": field}


def crd(sch=None, **over):
    """A minimal valid CRD; `over` replaces spec keys (None deletes)."""
    c = {
        "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
        "metadata": {"name": "widgets.example.io"},
        "spec": {
            "group": "example.io", "scope": "Namespaced",
            "names": {"plural": "widgets", "singular": "widget", "kind": "Widget",
                      "listKind": "WidgetList"},
            "versions": [{"name": "v1", "served": True, "storage": True,
                          "schema": {"openAPIV3Schema": sch if sch is not None else root(
                              {"size": {"type": "integer"}})}}],
        },
    }
    for k, v in over.items():
        if v is None:
            c["spec"].pop(k, None)
        else:
            c["spec"][k] = v
    return c


SV = "spec.validation.openAPIV3Schema"  # a single version's schema is hoisted like real


class ValidateKeywords(unittest.TestCase):
    def check(self, sch, obj, expected):
        self.assertEqual(schema.validate(obj, sch), expected)

    def test_type_mismatch(self):
        s = root({"replicas": {"type": "integer"}})
        self.check(s, {"spec": {"replicas": 3}}, [])
        self.check(s, {"spec": {"replicas": "string"}}, [cause(
            "FieldValueTypeInvalid",
            'Invalid value: "string": spec.replicas in body must be of type integer: "string"',
            "spec.replicas")])

    def test_integer_vs_number(self):
        s = root({"i": {"type": "integer"}, "n": {"type": "number"}})
        self.check(s, {"spec": {"i": 2.0, "n": 3}}, [])  # 2.0 is a JSON integer; ints are numbers
        got = schema.validate({"spec": {"i": 1.5}}, s)
        self.assertIn(cause("FieldValueTypeInvalid",
                            'Invalid value: "number": spec.i in body must be of type integer: "number"',
                            "spec.i"), got)
        # kube-openapi's range check also fires, as a plain error without a field
        self.assertIn(cause("FieldValueInvalid",
                            'Invalid value: "": Checked value must be of type integer in spec.i',
                            "<nil>"), got)

    def test_bool_is_not_integer(self):
        s = root({"b": {"type": "integer"}})
        self.check(s, {"spec": {"b": True}}, [cause(
            "FieldValueTypeInvalid",
            'Invalid value: "boolean": spec.b in body must be of type integer: "boolean"', "spec.b")])

    def test_object_and_array_types(self):
        s = root({"o": {"type": "object"}, "a": {"type": "array", "items": {"type": "string"}}})
        self.check(s, {"spec": {"o": [], "a": {}}}, [
            cause("FieldValueTypeInvalid",
                  'Invalid value: "array": spec.o in body must be of type object: "array"', "spec.o"),
            cause("FieldValueTypeInvalid",
                  'Invalid value: "object": spec.a in body must be of type array: "object"', "spec.a"),
        ])

    def test_null_and_nullable(self):
        s = root({"x": {"type": "string"}, "y": {"type": "string", "nullable": True}})
        self.check(s, {"spec": {"y": None}}, [])
        self.check(s, {"spec": {"x": None}}, [cause(
            "FieldValueTypeInvalid", 'Invalid value: "null": spec.x in body must be of type string: "null"',
            "spec.x")])

    def test_required(self):
        s = root({"image": {"type": "string"}}, {"required": ["image"]}, required=["spec"])
        self.check(s, {"spec": {"image": "nginx"}}, [])
        self.check(s, {"spec": {}}, [cause("FieldValueRequired", "Required value", "spec.image")])
        self.check(s, {}, [cause("FieldValueRequired", "Required value", "spec")])

    def test_enum(self):
        s = root({"type": {"type": "string", "enum": ["a", "b"]}, "n": {"type": "integer",
                                                                        "enum": [1, 2]}})
        self.check(s, {"spec": {"type": "a", "n": 2}}, [])
        self.check(s, {"spec": {"type": "x"}}, [cause(
            "FieldValueNotSupported", 'Unsupported value: "x": supported values: "a", "b"', "spec.type")])
        self.check(s, {"spec": {"n": 3}}, [cause(
            "FieldValueNotSupported", 'Unsupported value: 3: supported values: "1", "2"', "spec.n")])

    def test_min_max(self):
        s = root({"x": {"type": "integer", "minimum": 1, "maximum": 10},
                  "e": {"type": "number", "minimum": 0, "exclusiveMinimum": True,
                        "maximum": 1.5, "exclusiveMaximum": True}})
        self.check(s, {"spec": {"x": 10, "e": 1}}, [])
        self.check(s, {"spec": {"x": 11}}, [cause(
            "FieldValueInvalid", "Invalid value: 11: spec.x in body should be less than or equal to 10",
            "spec.x")])
        self.check(s, {"spec": {"x": 0}}, [cause(
            "FieldValueInvalid", "Invalid value: 0: spec.x in body should be greater than or equal to 1",
            "spec.x")])
        self.check(s, {"spec": {"e": 0}}, [cause(
            "FieldValueInvalid", "Invalid value: 0: spec.e in body should be greater than 0", "spec.e")])
        self.check(s, {"spec": {"e": 1.5}}, [cause(
            "FieldValueInvalid", "Invalid value: 1.5: spec.e in body should be less than 1.5", "spec.e")])

    def test_large_float_bound_is_go_formatted(self):
        s = root({"x": {"type": "number", "maximum": 1000000}})
        self.check(s, {"spec": {"x": 2000000.5}}, [cause(
            "FieldValueInvalid",
            "Invalid value: 2.0000005e+06: spec.x in body should be less than or equal to 1e+06",
            "spec.x")])

    def test_multiple_of(self):
        s = root({"x": {"type": "integer", "multipleOf": 5}, "f": {"type": "number", "multipleOf": 0.5}})
        self.check(s, {"spec": {"x": 15, "f": 2.5}}, [])
        self.check(s, {"spec": {"x": 7}}, [cause(
            "FieldValueInvalid", "Invalid value: 7: spec.x in body should be a multiple of 5", "spec.x")])
        self.check(s, {"spec": {"f": 0.3}}, [cause(
            "FieldValueInvalid", "Invalid value: 0.3: spec.f in body should be a multiple of 0.5",
            "spec.f")])

    def test_int32_range(self):
        s = root({"p": {"type": "integer", "format": "int32"}})
        self.check(s, {"spec": {"p": 2147483647}}, [])
        self.check(s, {"spec": {"p": 2147483648}}, [cause(
            "FieldValueInvalid",
            'Invalid value: "": Checked value must be of type integer with format int32 in spec.p',
            "<nil>")])

    def test_string_lengths_count_characters(self):
        s = root({"n": {"type": "string", "maxLength": 3, "minLength": 2}})
        self.check(s, {"spec": {"n": "äöü"}}, [])  # 3 characters, 6 bytes
        self.check(s, {"spec": {"n": "abcd"}}, [cause(
            "FieldValueTooLong", "Too long: may not be more than 3 bytes", "spec.n")])
        self.check(s, {"spec": {"n": "a"}}, [cause(
            "FieldValueInvalid", 'Invalid value: "a": spec.n in body should be at least 2 chars long',
            "spec.n")])

    def test_pattern(self):
        s = root({"n": {"type": "string", "pattern": "^[a-z]+$"}})
        self.check(s, {"spec": {"n": "abc"}}, [])
        self.check(s, {"spec": {"n": "ABC"}}, [cause(
            "FieldValueInvalid", "Invalid value: \"ABC\": spec.n in body should match '^[a-z]+$'", "spec.n")])

    def test_formats(self):
        s = root({"t": {"type": "string", "format": "date-time"}, "d": {"type": "string", "format": "date"},
                  "b": {"type": "string", "format": "byte"}, "u": {"type": "string", "format": "uuid"},
                  "z": {"type": "string", "format": "no-such-format"}})
        good = {"t": "2024-01-02T03:04:05Z", "d": "2024-02-29", "b": "aGVsbG8=",
                "u": "123e4567-e89b-12d3-a456-426614174000", "z": "anything"}
        self.check(s, {"spec": good}, [])
        self.check(s, {"spec": {"t": "yesterday"}}, [cause(
            "FieldValueTypeInvalid",
            'Invalid value: "yesterday": spec.t in body must be of type date-time: "yesterday"', "spec.t")])
        self.check(s, {"spec": {"d": "2023-02-29"}}, [cause(
            "FieldValueTypeInvalid",
            'Invalid value: "2023-02-29": spec.d in body must be of type date: "2023-02-29"', "spec.d")])
        self.assertEqual(len(schema.validate({"spec": {"b": "not base64!"}}, s)), 1)

    def test_items_and_array_bounds(self):
        s = root({"l": {"type": "array", "minItems": 1, "maxItems": 2,
                        "items": {"type": "object", "required": ["name"],
                                  "properties": {"name": {"type": "string"}}}}})
        self.check(s, {"spec": {"l": [{"name": "a"}]}}, [])
        self.check(s, {"spec": {"l": []}}, [cause(
            "FieldValueInvalid", "Invalid value: 0: spec.l in body should have at least 1 items", "spec.l")])
        self.check(s, {"spec": {"l": [{"name": "a"}, {"name": "b"}, {"name": "c"}]}}, [cause(
            "FieldValueTooMany", "Too many: 3: must have at most 2 items", "spec.l")])
        self.check(s, {"spec": {"l": [{"name": "a"}, {}]}}, [cause(
            "FieldValueRequired", "Required value", "spec.l[1].name")])
        self.check(s, {"spec": {"l": [{"name": 5}]}}, [cause(
            "FieldValueTypeInvalid",
            'Invalid value: "integer": spec.l[0].name in body must be of type string: "integer"',
            "spec.l[0].name")])

    def test_properties_bounds(self):
        s = root({"m": {"type": "object", "minProperties": 1, "maxProperties": 1,
                        "additionalProperties": {"type": "string"}}})
        self.check(s, {"spec": {"m": {"a": "b"}}}, [])
        self.check(s, {"spec": {"m": {}}}, [cause(
            "FieldValueInvalid", "Invalid value: 0: spec.m in body should have at least 1 properties",
            "spec.m")])
        self.check(s, {"spec": {"m": {"a": "b", "c": "d"}}}, [cause(
            "FieldValueTooMany", "Too many: 2: must have at most 1 item", "spec.m")])

    def test_additional_properties_schema(self):
        s = root({"labels": {"type": "object", "additionalProperties": {"type": "string"}}})
        self.check(s, {"spec": {"labels": {"a": "b"}}}, [])
        self.check(s, {"spec": {"labels": {"a": 1}}}, [cause(
            "FieldValueTypeInvalid",
            'Invalid value: "integer": spec.labels.a in body must be of type string: "integer"',
            "spec.labels.a")])

    def test_int_or_string(self):
        s = root({"q": {"x-kubernetes-int-or-string": True}})
        self.check(s, {"spec": {"q": 1}}, [])
        self.check(s, {"spec": {"q": "500m"}}, [])
        self.check(s, {"spec": {"q": True}}, [cause(
            "FieldValueTypeInvalid",
            'Invalid value: "boolean": spec.q in body must be of type integer,string: "boolean"', "spec.q")])

    def test_junctors(self):
        s = root({"a": {"type": "string", "anyOf": [{"pattern": "^x"}, {"pattern": "^y"}]},
                  "o": {"type": "integer", "oneOf": [{"minimum": 0}, {"minimum": 5}]},
                  "n": {"type": "string", "not": {"enum": ["bad"]}},
                  "l": {"type": "integer", "allOf": [{"minimum": 1}, {"maximum": 3}]}})
        self.check(s, {"spec": {"a": "yes", "o": 1, "n": "good", "l": 2}}, [])
        got = schema.validate({"spec": {"a": "zz"}}, s)
        self.assertIn(cause("FieldValueInvalid",
                            'Invalid value: "": "spec.a" must validate at least one schema (anyOf)',
                            "<nil>"), got)
        got = schema.validate({"spec": {"o": 7}}, s)
        self.assertEqual(got, [cause(
            "FieldValueInvalid",
            'Invalid value: "": "spec.o" must validate one and only one schema (oneOf). '
            'Found 2 valid alternatives', "<nil>")])
        got = schema.validate({"spec": {"n": "bad"}}, s)
        self.assertEqual(got, [cause("FieldValueInvalid",
                                     'Invalid value: "": "spec.n" must not validate the schema (not)',
                                     "<nil>")])
        got = schema.validate({"spec": {"l": 4}}, s)
        self.assertIn(cause("FieldValueInvalid",
                            "Invalid value: 4: spec.l in body should be less than or equal to 3",
                            "spec.l"), got)
        self.assertIn(cause("FieldValueInvalid",
                            'Invalid value: "": "spec.l" must validate all the schemas (allOf)', "<nil>"),
                      got)

    def test_list_type_set_and_map_duplicates(self):
        s = root({"tags": {"type": "array", "x-kubernetes-list-type": "set", "items": {"type": "string"}},
                  "ports": {"type": "array", "x-kubernetes-list-type": "map",
                            "x-kubernetes-list-map-keys": ["name"],
                            "items": {"type": "object", "required": ["name"],
                                      "properties": {"name": {"type": "string"},
                                                     "port": {"type": "integer"}}}}})
        self.check(s, {"spec": {"tags": ["a", "b"], "ports": [{"name": "a"}, {"name": "b"}]}}, [])
        self.check(s, {"spec": {"tags": ["a", "b", "a"]}}, [cause(
            "FieldValueDuplicate", 'Duplicate value: "a"', "spec.tags[2]")])
        self.check(s, {"spec": {"ports": [{"name": "a", "port": 1}, {"name": "a", "port": 2}]}}, [cause(
            "FieldValueDuplicate", 'Duplicate value: {"name":"a"}', "spec.ports[1]")])

    def test_preserve_unknown_fields_skips_type_requirement(self):
        s = root({"raw": {"x-kubernetes-preserve-unknown-fields": True}})
        self.check(s, {"spec": {"raw": {"anything": [1, {"x": None}]}}}, [])


class DefaultAndPrune(unittest.TestCase):
    def test_prunes_unknown_and_keeps_root_meta(self):
        s = root({"a": {"type": "string"}})
        obj = {"apiVersion": "example.io/v1", "kind": "Widget",
               "metadata": {"name": "w", "unknownMeta": 1}, "spec": {"a": "x", "b": "y"}, "extra": 1}
        before = copy.deepcopy(obj)
        out = schema.default_and_prune(obj, s)
        self.assertEqual(out, {"apiVersion": "example.io/v1", "kind": "Widget",
                               "metadata": {"name": "w", "unknownMeta": 1}, "spec": {"a": "x"}})
        self.assertEqual(obj, before, "input must not be mutated")

    def test_defaults_nested_and_into_defaulted_objects(self):
        s = root({"replicas": {"type": "integer", "default": 1},
                  "probe": {"type": "object", "default": {},
                            "properties": {"path": {"type": "string", "default": "/healthz"},
                                           "port": {"type": "integer", "default": 8080}}},
                  "given": {"type": "object", "properties": {"x": {"type": "string", "default": "d"}}}})
        out = schema.default_and_prune({"spec": {"given": {}}}, s)
        self.assertEqual(out, {"spec": {"replicas": 1, "probe": {"path": "/healthz", "port": 8080},
                                        "given": {"x": "d"}}})
        out = schema.default_and_prune({"spec": {"replicas": 3, "probe": {"port": 1}}}, s)
        self.assertEqual(out["spec"], {"replicas": 3, "probe": {"path": "/healthz", "port": 1}})

    def test_absent_parent_is_not_created(self):
        s = root({"opt": {"type": "object", "properties": {"x": {"type": "string", "default": "d"}}}})
        self.assertEqual(schema.default_and_prune({"spec": {}}, s), {"spec": {}})

    def test_array_item_defaults(self):
        s = root({"items": {"type": "array", "items": {
            "type": "object", "properties": {"name": {"type": "string"},
                                             "protocol": {"type": "string", "default": "TCP"}}}}})
        out = schema.default_and_prune({"spec": {"items": [{"name": "a"}, {"name": "b", "protocol": "UDP",
                                                                           "junk": 1}]}}, s)
        self.assertEqual(out["spec"]["items"], [{"name": "a", "protocol": "TCP"},
                                                {"name": "b", "protocol": "UDP"}])

    def test_nullable_and_null_handling(self):
        s = root({"n": {"type": "string", "nullable": True, "default": "d"},
                  "m": {"type": "string", "default": "d"},
                  "k": {"type": "string"}})
        out = schema.default_and_prune({"spec": {"n": None, "m": None, "k": None}}, s)
        self.assertEqual(out["spec"], {"n": None, "m": "d"})

    def test_preserve_unknown_fields(self):
        s = root({"values": {"type": "object", "x-kubernetes-preserve-unknown-fields": True,
                             "properties": {"known": {"type": "object", "properties": {
                                 "a": {"type": "string"}}}}}})
        out = schema.default_and_prune({"spec": {"values": {"free": {"x": 1}, "known": {"a": "1", "b": 2}}}}, s)
        self.assertEqual(out["spec"]["values"], {"free": {"x": 1}, "known": {"a": "1"}})

    def test_embedded_resource(self):
        s = root({"template": {"type": "object", "x-kubernetes-embedded-resource": True,
                               "properties": {"spec": {"type": "object", "properties": {
                                   "x": {"type": "string", "default": "d"}}}}}})
        obj = {"spec": {"template": {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
                                     "spec": {"junk": 1}, "status": {}}}}
        out = schema.default_and_prune(obj, s)
        self.assertEqual(out["spec"]["template"], {"apiVersion": "v1", "kind": "Pod",
                                                   "metadata": {"name": "p"}, "spec": {"x": "d"}})

    def test_additional_properties_values(self):
        s = root({"m": {"type": "object", "additionalProperties": {
            "type": "object", "properties": {"a": {"type": "integer", "default": 1}}}}})
        out = schema.default_and_prune({"spec": {"m": {"k": {"z": 1}}}}, s)
        self.assertEqual(out["spec"]["m"], {"k": {"a": 1}})


class CheckStructuralCRD(unittest.TestCase):
    def errs(self, c):
        return schema.check_structural(c)

    def test_minimal_valid(self):
        self.assertEqual(self.errs(crd()), [])

    def test_name_must_be_plural_dot_group(self):
        c = crd()
        c["metadata"]["name"] = "widget.example.io"
        self.assertEqual(self.errs(c), [cause(
            "FieldValueInvalid",
            'Invalid value: "widget.example.io": must be spec.names.plural+"."+spec.group',
            "metadata.name")])

    def test_group_and_scope(self):
        c = crd(group="example", scope="Global")
        c["metadata"]["name"] = "widgets.example"
        got = self.errs(c)
        self.assertIn(cause("FieldValueInvalid",
                            'Invalid value: "example": should be a domain with at least one dot',
                            "spec.group"), got)
        self.assertIn(cause("FieldValueNotSupported",
                            'Unsupported value: "Global": supported values: "Cluster", "Namespaced"',
                            "spec.scope"), got)
        self.assertIn(cause("FieldValueRequired", "Required value", "spec.scope"),
                      self.errs(crd(scope=None)))

    def test_names(self):
        c = crd()
        c["spec"]["names"] = {"plural": "widgets", "singular": "Widget", "kind": "Widget",
                              "listKind": "Widget", "shortNames": ["w_x"], "categories": ["ok", "Bad"]}
        got = self.errs(c)
        dns = ("a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with "
               "an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or "
               "'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')")
        self.assertIn(cause("FieldValueInvalid", 'Invalid value: "Widget": ' + dns,
                            "spec.names.singular"), got)
        self.assertIn(cause("FieldValueInvalid", 'Invalid value: "w_x": ' + dns,
                            "spec.names.shortNames[0]"), got)
        self.assertIn(cause("FieldValueInvalid", 'Invalid value: "Bad": ' + dns,
                            "spec.names.categories[1]"), got)
        self.assertIn(cause("FieldValueInvalid",
                            'Invalid value: "Widget": kind and listKind may not be the same',
                            "spec.names.listKind"), got)
        c["spec"]["names"] = {"plural": "widgets"}
        got = self.errs(c)
        for k in ("singular", "kind", "listKind"):
            self.assertIn(cause("FieldValueRequired", "Required value", "spec.names." + k), got)

    def test_versions(self):
        c = crd()
        c["spec"]["versions"][0]["storage"] = False
        self.assertTrue(any(x["field"] == "spec.versions" and x["message"].endswith(
            "must have exactly one version marked as storage version") for x in self.errs(c)))
        c = crd(versions=[])
        self.assertTrue(any(x["message"].endswith("must have exactly one version marked as storage version")
                            for x in self.errs(c)))
        c = crd()
        v2 = copy.deepcopy(c["spec"]["versions"][0])
        v2["storage"] = False
        c["spec"]["versions"].append(v2)
        self.assertTrue(any(x["message"].endswith("must contain unique version names")
                            for x in self.errs(c)))
        c["spec"]["versions"][1]["name"] = "V2"
        self.assertTrue(any(x["field"] == "spec.versions[1].name" for x in self.errs(c)))

    def test_schema_required(self):
        c = crd()
        del c["spec"]["versions"][0]["schema"]
        self.assertEqual(self.errs(c), [cause(
            "FieldValueRequired", "Required value: schemas are required",
            "spec.versions[0].schema.openAPIV3Schema")])

    def test_missing_types(self):
        s = root({"a": {"description": "no type"},
                  "l": {"type": "array", "items": {"description": "no type"}}})
        # real sorts structural errors by their "field: message" text
        self.assertEqual(self.errs(crd(s)), [
            cause("FieldValueRequired", "Required value: must not be empty for specified object fields",
                  SV + ".properties[spec].properties[a].type"),
            cause("FieldValueRequired", "Required value: must not be empty for specified array items",
                  SV + ".properties[spec].properties[l].items.type"),
        ])

    def test_root_must_be_object(self):
        got = self.errs(crd({"type": "string"}))
        self.assertIn(cause("FieldValueInvalid", 'Invalid value: "string": must be object at the root',
                            SV + ".type"), got)
        got = self.errs(crd({"properties": {"spec": {"type": "object"}}}))
        self.assertIn(cause("FieldValueRequired", "Required value: must not be empty at the root",
                            SV + ".type"), got)

    def test_array_needs_items(self):
        got = self.errs(crd(root({"l": {"type": "array"}})))
        self.assertEqual(got, [cause("FieldValueRequired", "Required value: must be specified",
                                     SV + ".properties[spec].properties[l].items")])

    def test_metadata_restrictions(self):
        ok = root({})
        ok["properties"]["metadata"] = {"type": "object", "properties": {
            "name": {"type": "string", "maxLength": 20}}}
        self.assertEqual(self.errs(crd(ok)), [])
        bad = root({})
        bad["properties"]["metadata"] = {"type": "object", "properties": {
            "labels": {"type": "object", "additionalProperties": {"type": "string"}}}}
        self.assertEqual(self.errs(crd(bad)), [cause(
            "FieldValueForbidden",
            "Forbidden: must not specify anything other than name and generateName, but metadata is "
            "implicitly specified", SV + ".properties[metadata]")])
        bad["properties"]["metadata"] = {"type": "object", "properties": {
            "name": {"type": "string", "default": "x"}}}
        self.assertIn(cause("FieldValueForbidden", "Forbidden: must not be set in top-level metadata",
                            SV + ".properties[metadata].properties[name].default"), self.errs(crd(bad)))

    def test_forbidden_keywords(self):
        s = root({"a": {"type": "string", "$ref": "#/x"},
                  "b": {"type": "object", "patternProperties": {"^x": {"type": "string"}}},
                  "c": {"type": "array", "items": {"type": "string"}, "uniqueItems": True},
                  "d": {"type": "object", "dependencies": {"x": ["y"]}},
                  "e": {"type": "array", "items": {"type": "string"}, "additionalItems": False},
                  "f": {"type": "string", "id": "x"}})
        s["definitions"] = {"x": {"type": "string"}}
        got = self.errs(crd(s))
        p = SV + ".properties[spec].properties"
        for c_ in [cause("FieldValueForbidden", "Forbidden: $ref is not supported", p + "[a].$ref"),
                   cause("FieldValueForbidden", "Forbidden: patternProperties is not supported",
                         p + "[b].patternProperties"),
                   cause("FieldValueForbidden", "Forbidden: uniqueItems cannot be set to true since the "
                         "runtime complexity becomes quadratic", p + "[c].uniqueItems"),
                   cause("FieldValueForbidden", "Forbidden: dependencies is not supported",
                         p + "[d].dependencies"),
                   cause("FieldValueForbidden", "Forbidden: additionalItems is not supported",
                         p + "[e].additionalItems"),
                   cause("FieldValueForbidden", "Forbidden: id is not supported", p + "[f].id"),
                   cause("FieldValueForbidden", "Forbidden: definitions is not supported",
                         SV + ".definitions")]:
            self.assertIn(c_, got)

    def test_properties_and_additional_properties(self):
        s = root({"m": {"type": "object", "properties": {"a": {"type": "string"}},
                        "additionalProperties": {"type": "string"}}})
        self.assertEqual(self.errs(crd(s)), [cause(
            "FieldValueForbidden", "Forbidden: additionalProperties and properties are mutual exclusive",
            SV + ".properties[spec].properties[m].additionalProperties")])
        s = root({"m": {"type": "object", "additionalProperties": {"type": "string"}}})
        self.assertEqual(self.errs(crd(s)), [])

    def test_junctors_must_not_carry_types(self):
        s = root({"a": {"type": "string", "anyOf": [{"type": "string", "pattern": "^a"}]}})
        self.assertEqual(self.errs(crd(s)), [cause(
            "FieldValueForbidden", "Forbidden: must be empty to be structural",
            SV + ".properties[spec].properties[a].anyOf[0].type")])
        ok = root({"a": {"type": "object", "properties": {"x": {"type": "string"}, "y": {"type": "string"}},
                         "oneOf": [{"required": ["x"]}, {"required": ["y"]}]},
                   "q": {"x-kubernetes-int-or-string": True,
                         "anyOf": [{"type": "integer"}, {"type": "string"}]}})
        self.assertEqual(self.errs(crd(ok)), [])
        s = root({"a": {"type": "object", "anyOf": [{"properties": {"zz": {"minLength": 1}}}]}})
        self.assertEqual(self.errs(crd(s)), [cause(
            "FieldValueRequired",
            "Required value: because it is defined in " + SV +
            ".properties[spec].properties[a].anyOf[0].properties[zz]",
            SV + ".properties[spec].properties[a].properties[zz]")])

    def test_nullable_at_root_and_type_null(self):
        s = root({"a": {"type": "null"}})
        s["nullable"] = True
        got = self.errs(crd(s))
        self.assertIn(cause("FieldValueForbidden", "Forbidden: nullable cannot be true at the root",
                            SV + ".nullable"), got)
        self.assertIn(cause("FieldValueForbidden",
                            "Forbidden: type cannot be set to null, use nullable as an alternative",
                            SV + ".properties[spec].properties[a].type"), got)

    def test_unknown_type(self):
        got = self.errs(crd(root({"a": {"type": "str"}})))
        self.assertIn(cause("FieldValueNotSupported",
                            'Unsupported value: "str": supported values: "array", "boolean", "integer", '
                            '"number", "object", "string"', SV + ".properties[spec].properties[a].type"), got)

    def test_defaults_must_validate_and_be_pruned(self):
        s = root({"r": {"type": "integer", "default": "one"},
                  "o": {"type": "object", "properties": {"a": {"type": "string"}}, "default": {"b": 1}},
                  "ok": {"type": "integer", "minimum": 1, "default": 1}})
        got = self.errs(crd(s))
        self.assertIn(cause("FieldValueTypeInvalid",
                            'Invalid value: "string":  in body must be of type integer: "string"',
                            SV + ".properties[spec].properties[r].default"), got)
        self.assertIn(cause("FieldValueInvalid", 'Invalid value: {"b":1}: must not have unknown fields',
                            SV + ".properties[spec].properties[o].default"), got)
        self.assertEqual(len(got), 2)

    def test_list_map_keys(self):
        def lm(items, **kw):
            d = {"type": "array", "x-kubernetes-list-type": "map", "items": items}
            d.update(kw)
            return root({"l": d})
        base = SV + ".properties[spec].properties[l]"
        ok = lm({"type": "object", "required": ["name"], "properties": {
            "name": {"type": "string"}, "proto": {"type": "string", "default": "TCP"}}},
            **{"x-kubernetes-list-map-keys": ["name", "proto"]})
        self.assertEqual(self.errs(crd(ok)), [])
        bad = lm({"type": "object", "properties": {"name": {"type": "string"}}},
                 **{"x-kubernetes-list-map-keys": ["name"]})
        self.assertEqual(self.errs(crd(bad)), [cause(
            "FieldValueRequired", "Required value: this property is in x-kubernetes-list-map-keys, so it "
            "must have a default or be a required property", base + ".items.properties[name].default")])
        bad = lm({"type": "object", "required": ["o"], "properties": {"o": {"type": "object"}}},
                 **{"x-kubernetes-list-map-keys": ["o", "missing"]})
        got = self.errs(crd(bad))
        self.assertIn(cause("FieldValueInvalid", 'Invalid value: "object": must be a scalar type if '
                            "parent array's x-kubernetes-list-type is map",
                            base + ".items.properties[o].type"), got)
        self.assertIn(cause("FieldValueInvalid", 'Invalid value: ["o","missing"]: entries must all be '
                            "names of item properties", base + ".x-kubernetes-list-map-keys"), got)
        bad = lm({"type": "object", "properties": {"n": {"type": "string"}}})
        self.assertIn(cause("FieldValueRequired", "Required value: must not be empty if "
                            "x-kubernetes-list-type is map", base + ".x-kubernetes-list-map-keys"),
                      self.errs(crd(bad)))
        bad = root({"l": {"type": "array", "items": {"type": "string"}, "x-kubernetes-list-type": "bag"}})
        self.assertIn(cause("FieldValueNotSupported", 'Unsupported value: "bag": supported values: '
                            '"atomic", "set", "map"', base + ".x-kubernetes-list-type"), self.errs(crd(bad)))
        bad = root({"l": {"type": "array", "items": {"type": "string"},
                          "x-kubernetes-list-map-keys": ["a"]}})
        self.assertIn(cause("FieldValueRequired", "Required value: must be map if "
                            "x-kubernetes-list-map-keys is non-empty", base + ".x-kubernetes-list-type"),
                      self.errs(crd(bad)))

    def test_set_of_objects_must_be_atomic(self):
        s = root({"l": {"type": "array", "x-kubernetes-list-type": "set",
                        "items": {"type": "object", "properties": {"a": {"type": "string"}}}}})
        self.assertEqual(self.errs(crd(s)), [cause(
            "FieldValueInvalid", "Invalid value: null: must be atomic as item of a list with "
            "x-kubernetes-list-type=set", SV + ".properties[spec].properties[l].items.x-kubernetes-map-type")])

    def test_cel_rules(self):
        base = SV + ".properties[spec]"
        ok = root({"a": {"type": "integer"}}, {"x-kubernetes-validations": [
            {"rule": "self.a > 0 && (size(self) < 3)", "message": "a must be positive"}]})
        self.assertEqual(self.errs(crd(ok)), [])
        bad = root({"a": {"type": "integer"}}, {"x-kubernetes-validations": [{"rule": "  "}]})
        self.assertEqual(self.errs(crd(bad)), [cause(
            "FieldValueRequired", "Required value: rule is not specified",
            base + ".x-kubernetes-validations[0].rule")])
        bad = root({"a": {"type": "integer"}}, {"x-kubernetes-validations": [{"rule": "size(self.a"}]})
        got = self.errs(crd(bad))
        self.assertEqual(len(got), 1)
        self.assertEqual(got[0]["field"], base + ".x-kubernetes-validations[0].rule")
        self.assertIn("compilation failed", got[0]["message"])
        bad = root({"a": {"type": "integer"}}, {"x-kubernetes-validations": [
            {"rule": "self.a == 'x", "reason": "Nope"}]})
        got = self.errs(crd(bad))
        self.assertIn(cause("FieldValueNotSupported", 'Unsupported value: "Nope": supported values: '
                            '"FieldValueDuplicate", "FieldValueForbidden", "FieldValueInvalid", '
                            '"FieldValueRequired"', base + ".x-kubernetes-validations[0].reason"), got)
        self.assertEqual(len(got), 2)
        bad = root({"a": {"type": "integer"}}, {"x-kubernetes-validations": [
            {"rule": "self.a > 0", "fieldPath": ".b"}]})
        self.assertEqual(self.errs(crd(bad)), [cause(
            "FieldValueInvalid", 'Invalid value: ".b": fieldPath must be a valid path',
            base + ".x-kubernetes-validations[0].fieldPath")])

    def test_status_subresource_root_restrictions(self):
        c = crd(root({}, oneOf=[{"required": ["spec"]}]))
        c["spec"]["versions"][0]["subresources"] = {"status": {}}
        got = self.errs(c)
        self.assertTrue(any(x["field"] == SV and "fields are allowed at the root of the schema if the "
                            "status subresource is enabled" in x["message"] for x in got), got)

    def test_scale_subresource_and_columns(self):
        c = crd()
        v = c["spec"]["versions"][0]
        v["subresources"] = {"status": {}, "scale": {"specReplicasPath": "spec.replicas",
                                                     "statusReplicasPath": ".spec.replicas"}}
        v["additionalPrinterColumns"] = [{"name": "Ready", "type": "string", "jsonPath": ".status.ready"},
                                         {"name": "", "type": "text", "jsonPath": "status.x"},
                                         {"name": "Age", "type": "date"}]
        got = self.errs(c)
        self.assertEqual(got, [
            cause("FieldValueInvalid", 'Invalid value: "spec.replicas": must be a simple json path '
                  "starting with .", "spec.subresources.scale.specReplicasPath"),
            cause("FieldValueInvalid", 'Invalid value: ".spec.replicas": should be a json path under '
                  ".status", "spec.subresources.scale.statusReplicasPath"),
            cause("FieldValueRequired", "Required value", "spec.additionalPrinterColumns[1].name"),
            cause("FieldValueInvalid", 'Invalid value: "text": must be one of '
                  "boolean,date,integer,number,string", "spec.additionalPrinterColumns[1].type"),
            cause("FieldValueInvalid", 'Invalid value: "status.x": must be a simple json path starting '
                  "with .", "spec.additionalPrinterColumns[1].JSONPath"),
            cause("FieldValueRequired", "Required value", "spec.additionalPrinterColumns[2].JSONPath"),
        ])

    def test_per_version_paths_when_versions_differ(self):
        c = crd()
        v2 = copy.deepcopy(c["spec"]["versions"][0])
        v2.update({"name": "v2", "storage": False})
        v2["schema"]["openAPIV3Schema"] = root({"x": {"description": "untyped"}})
        c["spec"]["versions"].append(v2)
        self.assertEqual(self.errs(c), [cause(
            "FieldValueRequired", "Required value: must not be empty for specified object fields",
            "spec.versions[1].schema.openAPIV3Schema.properties[spec].properties[x].type")])

    def test_embedded_resource_rules(self):
        s = root({"t": {"type": "object", "x-kubernetes-embedded-resource": True}})
        self.assertEqual(self.errs(crd(s)), [cause(
            "FieldValueRequired", "Required value: must not be empty if x-kubernetes-embedded-resource "
            "is true without x-kubernetes-preserve-unknown-fields", SV + ".properties[spec].properties[t].properties")])
        s = root({"t": {"type": "object", "x-kubernetes-embedded-resource": True,
                        "x-kubernetes-preserve-unknown-fields": True}})
        self.assertEqual(self.errs(crd(s)), [])


class MoreStructuralRules(unittest.TestCase):
    def errs(self, c):
        return schema.check_structural(c)

    def test_hoisted_schema_without_openapi_schema(self):
        c = crd()
        c["spec"]["versions"][0]["schema"] = {}
        self.assertEqual(self.errs(c), [cause("FieldValueRequired", "Required value: schemas are required",
                                              SV)])

    def test_root_additional_properties_forbidden(self):
        s = {"type": "object", "additionalProperties": {"type": "string"}}
        self.assertIn(cause("FieldValueForbidden", "Forbidden: must not be used at the root",
                            SV + ".additionalProperties"), self.errs(crd(s)))

    def test_preserve_unknown_fields_false(self):
        s = root({"a": {"type": "object", "x-kubernetes-preserve-unknown-fields": False}})
        self.assertEqual(self.errs(crd(s)), [cause(
            "FieldValueInvalid", "Invalid value: false: must be true or undefined",
            SV + ".properties[spec].properties[a].x-kubernetes-preserve-unknown-fields")])

    def test_int_or_string_conflicts(self):
        s = root({"q": {"x-kubernetes-int-or-string": True, "x-kubernetes-preserve-unknown-fields": True}})
        self.assertEqual(self.errs(crd(s)), [cause(
            "FieldValueInvalid", "Invalid value: true: must be false if x-kubernetes-int-or-string is true",
            SV + ".properties[spec].properties[q].x-kubernetes-preserve-unknown-fields")])

    def test_embedded_resource_needs_object_type(self):
        s = root({"t": {"type": "string", "x-kubernetes-embedded-resource": True,
                        "x-kubernetes-preserve-unknown-fields": True}})
        self.assertIn(cause("FieldValueInvalid", 'Invalid value: "string": must be object if '
                            "x-kubernetes-embedded-resource is true",
                            SV + ".properties[spec].properties[t].type"), self.errs(crd(s)))

    def test_metadata_description_is_a_restriction(self):
        s = root({})
        s["properties"]["metadata"] = {"type": "object", "description": "standard object metadata"}
        self.assertEqual([x["field"] for x in self.errs(crd(s))], [SV + ".properties[metadata]"])

    def test_status_root_type_and_allowed_fields(self):
        c = crd(root({}, description="ok at the root", **{"x-kubernetes-validations": [
            {"rule": "has(self.spec)"}]}))
        c["spec"]["versions"][0]["subresources"] = {"status": {}}
        self.assertEqual(self.errs(c), [])

    def test_default_inside_array_item_is_validated(self):
        s = root({"l": {"type": "array", "items": {"type": "string", "maxLength": 2, "default": "abc"}}})
        self.assertEqual(self.errs(crd(s)), [cause(
            "FieldValueTooLong", "Too long: may not be more than 2 bytes",
            SV + ".properties[spec].properties[l].items.default")])

    def test_valid_default_object_passes(self):
        s = root({"p": {"type": "object", "default": {"path": "/"}, "properties": {
            "path": {"type": "string", "pattern": "^/"}, "port": {"type": "integer", "default": 80}}}})
        self.assertEqual(self.errs(crd(s)), [])

    def test_cel_message_rules(self):
        base = SV + ".properties[spec].x-kubernetes-validations[0]"
        s = root({"a": {"type": "integer"}}, {"x-kubernetes-validations": [
            {"rule": "self.a > 0 &&\n self.a < 5"}]})
        self.assertEqual(self.errs(crd(s)), [cause(
            "FieldValueRequired", "Required value: message must be specified if rule contains line breaks",
            base + ".message")])
        s = root({"a": {"type": "integer"}}, {"x-kubernetes-validations": [
            {"rule": "self.a > 0", "message": "   "}]})
        self.assertEqual(self.errs(crd(s)), [cause(
            "FieldValueInvalid", 'Invalid value: "   ": message must be non-empty if specified',
            base + ".message")])

    def test_invalid_pattern_in_schema(self):
        s = root({"a": {"type": "string", "pattern": "(unclosed"}})
        got = self.errs(crd(s))
        self.assertEqual([x["field"] for x in got], [SV + ".properties[spec].properties[a].pattern"])
        self.assertTrue(got[0]["message"].startswith(
            'Invalid value: "(unclosed": must be a valid regular expression, but isn\'t: '))

    def test_additional_properties_false_in_cr(self):
        s = root({"m": {"type": "object", "additionalProperties": False}})
        self.assertEqual(schema.validate({"spec": {"m": {"x": 1}}}, s), [cause(
            "FieldValueInvalid", 'Invalid value: "x": spec.m.x in body is a forbidden property', "spec.m")])


class DecodingAndRobustness(unittest.TestCase):
    def test_wrong_json_types_are_decode_errors(self):
        s = root({"l": {"type": "array", "items": {"type": "string"}, "maxItems": "3"}})
        got = schema.check_structural(crd(s))
        self.assertEqual(len(got), 1)
        self.assertEqual(got[0]["field"],
                         "spec.versions[0].schema.openAPIV3Schema.properties[spec].properties[l].maxItems")
        self.assertTrue(got[0]["message"].startswith(
            'Invalid value: "3": cannot unmarshal string into a field of type int64'), got[0])
        c = crd()
        c["spec"]["versions"][0]["served"] = "yes"
        self.assertEqual([x["field"] for x in schema.check_structural(c)], ["spec.versions[0].served"])

    def test_garbage_never_raises(self):
        garbage = [None, 1, "x", [], {}, {"spec": []}, {"spec": {"versions": [None, 1]}},
                   {"spec": {"names": [], "versions": {}}}, {"metadata": "x"}]
        for g in garbage:
            out = schema.check_structural(g)
            self.assertTrue(out, g)
            for c_ in out:
                self.assertEqual(set(c_), {"reason", "message", "field"})
        bad_schemas = [None, [], {"type": 5}, {"properties": []}, {"properties": {"a": 1}},
                       {"type": "object", "required": "a"}, {"items": 3, "type": "array"},
                       {"type": "string", "maxLength": "2", "pattern": "("}]
        for sch in bad_schemas:
            for o in [None, 1, "x", [1], {"a": [None]}, {"spec": {"a": 1}}]:
                schema.validate(o, sch)
                schema.default_and_prune(o, sch)


class UnknownFields(unittest.TestCase):
    def test_typos_are_reported_with_strict_decoding_paths(self):
        c = crd(root({"a": {"type": "string", "requird": True}}))
        c["spec"]["versions"][0]["servd"] = True
        c["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"][
            "x-kubernetes-validations"] = [{"rule": "true", "mesage": "x"}]
        self.assertEqual(sorted(schema.unknown_fields(c)), sorted([
            "spec.versions[0].servd",
            "spec.versions[0].schema.openAPIV3Schema.properties.spec.properties.a.requird",
            "spec.versions[0].schema.openAPIV3Schema.properties.spec.x-kubernetes-validations[0].mesage",
        ]))
        self.assertEqual(schema.unknown_fields(crd()), [])


def realistic_crd():
    """A representative CRD: nested objects, list-maps, int-or-string quantities, CEL rules,
    status and scale subresources, printer columns, defaults, enums and patterns."""
    qty = {"anyOf": [{"type": "integer"}, {"type": "string"}],
           "pattern": r"^(\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))))?$",
           "x-kubernetes-int-or-string": True}
    resources = {"type": "object", "description": "requests and limits", "properties": {
        "requests": {"type": "object", "additionalProperties": qty},
        "limits": {"type": "object", "additionalProperties": qty}}}
    env = {"type": "array", "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["name"],
           "items": {"type": "object", "required": ["name"], "properties": {
               "name": {"type": "string", "minLength": 1},
               "value": {"type": "string"},
               "secretRef": {"type": "object", "required": ["name", "key"], "properties": {
                   "name": {"type": "string"}, "key": {"type": "string"}}}},
               "x-kubernetes-validations": [{"rule": "has(self.value) != has(self.secretRef)",
                                             "message": "set exactly one of value or secretRef"}]}}
    component = {"type": "object", "required": ["name", "type", "image"], "properties": {
        "name": {"type": "string", "pattern": "^[a-z]([-a-z0-9]*[a-z0-9])?$", "maxLength": 40},
        "type": {"type": "string", "enum": ["web", "worker", "cron", "stateful"]},
        "image": {"type": "string", "minLength": 1},
        "port": {"type": "integer", "format": "int32", "minimum": 1, "maximum": 65535},
        "replicas": {"type": "integer", "format": "int32", "minimum": 0, "default": 1},
        "command": {"type": "array", "items": {"type": "string"}},
        "env": env, "resources": resources,
        "probes": {"type": "object", "default": {}, "properties": {
            "path": {"type": "string", "default": "/healthz"},
            "port": {"x-kubernetes-int-or-string": True}}},
        "autoscaling": {"type": "object", "properties": {
            "min": {"type": "integer", "minimum": 1}, "max": {"type": "integer", "maximum": 100},
            "targetCPU": {"type": "integer", "minimum": 1, "maximum": 100, "default": 80}},
            "x-kubernetes-validations": [{"rule": "self.min <= self.max", "message": "min must not exceed max",
                                          "fieldPath": ".min", "reason": "FieldValueInvalid"}]},
        "schedule": {"type": "string"},
        "extra": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
        "template": {"type": "object", "x-kubernetes-embedded-resource": True,
                     "x-kubernetes-preserve-unknown-fields": True}},
        "x-kubernetes-validations": [{"rule": "self.type != 'cron' || has(self.schedule)",
                                      "message": "cron components need a schedule"}]}
    condition = {"type": "object", "required": ["type", "status"], "properties": {
        "type": {"type": "string"}, "status": {"type": "string", "enum": ["True", "False", "Unknown"]},
        "reason": {"type": "string"}, "message": {"type": "string"},
        "lastTransitionTime": {"type": "string", "format": "date-time"},
        "observedGeneration": {"type": "integer", "format": "int64"}}}
    sch = {"type": "object", "description": "AppStack", "properties": {
        "apiVersion": {"type": "string"}, "kind": {"type": "string"},
        "metadata": {"type": "object", "properties": {"name": {"type": "string", "maxLength": 50}}},
        "spec": {"type": "object", "required": ["components"], "properties": {
            "components": {"type": "array", "minItems": 1, "maxItems": 20, "items": component,
                           "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["name"]},
            "ingress": {"type": "object", "properties": {
                "host": {"type": "string", "format": "hostname"},
                "routes": {"type": "array", "items": {"type": "object", "required": ["path", "component"],
                                                      "properties": {"path": {"type": "string", "default": "/"},
                                                                     "component": {"type": "string"}}}},
                "tls": {"type": "object", "properties": {"issuer": {"type": "string"},
                                                        "selfSigned": {"type": "boolean"}},
                        "oneOf": [{"required": ["issuer"]}, {"required": ["selfSigned"]}]}}},
            "profile": {"type": "string", "enum": ["restricted", "baseline"], "default": "restricted"},
            "deletionPolicy": {"type": "string", "enum": ["Retain", "Delete"], "default": "Retain"},
            "labels": {"type": "object", "additionalProperties": {"type": "string"}, "maxProperties": 10},
            "suspend": {"type": "boolean", "default": False}},
            "x-kubernetes-validations": [{
                "rule": "!has(self.ingress) || !has(self.ingress.routes) || self.ingress.routes.all(r, "
                        "self.components.exists(c, c.name == r.component))",
                "message": "every route must name an existing component"}]},
        "status": {"type": "object", "properties": {
            "observedGeneration": {"type": "integer", "format": "int64"},
            "conditions": {"type": "array", "items": condition, "x-kubernetes-list-type": "map",
                           "x-kubernetes-list-map-keys": ["type"]},
            "url": {"type": "string"}, "replicas": {"type": "integer"}, "selector": {"type": "string"}}}}}
    c = crd(sch)
    c["metadata"]["name"] = "appstacks.appstack.io"
    c["spec"]["group"] = "appstack.io"
    c["spec"]["names"] = {"plural": "appstacks", "singular": "appstack", "kind": "AppStack",
                          "listKind": "AppStackList", "shortNames": ["ast"], "categories": ["appstack"]}
    v = c["spec"]["versions"][0]
    v["name"] = "v1alpha1"
    v["subresources"] = {"status": {}, "scale": {"specReplicasPath": ".spec.replicas",
                                                 "statusReplicasPath": ".status.replicas",
                                                 "labelSelectorPath": ".status.selector"}}
    v["additionalPrinterColumns"] = [
        {"name": "Ready", "type": "string", "jsonPath": ".status.conditions[?(@.type==\"Ready\")].status"},
        {"name": "URL", "type": "string", "jsonPath": ".status.url"},
        {"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"}]
    return c


class RealisticCRD(unittest.TestCase):
    def test_realistic_crd_is_structural(self):
        self.assertEqual(schema.check_structural(realistic_crd()), [])

    def test_realistic_cr_default_prune_validate(self):
        sch = realistic_crd()["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
        cr = {"apiVersion": "appstack.io/v1alpha1", "kind": "AppStack", "metadata": {"name": "demo"},
              "spec": {"components": [{"name": "web", "type": "web", "image": "nginx:1", "port": 8080,
                                       "resources": {"requests": {"cpu": "100m", "memory": 64}},
                                       "env": [{"name": "A", "value": "1"}], "bogus": True}],
                       "ingress": {"host": "demo.example.com", "routes": [{"component": "web"}],
                                   "tls": {"selfSigned": True}}}}
        out = schema.default_and_prune(cr, sch)
        comp = out["spec"]["components"][0]
        self.assertNotIn("bogus", comp)
        self.assertEqual(comp["replicas"], 1)
        self.assertEqual(comp["probes"], {"path": "/healthz"})
        self.assertEqual(out["spec"]["profile"], "restricted")
        self.assertEqual(out["spec"]["ingress"]["routes"], [{"component": "web", "path": "/"}])
        self.assertEqual(schema.validate(out, sch), [])
        bad = copy.deepcopy(out)
        bad["spec"]["components"][0]["port"] = 70000
        bad["spec"]["components"][0]["resources"]["requests"]["cpu"] = "lots"
        bad["spec"]["components"].append(copy.deepcopy(bad["spec"]["components"][0]))
        got = schema.validate(bad, sch)
        self.assertIn(cause("FieldValueInvalid", "Invalid value: 70000: spec.components[0].port in body "
                            "should be less than or equal to 65535", "spec.components[0].port"), got)
        self.assertIn(cause("FieldValueInvalid", "Invalid value: \"lots\": spec.components[0].resources."
                            "requests.cpu in body should match '" +
                            sch["properties"]["spec"]["properties"]["components"]["items"]["properties"]
                            ["resources"]["properties"]["requests"]["additionalProperties"]["pattern"] + "'",
                            "spec.components[0].resources.requests.cpu"), got)
        self.assertIn(cause("FieldValueDuplicate", 'Duplicate value: {"name":"web"}', "spec.components[1]"),
                      got)


def _kubectl_to_json(path):
    """The YAML documents of path as JSON objects, converted offline by kubectl (the same YAML 1.1
    parsing the real client does), or None when kubectl is unavailable or fails.
    `kubectl create --dry-run=client` needs API discovery from a server, so it cannot run offline;
    `kubectl label --local -o json` removing a label that is not there works without a server
    (it adds an empty metadata.labels map, which is harmless here)."""
    if not shutil.which("kubectl") or not os.path.exists(path):
        return None
    env = dict(os.environ, KUBECONFIG=os.devnull)
    try:
        r = subprocess.run(["kubectl", "label", "--local", "-o", "json", "-f", path,
                            "appstack-schema-test-"], capture_output=True, text=True, timeout=20, env=env)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if r.returncode != 0:
        return None
    docs, dec, text, i = [], json.JSONDecoder(), r.stdout, 0
    while i < len(text):
        if text[i].isspace():
            i += 1
            continue
        doc, i = dec.raw_decode(text, i)
        docs.extend(doc.get("items", []) if doc.get("kind") == "List" else [doc])
    return docs


class ProjectCRD(unittest.TestCase):
    def test_appstack_crd_is_structural(self):
        path = os.path.join(REPO, "crds", "appstack.yaml")
        if not os.path.exists(path):
            self.skipTest("crds/appstack.yaml does not exist yet")
        docs = _kubectl_to_json(path)
        if docs is None:
            self.skipTest("kubectl is missing or could not convert crds/appstack.yaml offline")
        crds = [d for d in docs if d.get("kind") == "CustomResourceDefinition"]
        self.assertTrue(crds, "crds/appstack.yaml holds no CustomResourceDefinition")
        for c in crds:
            self.assertEqual(schema.check_structural(c), [], c["metadata"]["name"])


if __name__ == "__main__":
    unittest.main()
