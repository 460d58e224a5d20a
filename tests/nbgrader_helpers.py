"""The tests' side of end-to-end grading: a lesson's corpus packed into few
submissions and graded once per test class (``LessonGradingTests``). The
scratch course itself is ``course_tools.scratch_course``, which the
benchmarks use too."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from course_tools.scratch_course import (ROOT, Course, failed_cells,  # noqa: F401 - for the tests
                                         reference_answers, with_reference)


@dataclass
class Packed:
    """One submission of a lesson's corpus: answers for some cells, each a
    mistake (with the tests it must lose) or a right variant."""

    answers: dict[str, str] = field(default_factory=dict)
    items: dict[str, frozenset[str]] = field(default_factory=dict)  # name -> tests lost
    tests: set[str] = field(default_factory=set)  # of the cells answered
    unknown: bool = False  # it answers a cell of tests nobody named

    def takes(self, cells: set[str], tests: frozenset[str], lost: frozenset[str]) -> bool:
        if cells & set(self.answers) or tests & self.tests:
            return False
        # Where a cell's tests are not known, a mistake elsewhere might lose them.
        return not ((not tests and self.lost) or (lost and self.unknown))

    @property
    def lost(self) -> frozenset[str]:
        return frozenset().union(*self.items.values())


def pack(mistakes: dict[str, tuple[dict[str, str], frozenset[str]]],
         variants: dict[str, dict[str, str]]) -> list[Packed]:
    """As few submissions as hold every mistake and variant, each answering a
    cell of its own: a mistake in one exercise beside a mistake or a right
    variant in another, never two in the same cell, nor two whose tests
    overlap. So each still loses exactly its own tests, as it would alone,
    and a grader that let one exercise's answer cost another's points fails.
    A cell's tests are those its mistakes lose; a variant of a cell without
    mistakes is packed beside variants only."""
    tests_of: dict[str, set[str]] = {}  # cell -> the tests its mistakes lose
    for answers, lost in mistakes.values():
        for cell in answers:
            tests_of.setdefault(cell, set()).update(lost)
    packed: list[Packed] = []
    items = [(f"mistake: {m}", answers, lost) for m, (answers, lost) in sorted(mistakes.items())]
    items += [(f"variant: {v}", answers, frozenset()) for v, answers in sorted(variants.items())]
    for name, answers, lost in items:
        tests = frozenset(lost).union(*(tests_of.get(cell, set()) for cell in answers))
        into = next((p for p in packed if p.takes(set(answers), tests, lost)), None)
        if into is None:
            packed.append(into := Packed())
        into.answers.update(answers)
        into.items[name] = frozenset(lost)
        into.tests |= tests
        into.unknown |= not tests
    return packed


@dataclass
class GradedLesson:
    """A lesson's corpus, batch-graded: the reference, an untouched notebook,
    and each mistake and right variant, packed (``pack``) into submissions."""

    course: Course
    lesson: str
    done: subprocess.CompletedProcess
    packed: dict[str, Packed]  # student -> what the submission holds

    @classmethod
    def grade(cls, where: Path, lesson: str,
              mistakes: dict[str, tuple[dict[str, str], frozenset[str] | str]],
              variants: dict[str, dict[str, str]] | None = None) -> GradedLesson:
        # The mistakes and variants try the grading, not the lesson: they come
        # without its demonstrations (seconds less each). The reference and the
        # untouched notebook come whole, as a learner hands them in.
        course = Course.create(where, lesson, demonstrations=False)
        course.submit_reference("reference", lesson, demonstrations=True)
        course.submit("untouched", lesson, demonstrations=True)
        lost = {m: (answers, frozenset([failing] if isinstance(failing, str) else failing))
                for m, (answers, failing) in mistakes.items()}
        packed = {f"packed{number:02d}": submission
                  for number, submission in enumerate(pack(lost, variants or {}))}
        for student, submission in packed.items():
            course.submit(student, lesson, with_reference(lesson, submission.answers))
        return cls(course, lesson, course.batch_grade(lesson), packed)

    def student_with(self, item: str) -> tuple[str, Packed]:
        """The student whose submission holds ``item`` ("mistake: ..." or
        "variant: ..."), and that submission."""
        return next((student, p) for student, p in self.packed.items() if item in p.items)

    def expected(self, submission: Packed) -> dict[str, float]:
        """Full marks but for the tests its mistakes lose."""
        return {test: 0 if test in submission.lost else points
                for test, points in self.full().items()}

    def tests(self, scores: dict[str, float]) -> dict[str, float]:
        """Only the autograded test cells (written answers are read by a person)."""
        return {cell: points for cell, points in scores.items() if cell.startswith("test_")}

    def full(self) -> dict[str, float]:
        return self.tests(self.course.max_scores(self.lesson))

    def scores(self, student: str) -> dict[str, float]:
        return self.tests(self.course.scores(student, self.lesson))

    def reasons(self, student: str) -> dict[str, str]:
        return self.course.reasons(student, self.lesson)

    def explain(self, student: str) -> dict[str, object]:
        """For a failed assertion: what the submission held, and what its failed tests said."""
        return {"holds": sorted(self.packed[student].items), "said": self.reasons(student)}


class LessonGradingTests:
    """The end-to-end tests every lesson gets: subclass it as ``Test...`` with
    ``lesson``, and ``mistakes`` (name -> (answers, tests lost)) and
    ``variants`` (name -> answers) as in ``GradedLesson.grade``. The lesson is
    graded once per class; each mistake and each variant is a test of its own,
    so one that fails hides no other."""

    lesson: str
    mistakes: dict[str, tuple[dict[str, str], frozenset[str] | str]] = {}
    variants: dict[str, dict[str, str]] = {}

    def pytest_generate_tests(self, metafunc):
        if "mistake" in metafunc.fixturenames:
            metafunc.parametrize("mistake", sorted(self.mistakes))
        if "variant" in metafunc.fixturenames:
            metafunc.parametrize("variant", sorted(self.variants))

    @pytest.fixture(scope="class")
    @classmethod
    def graded(cls, tmp_path_factory):
        return GradedLesson.grade(tmp_path_factory.mktemp(cls.lesson), cls.lesson,
                                  cls.mistakes, cls.variants)

    def test_the_batch_completes(self, graded):
        assert graded.done.returncode == 0, graded.done.stderr[-3000:]

    def test_reference_gets_full_marks(self, graded):
        assert graded.scores("reference") == graded.full() != {}, graded.reasons("reference")

    def test_untouched_notebook_gets_zero(self, graded):
        assert set(graded.scores("untouched").values()) == {0}

    def test_each_mistake_loses_exactly_its_tests(self, graded, mistake):
        student, submission = graded.student_with(f"mistake: {mistake}")
        assert graded.scores(student) == graded.expected(submission), graded.explain(student)

    def test_right_answers_written_differently_get_full_marks(self, graded, variant):
        student, submission = graded.student_with(f"variant: {variant}")
        assert graded.scores(student) == graded.expected(submission), graded.explain(student)
