"""patch.py - PATCH semantics of the local test API server (pure functions, no I/O).

Owns: JSON merge patch (RFC 7386), JSON patch (RFC 6902), strategic merge patch
for built-in kinds, server-side apply with metadata.managedFields (fieldsV1),
and managedFields tracking for non-apply writes. Every function returns a new
object and never mutates its inputs. Errors are PatchError carrying the HTTP
code, StatusReason, message and causes kube-apiserver would answer with.
"""
import copy
import json

__all__ = ["PatchError", "merge_patch", "json_patch", "strategic_merge_patch",
           "apply", "track_update"]


class PatchError(Exception):
    """A patch that kube-apiserver would reject: code (HTTP status), reason
    (metav1 StatusReason), message, causes [{"reason","message","field"?}]."""

    def __init__(self, code, reason, message, causes=None):
        super().__init__(message)
        self.code = code
        self.reason = reason
        self.message = message
        self.causes = causes or []


_MISSING = object()   # "no value here" (distinct from JSON null)
_DELETE = object()    # SMP "$patch: delete" result


def _strict_eq(a, b):
    """JSON equality that does not confuse true with 1."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, dict):
        return (isinstance(b, dict) and a.keys() == b.keys()
                and all(_strict_eq(a[k], b[k]) for k in a))
    if isinstance(a, list):
        return (isinstance(b, list) and len(a) == len(b)
                and all(_strict_eq(x, y) for x, y in zip(a, b)))
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    return type(a) is type(b) and a == b


def _compact(v):
    return json.dumps(v, separators=(",", ":"), ensure_ascii=False)


# --------------------------------------------------------------------------
# RFC 7386 JSON merge patch
# --------------------------------------------------------------------------

def _merge_value(target, patch):
    """RFC 7386 MergePatch(target, patch) on private copies."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = _merge_value(result.get(key), value)
    return result


def merge_patch(obj, patch):
    """Apply a JSON merge patch (RFC 7386) to obj and return a new object.
    null deletes a key, objects merge recursively, anything else replaces.
    Raises PatchError 400 when the patch document is not a JSON object (the
    result would not be an object)."""
    if not isinstance(patch, dict):
        raise PatchError(400, "BadRequest",
                         "merge patch must be a JSON object, got %s" % _json_type(patch))
    return _merge_value(copy.deepcopy(obj), patch)


def _json_type(v):
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "boolean"
    if isinstance(v, (int, float)):
        return "number"
    if isinstance(v, str):
        return "string"
    if isinstance(v, list):
        return "array"
    return "object"


# --------------------------------------------------------------------------
# RFC 6902 JSON patch, with the semantics and messages of the json-patch v4
# library kube-apiserver uses (gopkg.in/evanphx/json-patch.v4).
# --------------------------------------------------------------------------

_JP_MESSAGE = "the server rejected our request due to an error in our request"
_JP_MAX_OPS = 10000


def _jp_fail(detail):
    # kube-apiserver: errors.NewGenericServerResponse(422, ...) carrying the
    # library's error as an UnexpectedServerResponse cause.
    return PatchError(422, "Invalid", _JP_MESSAGE,
                      [{"reason": "UnexpectedServerResponse", "message": detail}])


class _JPError(Exception):
    """A json-patch library error; the message is the library's text."""


def _atoi(token):
    """strconv.Atoi: optional sign and decimal digits."""
    body = token[1:] if token[:1] in ("+", "-") else token
    if not body or not body.isascii() or not body.isdigit():
        raise _JPError('strconv.Atoi: parsing "%s": invalid syntax' % token)
    return int(token)


def _unescape(token):
    return token.replace("~1", "/").replace("~0", "~")


def _jp_index(lst, idx, extra=0):
    """Resolve a possibly negative index for a list of len(lst)+extra."""
    size = len(lst) + extra
    if idx < 0:
        if idx < -size:
            raise _JPError("Unable to access invalid index: %d: invalid index referenced" % idx)
        idx += size
    if idx >= size:
        raise _JPError("Unable to access invalid index: %d: invalid index referenced" % idx)
    return idx


def _jp_get_child(container, key):
    """container.get(key): a dict gives None for a missing key (no error)."""
    if isinstance(container, dict):
        return container.get(key, _MISSING)
    return container[_jp_index(container, _atoi(key))]


def _find_object(doc, path):
    """findObject: (container, key) for path, or (None, "") when the parent
    does not exist."""
    split = path.split("/")
    if len(split) < 2:
        return None, ""
    cur = doc
    for part in split[1:-1]:
        try:
            nxt = _jp_get_child(cur, _unescape(part))
        except _JPError:
            return None, ""
        if not isinstance(nxt, (dict, list)):
            return None, ""
        cur = nxt
    return cur, _unescape(split[-1])


def _jp_add_to(con, key, value):
    if isinstance(con, dict):
        con[key] = value
        return
    if key == "-":
        con.append(value)
        return
    try:
        idx = _atoi(key)
    except _JPError as e:
        raise _JPError("value was not a proper array index: '%s': %s" % (key, e))
    con.insert(_jp_index(con, idx, 1), value)


def _jp_remove_from(con, key):
    if isinstance(con, dict):
        if key not in con:
            raise _JPError("Unable to remove nonexistent key: %s: missing value" % key)
        return con.pop(key)
    return con.pop(_jp_index(con, _atoi(key)))


