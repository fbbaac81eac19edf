"""compare against baselines in real git repositories, read by the real DVC."""

from pathlib import Path

import pytest
from mlops_kit import common
from mlops_kit.comparison import compare
from mlops_kit.reporting import report

ARGS = ["--metrics", "reports/metrics.json", "--out", "reports/compare.json"]


def write_run(params, set_params, metrics, **train):
    params["train"].update(train)
    set_params(params)
    if metrics is not None:
        common.write_json("reports/metrics.json", metrics)


def test_against_a_baseline_commit(dvc_repo, commit, params, set_params, capsys):
    write_run(params, set_params, {"f1": 0.9, "loss": 0.3, "accuracy": 0.8}, seed=1)
    commit("Baseline")
    write_run(params, set_params, {"f1": 0.85, "loss": 0.3, "accuracy": 0.7}, seed=2)
    assert compare.main(["--baseline", "main", *ARGS]) == 1
    out = capsys.readouterr().out
    result = common.read_json("reports/compare.json")
    assert result["baseline"] == "main"
    assert result["baseline_found"] is True
    assert result["passed"] is False
    assert result["regressions"] == ["f1"]
    assert [(m["metric"], m["old"], m["new"], m["status"]) for m in result["metrics"]] == [
        ("f1", 0.9, 0.85, "regressed"),
        ("loss", 0.3, 0.3, "same"),
        ("accuracy", 0.8, 0.7, "changed"),
    ]
    assert result["params"] == [{"key": "train.seed", "old": 1, "new": 2}]
    assert result["params_compared"] is True
    assert out.splitlines()[0] == (
        "::error::Regression: f1 0.9 -> 0.85 (change -0.05, tolerance 0.02, higher is better)"
    )

    write_run(params, set_params, {"f1": 0.89, "loss": 0.34, "accuracy": 0.8}, seed=1)
    assert compare.main(["--baseline", "main", *ARGS]) == 0
    result = common.read_json("reports/compare.json")
    assert [m["status"] for m in result["metrics"]] == ["worse", "worse", "same"]
    assert result["params"] == []


def test_params_are_diffed_when_the_baseline_has_no_metrics(dvc_repo, commit, params, set_params):
    write_run(params, set_params, None, random_forest={"n_estimators": 100})
    commit("Parameters only: no metrics committed yet")
    write_run(params, set_params, {"f1": 0.9}, random_forest={"n_estimators": 102})
    assert compare.main(["--baseline", "HEAD", *ARGS]) == 0
    result = common.read_json("reports/compare.json")
    assert result["baseline_found"] is False
    assert result["note"] == "No baseline metrics at HEAD; nothing to compare (first run?)"
    key = "train.random_forest.n_estimators"
    assert result["params"] == [{"key": key, "old": 100, "new": 102}]
    text = report.render(result, None, [])
    assert f"| `{key}` | 100 | 102 |" in text
    assert "No parameter changes" not in text


def test_nested_added_removed_and_list_params(dvc_repo, commit, set_params):
    set_params({"compare": {"metrics": {}}, "gone": 1, "list": [1], "a": {"b": {"c": 1}}})
    commit("Old parameters")
    set_params({"compare": {"metrics": {}}, "list": [1, 2], "a": {"b": {"c": 2}}, "seed": 7})
    common.write_json("reports/metrics.json", {"test": {"f1": 0.5}})
    assert compare.main(["--baseline", "HEAD", *ARGS]) == 0
    result = common.read_json("reports/compare.json")
    assert result["params"] == [  # as `dvc params diff` reports them: lists as text
        {"key": "a.b.c", "old": 1, "new": 2},
        {"key": "gone", "old": 1, "new": None},
        {"key": "list", "old": "[1]", "new": "[1, 2]"},
        {"key": "seed", "old": None, "new": 7},
    ]
    text = report.render(result, None, [])
    assert "| `gone` | 1 | — |" in text
    assert "| `list` | `[1]` | `[1, 2]` |" in text


@pytest.mark.parametrize("rev", ["no-such-branch", "HEAD"])
def test_without_baseline_metrics_passes(dvc_repo, commit, params, set_params, rev, capsys):
    write_run(params, set_params, None)
    commit("Parameters only: no metrics at HEAD yet")
    write_run(params, set_params, {"f1": 0.1, "loss": 9.0}, seed=3)
    args = ["--metrics", "reports/metrics.json", "--out", "out.json"]
    assert compare.main(["--baseline", rev, *args]) == 0
    result = common.read_json("out.json")
    assert result["baseline_found"] is False
    assert result["passed"] is True
    assert result["note"].startswith(f"No baseline metrics at {rev}; nothing to compare")
    out = capsys.readouterr().out
    unknown = rev == "no-such-branch"  # e.g. a shallow clone without the base commit
    assert ("not in this clone" in result["note"]) == unknown
    assert out.startswith("::warning::Baseline no-such-branch is not in this clone") == unknown
    assert result["params_compared"] is not unknown
    assert result["params"] == ([] if unknown else [{"key": "train.seed", "old": 1, "new": 3}])
    section = "Not compared: `no-such-branch` is not in this clone" if unknown else "train.seed"
    assert section in report.render(result, None, [])


@pytest.mark.parametrize("rev", ["none", ""])
def test_with_no_baseline_given(workdir, params, set_params, rev, capsys):
    write_run(params, set_params, {"f1": 0.1})
    assert compare.main(["--baseline", rev, "--metrics", "reports/metrics.json", "--out", "o"]) == 0
    result = common.read_json("o")
    assert result["baseline"] is None
    assert result["note"] == "No baseline revision given; nothing to compare"
    assert result["params_compared"] is False
    assert "::warning::" not in capsys.readouterr().out
    assert "Not compared: no baseline revision." in report.render(result, None, [])


def test_without_metrics_is_one_line_error(workdir, params, set_params, capsys):
    set_params(params)
    assert compare.main(["--baseline", "main", "--metrics", "absent.json", "--out", "o"]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1
    assert "absent.json" in error
    assert not Path("o").exists()


def test_a_failing_dvc_is_one_line_error(dvc_repo, commit, params, set_params, capsys):
    write_run(params, set_params, {"f1": 0.9})
    commit("Baseline")
    Path(".dvc/config").write_text("[core\nbroken", encoding="utf-8")
    assert compare.main(["--baseline", "HEAD", *ARGS]) == 2
    error = capsys.readouterr().err
    assert error.startswith("error: `dvc params diff HEAD --targets params.yaml` failed")
    assert error.count("\n") == 1
    assert not Path("reports/compare.json").exists()
