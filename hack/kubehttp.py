"""hack/kubehttp.py - a small Kubernetes HTTP client for the hack/ scripts (Python stdlib).

Reads the current context of a kubeconfig through `kubectl config view --raw --minify
--flatten -o json` (so every kubeconfig kubectl understands works: token, client
certificate, inline or file CA), then talks JSON over one keep-alive HTTPS connection
per Client. Used by hack/fake-kubelet and hack/bench-operator; not a library for the
programs (those use lib/kube).
"""
import base64
import http.client
import json
import os
import ssl
import subprocess
import tempfile
import urllib.parse


class KubeError(Exception):
    """A request answered with a status >= 400 (code, body text)."""

    def __init__(self, method, path, code, text):
        super().__init__(f"{method} {path}: {code} {text[:300]}")
        self.code = code


class Client:
    """One HTTPS connection to the API server of kubeconfig's current context."""

    def __init__(self, kubeconfig=None, user_agent="appstack-hack"):
        cmd = ["kubectl", "config", "view", "--raw", "--minify", "--flatten", "-o", "json"]
        if kubeconfig:
            cmd[1:1] = ["--kubeconfig", kubeconfig]
        cfg = json.loads(subprocess.run(cmd, check=True, capture_output=True,
                                        text=True).stdout)
        cluster = cfg["clusters"][0]["cluster"]
        user = cfg["users"][0].get("user", {}) if cfg.get("users") else {}
        url = urllib.parse.urlsplit(cluster["server"])
        self.host, self.port = url.hostname, url.port or 443
        self.prefix = url.path.rstrip("/")
        ctx = ssl.create_default_context()
        if cluster.get("certificate-authority-data"):
            ctx.load_verify_locations(
                cadata=base64.b64decode(cluster["certificate-authority-data"]).decode())
        if cluster.get("insecure-skip-tls-verify"):
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
        if user.get("client-certificate-data"):
            self._load_client_cert(ctx, user)
        self.ctx = ctx
        self.headers = {"User-Agent": user_agent, "Accept": "application/json"}
        if user.get("token"):
            self.headers["Authorization"] = "Bearer " + user["token"]
        self.conn = None

    @staticmethod
    def _load_client_cert(ctx, user):
        """ssl wants files: writes the pair to a private temp dir, loads it, removes it."""
        with tempfile.TemporaryDirectory(prefix="kubehttp-") as d:
            crt, key = os.path.join(d, "c.crt"), os.path.join(d, "c.key")
            for path, field in ((crt, "client-certificate-data"), (key, "client-key-data")):
                fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
                with os.fdopen(fd, "wb") as f:
                    f.write(base64.b64decode(user[field]))
            ctx.load_cert_chain(crt, key)

    def request(self, method, path, body=None, ctype="application/json", timeout=60):
        """Sends one request; returns the decoded JSON answer (None when empty).
        Raises KubeError on a status >= 400; reconnects once on a dropped connection."""
        data = None if body is None else (body if isinstance(body, bytes)
                                          else json.dumps(body).encode())
        headers = dict(self.headers)
        if data is not None:
            headers["Content-Type"] = ctype
        for attempt in (0, 1):
            if self.conn is None:
                self.conn = http.client.HTTPSConnection(self.host, self.port, context=self.ctx,
                                                        timeout=timeout)
            try:
                self.conn.request(method, self.prefix + path, body=data, headers=headers)
                r = self.conn.getresponse()
                text = r.read().decode(errors="replace")
                break
            except (http.client.HTTPException, OSError):
                self.conn.close()
                self.conn = None
                if attempt:
                    raise
        if r.status >= 400:
            raise KubeError(method, path, r.status, text)
        return json.loads(text) if text.strip() else None

    def get(self, path):
        return self.request("GET", path)

    def list_all(self, path):
        """Every item of a (possibly paged) list; path may already carry a query."""
        items, cont = [], ""
        sep = "&" if "?" in path else "?"
        while True:
            q = f"{sep}limit=500" + (f"&continue={urllib.parse.quote(cont)}" if cont else "")
            got = self.get(path + q)
            items.extend(got.get("items") or [])
            cont = (got.get("metadata") or {}).get("continue")
            if not cont:
                return items

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def verb_of(method, path):
    """The Kubernetes verb of one logged request: get, list, watch, create, update, patch,
    delete, deletecollection, or discovery (/api, /apis, /version, group documents)."""
    p, _, query = path.partition("?")
    segs = [s for s in p.split("/") if s]
    if not segs or segs[0] not in ("api", "apis"):
        return "discovery"
    rest = segs[2:] if segs[0] == "api" else segs[3:]
    if not rest:
        return "discovery"
    if rest[0] == "namespaces" and len(rest) >= 3:
        rest = rest[2:]
    named = len(rest) >= 2
    if method == "GET":
        if "watch=true" in query.split("&") or "watch=1" in query.split("&"):
            return "watch"
        return "get" if named else "list"
    return {"POST": "create", "PUT": "update", "PATCH": "patch",
            "DELETE": "delete" if named else "deletecollection"}.get(method, method.lower())
