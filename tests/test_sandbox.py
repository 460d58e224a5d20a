"""The sandbox, attacked the way a submission would: each test runs a short
program under ``sandbox.command`` and checks, from outside, that what it tried
did not happen. Skipped (saying why) where bubblewrap cannot run, except in CI."""

import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

import autograder
from autograder.grading import sandbox
from autograder.grading.watchdog import Watchdog

if sandbox.bubblewrap() is None:
    pytestmark = pytest.mark.skipif(
        not os.environ.get("CI"), reason="bubblewrap (bwrap) is not installed or cannot run")


@pytest.fixture(autouse=True)
def sealed(monkeypatch):
    monkeypatch.delenv(sandbox.UNSAFE_VARIABLE, raising=False)


@pytest.fixture
def course(tmp_path) -> Path:
    """A course folder with what a submission must never see or change."""
    (tmp_path / "source" / "01").mkdir(parents=True)
    (tmp_path / "source" / "01" / "01.ipynb").write_text("solutions")
    (tmp_path / "gradebook.db").write_text("grades")
    work = tmp_path / "autograded" / "student" / "01"
    work.mkdir(parents=True)
    (work / "data.txt").write_text("the submission's own file")
    return tmp_path


def run_sealed(code: str, course: Path, timeout: float = 60, **kwargs) -> dict:
    """Run ``code`` in the sandbox, working in the submission's folder; its last
    printed line is JSON."""
    workdir = course / "autograded" / "student" / "01"
    program = sandbox.command([sys.executable, "-I", "-c", textwrap.dedent(code)],
                              workdir=workdir, hidden=(str(course),), **kwargs)
    done = subprocess.run(program, capture_output=True, text=True, timeout=timeout,
                          cwd=workdir)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.splitlines()[-1])


def test_the_course_is_invisible_but_the_submissions_own_files_are_there(course):
    seen = run_sealed(f"""
        import json, os
        print(json.dumps({{"course": os.listdir({str(course)!r}),
                          "own": open("data.txt").read(),
                          "home": os.listdir(os.path.expanduser("~"))}}))
    """, course)
    assert "gradebook.db" not in seen["course"] and "source" not in seen["course"]
    assert seen["own"] == "the submission's own file"


def test_only_the_system_python_and_the_grader_are_there(course):
    repository = Path(autograder.__file__).resolve().parents[1]
    seen = run_sealed(f"""
        import json, os
        try:
            shadow = open("/etc/shadow").read()
        except OSError:
            shadow = ""
        print(json.dumps({{
            "repository": sorted(os.listdir({str(repository)!r})),
            "root": sorted(os.listdir("/")),
            "shadow": shadow,
        }}))
    """, course)
    assert "source" not in seen["repository"] and "tests" not in seen["repository"]
    assert "autograder" in seen["repository"]
    assert not {"srv", "opt", "home", "mnt", "var"} & set(seen["root"]) - {"var"}
    assert seen["shadow"] == ""


def test_the_grader_the_environment_and_own_files_cannot_be_changed(course):
    import autograder.learner
    learner = Path(autograder.learner.__file__)
    before = learner.read_bytes()
    seen = run_sealed(f"""
        import json, sysconfig
        tried = {{}}
        for path in [{str(learner)!r}, sysconfig.get_paths()["purelib"] + "/evil.pth",
                     "data.txt"]:
            try:
                with open(path, "a") as f:
                    f.write("def check(*a, **k): print('passed')\\n")
                tried[path] = "written"
            except OSError as error:
                tried[path] = type(error).__name__
        print(json.dumps(tried))
    """, course)
    assert "written" not in seen.values(), seen
    assert learner.read_bytes() == before


def test_writes_go_to_a_private_bounded_tmp_that_vanishes(course, tmp_path):
    marker = f"sandbox-test-{os.getpid()}"
    seen = run_sealed(f"""
        import json, os
        written = 0
        try:
            with open("/tmp/{marker}", "wb") as f:
                for _ in range(64):
                    f.write(b"x" * 2**23)
                    written += 2**23
        except OSError as error:
            failure = type(error).__name__
        else:
            failure = None
        with open("scratch.txt", "w") as f:
            f.write("gone later")
        print(json.dumps({{"written": written, "failure": failure}}))
    """, course, limits=sandbox.Limits(scratch_mib=64))
    assert seen["failure"] == "OSError" and seen["written"] <= 64 * 2**20
    assert not (Path("/tmp") / marker).exists()
    assert not (course / "autograded" / "student" / "01" / "scratch.txt").exists()


def test_the_network_is_a_loopback_of_its_own(course):
    grader_side = socket.create_server(("127.0.0.1", 0))
    port = grader_side.getsockname()[1]
    try:
        seen = run_sealed(f"""
            import json, socket
            own = socket.create_server(("127.0.0.1", 0))
            socket.create_connection(own.getsockname()).close()
            try:
                socket.create_connection(("127.0.0.1", {port}), timeout=2)
                outside = "reached"
            except OSError as error:
                outside = type(error).__name__
            print(json.dumps({{"outside": outside}}))
        """, course)
    finally:
        grader_side.close()
    assert seen["outside"] == "ConnectionRefusedError"


