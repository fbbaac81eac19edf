"""Slow tier: the benchmark command runs end to end on its smallest size.

Benchmarks are not timed tests: this only checks that `python3 tasks.py bench` works and
writes a report with its headline ratios and its plot, into a folder of its own.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
HEADLINES = (
    "first dvc repro / same-libraries baseline",
    "first dvc repro / plain-pandas baseline",
    "validation / plain pandas at 10^4 rows",
    "no-op dvc repro / dvc status",
)


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
