import pytest

from {{ cookiecutter.package_name }} import common
from {{ cookiecutter.package_name }}_ci import compare

RULES = {
    "f1": {"direction": "higher", "tolerance": 0.02},
    "loss": {"direction": "lower", "tolerance": 0.05},
}


@pytest.mark.parametrize(
    ("metric", "old", "new", "status"),
    [
        ("f1", 0.90, 0.95, "better"),
        ("f1", 0.90, 0.90, "same"),
        ("f1", 0.90, 0.89, "worse"),
        ("f1", 0.90, 0.88, "worse"),  # exactly the tolerance (0.020000000000000018 in floats)
        ("f1", 0.90, 0.8799, "regressed"),
        ("loss", 0.30, 0.20, "better"),
        ("loss", 0.30, 0.35, "worse"),
        ("loss", 0.30, 0.3501, "regressed"),
        ("f1", None, 0.9, "new"),
        ("f1", 0.9, None, "regressed"),  # a gated metric that disappeared
        ("accuracy", 0.9, 0.5, "changed"),  # no rule: shown, never judged
        ("accuracy", 0.9, 0.9, "same"),
    ],
)
def test_status(metric, old, new, status):
    assert compare.status_of(old, new, RULES.get(metric)) == status


def test_compare_lists_gated_metrics_first_and_finds_regressions():
    result = compare.compare(
        {"f1": 0.80, "loss": 0.31, "accuracy": 0.7, "extra": 1.0},
        {"f1": 0.90, "loss": 0.30, "accuracy": 0.9},
        {"train": {"seed": 1}},
        {"train": {"seed": 2}},
        RULES,
        baseline="main",
    )
    assert [m["metric"] for m in result["metrics"]] == ["f1", "loss", "accuracy", "extra"]
    f1 = result["metrics"][0]
    assert f1 == {
        "metric": "f1",
        "old": 0.90,
        "new": 0.80,
        "change": -0.1,
        "direction": "higher",
        "tolerance": 0.02,
        "gated": True,
        "status": "regressed",
    }
    assert [m["status"] for m in result["metrics"][1:]] == ["worse", "changed", "new"]
    assert result["regressions"] == ["f1"]
    assert result["passed"] is False
    assert result["baseline"] == "main"
    assert result["baseline_found"] is True
    assert result["params"] == [{"key": "train.seed", "old": 2, "new": 1, "status": "changed"}]
    assert "f1" in result["note"]


def test_ungated_metric_never_fails():
    result = compare.compare({"accuracy": 0.1}, {"accuracy": 0.99}, None, None, RULES)
    assert result["passed"] is True
    assert result["regressions"] == []


def test_no_baseline_passes_with_note():
    result = compare.compare({"f1": 0.5}, None, {"a": 1}, None, RULES, baseline="abc123")
    assert result["passed"] is True
    assert result["baseline_found"] is False
    assert result["note"] == "No baseline metrics at abc123; nothing to compare (first run?)"
    assert [m["status"] for m in result["metrics"]] == ["new"]
    assert result["params"] == []


def test_flatten_and_diff_params():
    old = {"train": {"model": "rf", "rf": {"n": 100, "depth": None}}, "gone": 1, "list": [1]}
    new = {"train": {"model": "rf", "rf": {"n": 300, "depth": None}, "seed": 7}, "list": [1, 2]}
    assert compare.flatten(old) == {
        "train.model": "rf",
        "train.rf.n": 100,
        "train.rf.depth": None,
        "gone": 1,
        "list": [1],
    }
    assert compare.diff_params(new, old) == [
        {"key": "gone", "old": 1, "new": None, "status": "removed"},
        {"key": "list", "old": [1], "new": [1, 2], "status": "changed"},
        {"key": "train.rf.n", "old": 100, "new": 300, "status": "changed"},
        {"key": "train.seed", "old": None, "new": 7, "status": "added"},
    ]


@pytest.mark.parametrize(
    "rules",
    [
        {"f1": {"direction": "up", "tolerance": 0.1}},
        {"f1": {"direction": "higher"}},
        {"f1": {"direction": "higher", "tolerance": -1}},
        {"f1": {"direction": "higher", "tolerance": "small"}},
        ["f1"],
    ],
)
def test_bad_rules_are_user_errors(rules):
    with pytest.raises(common.UserError, match="compare.metrics"):
        compare.compare({"f1": 1.0}, None, None, None, rules)


def write_run(params, set_params, metrics, seed):
    params["train"]["seed"] = seed
    set_params(params)
    common.write_json("reports/metrics.json", metrics)


def gated(params, amount):
    """Metrics that move each gated metric by ``amount`` times its tolerance, the wrong way."""
    values = {}
    for name, rule in params["compare"]["metrics"].items():
        sign = -1 if rule["direction"] == "higher" else 1
        values[name] = 0.5 + sign * amount * rule["tolerance"]
    return values


def test_main_against_git_baseline(git, params, set_params, capsys):
    write_run(params, set_params, gated(params, 0), seed=1)
    git("add", "-A")
    git("commit", "-qm", "baseline")
    write_run(params, set_params, gated(params, 2), seed=2)
    args = ["--metrics", "reports/metrics.json", "--out", "reports/compare.json"]
    assert compare.main(["--baseline", "main", *args]) == 1
    out = capsys.readouterr().out
    result = common.read_json("reports/compare.json")
    assert result["baseline"] == "main"
    assert result["baseline_found"] is True
    assert result["passed"] is False
    assert result["regressions"] == list(params["compare"]["metrics"])
    assert result["params"] == [{"key": "train.seed", "old": 1, "new": 2, "status": "changed"}]
    first = result["metrics"][0]
    line = next(line for line in out.splitlines() if first["metric"] in line)
    assert line.startswith("::error::Regression:")
    assert str(first["old"]) in line
    assert str(first["new"]) in line
    assert f"tolerance {first['tolerance']}" in line

    write_run(params, set_params, gated(params, 0.5), seed=1)
    assert compare.main(["--baseline", "main", *args]) == 0
    result = common.read_json("reports/compare.json")
    assert {m["status"] for m in result["metrics"]} == {"worse"}
    assert result["params"] == []


@pytest.mark.parametrize("rev", ["no-such-branch", "HEAD"])
def test_main_without_baseline_metrics_passes(git, params, set_params, rev, capsys):
    git("add", "-A")
    git("commit", "-qm", "params only: no metrics at HEAD yet")
    write_run(params, set_params, gated(params, 5), seed=3)
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
    if not unknown:
        assert result["note"] == "No baseline metrics at HEAD; nothing to compare (first run?)"


def test_main_without_metrics_is_one_line_error(workdir, capsys):
    assert compare.main(["--baseline", "main", "--metrics", "absent.json", "--out", "o"]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1
    assert "absent.json" in error


@pytest.mark.parametrize("rev", ["none", ""])
def test_main_with_no_baseline_given(git, params, set_params, rev, capsys):
    write_run(params, set_params, gated(params, 5), seed=3)
    assert compare.main(["--baseline", rev, "--metrics", "reports/metrics.json", "--out", "o"]) == 0
    result = common.read_json("o")
    assert result["baseline"] is None
    assert result["note"] == "No baseline revision given; nothing to compare"
    assert "::warning::" not in capsys.readouterr().out
