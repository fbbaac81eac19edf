"""Batch prediction (python -m mlops_kit.serving.predict) on files of the small project's rows."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from mlops_kit import common
from mlops_kit.serving import input_checks, input_rules, predict

MODEL, SUITE = "models/model.joblib", "expectations/suite.json"


@pytest.fixture
def inputs(rows, tmp_path):
    """The rows with an id column, as a CSV file."""
    frame = rows.assign(id=[f"r{n}" for n in range(len(rows))])
    frame.to_csv(tmp_path / "new.csv", index=False)
    return frame


def run(small_project, *args: str) -> int:
    return predict.main(
        ["--model", str(small_project / MODEL), "--suite", str(small_project / SUITE), *args]
    )


def test_csv_in_parquet_out_with_ids_predictions_and_probabilities(
    small_project, tmp_path, model, inputs
):
    assert (
        run(
            small_project,
            "--input",
            str(tmp_path / "new.csv"),
            "--out",
            str(tmp_path / "out.parquet"),
        )
        == 0
    )
    out = pd.read_parquet(tmp_path / "out.parquet")
    assert list(out.columns) == ["id", "prediction", "probability_high", "probability_low"]
    assert out["id"].tolist() == inputs["id"].tolist()
    features = inputs.drop(columns="id")
    assert out["prediction"].tolist() == model.predict(features).tolist()
    np.testing.assert_allclose(
        out[["probability_high", "probability_low"]], model.predict_proba(features)
    )


def test_a_bad_row_stops_the_run_naming_it_and_writes_nothing(
    small_project, tmp_path, inputs, capsys
):
    inputs.loc[5, "colour"] = "purple"
    inputs.to_csv(tmp_path / "new.csv", index=False)
    out = tmp_path / "out.csv"
    assert run(small_project, "--input", str(tmp_path / "new.csv"), "--out", str(out)) == 2
    error = capsys.readouterr().err
    assert error.startswith(
        f"error: {tmp_path / 'new.csv'}: row 6, column 'colour': 'purple' is not one"
    )
    assert error.strip().endswith("(rule expect_column_values_to_be_in_set)")
    assert list(tmp_path.iterdir()) == [tmp_path / "new.csv"]


def test_a_missing_column_stops_the_run(small_project, tmp_path, inputs, capsys):
    inputs.drop(columns="visits").to_csv(tmp_path / "new.csv", index=False)
    assert (
        run(
            small_project,
            "--input",
            str(tmp_path / "new.csv"),
            "--out",
            str(tmp_path / "o.csv"),
        )
        == 2
    )
    assert "column 'visits': the column is missing" in capsys.readouterr().err


def test_skip_mode_sets_bad_rows_aside_with_their_reasons(small_project, tmp_path, model, inputs):
    broken = inputs.astype({"visits": object, "member": object})
    broken.loc[2, "visits"] = "many"
    broken.loc[7, "member"] = None
    broken.to_csv(tmp_path / "new.csv", index=False)
    out = tmp_path / "out.csv"
    assert (
        run(
            small_project,
            "--input",
            str(tmp_path / "new.csv"),
            "--out",
            str(out),
            "--on-error",
            "skip",
        )
        == 0
    )
    rejected = pd.read_csv(tmp_path / "out.rejected.csv")
    assert rejected["row"].tolist() == [3, 8]
    assert rejected["id"].tolist() == ["r2", "r7"]
    type_rule, null_rule = input_rules.TYPE, input_rules.NOT_NULL
    assert rejected["reason"].tolist() == [
        f"column 'visits': 'many' is not a whole number (rule {type_rule})",
        f"column 'member': the value is missing (rule {null_rule})",
    ]
    scored = pd.read_csv(out)
    kept = inputs.drop(index=[2, 7])
    assert scored["id"].tolist() == kept["id"].tolist()
    assert scored["prediction"].tolist() == model.predict(kept.drop(columns="id")).tolist()


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_a_file_larger_than_a_batch_is_read_in_batches(
    small_project, tmp_path, model, inputs, suffix, monkeypatch
):
    big = pd.concat([inputs] * 5, ignore_index=True)  # 200 rows
    source = tmp_path / f"big{suffix}"
    if suffix == ".csv":
        big.to_csv(source, index=False)
    else:
        big.to_parquet(source, index=False, row_group_size=50)
    sizes = []
    checked = input_checks.check

    def counting(frame, checks):
        sizes.append(len(frame))
        return checked(frame, checks)

    monkeypatch.setattr(input_checks, "check", counting)
    scored = predict.predict(
        small_project / MODEL,
        source,
        tmp_path / "out.parquet",
        suite=small_project / SUITE,
        rows=30,
    )
    assert scored == (200, 0)
    assert sizes == [30] * 6 + [20]
    out = pd.read_parquet(tmp_path / "out.parquet")
    assert out["prediction"].tolist() == model.predict(big.drop(columns="id")).tolist()


def test_rows_are_counted_across_batches(small_project, tmp_path, inputs):
    big = pd.concat([inputs] * 3, ignore_index=True)
    big.loc[95, "visits"] = 99
    big.to_csv(tmp_path / "big.csv", index=False)
    with pytest.raises(common.UserError, match=r"row 96, column 'visits': 99 is above the maximum"):
        predict.predict(
            small_project / MODEL,
            tmp_path / "big.csv",
            tmp_path / "o.csv",
            suite=small_project / SUITE,
            rows=25,
        )
    assert not (tmp_path / "o.csv").exists()


def test_rules_ignore_the_target_and_whole_table_expectations(small_project):
    suite = common.read_json(small_project / SUITE)
    checks = input_rules.columns(suite, ["size", "colour"])
    assert [c.name for c in checks] == ["size", "colour"]
    assert (checks[0].kind, checks[0].nullable, checks[0].allowed) == ("number", True, None)
    assert (checks[1].kind, checks[1].allowed) == ("text", ["blue", "green", "red"])
    kinds = {e["type"] for e in suite["expectations"]}
    assert "expect_table_row_count_to_be_between" in kinds  # in the suite, not a row rule


@pytest.mark.parametrize(
    ("name", "content", "says"),
    [
        ("broken.csv", b'size,visits\n1,2\n"unclosed\n', "cannot read"),
        ("broken.parquet", b"not parquet", "cannot read"),
        ("rows.txt", b"size\n1\n", "unsupported file type; use .csv or .parquet"),
    ],
    ids=["csv", "parquet", "suffix"],
)
def test_an_unreadable_input_is_one_line(small_project, tmp_path, capsys, name, content, says):
    (tmp_path / name).write_bytes(content)
    out = tmp_path / "out.csv"
    assert run(small_project, "--input", str(tmp_path / name), "--out", str(out)) == 2
    error = capsys.readouterr().err
    assert says in error
    assert error.count("\n") == 1
    assert not out.exists()


@pytest.mark.parametrize(
    "estimator", ["RandomForestClassifier", "HistGradientBoostingClassifier", "LogisticRegression"]
)
def test_score_predicts_as_the_model_does_for_each_kind_of_classifier(estimator):
    from sklearn import ensemble, linear_model

    rng = np.random.default_rng(3)
    features = pd.DataFrame({"size": rng.normal(10, 3, 200), "visits": rng.integers(0, 5, 200)})
    labels = np.where(features["size"] + rng.normal(0, 2, 200) > 10, "high", "low")
    kind = getattr(ensemble, estimator, None) or getattr(linear_model, estimator)
    model = kind(random_state=0).fit(features, labels)
    assert predict.argmax_predicts(model) == (estimator != "LogisticRegression")
    scored = predict.score(model, features)
    assert scored["prediction"].tolist() == model.predict(features).tolist()


# Every refusal below: exit 2, one line on stderr, the input's bytes as they were and no new
# file (no output, no partial file, no folder) anywhere under the test's folder.


def files(folder) -> dict:
    """Every path under ``folder`` with its bytes (None for a folder)."""
    return {p: (p.read_bytes() if p.is_file() else None) for p in sorted(folder.rglob("*"))}


def refused(small_project, folder, capsys, *args: str) -> str:
    before = files(folder)
    assert run(small_project, *args) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("error: ")
    assert captured.err.count("\n") == 1, captured.err
    assert "Traceback" not in captured.err
    assert files(folder) == before
    return captured.err


@pytest.mark.parametrize(
    ("out", "rejected", "says"),
    [
        ("new.csv", None, "--out {tmp}/new.csv is the input"),
        ("sub/../new.csv", None, "--out {tmp}/sub/../new.csv is the input"),
        ("link.csv", None, "--out {tmp}/link.csv is the input"),
        ("hard.csv", None, "--out {tmp}/hard.csv is the input"),
        ("out.csv", "new.csv", "--rejected {tmp}/new.csv is the input"),
        ("out.csv", "link.csv", "--rejected {tmp}/link.csv is the input"),
        ("out.csv", "out.csv", "--out and --rejected are one file"),
        ("new.rejected.csv", "", "--rejected {tmp}/new.rejected.csv is the input"),
    ],
    ids=["same", "dotdot", "symlink", "hardlink", "rejected", "rejected-link", "both", "default"],
)
def test_an_output_that_is_the_input_is_refused_before_reading(
    small_project, tmp_path, inputs, capsys, out, rejected, says
):
    (tmp_path / "sub").mkdir()
    (tmp_path / "link.csv").symlink_to(tmp_path / "new.csv")
    (tmp_path / "hard.csv").hardlink_to(tmp_path / "new.csv")
    source = tmp_path / "new.csv"
    if out == "new.rejected.csv":  # the default rejected file of --out new.csv is the input
        source = source.rename(tmp_path / out)
        out = "new.csv"
    args = ["--input", str(source), "--out", str(tmp_path / out), "--on-error", "skip"]
    if rejected:
        args += ["--rejected", str(tmp_path / rejected)]
    error = refused(small_project, tmp_path, capsys, *args)
    assert says.format(tmp=tmp_path) in error


def test_an_output_that_is_a_partial_file_of_the_input_is_refused(
    small_project, tmp_path, inputs, capsys
):
    source = (tmp_path / "new.csv").rename(tmp_path / ".out.csv.partial")
    args = ["--input", str(source), "--out", str(tmp_path / "out.csv")]
    assert "is the input" in refused(small_project, tmp_path, capsys, *args)


def read_only(folder):
    """Make ``folder`` unwritable: its mode as a user; immutable (chattr +i) as root, whom
    modes do not stop. Undone after the test."""
    import os
    import subprocess

    if os.geteuid() != 0:
        folder.chmod(0o555)
        return lambda: folder.chmod(0o755)
    done = subprocess.run(["chattr", "+i", str(folder)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"root, and chattr +i does not work here: {done.stderr!r}")
    return lambda: subprocess.run(["chattr", "-i", str(folder)], check=True)


@pytest.mark.parametrize("where", ["folder", "under-file", "read-only", "read-only-new-sub"])
def test_an_output_that_cannot_be_written_is_refused_before_reading(
    small_project, tmp_path, inputs, capsys, where
):
    (tmp_path / "existing.csv").mkdir()
    (tmp_path / "locked").mkdir()
    out = {
        "folder": tmp_path / "existing.csv",
        "under-file": tmp_path / "new.csv" / "deeper" / "out.csv",
        "read-only": tmp_path / "locked" / "out.parquet",
        "read-only-new-sub": tmp_path / "locked" / "sub" / "out.csv",
    }[where]
    says = {
        "folder": "is a folder; give a file name",
        "under-file": f"{tmp_path / 'new.csv'} is a file, not a folder",
        "read-only": f"the folder {tmp_path / 'locked'} cannot be written",
        "read-only-new-sub": f"the folder {tmp_path / 'locked'} cannot be written",
    }[where]
    undo = read_only(tmp_path / "locked")
    try:
        args = ["--input", str(tmp_path / "new.csv"), "--out", str(out)]
        assert says in refused(small_project, tmp_path, capsys, *args)
    finally:
        undo()


def write_limited(small_project, folder, out, limit: int, *extra: str):
    """`python -m mlops_kit.serving.predict` with files limited to ``limit`` bytes
    (RLIMIT_FSIZE, which binds root too): the writer fails in the middle of the run."""
    import resource
    import subprocess
    import sys

    def limited():
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    command = [sys.executable, "-m", "mlops_kit.serving.predict", "--model"]
    command += [str(small_project / MODEL), "--suite", str(small_project / SUITE)]
    command += ["--input", str(folder / "big.csv"), "--out", str(out), "--batch-rows", "40"]
    return subprocess.run(
        [*command, *extra], capture_output=True, text=True, preexec_fn=limited, timeout=120
    )


@pytest.mark.parametrize("name", ["out.csv", "made/for/it/out.parquet"])
def test_a_write_failing_mid_run_is_one_line_and_leaves_nothing(
    small_project, tmp_path, inputs, name
):
    pd.concat([inputs] * 50, ignore_index=True).to_csv(tmp_path / "big.csv", index=False)
    (tmp_path / "new.csv").unlink()
    before = files(tmp_path)
    done = write_limited(small_project, tmp_path, tmp_path / name, 4096)
    assert done.returncode == 2, done.stderr
    assert done.stdout == ""
    assert done.stderr.count("\n") == 1, done.stderr
    assert "Traceback" not in done.stderr
    assert done.stderr.startswith(f"error: cannot write {tmp_path / name}: ")
    assert "File too large" in done.stderr
    assert files(tmp_path) == before


@pytest.mark.parametrize(
    "kind",
    [
        pa.list_(pa.float64()),
        pa.struct([("x", pa.float64())]),
        pa.map_(pa.string(), pa.float64()),
    ],
    ids=["list", "struct", "map"],
)
def test_a_parquet_column_of_lists_or_nested_values_is_one_line(
    small_project, tmp_path, inputs, capsys, kind
):
    import pyarrow.parquet as pq

    table = pa.Table.from_pandas(inputs, preserve_index=False)
    values = {
        "list": [[1.0, 2.0]] * len(inputs),
        "struct": [{"x": 1.0}] * len(inputs),
        "map": [[("a", 1.0)]] * len(inputs),
    }
    column = pa.array(values[next(k for k in values if k in str(kind))], kind)
    table = table.set_column(table.schema.get_field_index("size"), "size", column)
    pq.write_table(table, tmp_path / "nested.parquet")
    args = ["--input", str(tmp_path / "nested.parquet"), "--out", str(tmp_path / "o.parquet")]
    error = refused(small_project, tmp_path, capsys, *args)
    assert "column 'size' holds lists or nested values" in error


def test_a_list_column_the_model_does_not_take_is_copied_or_ignored(
    small_project, tmp_path, inputs, model
):
    import pyarrow.parquet as pq

    table = pa.Table.from_pandas(inputs.assign(tags=[["a", "b"]] * len(inputs)))
    pq.write_table(table, tmp_path / "tags.parquet")
    args = ["--input", str(tmp_path / "tags.parquet"), "--out", str(tmp_path / "o.csv")]
    assert run(small_project, *args) == 0
    scored = pd.read_csv(tmp_path / "o.csv")
    assert scored["prediction"].tolist() == model.predict(inputs.drop(columns="id")).tolist()


@pytest.mark.parametrize(("suffix", "flag"), [(".csv", None), (".parquet", None), (".csv", "key")])
def test_an_empty_input_keeps_the_id_column_in_the_header(
    small_project, tmp_path, inputs, suffix, flag
):
    header = inputs.iloc[:0].rename(columns={"id": flag or "id"})
    source = tmp_path / f"empty{suffix}"
    if suffix == ".csv":
        header.to_csv(source, index=False)
    else:
        header.to_parquet(source, index=False)
    out = tmp_path / f"out{suffix}"
    args = ["--input", str(source), "--out", str(out), *(["--id", flag] if flag else [])]
    assert run(small_project, *args) == 0
    written = pd.read_csv(out) if suffix == ".csv" else pd.read_parquet(out)
    assert len(written) == 0
    assert list(written.columns) == [
        flag or "id",
        "prediction",
        "probability_high",
        "probability_low",
    ]


def test_an_id_column_the_input_lacks_is_refused_before_scoring(
    small_project, tmp_path, inputs, capsys
):
    args = ["--input", str(tmp_path / "new.csv"), "--out", str(tmp_path / "o.csv"), "--id", "key"]
    assert "has no id column 'key' (--id)" in refused(small_project, tmp_path, capsys, *args)


def test_an_unexpected_failure_is_one_line_and_exit_2_from_the_command(
    small_project, tmp_path, inputs
):
    import subprocess
    import sys

    import joblib
    from sklearn.tree import DecisionTreeClassifier

    broken = DecisionTreeClassifier().fit(inputs[["visits"]], inputs["visits"] > 2)
    broken.tree_ = None  # loads, has its columns, and fails inside scikit-learn when scoring
    joblib.dump(broken, tmp_path / "broken.joblib")
    before = files(tmp_path)
    command = [sys.executable, "-m", "mlops_kit.serving.predict"]
    command += ["--model", str(tmp_path / "broken.joblib"), "--suite", str(small_project / SUITE)]
    command += ["--input", str(tmp_path / "new.csv"), "--out", str(tmp_path / "o.csv")]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert done.stderr.startswith("error: predict failed: AttributeError: ")
    assert done.stderr.count("\n") == 1, done.stderr
    assert "Traceback" not in done.stderr
    assert files(tmp_path) == before
