"""api.py - the request pipeline of resource endpoints, independent of HTTP: get, list
(selectors, limit/continue over point-in-time snapshots), create, update, patch (merge,
JSON, strategic, server-side apply via patch.py), delete (preconditions, propagation,
finalizers), deletecollection, and the status subresource. Writes run
decode -> (patch) -> defaults/prune (CRs) -> mutating admission -> validation ->
validating admission -> store -> controllers (gc.settle), with dryRun=All stopping
before the store. Webhooks are called without the store lock held; the store step
re-checks the object's resourceVersion and retries (or answers 409) when it moved.
"""
import base64
import copy
import json
import random
import time
import uuid

import status as st
import validation
from collector import Controllers, NS_KEY
from selection import match_fields, match_labels, parse_fields, parse_labels
from store import meta

MWC_KEY = ("admissionregistration.k8s.io", "mutatingwebhookconfigurations")
VWC_KEY = ("admissionregistration.k8s.io", "validatingwebhookconfigurations")
GEN_CHARS = "bcdfghjklmnpqrstvwxz2456789"
PATCH_TYPES = {"application/json-patch+json": "json",
               "application/merge-patch+json": "merge",
               "application/strategic-merge-patch+json": "strategic",
               "application/apply-patch+yaml": "apply",
               "application/apply-patch+cbor": "apply-cbor"}
CONTINUE_EXPIRED = (
    "The provided continue parameter is too old to display a consistent list result. You can "
    "start a new list without the continue parameter, or use the continue token in this "
    "response to retrieve the remainder of the results. Continuing with the provided token "
    "results in an inconsistent list - objects that were created, modified, or deleted "
    "between the time the first chunk was returned and now may show up in the list.")


def now() -> str:
    """The current time as RFC 3339 seconds (UTC), kube-apiserver's timestamp format."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


class Request:
    """What the pipeline needs to know about a request besides the body."""

    def __init__(self, user: dict, query: dict, user_agent: str = ""):
        self.user = user          # {"username", "uid", "groups"}
        self.query = query        # first value of each query parameter
        self.user_agent = user_agent
        self.warnings = []
        dry = query.get("dryRun", "")
        if dry not in ("", "All"):
            raise st.ApiError(st.status(400, "BadRequest",
                                        f'dryRun: Unsupported value: "{dry}": supported '
                                        'values: "All"'))
        self.dry_run = dry == "All"

    def manager(self) -> str:
        """The field manager of a non-apply write: fieldManager or the user agent's product."""
        fm = self.query.get("fieldManager", "")
        if len(fm) > 128:
            raise st.bad_request("fieldManager: Too long: may not be more than 128 bytes")
        return fm or (self.user_agent.split("/")[0] if self.user_agent else "unknown")


def encode_continue(rv: int, start: tuple) -> str:
    """An opaque continue token for a list snapshot at rv, after key start."""
    raw = json.dumps({"v": "meta.k8s.io/v1", "rv": rv, "start": "/".join(start) + "\u0000"})
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_continue(token: str):
    """(rv, start key) of a continue token; 400 when it is not one of ours."""
    try:
        pad = "=" * (-len(token) % 4)
        d = json.loads(base64.urlsafe_b64decode(token + pad))
        ns, _, name = d["start"].rstrip("\u0000").rpartition("/")
        return int(d["rv"]), (ns, name)
    except (ValueError, KeyError, TypeError):
        raise st.bad_request("continue key is not valid: invalid continue token")


def strip_for_compare(obj: dict, keep_managed: bool = False) -> dict:
    """obj without resourceVersion and managedFields (or only their timestamps)."""
    o = dict(obj)
    m = dict(o.get("metadata") or {})
    m.pop("resourceVersion", None)
    mf = m.pop("managedFields", None)
    if keep_managed and mf:
        m["managedFields"] = [{k: v for k, v in e.items() if k != "time"} for e in mf]
    o["metadata"] = m
    return o


