"""validation.py - decoding checks and validation of objects before they are stored:
metadata (names per kind, generateName, labels, annotations), the built-in kinds' rules
the project relies on (Secret/ConfigMap keys and base64, immutable fields, Deployment
selector, Service ports, webhook configuration basics, CRD names/versions), and calls
into schema.py for CRDs (check_structural) and custom resources (default_and_prune,
validate). Causes use kube-apiserver's wording; status.invalid() builds the 422.
"""
import base64
import binascii
import re

from status import (ApiError, bad_request, field_forbidden, field_invalid, field_required,
                    cause, go_quote, status)

DNS1123_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
DNS1035_LABEL = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
CONFIG_KEY = re.compile(r"^[-._a-zA-Z0-9]+$")
QUALIFIED_NAME = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")
LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")

MSG_SUBDOMAIN = ("a lowercase RFC 1123 subdomain must consist of lower case alphanumeric "
                 "characters, '-' or '.', and must start and end with an alphanumeric character "
                 "(e.g. 'example.com', regex used for validation is "
                 "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')")
MSG_LABEL = ("a lowercase RFC 1123 label must consist of lower case alphanumeric characters or "
             "'-', and must start and end with an alphanumeric character (e.g. 'my-name',  or "
             "'123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')")
MSG_1035 = ("a DNS-1035 label must consist of lower case alphanumeric characters or '-', start "
            "with an alphabetic character, and end with an alphanumeric character (e.g. "
            "'my-name',  or 'abc-123', regex used for validation is "
            "'[a-z]([-a-z0-9]*[a-z0-9])?')")
MSG_CONFIG_KEY = ("a valid config key must consist of alphanumeric characters, '-', '_' or '.' "
                  "(e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation "
                  "is '[-._a-zA-Z0-9]+')")


def name_causes(rule: str, name: str, field: str = "metadata.name") -> list:
    """Causes for a name that breaks the kind's naming rule ([] when fine)."""
    if rule == "path":
        for bad in ("/", "%"):
            if bad in name:
                return [field_invalid(field, name, f"may not contain '{bad}'")]
        if name in (".", ".."):
            return [field_invalid(field, name, f"may not be '{name}'")]
        return []
    if rule == "label" or rule == "label1035":
        rx, msg = (DNS1123_LABEL, MSG_LABEL) if rule == "label" else (DNS1035_LABEL, MSG_1035)
        out = []
        if len(name) > 63:
            out.append(field_invalid(field, name, "must be no more than 63 characters"))
        if not rx.match(name):
            out.append(field_invalid(field, name, msg))
        return out
    out = []
    if len(name) > 253:
        out.append(field_invalid(field, name, "must be no more than 253 characters"))
    if not DNS1123_SUBDOMAIN.match(name):
        out.append(field_invalid(field, name, MSG_SUBDOMAIN))
    return out


def qualified_name_causes(key: str, field: str) -> list:
    """Causes for a key that is not a qualified name (prefix/name)."""
    prefix, _, nm = key.rpartition("/")
    out = []
    if "/" in key and (not prefix or not DNS1123_SUBDOMAIN.match(prefix) or len(prefix) > 253):
        out.append(field_invalid(field, key, "prefix part " + MSG_SUBDOMAIN))
    if not nm or len(nm) > 63 or not QUALIFIED_NAME.match(nm):
        out.append(field_invalid(field, key, "name part must consist of alphanumeric "
                                 "characters, '-', '_' or '.', and must start and end with an "
                                 "alphanumeric character (e.g. 'MyName',  or 'my.name',  or "
                                 "'123-abc', regex used for validation is "
                                 "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"))
    return out


def metadata_causes(info, obj: dict) -> list:
    """Causes for metadata: name rule, labels, annotations, finalizers, ownerReferences."""
    m = obj.get("metadata")
    if not isinstance(m, dict):
        return [field_required("metadata")]
    out = []
    name = m.get("name")
    if not name:
        out.append(field_required("metadata.name", "name or generateName is required"))
    else:
        out += name_causes(info.name_rule, name)
    if not info.namespaced and m.get("namespace"):
        m.pop("namespace")  # real servers clear it for cluster-scoped kinds
    for k, v in (m.get("labels") or {}).items():
        out += qualified_name_causes(k, "metadata.labels")
        if not isinstance(v, str) or len(v) > 63 or not LABEL_VALUE.match(v):
            out.append(field_invalid("metadata.labels", v, "a valid label must be an empty "
                                     "string or consist of alphanumeric characters, '-', '_' "
                                     "or '.', and must start and end with an alphanumeric "
                                     "character (e.g. 'MyValue',  or 'my_value',  or '12345', "
                                     "regex used for validation is "
                                     "'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"))
    total = 0
    for k, v in (m.get("annotations") or {}).items():
        out += qualified_name_causes(k.lower(), "metadata.annotations")
        total += len(k) + len(str(v))
    if total > 256 * 1024:
        out.append(cause("FieldValueTooLong", "metadata.annotations",
                         f"Too long: may not be more than 262144 bytes"))
    for i, f in enumerate(m.get("finalizers") or []):
        out += qualified_name_causes(f, f"metadata.finalizers[{i}]")
        # custom resources (and CRDs' own cleanup finalizer) may use unprefixed names;
        # built-ins need a standard or domain-qualified finalizer
        if "/" not in f and f not in ("kubernetes", "orphan", "foregroundDeletion") and \
                not info.crd and info.kind != "CustomResourceDefinition":
            out.append(field_invalid(f"metadata.finalizers[{i}]", f,
                                     "name is neither a standard finalizer name nor is it "
                                     "fully qualified"))
    for i, r in enumerate(m.get("ownerReferences") or []):
        for f in ("apiVersion", "kind", "name", "uid"):
            if not r.get(f):
                out.append(field_required(f"metadata.ownerReferences[{i}].{f}" if f != "uid"
                                          else f"metadata.ownerReferences[{i}].uid"))
    return out


