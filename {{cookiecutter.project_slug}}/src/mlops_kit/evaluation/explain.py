"""What the model relies on, for the evaluate stage: permutation importance of each column and
of each group of correlated columns, and partial dependence of the top ones (test split).

Shuffling one of several correlated columns tells the model little it cannot read from the
others, so each of them seems to matter little; shuffling the group together does not share
the credit out. Numeric columns are grouped by hierarchical clustering of 1 - |Spearman ρ|,
cut at ``evaluate.importance.cluster_threshold``; any other column is a group of its own.
A group is named after its most important member, with the count of the others: "size +2".
A group of one column is that column's own importance (grouping.py makes the groups).
Partial dependence is averaged over at most DEPENDENCE_ROWS rows; both importances use at
most ``evaluate.importance.max_rows`` rows (null: every row), the same seeded sample for both.
"""

from __future__ import annotations

from typing import Any

from mlops_kit import common
from mlops_kit.evaluation import profile
from mlops_kit.evaluation.grouping import clusters, sample, sample_rows

LINKAGES = ("average", "complete", "single", "ward")
# A partial dependence curve is a mean over rows: 10^4 rows give it to about 1% of the spread
# of the predictions, and each grid point costs a prediction of every row used.
DEPENDENCE_ROWS = 10_000
# Importances of a 2*10^5-row sample are within about 0.001 of every row's, at a fixed cost.
IMPORTANCE_ROWS = 200_000
NUMBERS = {  # setting: (its key under `evaluate:` in params.yaml, smallest value, whole number)
    "repeats": ("importance_repeats", 1, True),
    "seed": ("seed", 0, True),
    "threshold": ("importance.cluster_threshold", 0, False),
    "top": ("partial_dependence.features", 0, True),
    "grid": ("partial_dependence.grid", 2, True),
}


def setting(params: dict[str, Any], key: str) -> Any:
    """``params`` (the evaluate section) at a dotted ``key``, or a UserError naming it."""
    node, section = params, "evaluate"
    for part in key.split("."):
        if not isinstance(node, dict):
            raise common.UserError(f"params.yaml: '{section}' must be a mapping holding '{part}'")
        node, section = common.require(node, part, section), f"{section}.{part}"
    return node


def settings(params: dict[str, Any]) -> dict[str, Any]:
    """The evaluate section's importance and partial dependence settings, checked."""
    found = {"linkage": setting(params, "importance.linkage")}
    if found["linkage"] not in LINKAGES:
        raise common.UserError(
            f"params.yaml: evaluate.importance.linkage must be one of {', '.join(LINKAGES)}, "
            f"not {found['linkage']!r}"
        )
    for name, (key, low, whole) in NUMBERS.items():
        value = found[name] = setting(params, key)
        kind = int if whole else int | float
        if isinstance(value, bool) or not isinstance(value, kind) or value < low:
            what = "a whole number" if whole else "a number"
            raise common.UserError(
                f"params.yaml: evaluate.{key} must be {what} >= {low}, not {value!r}"
            )
    most = (params.get("importance") or {}).get("max_rows", IMPORTANCE_ROWS)
    if most is not None and (isinstance(most, bool) or not isinstance(most, int) or most < 1):
        raise common.UserError(
            "params.yaml: evaluate.importance.max_rows must be a whole number >= 1 or null, "
            f"not {most!r}"
        )
    found["max_rows"] = most
    return found


def feature_importance(model, features, actual, repeats: int, seed: int, jobs: int = 1):
    """Permutation importance of each column: a frame of feature, importance, std."""
    import pandas as pd
    from sklearn.inspection import permutation_importance

    result = permutation_importance(
        model, features, actual, n_repeats=repeats, random_state=seed, n_jobs=jobs
    )
    return pd.DataFrame(
        {
            "feature": features.columns,
            "importance": result.importances_mean,
            "std": result.importances_std,
        }
    )


