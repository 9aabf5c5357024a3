"""tests/golden/test_render.py - `appstackctl render` over every example and the invalid corpus.

- Golden: each examples/<name>.yaml renders (default flags) to exactly
  tests/golden/render/<name>.yaml, byte for byte. `UPDATE_GOLDEN=1` rewrites the files
  (and says so on stderr); a missing file fails with that instruction, never silently.
- Properties over every example (rendered as JSON, with and without the optional APIs):
  determinism (twice, and with every mapping's keys shuffled), every pod hardened to the
  restricted Pod Security Standard, no child carrying the AppStack's labels/annotations,
  HPA-managed Deployments without replicas, valid and bounded names, requests and limits
  on every container, Secret values only from placeholders (or fresh random values with
  --generate-secrets), a PodDisruptionBudget exactly for workloads with 2+ replicas.
- Invalid corpus: every tests/golden/invalid/*.yaml exits 1 with the line its
  `# expect: <path>: <fragment>` header names.
- The renderer's embedded schema (lib/render/schema_data.c) is fresh.

The programs come from $APPSTACK_BIN (default bin/).
"""
import base64
import glob
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import unittest

import kubeyaml

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
BIN = os.environ.get("APPSTACK_BIN", os.path.join(ROOT, "bin"))
CTL = os.path.join(BIN, "appstackctl")
EXAMPLES = sorted(glob.glob(os.path.join(ROOT, "examples", "*.yaml")))
INVALID = sorted(glob.glob(os.path.join(HERE, "invalid", "*.yaml")))
GOLDEN_DIR = os.path.join(HERE, "render")
PLACEHOLDER = "appstackctl-render-placeholder"
ALL_APIS = "cert-manager,prometheus-operator,gateway-api"
DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
DNS_1035 = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
POD_KINDS = ("Deployment", "StatefulSet", "Job", "CronJob")
BASELINE_CAPS = {"CHOWN", "DAC_OVERRIDE", "FOWNER", "SETGID", "SETUID", "NET_BIND_SERVICE"}


def render(path, *flags, expect_rc=0):
    """Runs appstackctl render; returns (stdout, stderr)."""
    proc = subprocess.run([CTL, "render", "-f", path] + list(flags), capture_output=True,
                          text=True, timeout=60)
    if proc.returncode != expect_rc:
        raise AssertionError("appstackctl render -f %s %s: exit %d (want %d)\n%s" % (
            path, " ".join(flags), proc.returncode, expect_rc, proc.stderr[-3000:]))
    return proc.stdout, proc.stderr


def render_json(path, *flags):
    """The rendered objects (a list of dicts)."""
    out, _ = render(path, "-o", "json", *flags)
    doc = json.loads(out)
    assert doc["kind"] == "List", doc.get("kind")
    return doc["items"]


def shuffled(value, rng):
    """A copy of value with the keys of every mapping in random order."""
    if isinstance(value, dict):
        keys = list(value)
        rng.shuffle(keys)
        return {k: shuffled(value[k], rng) for k in keys}
    if isinstance(value, list):
        return [shuffled(v, rng) for v in value]
    return value


def pod_spec(obj):
    """The pod spec of a workload object, else None."""
    spec = obj.get("spec", {})
    if obj["kind"] == "CronJob":
        return spec["jobTemplate"]["spec"]["template"]["spec"]
    if obj["kind"] in POD_KINDS:
        return spec["template"]["spec"]
    return None


def pod_meta(obj):
    if obj["kind"] == "CronJob":
        return obj["spec"]["jobTemplate"]["spec"]["template"]["metadata"]
    return obj["spec"]["template"]["metadata"]


def profile_of(path):
    return kubeyaml.load_one(path)["spec"].get("profile", "restricted")


