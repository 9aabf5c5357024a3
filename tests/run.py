#!/usr/bin/env python3
"""tests/run.py - run AppStack's test tiers and print one closing summary.

Tiers (in this order):
  unit         every Check program built from tests/unit/test_*.c
  golden       Python suites in tests/golden/ (rendered output, admission decisions)
  apiserver    the local test API server's own suite (tests/apiserver/test_*.py)
  integration  Check programs from tests/integration/itest_*.c and Python suites in
               tests/integration/, against TEST_KUBECONFIG when set, otherwise against
               a local API server started (and stopped) here
  fuzz         a smoke run of every libFuzzer target (hack/fuzz, FUZZ_SECONDS each,
               default 5); each target that builds and finds no crash counts as passed

The last line is "tests: N passed, N failed, N skipped". Exit status 1 when
anything failed or a tier could not run, 0 otherwise.
"""
import argparse
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CHECK_LINE = re.compile(r"(\d+)%: Checks: (\d+), Failures: (\d+), Errors: (\d+)")
PYUNIT_LINE = re.compile(r"^PYUNIT passed=(\d+) failed=(\d+) skipped=(\d+)$", re.M)
TIERS = ["unit", "golden", "apiserver", "integration", "fuzz"]


class Totals:
    def __init__(self):
        self.passed = self.failed = self.skipped = 0
        self.broken = []  # programs that crashed or printed no summary

    def add(self, passed, failed, skipped=0):
        self.passed += passed
        self.failed += failed
        self.skipped += skipped


def run_check_program(path, totals, env):
    """Runs one Check program; counts its checks from Check's summary line."""
    name = os.path.basename(path)
    proc = subprocess.run([path], cwd=ROOT, env=env, capture_output=True, text=True)
    out = proc.stdout + proc.stderr
    m = CHECK_LINE.search(out)
    if not m:
        totals.broken.append(name)
        sys.stdout.write(out)
        print(f"  {name}: no Check summary (exit {proc.returncode})")
        return
    checks, failures, errors = int(m.group(2)), int(m.group(3)), int(m.group(4))
    bad = failures + errors
    totals.add(checks - bad, bad)
    if bad or proc.returncode != 0:
        sys.stdout.write(out)
        if not bad:
            totals.broken.append(name)
    skipped = 0
    for line in out.splitlines():
        if line.startswith("SKIP "):
            print("  " + line)
            skipped += 1
    totals.skipped += skipped
    print(f"  {name}: {checks - bad} passed, {bad} failed, {skipped} skipped")


def run_python_suite(directory, totals, env):
    """Runs the unittest suites in directory through tests/pyunit.py."""
    if not glob.glob(os.path.join(directory, "test_*.py")):
        return
    cmd = [sys.executable, os.path.join(ROOT, "tests", "pyunit.py"), directory]
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
    out = proc.stdout + proc.stderr
    m = PYUNIT_LINE.search(out)
    if not m:
        totals.broken.append(directory)
        sys.stdout.write(out)
        print(f"  {os.path.relpath(directory, ROOT)}: no summary (exit {proc.returncode})")
        return
    passed, failed, skipped = (int(g) for g in m.groups())
    totals.add(passed, failed, skipped)
    if failed or proc.returncode != 0 or os.environ.get("VERBOSE"):
        sys.stdout.write(out)
    else:
        for line in out.splitlines():
            if line.startswith("SKIP "):
                print("  " + line)
    rel = os.path.relpath(directory, ROOT)
    print(f"  {rel}: {passed} passed, {failed} failed, {skipped} skipped")


def start_local_apiserver(env):
    """Starts hack/local-apiserver in a fresh state dir; returns (kubeconfig, state_dir)."""
    state = tempfile.mkdtemp(prefix="appstack-itest-")
    e = dict(env, APPSTACK_APISERVER_DIR=state)
    proc = subprocess.run([os.path.join(ROOT, "hack", "local-apiserver"), "start"], env=e,
                          capture_output=True, text=True, cwd=ROOT)
    lines = proc.stdout.strip().splitlines()
    if proc.returncode != 0 or not lines or not lines[-1].startswith("KUBECONFIG="):
        sys.stdout.write(proc.stdout + proc.stderr)
        raise RuntimeError("could not start the local API server")
    return lines[-1].split("=", 1)[1], state


