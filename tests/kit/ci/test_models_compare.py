"""Many models against the baseline's: reports/models.json at a baseline commit of a real git
and DVC repository against the workspace's, through compare's and the report's command lines,
with real scikit-learn pipelines in the contract's layout; then the sizes at 10,000 models."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import joblib
import numpy as np
import pytest
import yaml
from mlops_kit import common
from mlops_kit.comparison import compare, model_files, models
from mlops_kit.reporting import models_section, models_table, outcome, report
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

ARGS = ["--baseline", "main", "--metrics", "reports/metrics.json", "--out", "reports/compare.json"]
NASTY = [
    "a|b",
    "tick`s``",
    "<img src=x onerror=alert(1)>",
    "line\nbreak\n::error::injected",
    "@octocat please",
    "=HYPERLINK(1)",
    "x" * 300,
    "100%",
]


def fit(folder: Path, seed: int) -> str:
    """A real pipeline fitted into ``folder``/model.joblib; its md5."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(40, 3))
    y = (x[:, 0] + rng.normal(scale=0.5, size=40) > 0).astype(int)
    pipeline = make_pipeline(StandardScaler(), LogisticRegression(C=0.5 + seed))
    folder.mkdir(parents=True, exist_ok=True)
    joblib.dump(pipeline.fit(x, y), folder / "model.joblib")
    return hashlib.md5((folder / "model.joblib").read_bytes()).hexdigest()


class Project:
    """A many-models project's files, as the pipeline writes them (the contract)."""

    def __init__(self, params: dict):
        self.params = params
        self.params["train"].update(segment_by="store", shards=1, shard_ids=[0], min_rows=5)
        self.params["train"]["overrides"] = {}
        self.models: dict[str, dict] = {}
        self.skipped: dict[str, dict] = {}

    def train(self, name: str, f1: float, loss: float, seed: int = 0, tests: int = 8) -> None:
        """(Re)train ``name``: a new model file, fingerprint and metrics."""
        folder = f"models/shard-0/m-{hashlib.sha256(name.encode()).hexdigest()[:8]}"
        md5 = fit(Path(folder), seed)
        overrides = self.params["train"]["overrides"].get(name, {})
        key = json.dumps([name, seed, overrides, self.params["train"]["seed"]], sort_keys=True)
        self.models[name] = {
            "path": folder,
            "shard": 0,
            "rows": {"train": 4 * tests, "test": tests},
            "metrics": {"f1": f1, "loss": loss},
            "overrides": overrides,
            "fingerprint": hashlib.sha256(key.encode()).hexdigest(),
            "md5": md5,
        }

    def skip(self, name: str, rows: int = 3) -> None:
        self.models.pop(name, None)
        reason = f"{rows} training rows, fewer than train.min_rows (5)"
        self.skipped[name] = {"rows": {"train": rows, "test": 1}, "reason": reason}

    def write(self) -> None:
        write_files(self.params, self.models, self.skipped)


def write_files(params: dict, entries: dict, skipped: dict | None = None) -> None:
    Path("params.yaml").write_text(yaml.safe_dump(params, sort_keys=False), encoding="utf-8")
    tests = sum(e["rows"]["test"] for e in entries.values()) or 1
    aggregate = {
        m: sum(e["metrics"][m] * e["rows"]["test"] for e in entries.values()) / tests
        for m in ("f1", "loss")
    }
    listing = {
        "segment_by": "store",
        "task": "classification",
        "aggregate": aggregate,
        "models": dict(sorted(entries.items())),
        "skipped": dict(sorted((skipped or {}).items())),
    }
    common.write_json("reports/models.json", listing)
    common.write_json("reports/metrics.json", aggregate)


@pytest.fixture
def project(dvc_repo, params) -> Project:
    return Project(params)


def baseline(project: Project, commit, names=("a", "b", "c"), big: bool = False) -> str:
    """The baseline commit; with ``big``, a model of so many test rows that the aggregate
    (weighted by test rows) stays within its tolerance whatever the others do."""
    for name in names:
        project.train(name, f1=0.9, loss=0.3, tests=1 if big else 8)
    if big:
        project.train("big", f1=0.9, loss=0.3, tests=10_000)
    project.write()
    return commit("Baseline")