@unittest.skipUnless(os.access(CTL, os.X_OK), "appstackctl is not built (make)")
class RenderGoldenTest(unittest.TestCase):
    def test_examples_match_golden_files(self):
        update = os.environ.get("UPDATE_GOLDEN") == "1"
        for path in EXAMPLES:
            name = os.path.basename(path)
            golden = os.path.join(GOLDEN_DIR, name)
            with self.subTest(example=name):
                out, _ = render(path)
                if update:
                    os.makedirs(GOLDEN_DIR, exist_ok=True)
                    with open(golden, "w") as f:
                        f.write(out)
                    sys.stderr.write("UPDATE_GOLDEN=1: rewrote %s\n" % os.path.relpath(golden, ROOT))
                    continue
                self.assertTrue(os.path.exists(golden), "%s is missing: run UPDATE_GOLDEN=1 "
                                "make test-golden and review the new file" % golden)
                with open(golden) as f:
                    want = f.read()
                self.assertEqual(out, want, "%s renders differently from %s; if the change is "
                                 "intended, run UPDATE_GOLDEN=1 make test-golden and review the "
                                 "diff" % (name, os.path.relpath(golden, ROOT)))

    def test_every_golden_file_has_its_example(self):
        names = {os.path.basename(p) for p in EXAMPLES}
        for g in glob.glob(os.path.join(GOLDEN_DIR, "*.yaml")):
            self.assertIn(os.path.basename(g), names, "stale golden file %s" % g)

    def test_embedded_schema_is_fresh(self):
        proc = subprocess.run([sys.executable, os.path.join(ROOT, "lib", "render", "gen_schema.py"),
                               "--check"], capture_output=True, text=True)
        self.assertEqual(proc.returncode, 0, proc.stdout + proc.stderr)


