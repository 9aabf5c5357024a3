"""test_patch.py - unit tests for patch.py (merge/JSON/strategic merge patch,
server-side apply and managedFields tracking). Expected values are written by
hand from RFC 7386/6902, the strategic-merge-patch docs and the Kubernetes
server-side apply documentation (fieldsV1 format, conflict messages)."""
import copy
import os
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import patch  # noqa: E402
from patch import PatchError  # noqa: E402

T0 = "2026-01-01T00:00:00Z"
T1 = "2026-01-01T00:01:00Z"
T2 = "2026-01-01T00:02:00Z"


def entries(obj):
    """managedFields as {(manager, operation, subresource): entry}."""
    out = {}
    for e in obj["metadata"].get("managedFields", []):
        out[(e["manager"], e["operation"], e.get("subresource", ""))] = e
    return out


def fields(obj, manager, operation="Apply", subresource=""):
    return entries(obj)[(manager, operation, subresource)]["fieldsV1"]


def configmap(data=None, labels=None, name="cm"):
    obj = {"apiVersion": "v1", "kind": "ConfigMap",
           "metadata": {"name": name, "namespace": "default"}}
    if labels is not None:
        obj["metadata"]["labels"] = labels
    if data is not None:
        obj["data"] = data
    return obj


def deployment(containers, replicas=None, labels=None):
    obj = {"apiVersion": "apps/v1", "kind": "Deployment",
           "metadata": {"name": "web", "namespace": "default"},
           "spec": {"template": {"spec": {"containers": containers}}}}
    if replicas is not None:
        obj["spec"]["replicas"] = replicas
    if labels is not None:
        obj["metadata"]["labels"] = labels
    return obj


class MergePatchTest(unittest.TestCase):
    # The test cases of RFC 7386 Appendix A.
    RFC_CASES = [
        ({"a": "b"}, {"a": "c"}, {"a": "c"}),
        ({"a": "b"}, {"b": "c"}, {"a": "b", "b": "c"}),
        ({"a": "b"}, {"a": None}, {}),
        ({"a": "b", "b": "c"}, {"a": None}, {"b": "c"}),
        ({"a": ["b"]}, {"a": "c"}, {"a": "c"}),
        ({"a": "c"}, {"a": ["b"]}, {"a": ["b"]}),
        ({"a": {"b": "c"}}, {"a": {"b": "d", "c": None}}, {"a": {"b": "d"}}),
        ({"a": [{"b": "c"}]}, {"a": [1]}, {"a": [1]}),
        ({"e": None}, {"a": 1}, {"e": None, "a": 1}),
        ({}, {"a": {"bb": {"ccc": None}}}, {"a": {"bb": {}}}),
    ]

    def test_rfc7386_examples(self):
        for target, p, want in self.RFC_CASES:
            with self.subTest(target=target, patch=p):
                self.assertEqual(patch.merge_patch(target, p), want)

    def test_inputs_untouched(self):
        target = {"metadata": {"labels": {"a": "1", "b": "2"}}, "spec": {"x": [1, 2]}}
        p = {"metadata": {"labels": {"a": None, "c": "3"}}, "spec": {"x": [3]}}
        t_copy, p_copy = copy.deepcopy(target), copy.deepcopy(p)
        out = patch.merge_patch(target, p)
        self.assertEqual(out, {"metadata": {"labels": {"b": "2", "c": "3"}},
                               "spec": {"x": [3]}})
        self.assertEqual(target, t_copy)
        self.assertEqual(p, p_copy)
        out["spec"]["x"].append(9)
        self.assertEqual(p["spec"]["x"], [3])

    def test_lists_replace_whole(self):
        obj = deployment([{"name": "a", "image": "x"}, {"name": "b", "image": "y"}])
        out = patch.merge_patch(obj, {"spec": {"template": {"spec": {
            "containers": [{"name": "a", "image": "z"}]}}}})
        self.assertEqual(out["spec"]["template"]["spec"]["containers"],
                         [{"name": "a", "image": "z"}])

    def test_non_object_patch_is_bad_request(self):
        for p in ([{"a": 1}], "x", 3, None):
            with self.subTest(patch=p):
                with self.assertRaises(PatchError) as cm:
                    patch.merge_patch({"a": 1}, p)
                self.assertEqual((cm.exception.code, cm.exception.reason), (400, "BadRequest"))