def stop_local_apiserver(state, env):
    e = dict(env, APPSTACK_APISERVER_DIR=state)
    subprocess.run([os.path.join(ROOT, "hack", "local-apiserver"), "stop"], env=e,
                   capture_output=True, cwd=ROOT)


def tier_integration(args, totals, env):
    progs = sorted(glob.glob(os.path.join(ROOT, args.build, "tests", "itest_*")))
    progs = [p for p in progs if os.access(p, os.X_OK) and not p.endswith((".o", ".d"))]
    pydir = os.path.join(ROOT, "tests", "integration")
    state = None
    kubeconfig = os.environ.get("TEST_KUBECONFIG")
    if kubeconfig:
        print(f"  against TEST_KUBECONFIG={kubeconfig}")
    else:
        kubeconfig, state = start_local_apiserver(env)
        env = dict(env, APPSTACK_APISERVER_DIR=state, APPSTACK_LOCAL_APISERVER="1")
    env = dict(env, KUBECONFIG=kubeconfig)
    try:
        for p in progs:
            run_check_program(p, totals, env)
        run_python_suite(pydir, totals, env)
    finally:
        if state:
            stop_local_apiserver(state, env)
            if totals.failed == 0 and not totals.broken:
                shutil.rmtree(state, ignore_errors=True)  # kept after a failure, for its logs


def tier_fuzz(totals, env):
    targets = sorted(glob.glob(os.path.join(ROOT, "tests", "fuzz", "fuzz_*.c")))
    if not targets:
        return
    seconds = os.environ.get("FUZZ_SECONDS", "5")
    proc = subprocess.run([os.path.join(ROOT, "hack", "fuzz"), seconds] + targets, cwd=ROOT,
                          env=env, capture_output=True, text=True)
    counted = 0
    for line in proc.stdout.splitlines():
        name, _, verdict = line.partition(": ")
        if not name.startswith("fuzz_"):
            continue
        counted += 1
        print("  " + line)
        ok = verdict.startswith("ok")
        totals.add(1 if ok else 0, 0 if ok else 1)
    if counted != len(targets):
        sys.stdout.write(proc.stdout + proc.stderr)
        totals.broken.append(f"fuzz: {len(targets) - counted} target(s) gave no verdict")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", default="build/release", help="build directory of the variant")
    ap.add_argument("--bin", default="bin", help="directory holding the programs")
    ap.add_argument("--tier", default=",".join(TIERS), help="comma-separated tiers to run")
    args = ap.parse_args()

    env = dict(os.environ, APPSTACK_BIN=os.path.join(ROOT, args.bin),
               APPSTACK_BUILD=os.path.join(ROOT, args.build), CK_DEFAULT_TIMEOUT="60")
    totals = Totals()
    for tier in args.tier.split(","):
        if tier not in TIERS:
            ap.error(f"--tier: unknown tier {tier!r}; choose from {', '.join(TIERS)}")
        print(f"== {tier}")
        if tier == "unit":
            progs = sorted(glob.glob(os.path.join(ROOT, args.build, "tests", "test_*")))
            for p in progs:
                if os.access(p, os.X_OK) and not p.endswith((".o", ".d")):
                    run_check_program(p, totals, env)
        elif tier == "golden":
            run_python_suite(os.path.join(ROOT, "tests", "golden"), totals, env)
        elif tier == "apiserver":
            run_python_suite(os.path.join(ROOT, "tests", "apiserver"), totals, env)
        elif tier == "fuzz":
            tier_fuzz(totals, env)
        elif tier == "integration":
            try:
                tier_integration(args, totals, env)
            except RuntimeError as e:
                totals.broken.append(f"integration: {e}")

    for b in totals.broken:
        print(f"BROKEN: {b}")
    print(f"tests: {totals.passed} passed, {totals.failed} failed, {totals.skipped} skipped")
    return 1 if totals.failed or totals.broken else 0


if __name__ == "__main__":
    sys.exit(main())
