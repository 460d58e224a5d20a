"""What an instructor looks at after grading a class.

    python -m course_tools.summary [--course DIR] [--report PATH]

Reads the gradebook (scores), the autograded notebooks (what each failing
check said, incidents the grading recorded) and the batch ledger (submissions
nbgrader could not finish), and makes:

* terminal tables: one row per student (score per assignment, flags), one row
  per exercise (mean, how many got full marks or zero, the commonest failure);
* an HTML report: each exercise's score distribution as a matplotlib chart
  (embedded PNG), its most common failure messages, and the submissions that
  need a look (timed out, crashed, tampered, ...).
"""

from __future__ import annotations

import argparse
import base64
import html
import io
import json
import re
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from .gradebook_api import EXPORTS, LEDGER_NAME, gradebook, load_api

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


# --------------------------------------------------------------------------
# Terminal tables


def _fmt(score: float | None) -> str:
    if score is None:
        return "-"
    return f"{score:g}"


def _table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
    line = lambda row: "  ".join(str(v).ljust(w) for v, w in zip(row, widths)).rstrip()  # noqa: E731
    return "\n".join([line(header), line(["-" * w for w in widths]), *map(line, rows)])


def terminal_tables(report: Report, width: int = 60) -> str:
    header = ["student", *report.assignments, "total", "needs a look"]
    rows = []
    total_max = sum(report.max_scores.values())
    for student in report.students:
        row, total = [student], 0.0
        for assignment in report.assignments:
            sub = report.submissions.get((student, assignment))
            if sub is None:
                row.append("-")
            else:
                total += sub.score
                row.append(f"{sub.score:g}/{report.max_scores[assignment]:g}")
        flags = sorted({i.kind for a in report.assignments
                        for i in getattr(report.submissions.get((student, a)), "incidents", [])})
        rows.append([*row, f"{total:g}/{total_max:g}", ", ".join(flags)])
    students = _table(header, rows)

    header = ["exercise", "max", "mean", "full", "zero", "most common failure"]
    rows = []
    for exercise in report.exercises:
        scores = report.distribution(exercise)
        common = report.common_failures(exercise, top=1)
        message = f"{common[0][1]}x {common[0][0]}" if common else ""
        if len(message) > width:
            message = message[:width - 1] + "…"
        rows.append([exercise.key, f"{exercise.max_score:g}",
                     f"{sum(scores) / len(scores):.2f}" if scores else "-",
                     str(sum(s == exercise.max_score for s in scores)),
                     str(sum(s == 0 for s in scores)), message])
    exercises = _table(header, rows)
    look = report.needs_a_look()
    lines = [f"{sub.student}/{sub.assignment}: {i.kind}"
             + (f" in {i.cell}" if i.cell else "") + f": {i.detail[:width]}"
             for sub, i in look]
    return "\n\n".join(["Per student", students, "Per exercise", exercises,
                        f"Needs a look ({len(look)})", "\n".join(lines) or "(nothing)"])


# --------------------------------------------------------------------------
# The HTML report


def chart_png(exercise: Exercise, scores: list[float]) -> bytes:
    import matplotlib
    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    figure = Figure(figsize=(4.2, 2.2), dpi=100)
    axes = figure.subplots()
    values = sorted(set(scores) | {0.0, float(exercise.max_score)})
    counts = Counter(scores)
    axes.bar([f"{v:g}" for v in values], [counts.get(v, 0) for v in values],
             color=["#c0392b" if v == 0 else "#27ae60" if v == exercise.max_score
                    else "#e67e22" for v in values])
    axes.set_xlabel(f"points (of {exercise.max_score:g})")
    axes.set_ylabel("submissions")
    axes.set_title(exercise.key, fontsize=9)
    axes.yaxis.get_major_locator().set_params(integer=True)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


STYLE = """
body{font-family:system-ui,sans-serif;margin:2em;max-width:70em;color:#222}
table{border-collapse:collapse;margin:.5em 0 1.5em}
td,th{border:1px solid #ccc;padding:.25em .6em;text-align:left;vertical-align:top}
th{background:#f3f3f3} .ok{color:#27ae60} .bad{color:#c0392b}
.exercise{display:flex;gap:1.5em;align-items:flex-start;border-top:1px solid #ddd;padding:1em 0}
.exercise img{flex:none} code{font-size:90%}
"""


