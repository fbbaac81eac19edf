"""Shared by the whole kit: parameters, one-line errors, reading data, writing files whole."""

from __future__ import annotations

import json
import math
import os
import shutil
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NamedTuple

import yaml

DATA_SUFFIXES = (".csv", ".parquet")


class UserError(Exception):
    """A problem the user can fix: reported as one line, without a traceback."""


def fail(message: str, code: int = 2) -> int:
    """Print ``message`` as one line to stderr and return the exit code."""
    print(f"error: {' '.join(str(message).split())}", file=sys.stderr)
    return code


def before_exit(argv: list[str] | None) -> None:
    """What a stage's ``main`` calls before it returns 0. Run as a program (``argv`` None: its
    arguments are sys.argv's), the process exits next, and CPython's ``gc.freeze()`` takes
    everything the stage built out of the collector's sight, so that the normal interpreter
    exit (atexit handlers, buffers flushed, files closed) skips collecting it all once more:
    0.2 to 0.6 s a stage with Great Expectations or scikit-learn loaded. Called with
    arguments (from tests, from another program), it does nothing."""
    if argv is None:
        import gc

        gc.freeze()


class StageParams(NamedTuple):
    """What a modelling stage reads from params.yaml: target column, task, own section."""

    target: str
    task: str
    params: dict[str, Any]


def read_params(path: str | Path = "params.yaml") -> dict[str, Any]:
    """Return the whole parameters file."""
    path = Path(path)
    if not path.is_file():
        raise UserError(f"{path} not found; run the command from the project root")
    try:
        params = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise UserError(f"{path} is not valid YAML: {exc}") from exc
    return params if isinstance(params, dict) else {}


def section_of(params: dict[str, Any], section: str, path: str | Path = "params.yaml") -> dict:
    """Return ``params[section]``, which must be a mapping."""
    value = params.get(section)
    if not isinstance(value, dict):
        raise UserError(f"{path} has no '{section}:' section; add it (see the template)")
    return value


def load_params(section: str, path: str | Path = "params.yaml") -> dict[str, Any]:
    """Return one section of the parameters file."""
    return section_of(read_params(path), section, path)


def stage_params(section: str, path: str | Path = "params.yaml") -> StageParams:
    """Return ingest.target, ingest.task and the stage's own section, checked."""
    params = read_params(path)
    ingest = section_of(params, "ingest", path)
    target = str(require(ingest, "target", "ingest"))
    return StageParams(target, task_of(ingest), section_of(params, section, path))


def require(params: dict[str, Any], key: str, section: str) -> Any:
    """Return ``params[key]`` or raise a UserError naming the missing parameter."""
    if key not in params:
        raise UserError(f"params.yaml: '{section}.{key}' is missing; add it")
    return params[key]


def task_of(ingest_params: dict[str, Any]) -> str:
    """Return ingest.task, checked."""
    task = require(ingest_params, "task", "ingest")
    if task not in ("classification", "regression"):
        raise UserError(
            f"params.yaml: ingest.task must be 'classification' or 'regression', not {task!r}"
        )
    return task


def need_pyarrow(path: str | Path) -> None:
    """Raise a UserError unless pyarrow, which reads and writes Parquet, is installed."""
    try:
        import pyarrow  # noqa: F401
    except ImportError as exc:
        raise UserError(
            f"{path}: Parquet needs pyarrow, a main dependency of this project (no extra): "
            "install it with `python3 tasks.py setup` (or `uv pip install pyarrow`)"
        ) from exc


def table_file(path: str | Path) -> Path:
    """``path``, once it is a non-empty .csv or .parquet file (with pyarrow installed for
    Parquet); otherwise a UserError saying which."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in DATA_SUFFIXES:
        raise UserError(f"{path}: unsupported file type '{suffix}'; use .csv or .parquet")
    if not path.is_file():
        raise UserError(f"{path} not found; check the path or run `dvc repro` first")
    if path.stat().st_size == 0:
        raise UserError(f"{path} is empty (0 bytes); give a file with a header and rows")
    if suffix == ".parquet":
        need_pyarrow(path)
    return path


def read_table(path: str | Path):
    """Read a CSV or Parquet file into a data frame, chosen by the file suffix."""
    import pandas as pd

    path = table_file(path)
    suffix = path.suffix.lower()
    try:
        return pd.read_csv(path) if suffix == ".csv" else pd.read_parquet(path)
    except pd.errors.EmptyDataError as exc:
        raise UserError(f"{path} is empty: no header, no rows") from exc
    except Exception as exc:
        raise UserError(f"cannot read {path}: {exc}") from exc


def ensure_parent(path: str | Path) -> Path:
    """Create the parent folder of ``path`` and return it as a Path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


@contextmanager
def replacing(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path`` to write a file or folder to; when the block
    ends, it takes the place of ``path`` in one rename. If the block fails, ``path`` is left
    as it was and the temporary is removed: nothing half-written is ever at ``path``."""
    path = ensure_parent(path)
    temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    old = path.with_name(f".{path.name}.{os.getpid()}.old")
    try:
        yield temp
        if path.is_dir() and temp.is_dir():
            path.rename(old)  # a folder cannot be renamed onto a full one
        os.replace(temp, path)
    finally:
        for leftover in (temp, old):
            if leftover.is_dir():
                shutil.rmtree(leftover)
            leftover.unlink(missing_ok=True)


def write_text(path: str | Path, text: str) -> None:
    """Write ``text`` to ``path`` whole (see ``replacing``)."""
    with replacing(path) as temp:
        temp.write_text(text, encoding="utf-8")


def write_json(path: str | Path, data: Any, sort_keys: bool = True) -> None:
    """Write ``data`` as indented JSON with a trailing newline."""
    text = json.dumps(data, indent=2, sort_keys=sort_keys, ensure_ascii=False)
    write_text(path, text + "\n")


def read_json(path: str | Path) -> Any:
    """Read a JSON file, with a one-line error if it is missing or broken."""
    path = Path(path)
    if not path.is_file():
        raise UserError(f"{path} not found")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise UserError(f"{path} is not valid JSON: {exc}") from exc


def sig(value: Any, digits: int = 6) -> Any:
    """Round a float to ``digits`` significant digits; NaN and infinities become None."""
    value = float(value)
    if not math.isfinite(value):
        return None
    return float(f"{value:.{digits}g}")