class Api:
    def __init__(self, store, registry, faults=None):
        self.store = store
        self.registry = registry
        self.faults = faults
        self.ctl = Controllers(store, registry, now)
        self.ip_counter = 10
        with store.lock:
            registry.set_crds([o for _k, o in store.items(("apiextensions.k8s.io",
                                                            "customresourcedefinitions"))])
            for n in ("default", "kube-system", "kube-public", "kube-node-lease"):
                if store.get(NS_KEY, "", n) is None:
                    store.put(NS_KEY, self._new_meta({"apiVersion": "v1", "kind": "Namespace",
                                                      "metadata": {"name": n,
                                                                   "labels": {}}},
                                                     self.registry.for_key(NS_KEY)))

    # ---- output ----------------------------------------------------------------------
    @staticmethod
    def out(info, obj: dict) -> dict:
        """The object as served at info's version (apiVersion rewritten for CRs)."""
        if obj.get("apiVersion") == info.api_version and obj.get("kind") == info.kind:
            return obj
        o = dict(obj)
        o["apiVersion"], o["kind"] = info.api_version, info.kind
        return o

    # ---- reads -----------------------------------------------------------------------
    def get(self, info, ns, name):
        """GET of one object; 404 NotFound when absent."""
        with self.store.lock:
            obj = self.store.get(info.key, ns, name)
        if obj is None:
            raise st.not_found(info.group, info.plural, name)
        return self.out(info, obj)

    def field_selectors(self, info) -> list:
        """Fields a field selector may use for this resource."""
        allowed = ["metadata.name", "metadata.namespace"]
        if info.crd:
            allowed += info.selectable
        else:
            allowed += validation_fields(info)
        return allowed

    def selectors(self, info, query):
        """Parsed (label requirements, field requirements) of a request's query (400 on errors)."""
        labels = parse_labels(query.get("labelSelector", ""))
        fields = parse_fields(query.get("fieldSelector", ""), self.field_selectors(info),
                              info.crd)
        return labels, fields

    def matches(self, sel, obj) -> bool:
        """True when obj passes both selectors."""
        labels, fields = sel
        return match_labels(labels, meta(obj).get("labels")) and match_fields(fields, obj)

    def list(self, info, ns, query) -> dict:
        """GET of a collection: selectors, limit/continue over a snapshot, 410 when expired."""
        sel = self.selectors(info, query)
        try:
            limit = int(query.get("limit") or 0)
        except ValueError:
            raise st.bad_request(f"limit: Invalid value: {query.get('limit')!r}")
        cont = query.get("continue", "")
        rv_param = query.get("resourceVersion", "")
        match = query.get("resourceVersionMatch", "")
        with self.store.lock:
            if cont:
                rv, start = decode_continue(cont)
                items = self.store.items_at(info.key, ns, rv)
                if items is None:
                    raise st.gone_expired(CONTINUE_EXPIRED)
            elif match == "Exact" and rv_param:
                rv, start = int(rv_param), None
                items = self.store.items_at(info.key, ns, rv)
                if items is None:
                    raise st.gone_expired(f"too old resource version: {rv} "
                                          f"({self.store.compacted_rv})")
            else:
                rv, start = self.store.rv, None
                items = self.store.items(info.key, ns)
        if start is not None:
            import bisect
            keys = [k for k, _ in items]
            items = items[bisect.bisect_right(keys, start):]
        filtered = sel != ([], [])
        out, last, remaining = [], None, 0
        for i, (k, o) in enumerate(items):
            if not self.matches(sel, o):
                continue
            if limit and len(out) >= limit:
                remaining = len(items) - i
                break
            out.append(o)
            last = k
        md = {"resourceVersion": str(rv)}
        if remaining:
            md["continue"] = encode_continue(rv, last)
            if not filtered:
                md["remainingItemCount"] = remaining
        if info.crd:
            items_out = [self.out(info, o) for o in out]
        else:
            items_out = [{k: v for k, v in o.items() if k not in ("apiVersion", "kind")}
                         for o in out]
        return {"apiVersion": info.api_version, "kind": info.list_kind, "metadata": md,
                "items": items_out}

    # ---- shared write steps ------------------------------------------------------------
    def _new_meta(self, obj, info):
        """Server-owned metadata of a new object (uid, timestamps, generation, kind defaults)."""
        m = obj["metadata"]
        m["uid"] = str(uuid.uuid4())
        m["creationTimestamp"] = now()
        for f in ("deletionTimestamp", "deletionGracePeriodSeconds", "selfLink"):
            m.pop(f, None)
        if info.generation:
            m["generation"] = 1
        else:
            m.pop("generation", None)
        if info.kind == "Namespace":
            obj["spec"] = {"finalizers": ["kubernetes"]}
            obj["status"] = {"phase": "Active"}
            if not isinstance(m.get("labels"), dict):
                m["labels"] = {}
            m["labels"]["kubernetes.io/metadata.name"] = m["name"]
        return obj

    def _check_body(self, info, ns, obj, name=None):
        """Type, apiVersion/kind and namespace checks on a decoded body (400)."""
        if not isinstance(obj, dict):
            raise st.bad_request(f"the object provided is unrecognized (must be of type "
                                 f"{info.kind})")
        av, kind = obj.get("apiVersion"), obj.get("kind")
        if info.crd and (not av or not kind):
            missing = "Kind" if not kind else "apiVersion"
            raise st.bad_request(f"Object '{missing}' is missing in "
                                 f"'{json.dumps(obj, separators=(',', ':'))[:200]}'")
        if av and av != info.api_version:
            raise st.bad_request(f"the API version in the data ({av}) does not match the "
                                 f"expected API version ({info.api_version})")
        if kind and kind != info.kind:
            raise st.bad_request(f"the kind in the data ({kind}) does not match the expected "
                                 f"kind ({info.kind})")
        obj["apiVersion"], obj["kind"] = info.api_version, info.kind
        m = obj.get("metadata")
        if m is None:
            m = obj["metadata"] = {}
        if not isinstance(m, dict):
            raise st.bad_request("metadata: must be an object")
        check_meta_types(info, m)
        if info.namespaced:
            if m.get("namespace") and m["namespace"] != ns:
                raise st.bad_request("the namespace of the provided object does not match "
                                     "the namespace sent on the request")
            m["namespace"] = ns
        if name is not None and m.get("name") and m["name"] != name:
            raise st.bad_request(f"the name of the object ({m['name']}) does not match the "
                                 f"name on the URL ({name})")
        if name is not None and not m.get("name"):
            m["name"] = name

    def _ns_labels(self, info, ns, obj, old):
        """Labels of the namespace admission matches namespaceSelector against."""
        if info.key == NS_KEY:
            src = obj if obj is not None else old
            return dict(meta(src).get("labels") or {})
        if not info.namespaced:
            return None
        with self.store.lock:
            n = self.store.get(NS_KEY, "", ns)
        return dict(meta(n).get("labels") or {}) if n else {}

    def _admit(self, phase, info, op, sub, ns, name, obj, old, req, kind=None):
        """Runs one admission phase; returns the (possibly mutated) object. kind: the
        (group, version, kind) of obj when it is not the resource's own (a Scale)."""
        if info.group == "admissionregistration.k8s.io":
            return obj  # webhooks never see webhook configurations (like real)
        with self.store.lock:
            confs = [o for _k, o in self.store.items(MWC_KEY if phase == "mutating"
                                                    else VWC_KEY)]
        if not confs:
            return obj
        import admission  # helper C's module
        attrs = {"operation": op, "group": info.group, "version": info.version,
                 "kind": info.kind, "resource": info.plural, "subresource": sub,
                 "namespace": ns, "name": name, "userInfo": req.user, "dryRun": req.dry_run}
        if kind is not None:
            attrs["kindGroup"], attrs["kindVersion"], attrs["kind"] = kind
        res = admission.admit(phase, confs, attrs, copy.deepcopy(obj) if obj else obj,
                              copy.deepcopy(old) if old else old,
                              self._ns_labels(info, ns, obj, old))
        req.warnings.extend(res.warnings or [])
        if not res.allowed:
            raise st.ApiError(res.status or st.status(403, "Forbidden", "admission denied"))
        if phase == "mutating" and res.obj is not None and obj is not None:
            return res.obj
        return obj

    def _validate(self, info, obj, old, sub, req=None):
        """Runs validation; wrong JSON types surface as 400 instead of a crash."""
        try:
            self._validate_typed(info, obj, old, sub, req)
        except (AttributeError, TypeError, KeyError) as e:
            raise st.bad_request(f'{info.kind} in version "{info.version}" cannot be handled '
                                 f'as a {info.kind}: a field has the wrong type ({e})')

    def _validate_typed(self, info, obj, old, sub, req=None):
        """Decode checks (Secrets), metadata and kind rules or CR schema; 422 on causes."""
        name = meta(obj).get("name", "")
        if info.kind == "Secret":
            validation.decode_secret(obj)
        causes = validation.metadata_causes(info, obj)
        if info.crd:
            fv = req.query.get("fieldValidation", "") if req else ""
            causes += validation.custom_resource(info, obj, sub, fv,
                                                 req.warnings if req else None)
        else:
            causes += validation.kind_causes(info, obj, old)
        if causes:
            raise st.invalid(info.group, info.kind, name, causes)

    def _fault(self, info, name, existing: bool):
        """Raises an injected 500/429 or forced 409 when the fault settings roll so."""
        f = self.faults
        if f is None:
            return
        if f.roll("writeErrorRate"):
            cfg = f.snapshot()
            if cfg["writeErrorCode"] == 429:
                raise st.too_many_requests(cfg["retryAfterSeconds"])
            raise st.internal("injected fault (writeErrorRate)")
        if existing and f.roll("conflictRate"):
            raise st.conflict(info.group, info.plural, name)

    def _apply_defaults(self, info, obj, old):
        """A few kube-apiserver defaults the project may observe (400 on wrong types)."""
        try:
            self._apply_defaults_typed(info, obj, old)
        except (AttributeError, TypeError, KeyError) as e:
            raise st.bad_request(f'{info.kind} in version "{info.version}" cannot be handled '
                                 f'as a {info.kind}: a field has the wrong type ({e})')

    def _apply_defaults_typed(self, info, obj, old):
        """The kind defaults of _apply_defaults, assuming well-typed fields."""
        if info.kind == "Service":
            spec = obj.setdefault("spec", {})
            spec.setdefault("type", "ClusterIP")
            spec.setdefault("sessionAffinity", "None")
            for p in spec.get("ports") or []:
                p.setdefault("protocol", "TCP")
                if "port" in p:
                    p.setdefault("targetPort", p["port"])
            if spec["type"] != "ExternalName" and not spec.get("clusterIP"):
                oldip = ((old or {}).get("spec") or {}).get("clusterIP")
                if oldip:
                    spec["clusterIP"] = oldip
                else:
                    self.ip_counter += 1
                    spec["clusterIP"] = f"10.96.{self.ip_counter // 250}.{self.ip_counter % 250}"
            if spec.get("clusterIP"):
                spec["clusterIPs"] = [spec["clusterIP"]]
        elif info.kind in ("Deployment", "StatefulSet", "ReplicaSet"):
            obj.setdefault("spec", {}).setdefault("replicas", 1)
        elif info.kind == "Secret":
            if not obj.get("type"):
                obj["type"] = "Opaque"
        elif info.kind == "CustomResourceDefinition":
            spec = obj.get("spec")
            if isinstance(spec, dict):
                names = spec.get("names")
                if isinstance(names, dict) and names.get("kind"):
                    names.setdefault("singular", names["kind"].lower())
                    names.setdefault("listKind", names["kind"] + "List")
                spec.setdefault("conversion", {"strategy": "None"})
        normalize_meta(obj)

    def _track(self, old, new, req, sub, info=None):
        """managedFields for a non-apply write via patch.track_update."""
        import patch  # helper B's module
        return patch.track_update(old, new, req.manager(), now(), sub,
                                  list_keys=crd_list_keys(info))

    def _finish(self):
        """Runs the controllers; caller holds the lock."""
        self.ctl.settle()

    # ---- create ------------------------------------------------------------------------
    def create(self, info, ns, body, req, applied=None):
        """POST; `applied` is an apply result (managedFields already set) for apply-create."""
        obj = copy.deepcopy(body)
        self._check_body(info, ns, obj)
        m = obj["metadata"]
        if m.get("resourceVersion"):
            raise st.internal("resourceVersion should not be set on objects to be created")
        if not m.get("name") and m.get("generateName"):
            m["name"] = m["generateName"] + "".join(random.choice(GEN_CHARS) for _ in range(5))
        name = m.get("name", "")
        if not name:
            raise st.invalid(info.group, info.kind, "", [st.field_required(
                "metadata.name", "name or generateName is required")])
        check_body_types(info, obj)
        self._fault(info, name, False)
        if info.namespaced:
            with self.store.lock:
                nso = self.store.get(NS_KEY, "", ns)
            if nso is None:
                raise st.not_found("", "namespaces", ns)
            if meta(nso).get("deletionTimestamp"):
                msg = (f"{info.plural} \"{name}\" is forbidden: unable to create new content in "
                       f"namespace {ns} because it is being terminated")
                raise st.forbidden(msg, {"name": name, "kind": info.plural, "causes": [
                    {"reason": "NamespaceTerminating", "message": f"namespace {ns} is being "
                     "terminated", "field": "metadata.namespace"}]})
        if info.crd:
            crd = self._crd_of(info)
            if crd is not None and meta(crd).get("deletionTimestamp"):
                raise st.method_not_allowed(f"create not allowed while custom resource "
                                            f"definition is terminating")
        if info.status:
            obj.pop("status", None)
        self._new_meta(obj, info)
        self._apply_defaults(info, obj, None)
        if info.kind == "CustomResourceDefinition":
            fins = m.setdefault("finalizers", [])
            if "customresourcecleanup.apiextensions.k8s.io" not in fins:
                fins.append("customresourcecleanup.apiextensions.k8s.io")
        obj = self._admit("mutating", info, "CREATE", "", ns, name, obj, None, req)
        self._validate(info, obj, None, "", req)
        obj = self._admit("validating", info, "CREATE", "", ns, name, obj, None, req)
        if applied is None:
            obj = self._track(None, obj, req, "", info)
        if req.dry_run:
            return 201, self.out(info, obj)
        with self.store.lock:
            if self.store.get(info.key, ns, name) is not None:
                raise st.already_exists(info.group, info.plural, name)
            stored = self.store.put(info.key, obj)
            self._finish()
        return 201, self.out(info, stored)

    def _crd_of(self, info):
        """The CRD object serving a custom resource (None when gone)."""
        with self.store.lock:
            return self.store.get(("apiextensions.k8s.io", "customresourcedefinitions"), "",
                                  f"{info.plural}.{info.group}")

    # ---- update / patch ----------------------------------------------------------------
    def _prepare_update(self, info, old, new, sub):
        """Carries over what the client may not change through this endpoint."""
        om, nm = old["metadata"], new["metadata"]
        if sub == "finalize":  # Namespace /finalize: only spec.finalizers changes
            keep = copy.deepcopy(old)
            keep.setdefault("spec", {})["finalizers"] = list(
                (new.get("spec") or {}).get("finalizers") or [])
            if "resourceVersion" in nm:
                keep["metadata"]["resourceVersion"] = nm["resourceVersion"]
            return keep
        if sub == "status":
            keep = copy.deepcopy(old)
            keep["status"] = new.get("status")
            if keep["status"] is None:
                keep.pop("status")
            km = keep["metadata"]
            if "managedFields" in nm:
                km["managedFields"] = nm["managedFields"]
            if "resourceVersion" in nm:
                km["resourceVersion"] = nm["resourceVersion"]
            new = keep
            nm = km
        else:
            if info.status:
                if "status" in old:
                    new["status"] = copy.deepcopy(old["status"])
                else:
                    new.pop("status", None)
        for f in ("uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds",
                  "generation", "namespace", "name"):
            if f in om:
                nm[f] = om[f]
            else:
                nm.pop(f, None)
        if "managedFields" not in nm and "managedFields" in om:
            nm["managedFields"] = om["managedFields"]
        if info.kind == "Namespace":
            new["spec"] = copy.deepcopy(old.get("spec") or {})
            if sub != "status":
                new["status"] = copy.deepcopy(old.get("status") or {})
        if info.generation and sub != "status":
            changed = {k: v for k, v in new.items() if k not in ("metadata", "status")} != \
                {k: v for k, v in old.items() if k not in ("metadata", "status")} if info.status \
                else {k: v for k, v in new.items() if k != "metadata"} != \
                {k: v for k, v in old.items() if k != "metadata"}
            if changed:
                nm["generation"] = int(om.get("generation") or 0) + 1
        return new

    def update(self, info, ns, name, body, req, sub="", patch_fn=None, applied_fn=None,
               admit=True):
        """PUT (body given) or PATCH (patch_fn(old) -> new body, applied_fn for apply:
        (old) -> new object with managedFields). Retries when the object moved while
        webhooks ran, unless the client named a resourceVersion (like kube-apiserver's
        GuaranteedUpdate; bounded only against a bug). admit=False: the caller ran admission
        on another representation already (the /scale subresource)."""
        for _attempt in range(1000):
            with self.store.lock:
                old = self.store.get(info.key, ns, name)
            if old is None:
                if applied_fn is not None and sub == "":
                    return self._apply_create(info, ns, name, applied_fn, req)
                raise st.not_found(info.group, info.plural, name)
            self._fault(info, name, True)
            if patch_fn is not None:
                new = patch_fn(self.out(info, old))
            elif applied_fn is not None:
                new = applied_fn(self.out(info, old))
            else:
                new = copy.deepcopy(body)
            self._check_body(info, ns, new, name)
            check_body_types(info, new)
            want_rv = meta(new).get("resourceVersion")
            if body is not None and want_rv and want_rv != meta(old).get("resourceVersion"):
                raise st.conflict(info.group, info.plural, name)
            if body is None and want_rv and want_rv != meta(old).get("resourceVersion"):
                raise st.conflict(info.group, info.plural, name)
            new = self._prepare_update(info, old, new, sub)
            if meta(old).get("deletionTimestamp"):
                added = set(meta(new).get("finalizers") or []) - set(
                    meta(old).get("finalizers") or [])
                if added:
                    raise st.invalid(info.group, info.kind, name, [st.field_forbidden(
                        "metadata.finalizers", "no new finalizers can be added if the object "
                        "is being deleted, found new finalizers " +
                        "[]string{" + ", ".join(f'"{a}"' for a in sorted(added)) + "}")])
            self._apply_defaults(info, new, old)
            if admit:
                new = self._admit("mutating", info, "UPDATE", sub, ns, name, new, old, req)
            self._validate(info, new, old, sub, req)
            if admit:
                new = self._admit("validating", info, "UPDATE", sub, ns, name, new, old, req)
            if applied_fn is None:
                new = self._track(old, new, req, sub, info)
            apply_ = applied_fn is not None
            if strip_for_compare(new, apply_) == strip_for_compare(old, apply_):
                return 200, self.out(info, old)  # no-op: nothing written, rv unchanged
            if req.dry_run:
                return 200, self.out(info, new)
            with self.store.lock:
                cur = self.store.get(info.key, ns, name)
                if cur is None:
                    raise st.not_found(info.group, info.plural, name)
                if meta(cur).get("resourceVersion") != meta(old).get("resourceVersion"):
                    if body is not None and want_rv:
                        raise st.conflict(info.group, info.plural, name)
                    continue
                m = meta(new)
                if m.get("deletionTimestamp") and not m.get("finalizers") and not (
                        info.key == NS_KEY and (new.get("spec") or {}).get("finalizers")):
                    final = self.store.delete(info.key, ns, name, new)  # deleted in this step
                    self._finish()
                    return 200, self.out(info, final)
                stored = self.store.put(info.key, new)
                self._finish()
                return 200, self.out(info, stored)
        raise st.conflict(info.group, info.plural, name)

    def _apply_create(self, info, ns, name, applied_fn, req):
        """Server-side apply to a missing object: creates it from the apply result."""
        obj = applied_fn(None)
        self._check_body(info, ns, obj, name)
        return self.create(info, ns, obj, req, applied=True)

    def patch(self, info, ns, name, content_type, raw: bytes, req, sub=""):
        """PATCH of any supported type; 415 for unknown types and SMP on custom resources."""
        ctype = content_type.split(";")[0].strip().lower()
        kind = PATCH_TYPES.get(ctype)
        accepted = ["application/json-patch+json", "application/merge-patch+json",
                    "application/apply-patch+yaml"]
        if not info.crd:
            accepted.insert(2, "application/strategic-merge-patch+json")
        if kind is None or kind == "apply-cbor" or (kind == "strategic" and info.crd):
            raise st.unsupported_media(accepted)
        import patch as pm  # helper B's module
        if kind == "apply":
            body = decode_yaml_or_json(raw)
            if not isinstance(body, dict):
                raise st.bad_request("error decoding YAML: the apply body must be an object")
            manager = req.query.get("fieldManager", "")
            if not manager:
                raise st.bad_request("PATCH /: fieldManager is required for apply requests"
                                     .replace("PATCH /: ", ""))
            force = req.query.get("force", "") in ("true", "1", "True")
            self._check_apply_body(info, ns, name, body)
            if info.crd and info.schema:
                default_list_map_keys(body, info.schema)

            def applied_fn(live):
                """The apply result for live (None when creating)."""
                try:
                    return pm.apply(copy.deepcopy(live) if live else None, body, manager,
                                    force, now(), sub, list_keys=crd_list_keys(info),
                                    ignore_status=info.status and sub == "")
                except pm.PatchError as e:
                    raise patch_error(e)
            return self.update(info, ns, name, None, req, sub, applied_fn=applied_fn)
        doc = patch_document(raw)
        return self.update(info, ns, name, None, req, sub,
                           patch_fn=lambda live: patched(kind, doc, live))

    def _check_apply_body(self, info, ns, name, body):
        """400 for apply bodies without apiVersion/kind or with another name."""
        av, kind = body.get("apiVersion"), body.get("kind")
        if not av or not kind:
            raise st.bad_request("error decoding YAML: Object 'Kind' is missing" if not kind
                                 else "error decoding YAML: Object 'apiVersion' is missing")
        m = body.get("metadata") or {}
        if m.get("name") and m["name"] != name:
            raise st.bad_request(f"the name of the object ({m['name']}) does not match the "
                                 f"name on the URL ({name})")

    # ---- delete ------------------------------------------------------------------------
    def delete(self, info, ns, name, opts: dict, req):
        """DELETE with DeleteOptions (body and/or query). Returns (code, body)."""
        policy = opts.get("propagationPolicy") or req.query.get("propagationPolicy") or ""
        if opts.get("orphanDependents") is True or req.query.get("orphanDependents") == "true":
            policy = policy or "Orphan"
        if policy not in ("", "Background", "Foreground", "Orphan"):
            raise st.invalid(info.group, info.kind, name, [st.cause(
                "FieldValueNotSupported", "propagationPolicy",
                f'Unsupported value: "{policy}": supported values: "Foreground", '
                '"Background", "Orphan", "nil"')])
        pre = opts.get("preconditions") or {}
        if info.key == NS_KEY and name in ("default", "kube-system", "kube-public"):
            raise st.forbidden(f'namespaces "{name}" is forbidden: this namespace may not be '
                               'deleted', {"name": name, "kind": "namespaces"})
        with self.store.lock:
            old = self.store.get(info.key, ns, name)
        if old is None:
            raise st.not_found(info.group, info.plural, name)
        self._fault(info, name, False)
        om = meta(old)
        if pre.get("uid") and pre["uid"] != om.get("uid"):
            raise st.conflict(info.group, info.plural, name,
                              f"Precondition failed: UID in precondition: {pre['uid']}, "
                              f"UID in object meta: {om.get('uid')}")
        if pre.get("resourceVersion") and pre["resourceVersion"] != om.get("resourceVersion"):
            raise st.conflict(info.group, info.plural, name,
                              f"Precondition failed: ResourceVersion in precondition: "
                              f"{pre['resourceVersion']}, ResourceVersion in object meta: "
                              f"{om.get('resourceVersion')}")
        self._admit("mutating", info, "DELETE", "", ns, name, None, old, req)
        self._admit("validating", info, "DELETE", "", ns, name, None, old, req)
        if req.dry_run:
            return 200, (self.out(info, old) if info.return_deleted or om.get("finalizers")
                         else st.success(info.group, info.plural, name, om.get("uid")))
        with self.store.lock:
            cur = self.store.get(info.key, ns, name)
            if cur is None:
                raise st.not_found(info.group, info.plural, name)
            last = self.ctl.delete_object(info.key, ns, name, policy or "Background")
            after = self.store.get(info.key, ns, name)
            self._finish()
        if after is not None:
            return 200, self.out(info, after)
        if info.return_deleted:
            return 200, self.out(info, last)
        return 200, st.success(info.group, info.plural, name, om.get("uid"))

    def delete_collection(self, info, ns, opts, req):
        """DELETE on a collection: deletes what the selectors match; answers the list."""
        lst = self.list(info, ns, {k: v for k, v in req.query.items()
                                   if k in ("labelSelector", "fieldSelector")})
        deleted = []
        for it in lst["items"]:
            m = it["metadata"]
            try:
                _c, body = self.delete(info, m.get("namespace", ""), m["name"], opts, req)
            except st.ApiError as e:
                if e.code == 404:
                    continue
                raise
            deleted.append(body if body.get("kind") != "Status" else it)
        with self.store.lock:
            rv = self.store.rv
        return 200, {"apiVersion": info.api_version, "kind": info.list_kind,
                     "metadata": {"resourceVersion": str(rv)}, "items": deleted}


