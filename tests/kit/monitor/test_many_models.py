"""`monitor` in a many-models project: real small models and their profiles written in the
contract's layout (reports/models.json, models/shard-<k>/<dir>/), a batch holding the segment
column, one correction over every test of every model, the reports and the one issue."""

from __future__ import annotations

import hashlib
import json
import re
import shutil

import joblib
import jsonschema
import numpy as np
import pandas as pd
import pytest
from mlops_kit.evaluation import profile
from mlops_kit.monitoring import deployed, issue, listing, monitor
from mlops_kit.pipeline import evaluate
from mlops_kit.reporting.markdown import code
from mlops_kit.schemas import schema
from mlops_kit.segments import names

from kit.ci.test_issue import Issues
from kit.code.test_monitor import HOSTILE as COLUMN
from kit.code.test_monitor import MONITOR, RULES, frame
from kit.project import train

# A model name that would be a link, a mention and HTML if shown as it is.
HOSTILE = "[x](https://e.example) @someone <b>a|b</b>"
NAMES = [f"store-{i:02d}" for i in range(29)] + [HOSTILE]
DRIFTED = ("store-07", HOSTILE)
SKIPPED = "store-99"


def write_model(root, name: str, shard: int, seed: int, settings: dict) -> dict:
    """One segment's model, metrics and profile in its folder; its models.json entry."""
    task = "classification"
    train_split, test_split = frame(300, seed), frame(200, seed + 1)
    model = train.fit(train_split, "label", task, settings)
    path = f"models/shard-{shard}/{names.folder(name)}"
    (root / path).mkdir(parents=True)
    joblib.dump(model, root / path / "model.joblib")
    profile.write(
        root / path / "profile.json", profile.build(model, train_split, test_split, "label", task)
    )
    scores, _ = evaluate.classification(
        model, test_split.drop(columns="label"), test_split["label"]
    )
    (root / path / "metrics.json").write_text(json.dumps(scores) + "\n", encoding="utf-8")
    digest = hashlib.md5((root / path / "model.joblib").read_bytes()).hexdigest()
    return {
        "path": path,
        "shard": shard,
        "rows": {"train": 300, "test": 200},
        "metrics": scores,
        "intervals": {},
        "overrides": {},
        "fingerprint": hashlib.sha256(f"{name}{seed}".encode()).hexdigest(),
        "md5": digest,
    }


def write_list(root, models: dict) -> None:
    listed = {
        "segment_by": "store",
        "task": "classification",
        "aggregate": {},
        "models": dict(sorted(models.items())),
        "skipped": {SKIPPED: {"rows": {"train": 31, "test": 8}, "reason": "too few rows"}},
    }
    jsonschema.validate(listed, schema("models"))  # the pipeline's own contract
    (root / "reports").mkdir(exist_ok=True)
    (root / "reports" / "models.json").write_text(json.dumps(listed) + "\n", encoding="utf-8")


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """30 real models (10-tree forests), each trained on its own segment's data."""
    from kit.conftest import UNIT_PARAMS

    root = tmp_path_factory.mktemp("many")
    settings = {**UNIT_PARAMS["train"], "model": "random_forest"}
    models = {
        name: write_model(root, name, i % 4, 100 + 3 * i, settings) for i, name in enumerate(NAMES)
    }
    write_list(root, models)
    return root


@pytest.fixture
def project(built, workdir, params, set_params):
    params.update(monitor=dict(MONITOR), compare={"metrics": RULES})
    set_params(params)
    for part in ("models", "reports"):
        shutil.copytree(built / part, workdir / part)
    return workdir


def batch_of(rows: int = 60, drifted=(), seed: int = 1000) -> pd.DataFrame:
    """``rows`` rows of each model's segment, like its data; ``drifted`` ones shifted."""
    parts = []
    for i, name in enumerate(NAMES):
        part = frame(rows, seed + i)
        if name in drifted:
            part["size"] += 6.0
        parts.append(part.assign(store=name))
    return pd.concat(parts, ignore_index=True)


