"""What the monitor compares a batch with, read and checked: the profile.

A profile with a key missing or of the wrong type is a UserError naming the file and the key,
never a traceback in the middle of the tests. The model is read by predictions.load_model;
``lacking`` checks that a batch holds the profile's features.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mlops_kit import common
from mlops_kit.evaluation import profile

NUMBER, TEXT, MAPPING, LIST = (int, float), (str,), (dict,), (list,)
TOP = {"task": TEXT, "target": TEXT, "rows": (int,), "features": MAPPING, "prediction": MAPPING}
COLUMN = {"kind": TEXT, "rows": (int,), "missing": NUMBER, "count": (int,)}
KINDS = {
    "numeric": {"quantiles": LIST, "at_or_below": LIST, "below": LIST, "std": NUMBER},
    "categorical": {"shares": MAPPING},
}
REDO = "run `dvc repro evaluate` to write it again"


def _keys(where: str, found: Any, wanted: dict[str, tuple]) -> None:
    for key, kinds in wanted.items():
        if key not in found:
            raise common.UserError(f"{where} has no {key!r}; {REDO}")
        value = found[key]
        if isinstance(value, bool) or not isinstance(value, kinds):
            kind = " or ".join(k.__name__ for k in kinds)
            raise common.UserError(f"{where}: {key!r} is not {kind}; {REDO}")


def column(where: str, found: Any) -> None:
    """Check one column's profile (a feature's, or the predictions')."""
    if not isinstance(found, dict):
        raise common.UserError(f"{where} is not a column profile; {REDO}")
    _keys(where, found, COLUMN)
    if found["kind"] not in KINDS:
        raise common.UserError(f"{where}: kind {found['kind'][:40]!r} is unknown; {REDO}")
    if found["kind"] == "categorical" or found["count"] > 0:  # no quantiles of no values
        _keys(where, found, KINDS[found["kind"]])


def read_profile(path: str | Path) -> dict[str, Any]:
    """The reference profile at ``path`` (reports/profile.json), with every key the monitor
    reads present and of its type."""
    ref = common.read_json(path)
    if not isinstance(ref, dict) or ref.get("format") != profile.FORMAT:
        raise common.UserError(f"{path} is not a profile; {REDO}")
    _keys(str(path), ref, TOP)
    if ref["task"] not in ("classification", "regression"):
        raise common.UserError(f"{path}: task {ref['task'][:40]!r} is unknown; {REDO}")
    if not ref["features"]:
        raise common.UserError(f"{path} describes no feature; {REDO}")
    for name, found in ref["features"].items():
        column(f"{path}: feature {name[:40]!r}", found)
    column(f"{path}: prediction", ref["prediction"])
    return ref


def lacking(batch, ref: dict[str, Any]) -> None:
    """A UserError when ``batch`` (a data frame) lacks any of the profile's features."""
    missing = [name for name in ref["features"] if name not in batch.columns]
    if missing:
        shown = ", ".join(repr(n) for n in missing[:5])
        raise common.UserError(f"the batch lacks {len(missing)} of the model's features: {shown}")
