"""resources.py - the resource registry: built-in kinds the project uses, kinds served
for CustomResourceDefinitions at run time, and the documents derived from it
(discovery: APIVersions, APIGroupList, APIGroup, APIResourceList; OpenAPI v3 index and
per-group-version documents, which kubectl needs to decide on server-side field
validation).

Storage key of a resource is (group, plural); a CRD that serves several versions gives
one ResourceInfo per served version sharing that key.
"""
import hashlib
import json
import re
import threading
from dataclasses import dataclass, field

from scale import SCALABLE

VERBS = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]
SUB_VERBS = ["get", "patch", "update"]


@dataclass
class ResourceInfo:
    group: str
    version: str
    kind: str
    plural: str
    singular: str
    namespaced: bool
    short_names: list = field(default_factory=list)
    status: bool = False          # has a /status subresource
    scale: bool = False           # has a /scale subresource on a real server (not served here)
    generation: bool = False      # metadata.generation maintained
    categories: list = field(default_factory=list)
    return_deleted: bool = False  # DELETE answers the object instead of a Success Status
    name_rule: str = "subdomain"  # subdomain | label | label1035 | path
    crd: bool = False
    schema: dict | None = None    # openAPIV3Schema of a CRD version
    list_kind: str = ""
    selectable: list = field(default_factory=list)  # extra field selectors (jsonpaths)
    storage_version: str = ""     # CRD storage version

    @property
    def key(self) -> tuple:
        return (self.group, self.plural)

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def qualified(self) -> str:
        return f"{self.plural}.{self.group}" if self.group else self.plural


def _b(group, version, kind, plural, namespaced=True, short=(), status=False, scale=False,
       generation=False, cats=(), ret=False, rule="subdomain", singular=None):
    """A built-in ResourceInfo (compact constructor for the table)."""
    return ResourceInfo(group, version, kind, plural, singular or kind.lower(), namespaced,
                        list(short), status, scale, generation, list(cats), ret, rule,
                        list_kind=kind + "List")


BUILTINS = [
    _b("", "v1", "Namespace", "namespaces", False, ["ns"], status=True, ret=True, rule="label"),
    _b("", "v1", "ConfigMap", "configmaps", short=["cm"]),
    _b("", "v1", "Secret", "secrets"),
    _b("", "v1", "Service", "services", short=["svc"], status=True, cats=["all"],
       rule="label1035"),
    _b("", "v1", "ServiceAccount", "serviceaccounts", short=["sa"]),
    _b("", "v1", "Event", "events", short=["ev"]),
    _b("", "v1", "Endpoints", "endpoints", short=["ep"], singular="endpoints"),
    _b("", "v1", "PersistentVolumeClaim", "persistentvolumeclaims", short=["pvc"], status=True),
    _b("", "v1", "Pod", "pods", short=["po"], status=True, cats=["all"], ret=True),
    _b("apps", "v1", "Deployment", "deployments", short=["deploy"], status=True, scale=True,
       generation=True, cats=["all"]),
    _b("apps", "v1", "StatefulSet", "statefulsets", short=["sts"], status=True, scale=True,
       generation=True, cats=["all"]),
    _b("apps", "v1", "DaemonSet", "daemonsets", short=["ds"], status=True, generation=True,
       cats=["all"]),
    _b("apps", "v1", "ReplicaSet", "replicasets", short=["rs"], status=True, scale=True,
       generation=True, cats=["all"]),
    _b("batch", "v1", "Job", "jobs", status=True, generation=True, cats=["all"]),
    _b("batch", "v1", "CronJob", "cronjobs", short=["cj"], status=True, generation=True,
       cats=["all"]),
    _b("networking.k8s.io", "v1", "Ingress", "ingresses", short=["ing"], status=True,
       generation=True),
    _b("networking.k8s.io", "v1", "NetworkPolicy", "networkpolicies", short=["netpol"],
       generation=True),
    _b("policy", "v1", "PodDisruptionBudget", "poddisruptionbudgets", short=["pdb"],
       status=True, generation=True),
    _b("autoscaling", "v2", "HorizontalPodAutoscaler", "horizontalpodautoscalers",
       short=["hpa"], status=True, cats=["all"]),
    _b("coordination.k8s.io", "v1", "Lease", "leases"),
    _b("apiextensions.k8s.io", "v1", "CustomResourceDefinition", "customresourcedefinitions",
       False, ["crd", "crds"], status=True, generation=True, cats=["api-extensions"]),
    _b("admissionregistration.k8s.io", "v1", "MutatingWebhookConfiguration",
       "mutatingwebhookconfigurations", False, generation=True, cats=["api-extensions"]),
    _b("admissionregistration.k8s.io", "v1", "ValidatingWebhookConfiguration",
       "validatingwebhookconfigurations", False, generation=True, cats=["api-extensions"]),
    _b("rbac.authorization.k8s.io", "v1", "Role", "roles", rule="path"),
    _b("rbac.authorization.k8s.io", "v1", "RoleBinding", "rolebindings", rule="path"),
    _b("rbac.authorization.k8s.io", "v1", "ClusterRole", "clusterroles", False, rule="path"),
    _b("rbac.authorization.k8s.io", "v1", "ClusterRoleBinding", "clusterrolebindings", False,
       rule="path"),
]

