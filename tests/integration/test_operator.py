"""tests/integration/test_operator.py - appstack-operator against an API server (the local
one in CI, or TEST_KUBECONFIG), seen from outside: kubectl, the operator's /readyz and
/metrics, and the local server's request log (GET /_local/requests), filtered to one
operator process by the identity in its User-Agent.

What each test proves (issue 5, "Done when"):
  01 create gives every expected child (appstackctl render is the oracle), each with the
     controller ownerReference, the labels and the applied-hash; inventory, conditions,
     kubectl wait --for=condition=Ready; no secret value in the operator's log
  02 a spec change writes only the children whose rendering changed (one PATCH each)
  03 a deleted child comes back; a deleted generated Secret is made again and its users roll
  04 a hand-edited managed field is put back; a foreign annotation survives that apply
  05 removing a component prunes its children, with Pruned Events
  06 deleting the stack: Retain keeps claims and generated secrets (a re-created stack
     finds the same passwords), Delete removes them and the finalizer lets the stack go
  07 zero writes on resync and on an operator restart; only list/watch reads
  08 SIGKILL mid-reconcile, restart: converges, no duplicate, no orphan, secrets unchanged
  09 500 and 429 storms, cut watches, a forced 410 and an API server restart converge
  10 two replicas with leader election never both write; the standby takes over
  11 a migration Job runs (and completes) before its Deployment changes (docs/api.md)
  12 an invalid spec the API server accepts: Stalled=True InvalidSpec naming the field, a
     Warning Event, nothing running touched; fixing it recovers
  13 a changed secrets.fromExisting Secret rolls its users; the HPA's replicas are kept

The local API server has no workload controllers: a fake kubelet (operator_harness.Kubelet)
marks the stack's Deployments/StatefulSets rolled out and its Jobs complete. Tests 01-06
and 11-13 share one operator watching all namespaces on the local server (each test has its
own namespace); 07-10 run their own processes with --namespace. On a real cluster every test
gets its own --namespace operator, the request-log and fault tests skip with the reason,
and Ready is not awaited (the example images do not run).

Run: python3 tests/run.py --tier integration (or tests/pyunit.py tests/integration with
KUBECONFIG, APPSTACK_LOCAL_APISERVER=1 and APPSTACK_APISERVER_DIR of a local server).
"""
import calendar
import collections
import json
import os
import re
import shutil
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import operator_harness as h  # noqa: E402

# ---- stacks ------------------------------------------------------------------------------------

REG = "registry.example.com/itest"


def big_stack(name, ns, tag="1.0.0", policy="Retain"):
    """Web with a migration and 2 replicas, worker, cron, postgres, redis, a generated secret,
    a self-signed TLS Ingress: most kinds the renderer makes (36 children)."""
    return {"apiVersion": h.GROUP_VERSION, "kind": "AppStack",
            "metadata": {"name": name, "namespace": ns},
            "spec": {"components": [
                {"name": "api", "type": "web", "image": f"{REG}/api:{tag}", "port": 8080,
                 "replicas": 2, "connections": [{"name": "postgres"}, {"name": "redis"}],
                 "envFrom": [{"secretRef": "app"}], "migrate": {"command": ["./migrate"]}},
                {"name": "worker", "type": "worker", "image": f"{REG}/worker:{tag}",
                 "connections": [{"name": "redis"}]},
                {"name": "report", "type": "cron", "image": f"{REG}/worker:{tag}",
                 "schedule": "0 3 * * *"}],
                "ingress": {"host": f"{name}.example.test", "tls": {"selfSigned": True},
                            "routes": [{"path": "/", "component": "api"}]},
                "services": {"postgres": {"databases": [{"name": "app"}]}, "redis": {}},
                "secrets": {"generate": [{"name": "app", "keys": ["SECRET_KEY"]}]},
                "deletionPolicy": policy}}


def mid_stack(name, ns, tag="1.0.0", extra_components=()):
    """A web component, a worker, redis and a generated secret (19 children)."""
    return {"apiVersion": h.GROUP_VERSION, "kind": "AppStack",
            "metadata": {"name": name, "namespace": ns},
            "spec": {"components": [
                {"name": "api", "type": "web", "image": f"{REG}/api:{tag}", "port": 8080,
                 "connections": [{"name": "redis"}], "envFrom": [{"secretRef": "app"}]},
                {"name": "worker", "type": "worker", "image": f"{REG}/worker:{tag}",
                 "connections": [{"name": "redis"}]}] + list(extra_components),
                "services": {"redis": {}},
                "secrets": {"generate": [{"name": "app", "keys": ["SECRET_KEY", "TOKEN"]}]}}}


def data_stack(name, ns, policy):
    """A web component with postgres (backup claim) and a generated secret."""
    return {"apiVersion": h.GROUP_VERSION, "kind": "AppStack",
            "metadata": {"name": name, "namespace": ns},
            "spec": {"components": [
                {"name": "web", "type": "web", "image": f"{REG}/web:1.0.0", "port": 8080,
                 "connections": [{"name": "postgres"}], "envFrom": [{"secretRef": "app"}]}],
                "services": {"postgres": {"databases": [{"name": "app"}]}},
                "secrets": {"generate": [{"name": "app", "keys": ["SECRET_KEY"]}]},
                "deletionPolicy": policy}}


def set_image(stack, component, image):
    for c in stack["spec"]["components"]:
        if c["name"] == component:
            c["image"] = image
            return stack
    raise KeyError(component)


_APIS = None


def render(stack):
    global _APIS
    if _APIS is None:
        _APIS = h.apis_for_render()
    return h.render(stack, _APIS)


def log_time(entry):
    """Unix seconds of a request log entry's "time" (UTC, milliseconds)."""
    t = entry["time"]
    base, _, frac = t.rstrip("Z").partition(".")
    return calendar.timegm(time.strptime(base, "%Y-%m-%dT%H:%M:%S")) + int(frac or 0) / 1000.0


# kinds whose status no controller writes on a real cluster (resourceVersion moves only when
# someone writes the object)
NO_CONTROLLER = {"ServiceAccount", "Secret", "ConfigMap", "NetworkPolicy", "Service"}


def write_marks(objs):
    """{key: what changes when the operator writes the object}: the resourceVersion on the
    local server (and for kinds no controller updates); on a real cluster, whose controllers
    write workload and claim status, the generation, labels and applied-hash annotation."""
    out = {}
    for o in objs:
        md = o["metadata"]
        if h.LOCAL or o["kind"] in NO_CONTROLLER:
            out[h.key(o)] = md["resourceVersion"]
        else:
            out[h.key(o)] = json.dumps([md.get("generation"), md.get("labels"),
                                        (md.get("annotations") or {}).get(h.APPLIED_HASH)],
                                       sort_keys=True)
    return out


def tls_secret_key(stack):
    if (stack["spec"].get("ingress", {}).get("tls") or {}).get("selfSigned"):
        return ("", "Secret", stack["metadata"]["name"] + "-tls")
    return None


