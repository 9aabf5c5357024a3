"""Golden admission tests: every tests/golden/admission/{good,bad}/NAME.json is
posted to a locally started appstack-webhook over HTTPS (one keep-alive
connection) and the response is compared with NAME.expect.json: allowed, status
code, every denial line (rule id and path, in order, each "rule-id path: what —
how"), warnings, the decoded JSONPatch and the uid echo. Also the HTTP edge
cases: wrong method, content type, malformed JSON, oversized body, unknown
path, TLS below 1.2, health endpoints and metrics."""
import base64
import glob
import json
import os
import re
import socket
import ssl
import time
import unittest

import webhookproc

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "admission")
LINE = re.compile(r"^(\S+) (\S+): (.+) — (.+)$")
# one decision in TIME_EVERY has its rules timed (webhook/admit.h)
with open(os.path.join(HERE, "..", "..", "webhook", "admit.h")) as _h:
    TIME_EVERY = int(re.search(r"#define AS_ADMIT_TIME_EVERY (\d+)", _h.read()).group(1))


def split_lines(text):
    """Parses 'rule-id path: what — how' lines into [rule, path] pairs (asserting the shape)."""
    pairs = []
    for line in text.split("\n"):
        m = LINE.match(line)
        if not m:
            raise AssertionError(f"line not in the form 'rule-id path: what — how': {line!r}")
        pairs.append([m.group(1), m.group(2)])
    return pairs


