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


def test_asyncio_is_put_back_and_using_it_rightly_changes_nothing():
    """Lesson 06's census counts the loop's tasks with asyncio's own functions:
    a learner who replaces them is undone and named; one who merely runs a loop,
    a task group, a queue and a stream (asyncio makes some of its state on first
    use) is not reported."""
    seen = run("""
        import json
        from autograder.grading import integrity
        integrity.import_whole_grader()
        snapshot = integrity.Snapshot.take()
        import asyncio

        async def everything():
            async with asyncio.TaskGroup() as group:
                group.create_task(asyncio.sleep(0))
            queue = asyncio.Queue()
            await queue.put(1)
            await queue.get()
            server = await asyncio.start_server(lambda r, w: w.close(), "127.0.0.1", 0)
            port = server.sockets[0].getsockname()[1]
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            await reader.read()
            writer.close()
            server.close()
            async with asyncio.timeout(1):
                await asyncio.wait_for(asyncio.sleep(0), 1)

        asyncio.run(everything())
        loop = asyncio.new_event_loop(); loop.run_until_complete(asyncio.sleep(0)); loop.close()
        used_rightly = snapshot.restore()
        real_all_tasks = asyncio.all_tasks
        asyncio.all_tasks = lambda loop=None: set()
        asyncio.tasks.all_tasks = asyncio.all_tasks
        asyncio.BaseEventLoop.create_task = lambda self, coro, **kw: None
        hidden = snapshot.restore()
        print(json.dumps({"used_rightly": used_rightly, "hidden": hidden,
                          "back": asyncio.all_tasks is real_all_tasks}))
    """)
    assert seen["used_rightly"] == []
    assert seen["back"]
    for words in ("asyncio.all_tasks", "asyncio.tasks.all_tasks",
                  "asyncio.base_events.BaseEventLoop.create_task"):
        assert words in seen["hidden"], (words, seen["hidden"])