def patch_document(raw: bytes):
    """The decoded body of a merge, JSON or strategic merge PATCH; 400 when it is not JSON."""
    try:
        return json.loads(raw or b"null")
    except ValueError as e:
        raise st.bad_request(f"error decoding patch: {e}")


def patched(kind: str, doc, live: dict) -> dict:
    """A copy of live with doc applied as a "merge", "json" or "strategic" patch."""
    import patch as pm  # helper B's module
    try:
        if kind == "merge":
            if not isinstance(doc, dict):
                raise st.bad_request("json: cannot unmarshal into Go value of type "
                                     "map[string]interface {}")
            return pm.merge_patch(copy.deepcopy(live), doc)
        if kind == "json":
            if not isinstance(doc, list):
                raise st.bad_request("json: cannot unmarshal object into Go value of "
                                     "type jsonpatch.Patch")
            return pm.json_patch(copy.deepcopy(live), doc)
        return pm.strategic_merge_patch(copy.deepcopy(live), doc)
    except pm.PatchError as e:
        raise patch_error(e)


def patch_error(e) -> st.ApiError:
    """A patch.PatchError as the Status kube-apiserver answers."""
    details = {}
    if getattr(e, "causes", None):
        details["causes"] = e.causes
    return st.ApiError(st.status(e.code, e.reason, e.message, details or None))


