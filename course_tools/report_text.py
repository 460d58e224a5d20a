"""The terminal tables of a graded class: one row per student (score per
assignment, flags), one per exercise (mean, how many got full marks or zero,
the commonest failure), and the submissions that need a look. Made from the
``summary.Report`` that ``summary.collect`` reads."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the report is summary's; summary imports this module to print it
    from .summary import Report


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
