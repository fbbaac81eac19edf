"""Many models (mlops_kit.segments): names and folders, the settings around segment_by, the
plan of each shard, the rows' hashes, prepare's split within segments and its files stored
by shard, and the shard that fits only the models whose rows, settings or code changed."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from mlops_kit import common
from mlops_kit.segments import aggregate, by_shard, names, plan, rows, shard, split

from kit.project import build_pipeline

MANY = {
    "segment_by": "store",
    "shards": 2,
    "shard_ids": [0, 1],
    "min_rows": 20,
    "overrides": {},
}


def segmented(sizes: dict, seed: int = 0) -> pd.DataFrame:
    """A frame with a ``store`` column: each store's rows, their target from two features."""
    rng = np.random.default_rng(seed)
    parts = []
    for store, n in sizes.items():
        x = rng.normal(0, 1, n)
        z = rng.normal(0, 1, n)
        label = np.where(x + 0.3 * z + rng.normal(0, 0.3, n) > 0, "high", "low")
        colour = rng.choice(["red", "blue"], n)
        parts.append(
            pd.DataFrame({"store": store, "x": x, "z": z, "colour": colour, "label": label})
        )
    return pd.concat(parts, ignore_index=True)


@pytest.fixture
def many(workdir, params):
    """A folder with params.yaml for many models and a prepared split of five stores, one of
    them too small for a model."""
    params["train"].update(MANY)
    params["evaluate"].update(bootstrap={"resamples": 50, "seed": 1}, min_slice_size=10)
    Path("params.yaml").write_text(yaml.safe_dump(params), encoding="utf-8")
    frame = segmented({"a": 120, "b": 90, "c": 150, "d": 100, "tiny": 12})
    train, test, missing = split.split_segments(
        frame, "store", "label", "classification", params["prepare"]
    )
    assert missing == 0
    Path("data").mkdir()
    train.to_parquet("data/train.parquet", index=False)
    test.to_parquet("data/test.parquet", index=False)
    return params


def run_all(params, capsys) -> dict[int, str]:
    """The plan, then every shard; each shard's summary line."""
    assert plan.main(["--out", "build/plan"]) == 0
    said = {}
    for k in params["train"]["shard_ids"]:
        args = [
            "--shard",
            str(k),
            "--plan",
            f"build/plan/shard-{k}.json",
            "--out",
            f"models/shard-{k}",
            "--summary",
            f"build/shards/shard-{k}.json",
        ]
        args += ["--train", "data/train.parquet", "--test", "data/test.parquet"]
        capsys.readouterr()
        assert shard.main(args, build=build_pipeline) == 0, capsys.readouterr().err
        said[k] = capsys.readouterr().out
    return said


def trained(said: dict[int, str]) -> list[str]:
    found = []
    for line in said.values():
        if "trained: " in line:
            found += line.strip().split("trained: ")[1].split(", ")
    return sorted(found)


def test_a_plain_name_is_its_own_folder_and_any_other_gets_a_distinct_one():
    assert names.folder("store-0012") == "store-0012"
    made = {
        names.folder(n) for n in ("Store", "store", "a/b", "a_b", "../x", "é", ".hidden", "x" * 80)
    }
    assert len(made) == 8
    assert "store" in made
    for folder in made:
        assert "/" not in folder
        assert not folder.startswith(".")
        assert len(folder) <= 64


def test_names_are_the_values_as_text_whole_numbers_without_a_point():
    assert [names.name_of(v) for v in (12, 12.0, 1.5, "x", True)] == [
        "12",
        "12",
        "1.5",
        "x",
        "True",
    ]


def test_the_shard_of_a_name_is_stable():
    assert [names.shard_of(f"s{i}", 4) for i in range(6)] == [
        names.shard_of(f"s{i}", 4) for i in range(6)
    ]
    assert (
        names.shard_of("store-0001", 4)
        == int.from_bytes(__import__("hashlib").sha256(b"store-0001").digest()[:8], "big") % 4
    )


