"""Optional RBAC enforcement (--authorization=RBAC): Roles/ClusterRoles and bindings
decide what a service account may do, with kube-apiserver's Forbidden messages."""
import unittest

from server_harness import ServerTestCase, cm

SA = "system:serviceaccount:appstack-system:appstack-operator"
RBAC = "/apis/rbac.authorization.k8s.io/v1"


class RbacTest(ServerTestCase):
    server_args = ("--authorization", "RBAC", "--user", f"optok={SA}",
                   "--user", "grouptok=carol::ops")

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        for n in ("appstack-system", "apps1"):
            cls.c.post("/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace",
                                              "metadata": {"name": n}})

    def test_denied_without_bindings(self):
        r = self.c.get("/api/v1/namespaces/apps1/configmaps", token="optok")
        self.assertStatus(r, 403, "Forbidden",
                          f'configmaps is forbidden: User "{SA}" cannot list resource '
                          '"configmaps" in API group "" in the namespace "apps1"')
        r = self.c.get("/apis/apps/v1/namespaces/apps1/deployments/x", token="optok")
        s = self.assertStatus(r, 403, "Forbidden",
                              f'deployments.apps "x" is forbidden: User "{SA}" cannot get '
                              'resource "deployments" in API group "apps" in the namespace '
                              '"apps1"')
        self.assertEqual(s["details"], {"name": "x", "group": "apps", "kind": "deployments"})
        r = self.c.get("/api/v1/namespaces", token="optok")
        self.assertStatus(r, 403, "Forbidden",
                          f'namespaces is forbidden: User "{SA}" cannot list resource '
                          '"namespaces" in API group "" at the cluster scope')
        self.assertEqual(self.c.get("/apis", token="optok").code, 200)  # discovery is open
        self.assertEqual(self.c.get("/api/v1/namespaces").code, 200)  # admin: system:masters

    def test_role_binding_grants_in_its_namespace_only(self):
        self.c.post(f"{RBAC}/namespaces/apps1/roles", {
            "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
            "metadata": {"name": "cm-rw", "namespace": "apps1"},
            "rules": [{"apiGroups": [""], "resources": ["configmaps"],
                       "verbs": ["get", "list", "watch", "create"]}]})
        self.c.post(f"{RBAC}/namespaces/apps1/rolebindings", {
            "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
            "metadata": {"name": "op-cm", "namespace": "apps1"},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role",
                        "name": "cm-rw"},
            "subjects": [{"kind": "ServiceAccount", "name": "appstack-operator",
                          "namespace": "appstack-system"}]})
        p = "/api/v1/namespaces/apps1/configmaps"
        self.assertEqual(self.c.post(p, cm("rb", "apps1"), token="optok").code, 201)
        self.assertEqual(self.c.get(p, token="optok").code, 200)
        self.assertStatus(self.c.delete(p + "/rb", token="optok"), 403, "Forbidden")
        self.assertStatus(self.c.get("/api/v1/namespaces/default/configmaps", token="optok"),
                          403, "Forbidden")

    def test_cluster_role_binding_subresources_and_groups(self):
        self.c.post(f"{RBAC}/clusterroles", {
            "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
            "metadata": {"name": "deploy-status"},
            "rules": [{"apiGroups": ["apps"], "resources": ["deployments/status"],
                       "verbs": ["patch"]},
                      {"apiGroups": ["apps"], "resources": ["deployments"],
                       "verbs": ["get"], "resourceNames": ["only-this"]}]})
        self.c.post(f"{RBAC}/clusterrolebindings", {
            "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
            "metadata": {"name": "ops"},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole",
                        "name": "deploy-status"},
            "subjects": [{"kind": "Group", "name": "ops"}]})
        d = "/apis/apps/v1/namespaces/apps1/deployments"
        self.assertEqual(self.c.get(d + "/only-this", token="grouptok").code, 404)  # allowed
        self.assertStatus(self.c.get(d + "/other", token="grouptok"), 403, "Forbidden")
        self.assertStatus(self.c.get(d, token="grouptok"), 403, "Forbidden")
        r = self.c.patch(d + "/x/status", {"status": {}}, token="grouptok")
        self.assertEqual(r.code, 404, r.raw)  # allowed, then not found
        r = self.c.patch(d + "/x", {"spec": {}}, token="grouptok")
        self.assertStatus(r, 403, "Forbidden")
        self.assertIn('cannot patch resource "deployments" in API group "apps"',
                      r.json["message"])


if __name__ == "__main__":
    unittest.main()