@unittest.skipUnless(os.path.exists(webhookproc.WEBHOOK), "appstack-webhook is not built (make)")
class AdmissionGolden(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.wh = webhookproc.Webhook(["--no-watch"])
        cls.conn = cls.wh.conn()

    @classmethod
    def tearDownClass(cls):
        cls.conn.close()
        rc = cls.wh.stop()
        if rc not in (0, None):
            raise AssertionError(f"webhook exited {rc}: {cls.wh.output()}")

    def fixtures(self):
        files = sorted(f for f in glob.glob(os.path.join(FIXTURES, "*", "*.json"))
                       if not f.endswith(".expect.json"))
        self.assertGreaterEqual(len(files), 10)
        return files

    def test_fixtures(self):
        for path in self.fixtures():
            name = os.path.relpath(path, FIXTURES)
            with self.subTest(fixture=name):
                with open(path) as f:
                    review = json.load(f)
                with open(path[:-5] + ".expect.json") as f:
                    exp = json.load(f)
                status, headers, body = webhookproc.post(self.conn, exp["endpoint"], review)
                self.assertEqual(status, 200, body)
                self.assertTrue(headers.get("content-type", headers.get("Content-Type", ""))
                                .startswith("application/json"))
                doc = json.loads(body)
                self.assertEqual(doc["apiVersion"], "admission.k8s.io/v1")
                self.assertEqual(doc["kind"], "AdmissionReview")
                resp = doc["response"]
                self.assertEqual(resp["uid"], review["request"]["uid"])
                self.assertEqual(resp["allowed"], exp["allowed"])
                self.assertEqual(name.startswith("good/"), exp["allowed"])
                if exp["allowed"]:
                    self.assertNotIn("status", resp)
                else:
                    self.assertEqual(resp["status"]["code"], exp["code"])
                    self.assertEqual(split_lines(resp["status"]["message"]), exp["denied"])
                warnings = resp.get("warnings", [])
                self.assertEqual(split_lines("\n".join(warnings)) if warnings else [],
                                 exp["warnings"])
                if exp["patch"] is None:
                    self.assertNotIn("patch", resp)
                else:
                    self.assertEqual(resp["patchType"], "JSONPatch")
                    self.assertEqual(json.loads(base64.b64decode(resp["patch"])), exp["patch"])

    def test_every_family_is_covered(self):
        families = {"app-": False, "pss-": False, "res-": False, "img-": False, "exp-": False,
                    "sec-": False, "grd-": False}
        mutation = False
        for path in self.fixtures():
            with open(path[:-5] + ".expect.json") as f:
                exp = json.load(f)
            for rule, _ in exp["denied"] + exp["warnings"]:
                for prefix in families:
                    families[prefix] |= rule.startswith(prefix)
            mutation |= exp["patch"] is not None
        self.assertEqual([p for p, ok in families.items() if not ok], [])
        self.assertTrue(mutation)

    def test_audit_log_has_no_object_contents(self):
        review = json.load(open(os.path.join(FIXTURES, "bad", "env-literal-password.json")))
        review["request"]["uid"] = "audit-check"
        webhookproc.post(self.conn, "/validate", review)
        with open(self.wh.audit) as f:
            lines = [json.loads(l) for l in f if '"audit-check"' in l]
        self.assertEqual(len(lines), 1)
        rec = lines[0]
        self.assertEqual(rec["decision"], "denied")
        self.assertEqual(rec["rules"], ["sec-literal-credential-env"])
        self.assertEqual((rec["namespace"], rec["name"], rec["user"], rec["operation"], rec["kind"]),
                         ("shop", "web", "alice", "CREATE", "Pod"))
        self.assertIsInstance(rec["latencyMicros"], int)
        with open(self.wh.audit) as f:
            self.assertNotIn("hunter2", f.read())

    def test_enforce_and_advisory_endpoints_split_the_answer(self):
        review = json.load(open(os.path.join(FIXTURES, "bad", "pod-no-requests.json")))
        _, _, body = webhookproc.post(self.conn, "/validate/enforce", review)
        resp = json.loads(body)["response"]
        self.assertFalse(resp["allowed"])
        self.assertNotIn("warnings", resp)
        _, _, body = webhookproc.post(self.conn, "/validate/advisory", review)
        resp = json.loads(body)["response"]
        self.assertTrue(resp["allowed"])
        self.assertEqual(len(resp["warnings"]), 2)

    def test_wrong_method(self):
        self.conn.request("GET", "/validate")
        r = self.conn.getresponse()
        self.assertEqual(r.status, 405)
        self.assertIn(b"POST", r.read())

    def test_wrong_content_type(self):
        status, _, body = webhookproc.post(self.conn, "/validate", b"{}", ctype="text/plain")
        self.assertEqual(status, 415)
        self.assertIn(b"application/json", body)

    def test_malformed_json_names_the_place(self):
        status, _, body = webhookproc.post(self.conn, "/validate", b'{"apiVersion": ')
        self.assertEqual(status, 400)
        self.assertIn(b"request body: line 1", body)

    def test_missing_uid_names_the_field(self):
        status, _, body = webhookproc.post(self.conn, "/validate", {
            "apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
            "request": {"kind": {"kind": "Pod"}, "operation": "CREATE", "object": {}}})
        self.assertEqual(status, 400)
        self.assertIn(b"request.uid", body)

    def test_v1beta1_is_refused_with_advice(self):
        status, _, body = webhookproc.post(self.conn, "/validate", {
            "apiVersion": "admission.k8s.io/v1beta1", "kind": "AdmissionReview", "request": {}})
        self.assertEqual(status, 400)
        self.assertIn(b"admissionReviewVersions", body)

    def test_oversized_body_is_refused(self):
        conn = self.wh.conn()
        try:
            status, _, body = webhookproc.post(conn, "/validate", b" " * (3 * 1024 * 1024 + 1))
            self.assertEqual(status, 413)
            self.assertIn(b"3 MiB", body)
        finally:
            conn.close()

    def test_unknown_path(self):
        self.conn.request("GET", "/nope")
        r = self.conn.getresponse()
        self.assertEqual(r.status, 404)
        r.read()

    def test_health_and_metrics(self):
        for path in ("/healthz", "/readyz"):
            self.conn.request("GET", path)
            r = self.conn.getresponse()
            self.assertEqual(r.status, 200, path)
            r.read()
        review = json.load(open(os.path.join(FIXTURES, "good", "pod-compliant.json")))
        for _ in range(TIME_EVERY):  # rules are timed in one decision in TIME_EVERY
            webhookproc.post(self.conn, "/validate", review)
        self.conn.request("GET", "/metrics")
        r = self.conn.getresponse()
        text = r.read().decode()
        self.assertEqual(r.status, 200)
        self.assertRegex(text, r'appstack_webhook_decisions_total\{webhook="validate",kind="Pod",'
                               r'result="allowed"\} [1-9]')
        self.assertIn("# TYPE appstack_webhook_request_duration_seconds histogram", text)
        self.assertRegex(text, r'appstack_webhook_certificate_expiry_timestamp_seconds 1[0-9]{9}')
        self.assertIn('appstack_webhook_violations_total{rule="pss-baseline-privileged",mode="enforce"}',
                      text)
        self.assertRegex(text, r'appstack_webhook_rule_family_evaluation_seconds_count\{'
                               r'webhook="validate",family="pod-security"\} [1-9]')
        # per rule: evaluations counted, and a time that is positive and below the family's
        self.assertRegex(text, r'appstack_webhook_rule_evaluations_total\{'
                               r'rule="pss-restricted-seccomp"\} [1-9]')
        self.assertRegex(text, r'appstack_webhook_rule_evaluations_total\{'
                               r'rule="app-spec-valid"\} [0-9]')
        m = re.search(r'appstack_webhook_rule_evaluation_seconds_total\{'
                      r'rule="pss-restricted-seccomp"\} ([0-9.e+-]+)', text)
        self.assertIsNotNone(m)
        # rule counters cover every webhook: compare with the family's time over all of them
        fam = sum(float(v) for v in re.findall(
            r'appstack_webhook_rule_family_evaluation_seconds_sum\{'
            r'webhook="[a-z-]+",family="pod-security"\} ([0-9.e+-]+)', text))
        self.assertGreater(float(m.group(1)), 0)
        self.assertLess(float(m.group(1)), fam)

    def family_count(self):
        """Decisions and timed pod-security evaluations so far, from /metrics."""
        self.conn.request("GET", "/metrics")
        r = self.conn.getresponse()
        text = r.read().decode()
        timed = re.search(r'appstack_webhook_rule_family_evaluation_seconds_count\{'
                          r'webhook="validate",family="pod-security"\} ([0-9]+)', text)
        made = re.search(r'appstack_webhook_decisions_total\{webhook="validate",kind="Pod",'
                         r'result="allowed"\} ([0-9]+)', text)
        return (int(made.group(1)) if made else 0), (int(timed.group(1)) if timed else 0)

    def test_rule_times_are_sampled(self):
        # the rule and family timings cost two clock reads a rule: one decision in
        # TIME_EVERY is timed, on each thread, whatever the phase of its count
        review = json.load(open(os.path.join(FIXTURES, "good", "pod-compliant.json")))
        made0, timed0 = self.family_count()
        for _ in range(3 * TIME_EVERY):
            webhookproc.post(self.conn, "/validate", review)
        made1, timed1 = self.family_count()
        self.assertEqual(made1 - made0, 3 * TIME_EVERY)
        self.assertEqual(timed1 - timed0, 3)

    def test_tls_below_1_2_is_refused(self):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        try:
            ctx.minimum_version = ssl.TLSVersion.TLSv1_1
            ctx.maximum_version = ssl.TLSVersion.TLSv1_1
            ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
        except (ValueError, ssl.SSLError) as e:
            self.skipTest(f"this Python/OpenSSL cannot offer TLS 1.1 ({e})")
        with socket.create_connection(("127.0.0.1", self.wh.port), timeout=5) as raw:
            with self.assertRaises(ssl.SSLError):
                ctx.wrap_socket(raw).do_handshake()

    def test_certificate_files_are_reloaded_for_new_connections(self):
        wh = webhookproc.Webhook(["--no-watch"])
        try:
            old_conn = wh.conn()
            old_conn.request("GET", "/healthz")
            old_conn.getresponse().read()
            before = ssl.get_server_certificate(("127.0.0.1", wh.port))
            crt, key = webhookproc.make_cert(wh.dir, name="next")
            os.replace(key, wh.key)
            os.replace(crt, wh.crt)
            deadline = time.time() + 10
            after = before
            while after == before and time.time() < deadline:
                time.sleep(0.2)
                after = ssl.get_server_certificate(("127.0.0.1", wh.port))
            self.assertNotEqual(after, before, "the new certificate was not served")
            with open(wh.crt) as f:
                self.assertEqual(ssl.PEM_cert_to_DER_cert(after),
                                 ssl.PEM_cert_to_DER_cert(f.read()))
            # the connection opened before the reload keeps working
            old_conn.request("GET", "/healthz")
            self.assertEqual(old_conn.getresponse().status, 200)
            old_conn.close()
        finally:
            self.assertEqual(wh.stop(), 0, wh.output())

    def test_keep_alive_reuses_one_connection(self):
        conn = self.wh.conn()
        try:
            review = json.load(open(os.path.join(FIXTURES, "good", "pod-compliant.json")))
            webhookproc.post(conn, "/validate", review)
            sock = conn.sock
            for _ in range(20):
                status, _, _ = webhookproc.post(conn, "/validate", review)
                self.assertEqual(status, 200)
            self.assertIs(conn.sock, sock)
        finally:
            conn.close()


if __name__ == "__main__":
    unittest.main()
