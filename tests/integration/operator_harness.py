"""tests/integration/operator_harness.py - what test_operator.py needs around a running
appstack-operator: kubectl and the local API server's /_local endpoints (through
`kubectl --raw`, so any kubeconfig kubectl understands works), the operator process
(start, /readyz, /metrics, SIGTERM, SIGKILL, its requests picked out of the request log by
the identity in its User-Agent), the offline renderer as the independent oracle of the
expected children, a "fake kubelet" that plays the workload controllers the local API
server does not have, and polling with deadlines.

Python 3 standard library + kubectl only."""
import atexit
import base64
import collections
import json
import os
import re
import signal
import socket
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.environ.get("APPSTACK_BIN", os.path.join(ROOT, "bin"))
OPERATOR = os.path.join(BIN, "appstack-operator")
APPSTACKCTL = os.path.join(BIN, "appstackctl")
CRD = os.path.join(ROOT, "crds", "appstack.yaml")
KUBECONFIG = os.environ.get("KUBECONFIG")
LOCAL = os.environ.get("APPSTACK_LOCAL_APISERVER") == "1"
APISERVER_DIR = os.environ.get("APPSTACK_APISERVER_DIR")

STACK_LABEL = "appstack.io/stack"
MANAGED_BY = ("app.kubernetes.io/managed-by", "appstack-operator")
APPLIED_HASH = "appstack.io/applied-hash"
GROUP_VERSION = "appstack.io/v1alpha1"

# kind -> (API group, plural) of everything the renderer can produce.
KINDS = {
    "ServiceAccount": ("", "serviceaccounts"), "Secret": ("", "secrets"),
    "ConfigMap": ("", "configmaps"), "PersistentVolumeClaim": ("", "persistentvolumeclaims"),
    "Service": ("", "services"), "Deployment": ("apps", "deployments"),
    "StatefulSet": ("apps", "statefulsets"), "Job": ("batch", "jobs"),
    "CronJob": ("batch", "cronjobs"),
    "HorizontalPodAutoscaler": ("autoscaling", "horizontalpodautoscalers"),
    "PodDisruptionBudget": ("policy", "poddisruptionbudgets"),
    "NetworkPolicy": ("networking.k8s.io", "networkpolicies"),
    "Ingress": ("networking.k8s.io", "ingresses"),
    "HTTPRoute": ("gateway.networking.k8s.io", "httproutes"),
    "Certificate": ("cert-manager.io", "certificates"),
    "ServiceMonitor": ("monitoring.coreos.com", "servicemonitors"),
    "PrometheusRule": ("monitoring.coreos.com", "prometheusrules"),
}
# optional APIs: appstackctl --api name -> the group version whose presence enables it
OPTIONAL_APIS = {"cert-manager": "cert-manager.io/v1",
                 "prometheus-operator": "monitoring.coreos.com/v1",
                 "gateway-api": "gateway.networking.k8s.io/v1"}
OPTIONAL_KINDS = {"Certificate": "cert-manager.io/v1", "ServiceMonitor": "monitoring.coreos.com/v1",
                  "PrometheusRule": "monitoring.coreos.com/v1",
                  "HTTPRoute": "gateway.networking.k8s.io/v1"}


# ---- kubectl and /_local ---------------------------------------------------------------------

def kubectl(*args, stdin=None, check=True, timeout=60):
    """Runs kubectl; raises AssertionError with its stderr when check and it fails."""
    p = subprocess.run(["kubectl", *args], input=stdin, capture_output=True, text=True,
                       timeout=timeout)
    if check and p.returncode != 0:
        raise AssertionError(f"kubectl {' '.join(args)} failed: {p.stderr.strip()}")
    return p


def kjson(*args, check=True):
    """kubectl ... -o json, parsed; None when it fails and check is false."""
    p = kubectl(*args, "-o", "json", check=check)
    return json.loads(p.stdout) if p.returncode == 0 else None


def get(kind_or_resource, name, ns):
    """One object, or None when it does not exist."""
    p = kubectl("get", kind_or_resource, name, "-n", ns, "-o", "json", check=False)
    if p.returncode != 0:
        if "NotFound" in p.stderr or "not found" in p.stderr:
            return None
        raise AssertionError(f"kubectl get {kind_or_resource} {name}: {p.stderr.strip()}")
    return json.loads(p.stdout)


