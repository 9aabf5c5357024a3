"""tests/golden/test_policy.py - `appstackctl check` over the policy fixtures.

The engine itself is checked fixture by fixture in tests/unit/test_policy_fixtures.c;
this suite checks the command line around it: the same fixtures give the same
(rule, path) pairs through the CLI, the exit status follows the enforced rules,
and files, folders, multi-document YAML, Lists, stdin and errors behave as the
help says. Guarded-children fixtures (`# op:` UPDATE/DELETE) need a live
request and are skipped here.
"""
import glob
import json
import os
import re
import subprocess
import tempfile
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIX = os.path.join(ROOT, "tests", "golden", "policy")
BIN = os.environ.get("APPSTACK_BIN", os.path.join(ROOT, "bin"))
CTL = os.path.join(BIN, "appstackctl")
LINE = re.compile(r"^(?P<file>[^:]+):(?P<doc>[0-9.]+): (?P<obj>\S+): (?P<rule>\S+) (?P<path>\S+): "
                  r"(?P<msg>.*) \((?P<mode>enforce|warn|audit)(, exception \S+)?\)$")


def check_available():
    try:
        proc = subprocess.run([CTL, "check", "--help"], capture_output=True, text=True, timeout=30)
    except OSError as e:
        return f"{CTL} cannot run: {e}"
    if proc.returncode != 0 or "appstackctl check" not in proc.stdout:
        return "appstackctl check is not wired into cli/main.c yet"
    return None


SKIP = check_available()


def headers(path):
    out = {"expect": [], "policy": None, "op": None}
    with open(os.path.join(ROOT, path)) as f:
        for line in f:
            if not line.startswith("#"):
                break
            m = re.match(r"# (expect|policy|op|user): (.*)$", line.rstrip("\n"))
            if m and m.group(1) == "expect":
                out["expect"].append(m.group(2))
            elif m:
                out[m.group(1)] = m.group(2)
    return out


def run(args, stdin=None):
    return subprocess.run([CTL, "check"] + args, capture_output=True, text=True, input=stdin,
                          timeout=60, cwd=ROOT)


BASELINE_CONTROLS = ["host-process", "host-namespaces", "privileged", "capabilities", "host-path",
                     "host-ports", "host-probes", "apparmor", "selinux", "proc-mount", "seccomp",
                     "sysctls"]
RESTRICTED_CONTROLS = BASELINE_CONTROLS + ["volume-types", "privilege-escalation",
                                           "run-as-non-root", "run-as-user"]


class ConformanceCoverage(unittest.TestCase):
    """At least one pass and one fail fixture per documented control and level."""

    def test_every_control_has_pass_and_fail_cases(self):
        for level, controls in (("baseline", BASELINE_CONTROLS),
                                ("restricted", RESTRICTED_CONTROLS)):
            for kind in ("pass", "fail"):
                names = [os.path.basename(f) for f in
                         glob.glob(os.path.join(FIX, "pss", level, kind, "*.yaml"))]
                for control in controls:
                    with self.subTest(level=level, kind=kind, control=control):
                        self.assertTrue(any(n.startswith(control + "-") for n in names))

    def test_fail_fixtures_expect_their_control(self):
        for path in glob.glob(os.path.join(FIX, "pss", "*", "fail", "*.yaml")):
            expects = headers(path)["expect"]
            self.assertTrue(expects, path)
            control = next(c for c in RESTRICTED_CONTROLS
                           if os.path.basename(path).startswith(c + "-"))
            self.assertTrue(any(e.split()[0].endswith("-" + control) for e in expects),
                            f"{path}: no expectation of the {control} control")


@unittest.skipIf(SKIP, SKIP or "")
class FixturesThroughTheCLI(unittest.TestCase):
    def run_fixture(self, path, extra=()):
        h = headers(path)
        args = list(extra)
        with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as pol:
            if h["policy"]:
                pol.write("apiVersion: appstack.io/v1alpha1\nkind: AppStackPolicy\n"
                          f"metadata: {{name: default}}\nspec: {h['policy']}\n")
        try:
            if h["policy"]:
                args += ["--policy", pol.name]
            proc = run(args + ["-f", path])
        finally:
            os.unlink(pol.name)
        self.assertIn(proc.returncode, (0, 1), proc.stderr)
        got, modes = [], []
        for line in proc.stdout.splitlines():
            m = LINE.match(line)
            self.assertIsNotNone(m, f"malformed line: {line!r}")
            self.assertEqual(m.group("file"), path)
            got.append(f"{m.group('rule')} {m.group('path')}")
            modes.append(m.group("mode"))
        self.assertEqual(sorted(got), sorted(h["expect"]), path)
        self.assertEqual(proc.returncode, 1 if "enforce" in modes else 0, proc.stdout)
        return proc

    def fixtures(self, sub):
        files = sorted(glob.glob(os.path.join(FIX, sub, "*.yaml")))
        self.assertTrue(files, f"no fixtures in {sub}")
        return [os.path.relpath(f, ROOT) for f in files if not headers(f)["op"]]

    def test_good(self):
        for f in self.fixtures("good"):
            with self.subTest(f):
                self.assertEqual(self.run_fixture(f).returncode, 0)

    def test_bad(self):
        for f in self.fixtures("bad"):
            with self.subTest(f):
                self.run_fixture(f)

    def test_pss_levels(self):
        for level in ("baseline", "restricted"):
            for kind in ("pass", "fail"):
                for f in self.fixtures(f"pss/{level}/{kind}"):
                    with self.subTest(f):
                        proc = self.run_fixture(f, ["--rules", "pod-security",
                                                    f"--pod-security={level}"])
                        self.assertEqual(proc.returncode, 1 if kind == "fail" else 0)


