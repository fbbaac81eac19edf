"""Slow tier: the pull-request loop of a generated project, run for real under act.

What the baseline is (the published release when nothing is committed), whose gate rules
apply (the base's), and that the one report comment always tells how the latest run went.
Projects, the fake GitHub and act come from test_workflows.py.
"""

from __future__ import annotations

import json
import re

import pytest
import test_workflows
from test_workflows import MARKER, CiProject, released_assets, report, succeeded

pytestmark = pytest.mark.slow
project = test_workflows.project
shared_baseline, baseline_project = test_workflows.shared_baseline, test_workflows.baseline_project

PIPELINE = ("-W", ".github/workflows/pipeline.yml")


def bot_comments(ci: CiProject, number: int) -> list[dict]:
    return [c for c in ci.fake.comments_on(number) if c["user"]["login"] == "github-actions[bot]"]


def pull_request(ci: CiProject, number: int, branch: str, *, label: str):
    """The Pipeline workflow alone, for a pull request from ``branch`` into main."""
    return ci.pull_request(number, branch, *PIPELINE, label=label)


def test_fresh_project_pull_request_compares_with_the_published_model(project):
    ci = project
    ci.use_folder_remote()
    ci.push("main")
    pushed = ci.act("push", *PIPELINE, label="push to main")
    assert pushed.returncode == 0, report(pushed)
    assert succeeded(pushed, "Publish/"), report(pushed)
    published = json.loads(released_assets(ci, "model@v0.1.0")["metrics.json"])
    main = ci.git("rev-parse", "main")
    assert ci.git("ls-files", "reports") == ""  # no metrics committed anywhere

    ci.branch_with_params("tune", "Fewer trees", train__random_forest__n_estimators=20)
    result = pull_request(ci, 1, "tune", label="pull request on a fresh project")
    assert result.returncode == 0, report(result)
    (comment,) = bot_comments(ci, 1)
    body = comment["body"]
    assert body.startswith(MARKER)
    metrics = body.split("### Metrics\n\n", 1)[1]
    assert metrics.startswith(f"Baseline: published `model@v0.1.0` at `{main[:7]}`.\n"), body
    assert f"| `balanced_accuracy` | {published['balanced_accuracy']:.4g} |" in body
    assert "nothing to compare" not in body
    assert "| new ·" not in body  # every metric has its baseline value
    assert "| `train.random_forest.n_estimators` | 100 | 20 |" in body
    assert f"Changed since `{main[:7]}`:" in body
    # No explanation is committed at the published model's commit either.
    assert f"No baseline explanation: reports/explain.json is not committed at {main[:7]}." in body
    explained = body.split("### Explanations", 1)[1]
    assert re.search(r"\n\| 1 \| `[^`]+ \+\d+` \| ", explained)  # the top group: several columns
    # The report was posted by the job that ran none of the pull request's code.
    assert "[Pipeline/Report on the pull request" in result.stdout
    posted = [line for line in result.stdout.splitlines() if "comment: created" in line]
    assert posted
    assert all(line.startswith("[Pipeline/Report on the pull request") for line in posted)


def test_pull_request_cannot_switch_off_the_gate_it_is_judged_by(baseline_project):
    ci = baseline_project
    ci.git("checkout", "-q", "-B", "no-gate", "main")
    ci.set_param("compare.metrics", {})
    ci.set_param("train.model", "linear")
    ci.set_param("train.linear.C", 1.0e-6)
    ci.git("commit", "-qam", "No gate, and a much simpler model")
    ci.push("no-gate")
    result = pull_request(ci, 5, "no-gate", label="pull request without a gate")
    assert result.returncode != 0
    assert "The new model is worse than the baseline beyond tolerance: balanced_accuracy" in (
        result.stdout
    )
    (comment,) = bot_comments(ci, 5)
    body = comment["body"]
    assert "❌ regression" in body.splitlines()[1]
    assert "No metric got worse" not in body
    assert "| `balanced_accuracy` |" in body
    assert "❌ **regressed**" in body
    rules = body.split("### Gate rules\n\n", 1)[1].split("###", 1)[0]
    assert "the proposed ones apply once it is merged" in rules
    assert "| `balanced_accuracy` | `higher`, tolerance 0.02 | — |" in rules


def test_an_experiments_pull_request_then_bad_data_turn_the_same_comment_red(baseline_project):
    """The README's way to keep an experiment: `dvc exp branch`, push, pull request. Its
    comment is the one every pull request gets; a bad delivery then turns that comment red."""
    ci = baseline_project
    readme = (  # as the project's README says, in its environment
        "source .venv/bin/activate"
        " && dvc exp run --temp -n leaves -S train.random_forest.min_samples_leaf=2"
        " && dvc exp branch leaves delivery"
    )
    ran = ci.run("bash", "-c", readme, label="dvc exp run, exp branch")
    assert ran.returncode == 0, ran.stdout[-2000:] + ran.stderr[-2000:]
    ci.git("checkout", "-q", "delivery")
    ci.push("delivery")
    first = pull_request(ci, 6, "delivery", label="pull request of an experiment, passing")
    assert first.returncode == 0, report(first)
    (passing,) = bot_comments(ci, 6)
    assert "✅ pass" in passing["body"].splitlines()[1]
    assert "| `train.random_forest.min_samples_leaf` | 1 | 2 |" in passing["body"]
    assert "Baseline: metrics committed at" in passing["body"]

    ci.commit_corrupted_data()
    ci.push("delivery")
    second = pull_request(ci, 6, "delivery", label="pull request, bad data")
    assert second.returncode != 0
    assert "::error::Data validation failed (stage 'validate')" in second.stdout
    (failing,) = bot_comments(ci, 6)
    assert failing["id"] == passing["id"]  # edited in place, not a second comment
    body = failing["body"]
    assert body.splitlines()[1].endswith("❌ data validation failed"), body
    assert "✅" not in body
    assert "Not compared: the pipeline stopped at stage `validate`." in body
    assert "| `expect_column_values_to_be_between` |" in body
    assert "Validation **failed**" in body
