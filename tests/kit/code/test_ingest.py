import subprocess
import sys

import pandas as pd
import pytest
from mlops_kit import common
from mlops_kit.pipeline import ingest


def test_csv_source_is_copied_through(workdir, classification_frame):
    classification_frame.to_csv("source.csv", index=False)
    frame = ingest.load_source("source.csv", "label")
    pd.testing.assert_frame_equal(frame, pd.read_csv("source.csv"))


def test_parquet_source_is_read(workdir, regression_frame):
    regression_frame.to_parquet("source.parquet", index=False)
    frame = ingest.load_source("source.parquet", "label")
    assert list(frame.columns) == list(regression_frame.columns)
    assert len(frame) == len(regression_frame)


def test_bundled_source_names_the_target_column():
    frame = ingest.load_source("sklearn:wine", "cultivar")
    assert frame.shape == (178, 14)
    assert frame.columns[-1] == "cultivar"
    assert "target" not in frame.columns


@pytest.mark.parametrize("source", ["sklearn:iris", "data/raw.txt", "s3://bucket/x"])
def test_unknown_source_is_refused(source):
    with pytest.raises(common.UserError, match="sklearn:breast_cancer"):
        ingest.load_source(source, "target")


def test_missing_target_names_the_columns(workdir, classification_frame):
    classification_frame.to_csv("source.csv", index=False)
    with pytest.raises(common.UserError, match=r"'churn' not found.*'size', 'visits'"):
        ingest.load_source("source.csv", "churn")


def test_missing_file_is_reported(workdir):
    with pytest.raises(common.UserError, match="absent.csv not found"):
        ingest.load_source("absent.csv", "label")


def test_main_writes_parquet_in_row_groups(
    workdir, params, set_params, classification_frame, monkeypatch
):
    import pyarrow.parquet as pq

    classification_frame.to_csv("source.csv", index=False)
    params["ingest"].update(source="source.csv", target="label")
    set_params(params)
    monkeypatch.setattr(ingest, "ROW_GROUP_ROWS", 30)
    assert ingest.main(["--out", "data/raw/data.parquet"]) == 0
    written = pd.read_parquet("data/raw/data.parquet")
    pd.testing.assert_frame_equal(written, pd.read_csv("source.csv"))
    metadata = pq.ParquetFile("data/raw/data.parquet").metadata
    groups = [metadata.row_group(i).num_rows for i in range(metadata.num_row_groups)]
    assert groups == [30, 30, len(classification_frame) - 60]


def test_parquet_source_keeps_its_types(workdir, params, set_params, classification_frame):
    frame = classification_frame.assign(colour=classification_frame["colour"].astype("category"))
    frame.to_parquet("source.parquet", index=False)
    params["ingest"].update(source="source.parquet", target="label")
    set_params(params)
    assert ingest.main(["--out", "raw.parquet"]) == 0
    pd.testing.assert_frame_equal(pd.read_parquet("raw.parquet"), frame)


def test_main_refuses_an_output_that_is_not_parquet(workdir, params, set_params, capsys):
    params["ingest"].update(source="sklearn:wine", target="target")
    set_params(params)
    assert ingest.main(["--out", "data/raw/data.csv"]) == 2
    assert capsys.readouterr().err == (
        "error: --out data/raw/data.csv: the raw data is written as Parquet; name it .parquet\n"
    )
    assert not (workdir / "data" / "raw" / "data.csv").exists()


def test_a_column_of_mixed_objects_is_one_line(workdir):
    frame = pd.DataFrame({"x": [1, "a", 2.5], "label": [0, 1, 0]})
    with pytest.raises(common.UserError, match="cannot write the data as Parquet"):
        ingest.write_parquet(frame, "raw.parquet")
    assert not (workdir / "raw.parquet").exists()


def test_main_reports_a_bad_source_in_one_line(workdir, params, set_params, capsys):
    params["ingest"]["source"] = "sklearn:mnist"
    set_params(params)
    assert ingest.main(["--out", "out.csv"]) != 0
    error = capsys.readouterr().err
    assert error.count("\n") == 1
    assert "sklearn:mnist" in error
    assert "Traceback" not in error


@pytest.mark.parametrize("name", ["breast_cancer", "wine", "diabetes"])
def test_bundled_data_equals_scikit_learns_loader(name):
    from sklearn import datasets

    expected = getattr(datasets, f"load_{name}")(as_frame=True).frame
    pd.testing.assert_frame_equal(ingest.load_bundled(name, "target"), expected, check_exact=True)


def test_bundled_csv_is_read_without_importing_scikit_learn():
    code = (
        "import sys; from mlops_kit.pipeline import ingest; "
        "ingest.load_bundled('breast_cancer', 'target'); ingest.load_bundled('wine', 'target'); "
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'sklearn'))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
