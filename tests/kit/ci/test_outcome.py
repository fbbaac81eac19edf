"""The job's outcome, from its steps and DVC's real output, and the report's verdict from it:
never a stale pass."""

import subprocess
import sys
from pathlib import Path

import pytest
from mlops_kit import common
from mlops_kit.reporting import outcome, report

STEPS = [
    "Install",
    "Get data from the DVC remote",
    "Reproduce the pipeline",
    "Find the baseline",
    "Compare with the baseline",
    "Test the trained model",
]
FAILED_VALIDATION = {
    "success": False,
    "evaluated": 4,
    "successful": 3,
    "unsuccessful": 1,
    "rows": 9,
    "failed": [
        {
            "expectation": "expect_column_values_to_be_between",
            "column": "size",
            "unexpected_count": 9,
            "examples": [-5000],
        }
    ],
}
PASSED = {"baseline": "abc", "baseline_found": True, "metrics": [], "regressions": []}


def steps(**outcomes: str) -> list[str]:
    """--step arguments in the workflow's order: each step's outcome, given by its first
    word (default: success)."""
    args = []
    for name in STEPS:
        args += ["--step", f"{name}={outcomes.get(name.split()[0].lower(), 'success')}"]
    return args


STOPPED = {"find": "skipped", "compare": "skipped", "test": "skipped"}


def dvc_repro_log(workdir: Path, stage_cmd: str) -> str:
    """What the real `dvc repro` prints for a one-stage pipeline running ``stage_cmd``."""
    subprocess.run(["git", "init", "-q"], check=True)
    subprocess.run([sys.executable, "-m", "dvc", "init", "-q"], check=True)
    Path("dvc.yaml").write_text(f"stages:\n  validate:\n    cmd: {stage_cmd}\n", encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "dvc", "repro"], capture_output=True, text=True, check=False
    )
    assert result.returncode != 0
    return result.stdout + result.stderr


def run(args: list[str], capsys) -> tuple[int, dict, str]:
    code = outcome.main([*args, "--out", "reports/outcome.json"])
    return code, common.read_json("reports/outcome.json"), capsys.readouterr().out


def test_failed_validation_is_named_from_dvcs_output(workdir, capsys, monkeypatch):
    monkeypatch.setenv("DVC_NO_ANALYTICS", "1")
    Path("repro.log").write_text(dvc_repro_log(workdir, "exit 1"), encoding="utf-8")
    common.write_json("reports/validation.json", FAILED_VALIDATION)
    common.write_json("reports/compare.json", PASSED)  # left over: not this run's
    code, found, out = run([*steps(reproduce="failure", **STOPPED), "--log", "repro.log"], capsys)
    assert code == 1
    assert found["state"] == "validation_failed"
    assert found["stage"] == "validate"
    assert found["compared"] is False
    assert out == (
        "::error::Data validation failed (stage 'validate'): 1 not met; "
        "see the report in the job summary\n"
    )
    compare = common.read_json("reports/compare.json")
    text = report.render(compare, FAILED_VALIDATION, [], outcome=found)
    assert text.splitlines()[1] == "## Pipeline report: ❌ data validation failed"
    assert "✅" not in text
    assert "### Metrics\n\nNot compared: the pipeline stopped at stage `validate`." in text
    assert "### Parameters\n\nNot compared: the pipeline stopped at stage `validate`." in text
    assert "| `expect_column_values_to_be_between` | `size` | 9 | `[-5000]` |" in text


def test_a_failed_stage_is_named(workdir, capsys):
    log = (
        "Running stage 'validate':\n> python -m p.validate\n"
        "Stage 'validate' didn't change, skipping\nRunning stage 'train':\n"
        "ERROR: failed to reproduce 'train': failed to run: python -m p.train, exited with 1\n"
    )
    Path("repro.log").write_text(log, encoding="utf-8")
    common.write_json("reports/validation.json", {**FAILED_VALIDATION, "success": True})
    code, found, out = run([*steps(reproduce="failure", **STOPPED), "--log", "repro.log"], capsys)
    assert code == 1
    assert (found["state"], found["stage"]) == ("stage_failed", "train")
    assert out.startswith("::error::The pipeline failed at stage 'train': ERROR: failed to")
    text = report.render(None, common.read_json("reports/validation.json"), [], outcome=found)
    assert text.splitlines()[1] == "## Pipeline report: ❌ pipeline failed at stage `train`"
    assert "Validation passed" in text  # it ran before train


def test_stage_before_validation_hides_the_committed_summary(workdir, capsys):
    log = "Running stage 'ingest':\nERROR: failed to reproduce 'ingest': exited with 1\n"
    Path("repro.log").write_text(log, encoding="utf-8")
    _, found, _ = run([*steps(reproduce="failure", **STOPPED), "--log", "repro.log"], capsys)
    text = report.render(None, {**FAILED_VALIDATION, "success": True}, [], outcome=found)
    assert "Validation passed" not in text
    assert "No validation summary: validation did not run." in text


def test_regression_and_pass(workdir, capsys):
    common.write_json("reports/compare.json", {**PASSED, "regressions": ["f1"], "passed": False})
    code, found, out = run(steps(compare="failure"), capsys)
    assert (code, found["state"], found["compared"]) == (1, "regressed", True)
    assert "The new model is worse than the baseline beyond tolerance: f1" in out
    assert "❌ regression" in report.verdict(None, None, found)
    common.write_json("reports/compare.json", {**PASSED, "passed": True})
    code, found, out = run(steps(), capsys)
    assert (code, found["state"]) == (0, "passed")
    assert report.verdict({**PASSED, "passed": True}, None, found) == "✅ pass"


@pytest.mark.parametrize("step", ["Install", "Test the trained model"])
def test_a_failed_step_is_named(workdir, capsys, step):
    common.write_json("reports/compare.json", {**PASSED, "passed": True})
    after = {"find": "skipped", "compare": "skipped"} if step == "Install" else {}
    code, found, out = run(steps(**after, **{step.split()[0].lower(): "failure"}), capsys)
    assert (code, found["state"], found["step"]) == (1, "failed", step)
    assert out == f"::error::Step '{step}' failed\n"
    shown = report.render({**PASSED, "passed": True}, None, [], outcome=found)
    assert f"❌ failed at step `{step}`" in shown.splitlines()[1]
    assert "✅" not in shown


def test_no_outcome_from_a_job_that_failed(workdir):
    assert "ended (failure)" in report.verdict(None, None, None, "failure")
    args = ["--job-result", "failure", "--outcome", "absent.json", "--out", "r.md"]
    assert report.main(args) == 0
    assert "❌ the pipeline job ended (failure)" in Path("r.md").read_text(encoding="utf-8")
