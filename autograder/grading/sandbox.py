"""Run a program under the grading's resource limits.

    python -m autograder.grading.sandbox [--memory-mib N] -- program args...

Limits are set on this process and then it becomes the program (exec), so
the limits hold for the learner's kernel and everything it starts:

* address space (``--memory-mib``): a memory hog gets MemoryError instead of
  taking the machine; it also bounds stray threads, each of which reserves
  its stack (8 MiB) of address space;
* no core files, and a cap on the size of any file written.

``MALLOC_ARENA_MAX`` keeps glibc from reserving an arena per thread, which
would otherwise eat the address-space budget without using memory.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys

DEFAULT_MEMORY_MIB = 4096
MAX_FILE_BYTES = 256 * 1024 * 1024


def command(program: list[str], memory_mib: int = DEFAULT_MEMORY_MIB) -> list[str]:
    """``program`` wrapped so that it runs under the limits."""
    return [sys.executable, "-m", "autograder.grading.sandbox",
            "--memory-mib", str(memory_mib), "--", *program]


def limited_env(env: dict[str, str] | None = None) -> dict[str, str]:
    env = dict(os.environ if env is None else env)
    env["MALLOC_ARENA_MAX"] = "2"
    return env


def apply_limits(memory_mib: int) -> None:
    memory = memory_mib * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_FSIZE, (MAX_FILE_BYTES, MAX_FILE_BYTES))


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--memory-mib", type=int, default=DEFAULT_MEMORY_MIB)
    parser.add_argument("program", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    program = args.program[1:] if args.program[:1] == ["--"] else args.program
    if not program:
        parser.error("no program given")
    apply_limits(args.memory_mib)
    os.environ.update(limited_env({}))
    os.execvp(program[0], program)


if __name__ == "__main__":
    main(sys.argv[1:])
