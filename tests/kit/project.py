"""The default project's own code, as the kit's tests need it: the owners' ``features.py``
and ``model.py`` read from the template (they hold no Jinja), and a train stage that fits
them through the kit, as the generated ``train.py`` does."""

from __future__ import annotations

import importlib.util
import os
from functools import partial
from pathlib import Path
from types import ModuleType, SimpleNamespace

from mlops_kit.pipeline import train as kit_train

SOURCE = Path(__file__).resolve().parents[2] / "{{cookiecutter.project_slug}}" / "src"
OWNERS = SOURCE / "{{cookiecutter.package_name}}"


def environment() -> dict[str, str]:
    """What a subprocess of the kit's tests needs: the kit on its path, no byte-code written
    beside it, no analytics."""
    path = os.pathsep.join(filter(None, [str(SOURCE), os.environ.get("PYTHONPATH")]))
    return {
        "PYTHONPATH": path,
        "PYTHONDONTWRITEBYTECODE": "1",
        "GX_ANALYTICS_ENABLED": "false",
        "DVC_NO_ANALYTICS": "1",
    }


def load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"owners_{name}", OWNERS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


features, model = load("features"), load("model")


def build_pipeline(frame, task: str, params: dict):
    from sklearn.pipeline import Pipeline

    steps = [("features", features.build(frame, params)), ("model", model.build(task, params))]
    return Pipeline(steps)


train = SimpleNamespace(
    build_pipeline=build_pipeline,
    fit=partial(kit_train.fit, build=build_pipeline),
    main=partial(kit_train.main, build=build_pipeline),
)
