"""The preamble every stage shares: params.yaml read once, one clear line when it is wrong."""

import copy
import importlib
import subprocess
import sys

import pandas as pd
import pytest
from mlops_kit import common

PIPELINE = "mlops_kit.pipeline"
CALL_INGEST = "import sys; from mlops_kit.pipeline import ingest; sys.exit(ingest.main())"
# Each stage's arguments, to files of the tests' own (tests/code/test_dvc_yaml.py checks
# that each stage accepts the arguments dvc.yaml gives it).
STAGE_ARGS = {
    name: args.split()
    for name, args in {
        "ingest": "--out raw.parquet",
        "validate": "--data raw.parquet --suite suite.json --summary v.json --report v.md",
        "prepare": "--data raw.parquet --validation v.json --out prepared",
        "train": "--train prepared/train.parquet --model model.joblib",
        "evaluate": "--model model.joblib --train prepared/train.parquet --test "
        "prepared/test.parquet --metrics m.json --plots plots --profile profile.json "
        "--slices slices.json --explain explain.json",
    }.items()
}


def test_stage_params_reads_target_task_and_the_section(workdir, params, set_params):
    params["ingest"].update(target="label", task="regression")
    set_params(params)
    target, task, section = common.stage_params("train")
    assert (target, task, section) == ("label", "regression", params["train"])
    assert common.stage_params("evaluate").params == params["evaluate"]


@pytest.mark.parametrize(
    ("contents", "expected"),
    [
        (None, "error: params.yaml not found; run the command from the project root"),
        ("ingest: [unclosed\n", "error: params.yaml is not valid YAML"),
        ("- a list\n", "error: params.yaml has no '"),
    ],
    ids=["missing", "broken", "not-a-mapping"],
)
@pytest.mark.parametrize("stage", ["ingest", "validate", "prepare", "train", "evaluate"])
def test_every_stage_reports_a_bad_params_file_in_one_line(
    tmp_path, monkeypatch, capsys, stage, contents, expected
):
    monkeypatch.chdir(tmp_path)
    if contents is not None:
        (tmp_path / "params.yaml").write_text(contents, encoding="utf-8")
    module = importlib.import_module(f"{PIPELINE}.{stage}")
    assert module.main(STAGE_ARGS[stage]) == 2
    error = capsys.readouterr().err
    assert error.startswith(expected)
    assert error.count("\n") == 1
    assert list(tmp_path.iterdir()) == ([] if contents is None else [tmp_path / "params.yaml"])


@pytest.mark.parametrize("stage", ["prepare", "train", "evaluate"])
def test_a_missing_section_or_bad_task_is_named(workdir, params, set_params, capsys, stage):
    module = importlib.import_module(f"{PIPELINE}.{stage}")
    without = copy.deepcopy(params)
    del without[stage]
    set_params(without)
    assert module.main(STAGE_ARGS[stage]) == 2
    assert f"params.yaml has no '{stage}:' section" in capsys.readouterr().err
    params["ingest"]["task"] = "clustering"
    set_params(params)
    assert module.main(STAGE_ARGS[stage]) == 2
    assert "ingest.task must be 'classification' or 'regression'" in capsys.readouterr().err


@pytest.mark.parametrize(("source", "code"), [("sklearn:wine", 0), ("sklearn:nope", 2)])
def test_a_stage_process_flushes_its_output_and_exits_with_main_s_code(
    workdir, params, set_params, source, code
):
    """A stage process ends with main()'s code, its printed line and its file all there."""
    params["ingest"].update(source=source, target="target", task="classification")
    set_params(params)
    result = subprocess.run(
        [sys.executable, "-c", CALL_INGEST, "--out", "raw/data.parquet"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == code, result.stderr
    if code == 0:
        assert result.stdout.startswith("ingest: 178 rows from sklearn:wine")
        assert len(pd.read_parquet(workdir / "raw" / "data.parquet")) == 178
    else:
        assert result.stdout == ""
        assert result.stderr.startswith("error: ingest.source: unknown data set 'sklearn:nope'")
        assert result.stderr.count("\n") == 1


def test_a_stage_run_as_a_program_freezes_before_its_normal_exit(tmp_path):
    """Run as a program, the collector's last passes are skipped; the exit is still the
    interpreter's own (atexit handlers run). Called with arguments, nothing changes."""
    done = tmp_path / "atexit-ran"
    script = (
        "import atexit, gc, pathlib, sys\n"
        "from mlops_kit import common\n"
        f"atexit.register(pathlib.Path({str(done)!r}).touch)\n"
        "common.before_exit(['--out', 'x'])\n"
        "print(gc.get_freeze_count())\n"
        "common.before_exit(None)\n"
        "print(gc.get_freeze_count())\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=False
    )
    assert run.returncode == 0, run.stderr
    in_process, as_program = (int(n) for n in run.stdout.split())
    assert in_process == 0
    assert as_program > 1000
    assert done.is_file()
