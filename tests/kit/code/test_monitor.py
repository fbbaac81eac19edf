"""The reference profile that evaluate writes, and `python -m mlops_kit.monitoring.monitor` on
tiny data: exit codes, reports, metrics, bad input, and names from the data rendered inert."""

import json
import re
import subprocess
import sys

import joblib
import numpy as np
import pandas as pd
import pytest
from mlops_kit.evaluation import profile
from mlops_kit.monitoring import monitor
from mlops_kit.pipeline import evaluate

from kit.project import train

MONITOR = {
    "alpha": 0.05,
    "min_rows": 30,
    "min_effect": 0.1,
    "max_missing_change": 0.05,
    "max_unseen": 0.01,
}
RULES = {"balanced_accuracy": {"direction": "higher", "tolerance": 0.02}}
# A column name that would be a link, a mention, an image and HTML if shown as it is.
HOSTILE = "[n](https://e.example) @someone ![i](y.png) <b>a|b</b> `c`"


def frame(rows: int, seed: int, task: str = "classification") -> pd.DataFrame:
    """Numbers with gaps, counts, text with gaps and booleans; the label depends on them."""
    rng = np.random.default_rng(seed)
    size, colour = rng.normal(10.0, 3.0, rows), rng.choice(["red", "green", "blue"], rows)
    visits = rng.integers(0, 5, rows)
    signal = size + 4.0 * (colour == "red") + visits
    data = pd.DataFrame(
        {"size": size.round(3), HOSTILE: visits, "colour": colour, "member": rng.random(rows) > 0.5}
    )
    data.loc[::9, "size"] = np.nan
    data.loc[3::11, "colour"] = np.nan
    if task == "classification":
        data["label"] = np.where(signal > 12.5, "high", "low")  # the same rule in every frame
    else:
        data["label"] = (3.0 * signal + rng.normal(0.0, 1.0, rows)).round(3)
    return data


def make_project(folder, params, set_params, quick_train, task: str):
    """A trained tiny model, its profile and metrics, and the unit tests' own params."""
    rules = (
        RULES if task == "classification" else {"r2": {"direction": "higher", "tolerance": 0.02}}
    )
    params["ingest"]["task"] = task
    params.update(monitor=dict(MONITOR), compare={"metrics": rules})
    set_params(params)
    train_split, test_split = frame(400, 1, task), frame(400, 11, task)
    model = train.fit(train_split, "label", task, quick_train(task, "random_forest"))
    (folder / "models").mkdir()
    joblib.dump(model, folder / "models" / "model.joblib")
    built = profile.build(model, train_split, test_split, "label", task)
    profile.write(folder / "reports" / "profile.json", built)
    score = evaluate.classification if task == "classification" else evaluate.regression
    scores, _ = score(model, test_split.drop(columns="label"), test_split["label"])
    (folder / "reports" / "metrics.json").write_text(json.dumps(scores), encoding="utf-8")
    return folder


@pytest.fixture
def project(workdir, params, set_params, quick_train):
    return make_project(workdir, params, set_params, quick_train, "classification")


def run(batch, name="batch.csv") -> int:
    batch.to_csv(name, index=False)
    return monitor.main(["--current", name, "--out", "out"])


def report(project):
    return json.loads((project / "out" / "monitor.json").read_text(encoding="utf-8"))


def test_profile_describes_each_feature_and_the_predictions(project):
    built = json.loads((project / "reports" / "profile.json").read_text(encoding="utf-8"))
    assert built["rows"] == 400
    kinds = {name: column["kind"] for name, column in built["features"].items()}
    assert kinds == {
        "size": "numeric",
        HOSTILE: "numeric",
        "colour": "categorical",
        "member": "categorical",
    }
    assert built["features"]["size"]["missing"] == pytest.approx(45 / 400)
    assert len(built["features"]["size"]["quantiles"]) == 100
    assert set(built["prediction"]["shares"]) == {"high", "low"}
    assert built["prediction"]["rows"] == 400