def _jp_apply_op(doc, op, kind):
    """Apply one operation to doc (in place when possible); returns doc."""
    path = op.get("path")
    if not isinstance(path, str):
        raise _JPError("%s operation failed to decode path: operation missing path field: "
                       "missing value" % kind)
    value = copy.deepcopy(op.get("value"))
    if kind == "add":
        con, key = _find_object(doc, path)
        if con is None:
            raise _JPError('add operation does not apply: doc is missing path: "%s": '
                           'missing value' % path)
        try:
            _jp_add_to(con, key, value)
        except _JPError as e:
            raise _JPError("error in add for path: '%s': %s" % (path, e))
        return doc
    if kind == "remove":
        con, key = _find_object(doc, path)
        if con is None:
            raise _JPError('remove operation does not apply: doc is missing path: "%s": '
                           'missing value' % path)
        try:
            _jp_remove_from(con, key)
        except _JPError as e:
            raise _JPError("error in remove for path: '%s': %s" % (path, e))
        return doc
    if kind == "replace":
        if path == "":
            if not isinstance(value, (dict, list)):
                raise _JPError("replace operation value must be object or array")
            return value
        con, key = _find_object(doc, path)
        if con is None:
            raise _JPError("replace operation does not apply: doc is missing path: %s: "
                           "missing value" % path)
        if isinstance(con, dict):
            con[key] = value      # v4: a missing member is not an error
            return doc
        try:
            idx = _jp_index(con, _atoi(key))
        except _JPError:
            raise _JPError("replace operation does not apply: doc is missing key: %s: "
                           "missing value" % path)
        con[idx] = value
        return doc
    if kind == "test":
        if path == "":
            if _strict_eq(doc, op.get("value")):
                return doc
            raise _JPError("testing value %s failed: test failed" % path)
        con, key = _find_object(doc, path)
        if con is None:
            raise _JPError("test operation does not apply: is missing path: %s: missing value"
                           % path)
        try:
            current = _jp_get_child(con, key)
        except _JPError as e:
            raise _JPError("error in test for path: '%s': %s" % (path, e))
        if current is _MISSING or current is None:
            # v4 treats a missing member like null.
            if op.get("value") is None:
                return doc
            raise _JPError("testing value %s failed: test failed" % path)
        if _strict_eq(current, op.get("value")):
            return doc
        raise _JPError("testing value %s failed: test failed" % path)
    # move / copy
    src = op.get("from")
    if not isinstance(src, str):
        raise _JPError("%s operation failed to decode from: operation, missing from field: "
                       "missing value" % kind)
    con, key = _find_object(doc, src)
    if con is None:
        raise _JPError("%s operation does not apply: doc is missing from path: %s: "
                       "missing value" % (kind, src))
    try:
        val = _jp_get_child(con, key)
    except _JPError as e:
        raise _JPError("error in %s for %s: '%s': %s"
                       % (kind, "path" if kind == "move" else "from",
                          key if kind == "move" else src, e))
    if kind == "move":
        try:
            _jp_remove_from(con, key)
        except _JPError as e:
            raise _JPError("error in move for path: '%s': %s" % (key, e))
    if val is _MISSING:
        val = None          # v4 copies a missing member as null
    if kind == "copy":
        val = copy.deepcopy(val)
    dcon, dkey = _find_object(doc, path)
    if dcon is None:
        raise _JPError("%s operation does not apply: doc is missing destination path: %s: "
                       "missing value" % (kind, path))
    try:
        _jp_add_to(dcon, dkey, val)
    except _JPError as e:
        if kind == "move":
            raise _JPError("error in move for path: '%s': %s" % (path, e))
        raise _JPError("error while adding value during copy: %s" % e)
    return doc


def json_patch(obj, ops):
    """Apply an RFC 6902 JSON patch (add/remove/replace/move/copy/test) and
    return a new object, following json-patch v4 as kube-apiserver does
    (negative array indices allowed, "replace" of a missing object member
    adds it, a missing member tests equal to null). A patch that is not a
    list of objects is 400 BadRequest, more than 10000 operations is 413,
    an operation that does not apply is 422 Invalid with the library's
    message as an UnexpectedServerResponse cause."""
    if not isinstance(ops, list):
        raise PatchError(400, "BadRequest",
                         "json: cannot unmarshal %s into Go value of type jsonpatch.Patch"
                         % _json_type(ops))
    for op in ops:
        if not isinstance(op, dict):
            raise PatchError(400, "BadRequest",
                             "json: cannot unmarshal %s into Go value of type jsonpatch.Operation"
                             % _json_type(op))
    if len(ops) > _JP_MAX_OPS:
        raise PatchError(413, "RequestEntityTooLarge",
                         "Request entity too large: The allowed maximum operations in a JSON "
                         "patch is %d, got %d" % (_JP_MAX_OPS, len(ops)))
    doc = copy.deepcopy(obj)
    for op in ops:
        kind = op.get("op")
        kind = kind if isinstance(kind, str) else "unknown"
        if kind not in ("add", "remove", "replace", "move", "copy", "test"):
            raise _jp_fail("Unexpected kind: %s" % kind)
        try:
            doc = _jp_apply_op(doc, op, kind)
        except _JPError as e:
            raise _jp_fail(str(e))
    if not isinstance(doc, dict):
        raise PatchError(400, "BadRequest", "json patch result must be a JSON object, got %s"
                         % _json_type(doc))
    return doc


# --------------------------------------------------------------------------
# Built-in list semantics (k8s.io/api struct tags)
# --------------------------------------------------------------------------

_POD_CONTAINER_LISTS = ("containers", "initContainers", "ephemeralContainers")


def _builtin_smp_list(fpath):
    """SMP strategy for the list at field path fpath:
    ("merge", key) | ("primitive", None) | ("replace", None)."""
    if not fpath:
        return ("replace", None)
    name = fpath[-1]
    parent = fpath[-2] if len(fpath) > 1 else ""
    if name in _POD_CONTAINER_LISTS or name in ("volumes", "imagePullSecrets",
                                                   "resourceClaims", "schedulingGates"):
        return ("merge", "name")
    if name == "env" and parent in _POD_CONTAINER_LISTS:
        return ("merge", "name")
    if name == "ports":
        if parent in _POD_CONTAINER_LISTS:
            return ("merge", "containerPort")
        if fpath == ("spec", "ports"):
            return ("merge", "port")
        return ("replace", None)
    if name == "volumeMounts":
        return ("merge", "mountPath")
    if name == "volumeDevices":
        return ("merge", "devicePath")
    if name == "conditions" and "status" in fpath:
        return ("merge", "type")
    if name == "hostAliases":
        return ("merge", "ip")
    if name == "topologySpreadConstraints":
        return ("merge", "topologyKey")
    if fpath == ("metadata", "ownerReferences"):
        return ("merge", "uid")
    if fpath == ("metadata", "finalizers"):
        return ("primitive", None)
    if fpath == ("webhooks",):
        return ("merge", "name")
    return ("replace", None)