def run(capsys) -> tuple[int, dict, str, str]:
    """compare's exit code, compare.json, what it printed and the report rendered from it."""
    code = compare.main(ARGS)
    out = capsys.readouterr().out
    result = common.read_json("reports/compare.json")
    return code, result, out, report.render(result, None, [])


def test_one_model_changed_and_improved_passes(project, commit, capsys):
    baseline(project, commit)
    project.train("b", f1=0.95, loss=0.25, seed=1)
    project.write()
    code, result, out, text = run(capsys)
    assert code == 0, out
    found = result["models"]
    assert found["counts"] == {
        "regressed": 0,
        "within": 0,
        "improved": 1,
        "new": 0,
        "removed": 0,
        "unchanged": 2,
        "skipped": 0,
    }
    assert [(r["model"], r["status"]) for r in found["models"]][0] == ("b", "improved")
    assert found["models"][0]["metrics"]["f1"] == {
        "old": 0.9,
        "new": 0.95,
        "change": 0.05,
        "status": "better",
    }
    assert result["passed"] is True
    assert found["failed"] is False
    assert "3 models against the baseline's (`main`): 1 changed" in text
    assert "**✅ improved** (1): `b`." in text
    whole = Path("reports/models_compare.md").read_text(encoding="utf-8")
    assert "| `b` | ✅ improved | 0.9 → 0.95 (+0.05) ✅ | 0.3 → 0.25 (-0.05) ✅ |" in whole
    assert "| `a` | unchanged | 0.9 | 0.3 |" in whole
    assert "✅ No model is worse than the baseline beyond tolerance." in text
    assert "::error::" not in out
    assert Path("reports/models_compare.md").is_file()
    assert Path("reports/models_compare.csv").is_file()


def test_two_worse_models_fail_the_gate_worst_first(project, commit, capsys):
    base = baseline(project, commit, ("a", "b", "c", "d"), big=True)
    project.train("a", f1=0.85, loss=0.3, seed=1, tests=1)  # 0.03 beyond f1's tolerance
    project.train("b", f1=0.70, loss=0.3, seed=1, tests=1)  # 0.18 beyond it: the worst
    project.train("c", f1=0.89, loss=0.3, seed=1, tests=1)  # within tolerance
    project.write()
    code, result, out, text = run(capsys)
    assert code == 1
    found = result["models"]
    assert found["regressed"] == ["b", "a"]
    assert found["failed"] is True
    assert result["passed"] is False
    assert result["regressions"] == []  # the aggregate stayed within its tolerance
    statuses = [r["status"] for r in found["models"]]
    assert statuses == ["regressed", "regressed", "within", "unchanged", "unchanged"]
    assert found["models"][0]["excess"] == {"f1": 0.18}
    heading = text.splitlines()[1]
    assert heading.endswith("❌ 2 models worse beyond tolerance: `b`, `a`")
    assert text.index("| `b` | ❌ worse") < text.index("| `a` | ❌ worse")
    errors = [line for line in out.splitlines() if line.startswith("::error::")]
    assert errors[0].startswith("::error::Model b is worse than the baseline beyond tolerance: f1")
    assert errors[1].startswith("::error::Model a ")
    assert "2 models worse than the baseline beyond tolerance: b, a" in result["note"]
    steps = [("Reproduce the pipeline", "success"), ("Compare with the baseline", "failure")]
    judged = outcome.judge(steps, "", Path("reports"))
    assert judged["state"] == "regressed"
    assert judged["message"] == "2 models are worse than the baseline beyond tolerance: b, a"
    assert "❌ 2 models worse" in report.render(result, None, [], outcome=judged)

    # an experiment's commit is judged the same way, read from git
    head = commit("The change")
    again = compare.compare(compare.by_hand(base), "reports/metrics.json", "params.yaml", at=head)
    assert again["models"]["regressed"] == ["b", "a"]