def test_a_batch_like_the_reference_is_healthy(project, capsys):
    assert run(frame(300, 3)) == 0
    result = report(project)
    assert result["status"] == "healthy"
    assert [m["metric"] for m in result["metrics"]] == ["balanced_accuracy"]
    assert not result["metrics"][0]["degraded"]
    assert "monitor: healthy" in capsys.readouterr().out
    assert (
        (project / "out" / "monitor.md")
        .read_text(encoding="utf-8")
        .startswith("## Model monitoring: ✅ healthy")
    )


def test_a_shifted_column_is_drift_and_exits_1(project):
    batch = frame(300, 4)
    batch["size"] += 6.0
    assert run(batch) == 1
    result = report(project)
    drifted = {c["column"] for c in result["columns"] if c["drift"]}
    assert "size" in drifted
    assert result["status"] == "unhealthy"
    text = (project / "out" / "monitor.md").read_text(encoding="utf-8")
    assert "```mermaid\nxychart-beta" in text
    assert "| `size` | numeric |" in text


def test_wrong_labels_are_a_degraded_metric(project):
    batch = frame(300, 5)
    batch["label"] = np.where(batch["label"] == "high", "low", "high")
    assert run(batch) == 1
    (row,) = report(project)["metrics"]
    assert row["degraded"]
    assert row["batch"] < 0.5


def test_a_batch_too_small_to_judge_says_so(project, capsys):
    batch = frame(20, 6)
    batch["size"] += 100.0  # even an obvious shift is not judged on 20 rows
    assert run(batch) == 0
    result = report(project)
    assert result["status"] == "too small"
    assert "too few to judge" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda b: b.drop(columns=["colour"]), "lacks 1 of the model's features: 'colour'"),
        (lambda b: b.assign(size="big"), "column 'size' holds text"),
        (lambda b: b.assign(label="unheard-of"), "cannot score the batch's 'label'"),
    ],
)
def test_bad_batches_exit_2_with_one_line_and_write_nothing(project, capsys, change, message):
    assert run(change(frame(100, 7))) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert message in err
    assert not (project / "out").exists()


def test_missing_files_and_settings_exit_2(project, capsys, params, set_params):
    assert monitor.main(["--current", "nowhere.csv", "--out", "out"]) == 2
    assert "nowhere.csv not found" in capsys.readouterr().err
    params["monitor"]["alpha"] = 2
    set_params(params)
    assert run(frame(100, 8)) == 2
    assert "monitor.alpha must be between 0 and 1" in capsys.readouterr().err
    assert not (project / "out").exists()


def test_names_and_values_from_the_data_are_inert(project):
    batch = frame(300, 9)
    batch.loc[batch.index[:60], "colour"] = "@octocat [click](https://x.example)"
    assert run(batch) == 1
    text = (project / "out" / "monitor.md").read_text(encoding="utf-8")
    assert "`@octocat [click](https://x.example)`" in text
    assert "| `` [n](https://e.example) @someone ![i](y.png) <b>a\\|b</b> `c` `` |" in text
    # Charts are fenced Mermaid blocks (their labels hold no markup Mermaid renders), names
    # elsewhere are code spans: nothing outside both may be live Markdown.
    outside_code = re.sub(r"(?s)```mermaid\n.*?\n```", "", text)
    outside_code = re.sub(r"(`+)(.+?)(?<!`)\1(?!`)", "", outside_code)
    for live in ("@octocat", "](", "<b>", "https://", "!["):
        assert live not in outside_code
    for line in text.split("### Metrics")[0].splitlines():
        if line.startswith("| `"):
            assert len(re.findall(r"(?<!\\)\|", line)) == 8, line  # 7 cells, no extra