def default_list_map_keys(value, sch):
    """Fills list-map key fields an apply body omits with their schema defaults (what
    kube-apiserver's typed conversion does for keys with a default); in place."""
    if not isinstance(sch, dict):
        return
    if isinstance(value, dict):
        props = sch.get("properties") or {}
        addl = sch.get("additionalProperties")
        for k, v in value.items():
            default_list_map_keys(v, props.get(k, addl if isinstance(addl, dict) else None))
    elif isinstance(value, list):
        items = sch.get("items") or {}
        keys = (sch.get("x-kubernetes-list-map-keys") or []) \
            if sch.get("x-kubernetes-list-type") == "map" else []
        iprops = items.get("properties") or {}
        for it in value:
            if isinstance(it, dict):
                for k in keys:
                    if k not in it and "default" in (iprops.get(k) or {}):
                        it[k] = copy.deepcopy(iprops[k]["default"])
            default_list_map_keys(it, items)


GO_TYPES = {"labels": "map[string]string", "annotations": "map[string]string",
            "finalizers": "[]string", "ownerReferences": "[]v1.OwnerReference",
            "managedFields": "[]v1.ManagedFieldsEntry", "name": "string",
            "generateName": "string", "namespace": "string", "resourceVersion": "string",
            "uid": "types.UID"}