@unittest.skipIf(SKIP, SKIP or "")
class CommandLine(unittest.TestCase):
    def test_folder_is_walked_recursively_in_order(self):
        proc = run(["-f", "tests/golden/policy/pss/restricted"])
        self.assertEqual(proc.returncode, 1)
        files = [LINE.match(line).group("file") for line in proc.stdout.splitlines()]
        self.assertTrue(all("/fail/" in f for f in files), files)
        self.assertEqual(files, sorted(files))
        self.assertEqual(len(set(files)),
                         len(glob.glob(os.path.join(FIX, "pss/restricted/fail/*.yaml"))))

    def test_stdin_multi_document_and_list(self):
        text = ("apiVersion: v1\nkind: Service\nmetadata: {name: a, namespace: x}\n"
                "spec: {type: ClusterIP}\n---\n"
                "apiVersion: v1\nkind: List\nitems:\n"
                "- apiVersion: v1\n  kind: Service\n  metadata: {name: b}\n  spec: {type: NodePort}\n")
        proc = run(["-f", "-"], stdin=text)
        self.assertEqual(proc.returncode, 1, proc.stderr)
        self.assertRegex(proc.stdout, r"^<stdin>:2\.1: Service/b: exp-service-type spec\.type: ")
        self.assertEqual(len(proc.stdout.splitlines()), 1)

    def test_json_output(self):
        proc = run(["-o", "json", "-f", "tests/golden/policy/bad/image-latest.yaml"])
        self.assertEqual(proc.returncode, 1)
        out = json.loads(proc.stdout)
        self.assertEqual([(v["rule"], v["mode"], v["kind"], v["name"]) for v in out],
                         [("img-no-latest", "enforce", "Deployment", "web")])

    def test_parse_error_names_file_and_line(self):
        with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as f:
            f.write("apiVersion: v1\nkind: Pod\nmetadata:\n  name: [unclosed\n")
        try:
            proc = run(["-f", f.name])
        finally:
            os.unlink(f.name)
        self.assertEqual(proc.returncode, 2)
        self.assertIn(f.name, proc.stderr)
        self.assertRegex(proc.stderr, r"line \d+")

    def test_usage_errors(self):
        self.assertEqual(run([]).returncode, 2)
        self.assertEqual(run(["--pod-security=strict", "-f", "x"]).returncode, 2)
        self.assertEqual(run(["--rules", "nope", "-f", "x"]).returncode, 2)
        self.assertEqual(run(["-o", "xml", "-f", "x"]).returncode, 2)
        self.assertEqual(run(["--bogus"]).returncode, 2)
        proc = run(["-f", "/nonexistent/file.yaml"])
        self.assertEqual(proc.returncode, 2)
        self.assertIn("/nonexistent/file.yaml", proc.stderr)

    def test_invalid_policy_file_is_a_usage_error(self):
        with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as f:
            f.write("kind: AppStackPolicy\nspec: {podSecurity: {level: strict}}\n")
        try:
            proc = run(["--policy", f.name, "-f", "tests/golden/policy/good"])
        finally:
            os.unlink(f.name)
        self.assertEqual(proc.returncode, 2)
        self.assertIn("spec.podSecurity.level", proc.stderr)

    def test_exception_in_policy_file_downgrades_to_audit(self):
        with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as f:
            f.write("apiVersion: appstack.io/v1alpha1\nkind: AppStackPolicyException\n"
                    "metadata: {name: legacy, namespace: demo}\n"
                    "spec: {rules: [images], reason: legacy image, ticket: OPS-7,\n"
                    "       expiresAt: '2999-01-01T00:00:00Z'}\n")
        try:
            proc = run(["--policy", f.name, "-f", "tests/golden/policy/bad/image-latest.yaml"])
        finally:
            os.unlink(f.name)
        self.assertEqual(proc.returncode, 0, proc.stdout + proc.stderr)
        self.assertTrue(proc.stdout.rstrip().endswith("(audit, exception legacy)"), proc.stdout)


@unittest.skipIf(SKIP, SKIP or "")
class RenderedExamplesPass(unittest.TestCase):
    """The operator never emits what its own webhook rejects (default policy, restricted)."""

    def test_every_example_renders_to_compliant_objects(self):
        examples = sorted(glob.glob(os.path.join(ROOT, "examples", "*.yaml")))
        self.assertTrue(examples)
        for ex in examples:
            with self.subTest(os.path.basename(ex)):
                render = subprocess.run([CTL, "render", "-f", ex], capture_output=True, text=True,
                                        timeout=60)
                if render.returncode != 0:
                    self.skipTest(f"appstackctl render {ex} failed: {render.stderr.strip()}")
                self.assertRegex(render.stdout, r"(?m)^kind: (Deployment|StatefulSet|CronJob)$")
                proc = run(["-f", "-"], stdin=render.stdout)
                self.assertEqual(proc.returncode, 0, proc.stdout + proc.stderr)
                self.assertEqual(proc.stdout, "")


if __name__ == "__main__":
    unittest.main()
