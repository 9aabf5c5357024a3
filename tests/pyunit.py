#!/usr/bin/env python3
"""tests/pyunit.py DIR - run the unittest suites test_*.py in DIR.

Prints unittest's normal report, one "SKIP test: reason" line per skipped
test, and a last machine-readable line for tests/run.py:
    PYUNIT passed=N failed=N skipped=N
"""
import os
import sys
import unittest


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: tests/pyunit.py DIR")
    directory = os.path.abspath(sys.argv[1])
    sys.path.insert(0, directory)
    suite = unittest.defaultTestLoader.discover(directory, pattern="test_*.py",
                                                top_level_dir=directory)
    verbosity = 2 if os.environ.get("VERBOSE") else 1
    result = unittest.TextTestRunner(stream=sys.stdout, verbosity=verbosity).run(suite)
    for test, reason in result.skipped:
        print(f"SKIP {test.id()}: {reason}")
    failed = len(result.failures) + len(result.errors) + len(result.unexpectedSuccesses)
    skipped = len(result.skipped)
    passed = result.testsRun - failed - skipped
    print(f"PYUNIT passed={passed} failed={failed} skipped={skipped}")
    sys.exit(0 if failed == 0 else 1)


if __name__ == "__main__":
    main()