# JSON types of the built-in fields this server reads (the Go decoder rejects others)
OBJ, LIST, STR, SMAP = dict, list, str, "map[string]string"
BODY_TYPES = {
    "*": {"spec": OBJ, "status": OBJ},
    "ConfigMap": {"data": SMAP, "binaryData": SMAP},
    "Secret": {"data": SMAP, "stringData": SMAP, "type": STR},
    "Deployment": {"spec.selector": OBJ, "spec.template": OBJ, "spec.template.spec": OBJ,
                   "spec.template.metadata": OBJ, "spec.template.spec.containers": LIST},
    "Pod": {"spec.containers": LIST},
    "Service": {"spec.ports": LIST, "spec.type": STR, "spec.clusterIP": STR},
    "CustomResourceDefinition": {"spec.names": OBJ, "spec.names.kind": STR,
                                 "spec.names.plural": STR, "spec.group": STR,
                                 "spec.scope": STR, "spec.versions": LIST},
    "MutatingWebhookConfiguration": {"webhooks": LIST},
    "ValidatingWebhookConfiguration": {"webhooks": LIST},
}
for _k in ("StatefulSet", "DaemonSet", "ReplicaSet"):
    BODY_TYPES[_k] = BODY_TYPES["Deployment"]
LIST_OF_OBJECTS = {"spec.template.spec.containers", "spec.containers", "spec.ports",
                   "spec.versions", "webhooks"}