def _builtin_ssa_list(fpath):
    """SSA list type at fpath: list of key names, "set", or None (atomic)."""
    if not fpath:
        return None
    name = fpath[-1]
    parent = fpath[-2] if len(fpath) > 1 else ""
    if name == "ports":
        if parent in _POD_CONTAINER_LISTS:
            return ["containerPort", "protocol"]
        if fpath == ("spec", "ports"):
            return ["port", "protocol"]
        return None
    if name == "topologySpreadConstraints":
        return ["topologyKey", "whenUnsatisfiable"]
    if fpath == ("metadata", "finalizers"):
        return "set"
    strategy, key = _builtin_smp_list(fpath)
    if strategy == "merge":
        return [key]
    return None


# Key fields that the OpenAPI schema defaults, used when an item omits them.
_KEY_DEFAULTS = {"protocol": "TCP"}

# Maps that are atomic for SSA (+structType=atomic / +mapType=atomic).
_ATOMIC_MAPS = frozenset(("selector", "nodeSelector", "podSelector", "namespaceSelector",
                          "objectSelector", "labelSelector"))


class _Schema:
    """List/map relationships used by apply and track_update."""

    def __init__(self, list_keys):
        self.list_keys = list_keys

    def list_kind(self, fpath):
        # metadata is ObjectMeta for every kind, so its lists keep the built-in
        # semantics even when list_keys describes a custom resource.
        if self.list_keys is None or fpath[:1] == ("metadata",):
            kind = _builtin_ssa_list(fpath)
        else:
            kind = self.list_keys(fpath)
        if kind == "set" or kind is None:
            return kind
        return list(kind)

    def map_atomic(self, fpath):
        if self.list_keys is not None or not fpath:
            return False
        return fpath[-1] in _ATOMIC_MAPS and (len(fpath) > 1 and fpath[-2] != "labels"
                                              and fpath[-2] != "annotations")

    def item_pe(self, kind, item, fpath, index=None):
        """fieldsV1 path element of a list item ("k:{...}" or "v:<json>")."""
        if kind == "set":
            return "v:" + _compact(item)
        where = "" if index is None else "element %d: " % index
        if not isinstance(item, dict):
            raise _TypedErr(fpath, where + "associative list with keys has an element that is "
                            "not a map")
        key = {}
        for name in kind:
            if name in item and item[name] is not None:
                key[name] = item[name]
            elif name in _KEY_DEFAULTS:
                key[name] = _KEY_DEFAULTS[name]
            else:
                raise _TypedErr(fpath, where + 'associative list with keys has an element that '
                                'omits key field "%s" (and doesn\'t have default value)' % name)
        return "k:" + _compact(dict(sorted(key.items())))

    def index_list(self, kind, items, fpath, allow_dups):
        """[(pe, item)] and {pe: item}; duplicates are an error unless allowed."""
        pes = []
        seen = {}
        for i, item in enumerate(items):
            pe = self.item_pe(kind, item, fpath, i)
            if pe in seen and not allow_dups:
                raise _TypedErr(fpath, "duplicate entries for key %s" % _pe_string(pe))
            seen[pe] = item
            pes.append(pe)
        return pes, seen


class _TypedErr(Exception):
    """An object that does not fit the list semantics (structured-merge-diff
    validation error) at field path fpath."""

    def __init__(self, fpath, detail):
        super().__init__(detail)
        self.where = "." + ".".join(fpath) if fpath else ""
        self.detail = detail


def _gvk_string(obj):
    """schema.GroupVersionKind.String() of obj: "apps/v1, Kind=Deployment",
    "/v1, Kind=ConfigMap"."""
    av = obj.get("apiVersion") or ""
    group, _, version = av.rpartition("/")
    return "%s/%s, Kind=%s" % (group, version, obj.get("kind") or "")


def _typed_patch_error(err, obj):
    # A plain Go error in kube-apiserver: 500 with an empty (Unknown) reason.
    meta = _meta(obj)
    return PatchError(500, "", "failed to create typed patch object (%s/%s; %s): %s: %s"
                      % (meta.get("namespace") or "", meta.get("name") or "",
                         _gvk_string(obj), err.where, err.detail))


# --------------------------------------------------------------------------
# Field sets (structured-merge-diff fieldpath.Set) as trees
#   node = {pe: child_node, ..., ".": True if the path itself is a member}
# --------------------------------------------------------------------------

def _pe_sort_key(pe):
    rank = {"f": 0, "k": 1, "v": 2, "i": 3}.get(pe[0], 4)
    return (rank, pe[2:])


def _prune(node):
    """Drop child nodes with no members below them; returns node."""
    for pe in [k for k in node if k != "."]:
        child = _prune(node[pe])
        if not child:
            del node[pe]
    return node


def _union(a, b):
    out = {}
    for pe in set(a) | set(b):
        if pe == ".":
            out["."] = True
        elif pe in a and pe in b:
            out[pe] = _union(a[pe], b[pe])
        else:
            out[pe] = copy.deepcopy(a[pe] if pe in a else b[pe])
    return out


def _difference(a, b):
    """Members of a that are not members of b."""
    out = {}
    for pe, child in a.items():
        if pe == ".":
            if "." not in b:
                out["."] = True
        elif pe in b:
            sub = _difference(child, b[pe])
            if sub:
                out[pe] = sub
        else:
            out[pe] = copy.deepcopy(child)
    return out


