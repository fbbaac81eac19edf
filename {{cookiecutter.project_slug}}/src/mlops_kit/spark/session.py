"""The Spark session of the Spark stages; the cluster is chosen by the environment.

``SPARK_REMOTE`` (Spark Connect, ``sc://host:port``) or ``SPARK_MASTER`` (``spark://host:port``,
``yarn``, ``k8s://...``) names the cluster; with neither, Spark runs in this process
(``local[*]``). Never a DVC parameter: moving to a bigger cluster reruns nothing.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from mlops_kit import common

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")

REMOTE, MASTER = "SPARK_REMOTE", "SPARK_MASTER"
LOCAL = "local[*]"
MASTER_PREFIXES = ("spark://", "local", "yarn", "k8s://", "mesos://")

# Quiet, offline and loopback-friendly: no web UI, no progress bars, errors only.
SETTINGS = {
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.log.level": "ERROR",
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.execution.arrow.pyspark.enabled": "true",
    "spark.sql.shuffle.partitions": "8",
}


def cluster(env=None) -> tuple[str, str]:
    """(kind, address): ("remote", "sc://..."), ("master", "spark://...") or ("master", LOCAL)."""
    env = os.environ if env is None else env
    remote, master = env.get(REMOTE, "").strip(), env.get(MASTER, "").strip()
    if remote and master:
        raise common.UserError(f"both {REMOTE} and {MASTER} are set; unset one of them")
    if remote:
        if not remote.startswith("sc://"):
            raise common.UserError(
                f"{REMOTE}={remote!r} is not a Spark Connect URL (sc://host:port)"
            )
        return "remote", remote
    if master and not master.startswith(MASTER_PREFIXES):
        raise common.UserError(
            f"{MASTER}={master!r} is not a Spark master URL (spark://host:port, yarn, k8s://...)"
        )
    return "master", master or LOCAL


@contextmanager
def session(app: str) -> Iterator:
    """A SparkSession on the cluster the environment names, stopped on the way out
    (one already running in this process is used as it is, and left running)."""
    kind, address = cluster()
    # Executors run the Python that runs this stage, unless the cluster says otherwise.
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    logging.getLogger("py4j").setLevel(logging.ERROR)
    try:
        from pyspark.sql import SparkSession
    except ImportError as exc:
        raise common.UserError(
            "pyspark is not installed: run `python3 tasks.py setup` (compute=spark projects "
            "depend on it)"
        ) from exc
    running = SparkSession.getActiveSession()
    if running is not None:
        yield running
        return
    builder = SparkSession.builder.appName(app)
    if kind == "remote":
        builder = builder.remote(address)
    else:
        builder = builder.master(address)
        if address.startswith("local"):  # in this process: loopback, whatever the host name
            os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
        for key, value in SETTINGS.items():
            builder = builder.config(key, value)
    try:
        spark = builder.getOrCreate()
    except Exception as exc:
        why = " ".join(str(exc).split())[:300]
        raise common.UserError(
            f"cannot start Spark on {address}: {why} (Java 17 must be on PATH or JAVA_HOME)"
        ) from exc
    try:
        yield spark
    finally:
        spark.stop()


def read(spark, path: str | Path):
    """A Spark DataFrame of a CSV (header, types inferred) or Parquet file."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in common.DATA_SUFFIXES:
        raise common.UserError(f"{path}: unsupported file type '{suffix}'; use .csv or .parquet")
    if not path.exists():
        raise common.UserError(f"{path} not found; check the path or run `dvc repro` first")
    where = str(path.resolve())
    try:
        if suffix == ".csv":
            return spark.read.csv(where, header=True, inferSchema=True, enforceSchema=False)
        return spark.read.parquet(where)
    except Exception as exc:
        why = " ".join(str(exc).split())
        raise common.UserError(f"cannot read {path} with Spark: {why}") from exc


def to_pandas(frame):
    """``frame`` collected to the driver as pandas. Spark Connect leaves the query's plan
    metrics in ``attrs``, which pandas cannot write to Parquet: they are dropped."""
    collected = frame.toPandas()
    collected.attrs = {}
    return collected
