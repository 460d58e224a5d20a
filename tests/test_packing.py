"""The lesson corpora are graded packed, several answers to a submission
(``nbgrader_helpers.pack``): packed, each still shows what it would alone."""

import pytest

import test_channels_autograde
import test_leaky_consumer_autograde
import test_socket_reader_autograde
import test_stopping_autograde
import test_waitgroup_autograde
from nbgrader_helpers import pack

# The classes by way of their modules: imported by name, pytest would run them here too.
LESSONS = [test_leaky_consumer_autograde.TestLesson01, test_socket_reader_autograde.TestLesson02,
           test_waitgroup_autograde.TestLesson03, test_channels_autograde.TestLesson04,
           test_stopping_autograde.TestLesson05]


def as_sets(mistakes):
    return {m: (answers, frozenset([lost] if isinstance(lost, str) else lost))
            for m, (answers, lost) in mistakes.items()}


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda t: t.lesson)
def test_every_item_is_packed_once_and_no_two_share_a_cell_or_a_test(lesson):
    mistakes = as_sets(lesson.mistakes)
    packed = pack(mistakes, lesson.variants)
    names = [name for submission in packed for name in submission.items]
    assert sorted(names) == sorted([f"mistake: {m}" for m in mistakes]
                                   + [f"variant: {v}" for v in lesson.variants])
    for submission in packed:
        cells = [cell for name in submission.items
                 for cell in (mistakes[name[9:]][0] if name.startswith("mistake: ")
                              else lesson.variants[name[9:]])]
        assert len(cells) == len(set(cells)), submission.items
        lost = [test for tests in submission.items.values() for test in tests]
        assert len(lost) == len(set(lost)), submission.items


def test_a_variant_is_not_packed_beside_a_mistake_that_may_lose_its_tests():
    mistakes = {"wrong a": ({"a": "x"}, frozenset({"test_a", "test_b"}))}
    # b's tests are not known (no mistake of b names them): test_b may be b's.
    assert len(pack(mistakes, {"right b": {"b": "y"}, "right c": {"c": "z"}})) == 2
    mistakes["wrong b"] = ({"b": "w"}, frozenset({"test_b"}))  # now they are: test_b
    assert len(pack(mistakes, {"right b": {"b": "y"}})) == 3


def test_answers_to_different_exercises_share_a_submission():
    mistakes = {"wrong a": ({"a": "x"}, frozenset({"test_a"})),
                "wrong b": ({"b": "y"}, frozenset({"test_b"})),
                "wrong a again": ({"a": "z"}, frozenset({"test_a"}))}
    packed = pack(mistakes, {"right b": {"b": "w"}})
    assert [sorted(p.items) for p in packed] == [
        ["mistake: wrong a", "mistake: wrong b"],
        ["mistake: wrong a again", "variant: right b"]]
    assert packed[0].lost == {"test_a", "test_b"} and packed[1].lost == {"test_a"}