def _intersection(a, b):
    out = {}
    for pe, child in a.items():
        if pe == ".":
            if "." in b:
                out["."] = True
        elif pe in b:
            sub = _intersection(child, b[pe])
            if sub:
                out[pe] = sub
    return out


def _ensure_named_fields(node):
    """Copy where every "f:" node is a member (EnsureNamedFieldsAreMembers)."""
    out = {}
    for pe, child in node.items():
        if pe == ".":
            out["."] = True
        else:
            sub = _ensure_named_fields(child)
            if pe.startswith("f:"):
                sub["."] = True
            out[pe] = sub
    return out


def _iterate(node, prefix=()):
    """Member paths in structured-merge-diff order: members of a level, then
    the children subtrees, each sorted by path element."""
    pes = sorted((k for k in node if k != "."), key=_pe_sort_key)
    for pe in pes:
        if "." in node[pe]:
            yield prefix + (pe,)
    for pe in pes:
        if len(node[pe]) > (1 if "." in node[pe] else 0):
            yield from _iterate(node[pe], prefix + (pe,))


def _to_fields_v1(node):
    out = {}
    if "." in node and len(node) > 1:
        out["."] = {}
    for pe in sorted((k for k in node if k != "."), key=_pe_sort_key):
        out[pe] = _to_fields_v1(node[pe])
    return out


def _from_fields_v1(obj):
    node = {}
    if not isinstance(obj, dict):
        return node
    for pe, child in obj.items():
        if pe == ".":
            node["."] = True
        elif isinstance(child, dict):
            sub = _from_fields_v1(child)
            if not child:
                sub["."] = True
            node[pe] = sub
    return node


def _pe_string(pe):
    """fieldpath.PathElement.String(): .name, [k=v,...], [=v], [i]."""
    kind, rest = pe[0], pe[2:]
    if kind == "f":
        return "." + rest
    if kind == "k":
        key = json.loads(rest)
        return "[" + ",".join("%s=%s" % (k, _compact(v)) for k, v in sorted(key.items())) + "]"
    if kind == "v":
        return "[=" + rest + "]"
    return "[" + rest + "]"


def _path_string(path):
    return "".join(_pe_string(pe) for pe in path)


# Paths the field manager never tracks (stripMetaManager).
_STRIP_META = ("name", "namespace", "creationTimestamp", "selfLink", "uid", "clusterName",
               "generation", "managedFields", "resourceVersion")


def _strip(node):
    """Remove the untracked paths (apiVersion, kind, metadata, metadata.name, ...)."""
    for top in ("f:apiVersion", "f:kind"):
        if top in node:
            node[top].pop(".", None)
    meta = node.get("f:metadata")
    if meta is not None:
        meta.pop(".", None)
        for name in _STRIP_META:
            if "f:" + name in meta:
                meta["f:" + name].pop(".", None)
        meta.pop("f:managedFields", None)
    return _prune(node)


# --------------------------------------------------------------------------
# Walks over objects: field set, merge, compare, remove
# --------------------------------------------------------------------------

