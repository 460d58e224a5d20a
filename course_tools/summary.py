"""What an instructor looks at after grading a class.

    python -m course_tools.summary [--course DIR] [--report PATH]

Reads the gradebook (scores), the autograded notebooks (what each failing
check said, incidents the grading recorded) and the batch ledger (submissions
nbgrader could not finish), and makes:

* terminal tables: one row per student (score per assignment, flags), one row
  per exercise (mean, how many got full marks or zero, the commonest failure);
* an HTML report (``report_html``): each exercise's score distribution as a
  matplotlib chart (embedded PNG), its most common failure messages, and the
  submissions that need a look (timed out, crashed, tampered, ...).
"""

from __future__ import annotations

import argparse
import json
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from .gradebook_api import EXPORTS, LEDGER_NAME, gradebook, load_api
from .report_html import write_html
from .report_text import terminal_tables

FAIL_MARK = "\N{CROSS MARK}"
# Words in a cell's outputs that mean the grading itself met trouble.
OUTPUT_INCIDENTS = (
    ("CellTimeoutError", "timeout"),
    ("DeadKernelError", "crash"),
    ("tampered", "tampered"),
)


@dataclass
class Incident:
    kind: str
    cell: str | None
    detail: str
    trace: str | None = None  # the end of a traceback, when there is one


@dataclass
class Submission:
    student: str
    assignment: str
    scores: dict[str, float | None] = field(default_factory=dict)  # cell -> score
    failures: dict[str, str] = field(default_factory=dict)  # cell -> first line
    incidents: list[Incident] = field(default_factory=list)

    @property
    def score(self) -> float:
        return sum(s for s in self.scores.values() if s is not None)


@dataclass
class Exercise:
    assignment: str
    cell: str
    max_score: float

    @property
    def key(self) -> str:
        return f"{self.assignment}/{self.cell}"


@dataclass
class Report:
    course: Path
    exercises: list[Exercise]
    max_scores: dict[str, float]  # assignment -> max
    submissions: dict[tuple[str, str], Submission]  # (student, assignment) -> ...
    # "student/assignment" -> (which worker graded it, seconds), from the ledger
    graded_by: dict[str, tuple[str, float]] = field(default_factory=dict)

    @property
    def students(self) -> list[str]:
        return sorted({student for student, _ in self.submissions})

    @property
    def assignments(self) -> list[str]:
        return sorted(self.max_scores)

    def needs_a_look(self) -> list[tuple[Submission, Incident]]:
        return [(sub, incident) for key, sub in sorted(self.submissions.items())
                for incident in sub.incidents]

    def common_failures(self, exercise: Exercise, top: int = 5) -> list[tuple[str, int, list[str]]]:
        """(message, how many, which students), most common first."""
        counts: Counter = Counter()
        example: dict[str, str] = {}
        who: dict[str, list[str]] = defaultdict(list)
        for (student, assignment), sub in sorted(self.submissions.items()):
            if assignment != exercise.assignment or exercise.cell not in sub.failures:
                continue
            message = sub.failures[exercise.cell]
            key = normalise(message)
            counts[key] += 1
            example.setdefault(key, message)
            who[key].append(student)
        return [(example[k], n, who[k]) for k, n in counts.most_common(top)]

    def distribution(self, exercise: Exercise) -> list[float]:
        return [sub.scores[exercise.cell] for (_, a), sub in sorted(self.submissions.items())
                if a == exercise.assignment and sub.scores.get(exercise.cell) is not None]


def normalise(message: str) -> str:
    """Group messages that differ only in numbers, addresses or thread ids."""
    message = re.sub(r"0x[0-9a-f]+", "0x…", message)
    return re.sub(r"\d+(\.\d+)?", "#", message).strip()


# --------------------------------------------------------------------------
# Collecting


def collect(course: Path, assignments: list[str] | None = None) -> Report:
    course = course.resolve()
    api = load_api(course)
    exercises, max_scores, submissions = [], {}, {}
    with gradebook(api) as gb:
        for assignment in gb.assignments:
            if assignments and assignment.name not in assignments:
                continue
            max_scores[assignment.name] = assignment.max_score
            for notebook in assignment.notebooks:
                for cell in sorted(notebook.grade_cells, key=lambda c: c.name):
                    exercises.append(Exercise(assignment.name, cell.name, cell.max_score))
            for submission in assignment.submissions:
                sub = Submission(submission.student.id, assignment.name)
                for notebook in submission.notebooks:
                    for grade in notebook.grades:
                        graded = grade.auto_score is not None or grade.manual_score is not None
                        sub.scores[grade.name] = grade.score if graded else None
                submissions[(sub.student, sub.assignment)] = sub
    order = {name: i for i, name in enumerate(sorted(max_scores))}
    exercises.sort(key=lambda e: (order[e.assignment], e.cell))
    for (student, assignment), sub in submissions.items():
        folder = course / "autograded" / student / assignment
        for path in sorted(folder.glob("*.ipynb")) if folder.is_dir() else []:
            read_notebook(path, sub)
    graded_by = {}
    for key, entry in read_ledger(course).items():
        student, _, assignment = key.partition("/")
        if entry.get("worker") and assignment in max_scores:
            graded_by[key] = (entry["worker"], entry.get("seconds") or 0.0)
        if entry.get("success", True) or assignment not in max_scores:
            continue
        # One nbgrader gave up on before it reached the gradebook is listed all the same.
        sub = submissions.setdefault((student, assignment), Submission(student, assignment))
        sub.incidents.append(ledger_incident(entry))
    for sub in submissions.values():
        sub.incidents = dedupe(sub.incidents)
    return Report(course, exercises, max_scores, submissions, graded_by)