@pytest.mark.parametrize(
    ("change", "said"),
    [
        ({"shard_ids": [0]}, "train.shard_ids must list 0 to 1"),
        ({"shards": 0}, "train.shards must be a whole number from 1 to 256"),
        ({"min_rows": 1}, "train.min_rows must be a whole number of at least 2"),
        ({"overrides": {"a": {"colour": 1}}}, "train.overrides.a.colour is not a shared"),
        ({"overrides": {"a": {"shards": 3}}}, "train.overrides.a.shards is not a shared"),
        ({"overrides": {"a": 3}}, "train.overrides.a must map train keys to values"),
        ({"overrides": [1]}, "train.overrides must map model names to settings"),
    ],
)
def test_bad_settings_are_one_line(params, change, said):
    train = {**params["train"], **MANY, **change}
    with pytest.raises(common.UserError, match=said.replace(".", r"\.")):
        names.layout(train)


def test_one_override_changes_one_shard_plan_and_fewer_shards_remove_files(tmp_path, params):
    train = {**params["train"], **MANY, "shards": 3, "shard_ids": [0, 1, 2]}
    plan.write(tmp_path, train)
    before = {p.name: p.read_text() for p in tmp_path.iterdir()}
    name = "a"
    train["overrides"] = {name: {"random_forest": {"n_estimators": 3}}}
    plan.write(tmp_path, train)
    after = {p.name: p.read_text() for p in tmp_path.iterdir()}
    changed = [k for k in before if before[k] != after[k]]
    assert changed == [f"shard-{names.shard_of(name, 3)}.json"]
    plan.write(tmp_path, {**train, "shards": 1, "shard_ids": [0]})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["shard-0.json"]


def test_a_segments_hash_ignores_row_order_and_follows_its_own_rows_only():
    frame = segmented({"a": 30, "b": 40})
    first = rows.hashes(frame, "store")
    assert rows.hashes(frame.sample(frac=1, random_state=3), "store") == first
    changed = frame.copy()
    changed.loc[changed.index[-1], "x"] += 1  # a row of b
    again = rows.hashes(changed, "store")
    assert again["a"] == first["a"]
    assert again["b"] != first["b"]


def test_a_segments_split_does_not_move_when_another_segment_changes(params):
    frame = segmented({"a": 50, "b": 60})
    more = pd.concat([frame, segmented({"b": 25}, seed=9)], ignore_index=True)
    parts = [
        split.split_segments(f, "store", "label", "classification", params["prepare"])
        for f in (frame, more)
    ]
    (train1, test1, _), (train2, test2, _) = parts
    assert train1[train1.store == "a"].equals(train2[train2.store == "a"])
    assert test1[test1.store == "a"].equals(test2[test2.store == "a"])
    assert len(train2[train2.store == "b"]) > len(train1[train1.store == "b"])


def test_rows_without_a_segment_are_left_out_and_counted(params):
    frame = segmented({"a": 40})
    frame.loc[:4, "store"] = None
    train, test, missing = split.split_segments(
        frame, "store", "label", "classification", params["prepare"]
    )
    assert missing == 5
    assert len(train) + len(test) == 35


def model_md5s() -> dict[str, str]:
    manifests = [common.read_json(p) for p in sorted(Path("models").glob("shard-*/manifest.json"))]
    return {name: e["md5"] for m in manifests for name, e in m["models"].items()}


def test_prepare_stores_each_shard_in_row_groups_a_shard_reads_alone(workdir, params):
    import pyarrow.parquet as pq

    segmented({f"s{i}": 30 + 7 * i for i in range(12)}).to_parquet("raw.parquet", index=False)
    common.write_json("validation.json", {"success": True})
    params["train"].update(MANY, shards=3, shard_ids=[0, 1, 2])
    Path("params.yaml").write_text(yaml.safe_dump(params), encoding="utf-8")
    split.prepare(
        "raw.parquet", "validation.json", "out", "label", "classification", params["prepare"]
    )
    plain = pq.read_table("out/train.parquet")
    assert pq.ParquetFile("out/train.parquet").metadata.num_row_groups == 3
    seen = []
    for k in range(3):
        mine = by_shard.read("out/train.parquet", "store", k, 3)
        assert {names.shard_of(s, 3) for s in mine["store"]} == {k}
        seen.append(mine)
        # the same rows, in the same order, as keeping them from the whole file
        assert mine.reset_index(drop=True).equals(by_shard.mine(plain, "store", k, 3))
    assert sum(map(len, seen)) == plain.num_rows
    # within a segment, the rows keep the order of the split
    train, _, _ = split.split_segments(
        pd.read_parquet("raw.parquet"), "store", "label", "classification", params["prepare"]
    )
    ours = pd.concat(seen).sort_values("store", kind="stable").reset_index(drop=True)
    assert ours.equals(train.sort_values("store", kind="stable").reset_index(drop=True))