def skip_reason():
    if not h.KUBECONFIG:
        return "KUBECONFIG is not set (run through tests/run.py --tier integration)"
    if not os.path.exists(h.OPERATOR) or not os.path.exists(h.APPSTACKCTL):
        return "appstack-operator or appstackctl is not built (make)"
    try:
        p = subprocess.run([h.OPERATOR, "--help"], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError) as e:
        return f"appstack-operator --help cannot run: {e}"
    if p.returncode != 0 or "--kubeconfig" not in p.stdout:
        return "appstack-operator --help does not work"
    return None


SKIP = skip_reason()
NEEDS_LOG = "needs the local API server's request log (/_local/requests); not on a real cluster"


class OperatorTestBase(unittest.TestCase):
    """Namespaces, operators and kubelets of one test, torn down in a safe order: kubelets
    stop, namespaces are deleted while an operator still runs (an AppStack's finalizer needs
    it), then the test's own operators get SIGTERM and must exit 0."""

    shared = None  # class-wide operator (all namespaces), local server only
    workdir = None

    @classmethod
    def setUpClass(cls):
        h.ensure_crd()
        cls.workdir = h.workdir()

    @classmethod
    def tearDownClass(cls):
        # failures carry the operator's log in their message; APPSTACK_KEEP_TEST_LOGS=1 keeps it
        if cls.workdir and not os.environ.get("APPSTACK_KEEP_TEST_LOGS"):
            shutil.rmtree(cls.workdir, ignore_errors=True)

    def setUp(self):
        self.namespaces, self.operators, self.kubelets = [], [], []
        self.addCleanup(self._teardown)

    def _teardown(self):
        for k in self.kubelets:
            k.stop()
        if self.shared is not None and not self.shared.alive():
            out, self.__class__.shared = self.shared.output(), None
            raise AssertionError(f"the shared operator died\n{out}")
        alive = any(o.alive() for o in self.operators) or (self.shared and self.shared.alive())
        stuck = [ns for ns in self.namespaces
                 if not h.delete_namespace(ns, wait_seconds=20 if alive else 0) and alive]
        bad = []
        for o in self.operators:
            if o.alive():
                rc, took = o.terminate()
                if rc != 0:
                    bad.append(f"operator {o.n} exited {rc} after SIGTERM ({took:.1f}s)\n"
                               f"{o.output()}")
        if stuck:
            print(f"WARNING: namespaces still present after 20s: {stuck}", file=sys.stderr)
        if bad:
            raise AssertionError("\n".join(bad))

    # -- resources of a test
    def new_ns(self, tag):
        ns = h.create_namespace(tag)
        self.namespaces.append(ns)
        return ns

    def start_operator(self, namespace=None, sync_period="2s", leader=None, ready=True,
                       env=None):
        op = h.Operator(self.workdir, namespace=namespace, sync_period=sync_period,
                        leader=leader, env=env)
        self.operators.append(op)
        if ready:
            op.wait_ready()
        return op

    def operator_for(self, ns):
        """The shared operator (local server), else one of this test's own for ns."""
        if self.shared is not None:
            return self.shared
        return self.start_operator(namespace=ns)

    def kubelet(self, ns):
        k = h.Kubelet(ns).start()
        self.kubelets.append(k)
        return k

    def stop_kubelets(self):
        for k in self.kubelets:
            k.stop()

    # -- diagnostics and waiting
    def diag(self, ns=None, name=None):
        parts = []
        if ns and name:
            st = h.get("appstacks.appstack.io", name, ns)
            parts.append(f"--- appstack {ns}/{name} status ---\n"
                         f"{json.dumps((st or {}).get('status'), indent=1)[:3000]}")
        ops = ([self.shared] if self.shared else []) + self.operators
        parts += [o.output(3000) for o in ops]
        return "\n".join(parts)

    def wait(self, what, fn, timeout=60, ns=None, name=None, interval=0.25):
        return h.wait_for(what, fn, timeout, interval, diag=lambda: self.diag(ns, name))

    def create(self, stack):
        h.apply_obj(stack)
        return self.stack(stack)

    def stack(self, stack):
        return h.get("appstacks.appstack.io", stack["metadata"]["name"],
                     stack["metadata"]["namespace"])

    def wait_converged(self, stack, timeout=60):
        """Waits until status.observedGeneration == metadata.generation, Reconciling is False
        and Stalled is not True; returns the AppStack. On a real cluster Reconciling is not
        awaited: the test images do not run, so rollouts never finish there."""
        ns, name = stack["metadata"]["namespace"], stack["metadata"]["name"]

        def done():
            s = h.get("appstacks.appstack.io", name, ns)
            if s is None:
                raise h.Pending("the AppStack does not exist")
            st = s.get("status") or {}
            conds = h.conditions(s)
            if st.get("observedGeneration") != s["metadata"]["generation"]:
                raise h.Pending(f"observedGeneration {st.get('observedGeneration')} != "
                                f"generation {s['metadata']['generation']}")
            rec = conds.get("Reconciling", {})
            if h.LOCAL and rec.get("status") != "False":
                raise h.Pending(f"Reconciling {rec.get('status')} {rec.get('reason')}: "
                                f"{rec.get('message')}")
            if conds.get("Stalled", {}).get("status") == "True":
                raise h.Pending(f"Stalled: {conds['Stalled'].get('message')}")
            return s
        return self.wait(f"{ns}/{name} to converge", done, timeout, ns, name)

    def wait_ready(self, stack, timeout=60):
        """kubectl wait --for=condition=Ready (local server: the fake kubelet must run)."""
        ns, name = stack["metadata"]["namespace"], stack["metadata"]["name"]
        if not h.LOCAL:
            return self.wait_converged(stack, timeout)
        p = h.kubectl("wait", "--for=condition=Ready", f"appstack/{name}", "-n", ns,
                      f"--timeout={timeout}s", check=False, timeout=timeout + 30)
        if p.returncode != 0:
            self.fail(f"kubectl wait --for=condition=Ready appstack/{name}: {p.stderr}\n"
                      f"{self.diag(ns, name)}")
        return self.stack(stack)

    def wait_children(self, stack, expected_keys, timeout=60):
        """Waits until the labelled children are exactly expected_keys; returns them by key."""
        ns, name = stack["metadata"]["namespace"], stack["metadata"]["name"]

        def exact():
            live = h.by_key(h.live_children(ns, name))
            missing = sorted(set(expected_keys) - set(live))
            extra = sorted(set(live) - set(expected_keys))
            if missing or extra:
                raise h.Pending(f"missing {missing[:8]} extra {extra[:8]}")
            return live
        return self.wait(f"the children of {ns}/{name}", exact, timeout, ns, name)

    def wait_image(self, stack, component, image, timeout=60):
        ns, name = stack["metadata"]["namespace"], stack["metadata"]["name"]

        def applied():
            d = h.get("deployments.apps", f"{name}-{component}", ns)
            got = [c["image"] for c in d["spec"]["template"]["spec"]["containers"]] if d else []
            if image not in got:
                raise h.Pending(f"images {got}")
            return d
        return self.wait(f"{name}-{component} to run {image}", applied, timeout, ns, name)

    def settle(self, op, ns, quiet=2.0, timeout=30):
        """Waits until op made no write in ns for `quiet` seconds (local server)."""
        def quiet_now():
            writes = [e for e in op.requests(ns=ns) if e["method"] != "GET"]
            last = max((log_time(e) for e in writes), default=0)
            if time.time() - last < quiet:
                raise h.Pending(f"last write {time.time() - last:.1f}s ago")
            return True
        self.wait(f"operator {op.n} to stop writing in {ns}", quiet_now, timeout)

    def assert_owned(self, obj, uid, stack_name):
        what = f"{obj['kind']}/{obj['metadata']['name']}"
        ref = h.controller_ref(obj)
        self.assertIsNotNone(ref, f"{what} has no controller ownerReference")
        self.assertEqual((ref.get("apiVersion"), ref.get("kind"), ref.get("name"),
                          ref.get("uid")), (h.GROUP_VERSION, "AppStack", stack_name, uid), what)
        labels = obj["metadata"].get("labels") or {}
        self.assertEqual(labels.get(h.MANAGED_BY[0]), h.MANAGED_BY[1], what)
        self.assertEqual(labels.get(h.STACK_LABEL), stack_name, what)

    def inventory_keys(self, appstack):
        return {(h.group_of(i["apiVersion"]), i["kind"], h.norm_name(i["kind"], i["name"]))
                for i in (appstack.get("status") or {}).get("inventory") or []}