@pytest.mark.parametrize(("at_baseline", "proposed", "passes"), [(2, None, True), (0, 2, False)])
def test_allow_worse_is_read_at_the_baseline(
    project, commit, capsys, at_baseline, proposed, passes
):
    project.params["compare"]["models"] = {"allow_worse": at_baseline}
    baseline(project, commit, big=True)
    project.train("a", f1=0.8, loss=0.3, seed=1, tests=1)
    project.train("b", f1=0.7, loss=0.3, seed=1, tests=1)
    if proposed is not None:
        project.params["compare"]["models"] = {"allow_worse": proposed}
    project.write()
    code, result, out, text = run(capsys)
    assert code == (0 if passes else 1)
    found = result["models"]
    assert found["allow_worse"] == at_baseline
    assert found["proposed_allow_worse"] == proposed
    assert found["regressed"] == ["b", "a"]
    kind = "::warning::" if passes else "::error::"
    assert sum(line.startswith(kind + "Model ") for line in out.splitlines()) == 2
    assert f"`compare.models.allow_worse` at `main` is {at_baseline}" in text
    assert ("This change sets it to 2" in text) == (proposed is not None)
    assert ("✅ pass" in text.splitlines()[1]) == passes


def test_new_removed_and_skipped_models(project, commit, capsys):
    baseline(project, commit, big=True)
    project.train("d", f1=0.5, loss=0.9, tests=1)  # new: nothing to compare it with, never gated
    project.skip("c")  # trained at the baseline, too few rows now
    project.skip("e", rows=2)  # never trained
    project.write()
    code, result, out, text = run(capsys)
    assert code == 0, out
    counts = result["models"]["counts"]
    assert (counts["new"], counts["removed"], counts["skipped"], counts["unchanged"]) == (
        1,
        1,
        2,
        3,
    )
    removed = next(r for r in result["models"]["models"] if r["status"] == "removed")
    assert removed["skipped"] == "3 training rows, fewer than train.min_rows (5)"
    assert "**New** (1): `d`." in text
    assert "**Removed** (1): `c`. Now skipped: `c`." in text
    assert "⚠️" not in text.split("### Models")[1].split("###")[0].split("|\n\n")[1]
    assert "**Skipped** (2): `c` (3 training rows, fewer than train.min\\_rows \\(5\\))" in text
    rows = list(csv.reader(io.StringIO(Path("reports/models_compare.csv").read_text("utf-8"))))
    assert [row[:2] for row in rows[1:]] == [
        ["d", "new"],
        ["c", "removed"],
        ["a", "unchanged"],
        ["b", "unchanged"],
        ["big", "unchanged"],
        ["c", "skipped"],
        ["e", "skipped"],
    ]


def test_first_many_models_change_has_nothing_to_gate(dvc_repo, commit, params, capsys):
    params["compare"]["metrics"]["f1"]["tolerance"] = 0.5
    Path("params.yaml").write_text(yaml.safe_dump(params), encoding="utf-8")
    common.write_json("reports/metrics.json", {"f1": 0.9, "loss": 0.3})
    commit("One model")
    project = Project(params)
    project.train("a", f1=0.6, loss=0.3)  # the aggregate's f1 within its tolerance of 0.5
    project.write()
    code, result, out, text = run(capsys)
    assert code == 0, out
    assert result["models"]["baseline_found"] is False
    assert result["models"]["counts"]["new"] == 1
    assert "all 1 models are new, none is gated" in result["note"]


