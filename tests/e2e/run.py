"""run.py: run every tests/e2e/test_*.py against one scratch installation
and print the closing line "N passed, M failed"."""
import os
import shutil
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

CREATED_ROOT = 'QMAIL_E2E_ROOT' not in os.environ
import harness  # noqa: E402  (builds the scratch installation once)


def main():
    pattern = sys.argv[1] if len(sys.argv) > 1 else 'test_*.py'
    suite = unittest.defaultTestLoader.discover(HERE, pattern=pattern, top_level_dir=HERE)
    result = unittest.TextTestRunner(verbosity=2, stream=sys.stdout).run(suite)
    failed = len(result.failures) + len(result.errors) + len(result.unexpectedSuccesses)
    skipped = len(result.skipped)
    passed = result.testsRun - failed - skipped
    if CREATED_ROOT and not os.environ.get('QMAIL_E2E_KEEP'):
        shutil.rmtree(harness.Q.root, ignore_errors=True)
    print('%d passed, %d failed' % (passed, failed))
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
