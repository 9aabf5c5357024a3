"""server_harness.py - test fixtures for the local API server's own suite: start and
stop a server in a temporary state dir through hack/local-apiserver, and a small
HTTPS client (keep-alive, bearer tokens, JSON, watch streams) used by
test_server_*.py and test_kubectl.py.
"""
import http.client
import json
import os
import shutil
import ssl
import subprocess
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
SCRIPT = os.path.join(ROOT, "hack", "local-apiserver")


class Resp:
    def __init__(self, code, headers, raw):
        self.code = code
        self.headers = headers
        self.raw = raw
        try:
            self.json = json.loads(raw) if raw else None
        except ValueError:
            self.json = None

    def __repr__(self):
        return f"Resp({self.code}, {self.raw[:300]!r})"


class LocalServer:
    """One server process in its own state dir (kept for restarts until cleanup())."""

    def __init__(self, args=(), state_dir=None):
        self.dir = state_dir or tempfile.mkdtemp(prefix="appstack-apiserver-test-")
        self.args = list(args)
        self.kubeconfig = None

    def run_script(self, *argv):
        env = dict(os.environ, APPSTACK_APISERVER_DIR=self.dir)
        return subprocess.run([SCRIPT] + list(argv), env=env, capture_output=True, text=True,
                              timeout=60)

    def start(self):
        proc = self.run_script("start", *self.args)
        lines = proc.stdout.strip().splitlines()
        if proc.returncode != 0 or not lines or not lines[-1].startswith("KUBECONFIG="):
            raise RuntimeError(f"local-apiserver start failed: {proc.stdout}{proc.stderr}")
        self.kubeconfig = lines[-1].split("=", 1)[1]
        with open(os.path.join(self.dir, "port")) as f:
            self.port = int(f.read())
        with open(os.path.join(self.dir, "admin.token")) as f:
            self.token = f.read().strip()
        self.ca = os.path.join(self.dir, "ca.crt")
        return proc

    def stop(self):
        return self.run_script("stop")

    def cleanup(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    def client(self, token=None):
        return Client(self.port, self.ca, token or self.token)


class Client:
    def __init__(self, port, ca, token):
        self.port, self.token = port, token
        self.ctx = ssl.create_default_context(cafile=ca)
        self.conn = None
        self.watches = []

    def _conn(self):
        if self.conn is None:
            self.conn = http.client.HTTPSConnection("127.0.0.1", self.port, context=self.ctx,
                                                    timeout=30)
        return self.conn

    def request(self, method, path, body=None, ctype="application/json", headers=None,
                token=None, raw=None):
        """One request; body (dict/list) is sent as JSON, raw as bytes."""
        h = {"User-Agent": "apiserver-test/1.0"}
        tok = self.token if token is None else token
        if tok:
            h["Authorization"] = f"Bearer {tok}"
        data = raw
        if body is not None:
            data = json.dumps(body).encode()
        if data is not None:
            h["Content-Type"] = ctype
        h.update(headers or {})
        for attempt in (0, 1):
            c = self._conn()
            try:
                c.request(method, path, body=data, headers=h)
                r = c.getresponse()
                out = r.read()
                return Resp(r.status, r.headers, out)
            except (http.client.HTTPException, OSError):
                self.close()
                if attempt:
                    raise
        raise AssertionError("unreachable")

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, body, **kw):
        return self.request("POST", path, body, **kw)

    def put(self, path, body, **kw):
        return self.request("PUT", path, body, **kw)

    def patch(self, path, body, ctype="application/merge-patch+json", **kw):
        return self.request("PATCH", path, body, ctype=ctype, **kw)

    def delete(self, path, body=None, **kw):
        return self.request("DELETE", path, body, **kw)

    def close(self):
        """Closes the keep-alive connection and every watch opened by this client."""
        if self.conn is not None:
            self.conn.close()
            self.conn = None
        for w in self.watches:
            w.close()
        self.watches = []

    def watch(self, path, timeout=10):
        """Opens a watch; returns a Watch reading events line by line."""
        c = http.client.HTTPSConnection("127.0.0.1", self.port, context=self.ctx,
                                        timeout=timeout)
        c.request("GET", path, headers={"Authorization": f"Bearer {self.token}",
                                        "User-Agent": "apiserver-test/1.0"})
        w = Watch(c, c.getresponse())
        self.watches.append(w)
        return w


class Watch:
    def __init__(self, conn, resp):
        self.conn, self.resp = conn, resp
        self.code = resp.status

    def next(self):
        """The next event dict, or None at the end of the stream."""
        line = self.resp.readline()
        if not line:
            self.close()
            return None
        return json.loads(line)

    def events(self, n):
        out = []
        for _ in range(n):
            ev = self.next()
            if ev is None:
                break
            out.append(ev)
        return out

    def close(self):
        self.resp.close()
        self.conn.close()


def cm(name, ns="default", data=None, labels=None, **meta):
    m = {"name": name, "namespace": ns}
    if labels is not None:
        m["labels"] = labels
    m.update(meta)
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": m, "data": data or {"k": "v"}}


class ServerTestCase(unittest.TestCase):
    """Starts one server per test class (setUpClass) and stops it afterwards."""
    server_args = ()

    @classmethod
    def setUpClass(cls):
        cls.server = LocalServer(cls.server_args)
        cls.server.start()
        cls.c = cls.server.client()

    @classmethod
    def tearDownClass(cls):
        cls.c.close()
        cls.server.cleanup()

    def tearDown(self):
        for w in self.c.watches:
            w.close()
        self.c.watches = []

    def assertStatus(self, r, code, reason=None, message=None):
        """Checks a Status answer's code, reason and message, and its exact shape."""
        self.assertEqual(r.code, code, r.raw)
        s = r.json
        self.assertEqual(s["kind"], "Status", r.raw)
        self.assertEqual(s["apiVersion"], "v1")
        self.assertEqual(s["metadata"], {})
        self.assertEqual(s["status"], "Failure")
        self.assertEqual(s["code"], code)
        if reason is not None:
            self.assertEqual(s["reason"], reason, r.raw)
        if message is not None:
            self.assertEqual(s["message"], message, r.raw)
        return s

    def make_ns(self, name):
        r = self.c.post("/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace",
                                                "metadata": {"name": name}})
        self.assertIn(r.code, (201, 409), r.raw)
        return name

    def wait_for(self, fn, timeout=5.0, msg="condition"):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            v = fn()
            if v:
                return v
            time.sleep(0.02)
        self.fail(f"timed out waiting for {msg}")


def skip_unless_local(case: unittest.TestCase):
    """For suites that may run against a real cluster: /_local endpoints exist only on
    the local API server, which tests/run.py marks with APPSTACK_LOCAL_APISERVER=1."""
    if os.environ.get("APPSTACK_LOCAL_APISERVER") != "1":
        case.skipTest("needs the local API server's /_local endpoints "
                      "(APPSTACK_LOCAL_APISERVER is not 1: running against a real cluster)")