def group_importance(model, features, actual, groups, repeats: int, seed: int, alone=None):
    """For each group: (mean, std) of the score drop when the same row shuffle is applied
    to every member column at once. A group of one column in ``alone`` ({column: (mean,
    std)}, its own permutation importance) takes that instead of shuffling it again."""
    import numpy as np

    rng, alone = np.random.RandomState(seed), alone or {}
    base, found = None, []
    for members in groups:
        if len(members) == 1 and members[0] in alone:
            found.append(alone[members[0]])
            continue
        base = model.score(features, actual) if base is None else base
        drops = []
        for _ in range(repeats):
            order = rng.permutation(len(features))
            shuffled = features.copy()
            for name in members:
                shuffled[name] = features[name].iloc[order].to_numpy()
            drops.append(base - model.score(shuffled, actual))
        found.append((float(np.mean(drops)), float(np.std(drops))))
    return found


def dependence(model, features, names: list[str], grid: int, seed: int = 0):
    """Average partial dependence of each named column: the positive class (binary), each
    class (multiclass) or the prediction (regression), on up to ``grid`` points, over at most
    DEPENDENCE_ROWS rows."""
    from sklearn.inspection import partial_dependence

    classes = list(getattr(model, "classes_", []))
    labels = [None] if not classes else classes[1:] if len(classes) == 2 else classes
    whole = features[names].select_dtypes("integer").columns  # scikit-learn wants floats
    features = sample(features, DEPENDENCE_ROWS, seed).astype(dict.fromkeys(whole, "float64"))
    found = []
    for name in names:
        try:
            result = partial_dependence(model, features, [name], grid_resolution=grid)
        except ValueError:  # a column too narrow on this split for a grid: no curve
            continue
        values = [common.sig(v) for v in result["grid_values"][0]]
        for label, average in zip(labels, result["average"], strict=True):
            found.append(
                {
                    "feature": str(name),
                    "class": None if label is None else str(label),
                    "grid": values,
                    "average": [common.sig(v) for v in average],
                }
            )
    return found


def explain(model, features, actual, params: dict[str, Any], jobs: int = 1) -> dict[str, Any]:
    """The explanation that evaluate writes to reports/explain.json (see the README)."""
    found = settings(params)
    shuffled, truth = sample_rows(features, actual, found["max_rows"], found["seed"])
    single = feature_importance(model, shuffled, truth, found["repeats"], found["seed"], jobs)
    single = single.sort_values(["importance", "feature"], ascending=[False, True], kind="stable")
    rank = {name: i for i, name in enumerate(single["feature"])}
    groups = [
        sorted(members, key=rank.__getitem__)
        for members in clusters(features, found["threshold"], found["linkage"], found["seed"])
    ]
    alone = {f: (i, s) for f, i, s in single[["feature", "importance", "std"]].to_numpy()}
    scores = group_importance(
        model, shuffled, truth, groups, found["repeats"], found["seed"], alone
    )
    ranked = sorted(
        zip(groups, scores, strict=True), key=lambda pair: (-pair[1][0], str(pair[0][0]))
    )
    rows = [
        {
            "group": str(m[0]) + (f" +{len(m) - 1}" if len(m) > 1 else ""),
            "members": [str(name) for name in m],
            "importance": common.sig(mean),
            "std": common.sig(std),
        }
        for m, (mean, std) in ranked
    ]
    numeric = {name for name in features.columns if profile.is_numeric(features[name])}
    chosen = [m[0] for m, _ in ranked if m[0] in numeric][: found["top"]]
    return {
        "features": [
            {"feature": str(f), "importance": common.sig(i), "std": common.sig(s)}
            for f, i, s in zip(single["feature"], single["importance"], single["std"], strict=True)
        ],
        "groups": rows,
        "partial_dependence": dependence(model, features, chosen, found["grid"], found["seed"]),
    }


def plots(explanation: dict[str, Any]) -> dict[str, Any]:
    """The explanation's plot data: feature_importance, group_importance, partial_dependence."""
    import pandas as pd

    single = pd.DataFrame(explanation["features"], columns=["feature", "importance"])
    groups = pd.DataFrame(explanation["groups"], columns=["group", "importance"])
    curves = [
        {"feature": c["feature"], "class": c["class"], "value": x, "average": y}
        for c in explanation["partial_dependence"]
        for x, y in zip(c["grid"], c["average"], strict=True)
    ]
    columns = ["feature", "class", "value", "average"]
    return {
        "feature_importance": single,
        "group_importance": groups,
        "partial_dependence": pd.DataFrame(curves, columns=columns),
    }
