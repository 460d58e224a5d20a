"""The integrity snapshot undoes tampering (the sandbox has tests of its own,
in test_sandbox.py). It runs in a child process, since it breaks things on
purpose."""

import json
import subprocess
import sys
import textwrap



def run(code: str) -> dict:
    program = [sys.executable, "-c", textwrap.dedent(code)]
    done = subprocess.run(program, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.splitlines()[-1])


def test_restore_undoes_each_kind_of_tampering_and_says_what_it_was():
    seen = run("""
        import json, sys, threading
        from autograder.grading import integrity
        integrity.import_whole_grader()
        snapshot = integrity.Snapshot.take()
        import autograder.learner as learner, autograder.exercises.harness as harness
        real_check, real_count = learner.check, threading.active_count
        threading.active_count = lambda: 1
        learner.check = lambda *a, **k: None
        harness.expect.__code__ = (lambda condition, message: None).__code__
        sys.modules["autograder"] = object()
        sys.meta_path.insert(0, object())
        import builtins; builtins.check = print
        changed = snapshot.restore()
        try:
            harness.expect(False, "still checks")
            expect_works = False
        except AssertionError:
            expect_works = True
        print(json.dumps({"changed": changed, "again": snapshot.restore(),
                          "check": learner.check is real_check,
                          "count": threading.active_count is real_count,
                          "expect": expect_works,
                          "module": type(sys.modules["autograder"]).__name__}))
    """)
    assert seen["again"] == []
    assert seen["check"] and seen["count"] and seen["expect"]
    assert seen["module"] == "module"
    for words in ("sys.modules['autograder']", "autograder.learner.check",
                  "threading.active_count", "harness.expect", "import machinery",
                  "builtins.check (added)"):
        assert any(words in change for change in seen["changed"]), words