class JSONPatchTest(unittest.TestCase):
    def setUp(self):
        self.obj = {"metadata": {"name": "x", "annotations": {"example.com/a": "1", "t~x": "2"}},
                    "spec": {"replicas": 1, "args": ["a", "b"], "flag": True}}

    def assertInvalid(self, ops, detail):
        before = copy.deepcopy(self.obj)
        with self.assertRaises(PatchError) as cm:
            patch.json_patch(self.obj, ops)
        e = cm.exception
        self.assertEqual(e.code, 422)
        self.assertEqual(e.reason, "Invalid")
        self.assertEqual(e.message,
                         "the server rejected our request due to an error in our request")
        self.assertEqual(e.causes, [{"reason": "UnexpectedServerResponse", "message": detail}])
        self.assertEqual(self.obj, before)

    def test_add_replace_remove(self):
        out = patch.json_patch(self.obj, [
            {"op": "add", "path": "/metadata/labels", "value": {"app": "web"}},
            {"op": "replace", "path": "/spec/replicas", "value": 3},
            {"op": "remove", "path": "/spec/flag"},
        ])
        self.assertEqual(out["metadata"]["labels"], {"app": "web"})
        self.assertEqual(out["spec"], {"replicas": 3, "args": ["a", "b"]})
        self.assertEqual(self.obj["spec"]["replicas"], 1)   # input untouched

    def test_array_positions(self):
        out = patch.json_patch(self.obj, [
            {"op": "add", "path": "/spec/args/-", "value": "end"},
            {"op": "add", "path": "/spec/args/0", "value": "first"},
            {"op": "add", "path": "/spec/args/2", "value": "mid"},
            {"op": "remove", "path": "/spec/args/1"},
            {"op": "replace", "path": "/spec/args/0", "value": "FIRST"},
        ])
        # [a,b] -> [a,b,end] -> [first,a,b,end] -> [first,a,mid,b,end]
        # -> [first,mid,b,end] -> [FIRST,mid,b,end]
        self.assertEqual(out["spec"]["args"], ["FIRST", "mid", "b", "end"])

    def test_pointer_escapes(self):
        out = patch.json_patch(self.obj, [
            {"op": "replace", "path": "/metadata/annotations/example.com~1a", "value": "9"},
            {"op": "remove", "path": "/metadata/annotations/t~0x"},
            {"op": "add", "path": "/metadata/annotations/a~01", "value": "lit"},
        ])
        self.assertEqual(out["metadata"]["annotations"], {"example.com/a": "9", "a~1": "lit"})

    def test_move_copy_test(self):
        out = patch.json_patch(self.obj, [
            {"op": "test", "path": "/spec/replicas", "value": 1},
            {"op": "copy", "from": "/spec/args", "path": "/spec/command"},
            {"op": "move", "from": "/spec/flag", "path": "/metadata/flag"},
            {"op": "add", "path": "/spec/command/-", "value": "c"},
        ])
        self.assertEqual(out["spec"], {"replicas": 1, "args": ["a", "b"],
                                       "command": ["a", "b", "c"]})
        self.assertIs(out["metadata"]["flag"], True)

    def test_root_replace(self):
        self.assertEqual(patch.json_patch(self.obj, [{"op": "replace", "path": "", "value": {}}]),
                         {})

    def test_failed_test_is_422(self):
        self.assertInvalid([{"op": "replace", "path": "/spec/replicas", "value": 5},
                            {"op": "test", "path": "/spec/replicas", "value": 2}],
                           "testing value /spec/replicas failed: test failed")

    def test_test_distinguishes_bool_and_number(self):
        self.assertInvalid([{"op": "test", "path": "/spec/flag", "value": 1}],
                           "testing value /spec/flag failed: test failed")

    def test_remove_missing_key(self):
        self.assertInvalid([{"op": "remove", "path": "/spec/nope"}],
                           "error in remove for path: '/spec/nope': Unable to remove "
                           "nonexistent key: nope: missing value")
        self.assertInvalid([{"op": "remove", "path": "/status/phase"}],
                           'remove operation does not apply: doc is missing path: '
                           '"/status/phase": missing value')

    def test_replace_missing(self):
        self.assertInvalid([{"op": "replace", "path": "/status/phase", "value": 1}],
                           "replace operation does not apply: doc is missing path: "
                           "/status/phase: missing value")
        self.assertInvalid([{"op": "replace", "path": "/spec/args/9", "value": 1}],
                           "replace operation does not apply: doc is missing key: "
                           "/spec/args/9: missing value")

    def test_v4_quirks(self):
        # json-patch v4 (used by kube-apiserver): replace of a missing object
        # member adds it, copy of a missing member copies null, a missing
        # member tests equal to null, negative indices count from the end.
        out = patch.json_patch(self.obj, [
            {"op": "replace", "path": "/spec/paused", "value": True},
            {"op": "copy", "from": "/spec/nope", "path": "/spec/copied"},
            {"op": "test", "path": "/spec/absent", "value": None},
            {"op": "remove", "path": "/spec/args/-1"},
            {"op": "add", "path": "/spec/args/-1", "value": "z"},
        ])
        # args [a,b] -> remove last -> [a] -> add at -1 of a 2-slot list -> [a,z]
        self.assertEqual(out["spec"], {"replicas": 1, "args": ["a", "z"], "flag": True,
                                       "paused": True, "copied": None})

    def test_add_missing_parent(self):
        self.assertInvalid([{"op": "add", "path": "/status/phase", "value": "x"}],
                           'add operation does not apply: doc is missing path: "/status/phase": '
                           'missing value')
        self.assertInvalid([{"op": "add", "path": "", "value": {}}],
                           'add operation does not apply: doc is missing path: "": '
                           'missing value')

    def test_bad_index(self):
        self.assertInvalid([{"op": "add", "path": "/spec/args/5", "value": "x"}],
                           "error in add for path: '/spec/args/5': Unable to access invalid "
                           "index: 5: invalid index referenced")
        self.assertInvalid([{"op": "remove", "path": "/spec/args/7"}],
                           "error in remove for path: '/spec/args/7': Unable to access invalid "
                           "index: 7: invalid index referenced")
        self.assertInvalid([{"op": "add", "path": "/spec/args/x", "value": "x"}],
                           "error in add for path: '/spec/args/x': value was not a proper "
                           "array index: 'x': strconv.Atoi: parsing \"x\": invalid syntax")

    def test_copy_missing_from(self):
        self.assertInvalid([{"op": "copy", "from": "/status/x", "path": "/spec/x"}],
                           "copy operation does not apply: doc is missing from path: /status/x: "
                           "missing value")

    def test_move_missing_destination(self):
        self.assertInvalid([{"op": "move", "from": "/spec/flag", "path": "/status/flag"}],
                           "move operation does not apply: doc is missing destination path: "
                           "/status/flag: missing value")

    def test_too_many_operations(self):
        ops = [{"op": "test", "path": "/spec/replicas", "value": 1}] * 10001
        with self.assertRaises(PatchError) as cm:
            patch.json_patch(self.obj, ops)
        self.assertEqual(cm.exception.code, 413)

    def test_unknown_op(self):
        self.assertInvalid([{"op": "frob", "path": "/spec"}], "Unexpected kind: frob")

    def test_malformed_document_is_bad_request(self):
        for ops in ({"op": "add"}, ["add"]):
            with self.subTest(ops=ops):
                with self.assertRaises(PatchError) as cm:
                    patch.json_patch(self.obj, ops)
                self.assertEqual((cm.exception.code, cm.exception.reason), (400, "BadRequest"))