def test_nothing_started_inside_outlives_the_sandbox_and_nothing_outside_can_be_signalled(course):
    marker = f"sandbox-survivor-{os.getpid()}"
    seen = run_sealed(f"""
        import json, os, signal, subprocess, sys
        subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)", {marker!r}],
                         start_new_session=True)
        parent = os.getppid()
        for sig in (signal.SIGSTOP, signal.SIGKILL):
            try:
                os.kill(parent, sig)
            except OSError:
                pass
        print(json.dumps({{"parent": parent, "pid": os.getpid()}}))
    """, course)
    assert seen["pid"] < 10, "the program should see a pid namespace of its own"
    time.sleep(0.2)
    survivors = [p for p in os.listdir("/proc") if p.isdigit()
                 and marker.encode() in _cmdline(p)]
    assert not survivors


def test_the_graders_secrets_are_not_in_the_environment(course, monkeypatch):
    monkeypatch.setenv("PGPASSWORD", "secret")
    seen = run_sealed("""
        import json, os
        print(json.dumps(sorted(os.environ)))
    """, course)
    assert "PGPASSWORD" not in seen


def test_the_watchdog_ends_a_sandbox_that_uses_too_much_memory_or_too_many_threads(course):
    """Memory counts what is used: resident pages, and anonymous files held open."""
    for code, limit in [("x = bytearray(600 * 2**20); time.sleep(30)", "memory"),
                        # Pages of an anonymous file that no process maps are still used.
                        ("import os\nchunk = b'x' * 2**20\n"
                         "for _ in range(3):\n    fd = os.memfd_create('hoard')\n"
                         "    for _ in range(200): os.write(fd, chunk)\n"
                         "time.sleep(30)", "memory"),
                        ("import threading\ne = threading.Event()\n"
                         "for _ in range(300): threading.Thread(target=e.wait).start()\n"
                         "time.sleep(30)", "threads")]:
        program = sandbox.command([sys.executable, "-c", "import time\n" + code],
                                  workdir=course / "autograded" / "student" / "01")
        child = subprocess.Popen(program)
        watchdog = Watchdog(child.pid, memory_mib=300, tasks=200).start()
        began = time.monotonic()
        assert child.wait(timeout=30) == -signal.SIGKILL
        assert time.monotonic() - began < 20
        assert limit in watchdog.reason


def test_the_watchdog_bounds_what_a_sandbox_writes_to_a_host_folder(course, tmp_path):
    shared = tmp_path / "sockets"
    shared.mkdir()
    program = sandbox.command([sys.executable, "-c", textwrap.dedent(f"""
        import time
        for n in range(40):
            with open("{shared}/f%d" % n, "wb") as f:
                f.write(b"x" * 2**23)
        time.sleep(30)
    """)], workdir=course / "autograded" / "student" / "01", private=(str(shared),))
    child = subprocess.Popen(program)
    watchdog = Watchdog(child.pid, memory_mib=1024, tasks=100, writable=(str(shared),),
                        disk_mib=64).start()
    assert child.wait(timeout=60) == -signal.SIGKILL
    assert "wrote more than 64 MiB" in watchdog.reason


def test_hundreds_of_parked_threads_are_within_the_limits(course):
    program = sandbox.command([sys.executable, "-c", textwrap.dedent("""
        import threading
        gate = threading.Event()
        for _ in range(600):
            threading.Thread(target=gate.wait, daemon=True).start()
        print(threading.active_count())
    """)], workdir=course / "autograded" / "student" / "01")
    child = subprocess.Popen(program, stdout=subprocess.PIPE, text=True)
    watchdog = Watchdog(child.pid, memory_mib=sandbox.Limits.memory_mib,
                        tasks=sandbox.Limits.tasks).start()
    assert child.communicate(timeout=60)[0].strip() == "601"
    assert watchdog.reason is None


def test_grading_refuses_to_run_unsealed_unless_told_to(monkeypatch, tmp_path):
    sandbox.bubblewrap.cache_clear()
    monkeypatch.setenv("PATH", str(tmp_path))  # no bwrap on it
    try:
        with pytest.raises(sandbox.SandboxMissing, match="apt-get install bubblewrap"):
            sandbox.command(["true"], workdir=tmp_path)
        monkeypatch.setenv(sandbox.UNSAFE_VARIABLE, "1")
        with pytest.warns(UserWarning, match="WITHOUT a sandbox"):
            assert sandbox.command(["true"], workdir=tmp_path)[0] == "prlimit"
    finally:
        sandbox.bubblewrap.cache_clear()


def _cmdline(pid: str) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def test_a_sealed_kernel_holds_no_descriptor_of_a_host_file(tmp_path):
    """A descriptor inherited from the grader (its log as stderr, say) would
    reach the host file whatever the sandbox hides."""
    from nbformat.v4 import new_code_cell, new_notebook

    from autograder.grading.execute import ResilientExecute

    nb = new_notebook(cells=[new_code_cell(
        "import os\nfor fd in sorted(os.listdir('/proc/self/fd')):\n"
        "    try:\n        print(os.readlink(f'/proc/self/fd/{fd}'))\n"
        "    except OSError:\n        pass\n")])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    log = tmp_path / "grader.log"
    with open(log, "a") as handle:
        saved = os.dup(2)
        os.dup2(handle.fileno(), 2)  # as the batch's workers do
        try:
            ResilientExecute(timeout=30).preprocess(nb, {"metadata": {"path": str(tmp_path)}})
        finally:
            os.dup2(saved, 2)
            os.close(saved)
    targets = "".join(out.get("text", "") for out in nb.cells[0].outputs).split()
    assert targets, nb.cells[0].outputs
    assert str(log) not in targets
