"""Baseline (a), same libraries: the default generated pipeline's work as one plain script.

    python bench/baseline_gx.py SUITE OUT_DIR

What a data scientist would write by hand for the default project, in one process: load the
bundled breast_cancer data, validate it with the same Great Expectations suite, split it,
train the same model with the same parameters (median imputation, scaling, a random forest
of 100 trees, seed 42), and write the same metrics and plot data. No DVC, no stage
processes, no intermediate files. Runs with a generated project's interpreter.
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
from sklearn import metrics  # noqa: E402
from sklearn.datasets import load_breast_cancer  # noqa: E402
from sklearn.ensemble import RandomForestClassifier  # noqa: E402
from sklearn.impute import SimpleImputer  # noqa: E402
from sklearn.inspection import permutation_importance  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

CLASS_COUNTS = "expect_column_value_counts_to_be_at_least"


def thin(frame: pd.DataFrame, limit: int = 200) -> pd.DataFrame:
    if len(frame) <= limit:
        return frame
    return frame.iloc[np.unique(np.linspace(0, len(frame) - 1, limit).round().astype(int))]


def main() -> int:
    suite_file, out = Path(sys.argv[1]), Path(sys.argv[2])
    frame = load_breast_cancer(as_frame=True).frame

    # Validate with the project's suite.
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
    if failed:
        print(f"validation failed: {failed}", file=sys.stderr)
        return 1

    # Split, train, evaluate.
    train, test = train_test_split(frame, test_size=0.2, random_state=42, stratify=frame["target"])
    features = [c for c in frame.columns if c != "target"]
    model = make_pipeline(
        SimpleImputer(strategy="median"),
        StandardScaler(),
        RandomForestClassifier(n_estimators=100, random_state=42, n_jobs=1),
    )
    model.fit(train[features], train["target"])
    x_test, y_test = test[features], test["target"]
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
    importance = permutation_importance(
        model, x_test, y_test, n_repeats=5, random_state=42, n_jobs=1
    )
    plots = {
        "confusion": pd.DataFrame({"actual": y_test.to_numpy(), "predicted": predicted}),
        "roc": thin(pd.DataFrame({"fpr": fpr, "tpr": tpr})),
        "precision_recall": thin(pd.DataFrame({"recall": recall, "precision": precision})),
        "feature_importance": pd.DataFrame(
            {"feature": features, "importance": importance.importances_mean}
        ).sort_values(["importance", "feature"], ascending=[False, True], kind="stable"),
    }

    out.mkdir(parents=True, exist_ok=True)
    rounded = {name: float(f"{value:.6g}") for name, value in scores.items()}
    (out / "metrics.json").write_text(json.dumps(rounded, indent=2, sort_keys=True) + "\n")
    for name, plot in plots.items():
        plot.to_csv(out / f"{name}.csv", index=False, float_format="%.6g")
    print(f"baseline_gx: {rounded}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