def decode_secret(obj: dict):
    """Merges stringData into data and checks base64 like the v1 Secret decoder (400)."""
    data = obj.get("data") or {}
    if not isinstance(data, dict):
        raise bad_request('Secret in version "v1" cannot be handled as a Secret: '
                          'json: cannot unmarshal into map[string][]uint8')
    for k, v in data.items():
        try:
            base64.b64decode(v if isinstance(v, str) else "!", validate=True)
        except (binascii.Error, ValueError):
            raise ApiError(status(400, "BadRequest",
                                  'Secret in version "v1" cannot be handled as a Secret: '
                                  f'illegal base64 data at input byte 0 (key {k})'))
    sd = obj.pop("stringData", None)
    if sd:
        data = dict(data)
        for k, v in sd.items():
            data[k] = base64.b64encode(str(v).encode()).decode()
        obj["data"] = data


def _keys_causes(d, field):
    """Causes for ConfigMap/Secret keys that are not valid config keys."""
    out = []
    for k in (d or {}):
        if not CONFIG_KEY.match(k) or len(k) > 253:
            out.append(field_invalid(f"{field}[{k}]", k, MSG_CONFIG_KEY))
    return out


def kind_causes(info, obj: dict, old: dict | None) -> list:
    """Per-kind rules for built-ins (a subset of kube-apiserver's)."""
    kind, spec = info.kind, obj.get("spec") or {}
    out = []
    if kind in ("ConfigMap", "Secret"):
        out += _keys_causes(obj.get("data"), "data")
        if kind == "ConfigMap":
            out += _keys_causes(obj.get("binaryData"), "binaryData")
            for k in set(obj.get("data") or {}) & set(obj.get("binaryData") or {}):
                out.append(field_invalid(f"data[{k}]", k, "duplicate of key present in "
                                         "binaryData"))
        if old is not None and old.get("immutable"):
            for f in ("data", "binaryData", "stringData"):
                if (obj.get(f) or {}) != (old.get(f) or {}):
                    out.append(field_forbidden(f, "field is immutable when `immutable` is set"))
            if not obj.get("immutable"):
                out.append(field_forbidden("immutable", "field is immutable when `immutable` "
                                           "is set"))
        if kind == "Secret" and old is not None and obj.get("type", "Opaque") != old.get(
                "type", "Opaque"):
            out.append(field_invalid("type", obj.get("type"), "field is immutable"))
    elif kind in ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet"):
        sel = spec.get("selector")
        tmpl = spec.get("template") or {}
        if not sel:
            out.append(field_required("spec.selector"))
        else:
            ml = sel.get("matchLabels") or {}
            tl = (tmpl.get("metadata") or {}).get("labels") or {}
            if not ml and not sel.get("matchExpressions"):
                out.append(field_invalid("spec.selector", sel, "empty selector is invalid "
                                         "for deployment"))
            elif any(tl.get(k) != v for k, v in ml.items()):
                out.append(field_invalid("spec.template.metadata.labels", tl,
                                         "`selector` does not match template `labels`"))
            if old is not None and (old.get("spec") or {}).get("selector") != sel:
                out.append(field_invalid("spec.selector", sel, "field is immutable"))
        out += _containers_causes((tmpl.get("spec") or {}), "spec.template.spec")
    elif kind == "Pod":
        out += _containers_causes(spec, "spec")
    elif kind == "Service":
        if spec.get("type") != "ExternalName" and spec.get("clusterIP") != "None" and \
                not spec.get("ports"):
            out.append(field_required("spec.ports"))
        for i, p in enumerate(spec.get("ports") or []):
            port = p.get("port")
            if not isinstance(port, int) or not 1 <= port <= 65535:
                out.append(field_invalid(f"spec.ports[{i}].port", port,
                                         "must be between 1 and 65535, inclusive"))
        if old is not None:
            oip = (old.get("spec") or {}).get("clusterIP")
            if oip and spec.get("clusterIP") not in (None, "", oip):
                out.append(field_invalid("spec.clusterIPs[0]", spec.get("clusterIP"),
                                         "may not change once set"))
    elif kind in ("MutatingWebhookConfiguration", "ValidatingWebhookConfiguration"):
        for i, w in enumerate(obj.get("webhooks") or []):
            f = f"webhooks[{i}]"
            if not w.get("name"):
                out.append(field_required(f + ".name"))
            if not w.get("sideEffects"):
                out.append(cause("FieldValueRequired", f + ".sideEffects",
                                 "Required value: must specify one of None, NoneOnDryRun"))
            if not w.get("admissionReviewVersions"):
                out.append(field_required(f + ".admissionReviewVersions",
                                          "must specify one of v1, v1beta1"))
            cc = w.get("clientConfig") or {}
            if bool(cc.get("url")) == bool(cc.get("service")):
                out.append(field_required(f + ".clientConfig",
                                          "exactly one of url or service is required"))
    elif kind == "CustomResourceDefinition":
        out += crd_causes(obj, old)
    return out


