"""Pull or push DVC data and models, after checking the default remote can be reached.

    python -m <package>_ci.remote pull     # dvc pull --allow-missing
    python -m <package>_ci.remote push     # dvc push

Without a remote, or with a folder remote that does not exist on this machine, it prints a
notice and exits 0: the pipeline rebuilds what it can. For cloud remotes it checks that
credentials are in the environment before calling DVC (credentials.py). For an
S3-compatible server (MinIO, Ceph...), set AWS_ENDPOINT_URL: DVC's S3 client reads it, as
it does `dvc remote modify storage endpointurl <url>`.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

from .credentials import missing_credentials, read_config


def executable() -> str:
    """The dvc on PATH, else the one installed beside this Python."""
    return shutil.which("dvc") or str(Path(sys.executable).with_name("dvc"))


def run_dvc(args: list[str]) -> tuple[int, str]:
    """Run dvc, echoing its output; return the exit code and its last error line (or the
    last line, leaving out DVC's closing "Having any troubles?" advice)."""
    try:
        process = subprocess.Popen(
            [executable(), *args], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
    except FileNotFoundError:
        return 127, "dvc is not on PATH; activate the project's environment"
    last, error = "", ""
    for line in process.stdout or []:
        print(line, end="", flush=True)
        if line.strip() and "dvc.org/support" not in line:
            last = line.strip()
            error = last if last.startswith("ERROR") else error
    return process.wait(), error or last


def sync(action: str, dvc_dir: str | Path = ".dvc", env: Mapping[str, str] | None = None) -> int:
    """Check the default remote, then run `dvc pull --allow-missing` or `dvc push`."""
    env = os.environ if env is None else env
    remote = read_config(dvc_dir)
    if remote is None:
        print(
            f"::notice::No DVC remote configured; skipping dvc {action}. The pipeline rebuilds "
            "the data it can; add one with `dvc remote add -d storage <url>`."
        )
        return 0
    if remote["kind"] == "local" and not remote["path"].is_dir():
        print(
            f"::notice::DVC remote {remote['url']} is not reachable from this machine; "
            f"skipping dvc {action}"
        )
        return 0
    problem = missing_credentials(remote, env, Path.home())
    if problem:
        print(f"::error::{problem}")
        return 1
    code, last = run_dvc(["pull", "--allow-missing"] if action == "pull" else ["push"])
    if code:
        print(f"::error::dvc {action} ({remote['name']}) failed: {last or f'exit code {code}'}")
    return code


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("action", choices=("pull", "push"))
    return sync(parser.parse_args(argv).action)


if __name__ == "__main__":
    raise SystemExit(main())