@unittest.skipUnless(os.access(CTL, os.X_OK), "appstackctl is not built (make)")
@unittest.skipUnless(kubeyaml.available(), "kubectl is needed to read the examples as JSON")
class RenderPropertyTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.rendered = {}
        for path in EXAMPLES:
            for flags in ((), ("--api", ALL_APIS)):
                cls.rendered[(path, flags)] = render_json(path, *flags)

    def each(self):
        for (path, flags), objs in sorted(self.rendered.items()):
            yield os.path.basename(path) + " " + " ".join(flags), path, objs

    def test_deterministic_twice_and_with_shuffled_keys(self):
        tmp = tempfile.mkdtemp()
        for path in EXAMPLES:
            name = os.path.basename(path)
            with self.subTest(example=name):
                first, _ = render(path)
                again, _ = render(path)
                self.assertEqual(first, again)
                doc = kubeyaml.load_one(path)
                for seed in range(3):
                    alt = os.path.join(tmp, "%d-%s.json" % (seed, name))
                    with open(alt, "w") as f:
                        json.dump(shuffled(doc, random.Random(seed)), f)
                    out, _ = render(alt)
                    self.assertEqual(out, first, "key order changed the output (seed %d)" % seed)

    def test_every_pod_is_hardened(self):
        for label, path, objs in self.each():
            restricted = profile_of(path) == "restricted"
            for obj in objs:
                spec = pod_spec(obj)
                if spec is None:
                    continue
                where = "%s %s %s" % (label, obj["kind"], obj["metadata"]["name"])
                with self.subTest(obj=where):
                    self.assertIs(spec.get("automountServiceAccountToken"), False)
                    self.assertIs(spec.get("enableServiceLinks"), False)
                    for key in ("hostNetwork", "hostPID", "hostIPC"):
                        self.assertNotIn(key, spec)
                    psc = spec.get("securityContext", {})
                    self.assertEqual(psc.get("seccompProfile"), {"type": "RuntimeDefault"})
                    if restricted:
                        self.assertIs(psc.get("runAsNonRoot"), True)
                        self.assertGreater(psc.get("runAsUser", 0), 0)
                    for vol in spec.get("volumes", []):
                        self.assertNotIn("hostPath", vol)
                    tmp_vols = {v["name"] for v in spec.get("volumes", []) if "emptyDir" in v}
                    ctrs = spec["containers"] + spec.get("initContainers", [])
                    for c in ctrs:
                        sc = c.get("securityContext", {})
                        self.assertIs(sc.get("allowPrivilegeEscalation"), False, c["name"])
                        self.assertEqual(sc.get("capabilities", {}).get("drop"), ["ALL"], c["name"])
                        self.assertNotIn("privileged", sc)
                        added = set(sc.get("capabilities", {}).get("add", []))
                        allowed = {"NET_BIND_SERVICE"} if restricted else BASELINE_CAPS
                        self.assertLessEqual(added, allowed, c["name"])
                        if restricted:
                            self.assertIs(sc.get("readOnlyRootFilesystem"), True, c["name"])
                            self.assertTrue(sc.get("runAsNonRoot", psc.get("runAsNonRoot")))
                            self.assertNotEqual(sc.get("runAsUser", psc.get("runAsUser")), 0)
                        mounts = {m["mountPath"]: m["name"] for m in c.get("volumeMounts", [])}
                        self.assertIn("/tmp", mounts, "%s has no writable /tmp" % c["name"])
                        self.assertIn(mounts["/tmp"], tmp_vols)
                        res = c.get("resources", {})
                        for part in ("requests", "limits"):
                            for r in ("cpu", "memory"):
                                self.assertIn(r, res.get(part, {}), "%s %s.%s" % (c["name"], part, r))
                        for port in c.get("ports", []):
                            self.assertNotIn("hostPort", port)
                    self.assertIn("appstack.io/config-hash",
                                  pod_meta(obj).get("annotations", {}))

    def test_no_child_carries_the_appstacks_labels_or_annotations(self):
        tmp = tempfile.mkdtemp()
        for path in EXAMPLES:
            doc = kubeyaml.load_one(path)
            meta = doc.setdefault("metadata", {})
            meta.setdefault("labels", {})["argocd.argoproj.io/instance"] = "gitops-owner"
            meta.setdefault("annotations", {})["example.com/tracking"] = "gitops-owner"
            meta["uid"] = "0b6a4f7e-1c2d-4e5f-8a9b-0c1d2e3f4a5b"
            alt = os.path.join(tmp, os.path.basename(path) + ".json")
            with open(alt, "w") as f:
                json.dump(doc, f)
            with self.subTest(example=os.path.basename(path)):
                objs = render_json(alt)
                self.assertNotIn("gitops-owner", json.dumps(objs))
                for obj in objs:
                    refs = obj["metadata"].get("ownerReferences")
                    self.assertEqual(len(refs), 1, obj["metadata"]["name"])
                    self.assertEqual(refs[0]["uid"], meta["uid"])
                    self.assertIs(refs[0]["controller"], True)

    def test_hpa_managed_deployments_have_no_replicas(self):
        for label, _, objs in self.each():
            hpas = {o["spec"]["scaleTargetRef"]["name"] for o in objs
                    if o["kind"] == "HorizontalPodAutoscaler"}
            for obj in objs:
                if obj["kind"] == "Deployment":
                    with self.subTest(obj=label + " " + obj["metadata"]["name"]):
                        self.assertEqual("replicas" in obj["spec"],
                                         obj["metadata"]["name"] not in hpas)

    def test_names_are_valid_and_bounded(self):
        for label, _, objs in self.each():
            names = set()
            for obj in objs:
                kind, name = obj["kind"], obj["metadata"]["name"]
                with self.subTest(obj="%s %s %s" % (label, kind, name)):
                    self.assertNotIn((kind, name), names, "duplicate object")
                    names.add((kind, name))
                    self.assertLessEqual(len(name), 52 if kind == "CronJob" else 63)
                    self.assertRegex(name, DNS_1035 if kind == "Service" else DNS_LABEL)
                    for k, v in obj["metadata"]["labels"].items():
                        self.assertRegex(v, LABEL_VALUE, k)
                        self.assertLessEqual(len(v), 63, k)
                    for key in ("app.kubernetes.io/name", "app.kubernetes.io/instance",
                                "app.kubernetes.io/component", "app.kubernetes.io/part-of",
                                "app.kubernetes.io/managed-by", "appstack.io/stack"):
                        self.assertIn(key, obj["metadata"]["labels"])
                    self.assertEqual(obj["metadata"]["labels"]["app.kubernetes.io/managed-by"],
                                     "appstack-operator")

    def test_secret_values_are_placeholders(self):
        for label, _, objs in self.each():
            for obj in objs:
                if obj["kind"] != "Secret":
                    continue
                with self.subTest(obj=label + " " + obj["metadata"]["name"]):
                    self.assertTrue(obj["data"])
                    self.assertNotIn("stringData", obj)
                    for v in obj["data"].values():
                        self.assertEqual(base64.b64decode(v).decode(), PLACEHOLDER)

    def test_generate_secrets_gives_fresh_values(self):
        path = os.path.join(ROOT, "examples", "twinme.yaml")
        a = {o["metadata"]["name"]: o for o in render_json(path, "--generate-secrets")
             if o["kind"] == "Secret"}
        b = {o["metadata"]["name"]: o for o in render_json(path, "--generate-secrets")
             if o["kind"] == "Secret"}
        self.assertTrue(a)
        for name, obj in a.items():
            for key, v in obj["data"].items():
                text = base64.b64decode(v).decode()
                self.assertNotEqual(text, PLACEHOLDER)
                self.assertNotEqual(v, b[name]["data"][key], "the same value twice")
        # secrets.generate app: 32 bytes, hex -> 64 characters
        self.assertEqual(len(base64.b64decode(a["twinme-app"]["data"]["jwt-secret"])), 64)

    def test_pdb_exactly_for_two_or_more_replicas(self):
        for label, _, objs in self.each():
            pdbs = {o["metadata"]["name"] for o in objs if o["kind"] == "PodDisruptionBudget"}
            hpa_min = {o["spec"]["scaleTargetRef"]["name"]: o["spec"]["minReplicas"]
                       for o in objs if o["kind"] == "HorizontalPodAutoscaler"}
            for obj in objs:
                if obj["kind"] not in ("Deployment", "StatefulSet"):
                    continue
                name = obj["metadata"]["name"]
                n = obj["spec"].get("replicas", hpa_min.get(name, 1))
                with self.subTest(obj=label + " " + name):
                    self.assertEqual(name in pdbs, n >= 2, "replicas %d" % n)
            for pdb in pdbs:
                self.assertIn(pdb, {o["metadata"]["name"] for o in objs
                                    if o["kind"] in ("Deployment", "StatefulSet")})

    def test_optional_apis_switch_the_fallbacks(self):
        for path in EXAMPLES:
            plain = self.rendered[(path, ())]
            full = self.rendered[(path, ("--api", ALL_APIS))]
            spec = kubeyaml.load_one(path)["spec"]
            with self.subTest(example=os.path.basename(path)):
                kinds = {o["kind"] for o in plain}
                self.assertFalse(kinds & {"ServiceMonitor", "PrometheusRule", "Certificate"})
                full_kinds = {o["kind"] for o in full}
                if spec.get("ingress", {}).get("tls", {}).get("issuerRef"):
                    self.assertIn("Certificate", full_kinds)
                if spec.get("monitoring", {}).get("enabled", True):
                    self.assertIn("PrometheusRule", full_kinds)
                    for obj in full:
                        if obj["kind"] in POD_KINDS:
                            self.assertNotIn("prometheus.io/scrape",
                                             pod_meta(obj).get("annotations", {}))

    def test_network_policies_default_deny_and_dns(self):
        for label, _, objs in self.each():
            pols = {o["metadata"]["name"]: o for o in objs if o["kind"] == "NetworkPolicy"}
            if not pols:
                continue
            stack = objs[0]["metadata"]["labels"]["appstack.io/stack"]
            deny = pols[stack + "-default-deny"]["spec"]
            self.assertEqual(deny["podSelector"], {"matchLabels": {"appstack.io/stack": stack}})
            self.assertEqual(sorted(deny["policyTypes"]), ["Egress", "Ingress"])
            self.assertNotIn("ingress", deny)
            self.assertNotIn("egress", deny)
            for name, pol in pols.items():
                if name == stack + "-default-deny":
                    continue
                with self.subTest(policy=label + " " + name):
                    dns = [r for r in pol["spec"]["egress"]
                           if any(p.get("port") == 53 for p in r.get("ports", []))]
                    self.assertTrue(dns, "no DNS egress")