# Field selectors each built-in kind supports beyond metadata.name/metadata.namespace.
BUILTIN_FIELDS = {
    ("", "pods"): ["spec.nodeName", "spec.restartPolicy", "spec.schedulerName",
                   "spec.serviceAccountName", "spec.hostNetwork", "status.phase",
                   "status.podIP", "status.nominatedNodeName"],
    ("", "secrets"): ["type"],
    ("", "events"): ["involvedObject.kind", "involvedObject.namespace", "involvedObject.name",
                     "involvedObject.uid", "involvedObject.apiVersion",
                     "involvedObject.resourceVersion", "involvedObject.fieldPath", "reason",
                     "reportingComponent", "source", "type"],
    ("", "namespaces"): ["status.phase"],
    ("", "persistentvolumeclaims"): [],
    ("apps", "replicasets"): ["status.replicas"],
    ("batch", "jobs"): ["status.successful"],
}


def version_priority(v: str) -> tuple:
    """Sort key of Kubernetes version names: GA > beta > alpha, higher numbers first,
    non-kube-like names last in alphabetical order."""
    m = re.fullmatch(r"v(\d+)(?:(alpha|beta)(\d+))?", v)
    if not m:
        return (3, 0, 0, v)
    major = int(m.group(1))
    if m.group(2) is None:
        return (0, -major, 0, v)
    return ({"beta": 1, "alpha": 2}[m.group(2)], -major, -int(m.group(3)), v)


