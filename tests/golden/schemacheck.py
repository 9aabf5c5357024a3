"""tests/golden/schemacheck.py - defaulting and validation of the OpenAPI v3 subset the
AppStack CRD uses, with messages in the form "spec.path: problem — what to do".

Covers: type (string, integer, boolean, object, array, int-or-string), required,
enum, pattern, minLength/maxLength, minimum/maximum, minItems/maxItems,
maxProperties, additionalProperties, unknown fields (errors, as with
kubectl's strict field validation), list-type map key uniqueness and set
uniqueness, and `default` (applied before validation, as the API server does).
Patterns are run with Python's `re`, which agrees with Go's RE2 on the
patterns the CRD uses (no look-around, no backreferences).
CEL rules are not evaluated here: tests/golden/celcheck.py mirrors them.
"""
import copy
import json
import re

_TYPES = {"string": str, "object": dict, "array": list, "boolean": bool}


def apply_defaults(schema, value):
    """Fills in `default`s, recursively and in place; returns value."""
    if isinstance(value, dict) and "properties" in schema:
        for name, sub in schema["properties"].items():
            if name not in value and "default" in sub:
                value[name] = copy.deepcopy(sub["default"])
            if name in value:
                apply_defaults(sub, value[name])
    elif isinstance(value, dict) and isinstance(schema.get("additionalProperties"), dict):
        for item in value.values():
            apply_defaults(schema["additionalProperties"], item)
    elif isinstance(value, list) and "items" in schema:
        for item in value:
            apply_defaults(schema["items"], item)
    return value


def _show(value):
    return json.dumps(value, ensure_ascii=False)


def _type_ok(schema, value):
    if schema.get("x-kubernetes-int-or-string"):
        return (isinstance(value, int) and not isinstance(value, bool)) or isinstance(value, str)
    kind = schema.get("type")
    if kind == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if kind in _TYPES:
        return isinstance(value, _TYPES[kind])
    return True


def _type_label(schema):
    if schema.get("x-kubernetes-int-or-string"):
        return "an integer or a string"
    return {"string": "a string", "integer": "an integer", "boolean": "true or false",
            "object": "an object (key: value lines)", "array": "a list (- item lines)",
            "number": "a number"}.get(schema.get("type"), "something else")


def _got(value):
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return "null"


class Checker:
    """Validates values against one schema; hints maps a pattern to what it means."""

    def __init__(self, hints=None, explain_root="appstack"):
        self.hints = hints or {}
        self.explain_root = explain_root

    def validate(self, schema, value, path):
        """Returns every error of value (a list of strings, empty when valid)."""
        errors = []
        self._node(schema, value, path, errors)
        return errors

    def _explain(self, path):
        clean = re.sub(r"\[[^\]]*\]", "", path)
        return "kubectl explain %s.%s" % (self.explain_root, clean)

    def _node(self, schema, value, path, errors):
        if not _type_ok(schema, value):
            errors.append("%s: must be %s, got %s — write %s" % (
                path, _type_label(schema), _got(value), _type_label(schema)))
            return
        if isinstance(value, str):
            self._string(schema, value, path, errors)
        elif isinstance(value, int) and not isinstance(value, bool):
            self._number(schema, value, path, errors)
        elif isinstance(value, dict):
            self._object(schema, value, path, errors)
        elif isinstance(value, list):
            self._array(schema, value, path, errors)
        if "enum" in schema and value not in schema["enum"]:
            errors.append("%s: %s is not allowed — use one of %s" % (
                path, _show(value), ", ".join(str(e) for e in schema["enum"])))

    def _string(self, schema, value, path, errors):
        if "maxLength" in schema and len(value) > schema["maxLength"]:
            errors.append("%s: is %d characters long, the limit is %d — shorten it" % (
                path, len(value), schema["maxLength"]))
        if "minLength" in schema and len(value) < schema["minLength"]:
            errors.append("%s: is %d characters long, at least %d are needed — fill it in" % (
                path, len(value), schema["minLength"]))
        pattern = schema.get("pattern")
        if pattern and not re.search(pattern, value):
            hint = self.hints.get(pattern, "see %s" % self._explain(path))
            errors.append("%s: %s is not valid — %s" % (path, _show(value), hint))

    def _number(self, schema, value, path, errors):
        if "minimum" in schema and value < schema["minimum"]:
            errors.append("%s: %d is too small — use at least %d" % (path, value, schema["minimum"]))
        if "maximum" in schema and value > schema["maximum"]:
            errors.append("%s: %d is too large — use at most %d" % (path, value, schema["maximum"]))

    def _object(self, schema, value, path, errors):
        props = schema.get("properties")
        extra = schema.get("additionalProperties")
        if "maxProperties" in schema and len(value) > schema["maxProperties"]:
            errors.append("%s: has %d entries, the limit is %d — remove some" % (
                path, len(value), schema["maxProperties"]))
        for name in schema.get("required", []):
            if name not in value:
                errors.append("%s.%s: required field is missing — add it (%s)" % (
                    path, name, self._explain(path + "." + name)))
        for name, item in value.items():
            sub = "%s.%s" % (path, name)
            if props is not None and name in props:
                self._node(props[name], item, sub, errors)
            elif isinstance(extra, dict):
                self._node(extra, item, sub, errors)
            elif not schema.get("x-kubernetes-preserve-unknown-fields"):
                errors.append("%s: unknown field — remove it or fix its spelling (%s)" % (
                    sub, self._explain(path)))

    def _array(self, schema, value, path, errors):
        if "maxItems" in schema and len(value) > schema["maxItems"]:
            errors.append("%s: has %d items, the limit is %d — remove some" % (
                path, len(value), schema["maxItems"]))
        if "minItems" in schema and len(value) < schema["minItems"]:
            errors.append("%s: has %d items, at least %d are needed — add one" % (
                path, len(value), schema["minItems"]))
        for index, item in enumerate(value):
            self._node(schema["items"], item, "%s[%d]" % (path, index), errors)
        kind = schema.get("x-kubernetes-list-type")
        seen = {}
        for index, item in enumerate(value):
            if kind == "map" and isinstance(item, dict):
                keys = schema["x-kubernetes-list-map-keys"]
                key = tuple(_show(item.get(k)) for k in keys)
                where = "%s[%d].%s" % (path, index, keys[0])
                what = ", ".join("%s %s" % (k, _show(item.get(k))) for k in keys)
            elif kind == "set":
                key, where, what = _show(item), "%s[%d]" % (path, index), _show(item)
            else:
                continue
            if key in seen:
                errors.append("%s: duplicate entry (%s, also at index %d) — each entry must be "
                              "unique, merge or rename them" % (where, what, seen[key]))
            else:
                seen[key] = index
