"""scale.py - the /scale subresource of Deployments, StatefulSets and ReplicaSets.

GET answers an autoscaling/v1 Scale made from the parent (name, namespace, uid,
resourceVersion and creationTimestamp; spec.replicas; status.replicas and the selector as a
string). PUT and PATCH (merge, JSON and strategic merge patches, applied as api.py applies them)
change spec.replicas of the parent. Admission sees what
kube-apiserver sends: kind autoscaling/v1 Scale, resource apps/v1 <plural>, subResource
scale, object and oldObject Scales; the parent's own write then runs without admission.
"""
import copy

import status as st

SCALABLE = {("apps", "deployments"), ("apps", "statefulsets"), ("apps", "replicasets")}
SCALE_KIND = ("autoscaling", "v1", "Scale")
_META = ("name", "namespace", "uid", "resourceVersion", "creationTimestamp")


def scalable(info) -> bool:
    """True when the resource has a /scale subresource here."""
    return (info.group, info.plural) in SCALABLE


def to_scale(obj: dict) -> dict:
    """The Scale of a parent object."""
    m = obj.get("metadata") or {}
    spec, stat = obj.get("spec") or {}, obj.get("status") or {}
    labels = ((spec.get("selector") or {}).get("matchLabels")) or {}
    return {"apiVersion": "autoscaling/v1", "kind": "Scale",
            "metadata": {k: m[k] for k in _META if k in m},
            "spec": {"replicas": spec.get("replicas", 1)},
            "status": {"replicas": stat.get("replicas", 0),
                       "selector": ",".join(f"{k}={v}" for k, v in sorted(labels.items()))}}


def get(api, info, ns, name) -> dict:
    return to_scale(api.get(info, ns, name))


def _replicas(new, name):
    """spec.replicas of a new Scale, or 422 naming the field."""
    if not isinstance(new, dict) or not isinstance(new.get("spec", {}), dict):
        raise st.bad_request("the body must be an autoscaling/v1 Scale object")
    r = (new.get("spec") or {}).get("replicas", 0)
    if isinstance(r, bool) or not isinstance(r, int) or r < 0:
        raise st.invalid("autoscaling", "Scale", name, [st.field_invalid(
            "spec.replicas", r, "must be greater than or equal to 0")])
    return r


def update(api, info, ns, name, change, req):
    """PUT/PATCH: change(old Scale) -> new Scale; returns (200, the Scale after the write)."""
    for _attempt in range(1000):
        live = api.get(info, ns, name)
        old = to_scale(live)
        new = change(copy.deepcopy(old))
        _replicas(new, name)
        want_rv = (new.get("metadata") or {}).get("resourceVersion")
        if want_rv and want_rv != old["metadata"].get("resourceVersion"):
            raise st.conflict(info.group, info.plural, name)
        new = api._admit("mutating", info, "UPDATE", "scale", ns, name, new, old, req,
                         kind=SCALE_KIND)
        replicas = _replicas(new, name)
        api._admit("validating", info, "UPDATE", "scale", ns, name, new, old, req,
                   kind=SCALE_KIND)
        moved = []

        def set_replicas(cur):
            if cur["metadata"].get("resourceVersion") != old["metadata"].get("resourceVersion"):
                moved.append(True)  # changed while the webhooks ran: decide again
                return cur
            cur = copy.deepcopy(cur)
            cur.setdefault("spec", {})["replicas"] = replicas
            return cur

        code, obj = api.update(info, ns, name, None, req, "", patch_fn=set_replicas,
                               admit=False)
        if not moved:
            return code, to_scale(obj)
    raise st.conflict(info.group, info.plural, name)


def patcher(content_type: str, raw: bytes):
    """change() for a PATCH body; 415 for patch types a Scale does not take (apply)."""
    from api import PATCH_TYPES, patch_document, patched
    kind = PATCH_TYPES.get(content_type.split(";")[0].strip().lower())
    if kind not in ("merge", "json", "strategic"):
        raise st.unsupported_media(["application/json-patch+json",
                                    "application/merge-patch+json",
                                    "application/strategic-merge-patch+json"])
    doc = patch_document(raw)
    return lambda old: patched(kind, doc, old)
