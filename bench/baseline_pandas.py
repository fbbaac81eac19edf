"""Baseline (b), plain pandas: baseline (a) with the suite's rules checked by pandas alone.

    python bench/baseline_pandas.py SUITE OUT_DIR        # the whole pipeline's work
    python bench/baseline_pandas.py --check DATA SUITE   # only read a CSV and check it

Same work as ``baseline_gx.py`` except validation: each rule of the suite (the six
expectation types the bundled suites use) is checked with a line or two of pandas, and the
run stops on a broken rule. ``--check`` is the validation-cost comparison: it reads the same
CSV file the validate stage reads and checks the same rules. Runs with a generated
project's interpreter.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd


def broken_rules(frame: pd.DataFrame, suite: dict) -> list[str]:
    """The suite's expectations that ``frame`` does not meet, as short descriptions."""
    broken = []
    for rule in suite["expectations"]:
        kind, kw = rule["type"], rule["kwargs"]
        column = frame[kw["column"]] if "column" in kw else None
        if kind == "expect_table_columns_to_match_ordered_list":
            ok = list(frame.columns) == kw["column_list"]
        elif kind == "expect_table_row_count_to_be_between":
            ok = kw["min_value"] <= len(frame) <= kw["max_value"]
        elif kind == "expect_column_values_to_be_in_type_list":
            ok = str(column.dtype) in kw["type_list"]
        elif kind == "expect_column_values_to_not_be_null":
            ok = not column.isna().any()
        elif kind == "expect_column_values_to_be_between":
            present = column.dropna()
            ok = bool(present.between(kw["min_value"], kw["max_value"]).all())
        elif kind == "expect_column_values_to_be_in_set":
            ok = bool(column.dropna().isin(kw["value_set"]).all())
        elif kind == "expect_column_to_exist":
            ok = kw["column"] in frame.columns
        elif kind == "expect_column_unique_value_count_to_be_between":
            distinct = column.nunique()
            high = kw["max_value"] if kw["max_value"] is not None else distinct
            ok = kw["min_value"] <= distinct <= high
        elif kind == "expect_column_value_counts_to_be_at_least":
            ok = bool((column.value_counts() >= kw["min_value"]).all())
        else:
            raise ValueError(f"no pandas check written for {kind}")
        if not ok:
            broken.append(f"{kind} {kw.get('column', '')}".strip())
    return broken


def check(data: str, suite_file: str) -> int:
    frame = pd.read_parquet(data) if str(data).endswith(".parquet") else pd.read_csv(data)
    broken = broken_rules(frame, json.loads(Path(suite_file).read_text(encoding="utf-8")))
    if broken:
        print(f"validation failed: {broken}", file=sys.stderr)
        return 1
    print(f"checked {len(frame)} rows")
    return 0


def thin(frame: pd.DataFrame, limit: int = 200) -> pd.DataFrame:
    if len(frame) <= limit:
        return frame
    return frame.iloc[np.unique(np.linspace(0, len(frame) - 1, limit).round().astype(int))]


def main() -> int:
    if sys.argv[1] == "--check":
        return check(sys.argv[2], sys.argv[3])
    from sklearn import metrics
    from sklearn.datasets import load_breast_cancer
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.impute import SimpleImputer
    from sklearn.inspection import permutation_importance
    from sklearn.model_selection import train_test_split
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    suite_file, out = Path(sys.argv[1]), Path(sys.argv[2])
    frame = load_breast_cancer(as_frame=True).frame
    broken = broken_rules(frame, json.loads(suite_file.read_text(encoding="utf-8")))
    if broken:
        print(f"validation failed: {broken}", file=sys.stderr)
        return 1

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
    print(f"baseline_pandas: {rounded}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
