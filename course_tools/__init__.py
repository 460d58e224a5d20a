"""The instructor's and the maintainers' tools for the course repository.

Grading a class in a batch (``batch``, ``supervisor``, ``summary``), the demo
class (``demo_class``), building the notebooks from their text form
(``build_notebooks``) and filling answer cells (``answers``). They use the
``autograder`` package; nothing in ``autograder`` imports them, so a
learner's kernel never loads them.
"""