class Registry:
    """Thread-safe table of served resources. CRD-derived entries are replaced as a whole
    by set_crds() whenever CRDs change."""

    def __init__(self):
        self._lock = threading.Lock()
        self._builtin = list(BUILTINS)
        self._crd = []
        self._rebuild()

    def _rebuild(self):
        """Recomputes the lookup maps after the resource set changed."""
        infos = self._builtin + self._crd
        self.by_path = {(i.group, i.version, i.plural): i for i in infos}
        self.by_gk = {}
        for i in infos:
            cur = self.by_gk.get((i.group, i.kind))
            if cur is None or version_priority(i.version) < version_priority(cur.version):
                self.by_gk[(i.group, i.kind)] = i
        self.by_key = {}
        for i in infos:
            cur = self.by_key.get(i.key)
            if cur is None or version_priority(i.version) < version_priority(cur.version):
                self.by_key[i.key] = i
        self.infos = infos
        self.generation = hashlib.sha256(
            json.dumps([(i.group, i.version, i.plural, i.kind, i.namespaced, i.status,
                         i.schema) for i in infos]).encode()).hexdigest()[:16]
        self._openapi = {}  # cache of OpenAPI documents for this generation

    def set_crds(self, crds: list):
        """Replaces the CRD-served resources by those of the Established CRDs given."""
        infos = []
        for crd in crds:
            infos.extend(infos_from_crd(crd))
        with self._lock:
            self._crd = infos
            self._rebuild()

    def lookup(self, group: str, version: str, plural: str) -> ResourceInfo | None:
        """The resource served at group/version/plural, or None."""
        return self.by_path.get((group, version, plural))

    def for_api_version_kind(self, api_version: str, kind: str) -> ResourceInfo | None:
        """The resource of an ownerReference-style (apiVersion, kind); any served version."""
        group = api_version.rsplit("/", 1)[0] if "/" in api_version else ""
        return self.by_gk.get((group, kind))

    def for_key(self, key: tuple) -> ResourceInfo | None:
        """The preferred-version resource of a storage key, or None."""
        return self.by_key.get(key)

    # ---- discovery documents -------------------------------------------------------
    def group_versions(self) -> dict:
        """{group: [versions sorted by priority]} for named groups (not core)."""
        out = {}
        for i in self.infos:
            if i.group:
                vs = out.setdefault(i.group, [])
                if i.version not in vs:
                    vs.append(i.version)
        for vs in out.values():
            vs.sort(key=version_priority)
        return out

    def api_versions(self, server_address: str) -> dict:
        """The /api document."""
        return {"kind": "APIVersions", "versions": ["v1"],
                "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0",
                                                "serverAddress": server_address}]}

    def api_group(self, group: str) -> dict | None:
        """The /apis/<group> document, or None for an unknown group."""
        vs = self.group_versions().get(group)
        if not vs:
            return None
        gvs = [{"groupVersion": f"{group}/{v}", "version": v} for v in vs]
        return {"kind": "APIGroup", "apiVersion": "v1", "name": group, "versions": gvs,
                "preferredVersion": gvs[0]}

    def api_group_list(self) -> dict:
        """The /apis document."""
        groups = []
        seen = []
        for i in self.infos:  # built-ins first in table order, then CRD groups
            if i.group and i.group not in seen:
                seen.append(i.group)
        for g in seen:
            d = self.api_group(g)
            d.pop("kind")
            d.pop("apiVersion")
            groups.append(d)
        return {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}

    def resource_list(self, group: str, version: str) -> dict | None:
        """The APIResourceList of a group version, or None."""
        infos = [i for i in self.infos if i.group == group and i.version == version]
        if not infos:
            return None
        res = []
        for i in infos:
            r = {"name": i.plural, "singularName": i.singular, "namespaced": i.namespaced,
                 "kind": i.kind, "verbs": list(VERBS)}
            if i.short_names:
                r["shortNames"] = list(i.short_names)
            if i.categories:
                r["categories"] = list(i.categories)
            res.append(r)
            if i.status:
                res.append({"name": i.plural + "/status", "singularName": "",
                            "namespaced": i.namespaced, "kind": i.kind, "verbs": SUB_VERBS})
            if (i.group, i.plural) in SCALABLE:
                res.append({"name": i.plural + "/scale", "singularName": "",
                            "namespaced": i.namespaced, "group": "autoscaling",
                            "version": "v1", "kind": "Scale", "verbs": SUB_VERBS})
        gv = f"{group}/{version}" if group else version
        return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv,
                "resources": res}

    # ---- OpenAPI v3 (kubectl reads it to learn that fieldValidation is supported) ----
    def _gv_paths(self):
        """{'api/v1' | 'apis/g/v': [ResourceInfo]}."""
        gvs = {}
        for i in self.infos:
            p = f"apis/{i.group}/{i.version}" if i.group else f"api/{i.version}"
            gvs.setdefault(p, []).append(i)
        return gvs

    def openapi_v3_root(self) -> dict:
        """The /openapi/v3 index (cached per resource generation)."""
        cached = self._openapi.get("")
        if cached is not None:
            return cached
        paths = {}
        for p, infos in sorted(self._gv_paths().items()):
            h = hashlib.sha256(json.dumps(self.openapi_v3_doc(p)).encode()).hexdigest()
            paths[p] = {"serverRelativeURL": f"/openapi/v3/{p}?hash={h.upper()[:64]}"}
        self._openapi[""] = {"paths": paths}
        return self._openapi[""]

    def openapi_v3_doc(self, gv_path: str) -> dict | None:
        """The OpenAPI v3 document of one group version (cached), or None."""
        cache = self._openapi
        if gv_path not in cache:
            cache[gv_path] = self._openapi_v3_doc(gv_path)
        return cache[gv_path]

    def _openapi_v3_doc(self, gv_path: str) -> dict | None:
        """Builds a group version's OpenAPI v3 document (PATCH paths, CRD schemas)."""
        infos = self._gv_paths().get(gv_path)
        if not infos:
            return None
        paths = {}
        params = [{"name": n, "in": "query", "schema": {"type": "string", "uniqueItems": True}}
                  for n in ("dryRun", "fieldManager", "fieldValidation", "force")]
        for i in infos:
            base = "/" + gv_path
            if i.namespaced:
                base += "/namespaces/{namespace}"
            gvk = {"group": i.group, "version": i.version, "kind": i.kind}
            item = base + f"/{i.plural}/{{name}}"
            for path in [item] + ([item + "/status"] if i.status else []):
                paths[path] = {"patch": {
                    "operationId": "patch" + i.kind,
                    "x-kubernetes-action": "patch",
                    "x-kubernetes-group-version-kind": gvk,
                    "parameters": params,
                    "responses": {"200": {"description": "OK"}}}}
        schemas = {}
        for i in infos:
            if i.crd and i.schema:
                sch = json.loads(json.dumps(i.schema))
                sch["x-kubernetes-group-version-kind"] = [
                    {"group": i.group, "version": i.version, "kind": i.kind}]
                props = sch.setdefault("properties", {})
                props.setdefault("apiVersion", {"type": "string", "description":
                                                "APIVersion defines the versioned schema of "
                                                "this representation of an object."})
                props.setdefault("kind", {"type": "string", "description":
                                          "Kind is a string value representing the REST "
                                          "resource this object represents."})
                props.setdefault("metadata", {"type": "object", "description":
                                              "Standard object's metadata."})
                schemas[schema_name(i)] = sch
        return {"openapi": "3.0.0",
                "info": {"title": "Kubernetes", "version": "v1.32.0"},
                "paths": paths, "components": {"schemas": schemas}}


