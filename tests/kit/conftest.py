"""The kit's tests import it from the template's folder, and take their fixtures from the
generated project's tests/conftest.py (no Jinja in it): the same tiny frames and parameters
of the tests' own, never a project's files."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

# No byte-code caches in the template's folder: every project is generated from it.
sys.dont_write_bytecode = True
SOURCE = Path(__file__).resolve().parents[2] / "{{cookiecutter.project_slug}}" / "src"
sys.path.insert(0, str(SOURCE))

_spec = importlib.util.spec_from_file_location(
    "project_conftest", SOURCE.parent / "tests" / "conftest.py"
)
project = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(project)

tiny_frame = project.tiny_frame
classification_frame = project.classification_frame
regression_frame = project.regression_frame
params = project.params
workdir = project.workdir
quick_train = project.quick_train
set_params = project.set_params
write_params = project.write_params
UNIT_PARAMS = project.UNIT_PARAMS


@pytest.fixture(autouse=True)
def kit_environment(monkeypatch):
    """Subprocesses of the kit's tests (`python -m mlops_kit...`) find the kit the same way,
    write no byte-code beside it, and send no analytics."""
    from kit.project import environment

    for name, value in environment().items():
        monkeypatch.setenv(name, value)


def pytest_collection_modifyitems(items):
    """The libraries the kit calls warn about their own deprecations: shown, not errors."""
    for item in items:
        if item.path.is_relative_to(Path(__file__).parent):
            item.add_marker(pytest.mark.filterwarnings("default"))