class _Walker:
    def __init__(self, schema):
        self.s = schema

    # ToFieldSet -----------------------------------------------------------
    def field_set(self, value, fpath=()):
        """The set of fields value specifies (typed.ToFieldSet)."""
        node = {}
        if isinstance(value, dict):
            for key, child in value.items():
                cf = fpath + (key,)
                sub, member = self._fs_child(child, cf)
                if member:
                    sub["."] = True
                if sub:
                    node["f:" + key] = sub
        return node

    def _fs_child(self, value, fpath):
        if value is None:
            return {}, True
        if isinstance(value, dict):
            if not value or self.s.map_atomic(fpath):
                return {}, True
            return self.field_set(value, fpath), False
        if isinstance(value, list):
            kind = self.s.list_kind(fpath)
            if kind is None:
                return {}, True
            node = {}
            pes, _ = self.s.index_list(kind, value, fpath, False)
            for pe, item in zip(pes, value):
                sub = self.field_set(item, fpath) if kind != "set" else {}
                sub["."] = True
                node[pe] = sub
            return node, False
        return {}, True

    # Merge (apply config into live) ---------------------------------------
    def merge(self, live, cfg, fpath=()):
        """typed.Merge(live, cfg) on private copies; may reuse their parts."""
        if isinstance(cfg, dict) and not self.s.map_atomic(fpath):
            if not isinstance(live, dict):
                live = {}
            for key, value in cfg.items():
                if value is None:
                    live.pop(key, None)
                else:
                    live[key] = self.merge(live.get(key), value, fpath + (key,))
            return live
        if isinstance(cfg, list) and isinstance(live, list):
            kind = self.s.list_kind(fpath)
            if kind is not None:
                return self._merge_list(kind, live, cfg, fpath)
        return cfg

    def _merge_list(self, kind, lhs, rhs, fpath):
        """mergingWalker.visitListItems: live-only items keep their place,
        shared items follow the applied order, new items are inserted where
        the applied config puts them."""
        rpes, rmap = self.s.index_list(kind, rhs, fpath, False)
        lpes, lmap = self.s.index_list(kind, lhs, fpath, True)
        shared = [pe for pe in rpes if pe in lmap]
        shared_i = 0

        def next_shared():
            return shared[shared_i] if shared_i < len(shared) else None

        merged = set()
        out = []

        def item(pe):
            merged.add(pe)
            if kind == "set":
                return rmap[pe]
            return self.merge(lmap.get(pe), rmap[pe], fpath)

        li = ri = 0
        nl, nr = len(lpes), len(rpes)
        while li < nl or ri < nr:
            if li < nl and lpes[li] in merged:
                li += 1
                continue
            if li < nl and ri < nr:
                pe = lpes[li]
                if pe == rpes[ri]:
                    out.append(item(pe))
                    li += 1
                    ri += 1
                    if next_shared() == pe:
                        shared_i += 1
                    continue
                if pe in rmap and next_shared() is not None and next_shared() != pe:
                    li += 1
                    continue
            if li < nl and lpes[li] not in rmap:
                out.append(lmap[lpes[li]])
                merged.add(lpes[li])
                li += 1
                continue
            if ri < nr:
                pe = rpes[ri]
                out.append(item(pe))
                ri += 1
                if next_shared() == pe:
                    shared_i += 1
                continue
            li += 1
        return out

    # Compare (old -> new) -------------------------------------------------
    def compare(self, lhs, rhs):
        """(added, modified, removed) field sets between two objects."""
        added, modified, removed = {}, {}, {}
        self._cmp(lhs, rhs, (), added, modified, removed)
        return _prune(added), _prune(modified), _prune(removed)

    def _cmp_child(self, pe, lhs, rhs, fpath, a, m, r):
        if lhs is _MISSING and rhs is _MISSING:
            return
        ca, cm, cr = a.setdefault(pe, {}), m.setdefault(pe, {}), r.setdefault(pe, {})
        if lhs is _MISSING:
            ca["."] = True
            self._all(rhs, fpath, ca)
        elif rhs is _MISSING:
            cr["."] = True
            self._all(lhs, fpath, cr)
        else:
            self._cmp(lhs, rhs, fpath, ca, cm, cr)

    def _cmp(self, lhs, rhs, fpath, a, m, r):
        if isinstance(lhs, dict) or isinstance(rhs, dict):
            ld = {} if lhs is None else lhs
            rd = {} if rhs is None else rhs
            if (isinstance(ld, dict) and isinstance(rd, dict) and (ld or rd)
                    and not self.s.map_atomic(fpath)):
                for key in list(ld) + [k for k in rd if k not in ld]:
                    self._cmp_child("f:" + key, ld.get(key, _MISSING), rd.get(key, _MISSING),
                                    fpath + (key,), a, m, r)
                return
        elif isinstance(lhs, list) or isinstance(rhs, list):
            kind = self.s.list_kind(fpath)
            ll = [] if lhs is None else lhs
            rl = [] if rhs is None else rhs
            if kind is not None and isinstance(ll, list) and isinstance(rl, list):
                _, lmap = self.s.index_list(kind, ll, fpath, True)
                _, rmap = self.s.index_list(kind, rl, fpath, True)
                for pe in list(lmap) + [p for p in rmap if p not in lmap]:
                    self._cmp_child(pe, lmap.get(pe, _MISSING), rmap.get(pe, _MISSING),
                                    fpath, a, m, r)
                return
        if not _strict_eq(lhs, rhs):
            m["."] = True

    def _all(self, value, fpath, node):
        """Insert every path below value into node."""
        if isinstance(value, dict):
            if self.s.map_atomic(fpath):
                return
            for key, child in value.items():
                sub = node.setdefault("f:" + key, {})
                sub["."] = True
                self._all(child, fpath + (key,), sub)
        elif isinstance(value, list):
            kind = self.s.list_kind(fpath)
            if kind is None:
                return
            _, vmap = self.s.index_list(kind, value, fpath, True)
            for pe, item in vmap.items():
                sub = node.setdefault(pe, {})
                sub["."] = True
                if kind != "set":
                    self._all(item, fpath, sub)

    # RemoveItems ----------------------------------------------------------
    def remove(self, value, node, fpath=()):
        """Remove from value (in place) every member path of node."""
        if isinstance(value, dict):
            for key in list(value):
                sub = node.get("f:" + key)
                if sub is None:
                    continue
                if "." in sub:
                    del value[key]
                else:
                    self.remove(value[key], sub, fpath + (key,))
        elif isinstance(value, list):
            kind = self.s.list_kind(fpath)
            if kind is None:
                return
            keep = []
            for item in value:
                pe = self.s.item_pe(kind, item, fpath)
                sub = node.get(pe)
                if sub is not None and "." in sub:
                    continue
                if sub is not None:
                    self.remove(item, sub, fpath)
                keep.append(item)
            value[:] = keep


# --------------------------------------------------------------------------
# managedFields encode/decode
# --------------------------------------------------------------------------

def _decode_managed(entries):
    """{(manager, operation, apiVersion-or-"", subresource): entry} where
    entry = {"apiVersion", "time", "set"}. Apply entries are identified
    without their apiVersion, like the real manager identifier."""
    managers = {}
    for e in entries or []:
        if not isinstance(e, dict):
            continue
        op = e.get("operation", "")
        av = e.get("apiVersion", "")
        ident = (e.get("manager", ""), op, "" if op == "Apply" else av, e.get("subresource", ""))
        cur = {"apiVersion": av, "time": e.get("time"),
               "set": _prune(_from_fields_v1(e.get("fieldsV1") or {}))}
        if ident in managers:
            cur["set"] = _union(managers[ident]["set"], cur["set"])
        managers[ident] = cur
    return managers


def _encode_managed(managers):
    entries = []
    for ident, ent in managers.items():
        if not ent["set"]:
            continue
        manager, op, _, sub = ident
        e = {"manager": manager, "operation": op, "apiVersion": ent["apiVersion"]}
        if ent.get("time"):
            e["time"] = ent["time"]
        e["fieldsType"] = "FieldsV1"
        e["fieldsV1"] = _to_fields_v1(ent["set"])
        if sub:
            e["subresource"] = sub
        entries.append(e)
    entries.sort(key=lambda e: (e["operation"], e.get("time") or "", e["manager"],
                                e["apiVersion"], e.get("subresource", "")))
    return entries


def _identity_json(ident):
    """The encoded manager identifier (sort key for conflict messages)."""
    manager, op, av, sub = ident
    d = {"manager": manager, "operation": op}
    if av:
        d["apiVersion"] = av
    if sub:
        d["subresource"] = sub
    return _compact(d)