def test_the_split_of_many_models_without_segment_by_is_one_line(workdir, params, capsys):
    params["train"].update(MANY, segment_by=None)
    Path("params.yaml").write_text(yaml.safe_dump(params), encoding="utf-8")
    segmented({"a": 40}).to_parquet("raw.parquet", index=False)
    common.write_json("validation.json", {"success": True})
    args = ["--data", "raw.parquet", "--validation", "validation.json", "--out", "out"]
    assert split.main(args) != 0
    assert "train.segment_by is empty" in capsys.readouterr().err
    assert not Path("out").exists()


def test_a_shard_reads_only_its_row_groups_and_else_the_whole_file(workdir, monkeypatch):
    import pyarrow.parquet as pq

    frame = segmented({f"s{i}": 20 + i for i in range(9)})
    by_shard.write(frame, "stored.parquet", "store", 2)
    frame.to_parquet("plain.parquet", index=False)
    by_shard.write(frame, "other.parquet", "store", 3)  # for another number of shards
    whole = []
    real_read = pq.ParquetFile.read

    def read(self, *args, **kwargs):
        whole.append(True)
        return real_read(self, *args, **kwargs)

    monkeypatch.setattr(pq.ParquetFile, "read", read)
    expected = by_shard.mine(pq.read_table("plain.parquet"), "store", 1, 2)
    got = by_shard.read("stored.parquet", "store", 1, 2).reset_index(drop=True)
    assert not whole
    assert (
        got.sort_values(["store", "x"])
        .reset_index(drop=True)
        .equals(expected.sort_values(["store", "x"]).reset_index(drop=True))
    )
    for path in ("plain.parquet", "other.parquet"):
        again = by_shard.read(path, "store", 1, 2)
        assert whole.pop()
        assert len(again) == len(expected)
        assert set(again["store"]) == set(expected["store"])


def test_a_file_whose_record_lies_is_read_whole(workdir):
    import pyarrow.parquet as pq

    frame = segmented({f"s{i}": 20 + i for i in range(9)})
    by_shard.write(frame, "stored.parquet", "store", 2)
    table = pq.read_table("stored.parquet")
    shuffled = table.take(np.random.default_rng(3).permutation(table.num_rows))
    with pq.ParquetWriter("lying.parquet", table.schema) as out:  # the record, other rows
        counts = json_record(table)["rows"]
        out.write_table(shuffled.slice(0, counts[0]))
        out.write_table(shuffled.slice(counts[0]))
    for k in (0, 1):
        rows_of = by_shard.read("lying.parquet", "store", k, 2)
        assert {names.shard_of(s, 2) for s in rows_of["store"]} == {k}
        assert len(rows_of) == counts[k]


def json_record(table) -> dict:
    return json.loads(table.schema.metadata[by_shard.KEY])


def test_files_stored_by_shard_keep_every_model_and_fit_the_same_ones(many, capsys):
    run_all(many, capsys)
    first = model_md5s()
    for part in ("train", "test"):
        frame = pd.read_parquet(f"data/{part}.parquet")
        by_shard.write(frame, f"data/{part}.parquet", "store", 2)
    assert trained(run_all(many, capsys)) == []  # the same rows of each segment
    for folder in Path("models").glob("shard-*"):
        for model in folder.glob("*/model.joblib"):
            model.unlink()
    assert trained(run_all(many, capsys)) == ["a", "b", "c", "d"]
    assert model_md5s() == first