class StrategicMergePatchTest(unittest.TestCase):
    def pod(self):
        return {"apiVersion": "v1", "kind": "Pod",
                "metadata": {"name": "p", "labels": {"a": "1", "b": "2"},
                             "finalizers": ["x.io/one", "x.io/two"]},
                "spec": {"containers": [
                    {"name": "app", "image": "app:1", "args": ["--a", "--b"],
                     "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}],
                     "ports": [{"containerPort": 80, "name": "http"}],
                     "volumeMounts": [{"name": "v", "mountPath": "/data"}]},
                    {"name": "side", "image": "side:1"}],
                    "tolerations": [{"key": "k1", "operator": "Exists"}],
                    "volumes": [{"name": "v", "emptyDir": {}}]},
                "status": {"conditions": [{"type": "Ready", "status": "False"},
                                          {"type": "Initialized", "status": "True"}]}}

    def test_containers_merge_by_name(self):
        obj = self.pod()
        out = patch.strategic_merge_patch(obj, {"spec": {"containers": [
            {"name": "app", "image": "app:2"}, {"name": "new", "image": "new:1"}]}})
        cs = out["spec"]["containers"]
        self.assertEqual([c["name"] for c in cs], ["app", "side", "new"])
        self.assertEqual(cs[0]["image"], "app:2")
        self.assertEqual(cs[0]["args"], ["--a", "--b"])      # untouched fields kept
        self.assertEqual(cs[1], {"name": "side", "image": "side:1"})
        self.assertEqual(obj, self.pod())                    # input untouched

    def test_env_ports_mounts_merge_by_key(self):
        out = patch.strategic_merge_patch(self.pod(), {"spec": {"containers": [
            {"name": "app",
             "env": [{"name": "B", "value": "two"}, {"name": "C", "value": "3"}],
             "ports": [{"containerPort": 80, "protocol": "TCP"}, {"containerPort": 443}],
             "volumeMounts": [{"mountPath": "/data", "readOnly": True}]}]}})
        app = out["spec"]["containers"][0]
        self.assertEqual(app["env"], [{"name": "A", "value": "1"}, {"name": "B", "value": "two"},
                                      {"name": "C", "value": "3"}])
        self.assertEqual(app["ports"], [{"containerPort": 80, "name": "http", "protocol": "TCP"},
                                        {"containerPort": 443}])
        self.assertEqual(app["volumeMounts"], [{"name": "v", "mountPath": "/data",
                                                "readOnly": True}])

    def test_lists_without_merge_key_replace(self):
        out = patch.strategic_merge_patch(self.pod(), {"spec": {
            "tolerations": [{"key": "k2", "operator": "Exists"}],
            "containers": [{"name": "app", "args": ["--c"]}]}})
        self.assertEqual(out["spec"]["tolerations"], [{"key": "k2", "operator": "Exists"}])
        self.assertEqual(out["spec"]["containers"][0]["args"], ["--c"])

    def test_null_deletes_and_maps_merge(self):
        out = patch.strategic_merge_patch(self.pod(), {"metadata": {"labels": {"a": None,
                                                                                "c": "3"}}})
        self.assertEqual(out["metadata"]["labels"], {"b": "2", "c": "3"})

    def test_patch_delete_list_item(self):
        out = patch.strategic_merge_patch(self.pod(), {"spec": {"containers": [
            {"name": "side", "$patch": "delete"}]}})
        self.assertEqual([c["name"] for c in out["spec"]["containers"]], ["app"])

    def test_patch_replace_list(self):
        out = patch.strategic_merge_patch(self.pod(), {"spec": {"containers": [
            {"name": "only", "image": "o:1"}, {"$patch": "replace"}]}})
        self.assertEqual(out["spec"]["containers"], [{"name": "only", "image": "o:1"}])

    def test_patch_replace_and_delete_map(self):
        out = patch.strategic_merge_patch(self.pod(), {"metadata": {"labels": {
            "$patch": "replace", "z": "26"}}})
        self.assertEqual(out["metadata"]["labels"], {"z": "26"})
        out = patch.strategic_merge_patch(self.pod(), {"metadata": {"labels": {
            "$patch": "delete"}}})
        self.assertNotIn("labels", out["metadata"])

    def test_finalizers_union_and_delete_from_primitive_list(self):
        out = patch.strategic_merge_patch(self.pod(), {"metadata": {
            "finalizers": ["x.io/two", "x.io/three"]}})
        self.assertEqual(out["metadata"]["finalizers"], ["x.io/one", "x.io/two", "x.io/three"])
        out = patch.strategic_merge_patch(self.pod(), {"metadata": {
            "$deleteFromPrimitiveList/finalizers": ["x.io/one"]}})
        self.assertEqual(out["metadata"]["finalizers"], ["x.io/two"])

    def test_set_element_order(self):
        # kubectl apply sends $setElementOrder with the configured order.
        out = patch.strategic_merge_patch(self.pod(), {"spec": {
            "$setElementOrder/containers": [{"name": "side"}, {"name": "app"}],
            "containers": [{"name": "side", "image": "side:2"}]}})
        self.assertEqual([(c["name"], c["image"]) for c in out["spec"]["containers"]],
                         [("side", "side:2"), ("app", "app:1")])

    def test_retain_keys(self):
        out = patch.strategic_merge_patch(self.pod(), {"spec": {"volumes": [
            {"name": "v", "$retainKeys": ["name", "configMap"], "configMap": {"name": "cm"}}]}})
        self.assertEqual(out["spec"]["volumes"], [{"name": "v", "configMap": {"name": "cm"}}])

    def test_conditions_merge_by_type(self):
        out = patch.strategic_merge_patch(self.pod(), {"status": {"conditions": [
            {"type": "Ready", "status": "True"}]}})
        self.assertEqual(out["status"]["conditions"],
                         [{"type": "Ready", "status": "True"},
                          {"type": "Initialized", "status": "True"}])

    def test_service_ports_merge_by_port(self):
        svc = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"},
               "spec": {"ports": [{"port": 80, "targetPort": 8080}, {"port": 443}]}}
        out = patch.strategic_merge_patch(svc, {"spec": {"ports": [{"port": 80,
                                                                     "targetPort": 9090}]}})
        self.assertEqual(out["spec"]["ports"], [{"port": 80, "targetPort": 9090}, {"port": 443}])

    def test_missing_merge_key_is_an_error(self):
        with self.assertRaises(PatchError) as cm:
            patch.strategic_merge_patch(self.pod(), {"spec": {"containers": [
                {"image": "httpd", "tty": True}]}})
        self.assertEqual((cm.exception.code, cm.exception.message),
                         (500, "map: map[image:httpd tty:true] does not contain declared "
                               "merge key: name"))

    def test_bad_directive(self):
        with self.assertRaises(PatchError) as cm:
            patch.strategic_merge_patch(self.pod(), {"metadata": {"labels": {"$patch": "frob"}}})
        self.assertEqual((cm.exception.code, cm.exception.message),
                         (500, "unknown patch type: frob in map: map[$patch:frob]"))


