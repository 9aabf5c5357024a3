"""Fault injection, the request log, compaction, and restarts of the local API server
(hack/local-apiserver start/stop/status keep the objects and the resourceVersion)."""
import http.client
import os
import time
import unittest

from server_harness import LocalServer, ServerTestCase, cm

CM = "/api/v1/namespaces/default/configmaps"


class FaultTest(ServerTestCase):
    def tearDown(self):
        super().tearDown()
        self.assertEqual(self.c.delete("/_local/faults").code, 200)

    def set_faults(self, **cfg):
        r = self.c.post("/_local/faults", cfg)
        self.assertEqual(r.code, 200, r.raw)
        return r.json

    def test_write_errors_500(self):
        self.set_faults(writeErrorRate=1.0, writeErrorCode=500)
        r = self.c.post(CM, cm("f500"))
        self.assertStatus(r, 500, "InternalError")
        self.assertEqual(self.c.get(CM).code, 200)  # reads are not affected
        self.c.delete("/_local/faults")
        self.assertEqual(self.c.post(CM, cm("f500")).code, 201)

    def test_write_errors_429_with_retry_after(self):
        self.set_faults(writeErrorRate=1.0, writeErrorCode=429, retryAfterSeconds=3)
        r = self.c.post(CM, cm("f429"))
        s = self.assertStatus(r, 429, "TooManyRequests", "the server has received too many "
                              "requests and has asked us to try again later")
        self.assertEqual(r.headers["Retry-After"], "3")
        self.assertEqual(s["details"], {"retryAfterSeconds": 3})
        self.assertStatus(self.c.delete(CM + "/whatever"), 404, "NotFound")

    def test_error_rate_is_a_share(self):
        self.set_faults(writeErrorRate=0.5, seed=7)
        codes = [self.c.post(CM, cm(f"share-{i}")).code for i in range(60)]
        failed = codes.count(500)
        self.assertEqual(failed + codes.count(201), 60)
        self.assertTrue(10 <= failed <= 50, f"{failed} of 60 failed at rate 0.5")

    def test_forced_conflicts(self):
        obj = self.c.post(CM, cm("fconf")).json
        self.set_faults(conflictRate=1.0)
        obj["data"] = {"x": "1"}
        self.assertStatus(self.c.put(CM + "/fconf", obj), 409, "Conflict",
                          'Operation cannot be fulfilled on configmaps "fconf": the object has '
                          'been modified; please apply your changes to the latest version and '
                          'try again')
        self.assertStatus(self.c.patch(CM + "/fconf", {"data": {"y": "2"}}), 409, "Conflict")
        self.assertEqual(self.c.post(CM, cm("fconf-new")).code, 201)  # creates unaffected

    def test_latency(self):
        self.set_faults(latencyMs=300)
        t = time.monotonic()
        self.assertEqual(self.c.get(CM).code, 200)
        self.assertGreaterEqual(time.monotonic() - t, 0.3)

    def test_watch_cut(self):
        self.set_faults(watchCutSeconds=1)
        rv = self.c.get(CM).json["metadata"]["resourceVersion"]
        t = time.monotonic()
        w = self.c.watch(CM + f"?watch=1&resourceVersion={rv}&timeoutSeconds=20")
        try:
            ev = w.next()
            self.assertIsNone(ev)
        except (http.client.IncompleteRead, ConnectionError, OSError):
            pass  # the connection was cut mid-stream, as intended
        finally:
            w.close()
        took = time.monotonic() - t
        self.assertTrue(0.9 <= took < 5, took)

    def test_compact_makes_resume_410(self):
        rv = self.c.post(CM, cm("comp")).json["metadata"]["resourceVersion"]
        r = self.c.post("/_local/compact", None)
        self.assertEqual(r.code, 200)
        w = self.c.watch(CM + f"?watch=1&resourceVersion={rv}")
        ev = w.next()
        self.assertEqual(ev["type"], "ERROR")
        self.assertEqual(ev["object"]["code"], 410)
        self.assertEqual(ev["object"]["reason"], "Expired")
        w.close()
        # a fresh watch (no resourceVersion) still works
        w = self.c.watch(CM + "?watch=1&fieldSelector=metadata.name%3Dcomp")
        self.assertEqual(w.next()["type"], "ADDED")
        w.close()

    def test_bad_fault_config(self):
        for body in ({"writeErrorRate": 2}, {"writeErrorCode": 404}, {"nope": 1},
                     {"latencyMs": "x"}):
            r = self.c.post("/_local/faults", body)
            self.assertStatus(r, 400, "BadRequest")

    def test_watch_is_logged_when_it_starts(self):
        self.c.delete("/_local/requests")
        w = self.c.watch(CM + "?watch=1&timeoutSeconds=5")
        log = self.wait_for(lambda: self.c.get("/_local/requests").json, msg="watch logged")
        self.assertEqual([(e["method"], e["path"], e["code"]) for e in log],
                         [("GET", CM + "?watch=1&timeoutSeconds=5", 200)])
        w.close()

    def test_request_log(self):
        self.c.delete("/_local/requests")
        self.c.get(CM + "?limit=1")
        self.c.post(CM, cm("logged"))
        self.c.get(CM + "/nothere")
        log = self.c.get("/_local/requests").json
        self.assertEqual([(e["method"], e["path"], e["code"]) for e in log],
                         [("GET", CM + "?limit=1", 200), ("POST", CM, 201),
                          ("GET", CM + "/nothere", 404)])
        self.assertEqual({e["userAgent"] for e in log}, {"apiserver-test/1.0"})
        self.assertEqual({e["user"] for e in log}, {"admin"})
        self.assertRegex(log[0]["time"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
        self.assertEqual(self.c.delete("/_local/requests").code, 200)
        self.assertEqual(self.c.get("/_local/requests").json, [])


class RestartTest(unittest.TestCase):
    def test_restart_keeps_objects_and_resource_version(self):
        srv = LocalServer()
        try:
            t = time.monotonic()
            srv.start()
            first_start = time.monotonic() - t
            c = srv.client()
            obj = c.post(CM, cm("keep", data={"a": "1"})).json
            for i in range(20):
                c.post(CM, cm(f"bulk-{i}"))
            c.delete(CM + "/bulk-3")
            rv_before = int(c.get(CM).json["metadata"]["resourceVersion"])
            st = srv.run_script("status")
            self.assertEqual(st.returncode, 0)
            self.assertEqual(st.stdout.strip().splitlines()[-1], f"KUBECONFIG={srv.kubeconfig}")
            again = srv.run_script("start")
            self.assertIn("already running", again.stdout)
            self.assertEqual(again.stdout.strip().splitlines()[-1], f"KUBECONFIG={srv.kubeconfig}")
            c.close()
            self.assertEqual(srv.stop().returncode, 0)
            self.assertEqual(srv.run_script("status").returncode, 3)
            port = srv.port
            t = time.monotonic()
            srv.start()
            restart = time.monotonic() - t
            self.assertLess(restart, 1.0, "start with an existing CA must take under a second")
            self.assertEqual(srv.port, port)  # same address for clients that keep running
            c = srv.client()
            got = c.get(CM + "/keep").json
            self.assertEqual(got["metadata"]["uid"], obj["metadata"]["uid"])
            self.assertEqual(got["data"], {"a": "1"})
            names = [i["metadata"]["name"] for i in c.get(CM).json["items"]]
            self.assertEqual(len(names), 20)
            self.assertNotIn("bulk-3", names)
            rv_after = int(c.post(CM, cm("after")).json["metadata"]["resourceVersion"])
            self.assertGreater(rv_after, rv_before)
            # watch history does not survive: resuming from before the restart is 410
            w = c.watch(CM + f"?watch=1&resourceVersion={rv_before - 5}")
            self.assertEqual(w.next()["object"]["code"], 410)
            w.close()
            c.close()
            self.assertLess(first_start, 5)
        finally:
            srv.cleanup()

    def test_script_usage_and_bad_arguments(self):
        srv = LocalServer(["--user", "no-equals-sign"])
        try:
            p = srv.run_script("start", *srv.args)
            self.assertEqual(p.returncode, 1)
            self.assertIn("--user 'no-equals-sign': expected TOKEN=NAME[:GROUP,GROUP]", p.stderr)
            p = srv.run_script("bogus")
            self.assertEqual(p.returncode, 2)
            self.assertIn("start|stop|status", p.stderr)
            p = srv.run_script("stop")
            self.assertEqual((p.returncode, p.stdout.strip()), (0, "local-apiserver: not running"))
        finally:
            srv.cleanup()

    def test_kill_without_snapshot_keeps_acknowledged_writes(self):
        srv = LocalServer()
        try:
            srv.start()
            c = srv.client()
            for i in range(5):
                self.assertEqual(c.post(CM, cm(f"j{i}")).code, 201)
            c.close()
            with open(os.path.join(srv.dir, "apiserver.pid")) as f:
                pid = int(f.read())
            os.kill(pid, 9)  # no shutdown snapshot: the journal must carry the writes
            while True:
                try:
                    with open(f"/proc/{pid}/stat") as f:
                        if f.read().split(") ")[-1].startswith("Z"):
                            break
                except OSError:
                    break
                time.sleep(0.01)
            srv.start()
            c = srv.client()
            names = [i["metadata"]["name"] for i in c.get(CM).json["items"]]
            self.assertEqual(names, [f"j{i}" for i in range(5)])
            c.close()
        finally:
            srv.cleanup()


if __name__ == "__main__":
    unittest.main()
