"""What the race test's child and the judge must agree on: the rounds a
seed draws, and the waiters at a held trial's end. Standard library only, and
nothing of this folder: the grader imports it as part of the package, the
child as a top-level module."""

from __future__ import annotations

import random


def seeded_rounds(seed: int, threads: int, rounds: int) -> list[int]:
    """Each thread's rounds in a seeded trial (the judge's): 0.75 to 1.25 x
    ``rounds``, drawn from ``seed``, so that a report of the trial has to
    agree with the seed's draw."""
    draw = random.Random(seed)
    return [rounds - rounds // 4 + draw.randrange(rounds // 2 + 1) for _ in range(threads)]


WAITERS = 2  # threads in wg.wait() at the end of a held trial