def _print_manager(ident, entry):
    """fieldmanager printManager: "mgr"[ with subresource "s"][ using v]."""
    manager, op, _, sub = ident
    out = _compact(manager)
    if sub:
        out += " with subresource %s" % _compact(sub)
    if op == "Update":
        out += " using %s" % entry["apiVersion"]
    return out


def _conflict_error(conflicts):
    """conflicts: [(ident, entry, path)] sorted. Message/causes as
    k8s.io/apiserver fieldmanager NewConflictError."""
    causes = [{"reason": "FieldManagerConflict",
               "message": "conflict with %s" % _print_manager(i, e),
               "field": _path_string(p)} for i, e, p in conflicts]
    if len(conflicts) == 1:
        i, e, p = conflicts[0]
        msg = "Apply failed with 1 conflict: conflict with %s: %s" % (
            _print_manager(i, e), _path_string(p))
    else:
        lines = []
        last = None
        for i, e, p in conflicts:
            if i != last:
                lines.append("conflicts with %s:" % _print_manager(i, e))
                last = i
            lines.append("- %s" % _path_string(p))
        msg = "Apply failed with %d conflicts: %s" % (len(conflicts), "\n".join(lines))
    return PatchError(409, "Conflict", msg, causes)


# --------------------------------------------------------------------------
# Server-side apply and update tracking
# --------------------------------------------------------------------------

# Server-set metadata that an applied configuration does not change.
_SERVER_META = ("uid", "resourceVersion", "creationTimestamp", "generation", "selfLink",
                "deletionTimestamp", "deletionGracePeriodSeconds", "managedFields")


def _meta(obj):
    m = obj.get("metadata")
    return m if isinstance(m, dict) else {}


def apply(live, applied, manager, force, now, subresource="", list_keys=None,
          ignore_status=False):
    """Server-side apply of `applied` (a dict) by `manager` onto `live` (None
    to create). Returns the new object with metadata.managedFields updated.
    subresource="status" uses only applied.status; ignore_status=True drops
    applied.status (main endpoint of a kind with a status subresource).
    Raises PatchError 400 (bad body, managedFields set, version mismatch),
    409 Conflict (fields owned by other managers with different values,
    force=False), 500 (list items without their key fields / duplicates)."""
    try:
        return _apply(live, applied, manager, force, now, subresource, list_keys, ignore_status)
    except _TypedErr as err:
        raise _typed_patch_error(err, applied if isinstance(applied, dict) else {})


def _apply(live, applied, manager, force, now, subresource, list_keys, ignore_status):
    if not manager:
        raise PatchError(400, "BadRequest", "PATCH with apply requires fieldManager to be set")
    if not isinstance(applied, dict):
        raise PatchError(400, "BadRequest", "apply patch must be an object, got %s"
                         % _json_type(applied))
    ameta = applied.get("metadata")
    if ameta is not None and not isinstance(ameta, dict):
        raise PatchError(400, "BadRequest", "metadata: must be an object")
    if ameta and ameta.get("managedFields") is not None:
        raise PatchError(400, "BadRequest", "metadata.managedFields must be nil")
    if live is not None and live.get("apiVersion") and applied.get("apiVersion") and \
            live.get("apiVersion") != applied.get("apiVersion"):
        # A serves one version per kind, so a different one is a client mistake.
        raise PatchError(400, "BadRequest",
                         "Incorrect version specified in apply patch. Specified patch version: "
                         "%s, expected: %s" % (applied.get("apiVersion"), live.get("apiVersion")))

    cfg = copy.deepcopy(applied)
    cmeta = cfg.get("metadata")
    if isinstance(cmeta, dict):
        for key in _SERVER_META:
            cmeta.pop(key, None)
    if subresource == "status":
        keep = {k: cfg[k] for k in ("apiVersion", "kind") if k in cfg}
        if isinstance(cmeta, dict):
            keep["metadata"] = {k: cmeta[k] for k in ("name", "namespace") if k in cmeta}
        if "status" in cfg:
            keep["status"] = cfg["status"]
        cfg = keep
    elif ignore_status:
        cfg.pop("status", None)

    schema = _Schema(list_keys)
    w = _Walker(schema)
    base = copy.deepcopy(live) if live is not None else {}
    bmeta = base.get("metadata")
    live_entries = bmeta.pop("managedFields", None) if isinstance(bmeta, dict) else None
    managers = _decode_managed(live_entries)
    if live is not None and not live_entries:
        # An untracked object (skipNonAppliedManager): its current fields go to
        # a "before-first-apply" Update manager before the apply runs.
        full = _strip(w.field_set(base))
        if full:
            managers[("before-first-apply", "Update", base.get("apiVersion", ""), "")] = {
                "apiVersion": base.get("apiVersion", ""), "time": now, "set": full}

    ident = (manager, "Apply", "", subresource)
    last = managers.get(ident)
    new_set = _strip(w.field_set(cfg))

    merged = w.merge(copy.deepcopy(base), copy.deepcopy(cfg))

    # Prune what this manager applied last time and no longer applies,
    # unless some manager (including this apply) still owns it.
    if last is not None and last["set"]:
        owned = copy.deepcopy(new_set)
        for other, ent in managers.items():
            if other != ident:
                owned = _union(owned, ent["set"])
        removal = _difference(_ensure_named_fields(last["set"]), _ensure_named_fields(owned))
        rmeta = removal.get("f:metadata")
        if rmeta is not None:
            rmeta.pop(".", None)
            for name in _STRIP_META:
                rmeta.pop("f:" + name, None)
        for top in ("f:apiVersion", "f:kind"):
            removal.pop(top, None)
        w.remove(merged, _prune(removal))

    added, modified, removed = w.compare(base, merged)
    changed = _union(_strip(added), _strip(modified))
    removed = _strip(removed)

    conflicts = []
    for other in sorted(managers, key=_identity_json):
        if other == ident:
            continue
        hit = _intersection(managers[other]["set"], changed)
        for path in _iterate(hit):
            conflicts.append((other, managers[other], path))
    if conflicts and not force:
        raise _conflict_error(conflicts)

    for other, ent in managers.items():
        if other != ident:
            ent["set"] = _difference(_difference(ent["set"], changed), removed)

    object_changed = not _strict_eq(base, merged)
    prev_time = last["time"] if last else None
    set_changed = last is None or last["set"] != new_set
    managers[ident] = {"apiVersion": cfg.get("apiVersion", base.get("apiVersion", "")),
                       "time": now if (object_changed or set_changed or not prev_time)
                       else prev_time,
                       "set": new_set}

    entries = _encode_managed(managers)
    mmeta = merged.setdefault("metadata", {})
    if entries:
        mmeta["managedFields"] = entries
    else:
        mmeta.pop("managedFields", None)
    return merged


