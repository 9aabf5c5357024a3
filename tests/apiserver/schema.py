"""CRD schemas for the local test API server: structural check, validation, defaulting, pruning.

Owns (helper F): everything the local API server needs to treat CustomResourceDefinitions and
custom resources the way kube-apiserver (apiextensions-apiserver + k8s.io/kube-openapi) does:

  check_structural(crd)         -> causes for a CRD that kube-apiserver would reject on create/update
  default_and_prune(obj, schema) -> a NEW object with defaults applied and unknown fields dropped
  validate(obj, schema)          -> causes for a custom resource that fails its OpenAPI v3 schema

A cause is {"reason": <metav1.CauseType>, "message": <field.Error.ErrorBody()>, "field": <path>}.

Limits (known, deliberate):
  * CEL (x-kubernetes-validations) is NOT compiled or evaluated here. check_structural only checks
    what apiextensions checks without CEL (non-empty rule, message/messageExpression/reason/fieldPath
    shape) plus a syntactic sanity check of the rule (balanced (), [], {} and closed quotes).
    Rule cost limits are not estimated. validate() does not run rules.
  * `pattern` uses Python `re` (real: Go RE2 on ECMA-262-ish patterns); typical Kubernetes patterns
    behave the same; look-arounds/backreferences would be accepted here but rejected by real.
  * Formats: the set real CRDs enforce is checked with small local validators (see _FORMATS);
    unknown formats are ignored (as real does).
  * Error ordering follows the validator order of kube-openapi but maps are walked in schema order,
    not Go's random map order; compare causes as sets when several fields fail.
  * Values inside messages that are neither scalars nor strings (lists, objects, a CRD's versions)
    are rendered as JSON like current apimachinery's ErrorBody; older releases printed Go syntax.
  * Rules evaluated by real kube-apiserver on CRD defaults (CEL on default values), CEL cost
    estimation and conversion-webhook settings are not checked.
  * Single-version-identical hoisting: like the v1->internal conversion, when every version carries an
    identical schema/subresources/printer columns they are reported under spec.validation /
    spec.subresources / spec.additionalPrinterColumns, otherwise under spec.versions[i].

Message table (Go format strings, what they become here). Sources: k8s.io/kube-openapi
pkg/validation/errors/schema.go, pkg/validation/validate/*.go; k8s.io/apimachinery
pkg/util/validation/field/errors.go; apiextensions-apiserver pkg/apiserver/validation (error
conversion), pkg/apiserver/schema/validation.go (structural), pkg/apis/apiextensions/validation.

  kube-openapi (the message inside the cause; "%s in body" = kube-openapi path, e.g. spec.a[0].b):
    type            "%s in body must be of type %s: %q"   (value = JSON type name of the data)
    required        "%s in body is required"              -> converted to "Required value"
    maxLength       "%s in body should be at most %d chars long" -> converted to TooLong (below)
    minLength       "%s in body should be at least %d chars long"
    pattern         "%s in body should match '%s'"
    enum            "%s in body should be one of %v"      -> converted to NotSupported (below)
    multipleOf      "%s in body should be a multiple of %v"
    maximum         "%s in body should be less than or equal to %v" / "... should be less than %v"
    minimum         "%s in body should be greater than or equal to %v" / "... greater than %v"
    maxItems        "%s in body should have at most %d items" -> converted to TooMany (below)
    minItems        "%s in body should have at least %d items"
    maxProperties   "%s in body should have at most %d properties" -> converted to TooMany
    minProperties   "%s in body should have at least %d properties"
    additionalProperties:false "%s.%s in body is a forbidden property"
    format          "%s in body must be of type %s: %q"  (type name = the format, value = the string)
    range           "Checked value must be of type integer with format int32 in %s" (plain error,
                    field "<nil>")
    anyOf           "%q must validate at least one schema (anyOf)"             (field "<nil>")
    oneOf           "%q must validate one and only one schema (oneOf). Found none valid" /
                    "... Found %d valid alternatives"                           (field "<nil>")
    allOf           "%q must validate all the schemas (allOf)" [+ ". None validated"]
    not             "%q must not validate the schema (not)"
  apimachinery field.Error.ErrorBody() (the cause message) and CauseType (the cause reason):
    FieldValueRequired      "Required value[: detail]"
    FieldValueForbidden     "Forbidden: detail"
    FieldValueTooLong       "Too long: may not be more than %d bytes" (TooLongMaxLength -> TooLong in
                            current apimachinery; older releases said "may not be longer than %d")
    FieldValueInvalid       "Invalid value: <value>: detail"
    FieldValueTypeInvalid   "Invalid value: <value>: detail"   (type and format failures; note the
                            reason is FieldValueTypeInvalid, not FieldValueInvalid)
    FieldValueNotSupported  "Unsupported value: <value>: supported values: \"a\", \"b\""
    FieldValueDuplicate     "Duplicate value: <value>"
    FieldValueTooMany       "Too many: %d: must have at most %d items" ("item" when 1)
    <value>: int/float/bool with Go %v, strings with %q, anything else as JSON (json.Marshal).
  Composite (anyOf/oneOf/allOf/not) and range errors carry no field: field "<nil>", message
  'Invalid value: "": "spec.x" must validate ...' (as in apiextensions-apiserver's own tests).
  Errors in a CRD `default` are validated with an empty root path, hence the real double space:
  '...properties[r].default: Invalid value: "string":  in body must be of type integer: "string"'.
  CRD-level wordings (field paths use properties[name], items, [i]; structural errors are sorted by
  "field: message" like ValidateStructural):
    type missing         Required "must not be empty for specified object fields" / "... for
                         specified array items" / "must not be empty at the root"
    root type            Invalid "must be object at the root"
    array without items  Required "must be specified"   (field ...items)
    junctor with type    Forbidden "must be empty to be structural" (also description, title;
                         "must be undefined to be structural" for default/additionalProperties/
                         x-kubernetes-list-type; "must be false ..." for nullable/x-kubernetes-*)
    metadata             Forbidden "must not specify anything other than name and generateName, but
                         metadata is implicitly specified"; default: "must not be set in top-level
                         metadata"
    keywords             Forbidden "$ref is not supported" (id, additionalItems, patternProperties,
                         definitions, dependencies), "uniqueItems cannot be set to true since the
                         runtime complexity becomes quadratic", "additionalProperties and properties
                         are mutual exclusive", "type cannot be set to null, use nullable as an
                         alternative", "nullable cannot be true at the root"
    defaults             Invalid "must not have unknown fields", or the value's validation causes
    list-map keys        Required "this property is in x-kubernetes-list-map-keys, so it must have a
                         default or be a required property", Invalid "must be a scalar type if parent
                         array's x-kubernetes-list-type is map", "entries must all be names of item
                         properties"; set of objects: "must be atomic as item of a list with
                         x-kubernetes-list-type=set"
    CEL rules            Required "rule is not specified"; message/messageExpression/reason/fieldPath
                         checks; local syntax failure: Invalid "compilation failed: ERROR: <input>:..."
    names/versions       "must be spec.names.plural+\".\"+spec.group", "should be a domain with at
                         least one dot", "must have exactly one version marked as storage version",
                         "must contain unique version names", "schemas are required", DNS-1035 texts
    printer columns      "must be one of boolean,date,integer,number,string", JSONPath Required /
                         "must be a simple json path starting with ."

Extra helper (not in the shared interface): unknown_fields(crd) lists the paths a strict decoder
rejects (kubectl's default fieldValidation=Strict makes kube-apiserver answer 400 for them).
"""

import copy
import json
import math
import re
from decimal import Decimal

# ----------------------------------------------------------------------------------------------
# Go-compatible value formatting


def _go_float(f):
    """Go's %v for a float64: shortest digits, %e form when the exponent is < -4 or >= 6."""
    if math.isnan(f):
        return "NaN"
    if math.isinf(f):
        return "+Inf" if f > 0 else "-Inf"
    if f == 0:
        return "-0" if math.copysign(1.0, f) < 0 else "0"
    d = Decimal(repr(f))
    sign, digits, exp = d.as_tuple()
    digits = list(digits)
    while len(digits) > 1 and digits[-1] == 0:
        digits.pop()
        exp += 1
    nd = len(digits)
    x = nd + exp - 1  # decimal exponent of the first digit
    # strconv 'g' with shortest precision: %e when exponent < -4 || exponent >= 6 (eprec = 6),
    # which is why Go prints 1e+06 for a million.
    eprec = 6
    s = "-" if sign else ""
    ds = "".join(str(c) for c in digits)
    if x < -4 or x >= eprec:
        mant = ds[0] + ("." + ds[1:] if nd > 1 else "")
        es = "-" if x < 0 else "+"
        return "%s%se%s%02d" % (s, mant, es, abs(x))
    if exp >= 0:
        return s + ds + "0" * exp
    point = nd + exp
    if point > 0:
        return s + ds[:point] + "." + ds[point:]
    return s + "0." + "0" * (-point) + ds


