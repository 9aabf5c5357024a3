"""list and watch on the local API server: label and field selectors, limit/continue
pagination over a consistent snapshot, 410 for expired continue tokens and
resourceVersions, watch events (ADDED/MODIFIED/DELETED/BOOKMARK/ERROR), resume,
bookmarks, timeoutSeconds, selector transitions, and list speed with 2,000 objects."""
import time
import unittest
from urllib.parse import quote

from server_harness import ServerTestCase, cm

CM = "/api/v1/namespaces/default/configmaps"


class ListTest(ServerTestCase):
    server_args = ("--bookmark-interval", "0.3")

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.c.post("/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace",
                                          "metadata": {"name": "sel"}})
        for name, labels in [("a", {"app": "web", "tier": "front"}),
                             ("b", {"app": "web", "tier": "back"}),
                             ("c", {"app": "db"}), ("d", {})]:
            r = cls.c.post("/api/v1/namespaces/sel/configmaps", cm(name, "sel", labels=labels))
            assert r.code == 201, r.raw

    def names(self, query):
        r = self.c.get("/api/v1/namespaces/sel/configmaps?" + query)
        self.assertEqual(r.code, 200, r.raw)
        return [i["metadata"]["name"] for i in r.json["items"]]

    def test_label_selectors(self):
        cases = {"app=web": ["a", "b"], "app==web": ["a", "b"], "app!=web": ["c", "d"],
                 "app in (web,db)": ["a", "b", "c"], "app notin (web)": ["c", "d"],
                 "tier": ["a", "b"], "!tier": ["c", "d"], "app=web,tier=back": ["b"],
                 "app in (web),!tier": [], "": ["a", "b", "c", "d"]}
        for sel, want in cases.items():
            self.assertEqual(self.names("labelSelector=" + quote(sel)), want, sel)

    def test_bad_label_selector_is_400(self):
        r = self.c.get("/api/v1/namespaces/sel/configmaps?labelSelector=" + quote("app in web"))
        self.assertStatus(r, 400, "BadRequest")
        self.assertIn("unable to parse requirement", r.json["message"])

    def test_field_selectors(self):
        self.assertEqual(self.names("fieldSelector=metadata.name%3Db"), ["b"])
        self.assertEqual(self.names("fieldSelector=metadata.name!%3Db"), ["a", "c", "d"])
        self.assertEqual(self.names("fieldSelector=metadata.namespace%3Dsel,metadata.name%3Dc"),
                         ["c"])
        self.assertEqual(self.names("fieldSelector=metadata.namespace%3Ddefault"), [])
        r = self.c.get("/api/v1/namespaces/sel/configmaps?fieldSelector=data.x%3D1")
        self.assertStatus(r, 400, "BadRequest", "field label not supported: data.x")

    def test_list_shape(self):
        r = self.c.get("/api/v1/namespaces/sel/configmaps")
        j = r.json
        self.assertEqual((j["kind"], j["apiVersion"]), ("ConfigMapList", "v1"))
        self.assertTrue(j["metadata"]["resourceVersion"].isdigit())
        self.assertNotIn("continue", j["metadata"])
        self.assertNotIn("kind", j["items"][0])  # built-in list items carry no kind, like real

    def test_pagination_is_consistent_over_writes(self):
        ns = self.make_ns("pages")
        path = f"/api/v1/namespaces/{ns}/configmaps"
        for i in range(7):
            self.c.post(path, cm(f"p{i}", ns))
        r = self.c.get(path + "?limit=3")
        j = r.json
        self.assertEqual([i["metadata"]["name"] for i in j["items"]], ["p0", "p1", "p2"])
        self.assertEqual(j["metadata"]["remainingItemCount"], 4)
        token, rv = j["metadata"]["continue"], j["metadata"]["resourceVersion"]
        # writes between pages are not visible in the continued list
        self.c.delete(path + "/p4")
        self.c.post(path, cm("p35", ns))
        obj = self.c.get(path + "/p5").json
        obj["data"] = {"changed": "yes"}
        self.c.put(path + "/p5", obj)
        j2 = self.c.get(path + "?limit=3&continue=" + token).json
        self.assertEqual([i["metadata"]["name"] for i in j2["items"]], ["p3", "p4", "p5"])
        self.assertEqual(j2["items"][2]["data"], {"k": "v"})
        self.assertEqual(j2["metadata"]["resourceVersion"], rv)
        j3 = self.c.get(path + "?limit=3&continue=" + j2["metadata"]["continue"]).json
        self.assertEqual([i["metadata"]["name"] for i in j3["items"]], ["p6"])
        self.assertNotIn("continue", j3["metadata"])
        # a fresh list sees the writes
        self.assertEqual(self.names_in(path), ["p0", "p1", "p2", "p3", "p35", "p5", "p6"])

    def names_in(self, path):
        return [i["metadata"]["name"] for i in self.c.get(path).json["items"]]

    def test_pagination_with_selector_has_no_remaining_count(self):
        j = self.c.get("/api/v1/namespaces/sel/configmaps?limit=1&labelSelector=app%3Dweb").json
        self.assertEqual([i["metadata"]["name"] for i in j["items"]], ["a"])
        self.assertIn("continue", j["metadata"])
        self.assertNotIn("remainingItemCount", j["metadata"])

    def test_bad_continue_is_400(self):
        r = self.c.get(CM + "?limit=1&continue=garbage")
        self.assertStatus(r, 400, "BadRequest")

    def test_list_2000_configmaps_fast(self):
        ns = self.make_ns("many")
        path = f"/api/v1/namespaces/{ns}/configmaps"
        for i in range(2000):
            r = self.c.post(path, cm(f"cm-{i:04d}", ns, data={"key": "value" * 10}))
            self.assertEqual(r.code, 201)
        t = time.monotonic()
        r = self.c.get(path)
        took = time.monotonic() - t
        self.assertEqual(len(r.json["items"]), 2000)
        self.assertLess(took, 0.8, f"listing 2000 ConfigMaps took {took:.2f}s")