# Nodes that already exist in the zero value of a typed object (non-pointer
# structs and non-omitempty lists), so a create does not "add" them: their
# fieldsV1 entry gets no "." like in kube-apiserver's managedFields.
_POD_TEMPLATE_ZERO = (("template",), ("template", "metadata"), ("template", "spec"),
                      ("template", "spec", "containers"))
_ZERO_FIELDS = frozenset(
    [("spec",), ("status",), ("spec", "containers"), ("spec", "strategy"),
     ("spec", "updateStrategy"), ("spec", "jobTemplate"), ("spec", "jobTemplate", "metadata"),
     ("spec", "jobTemplate", "spec")]
    + [("spec",) + p for p in _POD_TEMPLATE_ZERO]
    + [("spec", "jobTemplate", "spec") + p for p in _POD_TEMPLATE_ZERO])


def _unmark_zero_fields(node, fpath=()):
    for pe, child in node.items():
        if pe.startswith("f:"):
            cf = fpath + (pe[2:],)
            if cf in _ZERO_FIELDS:
                child.pop(".", None)
                _unmark_zero_fields(child, cf)
    return node


def track_update(old, new, manager, now, subresource="", list_keys=None):
    """Record a non-apply write (create when old is None, update, patch) by
    `manager`: fields the write added or changed become owned by the
    manager's "Update" entry for new.apiVersion (and subresource) and are
    taken from every other manager; fields the write removed are dropped
    from every manager. Non-empty managedFields sent in `new` (main
    resource only) replace the stored ones, and [{}] clears them, like
    kube-apiserver; an existing object without managedFields stays untracked
    (until an apply). Returns new (a copy) with metadata.managedFields set.
    Never raises: objects the tracker cannot walk (e.g. a list item without
    its key field) come back without managedFields, like UpdateNoErrors."""
    try:
        return _track_update(old, new, manager, now, subresource, list_keys)
    except (PatchError, _TypedErr, TypeError, ValueError, AttributeError):
        # kube-apiserver's UpdateNoErrors: a write never fails because of field
        # tracking; the object just loses its managedFields.
        out = copy.deepcopy(new)
        if isinstance(out.get("metadata"), dict):
            out["metadata"].pop("managedFields", None)
        return out


def _track_update(old, new, manager, now, subresource, list_keys):
    if not manager:
        manager = "unknown"
    schema = _Schema(list_keys)
    w = _Walker(schema)
    newc = copy.deepcopy(new)
    nmeta = newc.setdefault("metadata", {})
    sent = nmeta.pop("managedFields", None)
    oldc = copy.deepcopy(old) if old is not None else {}
    ometa = oldc.get("metadata")
    stored = ometa.pop("managedFields", None) if isinstance(ometa, dict) else None

    base_entries = stored
    if subresource == "" and sent and not _strict_eq(sent, stored):
        if all(isinstance(e, dict) and not e.get("manager") and not e.get("fieldsV1")
               for e in sent):
            return newc    # managedFields: [{}] resets tracking
        base_entries = sent
    managers = _decode_managed(base_entries)
    if old is not None and not managers:
        # skipNonAppliedManager: an existing object without managedFields stays
        # untracked until its first apply.
        return newc

    added, modified, removed = w.compare(oldc, newc)
    if old is None:
        _prune(_unmark_zero_fields(added))
    changed = _union(_strip(added), _strip(modified))
    removed = _strip(removed)

    for other, ent in managers.items():
        ent["set"] = _difference(_difference(ent["set"], changed), removed)
    ident = (manager, "Update", newc.get("apiVersion", ""), subresource)
    cur = managers.get(ident)
    if changed or removed or cur is None:
        base_set = cur["set"] if cur else {}
        managers[ident] = {"apiVersion": newc.get("apiVersion", ""), "time": now,
                           "set": _union(base_set, changed)}
    entries = _encode_managed(managers)
    if entries:
        nmeta["managedFields"] = entries
    return newc


# --------------------------------------------------------------------------
# Strategic merge patch (built-in kinds)
# --------------------------------------------------------------------------

_SEO = "$setElementOrder/"
_DFPL = "$deleteFromPrimitiveList/"


def _gofmt(v):
    """Go's %v of a decoded JSON value: map[k:v ...] with sorted keys, [a b]."""
    if isinstance(v, dict):
        return "map[" + " ".join("%s:%s" % (k, _gofmt(v[k])) for k in sorted(v)) + "]"
    if isinstance(v, list):
        return "[" + " ".join(_gofmt(x) for x in v) + "]"
    if v is None:
        return "<nil>"
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def _smp_error(message):
    return PatchError(400, "BadRequest", message)


def _smp_clean(value, fpath):
    """A patch value used as is: directives and nulls removed."""
    if isinstance(value, dict):
        r = _smp_map({}, value, fpath)
        return {} if r is _DELETE else r
    if isinstance(value, list):
        return [_smp_clean(v, fpath) for v in value
                if not (isinstance(v, dict) and "$patch" in v and len(v) == 1)]
    return value


def _smp_key(item, mk):
    return _compact(item.get(mk)) if isinstance(item, dict) else None


