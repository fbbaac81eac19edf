"""The model card published with each model release (MODEL_CARD.md and the release notes)."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import yaml

from {{ cookiecutter.package_name }} import common

from . import versions

DATA_STAGES = ("ingest", "prepare", "train")


def lock_outputs(lock: dict[str, Any] | None) -> list[tuple[str, str, str]]:
    """(stage, path, md5) of the data and model each stage wrote, from dvc.lock."""
    found = []
    for stage in DATA_STAGES:
        for out in ((lock or {}).get("stages") or {}).get(stage, {}).get("outs") or []:
            if out.get("md5"):
                found.append((stage, str(out.get("path")), str(out["md5"])))
    return found


def _value(value: Any) -> str:
    return "—" if value is None else f"{value:.4g}" if isinstance(value, float) else str(value)


def render(
    *,
    name: str,
    version: str,
    commit: str,
    description: str,
    params: dict[str, Any],
    metrics: dict[str, Any],
    validation: dict[str, Any],
    lock: dict[str, Any] | None,
    model_path: str,
    libraries: dict[str, str | None],
    pins: dict[str, str] | None,
) -> str:
    """Markdown model card for ``name`` ``version`` built at ``commit``; ``libraries`` are
    the installed versions (versions.installed), ``pins`` those of uv.lock (None: none)."""
    ingest = params.get("ingest") or {}
    tag = f"{name}@{version}"
    rows = validation.get("rows", "?")
    data = [f"- Source: `{ingest.get('source')}` (`ingest.source` in params.yaml)."]
    for stage, path, md5 in lock_outputs(lock):
        what = "model" if stage == "train" else "raw data" if stage == "ingest" else "splits"
        data.append(f"- {what.capitalize()} `{path}`: md5 `{md5}` (dvc.lock).")
    data.append(f"- {rows} rows in the raw data, checked by the data validation below.")
    settings = {key: params.get(key) for key in ("prepare", "train") if key in params}
    size_note = f"The data set has {rows} rows"
    if str(ingest.get("source", "")).startswith("sklearn:"):
        size_note = f"The bundled demo data set is small ({rows} rows)"
    lines = [
        f"# {name} {version}",
        "",
        f"Model `{name}`, version `{version}` (git tag `{tag}`), built from commit `{commit}`.",
        "",
        "## Intended use",
        "",
        f"{description.strip()}",
        "",
        f"A {ingest.get('task', '?')} model predicting `{ingest.get('target', '?')}` from the "
        f"other columns of the training data; the file `{model_path.rsplit('/', 1)[-1]}` is a "
        "scikit-learn `Pipeline` saved with joblib (preprocessing included), for data with "
        "the same columns and meaning as the training data.",
        "",
        "## Training data",
        "",
        *data,
        "",
        "## Parameters",
        "",
        "```yaml",
        yaml.safe_dump(settings, sort_keys=False).strip(),
        "```",
        "",
        "## Metrics (held-out test split)",
        "",
        "| metric | value |",
        "| --- | ---: |",
        *(f"| `{key}` | {_value(value)} |" for key, value in sorted(metrics.items())),
        "",
        "## Software",
        "",
        "Installed where this model was published (read with `importlib.metadata`)"
        + (
            ", beside what `uv.lock` pins (the versions `uv sync --locked` installs); "
            "⚠️ marks a difference."
            if pins is not None
            else "; there is no `uv.lock` to compare them with."
        ),
        "",
        *versions.table(libraries, pins),
        "",
        "## Data validation",
        "",
        f"{validation.get('successful', '?')} of {validation.get('evaluated', '?')} expectations "
        f"met on {rows} rows ({'passed' if validation.get('success') else 'FAILED'}).",
        "",
        "## Limitations",
        "",
        "- The metrics come from a single held-out split of one data set; expect them to vary "
        "with another split or seed.",
        f"- {size_note}; do not read the metrics as a guarantee on other data.",
        "- Check new data for drift against the training data (run the validation suite on it) "
        "before reusing the model; retrain when it no longer fits.",
        "- Permutation importance reflects this model on the test split, not causal effects.",
        "",
        "## Get the exact data and model",
        "",
        "```bash",
        f"git checkout {commit} && dvc pull   # or: git checkout {tag} && dvc pull",
        "dvc repro   # rebuilds what the DVC remote does not hold",
        "```",
    ]
    return "\n".join(lines) + "\n"


def from_project(name: str, version: str, commit: str, model_path: str) -> str:
    """The card, from the files of the project in the current folder."""
    lock = Path("dvc.lock")
    return render(
        name=name,
        version=version,
        commit=commit,
        description=tomllib.loads(Path("pyproject.toml").read_text(encoding="utf-8"))
        .get("project", {})
        .get("description", ""),
        params=yaml.safe_load(Path("params.yaml").read_text(encoding="utf-8")) or {},
        metrics=common.read_json("reports/metrics.json"),
        validation=common.read_json("reports/validation.json"),
        lock=yaml.safe_load(lock.read_text(encoding="utf-8")) if lock.is_file() else None,
        model_path=model_path,
        libraries=versions.installed(),
        pins=versions.locked("uv.lock"),
    )