def apply_obj(obj, retry_seconds=0):
    """Server-side applies obj as kubectl (field manager kubectl). With retry_seconds, failed
    attempts (injected faults) are retried until that deadline."""
    deadline = time.monotonic() + retry_seconds
    while True:
        p = kubectl("apply", "--server-side", "--force-conflicts", "-f", "-",
                    stdin=json.dumps(obj), check=False)
        if p.returncode == 0:
            return p
        if time.monotonic() > deadline:
            raise AssertionError(f"kubectl apply {obj['kind']}/{obj['metadata']['name']}: "
                                 f"{p.stderr.strip()}")
        time.sleep(0.2)


def local(method, what, body=None):
    """method on /_local/<what> (local API server only); the parsed answer or None."""
    if method == "GET":
        p = kubectl("get", "--raw", f"/_local/{what}")
    elif method == "DELETE":
        p = kubectl("delete", "--raw", f"/_local/{what}")
    else:
        p = kubectl("create", "--raw", f"/_local/{what}", "-f", "-",
                    stdin=json.dumps(body if body is not None else {}))
    out = p.stdout.strip()
    return json.loads(out) if out else None


def request_log():
    return local("GET", "requests") or []


def clear_request_log():
    local("DELETE", "requests")


def set_faults(**faults):
    return local("POST", "faults", faults)


def clear_faults():
    local("DELETE", "faults")


def present_group_versions():
    return set(kubectl("api-versions").stdout.split())


def ensure_crd():
    kubectl("apply", "--server-side", "--force-conflicts", "-f", CRD)
    kubectl("wait", "--for=condition=Established", "crd/appstacks.appstack.io", "--timeout=30s")


def create_namespace(tag):
    ns = f"op-{tag}-{os.getpid() % 100000}-{int(time.time() * 1000) % 100000}"
    kubectl("create", "namespace", ns)
    return ns


def delete_namespace(ns, wait_seconds=0):
    """Deletes ns (background); with wait_seconds, waits up to that long for it to be gone
    (an AppStack's finalizer needs the operator). Returns True when gone."""
    kubectl("delete", "namespace", ns, "--wait=false", "--ignore-not-found", check=False)
    deadline = time.monotonic() + wait_seconds
    while True:
        p = kubectl("get", "namespace", ns, "-o", "name", check=False)
        if p.returncode != 0:
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.3)


# ---- waiting ---------------------------------------------------------------------------------

class Pending(Exception):
    """Raised by a wait_for condition to say why it is not met yet (shown on timeout)."""


def wait_for(what, fn, timeout=60.0, interval=0.25, diag=None):
    """Calls fn until it returns a truthy value (returned). fn may raise Pending(detail).
    On timeout raises AssertionError naming what, the last detail and diag() if given."""
    deadline = time.monotonic() + timeout
    detail = ""
    while True:
        try:
            v = fn()
            if v:
                return v
            detail = repr(v)
        except Pending as e:
            detail = str(e)
        if time.monotonic() > deadline:
            extra = ("\n" + diag()) if diag else ""
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}; last: "
                                 f"{detail}{extra}")
        time.sleep(interval)


# ---- request log -----------------------------------------------------------------------------

Req = collections.namedtuple("Req", "method group resource ns name sub watch discovery")


def parse_path(path):
    """The API request a logged path names: Req(method=None, group, resource, ns, name,
    subresource, watch, discovery)."""
    p, _, q = path.partition("?")
    query = urllib.parse.parse_qs(q)
    watch = query.get("watch", [""])[0] in ("true", "1")
    seg = [s for s in p.split("/") if s]
    if seg[:1] == ["api"] and len(seg) >= 2:
        group, rest = "", seg[2:]
    elif seg[:1] == ["apis"] and len(seg) >= 3:
        group, rest = seg[1], seg[3:]
    else:
        return Req(None, None, None, None, None, None, watch, True)
    if not rest:
        return Req(None, group, None, None, None, None, watch, True)
    ns = None
    if rest[0] == "namespaces" and len(rest) >= 3:
        ns, rest = rest[1], rest[2:]
    if rest[0] == "watch":  # legacy /watch/ prefix
        watch, rest = True, rest[1:]
    name = rest[1] if len(rest) > 1 else None
    sub = rest[2] if len(rest) > 2 else None
    return Req(None, group, rest[0], ns, name, sub, watch, False)


