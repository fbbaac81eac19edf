"""The Spark stages on a local Spark session: the same verdicts as the local engine, a split
made on Spark, and the scikit-learn Pipeline with its forest fitted through joblib's Spark
backend."""

import joblibspark.backend
import pandas as pd
import pytest

from mlops_kit import common
from mlops_kit.spark import prepare, validate
from mlops_kit.spark import session as spark
from mlops_kit.spark import train as spark_train
from mlops_kit.validation import checks, suite

from {{ cookiecutter.package_name }} import train


@pytest.fixture(scope="module")
def session():
    with spark.session("tests") as running:
        yield running


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, ("master", "local[*]")),
        ({"SPARK_MASTER": "spark://10.0.0.5:7077"}, ("master", "spark://10.0.0.5:7077")),
        (
            {"SPARK_REMOTE": "sc://spark.example.com:15002"},
            ("remote", "sc://spark.example.com:15002"),
        ),
    ],
)
def test_the_cluster_comes_from_the_environment(env, expected):
    assert spark.cluster(env) == expected


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"SPARK_MASTER": "10.0.0.5:7077"}, "is not a Spark master URL"),
        ({"SPARK_REMOTE": "http://host:15002"}, "is not a Spark Connect URL"),
        ({"SPARK_MASTER": "local[2]", "SPARK_REMOTE": "sc://h:1"}, "unset one of them"),
    ],
)
def test_a_bad_cluster_address_is_a_user_error(env, message):
    with pytest.raises(common.UserError, match=message):
        spark.cluster(env)


def broken(frame: pd.DataFrame) -> pd.DataFrame:
    bad = frame.copy()
    bad.loc[[1, 2], "size"] = [-1000.0, 9999.0]
    bad.loc[[0, 5, 6], "visits"] = 7
    bad.loc[4, "colour"] = "purple"
    bad.loc[7, "code"] = None
    return bad


def verdicts(outcomes: list[dict]) -> list[tuple]:
    return [(o["expectation"], o["column"], o["success"], o["unexpected_count"]) for o in outcomes]


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_validation_on_spark_equals_the_local_engine(
    session, tmp_path, suffix, classification_frame
):
    frame = suite.as_read_back(classification_frame)
    rules = suite.build_suite(frame, "tiny")
    for name, data in (("good", frame), ("bad", broken(frame))):
        path = tmp_path / f"{name}{suffix}"
        data.to_csv(path, index=False) if suffix == ".csv" else data.to_parquet(path)
        local = checks.run_suite(common.read_table(path), rules)
        remote = validate.run_suite(spark.read(session, path), rules)
        assert verdicts(remote) == verdicts(local), name
        assert all(o["success"] for o in local) == (name == "good")
    assert {o["column"] for o in remote if not o["success"]} >= {"size", "visits", "colour"}


def test_validate_stage_writes_the_summary_on_spark(session, workdir, classification_frame):
    frame = suite.as_read_back(classification_frame)
    frame.to_parquet("raw.parquet")
    common.write_json("suite.json", suite.build_suite(frame, "tiny"))
    args = ["--data", "raw.parquet", "--suite", "suite.json"]
    code = validate.main([*args, "--summary", "v.json", "--report", "v.md"])
    assert code == 0
    summary = common.read_json("v.json")
    assert summary["success"] is True
    assert summary["rows"] == len(frame)


def test_prepare_splits_on_spark_stratified(session, workdir, params, classification_frame):
    frame = pd.concat([classification_frame] * 5, ignore_index=True)
    frame["code"] = [f"id{i:04d}" for i in range(len(frame))]
    frame.to_parquet("raw.parquet")
    common.write_json("validation.json", {"success": True})
    rows = prepare.prepare(
        "raw.parquet", "validation.json", "prepared", "label", "classification", params["prepare"]
    )
    train_part = pd.read_parquet("prepared/train.parquet")
    test_part = pd.read_parquet("prepared/test.parquet")
    assert rows == (len(train_part), len(test_part))
    assert sorted([*train_part["code"], *test_part["code"]]) == sorted(frame["code"])
    assert 0.12 < len(test_part) / len(frame) < 0.28
    shares = [
        part["label"].value_counts(normalize=True)["high"] for part in (train_part, test_part)
    ]
    assert abs(shares[0] - shares[1]) < 0.12
    again = prepare.split(spark.read(session, "raw.parquet"), "label", "x", params["prepare"])
    assert len(again[0].toPandas()) + len(again[1].toPandas()) == len(frame)


def test_prepare_on_spark_refuses_unvalidated_data(workdir, params, classification_frame):
    classification_frame.to_parquet("raw.parquet")
    common.write_json("validation.json", {"success": False})
    with pytest.raises(common.UserError, match="failed validation"):
        prepare.prepare(
            "raw.parquet",
            "validation.json",
            "prepared",
            "label",
            "classification",
            params["prepare"],
        )
    assert not (workdir / "prepared").exists()


def test_forest_trees_are_fitted_through_the_spark_backend(
    session, params, monkeypatch, classification_frame
):
    calls = []
    real = joblibspark.backend.SparkDistributedBackend.apply_async

    def counted(self, func, callback=None):
        calls.append(self._n_jobs)
        return real(self, func, callback)

    monkeypatch.setattr(joblibspark.backend.SparkDistributedBackend, "apply_async", counted)
    frame = classification_frame
    on_spark = spark_train.fit(
        frame, "label", "classification", params["train"], train.build_pipeline
    )
    assert calls, "no batch of trees went to Spark"
    assert all(jobs != 1 for jobs in calls)
    assert type(on_spark).__name__ == "Pipeline"
    assert on_spark.named_steps["model"].n_jobs == params["train"]["n_jobs"]
    here = train.fit(frame, "label", "classification", params["train"])
    features = frame.drop(columns=["label"])
    pd.testing.assert_frame_equal(
        pd.DataFrame(on_spark.predict_proba(features)), pd.DataFrame(here.predict_proba(features))
    )


def test_models_that_do_not_spread_fit_on_the_driver(
    quick_train, monkeypatch, classification_frame
):
    monkeypatch.setattr(spark, "session", None)  # a Spark session would fail here
    frame = classification_frame
    for model in ("gradient_boosting", "linear"):
        fitted = spark_train.fit(
            frame,
            "label",
            "classification",
            quick_train("classification", model),
            train.build_pipeline,
        )
        assert fitted.predict(frame.drop(columns=["label"])).shape == (len(frame),)