def check_body_types(info, obj: dict):
    """400 'cannot be handled as a <Kind>' for built-in fields of the wrong JSON type."""
    if info.crd:
        return
    table = dict(BODY_TYPES["*"])
    table.update(BODY_TYPES.get(info.kind, {}))
    for path, want in table.items():
        cur, ok = obj, True
        for p in path.split("."):
            if not isinstance(cur, dict) or p not in cur:
                ok = False
                break
            cur = cur[p]
        if not ok or cur is None:
            continue
        good = (isinstance(cur, dict) and all(isinstance(v, str) for v in cur.values())) \
            if want == SMAP else isinstance(cur, want)
        if good and path in LIST_OF_OBJECTS:
            good = all(isinstance(x, dict) for x in cur)
        if not good:
            raise st.bad_request(f'{info.kind} in version "{info.version}" cannot be handled '
                                 f'as a {info.kind}: json: cannot unmarshal '
                                 f'{type(cur).__name__} into Go struct field {path}')


def check_meta_types(info, m: dict):
    """400 like the Go decoder when metadata fields have the wrong JSON type."""
    def bad(field):
        """Raises the decoder's 400 for a metadata field of the wrong type."""
        raise st.bad_request(f"{info.kind} in version \"{info.version}\" cannot be handled as "
                             f"a {info.kind}: json: cannot unmarshal into Go struct field "
                             f"ObjectMeta.metadata.{field} of type {GO_TYPES[field]}")
    for f in ("name", "generateName", "namespace", "resourceVersion", "uid"):
        if f in m and m[f] is not None and not isinstance(m[f], str):
            bad(f)
    for f in ("labels", "annotations"):
        v = m.get(f)
        if v is not None and (not isinstance(v, dict) or
                              not all(isinstance(x, str) for x in v.values())):
            bad(f)
    for f, t in (("finalizers", str), ("ownerReferences", dict), ("managedFields", dict)):
        v = m.get(f)
        if v is not None and (not isinstance(v, list) or not all(isinstance(x, t) for x in v)):
            bad(f)


