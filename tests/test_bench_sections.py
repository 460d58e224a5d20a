"""A benchmark section that fails costs only its own figures: the others are
kept and written, the failure is named in the results and the exit status."""

from __future__ import annotations

import json

import pytest

from benchmarks import run as bench


@pytest.fixture(autouse=True)
def no_table(monkeypatch):
    """The table reads each figure's details, which these stand-in sections lack."""
    monkeypatch.setattr(bench, "table", lambda results: "")


def test_a_failing_section_is_named_and_the_others_are_kept(monkeypatch, tmp_path):
    monkeypatch.setattr(bench, "bench_leak_latency", lambda sizes: {"leak_pass_latency_ms": 0.5})

    def browser_gone(sizes, scratch):
        raise RuntimeError("the browser runs failed")
    monkeypatch.setattr(bench, "bench_learner", browser_gone)
    out = tmp_path / "results.json"
    status = bench.main(["--quick", "--out", str(out), "--only", "latency", "learner"])
    results = json.loads(out.read_text())
    assert status == 1
    assert results["leak_pass_latency_ms"] == 0.5
    assert results["failed_sections"] == {"learner": "RuntimeError: the browser runs failed"}
    assert set(results["section_seconds"]) == {"latency", "learner"}


def test_measuring_a_failed_section_again_clears_its_failure(monkeypatch, tmp_path):
    out = tmp_path / "results.json"
    out.write_text(json.dumps({"failed_sections": {"learner": "RuntimeError: gone",
                                                   "batch": "RuntimeError: also gone"},
                               "section_seconds": {}, "mode": "full"}))
    monkeypatch.setattr(bench, "bench_learner", lambda sizes, scratch: {"learner_run_all_s": 9.0})
    assert bench.main(["--out", str(out), "--only", "learner"]) == 1  # batch still failed
    results = json.loads(out.read_text())
    assert results["learner_run_all_s"] == 9.0
    assert results["failed_sections"] == {"batch": "RuntimeError: also gone"}