def run(batch) -> int:
    batch.to_csv("batch.csv", index=False)
    return monitor.main(["--current", "batch.csv", "--out", "out"])


def outputs(project):
    out = project / "out"
    return json.loads((out / "monitor.json").read_text()), (out / "monitor.md").read_text()


def unhealthy_in(text: str) -> set[str]:
    return {name for name in NAMES if code(name) in text}


def test_two_drifted_segments_of_30_are_found_and_listed(project, monkeypatch):
    assert run(batch_of(drifted=DRIFTED)) == 1
    result, text = outputs(project)
    assert result["status"] == "unhealthy"
    assert result["correction"] == "holm"
    bad = {name for name, found in result["models"].items() if found["status"] == "unhealthy"}
    assert bad == set(DRIFTED)
    assert result["summary"]["unhealthy_models"] == sorted(DRIFTED)
    assert result["summary"] | {"tests": 0} == {
        "models": 30,
        "healthy": 28,
        "unhealthy": 2,
        "too small": 0,
        "tests": 0,
        "unhealthy_models": sorted(DRIFTED),
    }
    assert result["summary"]["tests"] > 300  # the correction ran over every model's tests
    for name in DRIFTED:
        assert result["models"][name]["drifted"][0] == "size"  # (and so the predictions)
        assert result["models"][name]["rows"] == 60
    assert unhealthy_in(text) == set(DRIFTED)
    assert text.startswith("## Model monitoring: ❌ unhealthy: 2 of 30 models")
    assert "Holm's correction over all" in text

    fake = Issues()
    monkeypatch.setattr(issue, "GitHub", lambda: fake)
    assert issue.main(["sync", "--report", "out"]) == 0
    (opened,) = fake.issues.values()
    assert unhealthy_in(opened["body"]) == set(DRIFTED)  # exactly the unhealthy ones
    assert "| unhealthy (2 of 30 models) |" in opened["body"]

    assert run(batch_of(drifted=DRIFTED[:1])) == 1
    assert issue.main(["sync", "--report", "out"]) == 0
    (updated,) = fake.issues.values()
    assert unhealthy_in(updated["body"]) == {DRIFTED[0]}
    assert run(batch_of()) == 0
    assert issue.main(["sync", "--report", "out"]) == 0
    (closed,) = fake.issues.values()
    assert closed["state"] == "closed"
    assert len(fake.comments) == 1


def test_a_healthy_batch_exits_0(project, capsys):
    assert run(batch_of()) == 0
    result, text = outputs(project)
    assert result["status"] == "healthy"
    assert result["summary"]["healthy"] == 30
    assert all(found["metrics"] for found in result["models"].values())  # each one scored
    assert "### Unhealthy" not in text
    assert "monitor: healthy: 0 of 30 models unhealthy" in capsys.readouterr().out


def test_rows_of_no_model_are_counted_never_drift(project):
    batch = batch_of()
    strangers = frame(80, 7).assign(size=1000.0, store="store-zz")
    skipped = frame(40, 8).assign(size=-1000.0, store=SKIPPED)
    missing = frame(5, 9).assign(store=np.nan)
    small = batch["store"] == "store-03"
    batch = pd.concat([batch[~small], batch[small].head(10), strangers, skipped, missing])
    assert run(batch) == 0
    result, text = outputs(project)
    assert result["status"] == "healthy"
    assert result["unmatched"] == {
        "missing": 5,
        "unknown": {"rows": 80, "segments": 1, "examples": ["store-zz"]},
        "skipped": {"rows": 40, "segments": 1, "examples": [SKIPPED]},
    }
    assert result["models"]["store-03"]["status"] == "too small"
    assert result["models"]["store-03"]["rows"] == 10
    assert "80 rows of 1 value unknown to the list (`store-zz`)" in text
    assert f"40 rows of 1 value skipped in training (`{SKIPPED}`)" in text
    assert "### Too small to judge (1)\n\n`store-03`." in text