def normalize_meta(obj: dict):
    """Drops empty metadata lists/maps, as the Go ObjectMeta round trip does."""
    m = obj.get("metadata")
    if isinstance(m, dict):
        for f in ("labels", "annotations", "finalizers", "ownerReferences", "managedFields"):
            if f in m and not m[f]:
                del m[f]


def crd_list_keys(info):
    """list_keys for patch.py from a CRD version's schema (x-kubernetes-list-type and
    x-kubernetes-list-map-keys; lists default to atomic), None for built-ins."""
    if info is None or not info.crd:
        return None
    root = info.schema or {}

    def list_keys(fpath):
        """patch.py list semantics for a field path, from the CRD schema."""
        fpath = tuple(p for p in fpath if isinstance(p, str))
        if fpath == ("metadata", "ownerReferences"):
            return ["uid"]
        if fpath == ("metadata", "finalizers"):
            return "set"
        node = root
        for name in fpath:
            while isinstance(node, dict) and node.get("type") == "array":
                node = node.get("items") or {}
            if not isinstance(node, dict):
                return None
            props = node.get("properties") or {}
            if name in props:
                node = props[name]
            elif isinstance(node.get("additionalProperties"), dict):
                node = node["additionalProperties"]
            else:
                return None
        if not isinstance(node, dict):
            return None
        lt = node.get("x-kubernetes-list-type")
        if lt == "map":
            return list(node.get("x-kubernetes-list-map-keys") or [])
        if lt == "set":
            return "set"
        return None
    return list_keys


def validation_fields(info) -> list:
    """Extra field-selector fields a built-in kind supports."""
    from resources import BUILTIN_FIELDS
    return BUILTIN_FIELDS.get(info.key, [])


def decode_yaml_or_json(raw: bytes):
    """An apply body: JSON (what kubectl sends) or block YAML (yamlmini.py)."""
    text = raw.decode("utf-8", errors="replace")
    try:
        return json.loads(text)
    except ValueError:
        pass
    import yamlmini
    try:
        return yamlmini.load(text)
    except ValueError as e:
        raise st.bad_request(f"error decoding YAML: {e}")