class ApplyCreateTest(unittest.TestCase):
    def test_create_configmap(self):
        applied = configmap({"a": "1", "b": "2"}, {"app": "web"})
        out = patch.apply(None, applied, "mgr", False, T0)
        want = copy.deepcopy(applied)
        want["metadata"]["managedFields"] = [{
            "manager": "mgr", "operation": "Apply", "apiVersion": "v1", "time": T0,
            "fieldsType": "FieldsV1",
            "fieldsV1": {"f:data": {"f:a": {}, "f:b": {}},
                         "f:metadata": {"f:labels": {"f:app": {}}}}}]
        self.assertEqual(out, want)
        self.assertNotIn("managedFields", applied["metadata"])   # input untouched

    def test_create_deployment_fields_v1(self):
        applied = deployment([{"name": "app", "image": "app:1",
                               "ports": [{"containerPort": 80}],
                               "env": [{"name": "A", "value": "1"}]}], replicas=2)
        applied["spec"]["selector"] = {"matchLabels": {"app": "web"}}
        out = patch.apply(None, applied, "mgr", False, T0)
        self.assertEqual(fields(out, "mgr"), {"f:spec": {
            "f:replicas": {},
            "f:selector": {},   # LabelSelector is atomic
            "f:template": {"f:spec": {"f:containers": {
                'k:{"name":"app"}': {
                    ".": {}, "f:name": {}, "f:image": {},
                    "f:env": {'k:{"name":"A"}': {".": {}, "f:name": {}, "f:value": {}}},
                    "f:ports": {'k:{"containerPort":80,"protocol":"TCP"}': {
                        ".": {}, "f:containerPort": {}}}}}}}}})

    def test_atomic_list_and_set(self):
        applied = {"apiVersion": "v1", "kind": "Pod",
                   "metadata": {"name": "p", "finalizers": ["x.io/f"]},
                   "spec": {"containers": [{"name": "c", "args": ["a", "b"]}]}}
        out = patch.apply(None, applied, "mgr", False, T0)
        self.assertEqual(fields(out, "mgr"), {
            "f:metadata": {"f:finalizers": {'v:"x.io/f"': {}}},
            "f:spec": {"f:containers": {'k:{"name":"c"}': {".": {}, "f:args": {},
                                                           "f:name": {}}}}})

    def test_rejects_managed_fields_in_body(self):
        applied = configmap({"a": "1"})
        applied["metadata"]["managedFields"] = [{"manager": "x"}]
        with self.assertRaises(PatchError) as cm:
            patch.apply(None, applied, "mgr", False, T0)
        self.assertEqual((cm.exception.code, cm.exception.reason, cm.exception.message),
                         (400, "BadRequest", "metadata.managedFields must be nil"))

    def test_item_without_key_field(self):
        with self.assertRaises(PatchError) as cm:
            patch.apply(None, deployment([{"name": "a"}, {"image": "x"}]), "mgr", False, T0)
        self.assertEqual((cm.exception.code, cm.exception.reason), (500, ""))
        self.assertEqual(cm.exception.message,
                         'failed to create typed patch object (default/web; apps/v1, '
                         'Kind=Deployment): .spec.template.spec.containers: element 1: '
                         'associative list with keys has an element that omits key field '
                         '"name" (and doesn\'t have default value)')

    def test_duplicate_keys(self):
        with self.assertRaises(PatchError) as cm:
            patch.apply(None, configmap() | {"metadata": {"name": "c", "ownerReferences": [
                {"uid": "u1", "name": "a"}, {"uid": "u1", "name": "b"}]}}, "mgr", False, T0)
        self.assertEqual(cm.exception.message,
                         'failed to create typed patch object (/c; /v1, Kind=ConfigMap): '
                         '.metadata.ownerReferences: duplicate entries for key [uid="u1"]')


