"""Cells that start with a cell magic do in the re-check what they did in the kernel."""

import builtins

import pytest

from autograder.grading.magics import unwrap
from autograder.grading.recheck import _compile, _NoIPython

ANSWER = "def consumer(ch, out):\n    return 'mine'\n"


def run(source: str, label: str = "7") -> dict:
    """Run one cell as the re-check does: compiled by it, with its IPython stand-in."""
    namespace = {"__name__": "__main__", "__builtins__": builtins, "get_ipython": _NoIPython}
    exec(_compile(source, label), namespace)
    return namespace


@pytest.mark.parametrize("magic", ["%%time", "%%capture", "%%capture --no-stderr",
                                   "%%prun -q", "%%an_extensions_magic --option"])
def test_the_body_runs_in_the_namespace(magic):
    assert run(f"{magic}\n{ANSWER}")["consumer"](None, []) == "mine"


def test_capture_binds_its_variable_to_an_empty_capture():
    namespace = run(f"%%capture out\n{ANSWER}")
    assert namespace["consumer"](None, []) == "mine"
    assert namespace["out"].stdout == "" and namespace["out"].show() is None


def test_timeit_runs_the_body_once_and_keeps_no_name_it_assigns():
    namespace = run("%%timeit -n 3\nglobals().setdefault('ran', []).append(1)\nx = 5\n")
    assert namespace["ran"] == [1]
    assert "x" not in namespace and not any("timeit" in name for name in namespace)


@pytest.mark.parametrize("magic", ["%%bash", "%%html", "%%writefile helper.py",
                                   "%%script python3"])
def test_a_body_that_is_not_python_here_is_not_run(magic):
    assert "consumer" not in run(f"{magic}\n{ANSWER}")


def test_line_numbers_stay_those_of_the_cell():
    source = "%%time\nx = 1\nraise ValueError('line 3')\n"
    with pytest.raises(ValueError) as raised:
        run(source, label="9")
    assert raised.traceback[-1].lineno + 1 == 3  # pytest counts from 0
    assert unwrap(source).splitlines()[1:] == source.splitlines()[1:]


@pytest.mark.parametrize("source", ["x = 1\n", "%time x = 1\n", "%%time?\n", "", "\n\n"])
def test_cells_without_a_cell_magic_are_left_alone(source):
    assert unwrap(source) == source
