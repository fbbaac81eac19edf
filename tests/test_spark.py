"""Slow tier: a compute=spark project runs its pipeline on a real standalone Spark cluster.

The cluster (one master, one worker with one core) is started on loopback from the pyspark
package the project installed; the project finds it through SPARK_MASTER only. Its results
are held against the local engine's, run on the same data in the same project. Then a Spark
Connect server is started in front of the same cluster and the project runs again through
SPARK_REMOTE alone.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest
import yaml
from conftest import bake, isolated_env

CONNECT_SERVER = "org.apache.spark.sql.connect.service.SparkConnectServer"

pytestmark = pytest.mark.slow

START_TIMEOUT = 120  # seconds for the worker to register with the master, or a server to start
PIPELINE_TYPE = (
    "import joblib; m = joblib.load('models/model.joblib'); "
    "print(type(m).__module__, type(m).__name__)"
)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def stop(*processes: subprocess.Popen) -> None:
    """Ask each process to stop, in this order, then kill any still running after 30 s."""
    for process in processes:
        process.terminate()
    for process in processes:
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def run(args: list[str], cwd: Path, env: dict[str, str], timeout: int = 900):
    return subprocess.run(
        args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> tuple[Path, dict[str, str]]:
    """A compute=spark project, set up, its bundled suite as generated."""
    tmp = tmp_path_factory.mktemp("spark")
    env = isolated_env(tmp / "home")
    result = bake(tmp / "out", {"compute": "spark"}, env=env)
    assert result.returncode == 0, result.stderr
    root = result.project
    setup = run(["python3", "tasks.py", "setup"], root, env)
    assert setup.returncode == 0, setup.stdout + setup.stderr
    venv = root / ".venv"
    env = {
        **env,
        "VIRTUAL_ENV": str(venv),
        "PATH": f"{venv / 'bin'}{os.pathsep}{env['PATH']}",
        "SPARK_LOCAL_IP": "127.0.0.1",
    }
    yield root, env
    shutil.rmtree(tmp, ignore_errors=True)  # its .venv: the disk is shared by the whole run


@pytest.fixture(scope="module")
def cluster(project, tmp_path_factory) -> tuple[str, Path]:
    """A standalone master and worker on loopback: (master URL, the worker's work folder)."""
    root, env = project
    home = spark_home(root)
    logs = tmp_path_factory.mktemp("spark-logs")
    work = logs / "work"
    env = {**env, "SPARK_HOME": str(home), "SPARK_NO_DAEMONIZE": "1"}
    port = free_port()
    url = f"spark://127.0.0.1:{port}"
    spark_class = str(home / "bin" / "spark-class")
    deploy = "org.apache.spark.deploy"
    master_args = ["--host", "127.0.0.1", "--port", str(port), "--webui-port", str(free_port())]
    worker_args = [url, "--cores", "1", "--memory", "1g", "--host", "127.0.0.1"]
    worker_args += ["--webui-port", str(free_port()), "--work-dir", str(work)]
    processes, files = [], []
    try:
        for name, args in (("master", master_args), ("worker", worker_args)):
            log = (logs / f"{name}.log").open("w")
            files.append(log)
            processes.append(
                subprocess.Popen(
                    [spark_class, f"{deploy}.{name}.{name.title()}", *args],
                    cwd=logs,
                    env=env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            )
        deadline = time.monotonic() + START_TIMEOUT
        while "Registering worker" not in (logs / "master.log").read_text(errors="replace"):
            assert all(p.poll() is None for p in processes), (logs / "master.log").read_text()
            assert time.monotonic() < deadline, (logs / "worker.log").read_text()
            time.sleep(0.5)
        yield url, work
    finally:
        stop(*reversed(processes))
        for log in files:
            log.close()


def spark_home(root: Path) -> Path:
    return next((root / ".venv" / "lib").glob("python*/site-packages/pyspark"))


def wait_for(log: Path, text: str, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while text not in log.read_text(errors="replace"):
        assert process.poll() is None, log.read_text(errors="replace")[-3000:]
        assert time.monotonic() < deadline, log.read_text(errors="replace")[-3000:]
        time.sleep(0.5)


@contextlib.contextmanager
def connect_server(root: Path, env: dict[str, str], master: str, logs: Path):
    """A Spark Connect server on loopback in front of ``master``: yields its sc:// URL. Its
    Python workers run the project's interpreter, as a team's cluster would be set up."""
    home = spark_home(root)
    port = free_port()
    python = str(root / ".venv" / "bin" / "python")
    env = {**env, "SPARK_HOME": str(home), "PYSPARK_PYTHON": python}
    args = [str(home / "bin" / "spark-submit"), "--class", CONNECT_SERVER, "--master", master]
    for option in (
        "spark.connect.grpc.binding.address=127.0.0.1",
        f"spark.connect.grpc.binding.port={port}",
        f"spark.ui.port={free_port()}",
        "spark.executor.memory=512m",
    ):
        args += ["--conf", option]
    log_path = logs / "connect.log"
    with log_path.open("w") as log:
        server = subprocess.Popen(args, cwd=logs, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            wait_for(log_path, "Spark Connect server started", server)
            yield f"sc://127.0.0.1:{port}"
        finally:
            stop(server)


def raw_data(root: Path) -> str:
    """The raw data file, as the ingest stage of dvc.yaml writes it (CSV or Parquet)."""
    stages = yaml.safe_load((root / "dvc.yaml").read_text(encoding="utf-8"))["stages"]
    return stages["ingest"]["outs"][0]


def package(root: Path) -> str:
    return root.name.replace("-", "_")


def local_validation(root: Path, env: dict[str, str], data: str, out: Path):
    """The local engine's validate stage on ``data``: (exit code, summary)."""
    result = run(
        ["python", "-m", f"{package(root)}.validate", "--data", data]
        + ["--suite", "expectations/suite.json", "--summary", str(out / "validation.json")]
        + ["--report", str(out / "validation.md")],
        root,
        env,
    )
    return result.returncode, json.loads((out / "validation.json").read_text(encoding="utf-8"))


def without_examples(summary: dict) -> dict:
    """A summary with its failures' example values left out (each engine lists its own)."""
    failed = [{k: v for k, v in item.items() if k != "examples"} for item in summary["failed"]]
    return {**summary, "failed": failed}


def test_pipeline_on_a_standalone_cluster_matches_the_local_engine(project, cluster, tmp_path):
    root, env = project
    url, work = cluster
    on_cluster = {**env, "SPARK_MASTER": url}
    dvc = str(root / ".venv" / "bin" / "dvc")
    started = time.perf_counter()
    repro = run([dvc, "repro"], root, on_cluster)
    took = round(time.perf_counter() - started, 1)
    assert repro.returncode == 0, repro.stdout + repro.stderr
    apps = {p.name for p in work.iterdir()} if work.is_dir() else set()
    assert len(apps) >= 3, f"validate, prepare and train ran no app on {url}: {apps}"

    data = raw_data(root)
    local = tmp_path / "local"
    code, summary = local_validation(root, env, data, local)
    assert code == 0
    spark_summary = json.loads((root / "reports" / "validation.json").read_text("utf-8"))
    assert spark_summary == summary

    # The same corrupted copy fails on both engines, with the same unexpected counts.
    import pandas as pd

    frame = pd.read_csv(root / data) if data.endswith(".csv") else pd.read_parquet(root / data)
    column = next(c for c in frame.columns if c != "target" and frame[c].dtype.kind == "f")
    frame.loc[:4, column] = 1e12
    bad = f"data/bad/raw{Path(data).suffix}"
    (root / bad).parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(root / bad, index=False) if bad.endswith(".csv") else frame.to_parquet(root / bad)
    code, bad_local = local_validation(root, env, bad, tmp_path / "bad-local")
    result = run(
        ["python", "-m", f"{package(root)}.validate", "--data", bad]
        + ["--suite", "expectations/suite.json", "--summary", str(tmp_path / "bad.json")]
        + ["--report", str(tmp_path / "bad.md")],
        root,
        on_cluster,
    )
    assert (code, result.returncode) == (1, 1), result.stderr
    bad_spark = json.loads((tmp_path / "bad.json").read_text(encoding="utf-8"))
    assert without_examples(bad_spark) == without_examples(bad_local)
    assert {(f["column"], f["unexpected_count"]) for f in bad_spark["failed"]} >= {(column, 5)}
    assert f"'{column}'" in result.stderr

    # The model is the scikit-learn Pipeline evaluate, predict and serve read.
    kind = run(["python", "-c", PIPELINE_TYPE], root, env)
    assert kind.stdout.split() == ["sklearn.pipeline", "Pipeline"], kind.stderr

    # Its metrics are within the compare tolerances of the local engine's (another split).
    pkg = package(root)
    prepared, model = local / "prepared", local / "model.joblib"
    steps = [
        [f"{pkg}.prepare", "--data", data, "--validation", str(local / "validation.json")]
        + ["--out", str(prepared)],
        [f"{pkg}.train", "--train", str(prepared / "train.parquet"), "--model", str(model)],
        [f"{pkg}.evaluate", "--model", str(model), "--train", str(prepared / "train.parquet")]
        + ["--test", str(prepared / "test.parquet"), "--metrics", str(local / "metrics.json")]
        + ["--plots", str(local / "plots"), "--profile", str(local / "profile.json")]
        + ["--slices", str(local / "slices.json"), "--explain", str(local / "explain.json")],
    ]
    for step in steps:
        done = run(["python", "-m", *step], root, env)
        assert done.returncode == 0, done.stderr
    here = json.loads((local / "metrics.json").read_text(encoding="utf-8"))
    there = json.loads((root / "reports" / "metrics.json").read_text(encoding="utf-8"))
    rules = yaml.safe_load((root / "params.yaml").read_text(encoding="utf-8"))["compare"]
    for name, rule in rules["metrics"].items():
        assert abs(there[name] - here[name]) <= rule["tolerance"], (name, there, here)
    print(f"\ndvc repro on {url}: {took} s; metrics {there} (local {here})")

    # The same project through a Spark Connect server in front of the cluster, found by
    # SPARK_REMOTE alone: the same summary, a Pipeline, metrics within the tolerances.
    summary = spark_summary
    with connect_server(root, env, url, tmp_path) as remote:
        through = {**env, "SPARK_REMOTE": remote}
        started = time.perf_counter()
        again = run([dvc, "repro", "--force"], root, through)
        took = round(time.perf_counter() - started, 1)
    assert again.returncode == 0, again.stdout[-3000:] + again.stderr[-3000:]
    assert json.loads((root / "reports" / "validation.json").read_text("utf-8")) == summary
    kind = run(["python", "-c", PIPELINE_TYPE], root, env)
    assert kind.stdout.split() == ["sklearn.pipeline", "Pipeline"], kind.stderr
    remote_metrics = json.loads((root / "reports" / "metrics.json").read_text(encoding="utf-8"))
    for name, rule in rules["metrics"].items():
        assert abs(remote_metrics[name] - there[name]) <= rule["tolerance"], (name, remote_metrics)
    print(f"dvc repro --force through {remote}: {took} s; metrics {remote_metrics}")


def test_many_models_are_fitted_on_the_cluster_as_they_would_be_locally(cluster, tmp_path):
    """A compute=spark project with segment_by: the shards send the models to fit to the
    standalone cluster (one applyInPandas group a model) and write their folders as the local
    engine does; the project's own model tests then refit a sample of them locally and get
    the same answers. One override later, one model is fitted on the cluster, the others kept."""
    import sys

    url, work = cluster
    data = tmp_path / "incoming" / "stores.parquet"
    data.parent.mkdir(parents=True)
    bench = Path(__file__).resolve().parents[1] / "bench" / "many_models.py"
    made = run(
        [sys.executable, str(bench), "data", str(data), "--segments", "12"],
        tmp_path,
        dict(os.environ),
    )
    assert made.returncode == 0, made.stderr
    env = isolated_env(tmp_path / "home")
    answers = {"dataset": "custom", "custom_data_path": str(data), "custom_target": "target"}
    result = bake(
        tmp_path / "out", {**answers, "segment_by": "segment", "compute": "spark"}, env=env
    )
    assert result.returncode == 0, result.stderr
    root = result.project
    setup = run(["python3", "tasks.py", "setup"], root, env)
    assert setup.returncode == 0, setup.stdout + setup.stderr
    venv = root / ".venv"
    env = {**env, "VIRTUAL_ENV": str(venv), "PATH": f"{venv / 'bin'}{os.pathsep}{env['PATH']}"}
    on_cluster = {**env, "SPARK_LOCAL_IP": "127.0.0.1", "SPARK_MASTER": url}
    # Two shards, not four: each is a Spark application, and its start-up is most of its time.
    text = (root / "params.yaml").read_text(encoding="utf-8")
    four = "  shards: 4\n  shard_ids:\n  - 0\n  - 1\n  - 2\n  - 3\n"
    assert four in text, text
    two = text.replace(four, "  shards: 2\n  shard_ids:\n  - 0\n  - 1\n")
    (root / "params.yaml").write_text(two, encoding="utf-8")
    before = {p.name for p in work.iterdir()} if work.is_dir() else set()
    repro = run([str(venv / "bin" / "dvc"), "repro"], root, on_cluster)
    assert repro.returncode == 0, repro.stdout[-3000:] + repro.stderr[-3000:]
    apps = ({p.name for p in work.iterdir()} if work.is_dir() else set()) - before
    assert len(apps) >= 3, f"the shards ran no app on {url}: {apps}"  # validate + 2 shards
    listing = json.loads((root / "reports" / "models.json").read_text(encoding="utf-8"))
    assert len(listing["models"]) >= 10
    tests = run([str(venv / "bin" / "python"), "-m", "pytest", "-q", "-m", "artifact"], root, env)
    assert tests.returncode == 0, tests.stdout[-3000:] + tests.stderr[-2000:]
    assert "skipped" not in tests.stdout.splitlines()[-1], tests.stdout[-2000:]

    name = sorted(listing["models"])[0]
    text = (root / "params.yaml").read_text(encoding="utf-8")
    override = f"  overrides: {{{name}: {{random_forest: {{n_estimators: 7}}}}}}"
    (root / "params.yaml").write_text(text.replace("  overrides: {}", override), encoding="utf-8")
    again = run([str(venv / "bin" / "dvc"), "repro"], root, on_cluster)
    assert again.returncode == 0, again.stdout[-3000:] + again.stderr[-3000:]
    assert " 1 trained " in again.stdout, again.stdout
    assert f"; trained: {name}" in again.stdout, again.stdout
