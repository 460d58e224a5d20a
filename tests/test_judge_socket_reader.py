"""Lesson 02's judge, on small hand-built notebooks: both test cells here
"passed in the kernel" (no error output), so what the judge decides is all
that stands. Run through the real sealed-off subject process; the judge holds
the far end of every connection.

The judge must agree with the in-kernel check on every answer of the corpus:
right ones confirmed, each wrong one rejected by the tests it fails there."""

from __future__ import annotations

import inspect

import pytest

import autograder  # noqa: F401  (installs the thread-start hook first)
from autograder.exercises import EXERCISES, CheckFailed
from autograder.grading.judge import JUDGES
from judge_helpers import judge_all, notebook

from answers import load
from answers import socket_reader_reference as reference
from answers import socket_reader_wrong as wrong
from answers.socket_reader_cells import VARIANTS
from answers.socket_reader_wrong import WRONG

# The kernel's verdicts and the judge's are compared on answers whose readers
# race the stop (a reader spinning on b"" may or may not see the close first):
# beside two busy xdist workers they drew apart on a fresh clone, so make test
# runs this module with the machine to itself.
pytestmark = pytest.mark.alone
TESTS = ("local_close", "peer_close")
IMPORTS = "import queue\nimport socket\nimport time\n\n"


def source_of(answers: dict) -> str:
    """An answer cell defining socket_recv and stop_receiver as in ``answers``."""
    functions = {f.__name__: f for f in answers.values()}
    if any(name.startswith("stop_") and name != "stop_receiver" for name in functions):
        functions["_wait_for_exit"] = wrong._wait_for_exit
    return (IMPORTS + "\n".join(inspect.getsource(f) for f in functions.values())
            + f"\nsocket_recv = {answers['socket_recv'].__name__}\n"
            + f"stop_receiver = {answers['stop_receiver'].__name__}\n")


REFERENCE = inspect.getsource(reference)

SHUT_RD_ONLY = REFERENCE.replace("conn.shutdown(socket.SHUT_RDWR)",
                                 "conn.shutdown(socket.SHUT_RD)")


def judged(answer: str, tmp_path, tests: tuple[str, ...] = TESTS) -> dict[str, str | None]:
    """Each test's verdict by the judge: None when confirmed, else its message."""
    nb = notebook(answer, *(f'from autograder import check\ncheck("{name}")\n'
                            f'check("{name}", hidden=True)\n' for name in tests),
                  grade_id="socket_shutdown")
    verdicts = {}
    for name, errors in zip(tests, judge_all(nb, tmp_path)):
        assert len(errors) <= 1
        verdicts[name] = errors[0].evalue if errors else None
    return verdicts


def in_kernel(answers: dict) -> dict[str, str | None]:
    """The in-kernel check's verdicts (visible, then hidden cases): None when it passes."""
    verdicts = {}
    for name in TESTS:
        try:
            EXERCISES[name].run(answers, False)
            EXERCISES[name].run(answers, True)
            verdicts[name] = None
        except CheckFailed as failure:
            verdicts[name] = str(failure)
    return verdicts


def test_both_exercises_have_a_judge():
    assert set(TESTS) <= set(JUDGES)


@pytest.mark.slow  # a corpus of right answers, each ~3 s with the machine to itself
@pytest.mark.parametrize("answer", [REFERENCE, SHUT_RD_ONLY, *VARIANTS.values()],
                         ids=["reference", "shutdown SHUT_RD", *VARIANTS])
def test_a_right_answer_is_confirmed(tmp_path, answer):
    assert in_kernel(load(answer)) == {"local_close": None, "peer_close": None}
    assert judged(answer, tmp_path) == {"local_close": None, "peer_close": None}


# What the judge says, in the learner's terms, for the tests each mistake fails.
REASONS = {
    ("close only", "local_close"): ["conn.close() did not wake the reader", "SHUT_RDWR"],
    ("no close", "local_close"): ["conn is still open"],
    ("no close", "peer_close"): ["conn is still open"],
    ("unguarded shutdown", "peer_close"): ["raised OSError", "catch it, and close() anyway"],
    ("slow polling", "local_close"): ["waits with a timeout", "polls"],
    ("slow polling", "peer_close"): ["waits with a timeout", "polls"],
    ("spinning", "local_close"): ["never waits while no data comes", "spins"],
    ("spinning", "peer_close"): ["never waits while no data comes", "spins"],
    ("b'' as no data", "peer_close"): ["flat out, never waiting", "b\"\" means end-of-stream"],
    ("reports twice", "local_close"): ["that is 2 reports", "exactly once"],
    ("reports twice", "peer_close"): ["that is 2 reports"],
    ("dies on reset", "peer_close"): ["raised ConnectionResetError",
                                      "without putting \"exit\" on exit_q", "catch OSError"],
    ("returns on first data", "local_close"): ["ended while the connection was still open"],
    ("returns on first data", "peer_close"): ["ended while the connection was still open"],
}


