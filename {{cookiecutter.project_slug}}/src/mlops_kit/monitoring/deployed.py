"""Which model the Monitor workflow checks: by default, the one deployed.

    python -m mlops_kit.monitoring.deployed [--want deployed]   # kind=, value= to $GITHUB_OUTPUT

`deployed`: the version the production stage holds (its latest `model#production#N` tag in
this checkout), as `monitor --stage production`; else, when this checkout has a `model@vX.Y.Z`
tag, the newest release, as `monitor --release latest`; only when there is no release at all,
the model of the DVC remote (kind `dvc`: the workflow pulls it and runs `monitor` on
models/model.joblib). `--want` also takes a stage (`staging`), a tag (`model@v1.2.0`), `latest`
or `dvc`. Git's tags decide, so it needs neither the network nor a token (standard library).
In a many-models project (reports/models.json in this checkout), `deployed` is the newest
release of its models, as `monitor --release latest` (each model's files from the release
that holds its version), once this checkout has a model's version tag `<artifact>@vX.Y.Z` and
a `models-release-<N>` tag (GitHub makes it when the publish makes the release public);
before the first publish, `dvc`: every model listed, pulled from the DVC remote. `--want`
also takes a release of models (`models-release-3`); stages are a single model's.
"""

from __future__ import annotations

import argparse
import os
import re
from pathlib import Path

from mlops_kit.release import stage_tags

TAG = re.compile(r"[\w.-]+@v\d+\.\d+\.\d+")
MANY_RELEASE = re.compile(r"models-release-[1-9][0-9]*")
MODELS = "reports/models.json"


def choose(want: str, name: str = "model") -> tuple[str, str, str]:
    """(kind: stage, release or dvc; the value monitor takes; a sentence saying why)."""
    if want == "dvc":
        return "dvc", "", "the model of the DVC remote, as asked"
    if want == "latest" or TAG.fullmatch(want) or MANY_RELEASE.fullmatch(want):
        return "release", want, f"release {want}, as asked"
    if want != "deployed":
        if not stage_tags.STAGE_NAME.fullmatch(want):
            raise ValueError(
                f"model {want!r}: give deployed, a stage (production), latest, a tag like "
                f"{name}@v1.2.0, a release of many models (models-release-3), or dvc"
            )
        return "stage", want, f"the version the stage {want} holds, as asked"
    if Path(MODELS).is_file():
        return many()
    held = stage_tags.resolve("production", name)
    if held is not None and held.version:
        return "stage", "production", f"{held.version}, which production holds ({held.tag})"
    if stage_tags.versions(name):
        return "release", "latest", "the newest release: no version holds production yet"
    return (
        "dvc",
        "",
        (
            f"the model of the DVC remote: there is no {name}@vX.Y.Z release yet (after the "
            "first publish, the released model is checked)"
        ),
    )


def many() -> tuple[str, str, str]:
    """The choice of `deployed` in a many-models project: its newest release, once there is
    one; else every model of the DVC remote."""
    try:
        found = stage_tags.names()
    except OSError:  # not a git checkout: no tag, so no release to check
        found = []
    releases = [tag for tag in found if MANY_RELEASE.fullmatch(tag)]
    if releases and any(TAG.fullmatch(tag) for tag in found):
        newest = max(releases, key=lambda tag: int(tag.rsplit("-", 1)[1]))
        return "release", "latest", f"the newest release of the models ({newest} here)"
    return (
        "dvc",
        "",
        (
            f"every model {MODELS} lists, of the DVC remote: there is no models-release-<N> "
            "yet (after the first publish, the released models are checked)"
        ),
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--want", default="deployed", help="deployed (default), a stage...")
    parser.add_argument("--name", default="model", help="the model's name in its tags")
    args = parser.parse_args(argv)
    try:
        kind, value, why = choose(args.want.strip() or "deployed", args.name)
    except (ValueError, OSError) as exc:
        print(f"::error::{exc}")
        return 2
    print(f"monitor: checking {why}")
    target = os.environ.get("GITHUB_OUTPUT")
    if target:
        with open(target, "a", encoding="utf-8") as handle:
            handle.write(f"kind={kind}\nvalue={value}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