def test_many_healthy_segments_raise_no_alarm_that_alone_each_might(project, params):
    """200 segments drawn like their model's data, all scored by one of the models: the
    correction over every test keeps the check healthy, where checking each alone (Holm
    within one model, at the same alpha) flags some of them by chance."""
    names = [f"shop-{i:03d}" for i in range(200)]
    listed = json.loads((project / "reports" / "models.json").read_text())
    entry = listed["models"]["store-00"]
    listed["models"] = {name: entry for name in names}
    (project / "reports" / "models.json").write_text(json.dumps(listed), encoding="utf-8")
    seeds = {name: 5000 + i for i, name in enumerate(names)}
    batch = pd.concat([frame(60, seeds[n]).assign(store=n) for n in names], ignore_index=True)
    assert run(batch) == 0
    result, _ = outputs(project)
    assert result["summary"]["healthy"] == 200
    ref = json.loads((project / entry["path"] / "profile.json").read_text())
    model = joblib.load(project / entry["path"] / "model.joblib")
    settings = monitor.settings_of(params)
    alone = [
        monitor.check(
            batch[batch["store"] == n].drop(columns="store"),
            ref,
            model,
            settings,
            params,
            entry["metrics"],
        )["status"]
        for n in names
    ]
    assert alone.count("unhealthy") >= 1


def test_names_are_inert_in_the_report_and_the_issue(project):
    batch = batch_of(drifted=DRIFTED)
    batch.loc[batch["store"] == HOSTILE, COLUMN] += 5  # a column named as hostile drifts too
    assert run(batch) == 1
    result, text = outputs(project)
    body = issue.render("model", listing.issue_report(result), [])
    for shown in (text, body):
        assert code(HOSTILE) in shown
        assert code(COLUMN, 30) in shown
        outside = re.sub(r"(`+)(.+?)(?<!`)\1(?!`)", "", shown)
        for live in ("@someone", "](", "<b>", "https://"):
            assert live not in outside
        for table in re.findall(r"(?m)(?:^\|.*\n)+", shown):  # no cell more than the header's
            pipes = {len(re.findall(r"(?<!\\)\|", line)) for line in table.splitlines()}
            assert len(pipes) == 1, table


def test_10000_models_keep_the_report_and_the_issue_bounded():
    long = "x" * 500 + " @someone [a](https://e.example)"
    column = {"column": long, "effect": 1.0, "p_adjusted": 1e-9, "new_values": True}
    columns = [{**column, "unseen_examples": [long] * 5}] * 50
    models = {
        f"{long}-{i:05d}": {
            "status": "unhealthy" if i % 2 else "too small",
            "rows": 200,
            "drifted": [f"{long}-column-{k}" for k in range(50)],
            "degraded": [f"{long}-metric-{k}" for k in range(5)],
            "p_adjusted": 1e-9,
            "columns": columns,
            "metrics": [{"metric": long, "reference": 0.9, "batch": 0.1, "degraded": True}] * 9,
        }
        for i in range(10_000)
    }
    result = {
        "status": "unhealthy",
        "segment_by": long,
        "rows": 2_000_000,
        "alpha": 0.05,
        "min_rows": 30,
        "min_effect": 0.1,
        "inputs": {"models": "reports/models.json"},
        "summary": {
            "models": 10_000,
            "healthy": 0,
            "unhealthy": 5000,
            "too small": 5000,
            "tests": 60_000,
        },
        "unmatched": {
            "missing": 3,
            "unknown": {"rows": 9, "segments": 9, "examples": [long] * 5},
            "skipped": {"rows": 0, "segments": 0, "examples": []},
        },
        "models": models,
    }
    text = listing.markdown(result, long)
    body = issue.render(
        "model", listing.issue_report(result), [{"when": "now", "status": "unhealthy"}] * 40
    )
    assert len(text) < 65_536
    assert len(body) < 65_536
    assert "…and 4900 more unhealthy models (monitor.json)." in body
    assert "too small" not in body.split("### Unhealthy")[1]


