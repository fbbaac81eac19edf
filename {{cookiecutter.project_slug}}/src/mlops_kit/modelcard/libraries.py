"""The Python and library versions behind a model, for its model card.

The installed versions come from `importlib.metadata` in the environment that publishes,
which CI installs from `uv.lock` and in which it reproduces the pipeline; the versions
`uv.lock` pins are listed beside them, so an environment that strayed from the lock shows.
"""

from __future__ import annotations

import platform
import re
import tomllib
from importlib import metadata
from pathlib import Path

LIBRARIES = (
    "scikit-learn",
    "pandas",
    "numpy",
    "great-expectations",
    "dvc",
    "joblib",
    "pyarrow",
)


def installed(names: tuple[str, ...] = LIBRARIES) -> dict[str, str | None]:
    """{"Python": "3.12.3", "scikit-learn": "1.6.1", ...}; None for a missing library."""
    found: dict[str, str | None] = {"Python": platform.python_version()}
    for name in names:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = None
    return found


def locked(path: str | Path = "uv.lock") -> dict[str, str] | None:
    """{package: version} pinned in uv.lock, or None when there is no readable lock file."""
    path = Path(path)
    try:
        lock = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError):
        return None
    pins = {
        _normal(str(package["name"])): str(package["version"])
        for package in lock.get("package") or []
        if isinstance(package, dict) and "name" in package and "version" in package
    }
    return {**pins, "python": str(lock.get("requires-python", "—"))}


def _normal(name: str) -> str:
    """A package name as uv.lock writes it (PEP 503: lower case, runs of -_. as one -)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def table(found: dict[str, str | None], pins: dict[str, str] | None) -> list[str]:
    """Markdown rows: each package's installed version, and the one uv.lock pins."""
    if pins is None:
        rows = ["| package | installed |", "| --- | --- |"]
        shown = found.items()
        return rows + [f"| {name} | {version or 'not installed'} |" for name, version in shown]
    rows = ["| package | installed | uv.lock |", "| --- | --- | --- |"]
    for name, version in found.items():
        pin = pins.get(_normal(name), "not locked")
        mark = " ⚠️" if name != "Python" and version != pin else ""  # Python: a range
        rows.append(f"| {name} | {version or 'not installed'}{mark} | {pin} |")
    return rows
