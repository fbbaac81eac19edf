"""Which models a check of many models reads: this checkout's, or those of a release.

Without `--release`, the models reports/models.json lists, from this checkout (many.py).
With `--release models-release-<N>` (or `latest` in a many-models project), the models its
manifest.json lists: a model's model.joblib and profile.json are downloaded only when the
batch has enough of its segment's rows to judge it (monitor.min_rows), each checked before it
is read as `serve --release` checks a model (serving/release_models.py: against
reports/models.json at the model's version tag in this checkout, and the sha256 digests),
into a temporary folder removed when the check is done. The metrics a model is judged
against are those reports/models.json records at its tag. monitor.json's `inputs` names the
release, its commit and each model's version tag.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from mlops_kit import common
from mlops_kit.monitoring import many
from mlops_kit.serving import release_models


def wanted(args: Any) -> bool:
    """Whether ``args`` ask for the check of every model: a release of many models, or the
    list here when no file of one model was named. A stage is one model's: refused here."""
    if release_models.wanted(args.release):
        return True
    if not Path(args.models).is_file() or args.model or args.profile or args.metrics:
        return False
    if args.release or args.stage:
        raise common.UserError(
            f"{args.models} lists many models: check them from this checkout, or from a "
            "release with --release models-release-<N> (or latest); --stage checks one "
            "released model: give --model and --profile for it"
        )
    return True


def run(args: Any, batch, settings: dict, params: dict) -> tuple[dict, dict]:
    """(monitor.json's body, its `inputs`): of this checkout's models or of a release's."""
    if not args.release:
        listed = many.read_list(args.models)
        result = many.check(listed, batch, settings, params, many.here, args.models)
        return result, {"models": args.models}
    given = [f"--{key}" for key in ("model", "profile", "metrics") if getattr(args, key)]
    if given:
        raise common.UserError(
            f"{', '.join(given)} name one model's files, and --release {args.release} every "
            "model of a release: give one or the other"
        )
    with tempfile.TemporaryDirectory(prefix="monitor-release-") as folder:
        release = release_models.open_release(args.release, folder)
        found = release.manifest
        listed = {"segment_by": found["segment_by"], "task": found["task"], "skipped": {}}
        listed["models"] = release.models

        def files(name: str, entry: dict) -> tuple[Path, Path, Any]:
            model = release.fetch(name)[1]  # checked against git first
            profile = release.fetch(name, "profile.json")[1]
            return profile, model, release.trusted(name).get("metrics")

        result = many.check(listed, batch, settings, params, files, release.tag)
    inputs = {"release": release.tag, "commit": found["commit"], "versions": release.versions()}
    return result, inputs
