"""authz.py - optional RBAC authorization (server flag --authorization=RBAC): Roles,
ClusterRoles, RoleBindings and ClusterRoleBindings stored in the server decide whether a
user may do a verb on a resource, with kube-apiserver's Forbidden message. system:masters
is always allowed; non-resource requests (discovery, /version, /openapi) are allowed to
every authenticated user, like the default system:discovery binding. Aggregated
ClusterRoles and bootstrap roles are not modelled.
"""
import status as st

ROLES = ("rbac.authorization.k8s.io", "roles")
CLUSTER_ROLES = ("rbac.authorization.k8s.io", "clusterroles")
BINDINGS = ("rbac.authorization.k8s.io", "rolebindings")
CLUSTER_BINDINGS = ("rbac.authorization.k8s.io", "clusterrolebindings")


def _rule_allows(rule, verb, group, resource, sub, name) -> bool:
    """True when one PolicyRule grants verb on group/resource[/sub] (name)."""
    if not ({"*", verb} & set(rule.get("verbs") or [])):
        return False
    if not ({"*", group} & set(rule.get("apiGroups") or [])):
        return False
    full = f"{resource}/{sub}" if sub else resource
    res = set(rule.get("resources") or [])
    if not (full in res or "*" in res or (sub and f"*/{sub}" in res)):
        return False
    names = rule.get("resourceNames") or []
    return not names or (name != "" and name in names)


def _subject_matches(subj, user, binding_ns) -> bool:
    """True when a binding subject is the user (or one of its groups)."""
    kind, nm = subj.get("kind"), subj.get("name")
    if kind == "User":
        return nm == user["username"]
    if kind == "Group":
        return nm in user["groups"]
    if kind == "ServiceAccount":
        ns = subj.get("namespace") or binding_ns
        return user["username"] == f"system:serviceaccount:{ns}:{nm}"
    return False


def _role_rules(store, ref, ns):
    """Rules of the Role/ClusterRole a binding refers to."""
    if ref.get("kind") == "ClusterRole":
        role = store.get(CLUSTER_ROLES, "", ref.get("name", ""))
    else:
        role = store.get(ROLES, ns, ref.get("name", ""))
    return (role or {}).get("rules") or []


def allowed(store, user, verb, group, resource, sub, ns, name) -> bool:
    """True when RBAC objects in store grant the request (caller holds store.lock)."""
    if "system:masters" in user["groups"]:
        return True
    for _k, b in store.items(CLUSTER_BINDINGS):
        if any(_subject_matches(s, user, "") for s in b.get("subjects") or []):
            ref = b.get("roleRef") or {}
            if ref.get("kind") == "ClusterRole" and any(
                    _rule_allows(r, verb, group, resource, sub, name)
                    for r in _role_rules(store, ref, "")):
                return True
    if ns:
        for _k, b in store.items(BINDINGS, ns):
            if any(_subject_matches(s, user, ns) for s in b.get("subjects") or []):
                if any(_rule_allows(r, verb, group, resource, sub, name)
                       for r in _role_rules(store, b.get("roleRef") or {}, ns)):
                    return True
    return False


def forbidden(user, verb, group, resource, sub, ns, name) -> st.ApiError:
    """kube-apiserver's Forbidden for an RBAC denial."""
    full = f"{resource}/{sub}" if sub else resource
    qr = st.qualified(group, resource)
    subject = f'{qr} "{name}"' if name else qr
    where = f'in the namespace "{ns}"' if ns else "at the cluster scope"
    msg = (f'{subject} is forbidden: User "{user["username"]}" cannot {verb} resource '
           f'"{full}" in API group "{group}" {where}')
    details = {"name": name, "group": group, "kind": resource}
    return st.forbidden(msg, {k: v for k, v in details.items() if v})