def test_shared_parameter_and_one_override(project, commit, capsys):
    baseline(project, commit)
    project.params["train"]["seed"] = 7  # every model
    project.params["train"]["overrides"]["b"] = {"random_forest": {"n_estimators": 300}}
    for name in ("a", "b", "c"):
        project.train(name, f1=0.9, loss=0.3, seed=1)
    project.write()
    code, result, out, text = run(capsys)
    assert code == 0, out
    changes = result["models"]["params"]
    assert changes["shared"] == [{"key": "train.seed", "old": 1, "new": 7}]
    assert changes["overrides"] == [
        {"key": "random_forest.n_estimators", "old": None, "new": 300, "models": ["b"]}
    ]
    assert "Changed since `main`, for every model:" in text
    assert "| `train.seed` | 1 | 7 |" in text
    assert "| `random_forest.n_estimators` | — | 300 | 1: `b` |" in text
    assert "train.overrides.b" not in text  # DVC's row for it is shown as the override's
    assert result["models"]["counts"]["within"] == 3  # retrained, metrics the same

    # only the override changes next: no shared row
    commit("Seed 7, b overridden")
    project.params["train"]["overrides"]["b"]["random_forest"]["n_estimators"] = 400
    project.train("b", f1=0.9, loss=0.3, seed=2)
    project.write()
    code, result, out, text = run(capsys)
    assert result["models"]["params"]["shared"] == []
    assert "No parameter changed for every model since `main`." in text
    assert "| `random_forest.n_estimators` | 300 | 400 | 1: `b` |" in text


def test_a_broken_models_file_is_one_line_error(project, commit, capsys):
    baseline(project, commit)
    common.write_json("reports/models.json", {"models": ["a"]})
    assert compare.main(ARGS) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1
    assert "reports/models.json" in error
    assert not Path("reports/compare.json").exists()


def synthetic(count: int, long: bool = True) -> tuple[dict, dict, dict]:
    """Two models.json of ``count`` models (long, nasty names): most changed, a third of
    them worse beyond tolerance, by amounts growing with their number; and the overrides."""
    old, new, skipped, overrides = {}, {}, {}, {}
    for i in range(count):
        name = f"{NASTY[i % len(NASTY)][:40]} store {i:05d} " + ("y" * 120 if long else "")
        entry = {"path": f"models/shard-{i % 4}/s{i}", "shard": i % 4, "overrides": {}}
        entry |= {"rows": {"train": 90, "test": 20}, "fingerprint": f"f{i}", "md5": f"m{i}"}
        old[name] = {**entry, "metrics": {"f1": 0.9, "loss": 0.3}}
        if i % 10 == 9:  # unchanged
            new[name] = old[name]
        elif i % 3 == 0:  # beyond tolerance, the larger i the worse
            new[name] = {
                **entry,
                "md5": "x",
                "metrics": {"f1": 0.85 - i / (10 * count), "loss": 0.3},
            }
        else:
            new[name] = {**entry, "md5": "x", "metrics": {"f1": 0.91, "loss": 0.29}}
        if i % 7 == 0:
            overrides[name] = {"random_forest": {"n_estimators": 100 + i % 5}}
    for i in range(count // 50):
        skipped[f"skipped {i} " + "z" * 100] = {"rows": {"train": 3, "test": 1}, "reason": "few"}
    return {"models": old}, {"models": new, "skipped": skipped}, overrides


def judged(count: int) -> dict:
    old, new, overrides = synthetic(count)
    rules = {"f1": {"direction": "higher", "tolerance": 0.02}}
    found = models.judge(new, old, rules, {"allow_worse": 0})
    base = {"train": {"seed": 1, "overrides": {}}}
    found["params"] = models.model_params.changes(
        base, {"train": {"seed": 2, "overrides": overrides}}
    )
    rows = [{"key": "train.seed", "old": 1, "new": 2}]
    rows += [
        {"key": f"train.overrides.{n}.random_forest.n_estimators", "old": None, "new": 1}
        for n in overrides
    ]
    return {
        "baseline": "0123456789abcdef0123456789abcdef01234567",
        "baseline_found": True,
        "metrics": [],
        "regressions": [],
        "passed": not found["failed"],
        "note": "x",
        "params": rows,
        "params_compared": True,
        "models": found,
    }


@pytest.mark.parametrize("count", [1000, 10_000])
def test_sizes_stay_within_github_limits(tmp_path, monkeypatch, count):
    result = judged(count)
    found = result["models"]
    worse = found["regressed"]
    assert len(worse) == len([i for i in range(count) if i % 10 != 9 and i % 3 == 0])
    text = report.render(result, None, [])
    assert len(text) < report.LIMIT
    assert "section(s) left out" not in text
    rows = [r for r in found["models"] if r["status"] == "regressed"][: models_section.WORST]
    lines = [models_table.line(r, found["metrics"], models_section.WIDTH) for r in rows]
    where = [text.find(line) for line in lines]
    assert -1 not in where
    assert where == sorted(where)
    listed = re.findall(r"^\| .+ \| ❌ worse beyond tolerance \|", text, flags=re.MULTILINE)
    assert len(listed) == models_section.WORST
    worst = max(i for i in range(count) if i % 10 != 9 and i % 3 == 0)  # f1 fell the most
    assert f"store {worst:05d}" in worse[0]
    assert f"store {worst - 3:05d}" in worse[1]
    assert f"…and {len(worse) - models_section.WORST} more." in text
    assert f"❌ {len(worse)} models worse beyond tolerance:" in text.splitlines()[1]

    summary = models_table.summary(found, models_table.SUMMARY_LIMIT, ["r/m.md", "r/m.csv"])
    assert len(summary.encode()) < models_table.SUMMARY_LIMIT
    whole = models_table.markdown(found)
    if count == 10_000:
        assert len(whole.encode()) > models_table.SUMMARY_LIMIT  # so the summary is cut
        assert "_Cut after " in summary
        assert "`r/m.md` and `r/m.csv`" in summary
    else:
        assert "_Cut" not in summary
    rows = [line for line in whole.splitlines() if line.startswith("| `")]
    assert len(rows) == count + len(found["skipped"])

    # what compare appends to a job summary that holds 300 KB already stays under 1 MiB
    path = tmp_path / "step_summary.md"
    path.write_text("x" * 300_000, encoding="utf-8")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(path))
    files = model_files.write(found, tmp_path / "reports")
    assert model_files.to_summary(found, files) is True
    assert path.stat().st_size < models_table.SUMMARY_LIMIT
    assert ("_Cut after " in path.read_text("utf-8")) == (count == 10_000)
    assert files[0].read_text("utf-8") == whole
    table = list(csv.reader(io.StringIO(models_table.csv_text(found))))
    assert len(table) == 1 + count + len(found["skipped"])