def render_html(report: Report) -> str:
    e = html.escape
    out = [f"<!doctype html><html><head><meta charset='utf-8'><title>Grades: "
           f"{e(report.course.name)}</title><style>{STYLE}</style></head><body>",
           f"<h1>Grading report</h1><p>{len(report.students)} students, "
           f"{len(report.submissions)} submissions, {len(report.assignments)} assignments. "
           f"Generated {e(time.strftime('%Y-%m-%d %H:%M'))} from <code>{e(str(report.course))}"
           f"</code>.</p>"]
    look = report.needs_a_look()
    out.append(f"<h2 id='needs-a-look'>Submissions that need a look ({len(look)})</h2>")
    if look:
        out.append("<table><tr><th>student</th><th>assignment</th><th>what</th><th>cell</th>"
                   "<th>detail</th><th>autograded notebook</th></tr>")
        for sub, incident in look:
            path = Path("autograded") / sub.student / sub.assignment / f"{sub.assignment}.ipynb"
            out.append(f"<tr><td>{e(sub.student)}</td><td>{e(sub.assignment)}</td>"
                       f"<td class='bad'>{e(incident.kind)}</td><td>{e(incident.cell or '')}</td>"
                       f"<td>{e(incident.detail)}{_trace_html(incident)}</td>"
                       f"<td><code>{e(str(path))}</code></td></tr>")
        out.append("</table>")
    else:
        out.append("<p>None: every submission was graded without incident.</p>")

    out.append("<h2>Per student</h2><table><tr><th>student</th>"
               + "".join(f"<th>{e(a)}</th>" for a in report.assignments) + "<th>total</th></tr>")
    total_max = sum(report.max_scores.values())
    for student in report.students:
        cells, total = [], 0.0
        for assignment in report.assignments:
            sub = report.submissions.get((student, assignment))
            if sub is None:
                cells.append("<td>-</td>")
                continue
            total += sub.score
            flag = " &#9888;" if sub.incidents else ""
            cells.append(f"<td>{sub.score:g}/{report.max_scores[assignment]:g}{flag}</td>")
        out.append(f"<tr><td>{e(student)}</td>{''.join(cells)}"
                   f"<td><b>{total:g}</b>/{total_max:g}</td></tr>")
    out.append("</table>")

    out.append("<h2>Per exercise</h2>")
    for exercise in report.exercises:
        scores = report.distribution(exercise)
        png = base64.b64encode(chart_png(exercise, scores)).decode()
        mean = f"{sum(scores) / len(scores):.2f}" if scores else "-"
        failures = report.common_failures(exercise)
        out.append(f"<div class='exercise' id='{e(exercise.key)}'>"
                   f"<img alt='score distribution of {e(exercise.key)}' "
                   f"src='data:image/png;base64,{png}'><div>"
                   f"<h3>{e(exercise.key)}</h3><p>{len(scores)} graded, mean {mean} of "
                   f"{exercise.max_score:g}; full marks "
                   f"{sum(s == exercise.max_score for s in scores)}"
                   f", zero {sum(s == 0 for s in scores)}.</p>")
        if failures:
            out.append("<table><tr><th>most common failure messages</th><th>how many</th>"
                       "<th>students</th></tr>")
            for message, count, who in failures:
                out.append(f"<tr><td>{e(message)}</td><td>{count}</td>"
                           f"<td>{e(', '.join(who))}</td></tr>")
            out.append("</table>")
        else:
            out.append("<p>No failure messages.</p>")
        out.append("</div></div>")
    out.append(_graded_by_html(report))
    out.append("</body></html>")
    return "\n".join(out)


def _graded_by_html(report: Report) -> str:
    """Which worker graded each submission and how long it took (a slow
    machine, or one submission that took most of the batch, shows here)."""
    if not report.graded_by:
        return ""
    e = html.escape
    totals: dict[str, list[float]] = defaultdict(list)
    for worker, seconds in report.graded_by.values():
        totals[worker].append(seconds)
    out = ["<h2 id='graded-by'>Who graded what</h2><table><tr><th>worker</th>"
           "<th>submissions</th><th>seconds, total</th></tr>"]
    out += [f"<tr><td>{e(worker)}</td><td>{len(times)}</td><td>{sum(times):.1f}</td></tr>"
            for worker, times in sorted(totals.items())]
    out.append("</table><details><summary>each submission</summary><table><tr>"
               "<th>submission</th><th>worker</th><th>seconds</th></tr>")
    out += [f"<tr><td>{e(key)}</td><td>{e(worker)}</td><td>{seconds:.1f}</td></tr>"
            for key, (worker, seconds) in sorted(report.graded_by.items())]
    out.append("</table></details>")
    return "\n".join(out)


def _trace_html(incident: Incident) -> str:
    if not incident.trace:
        return ""
    return (f"<details><summary>traceback (last lines)</summary>"
            f"<pre>{html.escape(incident.trace)}</pre></details>")


def write_html(report: Report, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_html(report), encoding="utf-8")
    return path


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
