"""The baseline: committed metrics first, else the published release, else none with the
reason; and the gate rules always from the baseline side. Real git, real DVC, and a fake
GitHub API for the releases."""

import json

import pytest
from mlops_kit import common
from mlops_kit.comparison import baseline, compare
from mlops_kit.reporting import report

RELEASED = {"f1": 0.9, "loss": 0.3}
FIND = ["--event", "pull_request", "--base", "main", "--model", "model"]


def release(fake_github, tag: str, sha: str, metrics: dict | None = RELEASED, **flags) -> dict:
    """A release of ``sha`` on the fake GitHub, with metrics.json when ``metrics`` is given."""
    assets = []
    if metrics is not None:
        asset_id = len(fake_github.assets) + 1000
        fake_github.assets[asset_id] = json.dumps(metrics).encode()
        assets.append({"id": asset_id, "name": "metrics.json"})
    found = {"tag_name": tag, "target_commitish": sha, "draft": False, "prerelease": False}
    found.update(assets=assets, **flags)
    fake_github.releases.append(found)
    return found


@pytest.fixture
def history(dvc_repo, git, commit, params, set_params):
    """main: a commit without metrics (released as model@v0.1.0 by the test), then a branch
    `tune` off it that changes a parameter and has metrics in the workspace."""
    set_params(params)
    main = commit("Parameters; metrics are not committed")
    git("checkout", "-q", "-b", "tune")
    params["train"]["random_forest"]["n_estimators"] = 20
    set_params(params)
    commit("Fewer trees")
    common.write_json("reports/metrics.json", {"f1": 0.85, "loss": 0.31})
    return main


def test_committed_metrics_at_the_merge_base_come_first(git, commit, params, set_params):
    set_params(params)
    common.write_json("reports/metrics.json", RELEASED)
    main = commit("Metrics committed")
    git("checkout", "-q", "-b", "change")
    common.write_json("reports/metrics.json", {"f1": 0.1})
    commit("Another change")
    found = baseline.find("pull_request", "main", "model")
    assert found == {"kind": "commit", "sha": main, "tag": None, "base": "main", "reason": None}
    assert baseline.find("push", None, "model")["sha"] == main  # the previous commit


def test_without_committed_metrics_the_published_release_is_the_baseline(
    history, fake_github, params, set_params, capsys
):
    release(fake_github, "model@v0.1.0", history)
    other = baseline.git("commit-tree", "-m", "elsewhere", history + "^{tree}")
    release(fake_github, "model@v0.2.0", other)  # newer, but not an ancestor of main
    release(fake_github, "model@v0.3.0", history, prerelease=True)
    release(fake_github, "other@v9.0.0", history)
    assert baseline.main([*FIND, "--out", "b.json"]) == 0
    assert "baseline: model@v0.1.0 at " + history[:7] in capsys.readouterr().out
    found = common.read_json("b.json")
    assert (found["kind"], found["sha"], found["tag"]) == ("release", history, "model@v0.1.0")
    assert found["metrics"] == RELEASED

    params["compare"]["metrics"] = {}  # the change switches its gate off: not its call
    set_params(params)
    assert compare.main(["--baseline-file", "b.json", *OUT]) == 1
    result = common.read_json("c.json")
    assert result["regressions"] == ["f1"]
    assert [(m["metric"], m["old"], m["new"]) for m in result["metrics"]] == [
        ("f1", 0.9, 0.85),
        ("loss", 0.3, 0.31),
    ]
    assert {"key": "train.random_forest.n_estimators", "old": 100, "new": 20} in result["params"]
    assert result["proposed_rules"] == {}
    text = report.render(result, None, [])
    assert f"Baseline: published `model@v0.1.0` at `{history[:7]}`." in text
    assert "| `f1` | 0.9 | 0.85 | -0.05 | ❌ **regressed**" in text
    assert "| `f1` | `higher`, tolerance 0.02 | — |" in text
    assert "| `train.random_forest.n_estimators` | 100 | 20 |" in text


OUT = ["--metrics", "reports/metrics.json", "--out", "c.json"]


