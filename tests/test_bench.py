"""The benchmark command: its helpers and report on small inputs (fast), how the scale section
judges given measurements (fast), and the command end to end on its smallest size (slow).

Benchmarks are not timed tests: the slow tests only check that `python3 tasks.py bench` works
and writes a report with its headline ratios and its plot, into a folder of its own.
"""

from __future__ import annotations

import http.server
import json
import re
import subprocess
import sys
import threading
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
import many as many_bench  # noqa: E402
import scale_report  # noqa: E402
import use  # noqa: E402
from report import write_report  # noqa: E402
from run import raw_data  # noqa: E402

HEADLINES = (
    "first dvc repro / same-libraries baseline",
    "first dvc repro / plain-pandas baseline",
    "validation / plain pandas at 10^4 rows",
    "no-op dvc repro / dvc status",
)


@pytest.mark.slow
def test_bench_smallest_size_writes_report_and_plot(tmp_path):
    committed = (ROOT / "BENCHMARKS.md").read_bytes() if (ROOT / "BENCHMARKS.md").exists() else None
    out = tmp_path / "report"
    result = subprocess.run(
        [sys.executable, "tasks.py", "bench", "--size", "smallest", "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]

    report = (out / "BENCHMARKS.md").read_text(encoding="utf-8")
    headline = report.split("## Headline ratios", 1)[1].split("\n## ", 1)[0]
    for name in HEADLINES:
        # the last column is this run's value: a number, not "n/a"
        assert re.search(rf"^\| {re.escape(name)} \|.* \d+\.\d\d× \|$", headline, re.M), name
    assert "## Machine" in report
    assert "## Where the time goes in the first `dvc repro`" in report
    for stage in ("ingest", "validate", "prepare", "train", "evaluate"):
        assert f"| stage `{stage}` |" in report
    assert "![Time and memory against rows](benchmarks.png)" in report
    assert (out / "benchmarks.png").read_bytes().startswith(b"\x89PNG\r\n\x1a\n")

    results = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert results["machine"]["cores"] >= 1
    assert all(results["default"]["baseline_metrics_equal"].values())
    # At every scale size the same-libraries baseline ran on the same rows, to the same metrics.
    runs = results["scale"]["runs"]
    for rows in {r["rows"] for r in runs}:
        (base,) = [r for r in runs if r["rows"] == rows and r["name"] == "baseline_gx"]
        assert base["metrics_equal"], base
        assert base["metrics"] == base["pipeline_metrics"]
        label = scale_report.rows_label(rows)
        pattern = rf"^\| {re.escape(label)} \| 1 \|.* \d+\.\d\d× \|.* identical \|$"
        assert re.search(pattern, report, re.M), label
    assert "### Goals at 10^4 rows" in report
    # Using the model: the service at each concurrency without errors, the monitor without GX.
    found = results["use"]
    assert [level["clients"] for level in found["service"]["levels"]] == [1, 4, 16]
    assert sum(level["errors"] for level in found["service"]["levels"]) == 0
    assert found["monitor"]["great_expectations"] is False
    assert "## Using the model" in report
    # Many models: every model fitted by the shards, one override fitting that one alone.
    many = results["many"]
    assert many["segments"] == 16
    assert many["models"] + many["skipped"] == 16
    assert many["timings"]["one override"]["n"] == 1
    assert "## Many models" in report
    # The committed report is left alone.
    if committed is not None:
        assert (ROOT / "BENCHMARKS.md").read_bytes() == committed


def test_percentile_interpolates_between_ranks():
    assert use.percentile([3.0, 1.0, 2.0], 0.5) == 2.0
    assert use.percentile([1.0, 2.0], 0.5) == 1.5
    assert use.percentile([1.0, 2.0, 3.0, 4.0, 5.0], 0.99) == pytest.approx(4.96)
    assert use.percentile([7.0], 0.99) == 7.0


def test_imported_reads_the_modules_of_a_real_importtime_run():
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "import json, email.message"],
        capture_output=True,
        text=True,
        check=True,
    )
    names = use.imported(result.stderr)
    assert "json" in names
    assert "email.message" in names
    assert "package" not in names  # the header line
    assert use.imported("monitor: healthy\n") == []


class Answers(http.server.BaseHTTPRequestHandler):
    """200 to every other request on a keep-alive connection, 500 to the rest."""

    protocol_version = "HTTP/1.1"
    count = 0

    def do_POST(self):  # noqa: N802 (the handler's protocol)
        self.rfile.read(int(self.headers["Content-Length"]))
        Answers.count += 1
        body = b'{"predictions": [1]}'
        self.send_response(200 if Answers.count % 2 else 500)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def test_load_counts_answers_that_are_not_200_as_errors():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Answers)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        found = use.load(server.server_address[:2], b"{}", 4, 10)
    finally:
        server.shutdown()
        server.server_close()
    assert found["clients"] == 4
    assert found["requests"] == 10
    assert found["errors"] == 5
    assert 0 < found["p50"] <= found["p99"]
    assert found["rps"] > 0