def schema_name(info) -> str:
    """OpenAPI definition name kube-apiserver uses for a CRD kind ('io.appstack.v1.Kind')."""
    return ".".join(reversed(info.group.split("."))) + f".{info.version}.{info.kind}"


def crd_names(crd: dict) -> dict:
    """spec.names with the defaults kube-apiserver fills into status.acceptedNames."""
    names = dict(crd.get("spec", {}).get("names", {}))
    kind = names.get("kind", "")
    names.setdefault("singular", kind.lower())
    names.setdefault("listKind", kind + "List")
    return names


def crd_established(crd: dict) -> bool:
    """True when the CRD has condition Established=True."""
    for c in crd.get("status", {}).get("conditions", []) or []:
        if c.get("type") == "Established" and c.get("status") == "True":
            return True
    return False


def infos_from_crd(crd: dict) -> list:
    """One ResourceInfo per served version of a CRD (empty when not Established)."""
    if not crd_established(crd):
        return []
    spec = crd.get("spec", {})
    names = crd_names(crd)
    storage = next((v.get("name") for v in spec.get("versions", []) if v.get("storage")), "")
    out = []
    for v in spec.get("versions", []) or []:
        if not v.get("served"):
            continue
        subs = v.get("subresources") or {}
        sel = [f.get("jsonPath", "").lstrip(".") for f in v.get("selectableFields") or []]
        out.append(ResourceInfo(
            group=spec.get("group", ""), version=v.get("name", ""), kind=names.get("kind", ""),
            plural=names.get("plural", ""), singular=names.get("singular", ""),
            namespaced=spec.get("scope") == "Namespaced",
            short_names=list(names.get("shortNames") or []),
            status="status" in subs, scale="scale" in subs, generation=True,
            categories=list(names.get("categories") or []), return_deleted=True,
            crd=True, schema=(v.get("schema") or {}).get("openAPIV3Schema"),
            list_kind=names.get("listKind", ""), selectable=sel, storage_version=storage))
    return out