def _go_json(v):
    """encoding/json.Marshal of a decoded JSON value (sorted keys, compact, HTML-escaped)."""
    def conv(x):
        if isinstance(x, float) and x == int(x) and abs(x) < 1e21:
            return int(x)
        if isinstance(x, dict):
            return {k: conv(w) for k, w in x.items()}
        if isinstance(x, list):
            return [conv(w) for w in x]
        return x
    s = json.dumps(conv(v), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return s.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _go_quote(s):
    """Go's %q / strconv.Quote for printable text (close enough: JSON string escaping)."""
    return json.dumps(s, ensure_ascii=False)


def _go_v(v):
    """ErrorBody rendering of a bad value."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return _go_float(v)
    if isinstance(v, str):
        return _go_quote(v)
    return _go_json(v)


# ----------------------------------------------------------------------------------------------
# field.Error constructors -> causes

_OMIT = object()


def _cause(reason, field, detail="", value=_OMIT):
    """A StatusCause from a field.Error: message is ErrorBody() (value shown for value-carrying types)."""
    titles = {
        "FieldValueRequired": "Required value",
        "FieldValueForbidden": "Forbidden",
        "FieldValueTooLong": "Too long",
        "FieldValueInvalid": "Invalid value",
        "FieldValueTypeInvalid": "Invalid value",
        "FieldValueNotSupported": "Unsupported value",
        "FieldValueDuplicate": "Duplicate value",
        "FieldValueTooMany": "Too many",
    }
    msg = titles[reason]
    if value is not _OMIT and reason not in ("FieldValueRequired", "FieldValueForbidden",
                                             "FieldValueTooLong"):
        msg += ": " + _go_v(value)
    if detail:
        msg += ": " + detail
    return {"reason": reason, "message": msg, "field": field}


def _required(field, detail=""):
    """field.Required."""
    return _cause("FieldValueRequired", field, detail)


def _forbidden(field, detail):
    """field.Forbidden."""
    return _cause("FieldValueForbidden", field, detail)


def _invalid(field, value, detail):
    """field.Invalid."""
    return _cause("FieldValueInvalid", field, detail, value)


def _not_supported(field, value, values):
    """field.NotSupported (values quoted like strconv.Quote)."""
    detail = "supported values: " + ", ".join(_go_quote(str(v)) for v in values) if values else ""
    return _cause("FieldValueNotSupported", field, detail, value)


def _too_many(field, actual, maximum):
    """field.TooMany."""
    return _cause("FieldValueTooMany", field,
                  "must have at most %d %s" % (maximum, "item" if maximum == 1 else "items"), actual)


def _too_long(field, maximum):
    """field.TooLong (current apimachinery wording)."""
    return _cause("FieldValueTooLong", field,
                  "may not be more than %d %s" % (maximum, "byte" if maximum == 1 else "bytes"))


def _child(base, name):
    """field.Path.Child as text."""
    return name if not base else base + "." + name


def _key(base, k):
    """field.Path.Key as text."""
    return "%s[%s]" % (base, k)


def _index(base, i):
    """field.Path.Index as text."""
    return "%s[%d]" % (base, i)


# ----------------------------------------------------------------------------------------------
# JSON helpers

def _is_int(v):
    """A JSON integer (Go int64), not a bool."""
    return isinstance(v, int) and not isinstance(v, bool)


def _is_num(v):
    """Any JSON number, not a bool."""
    return (isinstance(v, (int, float))) and not isinstance(v, bool)


def _json_type(v):
    """The JSON type name kube-openapi reports for a decoded value."""
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "boolean"
    if _is_int(v):
        return "integer"
    if isinstance(v, float):
        return "number"
    if isinstance(v, str):
        return "string"
    if isinstance(v, list):
        return "array"
    if isinstance(v, dict):
        return "object"
    return "unknown"


def _json_equal(a, b):
    """Deep equality where 1 == 1.0 but True != 1."""
    if _is_num(a) and _is_num(b):
        return a == b
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_json_equal(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_json_equal(x, y) for x, y in zip(a, b))
    return type(a) is type(b) and a == b


# ----------------------------------------------------------------------------------------------
# Formats (the ones apiextensions keeps; others are ignored like real)

_RE_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_RE_DATETIME = re.compile(
    r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([Zz]|[+-]\d{2}:?\d{2})$")
_RE_UUID = re.compile(r"^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?"
                      r"[0-9a-fA-F]{12}$")
_RE_HOSTNAME = re.compile(r"^[a-zA-Z0-9]([a-zA-Z0-9\-]{0,61}[a-zA-Z0-9])?(\.[a-zA-Z0-9]([a-zA-Z0-9\-]{0,61}[a-zA-Z0-9])?)*\.?$")
_RE_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")
_RE_MAC = re.compile(r"^([0-9A-Fa-f]{2}[:-]){5}[0-9A-Fa-f]{2}$")
_RE_HEXCOLOR = re.compile(r"^#([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")
_RE_RGBCOLOR = re.compile(r"^rgb\(\s*\d{1,3}\s*,\s*\d{1,3}\s*,\s*\d{1,3}\s*\)$")
_RE_BSON = re.compile(r"^[0-9a-fA-F]{24}$")
_RE_DURATION = re.compile(r"^(-?\d+(\.\d+)?\s*(ns|us|µs|ms|s|m|h|d|w)\s*)+$")
_RE_B64 = re.compile(r"^[A-Za-z0-9+/]*={0,2}$")


def _valid_ipv4(s):
    """strfmt ipv4."""
    parts = s.split(".")
    return len(parts) == 4 and all(p.isdigit() and len(p) <= 3 and int(p) <= 255 for p in parts)


def _valid_ipv6(s):
    """strfmt ipv6."""
    import ipaddress
    try:
        ipaddress.IPv6Address(s)
        return True
    except ValueError:
        return False


def _valid_cidr(s):
    """strfmt cidr."""
    import ipaddress
    try:
        ipaddress.ip_network(s, strict=False)
        return "/" in s
    except ValueError:
        return False


def _valid_datetime(s):
    """strfmt date-time (RFC 3339, real calendar date)."""
    import datetime
    if not _RE_DATETIME.match(s):
        return False
    try:
        datetime.date(int(s[0:4]), int(s[5:7]), int(s[8:10]))
    except ValueError:
        return False
    return True


def _valid_date(s):
    """strfmt date (full-date, real calendar date)."""
    import datetime
    if not _RE_DATE.match(s):
        return False
    try:
        datetime.date(int(s[0:4]), int(s[5:7]), int(s[8:10]))
    except ValueError:
        return False
    return True


def _valid_uri(s):
    """strfmt uri (scheme or absolute path)."""
    return bool(re.match(r"^[A-Za-z][A-Za-z0-9+.\-]*:", s)) or s.startswith("/")


def _valid_byte(s):
    """strfmt byte (standard base64 with padding)."""
    return len(s) % 4 == 0 and bool(_RE_B64.match(s))


_FORMATS = {
    "date": _valid_date,
    "date-time": _valid_datetime,
    "datetime": _valid_datetime,
    "byte": _valid_byte,
    "uuid": lambda s: bool(_RE_UUID.match(s)),
    "uuid3": lambda s: bool(_RE_UUID.match(s)),
    "uuid4": lambda s: bool(_RE_UUID.match(s)),
    "uuid5": lambda s: bool(_RE_UUID.match(s)),
    "ipv4": _valid_ipv4,
    "ipv6": _valid_ipv6,
    "cidr": _valid_cidr,
    "mac": lambda s: bool(_RE_MAC.match(s)),
    "hostname": lambda s: len(s) <= 255 and bool(_RE_HOSTNAME.match(s)),
    "email": lambda s: bool(_RE_EMAIL.match(s)),
    "uri": _valid_uri,
    "hexcolor": lambda s: bool(_RE_HEXCOLOR.match(s)),
    "rgbcolor": lambda s: bool(_RE_RGBCOLOR.match(s)),
    "bsonobjectid": lambda s: bool(_RE_BSON.match(s)),
    "duration": lambda s: bool(_RE_DURATION.match(s)),
    "password": lambda s: True,
}

# ----------------------------------------------------------------------------------------------
# validate(): kube-openapi semantics, raw errors then conversion to field errors


class _E:
    """A kube-openapi error before conversion (code names the conversion rule)."""
    __slots__ = ("code", "name", "value", "message", "extra")

    def __init__(self, code, name, message, value=None, extra=None):
        self.code, self.name, self.message, self.value, self.extra = code, name, message, value, extra


def _in(path):
    """The "<path> in body" prefix of kube-openapi messages."""
    return "%s in body" % path


def _range_error(val, typ, fmt, prefix, path):
    """kube-openapi IsValueValidAgainstRange: a plain (non-Validation) error or None."""
    if _is_int(val):
        rep = val
    else:
        rep = float(val)
    ok = True
    if typ == "integer":
        if isinstance(rep, float):
            ok = rep == int(rep) if math.isfinite(rep) else False
            if ok:
                rep = int(rep)
        if ok:
            if fmt == "int32":
                ok = -2**31 <= rep < 2**31
            elif fmt == "uint32":
                ok = 0 <= rep < 2**32
            elif fmt == "uint64":
                ok = 0 <= rep < 2**64
            else:
                ok = -2**63 <= rep < 2**63
    elif fmt in ("float", "float32"):
        ok = abs(float(rep)) <= 3.4028234663852886e38
    if ok:
        return None
    if fmt:
        return _E("plain", "", "%s value must be of type %s with format %s in %s"
                  % (prefix, typ or "number", fmt, path))
    return _E("plain", "", "%s value must be of type %s in %s" % (prefix, typ or "number", path))


def _types_of(s):
    """The allowed JSON types of a schema (int-or-string means integer,string)."""
    t = s.get("type")
    types = [t] if isinstance(t, str) and t else list(t) if isinstance(t, list) else []
    if s.get("x-kubernetes-int-or-string") and not types:
        types = ["integer", "string"]
    return types


def _v_type(data, s, path):
    """kube-openapi typeValidator."""
    types = _types_of(s)
    if not types:
        return []
    if data is None:
        if "null" not in types and not s.get("nullable"):
            return [_E("type", path, '%s must be of type %s: "null"' % (_in(path), ",".join(types)),
                       "null")]
        return []
    jt = _json_type(data)
    float_int = jt == "number" and math.isfinite(data) and data == int(data) and "integer" in types
    int_float = jt == "integer" and "number" in types
    if jt in types or float_int or int_float:
        return []
    return [_E("type", path, "%s must be of type %s: %s" % (_in(path), ",".join(types), _go_quote(jt)),
               jt)]


def _v_props(data, s, path):
    """kube-openapi schemaPropsValidator: anyOf, oneOf, allOf, not."""
    out = []
    if s.get("anyOf"):
        best = None
        ok = False
        for sub in s["anyOf"]:
            r = _v(data, sub, path)
            if not r:
                ok = True
                best = None
                break
            if best is None or len(r) < len(best):
                best = r
        if not ok:
            out.append(_E("composite", "", '%s must validate at least one schema (anyOf)'
                          % _go_quote(path)))
        if best:
            out.extend(best)
    if s.get("oneOf"):
        valid = 0
        best = None
        for sub in s["oneOf"]:
            r = _v(data, sub, path)
            if not r:
                valid += 1
                best = None
                continue
            if valid == 0 and (best is None or len(r) < len(best)):
                best = r
        if valid != 1:
            more = "Found none valid" if valid == 0 else "Found %d valid alternatives" % valid
            out.append(_E("composite", "", '%s must validate one and only one schema (oneOf). %s'
                          % (_go_quote(path), more)))
            if best:
                out.extend(best)
    if s.get("allOf"):
        valid = 0
        for sub in s["allOf"]:
            r = _v(data, sub, path)
            if not r:
                valid += 1
            out.extend(r)
        if valid != len(s["allOf"]):
            more = ". None validated" if valid == 0 else ""
            out.append(_E("composite", "", '%s must validate all the schemas (allOf)%s'
                          % (_go_quote(path), more)))
    if isinstance(s.get("not"), dict):
        if not _v(data, s["not"], path):
            out.append(_E("composite", "", '%s must not validate the schema (not)' % _go_quote(path)))
    return out


def _v_string(data, s, path):
    """kube-openapi stringValidator: first failing of maxLength, minLength, pattern."""
    n = len(data)  # characters (Go: utf8.RuneCountInString)
    if "maxLength" in s and n > s["maxLength"]:
        return [_E("maxLength", path, "%s should be at most %d chars long" % (_in(path), s["maxLength"]),
                   data, s["maxLength"])]
    if "minLength" in s and n < s["minLength"]:
        return [_E("invalid", path, "%s should be at least %d chars long" % (_in(path), s["minLength"]),
                   data)]
    if s.get("pattern"):
        try:
            matched = re.search(s["pattern"], data) is not None
        except re.error:
            matched = False
        if not matched:
            return [_E("invalid", path, "%s should match '%s'" % (_in(path), s["pattern"]), data)]
    return []


def _v_format(data, s, path):
    """kube-openapi formatValidator for the formats CRDs keep."""
    fmt = s.get("format")
    check = _FORMATS.get(fmt)
    if check is None or check(data):
        return []
    return [_E("type", path, "%s must be of type %s: %s" % (_in(path), fmt, _go_quote(data)), data)]


def _cmp_limit(val, limit, typ, fmt, prefix, path):
    """Returns (value_for_compare, limit_for_compare, limit_text, range_error)."""
    err = _range_error(limit, typ, fmt, prefix, path)
    if err is None and _is_int(val) and (_is_int(limit) or float(limit) == int(limit)):
        return val, int(limit), str(int(limit)), None
    return float(val), float(limit), _go_float(float(limit)), err


def _v_number(data, s, path):
    """kube-openapi numberValidator: range, multipleOf, minimum, maximum."""
    out = []
    typ = s.get("type") if isinstance(s.get("type"), str) else ""
    fmt = s.get("format", "")
    e = _range_error(data, typ, fmt, "Checked", path)
    if e:
        out.append(e)
    if "multipleOf" in s:
        m = s["multipleOf"]
        err = _range_error(m, typ, fmt, "MultipleOf", path)
        if err:
            out.append(err)
        if err is None and _is_int(data) and (_is_int(m) or float(m) == int(m)) and int(m) != 0:
            bad = data % int(m) != 0
            mt = str(int(m))
        else:
            q = float(data) / float(m) if m else float("inf")
            bad = not (math.isfinite(q) and q == int(q))
            mt = _go_float(float(m))
        if bad:
            out.append(_E("invalid", path, "%s should be a multiple of %s" % (_in(path), mt), data))
    if "minimum" in s:
        v, lim, txt, err = _cmp_limit(data, s["minimum"], typ, fmt, "Minimum boundary", path)
        if err:
            out.append(err)
        excl = bool(s.get("exclusiveMinimum"))
        if (excl and v <= lim) or (not excl and v < lim):
            out.append(_E("invalid", path, "%s should be greater than %s%s" % (
                _in(path), "" if excl else "or equal to ", txt), data))
    if "maximum" in s:
        v, lim, txt, err = _cmp_limit(data, s["maximum"], typ, fmt, "Maximum boundary", path)
        if err:
            out.append(err)
        excl = bool(s.get("exclusiveMaximum"))
        if (excl and v >= lim) or (not excl and v > lim):
            out.append(_E("invalid", path, "%s should be less than %s%s" % (
                _in(path), "" if excl else "or equal to ", txt), data))
    return out


def _v_slice(data, s, path):
    """kube-openapi schemaSliceValidator: items, minItems, maxItems, uniqueItems."""
    out = []
    items = s.get("items")
    if isinstance(items, dict):
        for i, x in enumerate(data):
            out.extend(_v(x, items, "%s[%d]" % (path, i)))
    n = len(data)
    if "minItems" in s and n < s["minItems"]:
        out.append(_E("invalid", path, "%s should have at least %d items" % (_in(path), s["minItems"]),
                      n))
    if "maxItems" in s and n > s["maxItems"]:
        out.append(_E("tooMany", path, "%s should have at most %d items" % (_in(path), s["maxItems"]),
                      n, s["maxItems"]))
    if s.get("uniqueItems"):
        for i in range(n):
            if any(_json_equal(data[i], data[j]) for j in range(i)):
                out.append(_E("invalid", path, "%s shouldn't contain duplicates" % _in(path)))
                break
    return out


def _v_enum(data, s, path):
    """kube-openapi basicCommonValidator: enum."""
    enum = s.get("enum")
    if not enum:
        return []
    if data is not None and any(e is not None and _json_equal(data, e) for e in enum):
        return []
    return [_E("enum", path, "%s should be one of %s" % (_in(path), enum), data, enum)]


def _v_object(data, s, path):
    """kube-openapi objectValidator: property counts, additionalProperties, properties, required."""
    n = len(data)
    if "minProperties" in s and n < s["minProperties"]:
        return [_E("invalid", path, "%s should have at least %d properties"
                   % (_in(path), s["minProperties"]), n)]
    if "maxProperties" in s and n > s["maxProperties"]:
        return [_E("tooMany", path, "%s should have at most %d properties"
                   % (_in(path), s["maxProperties"]), n, s["maxProperties"])]
    out = []
    props = s.get("properties") or {}
    ap = s.get("additionalProperties")
    if ap is False:
        for k in data:
            if k not in props:
                out.append(_E("invalid", path, "%s.%s in body is a forbidden property" % (path, k), k))
    elif isinstance(ap, dict):
        for k, v in data.items():
            if k not in props:
                out.extend(_v(v, ap, path + "." + k))
    for k, sub in props.items():
        if k in data:
            out.extend(_v(data[k], sub, k if path == "" else path + "." + k))
    for k in s.get("required") or []:
        if k not in data:
            out.append(_E("required", path + "." + k, "%s.%s in body is required" % (path, k)))
    return out


def _v(data, s, path):
    """kube-openapi SchemaValidator.Validate: raw errors for data against schema s at path."""
    if not isinstance(s, dict):
        return []
    out = []
    out.extend(_v_type(data, s, path))
    if data is None:
        out.extend(_v_enum(data, s, path))
        return out
    out.extend(_v_props(data, s, path))
    if isinstance(data, str):
        out.extend(_v_string(data, s, path))
        out.extend(_v_format(data, s, path))
    if _is_num(data):
        out.extend(_v_number(data, s, path))
    if isinstance(data, list):
        out.extend(_v_slice(data, s, path))
    out.extend(_v_enum(data, s, path))
    if isinstance(data, dict):
        out.extend(_v_object(data, s, path))
    return out


def _convert(errors, prefix):
    """apiextensions kubeOpenAPIErrorToFieldError (prefix None = the CR root, printed "<nil>")."""
    causes = []
    for e in errors:
        if e.code in ("plain", "composite") or not e.name or e.name == ".":
            field = prefix if prefix is not None else "<nil>"
        else:
            name = e.name[1:] if e.name.startswith(".") else e.name
            field = name if prefix is None else prefix + "." + name
        if e.code == "required":
            causes.append(_required(field))
        elif e.code == "enum":
            vals = [v if isinstance(v, str) else _go_json(v) for v in e.extra]
            causes.append(_not_supported(field, e.value, vals))
        elif e.code == "maxLength":
            causes.append(_too_long(field, e.extra))
        elif e.code == "tooMany":
            causes.append(_too_many(field, e.value, e.extra))
        elif e.code == "type":
            causes.append(_cause("FieldValueTypeInvalid", field, e.message, e.value))
        elif e.code in ("plain", "composite"):
            causes.append(_invalid(field, "", e.message))
        else:
            causes.append(_invalid(field, e.value if e.value is not None else "", e.message))
    return causes


def _list_type_errors(data, s, field):
    """listtype.ValidateListSetsAndMaps: Duplicate value causes for set/map lists."""
    out = []
    if not isinstance(s, dict):
        return out
    if isinstance(data, dict):
        props = s.get("properties") or {}
        ap = s.get("additionalProperties")
        for k, v in data.items():
            if k in props:
                out.extend(_list_type_errors(v, props[k], _child(field, k)))
            elif isinstance(ap, dict):
                out.extend(_list_type_errors(v, ap, _key(field, k)))
    elif isinstance(data, list):
        lt = s.get("x-kubernetes-list-type")
        if lt == "set":
            for i, x in enumerate(data):
                if any(_json_equal(x, data[j]) for j in range(i)):
                    out.append(_cause("FieldValueDuplicate", _index(field, i), "", x))
        elif lt == "map":
            keys = s.get("x-kubernetes-list-map-keys") or []
            seen = []
            for i, x in enumerate(data):
                if not isinstance(x, dict):
                    continue
                kv = {k: x[k] for k in keys if k in x}
                if any(_json_equal(kv, o) for o in seen):
                    out.append(_cause("FieldValueDuplicate", _index(field, i), "", kv))
                else:
                    seen.append(kv)
        items = s.get("items")
        for i, x in enumerate(data):
            out.extend(_list_type_errors(x, items, _index(field, i)))
    return out


def _validate_at(obj, schema, prefix):
    """Schema causes plus list-type duplicates for obj, fields under prefix (None = CR root)."""
    causes = _convert(_v(obj, schema, ""), prefix)
    causes.extend(_list_type_errors(obj, schema, prefix or ""))
    return causes


def validate(obj, schema):
    """Causes for obj (a custom resource, already defaulted/pruned) failing its OpenAPI v3 schema,
    worded like kube-apiserver; [] when valid. CEL rules are not evaluated (see module doc)."""
    if not isinstance(schema, dict):
        return []
    return _validate_at(obj, _clean_schema(schema, "", []), None)


# ----------------------------------------------------------------------------------------------
# Pruning and defaulting

_META_FIELDS = ("apiVersion", "kind", "metadata")


def _prune(x, s):
    """pruning.prune: drop fields not described by s (mutates x, a private copy)."""
    if isinstance(s, dict) and s.get("x-kubernetes-preserve-unknown-fields"):
        _skip_prune(x, s)
        return
    if isinstance(x, dict):
        if not isinstance(s, dict):
            x.clear()
            return
        props = s.get("properties") or {}
        ap = s.get("additionalProperties")
        for k in list(x):
            if s.get("x-kubernetes-embedded-resource") and k in _META_FIELDS:
                continue
            if k in props:
                _prune(x[k], props[k])
            elif ap is True:
                continue  # additionalProperties: true keeps values as they are
            elif isinstance(ap, dict):
                _prune(x[k], ap)
            else:
                del x[k]
    elif isinstance(x, list):
        items = s.get("items") if isinstance(s, dict) else None
        for v in x:
            _prune(v, items)


def _skip_prune(x, s):
    """pruning.skipPrune: inside preserve-unknown-fields, still prune specified subtrees."""
    if not isinstance(s, dict):
        return
    if isinstance(x, dict):
        props = s.get("properties") or {}
        ap = s.get("additionalProperties")
        for k in list(x):
            if s.get("x-kubernetes-embedded-resource") and k in _META_FIELDS:
                continue
            if k in props:
                _prune(x[k], props[k])
            elif isinstance(ap, dict):
                _prune(x[k], ap)
    elif isinstance(x, list):
        for v in x:
            _skip_prune(v, s.get("items"))


def _non_nullable_null(v, s):
    """A null where the schema does not allow null."""
    return v is None and not (isinstance(s, dict) and s.get("nullable"))


def _prune_nulls(x, s):
    """PruneNonNullableNullsWithoutDefaults: null for a non-nullable field without default goes."""
    if not isinstance(s, dict):
        return
    if isinstance(x, dict):
        props = s.get("properties") or {}
        ap = s.get("additionalProperties")
        for k in list(x):
            sub = props.get(k, ap if isinstance(ap, dict) else None)
            if sub is None:
                continue
            if _non_nullable_null(x[k], sub) and "default" not in sub:
                del x[k]
            else:
                _prune_nulls(x[k], sub)
    elif isinstance(x, list) and isinstance(s.get("items"), dict):
        for v in x:
            _prune_nulls(v, s["items"])


def _default(x, s):
    """structuraldefaulting.Default (mutates x, a private copy)."""
    if not isinstance(s, dict):
        return
    if isinstance(x, dict):
        props = s.get("properties") or {}
        for k, p in props.items():
            if isinstance(p, dict) and "default" in p:
                if k not in x or _non_nullable_null(x[k], p):
                    x[k] = copy.deepcopy(p["default"])
        ap = s.get("additionalProperties")
        for k in list(x):
            if k in props:
                _default(x[k], props[k])
            elif isinstance(ap, dict):
                if "default" in ap and _non_nullable_null(x[k], ap):
                    x[k] = copy.deepcopy(ap["default"])
                _default(x[k], ap)
    elif isinstance(x, list):
        items = s.get("items")
        if not isinstance(items, dict):
            return
        for i in range(len(x)):
            if "default" in items and _non_nullable_null(x[i], items):
                x[i] = copy.deepcopy(items["default"])
            _default(x[i], items)


def default_and_prune(obj, schema):
    """A new object: non-nullable nulls without default dropped, unknown fields pruned, `default`s
    applied (recursively, also inside just-defaulted objects and to every array item). At the root
    apiVersion/kind/metadata are kept untouched (metadata is the server's business); embedded
    resources keep apiVersion/kind/metadata. The input is never mutated."""
    out = copy.deepcopy(obj)
    if not isinstance(out, dict) or not isinstance(schema, dict):
        return out
    schema = _clean_schema(schema, "", [])
    meta = {k: out.pop(k) for k in _META_FIELDS if k in out}
    root = dict(schema)
    props = dict(root.get("properties") or {})
    for k in _META_FIELDS:
        props.pop(k, None)
    root["properties"] = props
    _prune_nulls(out, root)
    _prune(out, root)
    _default(out, root)
    result = dict(meta)
    result.update(out)
    return result


# ----------------------------------------------------------------------------------------------
# check_structural(): CRD validation as on create/update

_DNS1035 = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
_DNS1123_SUB = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_DNS1035_MSG = ("a DNS-1035 label must consist of lower case alphanumeric characters or '-', "
                "start with an alphabetic character, and end with an alphanumeric character "
                "(e.g. 'my-name',  or 'abc-123', regex used for validation is "
                "'[a-z]([-a-z0-9]*[a-z0-9])?')")  # double space is real (RegexError)
_DNS1123_MSG = ("a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, "
                "'-' or '.', and must start and end with an alphanumeric character (e.g. "
                "'example.com', regex used for validation is "
                "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')")
_OPENAPI_TYPES = ["array", "boolean", "integer", "number", "object", "string"]
_PRINTER_TYPES = ["boolean", "date", "integer", "number", "string"]
_PRINTER_FORMATS = ["byte", "date", "date-time", "double", "float", "int32", "int64", "password"]
_ROOT_ALLOWED_WITH_STATUS = [
    ("Description", "description"), ("Type", "type"), ("Format", "format"), ("Title", "title"),
    ("Maximum", "maximum"), ("ExclusiveMaximum", "exclusiveMaximum"), ("Minimum", "minimum"),
    ("ExclusiveMinimum", "exclusiveMinimum"), ("MaxLength", "maxLength"),
    ("MinLength", "minLength"), ("Pattern", "pattern"), ("MaxItems", "maxItems"),
    ("MinItems", "minItems"), ("UniqueItems", "uniqueItems"), ("MultipleOf", "multipleOf"),
    ("Required", "required"), ("Items", "items"), ("Properties", "properties"),
    ("ExternalDocs", "externalDocs"), ("Example", "example"),
    ("XPreserveUnknownFields", "x-kubernetes-preserve-unknown-fields"),
    ("XValidations", "x-kubernetes-validations"),
]
_VALIDATION_REASONS = ["FieldValueDuplicate", "FieldValueForbidden", "FieldValueInvalid",
                       "FieldValueRequired"]


def _dns1035(v):
    """validation.IsDNS1035Label messages."""
    errs = []
    if len(v) > 63:
        errs.append("must be no more than 63 characters")
    if not _DNS1035.match(v):
        errs.append(_DNS1035_MSG)
    return errs


def _dns1123_subdomain(v):
    """validation.IsDNS1123Subdomain messages."""
    errs = []
    if len(v) > 253:
        errs.append("must be no more than 253 characters")
    if not _DNS1123_SUB.match(v):
        errs.append(_DNS1123_MSG)
    return errs


def _simple_json_path(s, field):
    """validateSimpleJSONPath."""
    if s == "":
        return [_invalid(field, s, "must not be empty")]
    if s[0] != ".":
        return [_invalid(field, s, "must be a simple json path starting with .")]
    return []


def _names(names, f):
    """Required names plus ValidateCustomResourceDefinitionNames."""
    out = []
    for k in ("plural", "singular", "kind", "listKind"):
        if not names.get(k):
            out.append(_required(_child(f, k)))
    plural, singular = names.get("plural") or "", names.get("singular") or ""
    kind, list_kind = names.get("kind") or "", names.get("listKind") or ""
    if plural and _dns1035(plural):
        out.append(_invalid(_child(f, "plural"), plural, ",".join(_dns1035(plural))))
    if singular and _dns1035(singular):
        out.append(_invalid(_child(f, "singular"), singular, ",".join(_dns1035(singular))))
    mixed = "may have mixed case, but should otherwise match: "
    if kind and _dns1035(kind.lower()):
        out.append(_invalid(_child(f, "kind"), kind, mixed + ",".join(_dns1035(kind.lower()))))
    if list_kind and _dns1035(list_kind.lower()):
        out.append(_invalid(_child(f, "listKind"), list_kind,
                            mixed + ",".join(_dns1035(list_kind.lower()))))
    for i, sn in enumerate(names.get("shortNames") or []):
        if not isinstance(sn, str) or _dns1035(sn):
            out.append(_invalid(_index(_child(f, "shortNames"), i), sn, ",".join(_dns1035(str(sn)))))
    if kind and kind == list_kind:
        out.append(_invalid(_child(f, "listKind"), list_kind, "kind and listKind may not be the same"))
    for i, c in enumerate(names.get("categories") or []):
        if not isinstance(c, str) or _dns1035(c):
            out.append(_invalid(_index(_child(f, "categories"), i), c, ",".join(_dns1035(str(c)))))
    return out


def _subresources(sub, f):
    """ValidateCustomResourceDefinitionSubresources (scale paths)."""
    out = []
    if not isinstance(sub, dict):
        return out
    scale = sub.get("scale")
    if isinstance(scale, dict):
        for key, under, msg in (("specReplicasPath", (".spec.",), "should be a json path under .spec"),
                                ("statusReplicasPath", (".status.",),
                                 "should be a json path under .status")):
            p = scale.get(key) or ""
            fld = _child(f, "scale." + key)
            if not p:
                out.append(_required(fld))
            else:
                e = _simple_json_path(p, fld)
                if e:
                    out.extend(e)
                elif not p.startswith(under):
                    out.append(_invalid(fld, p, msg))
        sel = scale.get("labelSelectorPath")
        if sel:
            fld = _child(f, "scale.labelSelectorPath")
            e = _simple_json_path(sel, fld)
            if e:
                out.extend(e)
            elif not (sel.startswith(".spec.") or sel.startswith(".status.")):
                out.append(_invalid(fld, sel, "should be a json path under either .spec or .status"))
    return out


def _columns(cols, f):
    """ValidateCustomResourceColumnDefinition for each printer column."""
    out = []
    for i, col in enumerate(cols or []):
        cf = _index(f, i)
        if not isinstance(col, dict):
            out.append(_invalid(cf, col, "must be an object"))
            continue
        if not col.get("name"):
            out.append(_required(_child(cf, "name")))
        must = "must be one of " + ",".join(_PRINTER_TYPES)
        if not col.get("type"):
            out.append(_required(_child(cf, "type"), must))
        elif col["type"] not in _PRINTER_TYPES:
            out.append(_invalid(_child(cf, "type"), col["type"], must))
        if col.get("format") and col["format"] not in _PRINTER_FORMATS:
            out.append(_invalid(_child(cf, "format"), col["format"],
                                "must be one of " + ",".join(_PRINTER_FORMATS)))
        if not col.get("jsonPath"):
            out.append(_required(_child(cf, "JSONPath")))
        else:
            out.extend(_simple_json_path(col["jsonPath"], _child(cf, "JSONPath")))
    return out


def _cel_syntax(rule):
    """Syntactic sanity check of a CEL expression: balanced brackets, closed quotes. None if ok."""
    stack = []
    pairs = {")": "(", "]": "[", "}": "{"}
    i, n = 0, len(rule)
    while i < n:
        c = rule[i]
        if rule.startswith("//", i):  # CEL line comment
            nl = rule.find("\n", i)
            i = n if nl < 0 else nl + 1
            continue
        if c in "'\"":
            triple = rule[i:i + 3] == c * 3
            q = c * 3 if triple else c
            j = i + len(q)
            while j < n and rule[j:j + len(q)] != q:
                if rule[j] == "\\":
                    j += 1
                elif rule[j] == "\n" and not triple:
                    break
                j += 1
            if j >= n or rule[j:j + len(q)] != q:
                return "1:%d: Syntax error: unterminated string literal" % (i + 1)
            i = j + len(q)
            continue
        if c in "([{":
            stack.append((c, i))
        elif c in ")]}":
            if not stack or stack[-1][0] != pairs[c]:
                return "1:%d: Syntax error: extraneous input '%s'" % (i + 1, c)
            stack.pop()
        i += 1
    if stack:
        return "1:%d: Syntax error: missing closing bracket for '%s'" % (stack[-1][1] + 1,
                                                                          stack[-1][0])
    return None


def _field_path_valid(schema, fp):
    """Whether a rule fieldPath (.a.b or ['k']) names a field of the schema."""
    cur = schema
    for part in re.findall(r"\.([A-Za-z_][A-Za-z0-9_\-]*)|\['([^']*)'\]", fp):
        name = part[0] or part[1]
        props = (cur or {}).get("properties") or {}
        if name in props:
            cur = props[name]
        elif isinstance((cur or {}).get("additionalProperties"), dict):
            cur = cur["additionalProperties"]
        else:
            return False
    return bool(re.fullmatch(r"(\.[A-Za-z_][A-Za-z0-9_\-]*|\['[^']*'\])+", fp))


def _x_validations(s, f):
    """x-kubernetes-validations shape checks plus the local CEL syntax check."""
    out = []
    rules = s.get("x-kubernetes-validations")
    if rules is None:
        return out
    xf = _child(f, "x-kubernetes-validations")
    if not isinstance(rules, list):
        return [_invalid(xf, rules, "must be a list")]
    for i, r in enumerate(rules):
        rf = _index(xf, i)
        if not isinstance(r, dict):
            out.append(_invalid(rf, r, "must be an object"))
            continue
        rule = r.get("rule") or ""
        msg = r.get("message") or ""
        mexpr = r.get("messageExpression") or ""
        if not rule.strip():
            out.append(_required(_child(rf, "rule"), "rule is not specified"))
        elif msg and not msg.strip():
            out.append(_invalid(_child(rf, "message"), msg, "message must be non-empty if specified"))
        elif "\n" in msg.strip() or "\r" in msg.strip():
            out.append(_invalid(_child(rf, "message"), msg, "message must not contain line breaks"))
        elif "\n" in rule.strip() and not msg.strip() and not mexpr.strip():
            out.append(_required(_child(rf, "message"),
                                 "message must be specified if rule contains line breaks"))
        if mexpr and not mexpr.strip():
            out.append(_required(_child(rf, "messageExpression"),
                                 "messageExpression must be non-empty if specified"))
        if "reason" in r and r["reason"] not in _VALIDATION_REASONS:
            out.append(_not_supported(_child(rf, "reason"), r["reason"], _VALIDATION_REASONS))
        fp = r.get("fieldPath")
        if fp is not None and fp != "":
            if not fp.strip():
                out.append(_invalid(_child(rf, "fieldPath"), fp, "fieldPath must be non-empty if specified"))
            elif "\n" in fp:
                out.append(_invalid(_child(rf, "fieldPath"), fp, "fieldPath must not contain line breaks"))
            elif not _field_path_valid(s, fp):
                out.append(_invalid(_child(rf, "fieldPath"), fp, "fieldPath must be a valid path"))
        if rule.strip():
            err = _cel_syntax(rule)
            if err:
                out.append(_invalid(_child(rf, "rule"), r, "compilation failed: ERROR: <input>:" + err))
            if mexpr.strip():
                err = _cel_syntax(mexpr)
                if err:
                    out.append(_invalid(_child(rf, "messageExpression"), r,
                                        "messageExpression compilation failed: ERROR: <input>:" + err))
    return out


class _Ssv:
    """specStandardValidatorV3 options."""
    def __init__(self, allow_defaults=True, reason="", inside_meta=False):
        self.allow_defaults, self.reason, self.inside_meta = allow_defaults, reason, inside_meta

    def forbid_defaults(self, reason):
        """withForbiddenDefaults."""
        return _Ssv(False, reason, self.inside_meta)

    def in_meta(self):
        """withInsideResourceMeta."""
        return _Ssv(self.allow_defaults, self.reason, True)


def _ssv_validate(s, f, ssv):
    """specStandardValidatorV3.validate: keywords CRDs do not support."""
    out = []
    t = s.get("type")
    if t is not None and not isinstance(t, str):
        out.append(_invalid(_child(f, "type"), t, "must be a string"))
    elif t and t not in _OPENAPI_TYPES and t != "null":
        out.append(_not_supported(_child(f, "type"), t, _OPENAPI_TYPES))
    if "default" in s and not ssv.allow_defaults:
        detail = "must not be set" + (" " + ssv.reason if ssv.reason else "")
        out.append(_forbidden(_child(f, "default"), detail))
    if s.get("id"):
        out.append(_forbidden(_child(f, "id"), "id is not supported"))
    if "additionalItems" in s:
        out.append(_forbidden(_child(f, "additionalItems"), "additionalItems is not supported"))
    if s.get("patternProperties"):
        out.append(_forbidden(_child(f, "patternProperties"), "patternProperties is not supported"))
    if s.get("definitions"):
        out.append(_forbidden(_child(f, "definitions"), "definitions is not supported"))
    if "dependencies" in s:
        out.append(_forbidden(_child(f, "dependencies"), "dependencies is not supported"))
    if "$ref" in s:
        out.append(_forbidden(_child(f, "$ref"), "$ref is not supported"))
    if t == "null":
        out.append(_forbidden(_child(f, "type"), "type cannot be set to null, use nullable as an alternative"))
    if isinstance(s.get("items"), list):
        out.append(_forbidden(_child(f, "items"), "items must be a schema object and not an array"))
    if ssv.inside_meta and s.get("x-kubernetes-embedded-resource"):
        out.append(_forbidden(_child(f, "x-kubernetes-embedded-resource"),
                              "must not be used inside of resource meta"))
    return out


def _openapi_schema(s, f, ssv, is_root):
    """ValidateCustomResourceDefinitionOpenAPISchema (generic, non-structural checks)."""
    if not isinstance(s, dict):
        return [_invalid(f, s, "must be an object")] if s is not None else []
    out = _ssv_validate(s, f, ssv)
    if s.get("uniqueItems") is True:
        out.append(_forbidden(_child(f, "uniqueItems"),
                              "uniqueItems cannot be set to true since the runtime complexity becomes quadratic"))
    ap = s.get("additionalProperties")
    if ap is not None:
        if s.get("properties") and (ap is False or isinstance(ap, dict)):
            out.append(_forbidden(_child(f, "additionalProperties"),
                                  "additionalProperties and properties are mutual exclusive"))
        sub = ssv.forbid_defaults("inside additionalProperties applying to object metadata") \
            if ssv.inside_meta else ssv
        if isinstance(ap, dict):
            out.extend(_openapi_schema(ap, _child(f, "additionalProperties"), sub, False))
    for k, p in (s.get("properties") or {}).items():
        sub = ssv
        if (is_root or s.get("x-kubernetes-embedded-resource")) and k in _META_FIELDS:
            sub = ssv.in_meta()
            if is_root:
                sub = sub.forbid_defaults("in top-level %s" % k)
        out.extend(_openapi_schema(p, _key(_child(f, "properties"), k), sub, False))
    if isinstance(s.get("not"), dict):
        out.extend(_openapi_schema(s["not"], _child(f, "not"), ssv, False))
    for kw in ("allOf", "oneOf", "anyOf"):
        for i, p in enumerate(s.get(kw) or []):
            out.extend(_openapi_schema(p, _index(_child(f, kw), i), ssv, False))
    for k, p in (s.get("definitions") or {}).items():
        out.extend(_openapi_schema(p, _key(_child(f, "definitions"), k), ssv, False))
    if isinstance(s.get("items"), dict):
        out.extend(_openapi_schema(s["items"], _child(f, "items"), ssv, False))
    if s.get("x-kubernetes-preserve-unknown-fields") is False:
        out.append(_invalid(_child(f, "x-kubernetes-preserve-unknown-fields"), False, "must be true or undefined"))
    mt = s.get("x-kubernetes-map-type")
    if mt is not None and _t_of(s) != "object":
        if not _t_of(s):
            out.append(_required(_child(f, "type"), "must be object if x-kubernetes-map-type is specified"))
        else:
            out.append(_invalid(_child(f, "type"), _t_of(s), "must be object if x-kubernetes-map-type is specified"))
    if mt is not None and mt not in ("atomic", "granular"):
        out.append(_not_supported(_child(f, "x-kubernetes-map-type"), mt, ["atomic", "granular"]))
    lt = s.get("x-kubernetes-list-type")
    items = s.get("items") if isinstance(s.get("items"), dict) else None
    if lt is not None and _t_of(s) != "array":
        if not _t_of(s):
            out.append(_required(_child(f, "type"), "must be array if x-kubernetes-list-type is specified"))
        else:
            out.append(_invalid(_child(f, "type"), _t_of(s), "must be array if x-kubernetes-list-type is specified"))
    elif lt == "set" and items is not None:
        if _t_of(items) == "array" and items.get("x-kubernetes-list-type", "atomic") != "atomic":
            out.append(_invalid(_child(_child(f, "items"), "x-kubernetes-list-type"),
                                items.get("x-kubernetes-list-type"),
                                "must be atomic as item of a list with x-kubernetes-list-type=set"))
        if _t_of(items) == "object" and items.get("x-kubernetes-map-type") != "atomic":
            out.append(_invalid(_child(_child(f, "items"), "x-kubernetes-map-type"),
                                items.get("x-kubernetes-list-type"),  # sic: real passes XListType
                                "must be atomic as item of a list with x-kubernetes-list-type=set"))
    if lt is not None and lt not in ("atomic", "set", "map"):
        out.append(_not_supported(_child(f, "x-kubernetes-list-type"), lt, ["atomic", "set", "map"]))
    keys = s.get("x-kubernetes-list-map-keys") or []
    if keys:
        if lt is None:
            out.append(_required(_child(f, "x-kubernetes-list-type"),
                                 "must be map if x-kubernetes-list-map-keys is non-empty"))
        elif lt != "map":
            out.append(_invalid(_child(f, "x-kubernetes-list-type"), lt,
                                "must be map if x-kubernetes-list-map-keys is non-empty"))
    if lt == "map":
        if not keys:
            out.append(_required(_child(f, "x-kubernetes-list-map-keys"),
                                 "must not be empty if x-kubernetes-list-type is map"))
        if items is None:
            out.append(_required(_child(f, "items"), "must have a schema if x-kubernetes-list-type is map"))
        elif _t_of(items) != "object":
            out.append(_invalid(_child(_child(f, "items"), "type"), _t_of(items),
                                "must be object if parent array's x-kubernetes-list-type is map"))
        else:
            seen = set()
            iprops = items.get("properties") or {}
            for k in keys:
                if k in iprops:
                    if _t_of(iprops[k]) in ("array", "object"):
                        out.append(_invalid(_child(_key(_child(_child(f, "items"), "properties"), k), "type"),
                                            "object",
                                            "must be a scalar type if parent array's x-kubernetes-list-type is map"))
                else:
                    out.append(_invalid(_child(f, "x-kubernetes-list-map-keys"), keys,
                                        "entries must all be names of item properties"))
                if k in seen:
                    out.append(_invalid(_child(f, "x-kubernetes-list-map-keys"), keys,
                                        "must not contain duplicate entries"))
                seen.add(k)
    # validateMapListKeysMapSet
    if lt in ("set", "map") and items is not None:
        if items.get("nullable"):
            out.append(_forbidden(_child(_child(f, "items"), "nullable"),
                                  "cannot be nullable when x-kubernetes-list-type is " + lt))
        if lt == "map" and _t_of(items) == "object":
            req = set(items.get("required") or [])
            iprops = items.get("properties") or {}
            for k in keys:
                if k not in iprops or not isinstance(iprops[k], dict):
                    continue
                kf = _key(_child(_child(f, "items"), "properties"), k)
                if k not in req and "default" not in iprops[k]:
                    out.append(_required(_child(kf, "default"),
                                         "this property is in x-kubernetes-list-map-keys, so it must have a default or be a required property"))
                if iprops[k].get("nullable"):
                    out.append(_forbidden(_child(kf, "nullable"),
                                          "this property is in x-kubernetes-list-map-keys, so it cannot be nullable"))
    out.extend(_x_validations(s, f))
    return out


def _t_of(s):
    """The schema's type when it is a string, else ""."""
    t = s.get("type") if isinstance(s, dict) else None
    return t if isinstance(t, str) else ""


# --- structural (pkg/apiserver/schema/validation.go) -----------------------------------------

_ROOT, _ITEM, _FIELD = 0, 1, 2
_NESTED_FORBIDDEN = [
    ("type", "must be empty to be structural", lambda v: bool(v)),
    ("additionalProperties", "must be undefined to be structural", lambda v: v is not None),
    ("default", "must be undefined to be structural", lambda v: v is not None),
    ("title", "must be empty to be structural", lambda v: bool(v)),
    ("description", "must be empty to be structural", lambda v: bool(v)),
    ("nullable", "must be false to be structural", lambda v: bool(v)),
    ("x-kubernetes-preserve-unknown-fields", "must be false to be structural", lambda v: bool(v)),
    ("x-kubernetes-embedded-resource", "must be false to be structural", lambda v: bool(v)),
    ("x-kubernetes-int-or-string", "must be false to be structural", lambda v: bool(v)),
    ("x-kubernetes-list-map-keys", "must be empty to be structural", lambda v: bool(v)),
    ("x-kubernetes-list-type", "must be undefined to be structural", lambda v: v is not None),
]


def _is_int_or_string_anyof(anyof):
    """anyOf: [{type: integer}, {type: string}], the allowed int-or-string pattern."""
    return (isinstance(anyof, list) and len(anyof) == 2 and anyof[0] == {"type": "integer"}
            and anyof[1] == {"type": "string"})


def _nested(v, f, lvl, skip_anyof=False, skip_first_allof_anyof=False):
    """validateNestedValueValidation: junctor branches may not carry generic/structural fields."""
    out = []
    if not isinstance(v, dict):
        return out
    out.extend(_value_validation(v, f, lvl, skip_anyof, skip_first_allof_anyof))
    if isinstance(v.get("items"), dict):
        out.extend(_nested(v["items"], _child(f, "items"), lvl))
    for k, p in (v.get("properties") or {}).items():
        out.extend(_nested(p, _key(_child(f, "properties"), k), _FIELD))
    for key, detail, bad in _NESTED_FORBIDDEN:
        if key in v and bad(v[key]):
            out.append(_forbidden(_child(f, key), detail))
    if "metadata" in (v.get("properties") or {}):
        out.append(_forbidden(_key(_child(f, "properties"), "metadata"), "must not be specified in a nested context"))
    return out


def _value_validation(s, f, lvl, skip_anyof, skip_first_allof_anyof):
    """validateValueValidation: junctor branches and pattern compilation."""
    out = []
    if not skip_anyof:
        for i, p in enumerate(s.get("anyOf") or []):
            out.extend(_nested(p, _index(_child(f, "anyOf"), i), lvl))
    for i, p in enumerate(s.get("allOf") or []):
        out.extend(_nested(p, _index(_child(f, "allOf"), i), lvl,
                           skip_anyof=(skip_first_allof_anyof and i == 0)))
    for i, p in enumerate(s.get("oneOf") or []):
        out.extend(_nested(p, _index(_child(f, "oneOf"), i), lvl))
    if isinstance(s.get("not"), dict):
        out.extend(_nested(s["not"], _child(f, "not"), lvl))
    pat = s.get("pattern")
    if pat:
        try:
            re.compile(pat)
        except re.error as e:
            out.append(_invalid(_child(f, "pattern"), pat,
                                "must be a valid regular expression, but isn't: %s" % e))
    return out


def _structural(s, lvl, f):
    """validateStructuralInvariants."""
    out = []
    if not isinstance(s, dict):
        return out
    t = _t_of(s)
    items = s.get("items") if isinstance(s.get("items"), dict) else None
    if t == "array" and items is None:
        out.append(_required(_child(f, "items"), "must be specified"))
    if items is not None:
        out.extend(_structural(items, _ITEM, _child(f, "items")))
    props = s.get("properties") or {}
    for k, p in props.items():
        out.extend(_structural(p, _FIELD, _key(_child(f, "properties"), k)))
    ap = s.get("additionalProperties")
    if ap is not None:
        if lvl == _ROOT:
            out.append(_forbidden(_child(f, "additionalProperties"), "must not be used at the root"))
        if isinstance(ap, dict):
            out.extend(_structural(ap, _FIELD, _child(f, "additionalProperties")))
    ios = bool(s.get("x-kubernetes-int-or-string"))
    pres = bool(s.get("x-kubernetes-preserve-unknown-fields"))
    emb = bool(s.get("x-kubernetes-embedded-resource"))
    if ios and pres:
        out.append(_invalid(_child(f, "x-kubernetes-preserve-unknown-fields"), True,
                            "must be false if x-kubernetes-int-or-string is true"))
    if ios and emb:
        out.append(_invalid(_child(f, "x-kubernetes-embedded-resource"), True,
                            "must be false if x-kubernetes-int-or-string is true"))
    skip_anyof = _is_int_or_string_anyof(s.get("anyOf"))
    allof = s.get("allOf") or []
    skip_first = bool(allof) and isinstance(allof[0], dict) and _is_int_or_string_anyof(allof[0].get("anyOf"))
    out.extend(_value_validation(s, f, lvl, skip_anyof, skip_first))
    check_meta = lvl == _ROOT or emb
    if emb and t != "object":
        if not t:
            out.append(_required(_child(f, "type"), "must be object if x-kubernetes-embedded-resource is true"))
        else:
            out.append(_invalid(_child(f, "type"), t, "must be object if x-kubernetes-embedded-resource is true"))
    elif not t and not ios and not pres:
        detail = {_ROOT: "must not be empty at the root", _ITEM: "must not be empty for specified array items",
                  _FIELD: "must not be empty for specified object fields"}[lvl]
        out.append(_required(_child(f, "type"), detail))
    if emb and ap is not None:
        out.append(_forbidden(_child(f, "additionalProperties"),
                              "must not be used if x-kubernetes-embedded-resource is set"))
    if lvl == _ROOT and t and t != "object":
        out.append(_invalid(_child(f, "type"), t, "must be object at the root"))
    pf = _child(f, "properties")
    if check_meta:
        for k in ("kind", "apiVersion"):
            if k in props and _t_of(props[k]) != "string":
                out.append(_invalid(_child(_key(pf, k), "type"), _t_of(props[k]), "must be string"))
        if "metadata" in props and _t_of(props["metadata"]) != "object":
            out.append(_invalid(_child(_key(pf, "metadata"), "type"), _t_of(props["metadata"]), "must be object"))
    if lvl == _ROOT and isinstance(props.get("metadata"), dict):
        m = dict(props["metadata"])
        mp = m.get("properties") or {}
        if set(mp) <= {"name", "generateName"}:
            m.pop("properties", None)
        for k in ("type", "default", "example", "externalDocs"):
            m.pop(k, None)  # real clears type/default; example/externalDocs are not structural
        # description/title/nullable are Generic fields in the structural schema: real forbids them
        if m:
            out.append(_forbidden(_key(pf, "metadata"),
                                  "must not specify anything other than name and generateName, but metadata is implicitly specified"))
    if emb and not pres and not props:
        out.append(_required(_child(f, "properties"),
                             "must not be empty if x-kubernetes-embedded-resource is true without x-kubernetes-preserve-unknown-fields"))
    return out


def _completeness(s, f):
    """validateStructuralCompleteness: fields named in junctors must exist in the structure."""
    out = []
    if not isinstance(s, dict):
        return out
    if isinstance(s.get("items"), dict):
        out.extend(_completeness(s["items"], _child(f, "items")))
    for k, p in (s.get("properties") or {}).items():
        out.extend(_completeness(p, _key(_child(f, "properties"), k)))
    if isinstance(s.get("additionalProperties"), dict):
        out.extend(_completeness(s["additionalProperties"], _child(f, "additionalProperties")))
    for kw in ("allOf", "anyOf", "oneOf"):
        for i, v in enumerate(s.get(kw) or []):
            out.extend(_nested_complete(v, s, f, _index(_child(f, kw), i)))
    if isinstance(s.get("not"), dict):
        out.extend(_nested_complete(s["not"], s, f, _child(f, "not")))
    return out


def _nested_complete(v, s, spath, vpath):
    """Fields named in junctor branch v must exist in the structure s."""
    out = []
    if not isinstance(v, dict) or not isinstance(s, dict):
        return out
    for kw in ("allOf", "anyOf", "oneOf"):
        for i, w in enumerate(v.get(kw) or []):
            out.extend(_nested_complete(w, s, spath, _index(_child(vpath, kw), i)))
    if isinstance(v.get("not"), dict):
        out.extend(_nested_complete(v["not"], s, spath, _child(vpath, "not")))
    if isinstance(v.get("items"), dict):
        if not isinstance(s.get("items"), dict):
            out.append(_required(_child(spath, "items"), "because it is defined in %s" % _child(vpath, "items")))
        else:
            out.extend(_nested_complete(v["items"], s["items"], _child(spath, "items"), _child(vpath, "items")))
    sprops = s.get("properties") or {}
    for k, w in (v.get("properties") or {}).items():
        vp = _key(_child(vpath, "properties"), k)
        if k in sprops:
            out.extend(_nested_complete(w, sprops[k], _key(_child(spath, "properties"), k), vp))
        elif isinstance(s.get("additionalProperties"), dict):
            out.extend(_nested_complete(w, s["additionalProperties"], _child(spath, "additionalProperties"), vp))
        else:
            out.append(_required(_key(_child(spath, "properties"), k), "because it is defined in %s" % vp))
    return out


def _defaults(s, f, is_root, inside_meta):
    """structuraldefaulting.ValidateDefaults: defaults must be pruned and valid."""
    out = []
    if not isinstance(s, dict):
        return out
    if "default" in s and not inside_meta:
        d = s["default"]
        pruned = copy.deepcopy(d)
        _prune(pruned, s)
        if not _json_equal(pruned, d):
            out.append(_invalid(_child(f, "default"), d, "must not have unknown fields"))
        else:
            out.extend(_validate_at(d, s, _child(f, "default")))
    if isinstance(s.get("items"), dict):
        out.extend(_defaults(s["items"], _child(f, "items"), False, inside_meta))
    for k, p in (s.get("properties") or {}).items():
        sub_meta = inside_meta or ((is_root or s.get("x-kubernetes-embedded-resource")) and k in _META_FIELDS)
        out.extend(_defaults(p, _key(_child(f, "properties"), k), False, sub_meta))
    return out


def _schema_errors(schema, f, status_enabled):
    """ValidateCustomResourceDefinitionValidation for one openAPIV3Schema at field f."""
    out = []
    if status_enabled:
        allowed = {j for _, j in _ROOT_ALLOWED_WITH_STATUS}
        for k, v in schema.items():
            if v in (None, False, "", [], {}, 0):
                continue  # zero values are skipped like real
            if k == "type":
                if v != "object":
                    out.append(_invalid(f + ".type", v, 'only "object" is allowed as the type at the root of the schema if the status subresource is enabled'))
                continue
            if k not in allowed:
                out.append(_invalid(f, schema, "only [%s] fields are allowed at the root of the schema if the status subresource is enabled"
                                    % " ".join(g for g, _ in _ROOT_ALLOWED_WITH_STATUS)))
                break
    if schema.get("nullable"):
        out.append(_forbidden(f + ".nullable", "nullable cannot be true at the root"))
    out.extend(_openapi_schema(schema, f, _Ssv(), True))
    structural = _structural(schema, _ROOT, f) + _completeness(schema, f)
    structural.sort(key=lambda c: c["field"] + ": " + c["message"])
    out.extend(structural)
    if not structural:  # real: defaults are only checked for a structural schema
        out.extend(_defaults(schema, f, True, False))
    return out


def _version_schema(v):
    """versions[i].schema.openAPIV3Schema or None."""
    sch = v.get("schema")
    if isinstance(sch, dict):
        return sch.get("openAPIV3Schema")
    return None


def _all_same(values):
    """Semantic equality of all per-version values (absent values count)."""
    return len(values) > 0 and all(_json_equal(values[0], x) for x in values)


def check_structural(crd):
    """Causes kube-apiserver would report for creating/updating this CRD (apiextensions.k8s.io/v1):
    names, group, scope, versions, schemas (structural, defaults, list types, CEL rule shape),
    subresources and printer columns. [] when the CRD would be accepted."""
    if not isinstance(crd, dict):
        return [_decode_error("<nil>", crd, "CustomResourceDefinition")]
    out = _decode_crd(crd)
    if out:
        return out
    meta = crd.get("metadata") if isinstance(crd.get("metadata"), dict) else {}
    spec = crd.get("spec") if isinstance(crd.get("spec"), dict) else {}
    names = spec.get("names") if isinstance(spec.get("names"), dict) else {}
    group = spec.get("group") or ""
    name = meta.get("name") or ""
    if not name:
        out.append(_required("metadata.name", "name or generateName is required"))
    else:
        msgs = _dns1123_subdomain(name)
        if name != "%s.%s" % (names.get("plural") or "", group):
            msgs.append('must be spec.names.plural+"."+spec.group')
        out.extend(_invalid("metadata.name", name, m) for m in msgs)
    if not group:
        out.append(_required("spec.group"))
    elif _dns1123_subdomain(group):
        out.append(_invalid("spec.group", group, ",".join(_dns1123_subdomain(group))))
    elif len(group.split(".")) < 2:
        out.append(_invalid("spec.group", group, "should be a domain with at least one dot"))
    scope = spec.get("scope") or ""
    if not scope:
        out.append(_required("spec.scope"))
    elif scope not in ("Cluster", "Namespaced"):
        out.append(_not_supported("spec.scope", scope, ["Cluster", "Namespaced"]))
    versions = spec.get("versions") if isinstance(spec.get("versions"), list) else []
    versions = [v if isinstance(v, dict) else {} for v in versions]
    storage = sum(1 for v in versions if v.get("storage") is True)
    seen = set()
    unique = True
    for i, v in enumerate(versions):
        vn = v.get("name") or ""
        if vn in seen:
            unique = False
        seen.add(vn)
        if _dns1035(vn):
            out.append(_invalid("spec.versions[%d].name" % i, vn, ",".join(_dns1035(vn))))
    if not unique:
        out.append(_invalid("spec.versions", spec.get("versions"), "must contain unique version names"))
    if storage != 1:
        out.append(_invalid("spec.versions", spec.get("versions"),
                            "must have exactly one version marked as storage version"))
    out.extend(_names(names, "spec.names"))
    conv = spec.get("conversion")
    if isinstance(conv, dict) and conv.get("strategy") not in (None, "None", "Webhook"):
        out.append(_not_supported("spec.conversion.strategy", conv.get("strategy"), ["None", "Webhook"]))
    if spec.get("preserveUnknownFields") is True:
        out.append(_invalid("spec.preserveUnknownFields", True, "must be false"))
    # like the v1 -> internal conversion: per-version schema/subresources/printer columns that are
    # identical in every version (absent counts) move to spec.validation/subresources/columns
    raw_schemas = [v.get("schema") for v in versions]
    subs = [v.get("subresources") for v in versions]
    cols = [v.get("additionalPrinterColumns") for v in versions]
    hoist_schema, hoist_subs, hoist_cols = _all_same(raw_schemas), _all_same(subs), _all_same(cols)
    for i, v in enumerate(versions):
        vf = "spec.versions[%d]" % i
        status_enabled = isinstance(v.get("subresources"), dict) and "status" in v["subresources"]
        if not (hoist_schema and raw_schemas[0] is not None) or i == 0:
            hoisted = hoist_schema and raw_schemas[0] is not None
            sf = "spec.validation.openAPIV3Schema" if hoisted else vf + ".schema.openAPIV3Schema"
            sch = _version_schema(v)
            if sch is None:
                out.append(_required(sf, "schemas are required"))
            elif not isinstance(sch, dict):
                out.append(_invalid(sf, sch, "must be an object"))
            else:
                out.extend(_schema_errors(sch, sf, status_enabled))
        if not hoist_subs or i == 0:
            out.extend(_subresources(subs[i], "spec.subresources" if hoist_subs else vf + ".subresources"))
        if not hoist_cols or i == 0:
            out.extend(_columns(cols[i], "spec.additionalPrinterColumns" if hoist_cols
                                else vf + ".additionalPrinterColumns"))
    return out


# ----------------------------------------------------------------------------------------------
# Strict decoding (optional helper for the server): unknown fields in a CRD

_SCHEMA_KEYS = frozenset([
    "id", "$schema", "$ref", "description", "type", "format", "title", "default", "maximum",
    "exclusiveMaximum", "minimum", "exclusiveMinimum", "maxLength", "minLength", "pattern",
    "maxItems", "minItems", "uniqueItems", "multipleOf", "enum", "maxProperties", "minProperties",
    "required", "items", "allOf", "oneOf", "anyOf", "not", "properties", "additionalProperties",
    "patternProperties", "dependencies", "additionalItems", "definitions", "externalDocs",
    "example", "nullable", "x-kubernetes-preserve-unknown-fields", "x-kubernetes-embedded-resource",
    "x-kubernetes-int-or-string", "x-kubernetes-list-map-keys", "x-kubernetes-list-type",
    "x-kubernetes-map-type", "x-kubernetes-validations"])
_CRD_SHAPE = {
    "": {"apiVersion": None, "kind": None, "metadata": None, "spec": "spec", "status": None},
    "spec": {"group": None, "names": "names", "scope": None, "versions": "[version]",
             "conversion": "conversion", "preserveUnknownFields": None},
    "names": {k: None for k in ("plural", "singular", "shortNames", "kind", "listKind", "categories")},
    "version": {"name": None, "served": None, "storage": None, "deprecated": None,
                "deprecationWarning": None, "schema": "validation", "subresources": "subresources",
                "additionalPrinterColumns": "[column]", "selectableFields": "[selectable]"},
    "validation": {"openAPIV3Schema": "schema"},
    "subresources": {"status": None, "scale": "scale"},
    "scale": {"specReplicasPath": None, "statusReplicasPath": None, "labelSelectorPath": None},
    "column": {k: None for k in ("name", "type", "format", "description", "priority", "jsonPath")},
    "selectable": {"jsonPath": None},
    "conversion": {"strategy": None, "webhook": "webhook"},
    "webhook": {"clientConfig": "clientConfig", "conversionReviewVersions": None},
    "clientConfig": {"url": None, "service": "service", "caBundle": None},
    "service": {"namespace": None, "name": None, "path": None, "port": None},
    "rule": {k: None for k in ("rule", "message", "messageExpression", "reason", "fieldPath",
                               "optionalOldSelf")},
    "externalDocs": {"description": None, "url": None},
}


def _unknown_in_schema(s, path, out):
    """Collect unknown JSONSchemaProps keys under path."""
    if not isinstance(s, dict):
        return
    for k, v in s.items():
        p = path + "." + k
        if k not in _SCHEMA_KEYS:
            out.append(p)
        elif k in ("properties", "patternProperties", "definitions") and isinstance(v, dict):
            for name, sub in v.items():
                _unknown_in_schema(sub, p + "." + name, out)
        elif k in ("allOf", "oneOf", "anyOf") and isinstance(v, list):
            for i, sub in enumerate(v):
                _unknown_in_schema(sub, "%s[%d]" % (p, i), out)
        elif k in ("not", "additionalProperties", "additionalItems") and isinstance(v, dict):
            _unknown_in_schema(v, p, out)
        elif k == "items":
            if isinstance(v, dict):
                _unknown_in_schema(v, p, out)
            elif isinstance(v, list):
                for i, sub in enumerate(v):
                    _unknown_in_schema(sub, "%s[%d]" % (p, i), out)
        elif k == "x-kubernetes-validations" and isinstance(v, list):
            for i, r in enumerate(v):
                _unknown_in_shape(r, "rule", "%s[%d]" % (p, i), out)
        elif k == "externalDocs":
            _unknown_in_shape(v, "externalDocs", p, out)


def _unknown_in_shape(x, shape, path, out):
    """Collect unknown keys of a CRD part described by _CRD_SHAPE[shape]."""
    if not isinstance(x, dict):
        return
    known = _CRD_SHAPE[shape]
    for k, v in x.items():
        p = (path + "." + k) if path else k
        if k not in known:
            out.append(p)
            continue
        sub = known[k]
        if sub is None:
            continue
        if sub == "schema":
            _unknown_in_schema(v, p, out)
        elif sub.startswith("["):
            for i, item in enumerate(v if isinstance(v, list) else []):
                _unknown_in_shape(item, sub[1:-1], "%s[%d]" % (p, i), out)
        else:
            _unknown_in_shape(v, sub, p, out)


def unknown_fields(crd):
    """Optional helper (not part of the shared interface): the paths of fields a strict decoder
    does not know in a CRD, e.g. "spec.versions[0].schema.openAPIV3Schema.properties.spec.requird".
    kube-apiserver answers these with 400 BadRequest when the client asks for
    fieldValidation=Strict (kubectl's default): 'CustomResourceDefinition in version "v1" cannot be
    handled as a CustomResourceDefinition: strict decoding error: unknown field "<path>"'."""
    out = []
    _unknown_in_shape(crd, "", "", out)
    return out


# ----------------------------------------------------------------------------------------------
# Decoding: JSON types the Go structs require. kube-apiserver fails such a CRD while decoding
# (400 BadRequest, "json: cannot unmarshal ..."), before any validation; check_structural reports
# it as causes instead and stops there. validate()/default_and_prune() use a cleaned schema so a
# malformed schema can never crash them.

_STR, _BOOL, _INT, _NUM, _ANY, _OBJ = "string", "bool", "int64", "float64", "any", "object"
_SCHEMA_TYPES = {
    "id": _STR, "$schema": _STR, "$ref": _STR, "description": _STR, "type": _STR, "format": _STR,
    "title": _STR, "pattern": _STR, "default": _ANY, "example": _ANY, "enum": "[]any",
    "maximum": _NUM, "minimum": _NUM, "multipleOf": _NUM,
    "exclusiveMaximum": _BOOL, "exclusiveMinimum": _BOOL, "uniqueItems": _BOOL, "nullable": _BOOL,
    "x-kubernetes-preserve-unknown-fields": _BOOL, "x-kubernetes-embedded-resource": _BOOL,
    "x-kubernetes-int-or-string": _BOOL,
    "maxLength": _INT, "minLength": _INT, "maxItems": _INT, "minItems": _INT,
    "maxProperties": _INT, "minProperties": _INT,
    "required": "[]string", "x-kubernetes-list-map-keys": "[]string",
    "x-kubernetes-list-type": _STR, "x-kubernetes-map-type": _STR,
    "allOf": "[]schema", "oneOf": "[]schema", "anyOf": "[]schema", "not": "schema",
    "properties": "map[schema]", "patternProperties": "map[schema]", "definitions": "map[schema]",
    "additionalProperties": "bool|schema", "additionalItems": "bool|schema",
    "items": "schema|[]schema", "dependencies": "map[schema|[]string]",
    "externalDocs": _OBJ, "x-kubernetes-validations": "[]rule",
}
_RULE_TYPES = {"rule": _STR, "message": _STR, "messageExpression": _STR, "reason": _STR,
               "fieldPath": _STR, "optionalOldSelf": _BOOL}


def _go_type_of(v):
    """The JSON kind named the way encoding/json reports it in unmarshal errors."""
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "bool"
    if _is_num(v):
        return "number"
    if isinstance(v, str):
        return "string"
    if isinstance(v, list):
        return "array"
    return "object"


def _decode_error(field, v, want):
    """A cause standing for kube-apiserver's 400 decode error."""
    return _invalid(field, v, "cannot unmarshal %s into a field of type %s (kube-apiserver rejects "
                              "this while decoding the request: 400 BadRequest)" % (_go_type_of(v), want))


def _scalar_ok(v, want):
    """Whether v decodes into the Go scalar type want (null decodes into anything)."""
    if v is None or want == _ANY:
        return True
    if want == _STR:
        return isinstance(v, str)
    if want == _BOOL:
        return isinstance(v, bool)
    if want == _INT:
        return _is_int(v) and -2**63 <= v < 2**63
    if want == "int32":
        return _is_int(v) and -2**31 <= v < 2**31
    if want == _NUM:
        return _is_num(v)
    if want == _OBJ:
        return isinstance(v, dict)
    return True


def _clean_schema(s, f, errs):
    """A copy of schema s keeping only well-typed keywords; decode causes appended to errs."""
    if not isinstance(s, dict):
        errs.append(_decode_error(f, s, "JSONSchemaProps"))
        return {}
    out = {}
    for k, v in s.items():
        want = _SCHEMA_TYPES.get(k)
        kf = _child(f, k)
        if want is None:
            out[k] = v  # unknown keys: see unknown_fields(); a lax decoder drops them
            continue
        if v is None:
            continue  # null decodes to the zero value
        if want == "schema":
            out[k] = _clean_schema(v, kf, errs)
        elif want == "[]schema" or want == "schema|[]schema":
            if isinstance(v, list):
                out[k] = [_clean_schema(x, _index(kf, i), errs) for i, x in enumerate(v)]
            elif want == "schema|[]schema" and isinstance(v, dict):
                out[k] = _clean_schema(v, kf, errs)
            else:
                errs.append(_decode_error(kf, v, "[]JSONSchemaProps"))
        elif want == "map[schema]":
            if isinstance(v, dict):
                out[k] = {n: _clean_schema(x, _key(kf, n), errs) for n, x in v.items()}
            else:
                errs.append(_decode_error(kf, v, "map[string]JSONSchemaProps"))
        elif want == "bool|schema":
            if isinstance(v, bool):
                out[k] = v
            elif isinstance(v, dict):
                out[k] = _clean_schema(v, kf, errs)
            else:
                errs.append(_decode_error(kf, v, "JSONSchemaPropsOrBool"))
        elif want == "map[schema|[]string]":
            if isinstance(v, dict):
                dep = {}
                for n, x in v.items():
                    if isinstance(x, list) and all(isinstance(y, str) for y in x):
                        dep[n] = x
                    else:
                        dep[n] = _clean_schema(x, _key(kf, n), errs)
                out[k] = dep
            else:
                errs.append(_decode_error(kf, v, "JSONSchemaDependencies"))
        elif want == "[]any":
            if isinstance(v, list):
                out[k] = v
            else:
                errs.append(_decode_error(kf, v, "[]JSON"))
        elif want == "[]string":
            if isinstance(v, list) and all(isinstance(x, str) for x in v):
                out[k] = v
            else:
                errs.append(_decode_error(kf, v, "[]string"))
        elif want == "[]rule":
            if isinstance(v, list):
                rules = []
                for i, r in enumerate(v):
                    rf = _index(kf, i)
                    if not isinstance(r, dict):
                        errs.append(_decode_error(rf, r, "ValidationRule"))
                        continue
                    bad = [rk for rk, rv in r.items() if rk in _RULE_TYPES and not _scalar_ok(rv, _RULE_TYPES[rk])]
                    for rk in bad:
                        errs.append(_decode_error(_child(rf, rk), r[rk], _RULE_TYPES[rk]))
                    rules.append({rk: rv for rk, rv in r.items() if rk not in bad and rv is not None})
                out[k] = rules
            else:
                errs.append(_decode_error(kf, v, "ValidationRules"))
        elif _scalar_ok(v, want):
            out[k] = v
        else:
            errs.append(_decode_error(kf, v, want))
    return out


def _decode_crd(crd):
    """Decode causes for the non-schema parts of a CRD (wrong JSON types), [] when well-typed."""
    errs = []

    def want(x, f, typ):
        if x is not None and not _scalar_ok(x, typ):
            errs.append(_decode_error(f, x, typ))
            return False
        return True

    def strs(x, f):
        if x is not None and not (isinstance(x, list) and all(isinstance(y, str) for y in x)):
            errs.append(_decode_error(f, x, "[]string"))

    if not want(crd.get("metadata"), "metadata", _OBJ):
        return errs
    meta = crd.get("metadata") or {}
    want(meta.get("name"), "metadata.name", _STR)
    if not want(crd.get("spec"), "spec", _OBJ):
        return errs
    spec = crd.get("spec") or {}
    for k, t in (("group", _STR), ("scope", _STR), ("preserveUnknownFields", _BOOL),
                 ("names", _OBJ), ("conversion", _OBJ)):
        want(spec.get(k), "spec." + k, t)
    names = spec.get("names") if isinstance(spec.get("names"), dict) else {}
    for k in ("plural", "singular", "kind", "listKind"):
        want(names.get(k), "spec.names." + k, _STR)
    strs(names.get("shortNames"), "spec.names.shortNames")
    strs(names.get("categories"), "spec.names.categories")
    conv = spec.get("conversion") if isinstance(spec.get("conversion"), dict) else {}
    want(conv.get("strategy"), "spec.conversion.strategy", _STR)
    versions = spec.get("versions")
    if versions is not None and not isinstance(versions, list):
        errs.append(_decode_error("spec.versions", versions, "[]CustomResourceDefinitionVersion"))
        return errs
    for i, v in enumerate(versions or []):
        vf = "spec.versions[%d]" % i
        if not want(v, vf, _OBJ) or v is None:
            continue
        for k, t in (("name", _STR), ("served", _BOOL), ("storage", _BOOL), ("deprecated", _BOOL),
                     ("deprecationWarning", _STR), ("schema", _OBJ), ("subresources", _OBJ)):
            want(v.get(k), _child(vf, k), t)
        sch = v.get("schema") if isinstance(v.get("schema"), dict) else {}
        if sch.get("openAPIV3Schema") is not None:
            _clean_schema(sch["openAPIV3Schema"], vf + ".schema.openAPIV3Schema", errs)
        sub = v.get("subresources") if isinstance(v.get("subresources"), dict) else {}
        want(sub.get("status"), vf + ".subresources.status", _OBJ)
        if want(sub.get("scale"), vf + ".subresources.scale", _OBJ):
            for k in ("specReplicasPath", "statusReplicasPath", "labelSelectorPath"):
                want((sub.get("scale") or {}).get(k), vf + ".subresources.scale." + k, _STR)
        cols = v.get("additionalPrinterColumns")
        if cols is not None and not isinstance(cols, list):
            errs.append(_decode_error(vf + ".additionalPrinterColumns", cols, "[]CustomResourceColumnDefinition"))
            continue
        for j, c in enumerate(cols or []):
            cf = "%s.additionalPrinterColumns[%d]" % (vf, j)
            if want(c, cf, _OBJ) and c is not None:
                for k in ("name", "type", "format", "description", "jsonPath"):
                    want(c.get(k), _child(cf, k), _STR)
                want(c.get("priority"), _child(cf, "priority"), "int32")
    return errs