# ---- 01-06: one shared operator ----------------------------------------------------------------

@unittest.skipIf(SKIP is not None, SKIP or "")
class OperatorReconcile(OperatorTestBase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        if h.LOCAL:
            cls.shared = h.Operator(cls.workdir, sync_period="3s")
            try:
                cls.shared.wait_ready()
            except AssertionError:
                cls.shared.kill()
                raise

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        if cls.shared is not None:
            rc, took = cls.shared.terminate()
            out = cls.shared.output()
            cls.shared = None
            if rc != 0 or took > 10:
                raise AssertionError(f"shared operator: SIGTERM gave exit {rc} after "
                                     f"{took:.1f}s (want 0 within 10s)\n{out}")

    def test_01_create_gives_every_expected_child(self):
        ns = self.new_ns("create")
        op = self.operator_for(ns)
        stack = big_stack("shop", ns)
        desired = render(stack)
        expected = set(h.by_key(desired)) | {tls_secret_key(stack)}
        created = self.create(stack)
        uid = created["metadata"]["uid"]
        self.kubelet(ns)
        live = self.wait_children(stack, expected)
        rendered = h.by_key(desired)
        for k, obj in live.items():
            self.assert_owned(obj, uid, "shop")
            if k in rendered:
                want = rendered[k]["metadata"].get("labels") or {}
                got = obj["metadata"].get("labels") or {}
                self.assertEqual({x: got.get(x) for x in want}, want, f"labels of {k}")
            generated = obj["kind"] == "Secret"  # POSTed once, not applied
            if not generated:
                self.assertIn(h.APPLIED_HASH, obj["metadata"].get("annotations") or {},
                              f"{k} has no {h.APPLIED_HASH} annotation")
        tls = live[tls_secret_key(stack)]
        self.assertEqual(tls.get("type"), "kubernetes.io/tls")
        self.assertLessEqual({"tls.crt", "tls.key"}, set(tls.get("data") or {}))
        cert = subprocess.run(["openssl", "x509", "-noout", "-text"], capture_output=True,
                              text=True, input=h.secret_values(tls)["tls.crt"])
        self.assertEqual(cert.returncode, 0, cert.stderr)
        self.assertIn("DNS:shop.example.test", cert.stdout)
        app = h.secret_values(live[("", "Secret", "shop-app")])
        self.assertRegex(app.get("SECRET_KEY", ""), r"^[0-9a-f]{64}$")  # 32 bytes, hex

        s = self.wait_ready(stack)
        st = s["status"]
        self.assertEqual(st.get("observedGeneration"), s["metadata"]["generation"])
        inv = self.inventory_keys(s)
        inv.discard(tls_secret_key(stack))  # made by the operator, not rendered: either way
        self.assertEqual(inv, set(rendered), "status.inventory is not the rendered set")
        conds = h.conditions(s)
        if h.LOCAL:
            self.assertEqual((conds["Ready"]["status"], conds["Ready"]["reason"]),
                             ("True", "Available"))
            self.assertEqual((conds["Reconciling"]["status"], conds["Reconciling"]["reason"]),
                             ("False", "Reconciled"))
        self.assertEqual((conds["Stalled"]["status"], conds["Stalled"]["reason"]),
                         ("False", "NotStalled"))
        for c in conds.values():
            self.assertEqual(c.get("observedGeneration"), s["metadata"]["generation"], c)
        # no generated value ever reaches the operator's log (debug level)
        text = op.full_output()
        for k in (("", "Secret", "shop-app"), ("", "Secret", "shop-postgres"),
                  ("", "Secret", "shop-redis"), tls_secret_key(stack)):
            for name, value in h.secret_values(live[k]).items():
                if len(value) >= 12:
                    self.assertNotIn(value, text, f"{k[2]}/{name} appears in the operator log")

    def test_02_spec_change_writes_only_affected_children(self):
        ns = self.new_ns("change")
        op = self.operator_for(ns)
        stack = mid_stack("calc", ns)
        before = render(stack)
        self.create(stack)
        self.kubelet(ns)
        self.wait_ready(stack)
        if h.LOCAL:
            self.settle(op, ns)
        rv0 = write_marks(h.live_children(ns, "calc"))
        if h.LOCAL:
            h.clear_request_log()
        set_image(stack, "worker", f"{REG}/worker:1.1.0")
        after = render(stack)
        changed = h.changed_keys(before, after)
        self.assertEqual(set(h.by_key(after)), set(h.by_key(before)))  # same objects
        self.assertIn(("apps", "Deployment", "calc-worker"), changed)
        self.assertLess(len(changed), len(after) / 2, "the oracle says too much changed")
        h.apply_obj(stack)
        self.wait_image(stack, "worker", f"{REG}/worker:1.1.0")
        self.wait_ready(stack)
        if h.LOCAL:
            self.settle(op, ns)
        rv1 = write_marks(h.live_children(ns, "calc"))
        for k in set(rv0) - changed:
            self.assertEqual(rv1.get(k), rv0[k], f"{k} was written though its rendering did "
                                                 "not change")
        for k in changed:
            self.assertNotEqual(rv1.get(k), rv0.get(k), f"{k} was not updated")
        if not h.LOCAL:
            return
        writes = [e for e in op.requests(ns=ns) if e["method"] != "GET"]
        child = [e for e in writes if h.classify(e).resource not in ("events", "appstacks")]
        patched = collections.Counter((h.classify(e).resource, h.classify(e).name)
                                      for e in child if e["method"] == "PATCH")
        want = {h.req_key(k[1], k[2]) for k in changed}
        self.assertEqual(set(patched), want, "PATCHed children != children whose rendering "
                         f"changed\n{h.summarize(child)}")
        self.assertEqual([e for e in child if e["method"] != "PATCH"], [],
                         "only PATCHes expected")
        self.assertEqual(sum(patched.values()), len(want),
                         f"one PATCH per changed child expected\n{h.summarize(child)}")
        for e in child:
            q = h.classify(e)
            self.assertIn("fieldManager=appstack-operator", e["path"], e["path"])
            self.assertIn("force=true", e["path"], e["path"])
            self.assertLess(e["code"], 300, f"{q} answered {e['code']}")
        status = [e for e in writes if h.classify(e).resource == "appstacks"]
        self.assertTrue(all(h.classify(e).sub == "status" for e in status),
                        h.summarize(status))

    def test_03_deleted_children_come_back(self):
        ns = self.new_ns("heal")
        op = self.operator_for(ns)
        stack = mid_stack("heal", ns)
        expected = set(h.by_key(render(stack)))
        uid = self.create(stack)["metadata"]["uid"]
        self.kubelet(ns)
        live = self.wait_children(stack, expected)
        self.wait_converged(stack)

        def back(old):
            def check():
                now = h.by_key(h.live_children(ns, "heal"))
                for k, u in old.items():
                    if k not in now or now[k]["metadata"]["uid"] == u:
                        raise h.Pending(f"{k} not re-created yet")
                return now
            now = self.wait(f"{sorted(old)} to come back", check, 60, ns, "heal")
            for k in old:
                self.assert_owned(now[k], uid, "heal")
            return now
        svc, dep, sec = (("", "Service", "heal-api"), ("apps", "Deployment", "heal-api"),
                         ("", "Secret", "heal-app"))
        h.kubectl("delete", "service/heal-api", "deployment.apps/heal-api", "-n", ns,
                  "--wait=false")
        live = back({k: live[k]["metadata"]["uid"] for k in (svc, dep)})
        self.wait_converged(stack)
        # a generated Secret, deleted alone once the stack is quiet (deleted together with
        # other children, a pass that read it before the delete may re-make it with the old
        # values: see the report of this suite)
        if h.LOCAL:
            self.settle(op, ns)
        old_values = h.secret_values(live[sec])
        old_hash = (live[dep]["spec"]["template"]["metadata"].get("annotations") or {}).get(
            "appstack.io/config-hash")
        self.assertTrue(old_hash, "the api pod template has no appstack.io/config-hash")
        h.kubectl("delete", "secret/heal-app", "-n", ns, "--wait=false")
        now = back({sec: live[sec]["metadata"]["uid"]})
        values = h.secret_values(now[sec])
        self.assertEqual(sorted(values), sorted(old_values))
        for name in values:
            self.assertNotEqual(values[name], old_values[name],
                                f"heal-app/{name}: a re-made secret must get a new value")

        def rolled():
            d = h.get("deployments.apps", "heal-api", ns)
            got = (d["spec"]["template"]["metadata"].get("annotations") or {}).get(
                "appstack.io/config-hash")
            if got == old_hash:
                raise h.Pending("config-hash unchanged")
            return True
        self.wait("heal-api to roll after its secret changed", rolled, 60, ns, "heal")
        self.wait_converged(stack)

    def test_04_hand_edit_reverted_foreign_annotation_kept(self):
        ns = self.new_ns("edit")
        self.operator_for(ns)
        stack = mid_stack("edit", ns)
        rendered = h.by_key(render(stack))
        self.create(stack)
        self.kubelet(ns)
        self.wait_children(stack, set(rendered))
        self.wait_converged(stack)
        h.kubectl("annotate", "deployment.apps/edit-api", "-n", ns, "example.com/owner=team")
        image = rendered[("apps", "Deployment", "edit-api")]["spec"]["template"]["spec"][
            "containers"][0]["image"]
        h.kubectl("patch", "deployment.apps/edit-api", "-n", ns, "--type=json", "-p", json.dumps(
            [{"op": "replace", "path": "/spec/template/spec/containers/0/image",
              "value": f"{REG}/evil:6.6.6"}]))
        want_types = rendered[("networking.k8s.io", "NetworkPolicy", "edit-default-deny")][
            "spec"]["policyTypes"]
        self.assertIn("Egress", want_types)
        h.kubectl("patch", "networkpolicy.networking.k8s.io/edit-default-deny", "-n", ns,
                  "--type=merge", "-p", json.dumps({"spec": {"policyTypes": ["Ingress"]}}))

        def reverted():
            d = h.get("deployments.apps", "edit-api", ns)
            np = h.get("networkpolicies.networking.k8s.io", "edit-default-deny", ns)
            img = d["spec"]["template"]["spec"]["containers"][0]["image"]
            if img != image or np["spec"].get("policyTypes") != want_types:
                raise h.Pending(f"image {img}, policyTypes {np['spec'].get('policyTypes')}")
            return d
        d = self.wait("the hand edits to be reverted", reverted, 60, ns, "edit")
        self.assertEqual((d["metadata"].get("annotations") or {}).get("example.com/owner"),
                         "team", "the foreign annotation was removed by the operator")
        self.wait_converged(stack)
        d = h.get("deployments.apps", "edit-api", ns)
        self.assertEqual((d["metadata"].get("annotations") or {}).get("example.com/owner"),
                         "team")

    def test_05_removed_component_is_pruned(self):
        ns = self.new_ns("prune")
        op = self.operator_for(ns)
        admin = {"name": "admin", "type": "web", "image": f"{REG}/admin:1.0.0", "port": 8080,
                 "replicas": 2, "connections": [{"name": "api"}]}
        stack = mid_stack("prn", ns, extra_components=[admin])
        before = h.by_key(render(stack))
        uid = self.create(stack)["metadata"]["uid"]
        self.kubelet(ns)
        live0 = self.wait_children(stack, set(before))
        self.wait_converged(stack)
        stack["spec"]["components"] = [c for c in stack["spec"]["components"]
                                       if c["name"] != "admin"]
        after = h.by_key(render(stack))
        gone = set(before) - set(after)
        self.assertTrue({("apps", "Deployment", "prn-admin"), ("", "Service", "prn-admin"),
                         ("policy", "PodDisruptionBudget", "prn-admin")} <= gone, gone)
        if h.LOCAL:
            h.clear_request_log()
        h.apply_obj(stack)
        live = self.wait_children(stack, set(after))
        for k in after:
            self.assertEqual(live[k]["metadata"]["uid"], live0[k]["metadata"]["uid"],
                             f"{k} was re-created")
        s = self.wait_converged(stack)
        self.assertEqual(self.inventory_keys(s), set(after))

        def pruned_events():
            evs = h.kjson("get", "events", "-n", ns)["items"]
            msgs = [e.get("message", "") for e in evs
                    if e.get("reason") == "Pruned" and
                    (e.get("involvedObject") or {}).get("uid") == uid]
            missing = [k for k in gone if not any(k[2] in m and k[1] in m for m in msgs)]
            if missing:
                raise h.Pending(f"no Pruned event for {missing}; got {msgs}")
            return msgs
        self.wait("Pruned events", pruned_events, 30, ns, "prn")
        if h.LOCAL:
            deletes = [e for e in op.requests(ns=ns) if e["method"] == "DELETE"]
            self.assertEqual({(h.classify(e).resource, h.classify(e).name) for e in deletes},
                             {h.req_key(k[1], k[2]) for k in gone}, h.summarize(deletes))

    def test_06_delete_keeps_data_per_policy(self):
        ns = self.new_ns("delete")
        self.operator_for(ns)
        keep, drop = data_stack("keep", ns, "Retain"), data_stack("drop", ns, "Delete")
        data = {}
        for s in (keep, drop):
            rendered = render(s)
            data[s["metadata"]["name"]] = {
                h.key(o) for o in rendered if o["kind"] == "PersistentVolumeClaim" or
                (o["kind"] == "Secret" and o.get("type", "Opaque") == "Opaque")}
            self.create(s)
            self.wait_children(s, set(h.by_key(rendered)))
        self.assertIn(("", "PersistentVolumeClaim", "keep-postgres-backup"), data["keep"])
        self.assertIn(("", "Secret", "keep-postgres"), data["keep"])
        self.kubelet(ns)
        uids, kept_values = {}, {}
        for s in (keep, drop):
            st = self.wait_converged(s)
            uids[s["metadata"]["name"]] = st["metadata"]["uid"]
            self.assertIn("appstack.io/data", st["metadata"].get("finalizers") or [],
                          "docs/api.md: the finalizer appstack.io/data")
        for k in data["keep"]:
            if k[1] == "Secret":
                kept_values[k] = h.secret_values(h.get("secrets", k[2], ns))
        h.kubectl("delete", "appstacks.appstack.io", "keep", "drop", "-n", ns, "--wait=false")

        def gone():
            left = [n for n in ("keep", "drop") if h.get("appstacks.appstack.io", n, ns)]
            if left:
                raise h.Pending(f"still there: {left}")
            return True
        self.wait("both AppStacks to be deleted (finalizer removed)", gone, 60, ns)

        def children_settled():
            k = h.by_key(h.live_children(ns, "keep"))
            d = h.by_key(h.live_children(ns, "drop"))
            if set(k) != data["keep"] or d:
                raise h.Pending(f"keep: {sorted(k)}; drop: {sorted(d)}")
            return k
        kept = self.wait("GC: only Retain's data left", children_settled, 60, ns)
        for k, obj in kept.items():
            refs = [r for r in obj["metadata"].get("ownerReferences") or []
                    if r.get("uid") == uids["keep"]]
            self.assertEqual(refs, [], f"{k} still refers to the deleted AppStack")
        # the same stack made again finds its data and the same passwords, and owns them again
        new_uid = self.create(keep)["metadata"]["uid"]
        self.wait_converged(keep)
        for k, values in kept_values.items():
            self.assertEqual(h.secret_values(h.get("secrets", k[2], ns)), values,
                             f"{k[2]} changed when the stack was re-created")
        live = h.by_key(h.live_children(ns, "keep"))
        for k in data["keep"]:
            self.assert_owned(live[k], new_uid, "keep")

    def test_11_migration_job_runs_before_the_rollout(self):
        """docs/api.md: a migration Job is "applied and awaited before the Deployment
        changes"."""
        if not h.LOCAL:
            self.skipTest("needs the fake kubelet to hold the migration Job back (local API "
                          "server)")
        ns = self.new_ns("migrate")
        self.operator_for(ns)
        stack = {"apiVersion": h.GROUP_VERSION, "kind": "AppStack",
                 "metadata": {"name": "mig", "namespace": ns},
                 "spec": {"components": [
                     {"name": "api", "type": "web", "image": f"{REG}/api:1.0.0", "port": 8080,
                      "migrate": {"command": ["./migrate"]}}]}}
        self.create(stack)
        self.kubelet(ns)
        self.wait_ready(stack)
        self.stop_kubelets()
        old_jobs = {j["metadata"]["name"] for j in
                    h.kjson("get", "jobs.batch", "-n", ns, "-l", f"{h.STACK_LABEL}=mig")["items"]}
        set_image(stack, "api", f"{REG}/api:2.0.0")
        h.apply_obj(stack)

        def migrating():
            s = self.stack(stack)
            rec = h.conditions(s).get("Reconciling", {})
            if (s["status"].get("observedGeneration") != s["metadata"]["generation"] or
                    rec.get("reason") != "MigrationRunning"):
                raise h.Pending(f"Reconciling {rec.get('reason')}")
            return s
        self.wait("Reconciling=MigrationRunning for the new spec", migrating, 60, ns, "mig")
        jobs = {j["metadata"]["name"]: j for j in
                h.kjson("get", "jobs.batch", "-n", ns, "-l", f"{h.STACK_LABEL}=mig")["items"]}
        new = [j for n, j in jobs.items() if n not in old_jobs]
        self.assertEqual(len(new), 1, f"one new migration Job expected: {sorted(jobs)}")
        self.assertEqual(new[0]["spec"]["template"]["spec"]["containers"][0]["image"],
                         f"{REG}/api:2.0.0")
        d = h.get("deployments.apps", "mig-api", ns)
        self.assertEqual(d["spec"]["template"]["spec"]["containers"][0]["image"],
                         f"{REG}/api:1.0.0",
                         "the Deployment changed while its migration Job was still running")
        self.kubelet(ns)
        self.wait_image(stack, "api", f"{REG}/api:2.0.0")
        self.wait_ready(stack)

    def test_12_invalid_spec_stalls_and_keeps_what_runs(self):
        """An invalid spec the API server accepts (an env variable that collides with one a
        connection injects: a renderer rule) sets Stalled=True InvalidSpec naming the field,
        with a Warning Event; nothing running is touched; fixing the spec recovers."""
        ns = self.new_ns("invalid")
        self.operator_for(ns)
        stack = mid_stack("bad", ns)
        uid = self.create(stack)["metadata"]["uid"]
        self.kubelet(ns)
        self.wait_children(stack, set(h.by_key(render(stack))))
        self.wait_converged(stack)
        marks = write_marks(h.live_children(ns, "bad"))
        broken = json.loads(json.dumps(stack))
        broken["spec"]["components"][0]["env"] = [{"name": "REDIS_URL", "value": "x"}]
        p = subprocess.run([h.APPSTACKCTL, "render", "-f", "-"], input=json.dumps(broken),
                           capture_output=True, text=True)
        self.assertEqual(p.returncode, 1, "the oracle should refuse this spec")
        h.apply_obj(broken)

        def stalled():
            s = self.stack(stack)
            c = h.conditions(s).get("Stalled", {})
            if (c.get("status") != "True" or
                    s["status"].get("observedGeneration") != s["metadata"]["generation"]):
                raise h.Pending(f"Stalled {c.get('status')} {c.get('reason')}")
            return s
        s = self.wait("Stalled=True", stalled, 60, ns, "bad")
        conds = h.conditions(s)
        self.assertEqual(conds["Stalled"]["reason"], "InvalidSpec")
        self.assertIn("spec.components[0].env[0].name", conds["Stalled"]["message"])
        self.assertEqual(conds["Ready"]["status"], "False")

        def warned():
            evs = h.kjson("get", "events", "-n", ns)["items"]
            hits = [e for e in evs if e.get("reason") == "InvalidSpec" and
                    e.get("type") == "Warning" and
                    (e.get("involvedObject") or {}).get("uid") == uid]
            return hits or None
        self.wait("a Warning InvalidSpec Event", warned, 30, ns, "bad")
        self.assertEqual(write_marks(h.live_children(ns, "bad")), marks,
                         "children were written or deleted because of an invalid spec")
        h.apply_obj(stack)
        s = self.wait_converged(stack)
        self.assertEqual(h.conditions(s)["Stalled"]["status"], "False")

    def test_13_referenced_secret_change_rolls_and_hpa_keeps_replicas(self):
        """A change in a secrets.fromExisting Secret rolls the pods that use it (config-hash);
        with autoscaling the Deployment's replicas belong to the HPA: a replica count set by
        someone else survives the operator's next apply."""
        ns = self.new_ns("refs")
        self.operator_for(ns)
        h.kubectl("create", "secret", "generic", "ext", "-n", ns, "--from-literal=API_KEY=one")
        stack = {"apiVersion": h.GROUP_VERSION, "kind": "AppStack",
                 "metadata": {"name": "refs", "namespace": ns},
                 "spec": {"components": [
                     {"name": "api", "type": "web", "image": f"{REG}/api:1.0.0", "port": 8080,
                      "envFrom": [{"secretRef": "ext"}],
                      "autoscaling": {"minReplicas": 2, "maxReplicas": 5}}],
                     "secrets": {"fromExisting": [{"name": "ext", "keys": ["API_KEY"]}]}}}
        rendered = h.by_key(render(stack))
        self.assertIn(("autoscaling", "HorizontalPodAutoscaler", "refs-api"), rendered)
        self.assertNotIn("replicas", rendered[("apps", "Deployment", "refs-api")]["spec"])
        self.create(stack)
        self.kubelet(ns)
        self.wait_children(stack, set(rendered))
        self.wait_converged(stack)

        def config_hash():
            d = h.get("deployments.apps", "refs-api", ns)
            return (d["spec"]["template"]["metadata"].get("annotations") or {}).get(
                "appstack.io/config-hash")
        before = config_hash()
        self.assertTrue(before)
        # the autoscaler's part, played by hand: 4 replicas
        h.kubectl("patch", "deployment.apps/refs-api", "-n", ns, "--type=merge",
                  "--field-manager=horizontal-pod-autoscaler", "-p",
                  json.dumps({"spec": {"replicas": 4}}))
        h.kubectl("patch", "secret/ext", "-n", ns, "--type=merge", "-p", json.dumps(
            {"data": {"API_KEY": "dHdv"}}))  # "two"

        def rolled():
            got = config_hash()
            if got == before:
                raise h.Pending("config-hash unchanged")
            return got
        self.wait("refs-api to roll after ext changed", rolled, 60, ns, "refs")
        d = h.get("deployments.apps", "refs-api", ns)
        self.assertEqual(d["spec"].get("replicas"), 4,
                         "the operator's apply took replicas from the autoscaler")
        self.wait_converged(stack)


# ---- 07: steady state ------------------------------------------------------------------------

@unittest.skipIf(SKIP is not None, SKIP or "")
class OperatorSteadyState(OperatorTestBase):
    def check_metrics(self, op):
        """The metric families of the contract, with values that fit what happened."""
        samples = op.metrics()
        names = {n for n, _, _ in samples}
        for n in ("appstack_operator_reconcile_total",
                  "appstack_operator_reconcile_duration_seconds_count",
                  "appstack_operator_workqueue_depth", "appstack_operator_api_requests_total",
                  "appstack_operator_leader", "appstack_operator_build_info",
                  "appstack_operator_cache_objects", "appstack_operator_cache_bytes",
                  "appstack_operator_cache_resident_bytes"):
            self.assertIn(n, names)
        # a converged stack and its children are cached: entries, bytes, pages (the gauges
        # are set every 200 ms by the maintenance thread)
        h.wait_for("the cache gauges to count the stack",
                   lambda: op.metric("appstack_operator_cache_objects") >= 2, 10)
        self.assertGreater(op.metric("appstack_operator_cache_bytes"),
                           64 * op.metric("appstack_operator_cache_objects") - 1)
        self.assertGreaterEqual(op.metric("appstack_operator_cache_resident_bytes"), 4096)
        self.assertGreater(op.metric("appstack_operator_api_requests_total", verb="GET",
                                     code="200"), 0)
        self.assertGreater(op.metric("appstack_operator_reconcile_duration_seconds_count"), 0)
        self.assertEqual(op.metric("appstack_operator_leader"), 1)
        version = subprocess.run([h.OPERATOR, "--version"], capture_output=True,
                                 text=True).stdout.split()
        info = [lab for n, lab, _ in samples if n == "appstack_operator_build_info"]
        self.assertEqual([lab.get("version") for lab in info], [version[1]])
        code, _ = op.http(op.hport, "/healthz")
        self.assertEqual(code, 200)

    def test_07_zero_writes_on_resync_and_restart(self):
        if not h.LOCAL:
            self.skipTest(NEEDS_LOG)
        ns = self.new_ns("steady")
        op = self.start_operator(namespace=ns, sync_period="2s")
        stack = big_stack("calm", ns)
        # and a Secret the stack reads but does not own
        h.kubectl("create", "secret", "generic", "ext", "-n", ns, "--from-literal=API_KEY=k")
        stack["spec"]["secrets"]["fromExisting"] = [{"name": "ext", "keys": ["API_KEY"]}]
        stack["spec"]["components"][1]["envFrom"] = [{"secretRef": "ext"}]
        self.create(stack)
        self.kubelet(ns)
        self.wait_ready(stack)
        self.stop_kubelets()
        self.settle(op, ns)
        ident1 = op.identity()
        self.assertTrue(ident1, "no request from the operator's User-Agent in the log")
        h.clear_request_log()
        n0 = op.metric("appstack_operator_reconcile_total")
        t0 = time.monotonic()

        def resynced():
            n = op.metric("appstack_operator_reconcile_total")
            if time.monotonic() - t0 < 4.2 or n < n0 + 2:
                raise h.Pending(f"reconcile_total {n0} -> {n}")
            return True
        self.wait("two resyncs (reconcile_total +2, 2 x --sync-period)", resynced, 30, ns, "calm")
        entries = op.requests()
        writes = [e for e in entries if e["method"] != "GET"]
        self.assertEqual(writes, [], "writes on resync:\n" + h.summarize(writes))
        reads = [e for e in entries if not h.is_list_or_watch(e)]
        self.assertEqual(reads, [], "reads beyond list/watch:\n" + h.summarize(reads))
        self.check_metrics(op)

        rc, took = op.terminate()
        self.assertEqual(rc, 0, op.output())
        self.assertLess(took, 10, "SIGTERM took too long")
        h.clear_request_log()
        op2 = self.start_operator(namespace=ns, sync_period="2s")

        def reconciled():
            n = op2.metric("appstack_operator_reconcile_total")
            if n < 2:
                raise h.Pending(f"reconcile_total {n}")
            return True
        self.wait("the restarted operator to reconcile twice", reconciled, 30, ns, "calm")
        entries = op2.requests()
        self.assertTrue(entries, "no request from the new operator's User-Agent")
        ident2 = op2.identity(entries)
        self.assertNotEqual(ident1, ident2)
        writes = [e for e in entries if e["method"] != "GET"]
        self.assertEqual(writes, [], "writes after a restart:\n" + h.summarize(writes))
        reads = [e for e in entries
                 if log_time(e) >= op2.ready_at and not h.is_list_or_watch(e)]
        self.assertEqual(reads, [], "reads beyond list/watch after /readyz:\n" +
                         h.summarize(reads))
        # children's informers are label-selected: unrelated objects (Secrets above all)
        # are never listed into the cache
        plurals = {p for _, p in h.KINDS.values()}
        unselected = [e for e in entries if h.is_list_or_watch(e) and
                      h.classify(e).resource in plurals and "labelSelector=" not in e["path"]]
        self.assertEqual(unselected, [], "child informers without a label selector:\n" +
                         h.summarize(unselected))
        s = self.stack(stack)
        self.assertEqual(h.conditions(s)["Ready"]["status"], "True")


# ---- 08: SIGKILL -----------------------------------------------------------------------------

@unittest.skipIf(SKIP is not None, SKIP or "")
class OperatorKilled(OperatorTestBase):
    def test_08_sigkill_mid_reconcile_then_restart_converges(self):
        ns = self.new_ns("kill")
        op1 = self.start_operator(namespace=ns)
        stack = big_stack("crash", ns)
        desired = render(stack)
        expected = set(h.by_key(desired)) | {tls_secret_key(stack)}
        if h.LOCAL:
            h.clear_request_log()
            h.set_faults(latencyMs=100)  # every request slower: the kill lands mid-pass
            self.addCleanup(h.clear_faults)
        self.create(stack)
        self.kubelet(ns)

        def first_writes():
            if h.LOCAL:
                w = [e for e in op1.requests(ns=ns) if e["method"] != "GET" and e["code"] < 300]
            else:
                w = h.live_children(ns, "crash")
            if len(w) < 3:
                raise h.Pending(f"{len(w)} writes")
            return True
        self.wait("the operator's first writes", first_writes, 60, ns, "crash", interval=0.05)
        op1.kill()
        at_kill = h.by_key(h.live_children(ns, "crash"))
        if h.LOCAL:
            h.clear_faults()
            self.assertLess(len(set(at_kill) & expected), len(expected),
                            "the operator finished before SIGKILL: not mid-reconcile")
        secrets = {k: h.secret_values(o) for k, o in at_kill.items() if o["kind"] == "Secret"}
        op2 = self.start_operator(namespace=ns)
        live = self.wait_children(stack, expected, timeout=90)
        s = self.wait_ready(stack, timeout=90)
        uid = s["metadata"]["uid"]
        inv = self.inventory_keys(s)
        for k, obj in live.items():
            self.assert_owned(obj, uid, "crash")
            if k != tls_secret_key(stack):
                self.assertIn(k, inv, f"{k} is not in status.inventory")
        for k, values in secrets.items():
            self.assertEqual(h.secret_values(live[k]), values,
                             f"{k[2]} was overwritten after the restart")
        if h.LOCAL:
            log = h.request_log()
            posts = [e for e in op1.requests(log, ns) + op2.requests(log, ns)
                     if e["method"] == "POST" and h.classify(e).resource == "secrets"
                     and e["code"] < 300]
            n_secrets = len([k for k in expected if k[1] == "Secret"])
            self.assertEqual(len(posts), n_secrets,
                             f"each Secret must be created exactly once\n{h.summarize(posts)}")
            self.assertTrue(op2.requests(log, ns), "the new process made no request")


# ---- 09: faults ------------------------------------------------------------------------------

@unittest.skipIf(SKIP is not None, SKIP or "")
class OperatorFaults(OperatorTestBase):
    def local_apiserver(self, verb):
        env = dict(os.environ, APPSTACK_APISERVER_DIR=h.APISERVER_DIR)
        p = subprocess.run([os.path.join(h.ROOT, "hack", "local-apiserver"), verb], env=env,
                           capture_output=True, text=True, cwd=h.ROOT, timeout=60)
        self.assertEqual(p.returncode, 0, f"hack/local-apiserver {verb}: {p.stdout}{p.stderr}")
        return p.stdout

    def apiserver_port(self):
        with open(os.path.join(h.APISERVER_DIR, "port")) as f:
            return f.read().strip()

    def test_09_storms_cut_watches_410_and_restart_converge(self):
        if not h.LOCAL:
            self.skipTest("fault injection (/_local/faults) exists on the local API server only")
        if not h.APISERVER_DIR:
            self.skipTest("APPSTACK_APISERVER_DIR is not set: cannot restart the local API "
                          "server (run through tests/run.py)")
        self.addCleanup(h.clear_faults)
        ns = self.new_ns("faults")
        # a watch gets its cut time when it starts: cut every watch from the beginning
        h.set_faults(watchCutSeconds=1)
        h.clear_request_log()
        op = self.start_operator(namespace=ns, sync_period="3s")
        stack = mid_stack("storm", ns)
        self.create(stack)
        self.kubelet(ns)
        self.wait_ready(stack)

        def rewatched():
            w = [e for e in op.requests() if h.classify(e).watch and
                 h.classify(e).resource == "appstacks"]
            if len(w) < 3:
                raise h.Pending(f"{len(w)} watches of appstacks")
            return True
        self.wait("the operator to watch again after cuts", rewatched, 30, ns, "storm")
        n = [0]

        def change():
            n[0] += 1
            image = f"{REG}/api:2.0.{n[0]}"
            h.apply_obj(set_image(stack, "api", image), retry_seconds=30)
            return image

        def storm(code, **faults):
            """Spec changes under writeErrorRate 0.5 until the operator got a `code`, each
            applied despite the errors."""
            h.clear_request_log()
            h.set_faults(writeErrorRate=0.5, writeErrorCode=code, seed=n[0], **faults)
            for _ in range(6):
                self.wait_image(stack, "api", change(), timeout=60)
                if any(e["code"] == code for e in op.requests(ns=ns)):
                    return
            self.fail(f"the operator never got a {code} in six changes")

        storm(500)
        storm(429, retryAfterSeconds=1)
        h.set_faults(writeErrorRate=0)
        self.wait_image(stack, "api", change())
        # a write the operator's informers do not see, then compaction: resuming is 410
        h.kubectl("create", "configmap", "unrelated", "-n", ns)
        h.local("POST", "compact")
        h.clear_request_log()
        self.wait_image(stack, "api", change())

        def relisted():
            lists = [e for e in op.requests() if h.is_list_or_watch(e) and
                     not h.classify(e).watch]
            if not lists:
                raise h.Pending("no list since the compaction")
            return True
        self.wait("a relist after 410", relisted, 30, ns, "storm")
        # API server restart, then a change during a new storm
        port = self.apiserver_port()
        self.local_apiserver("stop")
        self.local_apiserver("start")
        self.assertEqual(self.apiserver_port(), port,
                         "the local API server came back on another port")
        h.set_faults(writeErrorRate=0.5, writeErrorCode=500, watchCutSeconds=1, seed=99)
        image = change()
        h.clear_faults()
        self.wait_image(stack, "api", image)
        s = self.wait_converged(stack)
        self.wait_ready(stack)
        self.assertTrue(op.alive(), "the operator died in the storm\n" + op.output())
        self.assertEqual(s["status"]["observedGeneration"], s["metadata"]["generation"])


# ---- 10: leader election ---------------------------------------------------------------------

@unittest.skipIf(SKIP is not None, SKIP or "")
class OperatorProcess(OperatorTestBase):
    def test_11_runs_itself_once_without_malloc_thread_caches(self):
        """operator/allocator.h: the tcache tunable is added by one re-exec (same PID, same
        argv), and a value the user set stands. (Read from the operator's own log line: glibc
        cuts the original environment block, which /proc/PID/environ shows, at each tunable.)"""
        def tunables(op):
            def logged():
                with open(op.log_path, encoding="utf-8", errors="replace") as f:
                    for line in f:
                        if "appstack-operator running" in line:
                            m = re.search(r'GLIBC_TUNABLES="?([^"\s]*)', line)
                            return m.group(1) if m else None
                raise h.Pending("no 'running' line yet")
            return h.wait_for("the operator's running line", logged, 20)

        ns = self.new_ns("proc")
        op = self.start_operator(namespace=ns)
        self.assertEqual(tunables(op), "glibc.malloc.tcache_count=0")
        with open(f"/proc/{op.pid}/cmdline", "rb") as f:
            self.assertEqual(f.read().decode().split("\0")[:-1], op.args)
        own = self.start_operator(namespace=ns, env={
            "GLIBC_TUNABLES": "glibc.malloc.arena_max=4:glibc.malloc.tcache_count=3"})
        self.assertEqual(tunables(own), "glibc.malloc.arena_max=4:glibc.malloc.tcache_count=3")
        other = self.start_operator(namespace=ns, env={
            "GLIBC_TUNABLES": "glibc.malloc.arena_max=4"})
        self.assertEqual(tunables(other), "glibc.malloc.arena_max=4:glibc.malloc.tcache_count=0")


class OperatorLeaderElection(OperatorTestBase):
    def holder(self, ns, lease):
        obj = h.get("leases.coordination.k8s.io", lease, ns)
        return ((obj or {}).get("spec") or {}).get("holderIdentity")

    def test_10_two_replicas_never_both_write(self):
        if not h.LOCAL:
            self.skipTest(NEEDS_LOG)
        ns = self.new_ns("leader")
        lease = "appstack-itest-leader"
        h.clear_request_log()
        a = self.start_operator(namespace=ns, leader=(ns, lease), ready=False)

        def a_leads():
            ident = a.identity()
            if not ident or self.holder(ns, lease) != ident:
                raise h.Pending(f"holder {self.holder(ns, lease)}, a is {ident}")
            return ident
        ident_a = self.wait("the first replica to take the Lease", a_leads, 30, ns)
        b = self.start_operator(namespace=ns, leader=(ns, lease), ready=False)
        self.wait("the second replica to look at the Lease", lambda: b.identity(), 30, ns)
        ident_b = b.identity()
        self.assertNotEqual(ident_a, ident_b)
        self.wait("the leader gauge of the first replica",
                  lambda: a.metric("appstack_operator_leader") == 1, 10, ns)

        stack = mid_stack("duo", ns)
        self.create(stack)
        self.kubelet(ns)
        self.wait_ready(stack)
        h.apply_obj(set_image(stack, "api", f"{REG}/api:1.5.0"))
        self.wait_image(stack, "api", f"{REG}/api:1.5.0")
        self.wait_converged(stack)
        self.assertEqual(self.holder(ns, lease), ident_a)
        self.assertEqual(b.metric("appstack_operator_leader"), 0)

        rc, took = a.terminate()
        self.assertEqual(rc, 0, a.output())
        self.assertLess(took, 10)
        t_term = time.monotonic()
        self.wait("the standby to take over", lambda: self.holder(ns, lease) == ident_b, 30, ns)
        takeover = time.monotonic() - t_term
        h.apply_obj(set_image(stack, "api", f"{REG}/api:1.6.0"))
        self.wait_image(stack, "api", f"{REG}/api:1.6.0")
        self.wait_converged(stack)
        self.assertEqual(b.metric("appstack_operator_leader"), 1)

        log = h.request_log()

        def lease_write(op, e):
            return (op.owns(e) and h.classify(e).resource == "leases" and
                    e["method"] in ("POST", "PUT", "PATCH") and e["code"] < 300)

        def work_write(e):
            return e["method"] != "GET" and h.classify(e).resource not in ("leases", "events")
        acq_a = next((e for e in log if lease_write(a, e)), None)
        acq_b = next((e for e in log if lease_write(b, e)), None)
        self.assertIsNotNone(acq_a, "no successful Lease write by the first replica")
        self.assertIsNotNone(acq_b, "no successful Lease write by the second replica")
        writes_a = [e for e in log if a.owns(e) and work_write(e)]
        writes_b = [e for e in log if b.owns(e) and work_write(e)]
        self.assertTrue(writes_a and writes_b, "both replicas should have reconciled once")
        early_a = [e for e in writes_a if log_time(e) < log_time(acq_a)]
        late_a = [e for e in writes_a if log_time(e) > log_time(acq_b)]
        early_b = [e for e in writes_b if log_time(e) < log_time(acq_b)]
        self.assertEqual(early_a, [], "writes before holding the Lease:\n" +
                         h.summarize(early_a))
        self.assertEqual(late_a, [], "the old leader wrote after the handover:\n" +
                         h.summarize(late_a))
        self.assertEqual(early_b, [], "the standby wrote before taking the Lease:\n" +
                         h.summarize(early_b))
        others = {e["userAgent"] for e in log if e["userAgent"].startswith("appstack-operator/")
                  and not (a.owns(e) or b.owns(e))}
        self.assertEqual(others, set(), "requests from an unknown operator identity")
        print(f"\n  leader handover: {takeover:.1f}s after SIGTERM", file=sys.stderr)


if __name__ == "__main__":
    unittest.main()