def test_the_first_run_trains_every_model_and_the_next_none(many, capsys):
    said = run_all(many, capsys)
    assert trained(said) == ["a", "b", "c", "d"]
    manifests = [common.read_json(f"models/shard-{k}/manifest.json") for k in (0, 1)]
    skipped = {n: e for m in manifests for n, e in m["skipped"].items()}
    assert list(skipped) == ["tiny"]
    assert "fewer than train.min_rows (20)" in skipped["tiny"]["reason"]
    for manifest in manifests:
        for name, entry in manifest["models"].items():
            folder = Path(f"models/shard-{manifest['shard']}") / entry["dir"]
            assert sorted(p.name for p in folder.iterdir()) == [
                "metrics.json",
                "model.joblib",
                "profile.json",
            ]
            assert names.shard_of(name, 2) == manifest["shard"]
    assert trained(run_all(many, capsys)) == []


def test_an_override_retrains_that_model_only(many, capsys):
    run_all(many, capsys)
    before = common.read_json(f"models/shard-{names.shard_of('a', 2)}/manifest.json")["models"]
    many["train"]["overrides"] = {"c": {"random_forest": {"n_estimators": 4}}}
    Path("params.yaml").write_text(yaml.safe_dump(many), encoding="utf-8")
    assert trained(run_all(many, capsys)) == ["c"]
    after = common.read_json(f"models/shard-{names.shard_of('a', 2)}/manifest.json")["models"]
    assert after["a"]["md5"] == before["a"]["md5"]


def test_changed_rows_retrain_that_model_and_a_gone_segment_loses_its_folder(many, capsys):
    run_all(many, capsys)
    train = pd.read_parquet("data/train.parquet")
    train.loc[train.index[train.store == "b"][0], "x"] = 42.0
    train = train[train.store != "d"]
    train.to_parquet("data/train.parquet", index=False)
    assert trained(run_all(many, capsys)) == ["b"]
    assert not Path(f"models/shard-{names.shard_of('d', 2)}/d").exists()


def test_an_evaluation_setting_scores_again_without_fitting(many, capsys):
    run_all(many, capsys)
    many["evaluate"]["bootstrap"]["resamples"] = 60
    Path("params.yaml").write_text(yaml.safe_dump(many), encoding="utf-8")
    said = run_all(many, capsys)
    assert trained(said) == []
    assert all(" 0 trained" in line for line in said.values())


def test_fitting_in_parallel_gives_the_models_of_fitting_in_turn(many, capsys, tmp_path):
    import joblib

    run_all(many, capsys)
    serial = {p: joblib.load(p) for p in Path("models").rglob("model.joblib")}
    many["train"]["n_jobs"] = 2
    Path("params.yaml").write_text(yaml.safe_dump(many), encoding="utf-8")
    for k in (0, 1):
        Path(f"models/shard-{k}/manifest.json").unlink()
    assert trained(run_all(many, capsys)) == ["a", "b", "c", "d"]
    frame = pd.read_parquet("data/test.parquet").drop(columns=["store", "label"])
    for path, model in serial.items():
        again = joblib.load(path)
        np.testing.assert_allclose(again.predict_proba(frame), model.predict_proba(frame))


def test_the_aggregate_weighs_each_model_by_its_test_rows(many, capsys):
    run_all(many, capsys)
    args = ["--models", "reports/models.json", "--metrics", "reports/metrics.json"]
    assert aggregate.main([*args, "--plots", "reports/plots", "--shards", "build/shards"]) == 0
    listing = json.loads(Path("reports/models.json").read_text(encoding="utf-8"))
    assert sorted(listing["models"]) == ["a", "b", "c", "d"]
    assert list(listing["skipped"]) == ["tiny"]
    weights = {n: e["rows"]["test"] for n, e in listing["models"].items()}
    expected = sum(weights[n] * e["metrics"]["accuracy"] for n, e in listing["models"].items())
    assert listing["aggregate"]["accuracy"] == pytest.approx(
        expected / sum(weights.values()), rel=1e-5
    )
    assert common.read_json("reports/metrics.json") == listing["aggregate"]
    assert (
        len(Path("reports/models.json").read_text().splitlines()) == 4 + 4 + 3 + 3
    )  # a line a model
    import jsonschema
    from mlops_kit import schemas

    jsonschema.validate(listing, schemas.schema("models"))
    hashes = rows.hashes(pd.read_parquet("data/train.parquet"), "store")
    assert {n: e["data"] for n, e in listing["models"].items()} == {n: hashes[n] for n in "abcd"}
    assert len(pd.read_csv("reports/plots/models.csv")) == 4