def test_monitor_never_imports_great_expectations(project):
    frame(100, 10).to_csv("batch.csv", index=False)
    code = (
        "import sys\n"
        "from mlops_kit.monitoring import monitor\n"
        "code = monitor.main(['--current', 'batch.csv', '--out', 'out'])\n"
        "print(code, sorted({m.split('.')[0] for m in sys.modules} & {'great_expectations'}))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stdout.split("\n")[-2] == "0 []", result.stdout + result.stderr


def test_regression_predictions_and_metrics_are_judged(workdir, params, set_params, quick_train):
    make_project(workdir, params, set_params, quick_train, "regression")
    built = json.loads((workdir / "reports" / "profile.json").read_text(encoding="utf-8"))
    assert built["prediction"]["kind"] == "numeric"
    assert run(frame(300, 12, "regression")) == 0
    (row,) = report(workdir)["metrics"]
    assert (row["metric"], row["degraded"]) == ("r2", False)
    noisy = frame(300, 13, "regression")
    noisy["label"] = noisy["label"].sample(frac=1.0, random_state=0).to_numpy()
    assert run(noisy) == 1
    (row,) = report(workdir)["metrics"]
    assert row["degraded"]
    assert row["batch"] < 0.2
    assert not any(c["drift"] for c in report(workdir)["columns"])  # the features did not move


# A failing check exits 2 with one line, removes the report of an earlier check (nothing stale
# can be read as this one's) and leaves every other file as it was.


def files(folder) -> dict:
    """Every file under ``folder`` (the batch, the model, the profile...) with its bytes."""
    return {p: p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def fails(project, capsys, damage, says: str) -> str:
    """After a healthy check wrote its report, ``damage()``; the next check must fail."""
    assert run(frame(300, 3)) == 0
    assert (project / "out" / "monitor.json").is_file()
    damage()
    before = {p: b for p, b in files(project).items() if p.parent != project / "out"}
    capsys.readouterr()
    assert monitor.main(["--current", "batch.csv", "--out", "out"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("error: ")
    assert captured.err.count("\n") == 1, captured.err
    assert says in captured.err
    assert files(project) == before  # the report gone, nothing else changed or added
    return captured.err


@pytest.mark.parametrize(
    ("damage", "says"),
    [
        (lambda path: path.write_bytes(np.random.default_rng(0).bytes(4096)), "cannot load"),
        (lambda path: path.write_bytes(path.read_bytes()[:5000]), "cannot load the model"),
        (lambda path: joblib.dump({"not": "a model"}, path), "holds a dict, not a model"),
    ],
    ids=["random-bytes", "truncated", "not-a-model"],
)
def test_a_model_that_cannot_be_read_exits_2_not_1(project, capsys, damage, says):
    error = fails(project, capsys, lambda: damage(project / "models" / "model.joblib"), says)
    assert "models/model.joblib" in error


def drop(*keys):
    def change(built):
        found = built
        for key in keys[:-1]:
            found = found[key]
        del found[keys[-1]]

    return change


@pytest.mark.parametrize(
    ("change", "says"),
    [
        (drop("features"), "reports/profile.json has no 'features'"),
        (drop("target"), "reports/profile.json has no 'target'"),
        (drop("features", "size", "quantiles"), "feature 'size' has no 'quantiles'"),
        (drop("features", "colour", "shares"), "feature 'colour' has no 'shares'"),
        (drop("prediction", "kind"), "prediction has no 'kind'"),
        (lambda b: b["features"]["size"].update(missing="none"), "'missing' is not int or float"),
        (lambda b: b.update(features={}), "describes no feature"),
        (lambda b: b.update(format=2), "is not a profile"),
    ],
    ids=["features", "target", "quantiles", "shares", "kind", "type", "empty", "format"],
)
def test_a_profile_with_keys_missing_exits_2_naming_the_key(project, capsys, change, says):
    path = project / "reports" / "profile.json"

    def damage():
        built = json.loads(path.read_text(encoding="utf-8"))
        change(built)
        path.write_text(json.dumps(built), encoding="utf-8")

    fails(project, capsys, damage, says)


def test_an_unexpected_failure_is_one_line_exit_2_from_the_command(project):
    """Quantiles of text pass the key checks and fail inside the statistics: the command
    exits 2 (never 1, which the workflow reads as drift) with one line, no traceback."""
    assert run(frame(300, 3)) == 0
    path = project / "reports" / "profile.json"
    built = json.loads(path.read_text(encoding="utf-8"))
    built["features"]["size"]["quantiles"] = ["x"] * 100
    path.write_text(json.dumps(built), encoding="utf-8")
    before = {p: b for p, b in files(project).items() if p.parent != project / "out"}
    command = [sys.executable, "-m", "mlops_kit.monitoring.monitor"]
    done = subprocess.run(
        [*command, "--current", "batch.csv", "--out", "out"], capture_output=True, text=True
    )
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith("error: monitor failed: ")
    assert done.stderr.count("\n") == 1, done.stderr
    assert "Traceback" not in done.stderr
    assert files(project) == before


def test_a_report_carries_its_time_and_inputs_and_is_written_whole(project):
    from datetime import UTC, datetime, timedelta

    assert run(frame(300, 3)) == 0
    result = report(project)
    checked = datetime.fromisoformat(result["checked_at"].replace("Z", "+00:00"))
    assert checked.tzinfo == UTC
    assert abs(datetime.now(UTC) - checked) < timedelta(minutes=5)
    assert result["current"] == "batch.csv"
    assert result["inputs"] == {
        "model": "models/model.joblib",
        "profile": "reports/profile.json",
        "metrics": "reports/metrics.json",
    }
    text = (project / "out" / "monitor.md").read_text(encoding="utf-8")
    assert f"checked {result['checked_at']}." in text
    assert sorted(p.name for p in (project / "out").iterdir()) == ["monitor.json", "monitor.md"]
    frame(300, 3).drop(columns="label").to_csv("unlabelled.csv", index=False)
    assert monitor.main(["--current", "unlabelled.csv", "--out", "out"]) == 0
    assert report(project)["inputs"]["metrics"] is None  # no target: the metrics not read


def test_a_bad_batch_removes_the_earlier_report(project, capsys):
    batch = frame(100, 7).drop(columns=["colour"])
    batch.to_csv("bad.csv", index=False)
    assert run(frame(300, 3)) == 0
    capsys.readouterr()
    assert monitor.main(["--current", "bad.csv", "--out", "out"]) == 2
    assert "lacks 1 of the model's features" in capsys.readouterr().err
    assert list((project / "out").iterdir()) == []


@pytest.mark.parametrize("where", ["file", "report-folder"])
def test_an_out_that_cannot_hold_the_report_exits_2(project, capsys, where):
    if where == "file":
        (project / "out").write_text("mine\n", encoding="utf-8")
    else:
        (project / "out" / "monitor.json").mkdir(parents=True)
    frame(300, 3).to_csv("batch.csv", index=False)
    before = files(project)
    assert monitor.main(["--current", "batch.csv", "--out", "out"]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1
    assert ("is a file" if where == "file" else "is a folder") in error
    assert files(project) == before


def test_without_current_the_batch_is_params_monitor_current(project, params, set_params, capsys):
    frame(200, 21).to_csv("chosen.csv", index=False)
    params["monitor"]["current"] = "chosen.csv"
    set_params(params)
    assert monitor.main(["--out", "out"]) == 0
    assert json.loads((project / "out" / "monitor.json").read_text())["current"] == "chosen.csv"
    del params["monitor"]["current"]
    set_params(params)
    capsys.readouterr()
    assert monitor.main(["--out", "out"]) == 2
    assert capsys.readouterr().err.splitlines() == [
        "error: no batch to check: pass --current FILE or set monitor.current"
    ]