class ApplyUpdateTest(unittest.TestCase):
    def test_change_and_remove_omitted_fields(self):
        live = patch.apply(None, configmap({"a": "1", "b": "2"}, {"app": "web", "t": "x"}),
                           "mgr", False, T0)
        out = patch.apply(live, configmap({"a": "9"}), "mgr", False, T1)
        self.assertEqual(out["data"], {"a": "9"})
        # labels was a named field only this manager used, so it goes as a whole
        self.assertNotIn("labels", out["metadata"])
        self.assertEqual((out["metadata"]["name"], out["metadata"]["namespace"]),
                         ("cm", "default"))
        self.assertEqual(out["metadata"]["managedFields"], [{
            "manager": "mgr", "operation": "Apply", "apiVersion": "v1", "time": T1,
            "fieldsType": "FieldsV1", "fieldsV1": {"f:data": {"f:a": {}}}}])

    def test_noop_apply_keeps_time(self):
        live = patch.apply(None, configmap({"a": "1"}), "mgr", False, T0)
        out = patch.apply(live, configmap({"a": "1"}), "mgr", False, T1)
        self.assertEqual(out, live)

    def test_server_fields_are_kept(self):
        live = patch.apply(None, configmap({"a": "1"}), "mgr", False, T0)
        live["metadata"].update(uid="u-1", resourceVersion="5", creationTimestamp=T0,
                                generation=1)
        applied = configmap({"a": "2"})
        applied["metadata"].update(uid="other", resourceVersion="1", creationTimestamp=T2)
        out = patch.apply(live, applied, "mgr", False, T1)
        m = out["metadata"]
        self.assertEqual((m["uid"], m["resourceVersion"], m["creationTimestamp"],
                          m["generation"]), ("u-1", "5", T0, 1))
        self.assertEqual(out["data"], {"a": "2"})

    def test_shared_ownership_keeps_field(self):
        live = patch.apply(None, configmap({"a": "1", "b": "2"}), "one", False, T0)
        live = patch.apply(live, configmap({"a": "1"}), "two", False, T1)   # same value
        self.assertEqual(fields(live, "one"), {"f:data": {"f:a": {}, "f:b": {}}})
        self.assertEqual(fields(live, "two"), {"f:data": {"f:a": {}}})
        out = patch.apply(live, configmap({"b": "2"}), "one", False, T2)
        self.assertEqual(out["data"], {"a": "1", "b": "2"})   # "two" still owns a
        self.assertEqual(fields(out, "one"), {"f:data": {"f:b": {}}})
        self.assertEqual(fields(out, "two"), {"f:data": {"f:a": {}}})
        # Once "two" lets go too, a is removed.
        out2 = patch.apply(out, configmap({"c": "3"}), "two", False, T2)
        self.assertEqual(out2["data"], {"b": "2", "c": "3"})

    def test_apply_version_mismatch(self):
        live = patch.apply(None, configmap({"a": "1"}), "mgr", False, T0)
        applied = configmap({"a": "1"})
        applied["apiVersion"] = "v2"
        with self.assertRaises(PatchError) as cm:
            patch.apply(live, applied, "mgr", False, T1)
        self.assertEqual(cm.exception.code, 400)

    def test_before_first_apply(self):
        live = configmap({"a": "1", "b": "2"})
        out = patch.apply(live, configmap({"a": "1"}), "mgr", False, T0)
        self.assertEqual(fields(out, "before-first-apply", "Update"),
                         {"f:data": {"f:a": {}, "f:b": {}}})
        self.assertEqual(out["data"], {"a": "1", "b": "2"})
        with self.assertRaises(PatchError):
            patch.apply(live, configmap({"a": "2"}), "mgr", False, T0)


class ApplyConflictTest(unittest.TestCase):
    def live_with_scaled_replicas(self):
        live = patch.apply(None, deployment([{"name": "app", "image": "app:1"}], replicas=2),
                           "mgr", False, T0)
        new = copy.deepcopy(live)
        new["spec"]["replicas"] = 5
        return patch.track_update(live, new, "kubectl", T1)

    def test_update_moves_ownership(self):
        live = self.live_with_scaled_replicas()
        self.assertEqual(fields(live, "kubectl", "Update"), {"f:spec": {"f:replicas": {}}})
        self.assertNotIn("f:replicas", fields(live, "mgr")["f:spec"])
        self.assertEqual(entries(live)[("kubectl", "Update", "")]["apiVersion"], "apps/v1")

    def test_single_conflict_message(self):
        live = self.live_with_scaled_replicas()
        with self.assertRaises(PatchError) as cm:
            patch.apply(live, deployment([{"name": "app", "image": "app:1"}], replicas=2),
                        "mgr", False, T2)
        e = cm.exception
        self.assertEqual((e.code, e.reason), (409, "Conflict"))
        self.assertEqual(e.message, 'Apply failed with 1 conflict: conflict with "kubectl" '
                                    'using apps/v1: .spec.replicas')
        self.assertEqual(e.causes, [{"reason": "FieldManagerConflict",
                                     "message": 'conflict with "kubectl" using apps/v1',
                                     "field": ".spec.replicas"}])

    def test_same_value_is_not_a_conflict(self):
        live = self.live_with_scaled_replicas()
        out = patch.apply(live, deployment([{"name": "app", "image": "app:1"}], replicas=5),
                          "mgr", False, T2)
        self.assertEqual(out["spec"]["replicas"], 5)
        self.assertIn("f:replicas", fields(out, "mgr")["f:spec"])
        self.assertEqual(fields(out, "kubectl", "Update"), {"f:spec": {"f:replicas": {}}})

    def test_omitting_the_field_is_not_a_conflict(self):
        live = self.live_with_scaled_replicas()
        out = patch.apply(live, deployment([{"name": "app", "image": "app:2"}]),
                          "mgr", False, T2)
        self.assertEqual(out["spec"]["replicas"], 5)      # kubectl still owns it
        self.assertEqual(out["spec"]["template"]["spec"]["containers"],
                         [{"name": "app", "image": "app:2"}])

    def test_force_takes_ownership(self):
        live = self.live_with_scaled_replicas()
        out = patch.apply(live, deployment([{"name": "app", "image": "app:1"}], replicas=2),
                          "mgr", True, T2)
        self.assertEqual(out["spec"]["replicas"], 2)
        self.assertIn("f:replicas", fields(out, "mgr")["f:spec"])
        # kubectl owned nothing else, so its entry is gone.
        self.assertNotIn(("kubectl", "Update", ""), entries(out))

    def test_multiple_conflicts_message(self):
        live = patch.apply(None, configmap({"a": "1", "b": "2"}), "other", False, T0)
        new = copy.deepcopy(live)
        new["data"].update(c="3", d="4")
        live = patch.track_update(live, new, "kubectl", T1)
        with self.assertRaises(PatchError) as cm:
            patch.apply(live, configmap({"a": "x", "c": "y", "d": "z"}), "mine", False, T2)
        e = cm.exception
        self.assertEqual(e.message,
                         'Apply failed with 3 conflicts: conflicts with "kubectl" using v1:\n'
                         '- .data.c\n- .data.d\n'
                         'conflicts with "other":\n- .data.a')
        self.assertEqual([(c["field"], c["message"]) for c in e.causes],
                         [(".data.c", 'conflict with "kubectl" using v1'),
                          (".data.d", 'conflict with "kubectl" using v1'),
                          (".data.a", 'conflict with "other"')])

    def test_conflict_inside_keyed_lists(self):
        live = patch.apply(None, deployment([{"name": "app", "image": "app:1",
                                              "ports": [{"containerPort": 80}]}]),
                           "mgr", False, T0)
        new = copy.deepcopy(live)
        c = new["spec"]["template"]["spec"]["containers"][0]
        c["image"] = "app:hotfix"
        c["ports"][0]["name"] = "http"
        live = patch.track_update(live, new, "kubectl-edit", T1)
        with self.assertRaises(PatchError) as cm:
            patch.apply(live, deployment([{"name": "app", "image": "app:2",
                                           "ports": [{"containerPort": 80, "name": "web"}]}]),
                        "mgr", False, T2)
        self.assertEqual([c["field"] for c in cm.exception.causes], [
            '.spec.template.spec.containers[name="app"].image',
            '.spec.template.spec.containers[name="app"].ports'
            '[containerPort=80,protocol="TCP"].name'])

    def test_emptied_entry_is_removed(self):
        live = patch.apply(None, configmap({"a": "1"}), "one", False, T0)
        out = patch.apply(live, configmap({"a": "2"}), "two", True, T1)
        self.assertEqual(list(entries(out)), [("two", "Apply", "")])


