"""The models of a many-models project, as the service reads them from reports/models.json.

``read`` checks the file once, at start: a mapping of model names (any text: they come from
data) to entries naming the model's folder (`path`, relative to the project, no `..`) and the
md5 of its model.joblib; `skipped` maps names to why no model was trained. ``load`` reads one
model's file, checks its bytes against that md5 and only then unpickles those same bytes
(loading a model file runs its code), as `--release` checks a download against dvc.lock
(trust.py). reports/models.json is the pipeline's git-tracked record: a file whose md5 is not
the one it records is not loaded. ``lineage`` is one model's part of it, for its /metadata.
A catalog of a release's models (``fetch``: release_models.py) has each file downloaded and
checked there instead, and its /metadata names the model's version tag and release.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, NamedTuple

from mlops_kit import common
from mlops_kit.serving import input_rules, lineage

MODELS_JSON = "reports/models.json"
MD5 = re.compile(r"[0-9a-f]{32}")
LINEAGE = ("path", "shard", "md5", "rows", "metrics", "intervals", "overrides", "fingerprint")
RELEASED = ("artifact", "tag", "version", "release", "sha256")  # of a release's model


def shown(name: str) -> str:
    """A model's name for a one-line message: quoted, escaped, cut to a few dozen characters."""
    return input_rules.shown(name)


@dataclass
class Catalog:
    """reports/models.json, checked: its models (by name), the skipped ones and the rest."""

    source: str
    models: dict[str, dict[str, Any]]
    skipped: dict[str, str]
    about: dict[str, Any] = field(default_factory=dict)
    root: Path = Path(".")
    fetch: Any = None  # a release's models: size(name) and fetch(name), downloaded, checked

    def __post_init__(self) -> None:
        self.names = sorted(self.models)

    def file(self, name: str) -> Path:
        return self.root / self.models[name]["path"] / "model.joblib"


def _checked(source: str, name: str, entry: Any) -> dict[str, Any]:
    where = f"{source}: model {shown(name)}"
    if not isinstance(entry, dict):
        raise common.UserError(f"{where} is not a mapping (run `dvc repro` again)")
    path = entry.get("path")
    parts = PurePosixPath(path).parts if isinstance(path, str) else ()
    if not parts or PurePosixPath(path).is_absolute() or ".." in parts or "\\" in path:
        raise common.UserError(f"{where}: 'path' must be a folder inside the project")
    if not isinstance(entry.get("md5"), str) or not MD5.fullmatch(entry["md5"]):
        raise common.UserError(f"{where}: 'md5' must be the md5 of its model.joblib")
    return entry


def read(path: str | Path = MODELS_JSON, root: str | Path = ".") -> Catalog:
    """The checked catalog of reports/models.json (``path``); folders are under ``root``."""
    source = str(path)
    found = common.read_json(path)
    if not isinstance(found, dict) or not isinstance(found.get("models"), dict):
        raise common.UserError(
            f"{source} is not the report of a many-models project (no 'models' mapping)"
        )
    models = {str(name): _checked(source, str(name), e) for name, e in found["models"].items()}
    skipped = found.get("skipped") or {}
    if not isinstance(skipped, dict):
        raise common.UserError(f"{source}: 'skipped' must be a mapping of names to reasons")
    reasons = {
        str(name): str((e.get("reason") if isinstance(e, dict) else e) or "no reason recorded")
        for name, e in skipped.items()
        if str(name) not in models
    }
    digest = hashlib.md5(Path(path).read_bytes()).hexdigest()
    about = {key: found.get(key) for key in ("segment_by", "task", "aggregate")}
    about.update(report={"path": source, "md5": digest}, commit=lineage.head_commit(Path(root)))
    return Catalog(source, models, reasons, about, Path(root))


class Loaded(NamedTuple):
    """A model loaded and checked: the model, the rules for its input columns, its file's
    size in bytes and its version (md5 of its file)."""

    model: Any
    checks: list[input_rules.Column]
    size: int
    version: str


def size_of(catalog: Catalog, name: str) -> int:
    """The size in bytes of the model's file (what it counts for against the memory bound)."""
    if catalog.fetch is not None:
        return catalog.fetch.size(name)
    file = catalog.file(name)
    try:
        return os.stat(file).st_size
    except OSError as exc:
        raise common.UserError(
            f"model {shown(name)}: {catalog.models[name]['path']}/model.joblib cannot be read "
            f"({exc.strerror}); run `dvc pull` (or `dvc repro`)"
        ) from None


def load(catalog: Catalog, name: str, suite: dict[str, Any]) -> Loaded:
    """The model ``name``, once its file's bytes have the md5 reports/models.json records."""
    import joblib

    entry, file = catalog.models[name], catalog.file(name)
    try:
        data = catalog.fetch.fetch(name)[0] if catalog.fetch else file.read_bytes()
    except OSError as exc:
        raise common.UserError(
            f"model {shown(name)}: {entry['path']}/model.joblib cannot be read ({exc.strerror}); "
            "run `dvc pull` (or `dvc repro`)"
        ) from None
    actual = hashlib.md5(data).hexdigest()
    if actual != entry["md5"]:
        raise common.UserError(
            f"model {shown(name)}: its model.joblib has md5 {actual[:12]}..., not "
            f"{entry['md5'][:12]}... that {catalog.source} records; not loading it (`dvc "
            "checkout`, or restart the service after `dvc repro`)"
        )
    try:
        model = joblib.load(io.BytesIO(data))
    except Exception as exc:  # unpickling runs arbitrary code: any exception is possible
        said = " ".join(f"{type(exc).__name__} {exc}".split())[:80]
        raise common.UserError(f"model {shown(name)} does not load here ({said})") from None
    names = getattr(model, "feature_names_in_", None)
    if not hasattr(model, "predict") or names is None:
        raise common.UserError(f"model {shown(name)} is not a model fitted on named columns")
    checks = input_rules.columns(suite, [str(column) for column in names])
    return Loaded(model, checks, len(data), f"md5:{actual}")


def lineage_of(catalog: Catalog, name: str) -> dict[str, Any]:
    """Where the model ``name`` comes from: its entry of reports/models.json and the project's."""
    entry = catalog.models[name]
    found = {key: entry.get(key) for key in LINEAGE}
    found = {"name": name, **found, **{key: entry[key] for key in RELEASED if key in entry}}
    about = {key: catalog.about[key] for key in ("segment_by", "task", "commit", "report")}
    return {**found, **about}


def read_suite(path: str | Path) -> dict[str, Any]:
    """The expectation suite whose column rules every model's inputs must meet."""
    suite = common.read_json(path)
    if not isinstance(suite, dict) or not isinstance(suite.get("expectations"), list):
        raise common.UserError(f"{path} is not an expectation suite")
    return suite
