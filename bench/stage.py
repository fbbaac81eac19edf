"""Run one pipeline stage (or script) in this process and record where its time went.

    python bench/stage.py RECORD MODULE_OR_SCRIPT [ARGS...]

Runs ``MODULE`` as ``python -m MODULE ARGS`` would (a path ending in ``.py`` runs as a
script), then appends one JSON line to RECORD, also when the stage ends with ``os._exit``:
the name, the exit code, the wall time from the start of this script, the time spent
inside ``import`` statements, and the peak resident memory of the process.

Import time is counted by wrapping ``builtins.__import__``: the outermost import
statement in progress is timed, nested imports are part of it, so every second is
counted once. Imports done later inside functions (lazy imports) count as import time
too, which is the point. ``importlib.import_module`` called directly from a stage's own
code bypasses the wrapper and counts as work; imports it triggers inside an import
statement do not. Interpreter start-up before this script runs (about 20 ms) is in
neither; the caller measures the process from outside as well.

Standard library only: it runs with whichever interpreter runs the stage.
"""

from __future__ import annotations

import builtins
import json
import os
import resource
import runpy
import sys
import time

START = time.perf_counter()
_real_import = builtins.__import__
_depth = 0
_spent = 0.0


def _timed_import(*args, **kwargs):
    global _depth, _spent
    if _depth:
        return _real_import(*args, **kwargs)
    _depth = 1
    began = time.perf_counter()
    try:
        return _real_import(*args, **kwargs)
    finally:
        _spent += time.perf_counter() - began
        _depth = 0


def main() -> int:
    record, target, *args = sys.argv[1:]
    builtins.__import__ = _timed_import
    code = 0
    real_exit = os._exit

    def recorded_exit(status: int) -> None:  # a stage that ends with os._exit
        builtins.__import__ = _real_import
        _record(record, target, status)
        real_exit(status)

    os._exit = recorded_exit
    try:
        if target.endswith(".py"):
            sys.argv = [target, *args]
            sys.path.insert(0, os.path.dirname(os.path.abspath(target)))
            runpy.run_path(target, run_name="__main__")
        else:
            sys.argv = [target, *args]
            sys.path.insert(0, os.getcwd())  # as `python -m` does
            runpy.run_module(target, run_name="__main__", alter_sys=True)
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    finally:
        builtins.__import__ = _real_import
        os._exit = real_exit
    _record(record, target, code)
    return code


def _record(record: str, target: str, code: int) -> None:
    wall = time.perf_counter() - START
    entry = {
        "name": target.rsplit(".", 1)[-1] if not target.endswith(".py") else target,
        "target": target,
        "code": code,
        "wall": wall,
        "imports": _spent,
        "work": wall - _spent,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }
    with open(record, "a", encoding="utf-8") as handle:
        handle.write(json.dumps(entry) + "\n")


if __name__ == "__main__":
    raise SystemExit(main())