class ApplyListMergeTest(unittest.TestCase):
    def test_containers_merge_by_name_with_foreign_sidecar(self):
        live = patch.apply(None, deployment([{"name": "app", "image": "app:1"}]), "mgr",
                           False, T0)
        new = copy.deepcopy(live)
        new["spec"]["template"]["spec"]["containers"].append({"name": "proxy", "image": "p:1"})
        live = patch.track_update(live, new, "injector", T1)
        out = patch.apply(live, deployment([{"name": "app", "image": "app:2"}]), "mgr",
                          False, T2)
        self.assertEqual(out["spec"]["template"]["spec"]["containers"],
                         [{"name": "app", "image": "app:2"}, {"name": "proxy", "image": "p:1"}])
        self.assertEqual(fields(out, "injector", "Update"), {"f:spec": {"f:template": {
            "f:spec": {"f:containers": {'k:{"name":"proxy"}': {
                ".": {}, "f:image": {}, "f:name": {}}}}}}})

    def test_removed_container_and_env(self):
        live = patch.apply(None, deployment([
            {"name": "a", "image": "a:1", "env": [{"name": "X", "value": "1"},
                                                  {"name": "Y", "value": "2"}]},
            {"name": "b", "image": "b:1"}]), "mgr", False, T0)
        out = patch.apply(live, deployment([
            {"name": "a", "image": "a:1", "env": [{"name": "Y", "value": "3"}]}]),
            "mgr", False, T1)
        self.assertEqual(out["spec"]["template"]["spec"]["containers"],
                         [{"name": "a", "image": "a:1", "env": [{"name": "Y", "value": "3"}]}])

    def test_omitted_list_field_goes_as_a_whole(self):
        live = patch.apply(None, deployment([{"name": "a", "image": "a:1",
                                              "env": [{"name": "X", "value": "1"}]}]),
                           "mgr", False, T0)
        out = patch.apply(live, deployment([{"name": "a", "image": "a:1"}]), "mgr", False, T1)
        self.assertEqual(out["spec"]["template"]["spec"]["containers"],
                         [{"name": "a", "image": "a:1"}])

    def test_applied_order_for_new_and_shared_items(self):
        live = patch.apply(None, deployment([{"name": "x"}, {"name": "y"}]), "one", False, T0)
        out = patch.apply(live, deployment([{"name": "z"}, {"name": "x"}]), "two", False, T1)
        self.assertEqual([c["name"] for c in out["spec"]["template"]["spec"]["containers"]],
                         ["z", "x", "y"])

    def test_ports_key_includes_defaulted_protocol(self):
        live = patch.apply(None, deployment([{"name": "a", "ports": [
            {"containerPort": 53, "protocol": "UDP"}, {"containerPort": 53}]}]),
            "mgr", False, T0)
        ports = fields(live, "mgr")["f:spec"]["f:template"]["f:spec"]["f:containers"][
            'k:{"name":"a"}']["f:ports"]
        self.assertEqual(set(ports), {'k:{"containerPort":53,"protocol":"UDP"}',
                                      'k:{"containerPort":53,"protocol":"TCP"}'})

    def test_atomic_list_replaced(self):
        live = patch.apply(None, deployment([{"name": "a", "args": ["1", "2"]}]), "mgr",
                           False, T0)
        out = patch.apply(live, deployment([{"name": "a", "args": ["3"]}]), "mgr", False, T1)
        self.assertEqual(out["spec"]["template"]["spec"]["containers"][0]["args"], ["3"])

    def test_finalizers_as_set(self):
        live = {"apiVersion": "v1", "kind": "ConfigMap",
                "metadata": {"name": "c", "finalizers": ["a.io/x"]}}
        live = patch.track_update(None, live, "creator", T0)
        out = patch.apply(live, {"apiVersion": "v1", "kind": "ConfigMap",
                                 "metadata": {"name": "c", "finalizers": ["b.io/y"]}},
                          "mgr", False, T1)
        self.assertEqual(out["metadata"]["finalizers"], ["a.io/x", "b.io/y"])

    def test_custom_list_keys_keep_metadata_semantics(self):
        obj = {"apiVersion": "x.io/v1", "kind": "Thing",
               "metadata": {"name": "t", "finalizers": ["a.io/x"]}}
        out = patch.apply(None, obj, "m", False, T0, list_keys=lambda path: None)
        self.assertEqual(fields(out, "m"), {"f:metadata": {"f:finalizers": {'v:"a.io/x"': {}}}})

    def test_custom_list_keys(self):
        def keys(path):
            return ["id"] if path == ("spec", "items") else None
        obj = {"apiVersion": "x.io/v1", "kind": "Thing", "metadata": {"name": "t"},
               "spec": {"items": [{"id": "1", "v": "a"}], "tags": ["p", "q"]}}
        live = patch.apply(None, obj, "one", False, T0, list_keys=keys)
        self.assertEqual(fields(live, "one"), {"f:spec": {
            "f:items": {'k:{"id":"1"}': {".": {}, "f:id": {}, "f:v": {}}}, "f:tags": {}}})
        out = patch.apply(live, {"apiVersion": "x.io/v1", "kind": "Thing",
                                 "metadata": {"name": "t"},
                                 "spec": {"items": [{"id": "2", "v": "b"}]}},
                          "two", False, T1, list_keys=keys)
        self.assertEqual(out["spec"]["items"], [{"id": "1", "v": "a"}, {"id": "2", "v": "b"}])


