"""Batch prediction: score a CSV or Parquet file with the trained model, in batches.

    python -m mlops_kit.serving.predict --model models/model.joblib --input new.csv \\
        --out scored.parquet

Each row is first checked against the expectation suite's rules for the model's input
columns (input_rules.py); the first row that breaks one stops the run with one line naming the
row, the column and the rule, and nothing is written. With `--on-error skip` such rows go
to a file of their own with their reasons instead (`--rejected`, default `<out>.rejected.csv`)
and the others are scored. The output has, per row: the id column (`--id`; by default a
column named `id` when the input has one), `prediction`, and for a classifier one
`probability_<class>` column per class. Input and output types go by the file suffix.

Before reading anything, an output (or rejected file) that is the input, or both the same file,
or one that cannot be written there (a folder, a path under a file, a read-only folder) is
refused. Every failure is one line and exit code 2, and leaves no partial file behind.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from mlops_kit import common
from mlops_kit.evaluation import predictions
from mlops_kit.serving import input_checks, input_rules
from mlops_kit.serving.batch_io import batches, header, writers

SUITE = "expectations/suite.json"
BATCH_ROWS = 10_000


def load_model(path: str | Path):
    """The model at ``path`` (predictions.load_model) and its input columns (the frame it was
    fitted on)."""
    model = predictions.load_model(path)
    names = getattr(model, "feature_names_in_", None)
    if names is None:
        raise common.UserError(f"{path} is not a model fitted on named columns")
    return model, [str(name) for name in names]


def load_rules(suite_path: str | Path, features: list[str]) -> list[input_rules.Column]:
    suite = common.read_json(suite_path)
    if not isinstance(suite, dict) or not isinstance(suite.get("expectations"), list):
        raise common.UserError(f"{suite_path} is not an expectation suite")
    return input_rules.columns(suite, features)


def argmax_predicts(model) -> bool:
    """Whether the model's ``predict`` is the class of highest ``predict_proba``, as scikit-learn
    defines it for forests and histogram gradient boosting: then one pass gives both."""
    final = model.steps[-1][1] if hasattr(model, "steps") else model
    if not type(final).__module__.startswith("sklearn.ensemble"):
        return False
    from sklearn import ensemble

    known = ("RandomForestClassifier", "ExtraTreesClassifier", "HistGradientBoostingClassifier")
    return type(final).predict in {getattr(ensemble, name).predict for name in known}


def labels(model, features) -> list[Any]:
    """The model's predictions of ``features`` as a list: what the service answers (``score``
    without its frame, which costs a one-row request about half a millisecond)."""
    import numpy as np

    return np.asarray(model.predict(features)).tolist()


def score(model, features, probabilities: bool = True) -> Any:
    """A frame of ``prediction`` and, for a classifier, ``probability_<class>`` per class."""
    import pandas as pd

    if not (probabilities and hasattr(model, "predict_proba")):
        return pd.DataFrame({"prediction": model.predict(features)}, index=features.index)
    found = model.predict_proba(features)
    if argmax_predicts(model):
        predicted = model.classes_.take(found.argmax(axis=1))
    else:
        predicted = model.predict(features)
    out = pd.DataFrame({"prediction": predicted}, index=features.index)
    for number, label in enumerate(model.classes_):
        out[f"probability_{label}"] = found[:, number]
    return out


def rejected_rows(frame, problems: list[input_rules.Problem], offset: int):
    """The rows of ``frame`` with problems, with their row number and reasons, as text."""
    reasons: dict[int, list[str]] = {}
    for problem in problems:
        reasons.setdefault(problem.row, []).append(input_rules.describe(problem, "").lstrip(", "))
    out = frame.iloc[sorted(reasons)].astype("string")
    out.insert(0, "row", [offset + row + 1 for row in sorted(reasons)])
    out["reason"] = ["; ".join(reasons[row]) for row in sorted(reasons)]
    return out


def id_of(source: Path, id_column, features: list[str]) -> str | None:
    """The id column to copy (``id_column``, else ``id`` when the input has one), once the
    input's header has it and holds no lists or nested values among the model's columns."""
    names, deep = header(source)
    for name in (n for n in features if n in deep):
        raise common.UserError(
            f"{source}: column {name!r} holds lists or nested values; the model takes one value "
            "per cell (flatten it first)"
        )
    if id_column is not None and id_column not in names:
        raise common.UserError(f"{source} has no id column {id_column!r} (--id)")
    return id_column or ("id" if "id" in names else None)


def predict(
    model_path,
    input_path,
    out_path,
    *,
    suite=SUITE,
    id_column=None,
    skip=False,
    rejected=None,
    rows=BATCH_ROWS,
) -> tuple[int, int]:
    """Score ``input_path`` into ``out_path``; return (rows scored, rows rejected)."""
    import pandas as pd

    source = Path(input_path)
    out, bad = writers(source, out_path, rejected, skip)
    model, features = load_model(model_path)
    checks = load_rules(suite, features)
    ids = id_of(source, id_column, features)
    offset, done = 0, False
    try:
        for frame in batches(source, [c.name for c in checks if c.kind == "text"], rows):
            clean, problems = input_checks.check(frame, checks)
            if clean is None or (problems and not skip):
                where = f"row {offset + problems[0].row + 1}" if problems[0].row is not None else ""
                raise common.UserError(f"{source}: {input_rules.headline(problems, where)}")
            if problems:
                bad.write(rejected_rows(frame, problems, offset))
                clean = clean.drop(index=sorted({p.row for p in problems}))
            if len(clean):
                scored = score(model, clean)
                if ids is not None:
                    scored.insert(0, ids, frame[ids].reset_index(drop=True)[clean.index])
                out.write(scored)
            offset += len(frame)
        names = ["prediction"] + [f"probability_{c}" for c in getattr(model, "classes_", [])]
        out.finish(pd.DataFrame(columns=([ids] if ids else []) + names))
        if bad is not None:
            bad.finish(pd.DataFrame(columns=["row", "reason"]))
            bad.commit()
        out.commit()
        done = True
    finally:
        if not done:
            for writer in (out, bad):
                if writer is not None:
                    writer.discard()
    return out.rows, bad.rows if bad is not None else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True, help="joblib model (models/model.joblib)")
    parser.add_argument("--input", required=True, help="CSV or Parquet file of rows to score")
    parser.add_argument("--out", required=True, help="CSV or Parquet file to write")
    parser.add_argument("--suite", default=SUITE, help=f"expectation suite (default: {SUITE})")
    parser.add_argument("--id", help="column to copy beside each prediction (default: id)")
    parser.add_argument("--on-error", choices=("stop", "skip"), default="stop")
    parser.add_argument("--rejected", help="where skipped rows go (default: <out>.rejected.csv)")
    parser.add_argument("--batch-rows", type=int, default=BATCH_ROWS, help="rows per batch")
    args = parser.parse_args(argv)
    try:
        if args.batch_rows < 1:
            raise common.UserError("--batch-rows must be 1 or more")
        scored, skipped = predict(
            args.model,
            args.input,
            args.out,
            suite=args.suite,
            id_column=args.id,
            skip=args.on_error == "skip",
            rejected=args.rejected,
            rows=args.batch_rows,
        )
    except common.UserError as exc:
        return common.fail(exc)
    except Exception as exc:  # a bug or an unforeseen failure: still one line, exit 2
        return common.fail(f"predict failed: {type(exc).__name__}: {str(exc)[:200]}")
    print(f"predict: {scored} rows scored -> {args.out}")
    if args.on_error == "skip":
        rejected = args.rejected or Path(args.out).with_suffix(".rejected.csv")
        print(f"predict: {skipped} rejected, with their reasons -> {rejected}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
