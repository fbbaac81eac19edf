"""The explanations section of the report: groups and their members, the ranking's movement
against the explanation committed at the baseline, partial dependence charts."""

import json
import re
from pathlib import Path

from mlops_kit.comparison import importance
from mlops_kit.reporting import report

from kit.ci.test_markdown import HOSTILE, OTHERS, assert_tables_hold, live


def explanation(features: list[str], groups: list[list[str]], curves=()) -> dict:
    """An explain.json: features and groups in the order given, largest first."""
    return {
        "features": [
            {"feature": name, "importance": 0.1 / (i + 1), "std": 0.01}
            for i, name in enumerate(features)
        ],
        "groups": [
            {
                "group": m[0] + (f" +{len(m) - 1}" if len(m) > 1 else ""),
                "members": m,
                "importance": 0.3 / (i + 1),
                "std": 0.02,
            }
            for i, m in enumerate(groups)
        ],
        "partial_dependence": list(curves),
    }


def curve(feature: str, label, average: list[float]) -> dict:
    return {"feature": feature, "class": label, "grid": [0.0, 0.5, 1.0], "average": average}


def rows(text: str, heading: str) -> list[list[str]]:
    """The body cells of the first table after ``heading``."""
    table = text.split(heading, 1)[1].split("\n\n", 2)[1]
    return [[c.strip() for c in line.strip("|").split(" | ")] for line in table.splitlines()[2:]]


NEW = explanation(["b", "a", "c", "d"], [["b", "a"], ["c"], ["d"]])
OLD = explanation(["a", "c", "b"], [["c"], ["a", "b"]])


def test_groups_show_their_members_and_where_they_ranked_at_the_baseline():
    data = {"new": NEW, "baseline": OLD, "sha": "f" * 40, "reason": None}
    text = importance.section(data)
    assert "at `fffffff`" in text
    groups = rows(text, "shuffled together as a group")
    assert [g[1] for g in groups] == ["`b +1`", "`c`", "`d`"]
    assert groups[0][2] == "`b`, `a`"
    # "b +1" holds what the baseline's second group held; "d" had no group there.
    assert [g[5] for g in groups] == ["2 (↑1)", "1 (↓1)", "new"]
    features = rows(text, "Single features, each shuffled alone:")
    assert [(f[1], f[4]) for f in features] == [
        ("`b`", "↑2"),
        ("`a`", "↓1"),
        ("`c`", "↓1"),
        ("`d`", "new"),
    ]


def test_without_a_baseline_explanation_the_section_says_why():
    data = importance.pair(NEW, None)
    text = importance.section(data)
    assert "No baseline explanation: no baseline was found." in text
    assert [g[5] for g in rows(text, "shuffled together as a group")] == ["—", "—", "—"]
    assert importance.section({"new": None, "baseline": OLD}) is None
    assert importance.section(None) is None


def test_partial_dependence_is_one_chart_per_feature_one_line_per_class():
    curves = [curve("a", "x", [0.1, 0.2, 0.3]), curve("a", "y", [0.9, 0.8, 0.7])]
    curves += [curve("b", None, [1.0, 2.0, 3.0]), {"feature": "c", "grid": [1.0], "average": []}]
    data = {"new": explanation(["a"], [["a"]], curves), "baseline": None, "reason": "x"}
    text = importance.section(data)
    blocks = re.findall(r"```mermaid\n(.*?)\n```", text, flags=re.DOTALL)
    assert len(blocks) == 2  # c's curve does not match its grid: left out
    assert blocks[0].count("    line [") == 2
    assert "line [0.1, 0.2, 0.3]" in blocks[0]
    assert 'x-axis ["0", "0.5", "1"]' in blocks[1]
    assert "Lines: the probability of class `x`, `y`, by `a`." in text
    assert "Line: the prediction, by `b`." in text


def test_hostile_feature_names_stay_inert(tmp_path):
    names = [HOSTILE, *OTHERS]
    new = explanation(names, [names[:3], names[3:]], [curve(HOSTILE, HOSTILE, [0.0, 1.0, 0.5])])
    old = explanation(names[::-1], [names[::-1]])
    data = {"new": new, "baseline": old, "sha": "a" * 40, "reason": None}
    text = report.render(None, None, [], explanation=data)
    assert "### Explanations" in text
    assert live(text.removeprefix(report.MARKER)) == []
    assert_tables_hold(text)
    for block in re.findall(r"```mermaid\n(.*?)\n```", text, flags=re.DOTALL):
        assert "`" not in block
        assert all(line.count('"') % 2 == 0 for line in block.splitlines())
    reason = importance.section({"new": new, "baseline": None, "reason": HOSTILE})
    assert live(reason) == []


def test_the_baseline_explanation_is_read_at_its_commit(git, commit, workdir):
    path = Path("reports/explain.json")
    path.parent.mkdir()
    path.write_text(json.dumps(OLD), encoding="utf-8")
    base = commit("Baseline")
    path.write_text(json.dumps(NEW), encoding="utf-8")  # this run's, not committed
    Path("reports/baseline.json").write_text(json.dumps({"sha": base}), encoding="utf-8")
    args = ["--baseline", "reports/baseline.json", "--out", "reports/explain-compare.json"]
    assert importance.main(args) == 0
    found = json.loads(Path("reports/explain-compare.json").read_text(encoding="utf-8"))
    assert found == {"new": NEW, "baseline": OLD, "sha": base, "reason": None}
    git("rm", "-qf", str(path))
    later = commit("No explanation any more")
    assert importance.at_commit(later) == (
        None,
        f"reports/explain.json is not committed at {later[:7]}",
    )


def test_the_report_reads_the_explanations_beside_the_comparison(workdir, capsys):
    data = {"new": NEW, "baseline": None, "sha": None, "reason": "no baseline commit"}
    Path("explain-compare.json").write_text(json.dumps(data), encoding="utf-8")
    assert report.main(["--compare", "compare.json", "--out", "ci-report.md"]) == 0
    text = Path("ci-report.md").read_text(encoding="utf-8")
    assert "No baseline explanation: no baseline commit." in text
    stopped = {"state": "stage_failed", "stage": "evaluate"}
    text = report.render(None, None, [], outcome=stopped, explanation=data)
    assert "### Explanations" not in text