class ApplyKeyFormatTest(unittest.TestCase):
    def test_multi_key_is_sorted_json(self):
        def keys(path):
            return ["zone", "id"] if path == ("spec", "items") else None
        obj = {"apiVersion": "x.io/v1", "kind": "Thing", "metadata": {"name": "t"},
               "spec": {"items": [{"zone": "b", "id": 7}]}}
        out = patch.apply(None, obj, "m", False, T0, list_keys=keys)
        self.assertEqual(list(fields(out, "m")["f:spec"]["f:items"]),
                         ['k:{"id":7,"zone":"b"}'])

    def test_conflict_path_for_set_and_map_key_with_dots(self):
        live = patch.track_update(None, configmap(labels={"app.kubernetes.io/name": "x"}),
                                  "creator", T0)
        with self.assertRaises(PatchError) as cm:
            patch.apply(live, configmap(labels={"app.kubernetes.io/name": "y"}), "m", False, T1)
        self.assertEqual(cm.exception.causes[0]["field"],
                         ".metadata.labels.app.kubernetes.io/name")


class ApplyStatusSubresourceTest(unittest.TestCase):
    def test_status_apply_only_touches_status(self):
        live = patch.apply(None, deployment([{"name": "app", "image": "app:1"}], replicas=1),
                           "mgr", False, T0)
        live["status"] = {}
        applied = deployment([{"name": "app", "image": "evil"}], replicas=9)
        applied["status"] = {"readyReplicas": 1,
                             "conditions": [{"type": "Available", "status": "True"}]}
        out = patch.apply(live, applied, "ctrl", False, T1, subresource="status")
        self.assertEqual(out["spec"], live["spec"])
        self.assertEqual(out["status"], applied["status"])
        e = entries(out)[("ctrl", "Apply", "status")]
        self.assertEqual(e["subresource"], "status")
        self.assertEqual(e["fieldsV1"], {"f:status": {
            "f:readyReplicas": {},
            "f:conditions": {'k:{"type":"Available"}': {".": {}, "f:status": {},
                                                        "f:type": {}}}}})
        # The main-resource apply by mgr is unaffected and does not conflict.
        again = patch.apply(out, deployment([{"name": "app", "image": "app:1"}], replicas=1),
                            "mgr", False, T2)
        self.assertEqual(again["status"], applied["status"])

    def test_conflict_names_the_subresource(self):
        live = patch.apply(None, deployment([{"name": "app"}]), "mgr", False, T0)
        new = copy.deepcopy(live)
        new["status"] = {"replicas": 1}
        live = patch.track_update(live, new, "ctrl", T1, subresource="status")
        applied = deployment([{"name": "app"}])
        applied["status"] = {"replicas": 2}
        with self.assertRaises(PatchError) as cm:
            patch.apply(live, applied, "other", False, T2, subresource="status")
        self.assertEqual(cm.exception.message,
                         'Apply failed with 1 conflict: conflict with "ctrl" with subresource '
                         '"status" using apps/v1: .status.replicas')

    def test_ignore_status_on_main_resource(self):
        applied = deployment([{"name": "app"}])
        applied["status"] = {"replicas": 3}
        out = patch.apply(None, applied, "mgr", False, T0, ignore_status=True)
        self.assertNotIn("status", out)
        self.assertNotIn("f:status", fields(out, "mgr"))