def test_a_stage_is_refused_and_before_a_release_the_workflow_checks_the_listed_models(
    project, capsys
):
    batch_of().to_csv("batch.csv", index=False)
    assert monitor.main(["--current", "batch.csv", "--out", "out", "--stage", "production"]) == 2
    assert "lists many models" in capsys.readouterr().err
    kind, value, why = deployed.choose("deployed")
    assert (kind, value) == ("dvc", "")
    assert "reports/models.json" in why


def no_profile(root, batch):
    (root / "models/shard-1/store-05/profile.json").unlink()
    return batch


def bad_model(root, batch):
    (root / "models/shard-2/store-06/model.joblib").write_bytes(b"x")
    return batch


@pytest.mark.parametrize(
    ("damage", "says"),
    [
        (lambda root, b: b.drop(columns="store"), "the batch has no segment column 'store'"),
        (no_profile, "model 'store-05': models/shard-1/store-05/profile.json"),
        (bad_model, "model 'store-06': cannot load the model"),
    ],
    ids=["no-segment-column", "no-profile", "bad-model"],
)
def test_a_check_that_cannot_be_made_exits_2_naming_the_model(project, capsys, damage, says):
    assert run(batch_of()) == 0
    capsys.readouterr()
    assert run(damage(project, batch_of())) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    assert says in err
    assert not (project / "out" / "monitor.json").exists()


def test_naming_one_models_files_checks_that_model_alone(project):
    entry = json.loads((project / "reports" / "models.json").read_text())["models"]["store-07"]
    batch = batch_of(drifted=DRIFTED)
    batch[batch["store"] == "store-07"].to_csv("one.csv", index=False)
    files = [
        "--model",
        f"{entry['path']}/model.joblib",
        "--profile",
        f"{entry['path']}/profile.json",
    ]
    assert monitor.main(["--current", "one.csv", "--out", "out", *files]) == 1
    result, text = outputs(project)
    assert "models" not in result
    assert {c["column"] for c in result["columns"] if c["drift"]} >= {"size"}
    assert text.startswith("## Model monitoring: ❌ unhealthy\n")


@pytest.mark.parametrize(
    ("change", "says"),
    [
        (lambda listed: listed.pop("segment_by"), "has no 'segment_by'"),
        (lambda listed: listed.pop("models"), "'models' is not a mapping"),
        (lambda listed: listed["models"]["store-01"].update(path="/etc"), "no relative 'path'"),
        (lambda listed: listed["models"]["store-01"].update(path="../x"), "no relative 'path'"),
    ],
    ids=["segment_by", "models", "absolute", "outside"],
)
def test_a_damaged_models_json_exits_2(project, capsys, change, says):
    path = project / "reports" / "models.json"
    listed = json.loads(path.read_text())
    change(listed)
    path.write_text(json.dumps(listed), encoding="utf-8")
    assert run(batch_of()) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    assert says in err


def test_segment_values_name_their_models_as_the_pipeline_names_them():
    from mlops_kit.monitoring import many

    frame = pd.DataFrame({"store": [12.0, np.nan, 12.0, 7.0, np.nan]})
    found = {name: rows.tolist() for name, rows in many.split(frame, "store").items()}
    assert found == {"12": [0, 2], "7": [3], None: [1, 4]}  # 12.0 read back is model 12
    mixed = pd.DataFrame({"store": pd.Series(["a", 3, "3", None], dtype=object)})
    found = {name: rows.tolist() for name, rows in many.split(mixed, "store").items()}
    assert found == {"a": [0], "3": [1, 2], None: [3]}