def _smp_map(orig, patch, fpath):
    """mergeMap(original, patch) of k8s.io/apimachinery strategicpatch."""
    directive = patch.get("$patch")
    if directive is not None:
        if directive == "replace":
            return _smp_clean({k: v for k, v in patch.items() if k != "$patch"}, fpath)
        if directive == "delete":
            return _DELETE
        if directive != "merge":
            raise PatchError(500, "", "unknown patch type: %s in map: %s"
                             % (directive, _gofmt(patch)))
    result = dict(orig) if isinstance(orig, dict) else {}
    orders = {}
    retain = patch.get("$retainKeys", _MISSING)
    if retain is not _MISSING and not isinstance(retain, list):
        raise _smp_error("invalid patch: doesn't support retainKeys format: %s" % _compact(retain))
    for key, value in patch.items():
        if key.startswith(_DFPL):
            field = key[len(_DFPL):]
            if not isinstance(value, list):
                raise _smp_error("invalid patch: doesn't support primitive list format: %s"
                                 % _compact(value))
            if isinstance(result.get(field), list):
                drop = {_compact(v) for v in value}
                result[field] = [v for v in result[field] if _compact(v) not in drop]
    for key, value in patch.items():
        if key in ("$patch", "$retainKeys") or key.startswith(_DFPL):
            continue
        if key.startswith(_SEO):
            if not isinstance(value, list):
                raise _smp_error("invalid patch: doesn't support setElementOrder list format: %s"
                                 % _compact(value))
            orders[key[len(_SEO):]] = value
            continue
        cf = fpath + (key,)
        if value is None:
            result.pop(key, None)
        elif isinstance(value, dict):
            cur = result.get(key)
            merged = _smp_map(cur if isinstance(cur, dict) else {}, value, cf)
            if merged is _DELETE:
                result.pop(key, None)
            else:
                result[key] = merged
        elif isinstance(value, list):
            cur = result.get(key)
            result[key] = _smp_list(cur if isinstance(cur, list) else [], value, cf)
        else:
            result[key] = value
    for field, order in orders.items():
        if isinstance(result.get(field), list):
            live = orig.get(field) if isinstance(orig, dict) else None
            result[field] = _smp_order(result[field], order, live or [], fpath + (field,))
    if retain is not _MISSING:
        allowed = set(retain)
        result = {k: v for k, v in result.items() if k in allowed}
    return result


def _smp_list(orig, patch, fpath):
    strategy, mk = _builtin_smp_list(fpath)
    if any(isinstance(v, list) for v in patch) and strategy != "replace":
        raise PatchError(422, "Invalid", _JP_MESSAGE,
                         [{"reason": "UnexpectedServerResponse",
                           "message": "lists of lists are not supported"}])
    replace_all = any(isinstance(v, dict) and v.get("$patch") == "replace" for v in patch)
    if strategy == "replace" or replace_all:
        return _smp_clean(patch, fpath)
    if strategy == "primitive":
        out = list(orig)
        seen = {_compact(v) for v in out}
        for v in patch:
            if _compact(v) not in seen:
                seen.add(_compact(v))
                out.append(v)
        return out
    out = list(orig)
    index = {}
    for i, item in enumerate(out):
        index.setdefault(_smp_key(item, mk), i)
    deleted = set()
    for item in patch:
        if not isinstance(item, dict):
            raise PatchError(500, "", "unable to find api field in struct %s for the json "
                             "field %s" % (fpath[-1], mk))
        if mk not in item:
            if item.get("$patch") == "delete":
                continue
            raise PatchError(500, "", "map: %s does not contain declared merge key: %s"
                             % (_gofmt(item), mk))
        key = _smp_key(item, mk)
        if item.get("$patch") == "delete":
            deleted.add(key)
            continue
        if key in index and key not in deleted:
            out[index[key]] = _smp_map(out[index[key]], item, fpath)
        else:
            index[key] = len(out)
            out.append(_smp_clean(item, fpath))
            deleted.discard(key)
    if deleted:
        out = [v for v in out if _smp_key(v, mk) not in deleted]
    return out


def _smp_order(merged, order, live, fpath):
    """Honour $setElementOrder: items named in `order` come in that order;
    items only on the server keep their position relative to the live list."""
    strategy, mk = _builtin_smp_list(fpath)

    def key(v):
        if strategy == "merge":
            return _smp_key(v, mk)
        return _compact(v)

    pos = {}
    for i, v in enumerate(order):
        pos.setdefault(_smp_key(v, mk) if strategy == "merge" else _compact(v), i)
    live_pos = {}
    for i, v in enumerate(live):
        live_pos.setdefault(key(v), i)
    named = sorted((v for v in merged if key(v) in pos), key=lambda v: pos[key(v)])
    others = [v for v in merged if key(v) not in pos]
    if not others:
        return named
    out = []
    ni = 0
    inf = float("inf")
    for v in others:
        lp = live_pos.get(key(v), inf)
        while ni < len(named) and live_pos.get(key(named[ni]), inf) < lp:
            out.append(named[ni])
            ni += 1
        out.append(v)
    out.extend(named[ni:])
    return out


def strategic_merge_patch(obj, patch):
    """Apply a strategic merge patch (built-in kinds) and return a new object.
    Maps merge (null deletes), lists with a patch merge key merge by key,
    metadata.finalizers merges as a set, other lists replace; honours
    $patch (merge|replace|delete), $retainKeys, $deleteFromPrimitiveList/
    and $setElementOrder/."""
    if not isinstance(patch, dict):
        raise PatchError(400, "BadRequest",
                         "json: cannot unmarshal %s into Go value of type map[string]interface {}"
                         % _json_type(patch))
    result = _smp_map(copy.deepcopy(obj), copy.deepcopy(patch), ())
    if result is _DELETE:
        raise PatchError(400, "BadRequest", "strategic merge patch: $patch: delete at the top "
                         "level would delete the whole object; use DELETE instead")
    return result
