"""The slice gate: fail only when a gap's interval is above its limit, warn when it holds it;
the rules are read at the baseline commit; the comment's Slices section stays inert."""

import re

import pytest
from mlops_kit import common
from mlops_kit.comparison import compare, slice_gaps
from mlops_kit.reporting import report, slice_table

ARGS = ["--metrics", "reports/metrics.json", "--out", "reports/compare.json"]


def interval(value, low, high):
    return {"value": value, "low": low, "high": high}


def sliced(gap, column="sex", values=("f", "m")):
    """A slices.json with one column whose r2 gap is ``gap`` (value, low, high)."""
    metrics = {"r2": interval(0.4, 0.2, 0.6)}
    return {
        "confidence": 0.95,
        "resamples": 1000,
        "min_size": 30,
        "overall": metrics,
        "slices": [
            {
                "column": column,
                "binning": None,
                "values": [
                    {"value": v, "n": 40 + i, "gated": True, "metrics": metrics}
                    for i, v in enumerate(values)
                ]
                + [{"value": "tiny", "n": 3, "gated": False, "metrics": metrics}],
                "gaps": {"r2": {**interval(*gap), "between": list(values)}},
            }
        ],
    }


@pytest.mark.parametrize(
    ("gap", "status"),
    [
        ((0.30, 0.20, 0.45), "fail"),  # the whole interval is above 0.15
        ((0.08, 0.01, 0.38), "warn"),  # diabetes by sex: the interval holds 0.15
        ((0.20, 0.14, 0.30), "warn"),  # a point above the limit, not beyond doubt
        ((0.05, 0.01, 0.12), "pass"),  # the whole interval is below
    ],
)
def test_fails_only_outside_the_interval_and_warns_inside(gap, status):
    found = slice_gaps.judge(sliced(gap), {"r2": {"max_gap": 0.15}})
    [row] = found["rules"]
    assert row["status"] == status
    assert found["passed"] is (status != "fail")
    assert found["failed"] == (["r2 by sex"] if status == "fail" else [])


def test_a_rule_without_a_gap_is_not_judged_and_bad_rules_are_named():
    found = slice_gaps.judge(sliced((0.3, 0.2, 0.4)), {"mae": {"max_gap": 1.0}})
    assert found["rules"] == []
    assert found["unjudged"] == [{"column": "sex", "metric": "mae"}]
    assert found["passed"] is True
    for bad in ({"r2": {"max_gap": -1}}, {"r2": {"tolerance": 0.1}}, {"r2": 0.1}, []):
        with pytest.raises(common.UserError, match="compare.slices"):
            slice_gaps.check_rules(bad)


def write_run(params, set_params, slice_rules, gap):
    params["compare"]["slices"] = slice_rules
    set_params(params)
    common.write_json("reports/metrics.json", {"f1": 0.9, "loss": 0.3})
    common.write_json("reports/slices.json", sliced(gap))


def test_compare_judges_with_the_baseline_s_slice_rules(
    dvc_repo, commit, params, set_params, capsys
):
    write_run(params, set_params, {"r2": {"max_gap": 0.15}}, (0.05, 0.01, 0.1))
    commit("Baseline")
    # The change loosens the rule and widens the gap beyond the baseline's limit: it fails.
    write_run(params, set_params, {"r2": {"max_gap": 0.5}}, (0.3, 0.2, 0.45))
    assert compare.main(["--baseline", "main", *ARGS]) == 1
    out = capsys.readouterr().out
    assert "::error::Slice gap: r2 by sex: gap 0.3 between f and m, interval 0.2 to 0.45" in out
    result = common.read_json("reports/compare.json")
    assert result["passed"] is False
    assert result["regressions"] == []  # the metrics themselves did not get worse
    found = result["slices"]
    assert (found["rules_from"], found["failed"]) == ("main", ["r2 by sex"])
    assert found["proposed_rules"] == {"r2": {"max_gap": 0.5}}
    text = report.render(result, None, [])
    assert "## Pipeline report: ❌ slice gap beyond its limit" in text
    assert "| `sex` | `r2` | 0.3 | [0.2, 0.45] | `f` and `m` | 0.15 | ❌ **fail** |" in text
    assert "| `tiny` | 3 (under 30: not gated) | 0.4 [0.2, 0.6] |" in text

    write_run(params, set_params, {"r2": {"max_gap": 0.15}}, (0.08, 0.01, 0.38))
    assert compare.main(["--baseline", "main", *ARGS]) == 0  # inside the interval: a warning
    warned = "interval 0.01 to 0.38, holding max_gap 0.15"
    assert f"::warning::Slice gap: r2 by sex: gap 0.08 between f and m, {warned}" in (
        capsys.readouterr().out
    )
    result = common.read_json("reports/compare.json")
    assert [row["status"] for row in result["slices"]["rules"]] == ["warn"]
    assert "⚠️ warn" in report.render(result, None, [])


def test_without_a_baseline_commit_nothing_is_gated(workdir, params, set_params):
    write_run(params, set_params, {"r2": {"max_gap": 0.15}}, (0.3, 0.2, 0.45))
    assert compare.main(["--baseline", "none", *ARGS]) == 0
    found = common.read_json("reports/compare.json")["slices"]
    assert (found["rules_from"], found["rules"], found["passed"]) == (None, [], True)
    assert "nothing is gated" in slice_table.section({"slices": found})


HOSTILE = ["![x](https://evil.example/a.png)", "<img src=x>", "@team", "a|b", "`tick`\nline"]


def test_hostile_slice_values_stay_inert():
    found = slice_gaps.judge(
        sliced((0.3, 0.2, 0.4), column="[c](https://evil.example)", values=HOSTILE[:2]),
        {"r2": {"max_gap": 0.1}},
    )
    found["slices"][0]["values"] += [
        {"value": v, "n": 40, "gated": True, "metrics": {"r2": interval(0.4, 0.2, 0.6)}}
        for v in HOSTILE[2:]
    ]
    found["rules_from"] = "0" * 40
    text = slice_table.section({"slices": found})
    rows = [line for line in text.splitlines() if line.startswith("|")]
    # every row keeps the cells of its table's header (4 or 8): no pipe left a code span
    assert {len(re.findall(r"(?<!\\)\|", line)) for line in rows} == {4, 8}
    assert len(rows) == 2 + 1 + 2 + 6  # rules: header, rule, 1 row; slices: header, rule, 6
    outside = re.sub(r"``.*?``|`[^`]*`", "", text)  # what is not in a code span
    for rendered in ("](", "<img", "@team", "`tick`"):
        assert rendered not in outside, rendered
    assert "`a\\|b`" in text
    assert "Gap beyond its limit: r2 by \\[c\\]\\(https\\:\u2060//evil.example\\)." in text