def use_results(*, service_p50: float, errors: int, predict_wall: float, peak: float) -> dict:
    level = {"requests": 100, "errors": 0, "wall": 1.0, "rps": 100.0, "p99": 0.02}
    whole = {"rows": 10**6, "wall": 10.0, "peak_rss_mb": 1200.0}
    predict = {"rows": 10**6, "batch_rows": 10**4, "wall": predict_wall, "peak_rss_mb": peak}
    return {
        "service": {
            "in_process": {"calls": 100, "p50": 0.010, "p99": 0.015},
            "levels": [
                {**level, "clients": 1, "p50": service_p50, "errors": errors},
                {**level, "clients": 4, "p50": 0.030},
            ],
        },
        "batch": {
            "rows": 10**6,
            "rounds": [{"whole": whole, "predict": predict}],
            "memory": [
                {"rows": 10**5, "batch_rows": 10**4, "wall": 1.0, "peak_rss_mb": 400.0},
                {"rows": 10**6, "batch_rows": 10**5, "wall": 9.0, "peak_rss_mb": 700.0},
                {"rows": 10**5, "wall": 2.0, "peak_rss_mb": 300.0},
            ],
        },
        "monitor": {
            "rows": 10**5,
            "runs": [{"wall": 5.0, "imports": 2.0, "work": 3.0, "peak_rss_mb": 500, "code": 1}],
            "status": "unhealthy",
            "modules": 900,
            "great_expectations": False,
            "packages": ["numpy", "pandas"],
        },
    }


def test_verdicts_judge_each_goal():
    met = use.verdicts(use_results(service_p50=0.012, errors=0, predict_wall=11.0, peak=420.0))
    assert [v[3] for v in met] == [True, True, True, True, True]
    assert met[0][2] == "1.20× (12.0 ms against 10.0 ms)"
    missed = use.verdicts(use_results(service_p50=0.020, errors=3, predict_wall=13.0, peak=900.0))
    assert [v[3] for v in missed] == [False, False, False, False, True]
    assert missed[1][2] == "3 of 200"
    assert missed[3][2] == "2.25×"


def test_report_has_the_using_the_model_section(tmp_path):
    results = {
        "size": "smallest",
        "date": "2026-12-01 12:00 UTC",
        "template_commit": "abc1234",
        "machine": {"cores": 2},
        "bench_wall": 60.0,
        "use": use_results(service_p50=0.020, errors=0, predict_wall=9.0, peak=420.0),
    }
    report = write_report(results, tmp_path).read_text(encoding="utf-8")
    part = report.split("## Using the model", 1)[1].split("\n## ", 1)[0]
    assert "| service p50, one client / in-process `model.predict` | <= 1.5× | 2.00× " in part
    assert "| **not met** |" in part
    assert "| 4 | 100 | 0 | 30.0 | 20.0 | 100 | 3.00× |" in part
    assert "| 10^5 | 10,000 | 400 | 300 |" in part
    assert "| 10^6 | 10,000 | 420 | 1200 |" in part
    assert "| 10^6 | 100,000 | 700 |  |" in part
    assert "| 10^5 | 1 | 5.00 (1 run) | 2.00 | 500 | unhealthy | 900 | no |" in part


def scale_runs(rows: int, repro: float, baseline: float, peaks: dict, base_peak: float) -> list:
    """The records one scale run leaves at ``rows``: stages, the whole repro, the baseline."""
    runs = [
        {"rows": rows, "round": 0, "name": stage, "wall": repro / 10, "peak_rss_mb": peak}
        for stage, peak in peaks.items()
    ]
    runs.append({"rows": rows, "round": 0, "name": "dvc repro", "wall": repro, "cpu": repro})
    base = {"name": "baseline_gx", "wall": baseline, "cpu": baseline / 2, "peak_rss_mb": base_peak}
    runs.append({"rows": rows, "round": 0, **base, "metrics_equal": True})
    return runs


def results_with(runs: list, commit: str = "now") -> dict:
    machine = {"memory_gib": 23.5}
    scale = {"runs": runs, "raw_data": "data/raw/data.csv"}
    return {"scale": scale, "machine": machine, "template_commit": commit, "date": commit}


PEAKS = {"ingest": 900, "validate": 1400, "prepare": 1000, "train": 1600, "evaluate": 500}


