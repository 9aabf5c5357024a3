"""Starts appstack-webhook locally for tests: a throwaway certificate made with
the openssl command line, a free loopback port, readiness polling, and a small
HTTPS client that keeps one connection open (keep-alive) and can post
AdmissionReviews. Used by test_admission.py and tests/integration/test_webhook.py."""
import http.client
import json
import os
import socket
import ssl
import subprocess
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.environ.get("APPSTACK_BIN", os.path.join(ROOT, "bin"))
WEBHOOK = os.path.join(BIN, "appstack-webhook")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_cert(directory, name="tls", days=1, cn="127.0.0.1"):
    """Self-signed EC certificate for 127.0.0.1/localhost; returns (crt, key) paths."""
    crt = os.path.join(directory, name + ".crt")
    key = os.path.join(directory, name + ".key")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-out", crt,
                    "-days", str(days), "-subj", "/CN=" + cn, "-addext",
                    "subjectAltName=IP:127.0.0.1,DNS:localhost"],
                   check=True, capture_output=True)
    return crt, key


class Webhook:
    """A running appstack-webhook; stop() ends it by its pid."""

    def __init__(self, args, workdir=None, env=None, wait=True):
        self.dir = workdir or tempfile.mkdtemp(prefix="appstack-webhook-")
        self.port = free_port()
        self.crt, self.key = make_cert(self.dir)
        self.audit = os.path.join(self.dir, "audit.log")
        self.log = open(os.path.join(self.dir, "webhook.log"), "wb")
        cmd = [WEBHOOK, "--listen", f"127.0.0.1:{self.port}", "--tls-cert-file", self.crt,
               "--tls-key-file", self.key, "--audit-log", self.audit] + list(args)
        self.proc = subprocess.Popen(cmd, stdout=self.log, stderr=subprocess.STDOUT,
                                     env=env or os.environ.copy())
        if wait:
            self.wait_ready()

    def context(self):
        ctx = ssl.create_default_context(cafile=self.crt)
        return ctx

    def conn(self, timeout=10):
        return http.client.HTTPSConnection("127.0.0.1", self.port, context=self.context(),
                                           timeout=timeout)

    def readyz(self):
        """(status, body) of GET /readyz; OSError while the server is not up."""
        c = self.conn(timeout=2)
        try:
            c.request("GET", "/readyz")
            r = c.getresponse()
            return r.status, r.read().decode(errors="replace")
        finally:
            c.close()

    def wait_ready(self, seconds=10):
        deadline = time.time() + seconds
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("appstack-webhook exited: " + self.output())
            try:
                c = self.conn(timeout=1)
                c.request("GET", "/readyz")
                r = c.getresponse()
                r.read()
                c.close()
                if r.status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.05)
        raise RuntimeError("appstack-webhook not ready: " + self.output())

    def output(self):
        if not self.log.closed:
            self.log.flush()
        with open(os.path.join(self.dir, "webhook.log"), "rb") as f:
            return f.read().decode(errors="replace")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        return self.proc.returncode


def post(conn, path, body, ctype="application/json"):
    """POSTs body (bytes or a JSON-able value); returns (status, headers, bytes)."""
    if not isinstance(body, (bytes, bytearray)):
        body = json.dumps(body).encode()
    conn.request("POST", path, body=body, headers={"Content-Type": ctype})
    r = conn.getresponse()
    return r.status, dict(r.getheaders()), r.read()