def test_an_override_of_no_model_is_noted(many, capsys):
    many["train"]["overrides"] = {"nowhere": {"seed": 3}}
    Path("params.yaml").write_text(yaml.safe_dump(many), encoding="utf-8")
    run_all(many, capsys)
    args = ["--models", "m.json", "--metrics", "x.json", "--plots", "p", "--shards", "build/shards"]
    assert aggregate.main(args) == 0
    assert "train.overrides names 1 models the data has not: 'nowhere'" in capsys.readouterr().out


def test_a_shard_without_its_plan_is_one_line_and_writes_nothing(many, capsys):
    args = ["--shard", "0", "--plan", "build/plan/shard-0.json", "--out", "models/shard-0"]
    args += ["--train", "data/train.parquet", "--test", "data/test.parquet"]
    assert shard.main(args, build=build_pipeline) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ")
    assert err.count("\n") == 1
    assert not Path("models").exists()


def test_only_the_models_asked_for_are_explained_and_sliced(many, capsys):
    import jsonschema
    from mlops_kit import schemas

    many["evaluate"]["explain_models"] = ["b"]
    many["evaluate"]["slices"] = ["colour"]
    Path("params.yaml").write_text(yaml.safe_dump(many), encoding="utf-8")
    run_all(many, capsys)
    folders = {p.name: p for p in Path("models").glob("shard-*/*") if p.is_dir()}
    for name in ("explain", "slices"):
        path = folders["b"] / f"{name}.json"
        jsonschema.validate(json.loads(path.read_text(encoding="utf-8")), schemas.schema(name))
        assert not (folders["a"] / f"{name}.json").exists()
    sliced = json.loads((folders["b"] / "slices.json").read_text(encoding="utf-8"))
    assert [s["column"] for s in sliced["slices"]] == ["colour"]
    # Asked no more: scored again, nothing fitted, its extra files gone.
    many["evaluate"]["explain_models"] = []
    Path("params.yaml").write_text(yaml.safe_dump(many), encoding="utf-8")
    assert trained(run_all(many, capsys)) == []
    assert not (folders["b"] / "explain.json").exists()


def test_the_training_code_fingerprint_covers_the_owners_modules_however_the_stage_runs(tmp_path):
    """`python -m <package>.train` runs the stage module as __main__: its package's modules
    still count, the same as when it is imported, and editing one changes the fingerprint."""
    import os
    import subprocess
    import sys

    from kit.project import environment

    package = tmp_path / "ownpkg"
    package.mkdir()
    (package / "__init__.py").write_text("", encoding="utf-8")
    (package / "model.py").write_text("TREES = 20\n", encoding="utf-8")
    (package / "train.py").write_text(
        "from mlops_kit.segments import survey\n"
        "from ownpkg import model\n\n\n"
        "def build(frame, task, params):\n    return model.TREES\n\n\n"
        "if __name__ == '__main__':\n    print(survey.code_of(build, ()))\n",
        encoding="utf-8",
    )
    env = {**os.environ, **environment()}
    env["PYTHONPATH"] = os.pathsep.join([str(tmp_path), env["PYTHONPATH"]])
    imported = "from ownpkg import train; print(train.survey.code_of(train.build, ()))"

    def codes() -> tuple[str, str]:
        ran = [sys.executable, "-m", "ownpkg.train"], [sys.executable, "-c", imported]
        found = [
            subprocess.run(a, cwd=tmp_path, env=env, capture_output=True, text=True) for a in ran
        ]
        assert all(f.returncode == 0 for f in found), [f.stderr for f in found]
        return found[0].stdout.strip(), found[1].stdout.strip()

    as_main, as_import = codes()
    assert as_main == as_import
    (package / "model.py").write_text("TREES = 21\n", encoding="utf-8")
    assert codes()[0] != as_main
