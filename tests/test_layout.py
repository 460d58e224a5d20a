"""The packages' dependencies point one way: no import cycles, and a learner's
kernel (``import autograder``) loads none of the instructor's tools."""

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("autograder", "course_tools", "benchmarks")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path, name: str, modules: set[str]) -> set[str]:
    """Modules ``name`` imports when it is loaded (not inside functions).

    ``from . import sibling`` depends on the sibling module only; ``from .
    import name`` where name is defined in the package's ``__init__`` depends
    on that ``__init__``.
    """
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[:len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                found.add(sub if sub in modules else base)
    return found


def import_graph() -> dict[str, set[str]]:
    modules = {module_name(p): p for package in PACKAGES for p in (ROOT / package).rglob("*.py")}
    return {name: {target for target in imports_of(path, name, set(modules)) if target in modules
                   and target != name}
            for name, path in modules.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    found, state = [], {}

    def visit(node: str, trail: list[str]) -> None:
        state[node] = "open"
        for nxt in sorted(graph[node]):
            if state.get(nxt) == "open":
                found.append(trail[trail.index(nxt):] + [nxt])
            elif nxt not in state:
                visit(nxt, trail + [nxt])
        state[node] = "done"

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])
    return found


def test_no_module_imports_itself_through_others():
    assert cycles(import_graph()) == []


def test_the_autograder_package_imports_no_instructor_tool():
    graph = import_graph()
    reaching = [(name, target) for name, targets in graph.items() if name.startswith("autograder")
                for target in targets if target.startswith("course_tools")]
    assert reaching == []


def test_a_learners_kernel_loads_no_instructor_tool():
    loaded = subprocess.run(
        [sys.executable, "-c", "import sys, autograder; print(sorted(m for m in sys.modules "
         "if m.startswith(('course_tools', 'nbgrader', 'autograder.grading'))))"],
        capture_output=True, text=True, check=True).stdout.strip()
    assert loaded == "[]"


def test_no_package_reaches_into_the_tests():
    """The tests use the packages, never the other way round: a benchmark
    that needs a scratch course or a wrong answer gets it from course_tools,
    not tests/ (imports inside functions count too)."""
    helpers = {path.stem for path in (ROOT / "tests").glob("*.py")} | {"answers", "tests"}
    reaching = []
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            text = path.read_text()
            for node in ast.walk(ast.parse(text)):
                names = ([alias.name for alias in node.names] if isinstance(node, ast.Import)
                         else [node.module or ""] if isinstance(node, ast.ImportFrom)
                         and not node.level else [])
                reaching += [(str(path.relative_to(ROOT)), name) for name in names
                             if name.split(".")[0] in helpers]
            assert '"tests"' not in text, f"{path} puts tests/ on the path"
    assert reaching == []


def test_the_cycle_finder_finds_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == [["a", "b", "c", "a"]]