def check_available():
    """True when `appstackctl check` (issue 6) is wired in."""
    if not os.access(CTL, os.X_OK):
        return False
    proc = subprocess.run([CTL, "check", "--help"], capture_output=True, text=True)
    return proc.returncode == 0


@unittest.skipUnless(check_available(), "appstackctl check (the policy engine, issue 6) is not "
                     "built yet")
class RenderPassesPolicyTest(unittest.TestCase):
    """The operator never emits what its own webhook rejects."""

    def test_every_rendered_object_passes_the_policy_engine(self):
        for path in EXAMPLES:
            for flags in ((), ("--api", ALL_APIS)):
                with self.subTest(example=os.path.basename(path), flags=flags):
                    out, _ = render(path, *flags)
                    level = profile_of(path) if kubeyaml.available() else "restricted"
                    proc = subprocess.run([CTL, "check", "--pod-security", level, "-f", "-"],
                                          input=out, capture_output=True, text=True, timeout=60)
                    self.assertEqual(proc.returncode, 0, proc.stdout + proc.stderr)


@unittest.skipUnless(os.access(CTL, os.X_OK), "appstackctl is not built (make)")
class RenderInvalidTest(unittest.TestCase):
    EXPECT = re.compile(r"^# expect: (\S+): (.+)$")

    def test_invalid_corpus_is_refused_with_the_expected_message(self):
        self.assertTrue(INVALID)
        for path in INVALID:
            with open(path) as f:
                m = self.EXPECT.match(f.readline().rstrip("\n"))
            with self.subTest(file=os.path.basename(path)):
                self.assertIsNotNone(m, "first line must be '# expect: <path>: <fragment>'")
                out, err = render(path, expect_rc=1)
                self.assertEqual(out, "")
                lines = err.splitlines()
                want = "%s: " % m.group(1)
                self.assertTrue(any(l.startswith(want) and m.group(2) in l for l in lines),
                                "no line '%s... %s' in:\n%s" % (want, m.group(2), err))

    def test_usage_errors_exit_2(self):
        for args in ([], ["-f"], ["-f", "x.yaml", "-o", "xml"], ["--bogus"],
                     ["-f", "/nonexistent/file.yaml"], ["-f", "x", "--api", "istio"]):
            with self.subTest(args=args):
                proc = subprocess.run([CTL, "render"] + args, capture_output=True, text=True)
                self.assertEqual(proc.returncode, 2, proc.stderr)
                self.assertTrue(proc.stderr.strip())

    def test_help_documents_every_flag(self):
        proc = subprocess.run([CTL, "render", "--help"], capture_output=True, text=True)
        self.assertEqual(proc.returncode, 0)
        for flag in ("-f", "--output", "--api", "--namespace", "--generate-secrets", PLACEHOLDER,
                     "Exit status"):
            self.assertIn(flag, proc.stdout)

    def test_wrong_types_anywhere_give_errors_not_crashes(self):
        base = kubeyaml.load_one(os.path.join(ROOT, "examples", "twinme.yaml")) \
            if kubeyaml.available() else None
        if base is None:
            self.skipTest("kubectl is needed to read the example")
        tmp = tempfile.mkdtemp()
        rng = random.Random(7)
        junk = [None, 0, -1, 1.5, True, "x", [], {}, [1, "a"], {"a": {"b": []}}]
        paths = []

        def walk(v, p):
            paths.append(p)
            if isinstance(v, dict):
                for k in v:
                    walk(v[k], p + [k])
            elif isinstance(v, list):
                for i, x in enumerate(v):
                    walk(x, p + [i])
        walk(base, [])
        for n, p in enumerate(rng.sample(paths, min(120, len(paths)))):
            doc = json.loads(json.dumps(base))
            cur = doc
            for k in p[:-1]:
                cur = cur[k]
            if p:
                cur[p[-1]] = rng.choice(junk)
            else:
                doc = rng.choice(junk)
            alt = os.path.join(tmp, "%d.json" % n)
            with open(alt, "w") as f:
                json.dump(doc, f)
            proc = subprocess.run([CTL, "render", "-f", alt], capture_output=True, text=True)
            with self.subTest(path=p):
                self.assertIn(proc.returncode, (0, 1), proc.stderr[-2000:])
                if proc.returncode == 1:
                    self.assertTrue(proc.stderr.strip())
                    self.assertEqual(proc.stdout, "")


if __name__ == "__main__":
    unittest.main()