class WatchTest(ServerTestCase):
    server_args = ("--bookmark-interval", "0.3", "--compaction-window", "50")

    def test_initial_state_then_changes(self):
        ns = self.make_ns("w1")
        path = f"/api/v1/namespaces/{ns}/configmaps"
        self.c.post(path, cm("pre", ns))
        w = self.c.watch(path + "?watch=1&resourceVersion=")
        self.assertEqual(w.code, 200)
        self.assertEqual(w.resp.headers["Transfer-Encoding"], "chunked")
        ev = w.next()
        self.assertEqual((ev["type"], ev["object"]["metadata"]["name"]), ("ADDED", "pre"))
        self.assertEqual(ev["object"]["kind"], "ConfigMap")
        self.c.post(path, cm("new", ns))
        obj = self.c.get(path + "/new").json
        obj["data"] = {"x": "y"}
        upd = self.c.put(path + "/new", obj).json
        self.c.delete(path + "/new")
        evs = w.events(3)
        self.assertEqual([(e["type"], e["object"]["metadata"]["name"]) for e in evs],
                         [("ADDED", "new"), ("MODIFIED", "new"), ("DELETED", "new")])
        self.assertEqual(evs[1]["object"]["metadata"]["resourceVersion"],
                         upd["metadata"]["resourceVersion"])
        self.assertGreater(int(evs[2]["object"]["metadata"]["resourceVersion"]),
                           int(upd["metadata"]["resourceVersion"]))
        w.close()

    def test_watch_path_form_and_rv_zero(self):
        ns = self.make_ns("w2")
        self.c.post(f"/api/v1/namespaces/{ns}/configmaps", cm("z", ns))
        w = self.c.watch(f"/api/v1/watch/namespaces/{ns}/configmaps?resourceVersion=0")
        ev = w.next()
        self.assertEqual((ev["type"], ev["object"]["metadata"]["name"]), ("ADDED", "z"))
        w.close()

    def test_resume_from_resource_version(self):
        ns = self.make_ns("w3")
        path = f"/api/v1/namespaces/{ns}/configmaps"
        rv = self.c.post(path, cm("r1", ns)).json["metadata"]["resourceVersion"]
        self.c.post(path, cm("r2", ns))
        self.c.post(path, cm("r3", ns))
        w = self.c.watch(f"{path}?watch=1&resourceVersion={rv}")
        evs = w.events(2)
        self.assertEqual([(e["type"], e["object"]["metadata"]["name"]) for e in evs],
                         [("ADDED", "r2"), ("ADDED", "r3")])
        w.close()

    def test_timeout_seconds_ends_stream(self):
        t = time.monotonic()
        w = self.c.watch(CM + "?watch=1&timeoutSeconds=1&resourceVersion="
                         + self.c.get(CM).json["metadata"]["resourceVersion"])
        self.assertIsNone(w.next())
        self.assertLess(time.monotonic() - t, 3)
        self.assertGreater(time.monotonic() - t, 0.9)

    def test_bookmarks(self):
        rv = self.c.get(CM).json["metadata"]["resourceVersion"]
        w = self.c.watch(CM + f"?watch=1&allowWatchBookmarks=true&resourceVersion={rv}")
        ev = w.next()
        self.assertEqual(ev["type"], "BOOKMARK")
        self.assertEqual(ev["object"]["kind"], "ConfigMap")
        self.assertEqual(ev["object"]["apiVersion"], "v1")
        self.assertGreaterEqual(int(ev["object"]["metadata"]["resourceVersion"]), int(rv))
        w.close()
        # without allowWatchBookmarks no bookmark arrives
        w = self.c.watch(CM + f"?watch=1&timeoutSeconds=1&resourceVersion={rv}")
        self.assertIsNone(w.next())

    def test_selector_transitions(self):
        ns = self.make_ns("w4")
        path = f"/api/v1/namespaces/{ns}/configmaps"
        rv = self.c.get(path).json["metadata"]["resourceVersion"]
        w = self.c.watch(f"{path}?watch=1&labelSelector=pick%3Dyes&resourceVersion={rv}")
        self.c.post(path, cm("t", ns, labels={"pick": "no"}))          # not seen
        obj = self.c.get(path + "/t").json
        obj["metadata"]["labels"] = {"pick": "yes"}
        obj = self.c.put(path + "/t", obj).json                            # enters: ADDED
        obj["data"] = {"a": "b"}
        obj = self.c.put(path + "/t", obj).json                            # MODIFIED
        obj["metadata"]["labels"] = {"pick": "no"}
        self.c.put(path + "/t", obj)                                       # leaves: DELETED
        evs = w.events(3)
        self.assertEqual([e["type"] for e in evs], ["ADDED", "MODIFIED", "DELETED"])
        self.assertEqual(evs[2]["object"]["metadata"]["labels"], {"pick": "no"})
        w.close()

    def test_field_selector_watch_on_name(self):
        ns = self.make_ns("w5")
        path = f"/api/v1/namespaces/{ns}/configmaps"
        w = self.c.watch(f"{path}?watch=1&fieldSelector=metadata.name%3Done")
        self.c.post(path, cm("two", ns))
        self.c.post(path, cm("one", ns))
        ev = w.next()
        self.assertEqual(ev["object"]["metadata"]["name"], "one")
        w.close()

    def test_too_old_resource_version_after_window(self):
        ns = self.make_ns("w6")
        path = f"/api/v1/namespaces/{ns}/configmaps"
        rv = int(self.c.post(path, cm("old", ns)).json["metadata"]["resourceVersion"])
        for i in range(120):  # window is 50 events
            self.c.post(path, cm(f"fill{i}", ns))
        w = self.c.watch(f"{path}?watch=1&resourceVersion={rv}")
        self.assertEqual(w.code, 200)
        ev = w.next()
        self.assertEqual(ev["type"], "ERROR")
        s = ev["object"]
        self.assertEqual((s["kind"], s["status"], s["reason"], s["code"]),
                         ("Status", "Failure", "Expired", 410))
        self.assertRegex(s["message"], rf"^too old resource version: {rv} \(\d+\)$")
        self.assertIsNone(w.next())
        # an expired continue token gets 410 too
        j = self.c.get(path + "?limit=1").json
        for i in range(120):
            self.c.post(path, cm(f"more{i}", ns))
        r = self.c.get(path + "?limit=1&continue=" + j["metadata"]["continue"])
        self.assertStatus(r, 410, "Expired")
        self.assertTrue(r.json["message"].startswith("The provided continue parameter is too "
                                                     "old to display a consistent list result."))

    def test_cluster_wide_watch(self):
        rv = self.c.get("/api/v1/configmaps").json["metadata"]["resourceVersion"]
        w = self.c.watch(f"/api/v1/configmaps?watch=1&resourceVersion={rv}")
        a = self.make_ns("w7a")
        b = self.make_ns("w7b")
        self.c.post(f"/api/v1/namespaces/{a}/configmaps", cm("x", a))
        self.c.post(f"/api/v1/namespaces/{b}/configmaps", cm("x", b))
        evs = w.events(2)
        self.assertEqual([e["object"]["metadata"]["namespace"] for e in evs], [a, b])
        w.close()


if __name__ == "__main__":
    unittest.main()