def classify(entry):
    """Req for one request log entry (method filled in)."""
    return parse_path(entry["path"])._replace(method=entry["method"])


def is_list_or_watch(entry):
    r = classify(entry)
    return entry["method"] == "GET" and not r.discovery and r.name is None


def summarize(entries, limit=40):
    """A short text of log entries for failure messages."""
    lines = [f"  {e['time']} {e['method']} {e['path']} -> {e['code']} ({e['userAgent'][-40:]})"
             for e in entries[:limit]]
    if len(entries) > limit:
        lines.append(f"  ... {len(entries) - limit} more")
    return "\n".join(lines)


# ---- the operator process --------------------------------------------------------------------

def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def parse_metrics(text):
    """Prometheus text -> [(name, {labels}, value)]."""
    out = []
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = re.match(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)', line)
        if not m:
            continue
        labels = dict(re.findall(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"', m.group(3) or ""))
        try:
            out.append((m.group(1), labels, float(m.group(4))))
        except ValueError:
            pass
    return out


_STARTED = []


@atexit.register
def _reap():
    """SIGKILLs the operators this Python process started and left running (a test run that
    died half-way must not leave them behind)."""
    for op in _STARTED:
        if op.proc.poll() is None:
            op.proc.kill()
            op.proc.wait()


class Operator:
    """One appstack-operator process, logging (stderr and stdout) to a file."""

    count = 0

    def __init__(self, workdir, namespace=None, sync_period="2s", leader=None, extra=(),
                 env=None):
        """leader: (lease namespace, lease name) for --leader-elect; env: added variables."""
        Operator.count += 1
        self.n = Operator.count
        self.mport, self.hport = free_port(), free_port()
        self.args = [OPERATOR, "--kubeconfig", KUBECONFIG,
                     "--metrics-bind-address", f"127.0.0.1:{self.mport}",
                     "--health-probe-bind-address", f"127.0.0.1:{self.hport}",
                     "--log-level", "debug"]
        if namespace:
            self.args += ["--namespace", namespace]
        if sync_period:
            self.args += ["--sync-period", sync_period]
        if leader:
            self.args += ["--leader-elect", "--leader-election-namespace", leader[0],
                          "--leader-election-id", leader[1]]
        self.args += list(extra)
        self.log_path = os.path.join(workdir, f"operator-{self.n}.log")
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(self.args, stdout=self.log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL,
                                     env=dict(os.environ, **env) if env else None)
        self.pid = self.proc.pid
        _STARTED.append(self)
        self.started = time.time()
        self.ready_at = None
        self.rc = None

    # -- identity: "appstack-operator/<v> (linux/<arch>) appstack <host>_<pid>_<hex>"
    def owns(self, entry):
        ua = entry.get("userAgent", "")
        return ua.startswith("appstack-operator/") and re.search(
            rf"appstack \S+_{self.pid}_[0-9a-fA-F]+$", ua) is not None

    def identity(self, entries=None):
        """The identity from this process's User-Agent in the request log, or None."""
        for e in entries if entries is not None else request_log():
            if self.owns(e):
                return e["userAgent"].rsplit(" ", 1)[-1]
        return None

    def requests(self, entries=None, ns=None):
        """This process's entries of the request log (optionally only those in namespace ns)."""
        out = []
        for e in entries if entries is not None else request_log():
            if self.owns(e) and (ns is None or classify(e).ns == ns):
                out.append(e)
        return out

    # -- endpoints
    def http(self, port, path, timeout=2):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=timeout) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode(errors="replace")
        except OSError:
            return 0, ""

    def wait_ready(self, timeout=30):
        def ready():
            if self.proc.poll() is not None:
                raise AssertionError(f"appstack-operator exited {self.proc.returncode} before "
                                     f"/readyz: {self.output()}")
            code, body = self.http(self.hport, "/readyz", timeout=1)
            if code == 200:
                return True
            raise Pending(f"/readyz {code} {body[:200]}")
        wait_for("appstack-operator /readyz", ready, timeout, 0.1, diag=self.output)
        self.ready_at = time.time()

    def metrics(self):
        code, body = self.http(self.mport, "/metrics")
        if code != 200:
            raise AssertionError(f"/metrics answered {code}: {body[:300]}")
        return parse_metrics(body)

    def metric(self, name, **labels):
        """Sum of the samples of name whose labels include labels."""
        return sum(v for n, lab, v in self.metrics()
                   if n == name and all(lab.get(k) == w for k, w in labels.items()))

    # -- lifecycle
    def alive(self):
        return self.proc.poll() is None

    def terminate(self, timeout=15):
        """SIGTERM; returns (exit status, seconds taken); SIGKILL after timeout (status None)."""
        if not self.alive():
            self.rc = self.proc.returncode
            return self.rc, 0.0
        t0 = time.monotonic()
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            self.rc = None
        self.log.close()
        return self.rc, time.monotonic() - t0

    def kill(self):
        """SIGKILL, at once."""
        if self.alive():
            self.proc.kill()
        self.rc = self.proc.wait()
        self.log.close()

    def output(self, limit=5000):
        try:
            if not self.log.closed:
                self.log.flush()
            with open(self.log_path, errors="replace") as f:
                text = f.read()
        except OSError:
            return ""
        return f"--- operator {self.n} (pid {self.pid}) log tail ---\n" + text[-limit:]

    def full_output(self):
        if not self.log.closed:
            self.log.flush()
        with open(self.log_path, errors="replace") as f:
            return f.read()


def workdir():
    return tempfile.mkdtemp(prefix="appstack-itest-operator-")


# ---- the oracle: appstackctl render -----------------------------------------------------------

def apis_for_render():
    """--api value matching the optional APIs this cluster serves."""
    present = present_group_versions()
    return ",".join(k for k, gv in OPTIONAL_APIS.items() if gv in present)


def render(stack, apis=None):
    """The children appstackctl renders for stack (JSON), as a list of objects."""
    args = [APPSTACKCTL, "render", "-f", "-", "-o", "json",
            "--namespace", stack["metadata"]["namespace"]]
    if apis:
        args += ["--api", apis]
    p = subprocess.run(args, input=json.dumps(stack), capture_output=True, text=True, timeout=30)
    if p.returncode != 0:
        raise AssertionError(f"appstackctl render failed ({p.returncode}): {p.stderr}")
    items = json.loads(p.stdout)["items"]
    present = present_group_versions()
    return [o for o in items
            if o["kind"] not in OPTIONAL_KINDS or OPTIONAL_KINDS[o["kind"]] in present]


def group_of(api_version):
    return api_version.rsplit("/", 1)[0] if "/" in api_version else ""


def norm_name(kind, name):
    """name, with the hash suffix of a Job (<stack>-<c>-m<hash8>, <stack>-postgres-s<hash8>)
    masked: it hashes the whole Job spec, generated secret values included, which the
    offline render has only as placeholders."""
    if kind == "Job":
        return re.sub(r"-([ms])[0-9a-f]{8}$", r"-\1<hash>", name)
    return name


def key(obj):
    """Identity of a child: (API group, kind, name) - the version does not matter."""
    return (group_of(obj["apiVersion"]), obj["kind"],
            norm_name(obj["kind"], obj["metadata"]["name"]))


def req_key(kind, name):
    """(plural, name) as requests name a child."""
    return (KINDS[kind][1], name)


def by_key(objs):
    return {key(o): o for o in objs}


def comparable(obj):
    """A rendered object without what differs between two offline renders for no reason."""
    return json.dumps(obj, sort_keys=True)


def changed_keys(before, after):
    """Keys of after whose rendered object is new or differs from before."""
    b, a = by_key(before), by_key(after)
    return {k for k, o in a.items() if k not in b or comparable(b[k]) != comparable(o)}


def child_resources(present=None):
    """kubectl resource names (plural.group) of every child kind served by this cluster."""
    present = present if present is not None else present_group_versions()
    out = []
    for kind, (group, plural) in KINDS.items():
        if kind in OPTIONAL_KINDS and OPTIONAL_KINDS[kind] not in present:
            continue
        out.append(f"{plural}.{group}" if group else plural)
    return out


_RESOURCES = None


def live_children(ns, stack_name):
    """Every object in ns labelled appstack.io/stack=stack_name, of the child kinds."""
    global _RESOURCES
    if _RESOURCES is None:
        _RESOURCES = ",".join(child_resources())
    d = kjson("get", _RESOURCES, "-n", ns, "-l", f"{STACK_LABEL}={stack_name}")
    return d.get("items", [])


def controller_ref(obj):
    for r in obj["metadata"].get("ownerReferences") or []:
        if r.get("controller"):
            return r
    return None


def conditions(obj):
    return {c["type"]: c for c in (obj.get("status") or {}).get("conditions") or []}


def secret_values(secret):
    """{key: decoded value} of a Secret."""
    return {k: base64.b64decode(v).decode(errors="replace")
            for k, v in (secret.get("data") or {}).items()}


# ---- the fake kubelet --------------------------------------------------------------------------

def _now():
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def workload_status(obj):
    """The status patch a healthy controller would write for obj now, or None when its status
    already says so. Deployments and StatefulSets: every replica of the current generation is
    updated, ready and available; Jobs: complete."""
    st = obj.get("status") or {}
    gen = obj["metadata"].get("generation", 1)
    kind = obj["kind"]
    if kind == "Job":
        conds = {c["type"]: c.get("status") for c in st.get("conditions") or []}
        if conds.get("Complete") == "True":
            return None
        now = _now()
        return {"startTime": st.get("startTime") or now, "completionTime": now, "succeeded": 1,
                "active": 0, "ready": 0, "terminating": 0,
                "conditions": [
                    {"type": "SuccessCriteriaMet", "status": "True", "reason": "CompletionsReached",
                     "message": "fake kubelet", "lastProbeTime": now, "lastTransitionTime": now},
                    {"type": "Complete", "status": "True", "reason": "CompletionsReached",
                     "message": "fake kubelet", "lastProbeTime": now, "lastTransitionTime": now}]}
    r = obj["spec"].get("replicas", 1)
    want = {"observedGeneration": gen, "replicas": r, "updatedReplicas": r, "readyReplicas": r,
            "availableReplicas": r}
    if kind == "StatefulSet":
        rev = f"{obj['metadata']['name']}-g{gen}"
        want.update(currentReplicas=r, currentRevision=rev, updateRevision=rev)
    if all(st.get(k, 0 if isinstance(v, int) else None) == v for k, v in want.items()):
        return None
    if kind == "Deployment":
        now = _now()
        want["conditions"] = [
            {"type": "Available", "status": "True", "reason": "MinimumReplicasAvailable",
             "message": "fake kubelet", "lastUpdateTime": now, "lastTransitionTime": now},
            {"type": "Progressing", "status": "True", "reason": "NewReplicaSetAvailable",
             "message": "fake kubelet", "lastUpdateTime": now, "lastTransitionTime": now}]
    return want


class Kubelet:
    """Plays the Deployment, StatefulSet and Job controllers for the operator's children in a
    namespace (the local API server has none, so workload status never changes by itself):
    every pass marks what is not yet so as rolled out and ready, or complete. Runs in a thread
    until stop(); errors (injected faults) are retried on the next pass. On a real cluster the
    real controllers do this, so it does nothing unless LOCAL."""

    def __init__(self, ns, interval=0.4):
        self.ns = ns
        self.interval = interval
        self.writes = 0
        self._stop = threading.Event()
        self._thread = None

    def sync_once(self):
        """One pass; returns the number of status writes that succeeded."""
        p = kubectl("get", "deployments.apps,statefulsets.apps,jobs.batch", "-n", self.ns,
                    "-l", "=".join(MANAGED_BY), "-o", "json", check=False)
        if p.returncode != 0:
            return 0
        done = 0
        for obj in json.loads(p.stdout).get("items", []):
            patch = workload_status(obj)
            if patch is None:
                continue
            plural = KINDS[obj["kind"]][1] + "." + KINDS[obj["kind"]][0]
            q = kubectl("patch", plural, obj["metadata"]["name"], "-n", self.ns,
                        "--subresource=status", "--type=merge",
                        "-p", json.dumps({"status": patch}), check=False)
            if q.returncode == 0:
                done += 1
        self.writes += done
        return done

    def start(self):
        if not LOCAL:
            return self
        self._thread = threading.Thread(target=self._run, daemon=True,
                                        name=f"kubelet-{self.ns}")
        self._thread.start()
        return self

    def _run(self):
        while not self._stop.is_set():
            try:
                self.sync_once()
            except Exception:  # noqa: BLE001 - keep playing through faults and restarts
                pass
            self._stop.wait(self.interval)

    def stop(self):
        self._stop.set()
        if self._thread:
            self._thread.join(30)
            self._thread = None
