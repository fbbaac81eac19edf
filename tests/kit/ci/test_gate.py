import pytest
from mlops_kit import common
from mlops_kit.comparison import gate

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
    assert gate.status_of(old, new, RULES.get(metric)) == status


def test_gated_metrics_come_first_and_regressions_are_named():
    result = gate.judge(
        {"f1": 0.80, "loss": 0.31, "accuracy": 0.7, "extra": 1.0},
        {"f1": 0.90, "loss": 0.30, "accuracy": 0.9},
        RULES,
        baseline="main",
    )
    assert [m["metric"] for m in result["metrics"]] == ["f1", "loss", "accuracy", "extra"]
    assert result["metrics"][0] == {
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
    assert result["baseline_found"] is True
    assert result["note"] == "Worse than main beyond tolerance: f1"
    line = gate.describe(result["metrics"][0])
    assert line == "f1 0.9 -> 0.8 (change -0.1, tolerance 0.02, higher is better)"


@pytest.mark.parametrize("rules", [RULES, {}])
def test_ungated_metric_never_fails(rules):
    result = gate.judge({"accuracy": 0.1, "f1": 0.99}, {"accuracy": 0.99, "f1": 0.99}, rules)
    assert result["passed"] is True
    assert result["regressions"] == []
    assert result["metrics"][-1]["gated"] is False


def test_no_gated_metric_at_all_passes_with_every_metric_shown():
    result = gate.judge({"f1": 0.1, "loss": 9.0}, {"f1": 0.9, "loss": 0.1}, {}, baseline="main")
    assert [(m["metric"], m["status"]) for m in result["metrics"]] == [
        ("f1", "changed"),
        ("loss", "changed"),
    ]
    assert result["passed"] is True


def test_no_baseline_passes_with_note():
    result = gate.judge({"f1": 0.5}, None, RULES, baseline="abc123")
    assert result["passed"] is True
    assert result["baseline_found"] is False
    assert result["note"] == "No baseline metrics at abc123; nothing to compare (first run?)"
    assert [m["status"] for m in result["metrics"]] == ["new"]
    none = gate.judge({"f1": 0.5}, None, RULES)
    assert none["note"] == "No baseline revision given; nothing to compare"


@pytest.mark.parametrize(
    "rules",
    [
        {"f1": {"direction": "up", "tolerance": 0.1}},
        {"f1": {"direction": "higher"}},
        {"f1": {"direction": "higher", "tolerance": -1}},
        {"f1": {"direction": "higher", "tolerance": "small"}},
        {"f1": {"direction": "higher", "tolerance": True}},
        ["f1"],
    ],
)
def test_bad_rules_are_user_errors(rules):
    with pytest.raises(common.UserError, match="compare.metrics"):
        gate.judge({"f1": 1.0}, None, rules)