class TrackUpdateTest(unittest.TestCase):
    def test_create_owns_everything(self):
        out = patch.track_update(None, configmap({"a": "1"}, {"app": "web"}), "kubectl-create",
                                 T0)
        self.assertEqual(out["metadata"]["managedFields"], [{
            "manager": "kubectl-create", "operation": "Update", "apiVersion": "v1", "time": T0,
            "fieldsType": "FieldsV1",
            "fieldsV1": {"f:data": {".": {}, "f:a": {}},
                         "f:metadata": {"f:labels": {".": {}, "f:app": {}}}}}])

    def test_create_deployment_shape(self):
        # As kube-apiserver records a create: nodes that exist in an empty
        # Deployment (spec, template, template.spec, containers) carry no ".".
        obj = deployment([{"name": "app", "image": "app:1"}], replicas=1)
        obj["spec"]["template"]["metadata"] = {"labels": {"app": "web"}}
        obj["spec"]["strategy"] = {"rollingUpdate": {"maxSurge": "25%"}}
        out = patch.track_update(None, obj, "kubectl-create", T0)
        self.assertEqual(fields(out, "kubectl-create", "Update"), {"f:spec": {
            "f:replicas": {},
            "f:strategy": {"f:rollingUpdate": {".": {}, "f:maxSurge": {}}},
            "f:template": {
                "f:metadata": {"f:labels": {".": {}, "f:app": {}}},
                "f:spec": {"f:containers": {'k:{"name":"app"}': {
                    ".": {}, "f:image": {}, "f:name": {}}}}}}})

    def test_update_moves_changed_fields_only(self):
        live = patch.track_update(None, configmap({"a": "1", "b": "2"}), "creator", T0)
        new = copy.deepcopy(live)
        new["data"]["a"] = "changed"
        new["data"]["c"] = "3"
        out = patch.track_update(live, new, "editor", T1)
        self.assertEqual(fields(out, "creator", "Update"), {"f:data": {".": {}, "f:b": {}}})
        self.assertEqual(fields(out, "editor", "Update"), {"f:data": {"f:a": {}, "f:c": {}}})

    def test_removed_fields_drop_everywhere(self):
        live = patch.track_update(None, configmap({"a": "1"}), "creator", T0)
        new = copy.deepcopy(live)
        del new["data"]
        out = patch.track_update(live, new, "editor", T1)
        self.assertNotIn("managedFields", out["metadata"])

    def test_noop_update_changes_nothing(self):
        live = patch.track_update(None, configmap({"a": "1"}), "creator", T0)
        out = patch.track_update(live, copy.deepcopy(live), "editor", T1)
        self.assertEqual(out, live)

    def test_status_subresource_entry(self):
        live = patch.track_update(None, deployment([{"name": "a"}]), "creator", T0)
        new = copy.deepcopy(live)
        new["status"] = {"replicas": 1}
        out = patch.track_update(live, new, "ctrl", T1, subresource="status")
        e = entries(out)[("ctrl", "Update", "status")]
        self.assertEqual(e["fieldsV1"], {"f:status": {".": {}, "f:replicas": {}}})

    def test_reset_with_empty_entry(self):
        live = patch.track_update(None, configmap({"a": "1"}), "creator", T0)
        new = copy.deepcopy(live)
        new["metadata"]["managedFields"] = [{}]
        out = patch.track_update(live, new, "editor", T1)
        self.assertNotIn("managedFields", out["metadata"])

    def test_apply_after_update_by_other_conflicts_but_apply_by_owner_does_not(self):
        live = patch.track_update(None, configmap({"a": "1"}), "creator", T0)
        with self.assertRaises(PatchError) as cm:
            patch.apply(live, configmap({"a": "2"}), "applier", False, T1)
        self.assertEqual(cm.exception.message, 'Apply failed with 1 conflict: conflict with '
                                               '"creator" using v1: .data.a')
        out = patch.apply(live, configmap({"a": "1", "b": "2"}), "applier", False, T1)
        self.assertEqual(out["data"], {"a": "1", "b": "2"})

    def test_untracked_object_stays_untracked(self):
        live = configmap({"a": "1"})
        live["metadata"]["uid"] = "u1"
        new = copy.deepcopy(live)
        new["data"]["a"] = "2"
        out = patch.track_update(live, new, "editor", T1)
        self.assertNotIn("managedFields", out["metadata"])
        self.assertEqual(out["data"], {"a": "2"})

    def test_untrackable_object_loses_managed_fields(self):
        live = patch.track_update(None, deployment([{"name": "a"}]), "creator", T0)
        new = copy.deepcopy(live)
        new["spec"]["template"]["spec"]["containers"].append({"image": "no-name"})
        out = patch.track_update(live, new, "editor", T1)
        self.assertNotIn("managedFields", out["metadata"])
        self.assertEqual(out["spec"], new["spec"])

    def test_input_not_mutated(self):
        old = patch.track_update(None, configmap({"a": "1"}), "c", T0)
        new = copy.deepcopy(old)
        new["data"]["a"] = "2"
        old_copy, new_copy = copy.deepcopy(old), copy.deepcopy(new)
        patch.track_update(old, new, "e", T1)
        self.assertEqual((old, new), (old_copy, new_copy))


class PerformanceTest(unittest.TestCase):
    def test_long_keyed_list_is_not_quadratic(self):
        n = 3000
        env = [{"name": "V%d" % i, "value": str(i)} for i in range(n)]
        obj = deployment([{"name": "a", "image": "a:1", "env": env}])
        start = time.monotonic()
        live = patch.apply(None, obj, "mgr", False, T0)
        obj2 = copy.deepcopy(obj)
        obj2["spec"]["template"]["spec"]["containers"][0]["env"] = env[::-1][: n - 1]
        out = patch.apply(live, obj2, "mgr", False, T1)
        new = copy.deepcopy(out)
        new["spec"]["template"]["spec"]["containers"][0]["env"][0]["value"] = "x"
        patch.track_update(out, new, "other", T2)
        patch.strategic_merge_patch(out, {"spec": {"template": {"spec": {"containers": [
            {"name": "a", "env": env}]}}}})
        elapsed = time.monotonic() - start
        self.assertEqual(len(out["spec"]["template"]["spec"]["containers"][0]["env"]), n - 1)
        self.assertLess(elapsed, 10.0)


if __name__ == "__main__":
    unittest.main()
