"""Pull or push DVC data and models through the default remote.

    python -m mlops_kit.remote.sync pull     # dvc pull --allow-missing
    python -m mlops_kit.remote.sync pull data/monitor/current.csv   # only that path
    python -m mlops_kit.remote.sync push     # dvc push

Without a remote, or with a folder remote that does not exist on this machine, it prints a
notice and exits 0: the pipeline rebuilds what it can. What it cannot rebuild, data added with
`dvc add` (your own file), stops `pull` with one line saying how to give CI a remote it can
reach. Otherwise DVC always gets to try; when it fails and no credentials were in sight
(credentials.py), the error line adds what to set. In CI, secret values of the remote's
settings are masked first, and URLs are shown with their user-info masked. For an
S3-compatible server (MinIO, Ceph...), set AWS_ENDPOINT_URL: DVC's S3 client reads it, as it
does `dvc remote modify storage endpointurl <url>`.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from mlops_kit.remote.credentials import mask_url, missing_credentials, read_config, secret_values


def executable() -> str:
    """The dvc on PATH, else the one installed beside this Python."""
    return shutil.which("dvc") or str(Path(sys.executable).with_name("dvc"))


def run_dvc(args: list[str]) -> tuple[int, str]:
    """Run dvc, echoing its output (URLs masked); return the exit code and its last error
    line (or the last line, leaving out DVC's closing "Having any troubles?" advice)."""
    try:
        process = subprocess.Popen(
            [executable(), *args], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
    except FileNotFoundError:
        return 127, "dvc is not on PATH; activate the project's environment"
    last, error = "", ""
    with process:  # closes its output pipe and waits for it
        for line in process.stdout or []:
            line = mask_url(line)
            print(line, end="", flush=True)
            if line.strip() and "dvc.org/support" not in line:
                last = line.strip()
                error = last if last.startswith("ERROR") else error
    return process.returncode, error or last


def added_data(root: Path) -> list[str]:
    """Paths added with `dvc add` (a .dvc file beside them), outside hidden folders."""
    found = []
    for folder, subfolders, files in os.walk(root):
        subfolders[:] = sorted(d for d in subfolders if not d.startswith("."))
        for name in sorted(f for f in files if f.endswith(".dvc")):
            try:
                outs = (yaml.safe_load((Path(folder) / name).read_text("utf-8")) or {})["outs"]
            except (OSError, yaml.YAMLError, KeyError, TypeError):
                continue
            for out in outs if isinstance(outs, list) else []:
                if isinstance(out, dict) and out.get("path"):
                    found.append((Path(folder) / str(out["path"])).relative_to(root).as_posix())
    return found


def unreachable(remote: dict[str, Any] | None) -> bool:
    return remote is None or (remote["kind"] == "local" and not remote["path"].is_dir())


def unreachable_data(root: str | Path = ".") -> str | None:
    """The line to stop on when data added with `dvc add` is missing here and the remote
    cannot be reached from this machine (none, or a folder elsewhere); else None."""
    root = Path(root)
    remote = read_config(root / ".dvc")
    missing = [path for path in added_data(root) if not (root / path).exists()]
    if not missing or not unreachable(remote):
        return None
    if remote is None:
        where, how = "no DVC remote is configured", "`dvc remote add -d storage s3://bucket/path`"
    else:
        folder = os.path.relpath(remote["path"], root)  # as from the project, not .dvc/
        where = (
            f"the DVC remote {folder} is a folder this machine cannot reach "
            "(CI never can reach a local folder)"
        )
        how = f"`dvc remote modify {remote['name']} url s3://bucket/path`"
    verb = "is" if len(missing) == 1 else "are"
    return (
        f"{', '.join(missing)} {verb} tracked by DVC, not git, and {where}: set a remote CI "
        f"can reach ({how}, or gs://, azure://, ssh://), "
        "`dvc push`, and its CI secrets (README, 'Data and model storage')"
    )


def sync(
    action: str,
    dvc_dir: str | Path = ".dvc",
    env: Mapping[str, str] | None = None,
    targets: tuple[str, ...] = (),
) -> int:
    """Run `dvc pull --allow-missing [targets]` or `dvc push` through the default remote."""
    env = os.environ if env is None else env
    remote = read_config(dvc_dir)
    if unreachable(remote):
        wanted = action == "pull" and not targets  # with targets, the caller judges what lacks
        problem = unreachable_data(Path(dvc_dir).parent) if wanted else None
        if problem:
            print(f"::error::{problem}")
            return 1
        if remote is None:
            print(
                f"::notice::No DVC remote configured; skipping dvc {action}. The pipeline "
                "rebuilds the data it can; add one with `dvc remote add -d storage <url>`."
            )
        else:
            print(
                f"::notice::DVC remote {mask_url(remote['url'])} is not reachable from this "
                f"machine; skipping dvc {action}"
            )
        return 0
    if env.get("GITHUB_ACTIONS") == "true":
        for value in secret_values(remote):
            print(f"::add-mask::{value}", flush=True)
    code, last = run_dvc(["pull", "--allow-missing", *targets] if action == "pull" else ["push"])
    if code:
        hint = missing_credentials(remote, env, Path.home())
        problem = f"dvc {action} ({remote['name']}) failed: {last or f'exit code {code}'}"
        print(f"::error::{problem}" + (f"; {hint}" if hint else ""))
    return code


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("action", choices=("pull", "push"))
    parser.add_argument("targets", nargs="*", help="pull only these paths")
    args = parser.parse_args(argv)
    return sync(args.action, targets=tuple(args.targets))


if __name__ == "__main__":
    raise SystemExit(main())
