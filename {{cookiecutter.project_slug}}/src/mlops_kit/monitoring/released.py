"""The files the monitor reads: this checkout's, or those of a published release.

With ``--release model@vX.Y.Z|latest`` or ``--stage production``, the release's model.joblib,
profile.json and metrics.json are downloaded and checked as `serve --release` checks its model
(serving/download.py, trust.py): each file's md5 must be the one dvc.lock records at the
release's tag in this checkout, and its sha256 the one the release lists. Only then are they
written, to a temporary folder removed when the check is done; nothing is loaded before.

What the files are compared with comes from this checkout's params.yaml, not the release's
commit: the `monitor:` thresholds and the `compare:` rules for the metrics are the monitoring
policy of the branch that runs the check (on a schedule, the reviewed default branch), and
they apply alike to whichever version is deployed. The release brings what describes the
model: the model itself, its reference profile and its test metrics.
"""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from mlops_kit import common
from mlops_kit.serving import download, lineage, trust

LOCAL = {
    "model": "models/model.joblib",
    "profile": "reports/profile.json",
    "metrics": "reports/metrics.json",
}
ASSETS = {"model": "model.joblib", "profile": "profile.json", "metrics": "metrics.json"}
LOCKED = {"model": trust.MODEL_PATH, "profile": lineage.PROFILE, "metrics": LOCAL["metrics"]}
REFUSE = "not monitoring with it"


def fetch(wanted: str) -> tuple[dict[str, bytes], dict[str, Any]]:
    """The release's three files, checked, by key (model, profile, metrics); its lineage."""
    names = {ASSETS[key]: LOCKED[key] for key in ASSETS}
    try:
        files, record = download.fetch_all(wanted, names, REFUSE)
    except download.Missing as exc:
        if exc.name != ASSETS["profile"]:
            raise
        raise common.UserError(
            f"release {exc.tag} has no profile.json (it was published before releases carried "
            "the reference profile): publish it again from its commit (the publish adds what a "
            "release lacks), or monitor the model of the DVC remote with --model and --profile"
        ) from None
    return {key: files[name] for key, name in ASSETS.items()}, record


@contextlib.contextmanager
def inputs(args: Any) -> Iterator[tuple[dict[str, str], dict[str, Any]]]:
    """(the paths to read, what monitor.json's `inputs` says of them), for as long as the
    check runs. ``args``: release, stage, model, profile, metrics (None when not given)."""
    if not (args.release or args.stage):
        paths = {key: getattr(args, key) or default for key, default in LOCAL.items()}
        yield paths, dict(paths)
        return
    given = [f"--{key}" for key in LOCAL if getattr(args, key)]
    if given:
        raise common.UserError(
            f"{', '.join(given)} name files here, and --{'stage' if args.stage else 'release'} "
            "downloads them from the release: give one or the other"
        )
    wanted = download.for_stage(args.stage) if args.stage else args.release
    files, record = fetch(wanted)
    tag = record["release"]
    shown: dict[str, Any] = {"release": tag, "stage": args.stage, "commit": record.get("commit")}
    shown.update({key: f"{tag}/{name}" for key, name in ASSETS.items()})
    with tempfile.TemporaryDirectory(prefix="monitor-release-") as folder:
        paths = {}
        for key, data in files.items():
            paths[key] = str(Path(folder) / ASSETS[key])
            Path(paths[key]).write_bytes(data)
        yield paths, shown
