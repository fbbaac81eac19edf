"""Edits of a generated project's own code, made as its owners would, following the generated
README's "Changing the features, the model or the stages": a feature column in features.py,
an estimator under a new name in model.py chosen in params.yaml, and a stage of their own
between prepare and train in dvc.yaml."""

from __future__ import annotations

from pathlib import Path

import yaml

NEW_MODEL = "hist_boost"
NEW_STAGE = "dedupe"
DEDUPED = "data/deduped/train.parquet"


def replace_once(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{path.name}: {old!r} is not there once"
    path.write_text(text.replace(old, new), encoding="utf-8")


def package_of(root: Path) -> Path:
    (init,) = [p for p in (root / "src").glob("*/__init__.py") if p.parent.name != "mlops_kit"]
    return init.parent


def add_feature(root: Path, name: str, numerator: str, denominator: str) -> None:
    """A new column, ``numerator`` per unit of ``denominator`` (plus one), before the
    ColumnTransformer, which then scales it with the other numeric columns."""
    path = package_of(root) / "features.py"
    replace_once(
        path,
        "\n\ndef split_columns(",
        f'''

def add_{name}(frame):
    """{name}: {numerator} per unit of {denominator}."""
    return frame.assign({name}=frame[{numerator!r}] / (frame[{denominator!r}].abs() + 1))


def split_columns(''',
    )
    replace_once(
        path,
        "numeric, categorical = split_columns(frame)",
        f"numeric, categorical = split_columns(add_{name}(frame))",
    )
    replace_once(
        path,
        "from sklearn.pipeline import Pipeline\n",
        "from sklearn.pipeline import Pipeline, make_pipeline\n",
    )
    replace_once(path, "    return ColumnTransformer(\n", "    columns = ColumnTransformer(\n")
    text = path.read_text(encoding="utf-8").rstrip("\n")
    text += f"\n    return make_pipeline(FunctionTransformer(add_{name}), columns)\n"
    path.write_text(text, encoding="utf-8")


def add_model(root: Path) -> None:
    """scikit-learn's HistGradientBoosting under a name of the owners', chosen in params.yaml."""
    replace_once(
        package_of(root) / "model.py",
        "\n}\n",
        f'''
    "{NEW_MODEL}": {{
        "classification": ensemble.HistGradientBoostingClassifier,
        "regression": ensemble.HistGradientBoostingRegressor,
    }},
}}
''',
    )
    params = root / "params.yaml"  # edited as text: its comments stay
    replace_once(params, "  model: random_forest  #", f"  model: {NEW_MODEL}  #")
    replace_once(
        params,
        "\nevaluate:\n",
        f"  {NEW_MODEL}:  # HistGradientBoosting, under a name of ours\n"
        "    max_iter: 60\n    learning_rate: 0.2\n\nevaluate:\n",
    )


STAGE_MODULE = '''"""Dedupe stage: drop repeated rows of the training split: none counts twice."""

from __future__ import annotations

import argparse

from mlops_kit import common


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--train", required=True, help="the training split (Parquet)")
    parser.add_argument("--out", required=True, help="the split without repeated rows")
    args = parser.parse_args(argv)
    try:
        frame = common.read_table(args.train)
    except common.UserError as exc:
        return common.fail(exc)
    kept = frame.drop_duplicates()
    with common.replacing(args.out) as path:
        kept.to_parquet(path, index=False)
    print(f"dedupe: {len(frame) - len(kept)} repeated rows dropped, {len(kept)} kept")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
'''


def add_stage(root: Path) -> None:
    """A stage of the owners' between prepare and train: train reads its output."""
    package = package_of(root)
    (package / f"{NEW_STAGE}.py").write_text(STAGE_MODULE, encoding="utf-8")
    path = root / "dvc.yaml"
    pipeline = yaml.safe_load(path.read_text(encoding="utf-8"))
    stages, split = pipeline["stages"], "data/prepared/train.parquet"
    own = f"src/{package.name}"
    new = {
        "cmd": f"python -m {package.name}.{NEW_STAGE} --train {split} --out {DEDUPED}",
        "deps": [
            f"{own}/{NEW_STAGE}.py",
            f"{own}/__init__.py",
            "src/mlops_kit/__init__.py",
            "src/mlops_kit/common.py",
            split,
        ],
        "outs": [DEDUPED],
    }
    train = stages["train"]
    train["cmd"] = train["cmd"].replace(f"--train {split}", f"--train {DEDUPED}")
    train["deps"] = [DEDUPED if dep == split else dep for dep in train["deps"]]
    order = list(stages)
    ordered = {}
    for name in order:
        if name == "train":
            ordered[NEW_STAGE] = new
        ordered[name] = stages[name]
    pipeline["stages"] = ordered
    path.write_text(yaml.safe_dump(pipeline, sort_keys=False, width=100), encoding="utf-8")
