"""The benchmark command: its helpers and report on small inputs (fast), and the command end
to end on its smallest size (slow).

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
import use  # noqa: E402
from report import write_report  # noqa: E402

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


@pytest.mark.slow
def test_bench_use_part_runs_on_its_smallest_size(tmp_path):
    out = tmp_path / "report"
    result = subprocess.run(
        [sys.executable, "tasks.py", "bench", "--size", "smallest", "--only", "use", "--out", out],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    found = json.loads((out / "results.json").read_text(encoding="utf-8"))["use"]
    assert [level["clients"] for level in found["service"]["levels"]] == [1, 4, 16]
    assert sum(level["errors"] for level in found["service"]["levels"]) == 0
    assert found["monitor"]["great_expectations"] is False
    assert "## Using the model" in (out / "BENCHMARKS.md").read_text(encoding="utf-8")
