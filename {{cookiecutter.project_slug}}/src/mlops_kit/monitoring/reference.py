"""What the monitor compares a batch with, read and checked: the profile and the model.

A profile with a key missing or of the wrong type, or a model file that does not load (random
bytes, a truncated joblib) or does not predict, is a UserError naming the file and the key,
never a traceback in the middle of the tests.
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


def load_model(path: str | Path):
    """The model at ``path``: a joblib file that loads, of an estimator that predicts."""
    path = Path(path)
    if not path.is_file():
        raise common.UserError(f"{path} not found; run `dvc repro` or `dvc pull`")
    import joblib

    try:
        model = joblib.load(path)
    except Exception as exc:  # unpickling runs arbitrary code: any exception is possible
        said = " ".join(f"{type(exc).__name__} {exc}".split())[:120]
        raise common.UserError(
            f"cannot load the model {path} ({said}); run `dvc pull` (or `dvc repro`) again"
        ) from None
    if not hasattr(model, "predict"):
        raise common.UserError(f"{path} holds a {type(model).__name__}, not a model that predicts")
    return model