# Each mistake through the real subject: in `make test`; the fast loop has its
# in-kernel twin, and the right answers and forgeries here.
@pytest.mark.slow
@pytest.mark.parametrize("mistake", sorted(WRONG))
def test_each_mistake_is_judged_as_the_kernel_judges_it(tmp_path, mistake):
    kernel = in_kernel(WRONG[mistake])
    verdicts = judged(source_of(WRONG[mistake]), tmp_path)
    assert {name: verdicts[name] is None for name in TESTS} == \
        {name: kernel[name] is None for name in TESTS}, (kernel, verdicts)
    assert any(kernel.values())
    for name in TESTS:
        for phrase in REASONS.get((mistake, name), []):
            assert phrase in verdicts[name], verdicts[name]
        if verdicts[name] is not None:
            assert verdicts[name].startswith("it passed in the notebook's kernel but not when "
                                             f"checked again outside it: {name}: ")


STOP_NO_TIMEOUT = REFERENCE + '''
def stop_receiver(conn, exit_q, timeout=1.0):
    try:
        conn.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    conn.close()
    return exit_q.get(timeout=timeout)  # queue.Empty, not TimeoutError
'''

STOP_RETURNS_LITERAL = REFERENCE + '''
def stop_receiver(conn, exit_q, timeout=1.0):
    conn.shutdown(socket.SHUT_RDWR)
    conn.close()
    return "exit"  # without waiting for the reader
'''

STOP_KEEPS_A_DUP = REFERENCE + '''
import os
_kept = []
def stop_receiver(conn, exit_q, timeout=1.0):
    _kept.append(os.dup(conn.fileno()))  # the socket stays open through this
    try:
        conn.shutdown(socket.SHUT_RD)
    except OSError:
        pass
    conn.close()
    try:
        return exit_q.get(timeout=timeout)
    except queue.Empty:
        raise TimeoutError from None
'''


@pytest.mark.parametrize("answer,phrase", [
    (STOP_NO_TIMEOUT, "raised queue.Empty; raise TimeoutError instead"),
    (STOP_RETURNS_LITERAL, "left the reader's message in exit_q"),
    (STOP_KEEPS_A_DUP, "still reaches the socket"),
], ids=["queue.Empty", "literal exit", "a dup kept open"])
def test_stop_receiver_mistakes_are_rejected(tmp_path, answer, phrase):
    verdicts = judged(answer, tmp_path, ("local_close",))
    assert verdicts["local_close"] is not None and phrase in verdicts["local_close"]


# --- forgeries: no right answer, only the grader's parts replaced --------------------------

PATCHES_THE_HARNESS = source_of(WRONG["spinning"]) + '''
import sys
_HELPERS = ("expect_waiting", "diagnose_reader", "expect_one_report", "expect_released",
            "expect_end_of_stream", "wait_until_reader_waits", "spinning", "expect")

def _patch_every_check():
    for _name, _module in list(sys.modules.items()):
        if _name.startswith("autograder"):
            for _helper in _HELPERS:
                if hasattr(_module, _helper):
                    setattr(_module, _helper, lambda *args, **kwargs: None)

_patch_every_check()
_real_recv = socket_recv
def socket_recv(conn, exit_q):  # and again while the judge asks
    _patch_every_check()
    _real_recv(conn, exit_q)
'''

FAKE_PROBE = '''
import socket, threading
import autograder.probes as _probes

def _fake(namespace, descriptors, how, timeout=None):
    conn = socket.socket(fileno=descriptors[0])
    idle = threading.Event()
    reader = threading.Thread(target=idle.wait, daemon=True)
    reader.start()
    yield {"started": [reader.native_id]}
    yield {"running": True}
    conn.shutdown(socket.SHUT_RDWR)
    conn.close()
    idle.set()
    reader.join()
    yield {"returned": "exit", "raised": None, "reports": ["exit"], "reader_error": None,
           "left": []}
    return {"reports": ["exit"], "reader_error": None, "left": []}

def _install():
    _probes.PROBES["socket_reader"] = _fake
_install()
threading.Thread(target=lambda: [(_install(), __import__("time").sleep(0.001))
                                 for _ in range(20000)], daemon=True).start()

def socket_recv(conn, exit_q):
    exit_q.put("exit")

def stop_receiver(conn, exit_q, timeout=1.0):
    conn.close()
    return "exit"
'''


@pytest.mark.parametrize("forgery,phrase", [
    (PATCHES_THE_HARNESS, "never waits while no data comes"),
    # The subject serves probes from a copy of the register made before any learner
    # code ran: the real probe answers, and the wrong answer behind it earns nothing.
    (FAKE_PROBE, ""),
], ids=["harness helpers patched", "probe replaced with made-up data"])
def test_a_forgery_is_rejected(tmp_path, forgery, phrase):
    verdicts = judged(forgery, tmp_path)
    for name in TESTS:
        assert verdicts[name] is not None and phrase in verdicts[name], verdicts
