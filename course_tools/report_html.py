"""The HTML report of a graded class: each exercise's score distribution as
a matplotlib chart (embedded PNG), its most common failure messages, the
submissions that need a look, and who graded what. Made from the
``summary.Report`` that ``summary.collect`` reads."""

from __future__ import annotations

import base64
import html
import io
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import TYPE_CHECKING


if TYPE_CHECKING:  # the report is summary's; summary imports this module to write it
    from .summary import Exercise, Incident, Report


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