def cells(line: str) -> list[str]:
    """A table row's cells as GitHub splits them: on each pipe not escaped."""
    return re.split(r"(?<!\\)\|", line.strip())[1:-1]


def test_names_are_inert(project, commit, capsys, monkeypatch, tmp_path):
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    baseline(project, commit, NASTY, big=True)
    for name in NASTY:
        project.train(name, f1=0.5, loss=0.3, seed=1, tests=1)
    project.params["train"]["overrides"][NASTY[0]] = {"linear": {"C": 2}}
    project.skip("@admin <b>")
    project.write()
    code, result, out, text = run(capsys)
    assert code == 1
    for line in out.splitlines():  # no name starts a workflow command of its own
        assert not line.startswith("::") or line.startswith("::error::Model ")
    assert "100%25" in out
    for page in (text, summary.read_text("utf-8"), Path("reports/models_compare.md").read_text()):
        assert "<img" not in page.replace("`<img", "")
        assert not re.search(r"(?<![`\w])@(octocat|admin)", page)
        rows = [line for line in page.splitlines() if " | ❌ worse beyond tolerance |" in line]
        assert len(rows) == len(NASTY)
        assert {len(cells(line)) for line in rows} == {4}  # model, status, f1, loss
    rows = list(csv.reader(io.StringIO(Path("reports/models_compare.csv").read_text("utf-8"))))
    names = [row[0] for row in rows[1:]]
    assert "'=HYPERLINK(1)" in names
    assert "x" * 300 in names
    assert "line\nbreak\n::error::injected" in names  # whole, in a quoted CSV cell


def test_the_report_of_many_models_needs_the_standard_library_only():
    code = f"import {report.__name__}, {outcome.__name__}, {models_section.__name__}; print('ok')"
    env = {**os.environ, "PYTHONPATH": str(Path(report.__file__).parents[2])}
    result = subprocess.run(
        [sys.executable, "-S", "-c", code], capture_output=True, text=True, env=env, check=False
    )
    assert result.stdout == "ok\n", result.stderr
