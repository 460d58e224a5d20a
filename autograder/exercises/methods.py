"""The functions a class is made of, wherever its body put them.

Both the borrowed-answer guard (where was this class written?) and the race
test (which cell holds this class's statement?) look at a class through the
code of its methods: the class object itself records no file. Static and
class methods hold their function one level down, properties in their
accessors. Both also read the code written inside a function or class
body, each nested level its own code object: ``nested_codes``.
"""

from __future__ import annotations

import types


def methods(cls: type, inherited: bool = False) -> list[types.FunctionType]:
    """The functions defined in the body of ``cls`` (and, if ``inherited``, of
    the classes it builds on), in the order the bodies define them."""
    found: list[types.FunctionType] = []
    for klass in cls.__mro__ if inherited else (cls,):
        for member in vars(klass).values():
            if isinstance(member, (staticmethod, classmethod)):
                member = member.__func__
            accessors = ((member.fget, member.fset, member.fdel)
                         if isinstance(member, property) else (member,))
            found.extend(f for f in accessors if isinstance(f, types.FunctionType))
    return found


def nested_codes(code: types.CodeType) -> list[types.CodeType]:
    """``code`` and the code of every function or class body written inside it."""
    inner = [const for const in code.co_consts if isinstance(const, types.CodeType)]
    return [code, *(found for each in inner for found in nested_codes(each))]
