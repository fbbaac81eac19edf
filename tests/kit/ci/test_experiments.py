"""The experiments command on experiment commits made the way DVC keeps them (a commit at
`refs/exps/<baseline>/<name>` whose parent is the commit it ran from), in a real git and DVC
repository: what it selects, how it judges (as compare does a pull request), and that
nothing from a name or value renders. The slow tier runs it on a real queued sweep."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from mlops_kit import common
from mlops_kit.comparison import compare, experiments
from mlops_kit.reporting import tables

BASELINE = {"f1": 0.9, "loss": 0.3, "accuracy": 0.8}


@pytest.fixture
def project(dvc_repo, git, commit, params, set_params):
    """A baseline commit with metrics; returns a function that records an experiment."""
    Path("dvc.yaml").write_text("artifacts:\n  model:\n    path: models/model.joblib\n")
    set_params(params)
    common.write_json("reports/metrics.json", BASELINE)
    base = commit("Baseline")

    def experiment(name, metrics, ran_from=None, rules=None, **train) -> str:
        start = ran_from or base
        git("checkout", "-q", "--detach", start)
        changed = yaml.safe_load(Path("params.yaml").read_text(encoding="utf-8"))
        changed["train"].update(train)
        changed["compare"]["metrics"].update(rules or {})
        set_params(changed)
        common.write_json("reports/metrics.json", metrics)
        sha = commit(f"dvc: commit experiment {name}")
        git("update-ref", f"refs/exps/{start[:2]}/{start[2:]}/{name}", sha)
        git("checkout", "-q", "main")
        return sha

    experiment.base = base
    return experiment


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = experiments.main(list(args))
    found = capsys.readouterr()
    return code, found.out, found.err


def test_a_sweep_is_judged_as_its_pull_requests_would_be(project, git, capsys):
    project("depth-1", {"f1": 0.91, "loss": 0.29, "accuracy": 0.81}, seed=2)
    project("depth-2", {"f1": 0.9, "loss": 0.3, "accuracy": 0.8}, seed=3)
    bad = project("loose", {"f1": 0.8, "loss": 0.3, "accuracy": 0.7}, seed=4)
    code, out, err = run(capsys, "--json", "exps.json")
    assert (code, err) == (1, "")
    rows = common.read_json("exps.json")
    assert [(r["name"], r["passed"]) for r in rows] == [
        ("depth-1", True),
        ("depth-2", True),
        ("loose", False),
    ]
    loose = rows[2]
    assert loose["sha"] == bad
    assert loose["ran_from"] == project.base
    assert loose["regressions"] == ["f1"]
    assert loose["params"] == [{"key": "train.seed", "old": 1, "new": 4}]
    lines = out.splitlines()
    assert lines[0].startswith(f"3 experiments run from {project.base[:7]} (HEAD), each against")
    row = next(line for line in lines if line.startswith("loose "))
    assert row.split()[:2] == ["loose", "FAIL"]
    assert "0.8 (-0.1) ✗" in row
    assert row.endswith("train.seed=4")
    assert "  f1 0.9 -> 0.8 (change -0.1, tolerance 0.02, higher is better)" in lines
    assert "2 of 3 judged pass the gate." in out

    # The numbers compare gives the pull request, with the experiment's files checked out
    assert experiments.main(["depth-1", "--json", "one.json"]) == 0
    capsys.readouterr()
    git("checkout", "-q", rows[0]["sha"], "--", "params.yaml", "reports/metrics.json")
    out = ["--metrics", "reports/metrics.json", "--out", "pr.json"]
    assert compare.main(["--baseline", project.base, *out]) == 0
    pr, mine = common.read_json("pr.json"), common.read_json("one.json")[0]
    for key in ("metrics", "regressions", "passed", "params", "rules", "note"):
        assert mine[key] == pr[key], key


def test_names_globs_sweeps_and_other_commits(project, git, commit, capsys):
    for name in ("lr-1", "lr-2", "lr-10", "lrx"):
        project(name, BASELINE, seed=5)
    Path("notes.txt").write_text("a later commit\n")
    later = commit("Later")
    project("after", BASELINE, ran_from=later, seed=6)

    def names(*args: str) -> list[str]:
        code, out, err = run(capsys, *args, "--json", "names.json")
        assert (code, err) == (0, "")
        return [row["name"] for row in common.read_json("names.json")]

    assert names() == ["after"]  # HEAD's own experiments
    assert names("lr") == ["lr-1", "lr-2", "lr-10"]  # the sweep `-n lr`, not lrx
    assert names("lr-1") == ["lr-1"]
    assert names("lr*") == ["lr-1", "lr-2", "lr-10", "lrx"]
    assert sorted(names("--all")) == ["after", "lr-1", "lr-10", "lr-2", "lrx"]
    code, out, err = run(capsys, "nope")
    assert code == 2
    assert out == ""
    assert err == (
        "error: no finished experiment is named 'nope': `dvc exp list --all` lists them, "
        "`dvc queue status` shows the queue\n"
    )
    git("checkout", "-q", "--detach", project.base)
    git("commit", "-q", "--allow-empty", "-m", "nothing run here")
    code, out, err = run(capsys)
    assert code == 2
    assert "no experiment of HEAD" in err
    assert "--all shows the 5" in err


def test_the_gate_is_the_baselines_not_the_experiments(project, capsys):
    looser = {"f1": {"direction": "higher", "tolerance": 0.5}}
    project("looser", {"f1": 0.8, "loss": 0.3, "accuracy": 0.8}, rules=looser, seed=2)
    code, out, _ = run(capsys, "looser", "--json", "gate.json", "--markdown", "gate.md")
    assert code == 1
    row = common.read_json("gate.json")[0]
    assert row["rules"]["f1"]["tolerance"] == 0.02
    assert row["regressions"] == ["f1"]
    assert row["proposed_rules"]["f1"]["tolerance"] == 0.5
    assert "looser fails the gate:" in out


def test_no_baseline_metrics_and_a_run_without_metrics(project, git, commit, capsys):
    git("rm", "-q", "reports/metrics.json")
    bare = commit("No metrics here")
    project("unjudged", BASELINE, ran_from=bare, seed=2)
    sha = project("stopped", BASELINE, ran_from=bare, seed=3)
    git("checkout", "-q", "--detach", sha)
    git("rm", "-q", "reports/metrics.json")
    empty = commit("the run stopped before evaluate")
    git("update-ref", f"refs/exps/{bare[:2]}/{bare[2:]}/stopped", empty)
    git("checkout", "-q", "main")
    code, out, _ = run(capsys, "--json", "bare.json")
    assert code == 0
    by_name = {row["name"]: row for row in common.read_json("bare.json")}
    unjudged, stopped = by_name["unjudged"], by_name["stopped"]
    assert unjudged["baseline_found"] is False
    assert unjudged["params"]
    assert "reports/metrics.json is not committed" in unjudged["note"]
    assert stopped["error"].startswith("no reports/metrics.json in it")
    assert "0 of 0 judged pass the gate." in out


def test_names_and_values_stay_inert(project, capsys):
    value = "<img src=x onerror=alert(1)> @team [x](http://e.example) \x1b[31mred | cell"
    project("inert", BASELINE, model=value)
    code, out, _ = run(capsys, "inert", "--markdown", "exps.md")
    assert code == 0
    assert "\x1b" not in out
    text = Path("exps.md").read_text(encoding="utf-8")
    row = next(line for line in text.splitlines() if line.startswith("| `inert`"))
    assert row.count(" | ") == 4  # experiment, gate, f1, loss, parameters: the pipe escaped
    assert tables.fmt(value) in row
    outside = re.sub(r"(`+).*?\1", "", text)
    assert [m for m in ("<img", "@team", "](http", "\x1b") if m in outside] == []


def test_compare_takes_an_experiment_by_name_as_its_baseline(project, capsys):
    sha = project("strong", {"f1": 0.95, "loss": 0.2, "accuracy": 0.9}, seed=2)
    ref = f"refs/exps/{project.base[:2]}/{project.base[2:]}/strong"
    out = ["--metrics", "reports/metrics.json", "--out", "c.json"]
    assert compare.main(["--baseline", "strong", *out]) == 1  # the workspace is worse than it
    said = capsys.readouterr().out
    assert f"compare: the baseline is experiment strong, commit {sha[:7]}" in said
    assert common.read_json("c.json")["regressions"] == ["f1", "loss"]
    assert compare.main(["--baseline", ref, *out]) == 1
    capsys.readouterr()
    assert tables.baseline_label(common.read_json("c.json")) == f"metrics committed at {ref}"