def read_ledger(course: Path) -> dict[str, dict]:
    path = course / EXPORTS / LEDGER_NAME
    try:
        return json.loads(path.read_text()).get("finished", {})
    except (OSError, ValueError, AttributeError):
        return {}


def ledger_incident(entry: dict) -> Incident:
    """What the ledger says went wrong: a submission that was graded zero
    because its grading was lost (``lost``: killed, stopped, timed out), or
    one nbgrader failed on, with the end of the real traceback (``cause``)."""
    if entry.get("lost"):
        return Incident(entry["lost"], None,
                        f"graded zero: {entry.get('cause') or 'its grading was lost'}"[:300])
    cause = entry.get("cause") or entry.get("error") or ""
    lines = [line for line in cause.strip().splitlines() if line.strip()]
    detail = lines[-1].strip() if lines else "nbgrader could not autograde this submission"
    kind = "crash"
    if "CellTimeoutError" in cause or "TimeoutError" in cause:
        kind = "timeout"
    return Incident(kind, None, f"nbgrader failed: {detail}"[:300],
                    trace="\n".join(lines) or None)


def read_notebook(path: Path, sub: Submission) -> None:
    import nbformat

    try:
        notebook = nbformat.read(path, as_version=4)
    except Exception as error:  # noqa: BLE001 - a broken notebook is itself news
        sub.incidents.append(Incident("crash", None, f"unreadable autograded notebook: {error}"))
        return
    recorded = (notebook.metadata.get("autograder") or {}).get("incidents") or []
    for item in recorded:
        if isinstance(item, dict):
            sub.incidents.append(Incident(str(item.get("kind", "other")), item.get("cell"),
                                          str(item.get("detail", ""))[:300]))
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        meta = cell.metadata.get("nbgrader", {})
        grade_id = meta.get("grade_id")
        is_test = bool(meta.get("grade")) and not meta.get("solution")
        text = output_text(cell)
        for marker, kind in OUTPUT_INCIDENTS:
            # The grading's own record says it best; outputs fill the gaps.
            if any(i.get("kind") == kind for i in recorded if isinstance(i, dict)):
                continue
            if marker in text and (kind != "tampered" or is_test):
                sub.incidents.append(Incident(kind, grade_id, incident_detail(text, marker)))
        if is_test and grade_id:
            failure = failure_message(cell)
            if failure:
                sub.failures[grade_id] = failure


def output_text(cell) -> str:
    parts = []
    for output in cell.get("outputs", []):
        if output.get("output_type") == "stream":
            parts.append(output.get("text", ""))
        elif output.get("output_type") == "error":
            parts.append(f"{output.get('ename')}: {output.get('evalue')}")
            parts.extend(strip_ansi(line) for line in output.get("traceback", []))
        elif "data" in output:
            parts.append(str(output["data"].get("text/plain", "")))
    return "\n".join(parts)


def strip_ansi(text: str) -> str:
    return re.sub(r"\x1b\[[0-9;]*m", "", text)


def incident_detail(text: str, marker: str) -> str:
    lines = [line.strip() for line in text.splitlines() if marker in line]
    return max(lines, key=len)[:300] if lines else marker


def failure_message(cell) -> str | None:
    """The first line of what a failing test cell said, for grouping."""
    for output in cell.get("outputs", []):
        if output.get("output_type") != "error":
            continue
        ename, evalue = output.get("ename", ""), strip_ansi(output.get("evalue", ""))
        if ename == "CheckFailed":
            name, _, reason = evalue.partition(": ")
            return (reason or evalue).splitlines()[0] if (reason or evalue) else ename
        first = evalue.splitlines()[0] if evalue else ""
        return f"{ename}: {first}" if first else ename
    return None


def dedupe(incidents: list[Incident]) -> list[Incident]:
    seen, kept = set(), []
    for incident in incidents:
        key = (incident.kind, incident.cell)
        if key not in seen:
            seen.add(key)
            kept.append(incident)
    return kept


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m course_tools.summary",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("assignments", nargs="*")
    parser.add_argument("--course", type=Path, default=Path.cwd())
    parser.add_argument("--report", type=Path, default=None)
    args = parser.parse_args(argv)
    course = args.course.resolve()
    report = collect(course, args.assignments or None)
    print(terminal_tables(report))
    print(f"report:  {write_html(report, args.report or course / EXPORTS / 'report.html')}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
