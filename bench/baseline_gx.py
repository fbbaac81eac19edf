"""Baseline (a), same libraries: the generated pipeline's work as one plain script.

    python bench/baseline_gx.py SUITE OUT_DIR [DATA PARAMS]

What a data scientist would write by hand, in one process: load the data, validate it with
the same Great Expectations suite, split it, train the same model with the same parameters
(median imputation, scaling, then the estimator ``train.model`` names), and write the same
metrics, plot data and reference profile. No DVC, no stage processes, no intermediate files.
Runs with a generated project's interpreter.

Without DATA and PARAMS: the bundled breast_cancer data and the generated defaults (a random
forest of 100 trees, seed 42). With them: the CSV or Parquet file DATA (the scale runs pass
what the ingest stage wrote, so both sides read the same rows) and the sections of the
project's PARAMS file that the stages read.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")

import great_expectations as gx  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from great_expectations.expectations.expectation_configuration import (  # noqa: E402
    ExpectationConfiguration,
)
from sklearn import ensemble, linear_model, metrics  # noqa: E402
from sklearn.impute import SimpleImputer  # noqa: E402
from sklearn.inspection import permutation_importance  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

CLASS_COUNTS = "expect_column_value_counts_to_be_at_least"
# The generated params.yaml's sections for the default project (classification).
DEFAULTS = {
    "ingest": {"target": "target"},
    "prepare": {"test_size": 0.2, "seed": 42, "stratify": True},
    "train": {
        "model": "random_forest",
        "seed": 42,
        "random_forest": {
            "n_estimators": 100,
            "max_depth": None,
            "min_samples_leaf": 1,
            "n_jobs": 1,
        },
    },
    "evaluate": {"importance_repeats": 5, "seed": 42, "importance": {"max_rows": 200_000}},
}
MODELS = {
    "random_forest": ensemble.RandomForestClassifier,
    "gradient_boosting": ensemble.HistGradientBoostingClassifier,
    "linear": linear_model.LogisticRegression,
}
LEVELS = (np.arange(100) + 0.5) / 100


def thin(frame: pd.DataFrame, limit: int = 200) -> pd.DataFrame:
    if len(frame) <= limit:
        return frame
    return frame.iloc[np.unique(np.linspace(0, len(frame) - 1, limit).round().astype(int))]


def load(argv: list[str]) -> tuple[pd.DataFrame, dict]:
    if not argv:
        from sklearn.datasets import load_breast_cancer

        return load_breast_cancer(as_frame=True).frame, DEFAULTS
    data, params_file = argv
    import yaml

    params = yaml.safe_load(Path(params_file).read_text(encoding="utf-8"))
    frame = pd.read_parquet(data) if data.endswith(".parquet") else pd.read_csv(data)
    return frame, params


def validate(frame: pd.DataFrame, suite_file: Path) -> list[str]:
    spec = json.loads(suite_file.read_text(encoding="utf-8"))
    # Great Expectations has no rule for a minimum count per class; the project checks it
    # itself, and so does this script, with pandas.
    own = [e for e in spec["expectations"] if e["type"] == CLASS_COUNTS]
    suite = gx.ExpectationSuite(
        name=spec["name"],
        expectations=[
            ExpectationConfiguration(type=e["type"], kwargs=e["kwargs"]).to_domain_obj()
            for e in spec["expectations"]
            if e["type"] != CLASS_COUNTS
        ],
    )
    context = gx.get_context(mode="ephemeral")
    batch = (
        context.data_sources.add_pandas("data")
        .add_dataframe_asset("frame")
        .add_batch_definition_whole_dataframe("all")
        .get_batch(batch_parameters={"dataframe": frame})
    )
    result = batch.validate(suite)
    failed = [r.expectation_config.type for r in result.results if not r.success]
    for rule in own:
        counts = frame[rule["kwargs"]["column"]].value_counts()
        if (counts < rule["kwargs"]["min_value"]).any():
            failed.append(CLASS_COUNTS)
    return failed


def profile(train: pd.DataFrame, features: list[str], predicted) -> dict:
    """What the evaluate stage keeps for the monitor: per feature of the training split 100
    quantiles, mean, spread and missing rate; the shares of the predicted classes."""
    columns = {}
    for name in features:
        values = train[name].to_numpy(dtype=float)
        present = np.sort(values[~np.isnan(values)])
        quantiles = np.array([float(f"{q:.6g}") for q in np.quantile(present, LEVELS)])
        columns[name] = {
            "rows": len(values),
            "missing": float(np.isnan(values).mean()),
            "mean": float(present.mean()),
            "std": float(present.std(ddof=1)),
            "quantiles": quantiles.tolist(),
            "at_or_below": np.searchsorted(present, quantiles, side="right").tolist(),
            "below": np.searchsorted(present, quantiles, side="left").tolist(),
        }
    labels, counts = np.unique(np.asarray(predicted).astype(str), return_counts=True)
    shares = {str(label): int(n) / len(predicted) for label, n in zip(labels, counts, strict=True)}
    return {"rows": len(train), "features": columns, "prediction": shares}


def main() -> int:
    suite_file, out = Path(sys.argv[1]), Path(sys.argv[2])
    frame, params = load(sys.argv[3:])
    failed = validate(frame, suite_file)
    if failed:
        print(f"validation failed: {failed}", file=sys.stderr)
        return 1

    # Split, train, evaluate.
    target = str(params["ingest"]["target"])
    split, fit, scoring = params["prepare"], params["train"], params["evaluate"]
    train, test = train_test_split(
        frame,
        test_size=split["test_size"],
        random_state=split["seed"],
        stratify=frame[target] if split["stratify"] else None,
    )
    del frame
    features = [c for c in train.columns if c != target]
    options = {**(fit[fit["model"]] or {}), "random_state": fit["seed"]}
    model = make_pipeline(
        SimpleImputer(strategy="median"), StandardScaler(), MODELS[fit["model"]](**options)
    )
    model.fit(train[features], train[target])
    x_test, y_test = test[features], test[target]
    predicted = model.predict(x_test)
    proba = model.predict_proba(x_test)
    scores = {
        "accuracy": metrics.accuracy_score(y_test, predicted),
        "balanced_accuracy": metrics.balanced_accuracy_score(y_test, predicted),
        "f1_macro": metrics.f1_score(y_test, predicted, average="macro"),
        "precision_macro": metrics.precision_score(y_test, predicted, average="macro"),
        "recall_macro": metrics.recall_score(y_test, predicted, average="macro"),
        "roc_auc": metrics.roc_auc_score(y_test, proba[:, 1]),
        "log_loss": metrics.log_loss(y_test, proba),
    }
    fpr, tpr, _ = metrics.roc_curve(y_test, proba[:, 1])
    precision, recall, _ = metrics.precision_recall_curve(y_test, proba[:, 1])
    # As evaluate does, on at most evaluate.importance.max_rows rows (scikit-learn's own
    # max_samples: a sample drawn for each repeat).
    most = (scoring.get("importance") or {}).get("max_rows", 200_000)
    importance = permutation_importance(
        model,
        x_test,
        y_test,
        n_repeats=scoring["importance_repeats"],
        random_state=scoring["seed"],
        n_jobs=1,
        max_samples=1.0 if most is None or len(x_test) <= most else most,
    )
    plots = {
        "confusion": pd.DataFrame({"actual": y_test.to_numpy(), "predicted": predicted}),
        "roc": thin(pd.DataFrame({"fpr": fpr, "tpr": tpr})),
        "precision_recall": thin(pd.DataFrame({"recall": recall, "precision": precision})),
        "feature_importance": pd.DataFrame(
            {"feature": features, "importance": importance.importances_mean}
        ).sort_values(["importance", "feature"], ascending=[False, True], kind="stable"),
    }
    reference = profile(train, features, model.predict(test[features]))

    out.mkdir(parents=True, exist_ok=True)
    rounded = {name: float(f"{value:.6g}") for name, value in scores.items()}
    (out / "metrics.json").write_text(json.dumps(rounded, indent=2, sort_keys=True) + "\n")
    for name, plot in plots.items():
        plot.to_csv(out / f"{name}.csv", index=False, float_format="%.6g")
    (out / "profile.json").write_text(json.dumps(reference, indent=2) + "\n")
    print(f"baseline_gx: {rounded}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