def _containers_causes(podspec: dict, field: str) -> list:
    """Causes for a pod spec without containers or with unnamed/imageless ones."""
    out = []
    cs = podspec.get("containers")
    if not cs:
        return [field_required(field + ".containers")]
    for i, c in enumerate(cs):
        if not c.get("name"):
            out.append(field_required(f"{field}.containers[{i}].name"))
        if not c.get("image"):
            out.append(field_required(f"{field}.containers[{i}].image"))
    return out


def crd_causes(crd: dict, old: dict | None) -> list:
    """Name/group/names/versions rules of CustomResourceDefinition, then schema.py's
    structural check."""
    out = []
    spec = crd.get("spec") or {}
    names = spec.get("names") or {}
    group, plural = spec.get("group", ""), names.get("plural", "")
    name = (crd.get("metadata") or {}).get("name", "")
    if name and name != f"{plural}.{group}":
        out.append(field_invalid("metadata.name", name,
                                 'must be spec.names.plural+"."+spec.group'))
    if not group:
        out.append(field_required("spec.group"))
    elif "." not in group:
        out.append(field_invalid("spec.group", group, "should be a domain with at least one dot"))
    if not plural:
        out.append(field_required("spec.names.plural"))
    if not names.get("kind"):
        out.append(field_required("spec.names.kind"))
    if spec.get("scope") not in ("Namespaced", "Cluster"):
        out.append(cause("FieldValueNotSupported", "spec.scope",
                         f'Unsupported value: {go_quote(spec.get("scope", ""))}: supported '
                         'values: "Cluster", "Namespaced"'))
    vers = spec.get("versions") or []
    if not vers:
        out.append(field_invalid("spec.versions", vers, "must have exactly one version "
                                 "marked as storage version"))
    elif sum(1 for v in vers if v.get("storage")) != 1:
        out.append(field_invalid("spec.versions", vers, "must have exactly one version "
                                 "marked as storage version"))
    if old is not None:
        ospec = old.get("spec") or {}
        if ospec.get("group") != spec.get("group"):
            out.append(field_invalid("spec.group", group, "field is immutable"))
        if ospec.get("scope") != spec.get("scope"):
            out.append(field_invalid("spec.scope", spec.get("scope"), "field is immutable"))
    if not out:
        import schema  # helper F's module
        out += schema.check_structural(crd)
    seen, uniq = set(), []
    for c in out:
        k = (c.get("field"), c.get("message"))
        if k not in seen:
            seen.add(k)
            uniq.append(c)
    return uniq


def dropped_fields(before, after, prefix="") -> list:
    """Paths ('spec.x', 'spec.list[0].y') present in before but pruned from after."""
    out = []
    if isinstance(before, dict) and isinstance(after, dict):
        for k, v in before.items():
            p = f"{prefix}.{k}" if prefix else k
            if k not in after:
                out.append(p)
            else:
                out += dropped_fields(v, after[k], p)
    elif isinstance(before, list) and isinstance(after, list) and len(before) == len(after):
        for i, (b, a) in enumerate(zip(before, after)):
            out += dropped_fields(b, a, f"{prefix}[{i}]")
    return out


def custom_resource(info, obj: dict, subresource: str, field_validation: str = "",
                    warnings: list | None = None) -> list:
    """Defaults and prunes a custom resource against its version's schema (in place) and
    returns the schema's validation causes. Metadata is kept as sent (real keeps it too).
    Unknown (pruned) fields fail the request with fieldValidation=Strict (400) and become
    warnings with Warn (the server default), like kube-apiserver."""
    if not info.schema:
        return []
    import schema  # helper F's module
    md = obj.get("metadata")
    pruned = schema.default_and_prune(obj, info.schema)
    body = {k: v for k, v in obj.items() if k not in ("metadata", "apiVersion", "kind")}
    unknown = dropped_fields(body, {k: v for k, v in pruned.items()
                                    if k not in ("metadata", "apiVersion", "kind")})
    if unknown and field_validation == "Strict":
        raise bad_request("strict decoding error: " +
                          ", ".join(f'unknown field "{u}"' for u in unknown))
    if unknown and field_validation != "Ignore" and warnings is not None:
        warnings.extend(f'unknown field "{u}"' for u in unknown)
    pruned["metadata"] = md
    pruned["apiVersion"], pruned["kind"] = obj.get("apiVersion"), obj.get("kind")
    obj.clear()
    obj.update(pruned)
    return schema.validate(obj, info.schema)