def test_scale_goals_judge_the_largest_size_against_earlier_runs():
    runs = scale_runs(10**6, 40, 20, PEAKS, 800) + scale_runs(10**7, 130, 100, PEAKS, 1000)
    older = results_with([r for r in runs if r["name"] != "baseline_gx"], "old")
    earlier = results_with(scale_runs(10**7, 200, 100, PEAKS, 2000), "earlier")
    text = "\n".join(scale_report.tables(results_with(runs), [older, earlier]))

    assert "### Goals at 10^7 rows" in text
    assert re.search(
        r"^\| whole `dvc repro` / .* \| not measured \| 2\.00× \| 1\.30× \| met \|$", text, re.M
    )
    assert re.search(
        r"^\| stage `train` peak .* \| 0\.80× \| 1\.60× \| \*\*not met\*\* \|$", text, re.M
    )
    assert re.search(r"^\| stage `validate` peak .* \| 1\.40× \| met \|$", text, re.M)
    assert re.search(r"^\| largest peak .* \| 1\.56 GiB \| met \|$", text, re.M)
    # the per-size table: both sizes, the baseline's time and peak beside the pipeline's
    assert re.search(
        r"^\| 10\^6 \| 1 \| 40\.00 \(1 run\) \| 20\.00 \(1 run\) \| 2\.00× \| 4\.00× \| "
        r"1600 \(train\) \| 800 \| 2\.00× \|",
        text,
        re.M,
    )
    assert (
        "| 10^7 | 900 (0.90×) | 1400 (1.40×) | 1000 (1.00×) | 1600 (1.60×) | 500 (0.50×) | 1000 |"
        in text
    )
    lines = scale_report.verdicts(results_with(runs))
    assert lines[0] == "at 10^7 rows, dvc repro / baseline 1.30× (goal at most 1.3×): met"
    assert "at 10^7 rows, train peak / baseline peak 1.60× (goal at most 1.5×): not met" in lines


def test_scale_table_says_when_the_baseline_metrics_differ():
    runs = scale_runs(10**5, 12, 10, PEAKS, 1000)
    runs[-1]["metrics_equal"] = False
    text = "\n".join(scale_report.tables(results_with(runs)))
    assert re.search(r"^\| 10\^5 \|.* \| \*\*differ\*\* \|$", text, re.M)


def test_scale_without_a_baseline_has_no_goals_and_says_so():
    runs = [r for r in scale_runs(10**7, 300, 100, PEAKS, 1000) if r["name"] != "baseline_gx"]
    text = "\n".join(scale_report.tables(results_with(runs)))
    assert "Goals" not in text
    assert re.search(r"^\| 10\^7 \| 1 \| 300 \(1 run\) \| not measured \|", text, re.M)


@pytest.mark.parametrize(
    "outs",
    [
        "- data/raw/data.csv",
        "- data/raw/data.parquet",
        "- data/raw/data.parquet:\n          cache: true",
    ],
)
def test_baseline_reads_what_the_ingest_stage_writes(tmp_path, outs):
    (tmp_path / "dvc.yaml").write_text(
        f"stages:\n  ingest:\n    cmd: python -m p.ingest\n    outs:\n      {outs}\n",
        encoding="utf-8",
    )
    assert raw_data(tmp_path) == outs.split()[1].rstrip(":")


def test_report_has_the_many_models_section(tmp_path):
    stat = {"median": 2.0, "min": 1.0, "max": 3.0, "n": 3, "values": [2.0, 1.0, 3.0]}
    many = {
        "load": [[1.0, 1.0, 1.0], [2.0, 2.0, 2.0]],
        "segments": 1000,
        "rows": 1174592,
        "models": 980,
        "skipped": 20,
        "trees": 20,
        "shards": 4,
        "first_training": 100.0,
        "first_scoring": 30.0,
        "first_shards_wall": 130.0,
        "loop_total": 90.0,
        "one_model_alone": {**stat, "median": 2.5},
        "timings": {
            "dvc status": stat,
            "no-op dvc repro": {**stat, "median": 6.0},
            "one override": {**stat, "median": 7.0},
        },
        "model_mb": 448.0,
    }
    results = {
        "size": "full",
        "date": "2026-12-07 12:00 UTC",
        "template_commit": "abc1234",
        "machine": {"cores": 2},
        "bench_wall": 60.0,
        "many": many,
    }
    report = write_report(results, tmp_path).read_text(encoding="utf-8")
    part = report.split("## Many models", 1)[1].split("\n## ", 1)[0]
    assert "| first training of 980 models / the one-process loop | <= 1.3× | 1.11× " in part
    assert "| `dvc status`, nothing changed | < 5 s | 2.00 s | met |" in part
    assert "| `no-op dvc repro`, nothing changed | < 5 s | 6.00 s | **not met** |" in part
    assert "the change goal is not judged" in part  # no one-model no-op repro in these results
    assert "Load average (1, 5, 15 min)" in part
    # With the one-model project's no-op repro (1.2 s): 7.0 s against 2.5 s + 1.2 s.
    change = many_bench.verdicts(many, 1.2)[-1]
    assert change[2:] == ("1.89× (7.00 s against 3.70 s)", False)
    # A one-model no-op measured in the part's own rounds (1.0 s) is the one judged by.
    many["timings"][many_bench.ONE_MODEL_NOOP] = {**stat, "median": 1.0}
    change = many_bench.verdicts(many, 1.2)[-1]
    assert change[2:] == ("2.00× (7.00 s against 3.50 s)", False)
    report = write_report(results, tmp_path).read_text(encoding="utf-8")
    assert "the change goal is not judged" not in report