@pytest.mark.parametrize(
    ("setup", "why"),
    [
        ("none", "no published model@v* release was made from an ancestor of"),
        ("no-asset", "release model@v0.1.0 has no metrics.json (run Publish again"),
        ("draft", "no published model@v* release"),
        ("no-token", "GITHUB_TOKEN is not set"),
        ("api-down", "the published releases could not be read (GET "),
    ],
)
def test_no_baseline_says_why_and_gates_nothing(
    history, fake_github, monkeypatch, setup, why, capsys
):
    if setup == "no-asset":
        release(fake_github, "model@v0.1.0", history, metrics=None)
    if setup == "draft":
        release(fake_github, "model@v0.1.0", history, draft=True)
    if setup == "no-token":
        monkeypatch.delenv("GITHUB_TOKEN")
    if setup == "api-down":
        fake_github.failures = [500] * 4  # more than the client retries
    assert baseline.main([*FIND, "--out", "b.json"]) == 0
    warning = capsys.readouterr().out.splitlines()[0]
    assert warning.startswith("::warning::No baseline: reports/metrics.json is not committed")
    assert why in warning
    assert "Publish a model from the default branch" in warning
    assert compare.main(["--baseline-file", "b.json", *OUT]) == 0  # nothing to gate
    result = common.read_json("c.json")
    assert result["passed"] is True
    assert {m["status"] for m in result["metrics"]} == {"new"}
    assert result["params_compared"] is True  # against the merge-base all the same
    assert result["params"] == [{"key": "train.random_forest.n_estimators", "old": 100, "new": 20}]
    text = report.render(result, None, [])
    assert "No baseline\\: reports/metrics.json is not committed" in text  # \: shows a colon
    assert "Nothing is gated." in text


def test_first_commit_has_no_baseline(git, commit, params, set_params):
    set_params(params)
    commit("First")
    found = baseline.find("push", None, "model")
    assert found["kind"] == "none"
    assert found["reason"] == "there is no previous commit (a first commit?)"


def test_gate_rules_are_read_at_the_baseline_commit(
    dvc_repo, git, commit, params, set_params, capsys
):
    set_params(params)
    common.write_json("reports/metrics.json", RELEASED)
    commit("Baseline with rules")
    strict = {"f1": {"direction": "higher", "tolerance": 0.0}}
    set_params({**params, "compare": {"metrics": {**params["compare"]["metrics"], **strict}}})
    common.write_json("reports/metrics.json", {"f1": 0.89, "loss": 0.3})
    assert compare.main(["--baseline", "HEAD", *OUT]) == 0  # 0.01 worse: the base tolerates it
    result = common.read_json("c.json")
    assert [m["status"] for m in result["metrics"]] == ["worse", "same"]
    assert result["proposed_rules"]["f1"]["tolerance"] == 0.0
    text = report.render(result, None, [])
    assert "### Gate rules" in text
    assert "| `f1` | `higher`, tolerance 0.02 | `higher`, tolerance 0 |" in text


def test_broken_rules_at_the_baseline_are_one_line(dvc_repo, commit, params, set_params, capsys):
    set_params({**params, "compare": {"metrics": {"f1": {"direction": "up"}}}})
    common.write_json("reports/metrics.json", RELEASED)
    commit("Broken rules")
    set_params(params)
    assert compare.main(["--baseline", "HEAD", *OUT]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1
    assert "compare.metrics.f1 needs direction" in error
    assert "(at the baseline, " in error


def test_a_project_with_many_models_takes_its_baseline_from_the_commit(
    git, commit, params, set_params, capsys, tmp_path
):
    """Its dvc.yaml writes reports/models.json and has no `artifacts:`: no model name, the
    committed metrics are the baseline, and without them none, saying why."""
    set_params(params)
    dvc_yaml = "stages:\n  evaluate:\n    cmd: x --models reports/models.json\n"
    (tmp_path / "dvc.yaml").write_text(dvc_yaml, encoding="utf-8")
    assert baseline.model_name(tmp_path / "dvc.yaml") is None
    (tmp_path / "other.yaml").write_text("stages: {}\n", encoding="utf-8")
    with pytest.raises(common.UserError, match="has no 'artifacts:' entry"):
        baseline.model_name(tmp_path / "other.yaml")
    main = commit("No metrics yet")
    git("checkout", "-q", "-b", "change")
    params["train"]["seed"] = 7
    set_params(params)
    commit("A change")
    found = baseline.find("pull_request", "main", None)
    assert (found["kind"], found["sha"]) == ("none", main)
    assert "a project with many models has no release of one model" in found["reason"]
    git("checkout", "-q", "main")
    common.write_json("reports/metrics.json", RELEASED)
    main = commit("Metrics committed")
    git("checkout", "-q", "-B", "change")
    params["train"]["seed"] = 8
    set_params(params)
    commit("Another change")
    assert baseline.find("pull_request", "main", None)["kind"] == "commit"
