"""Shared fixtures: bake the template with the real cookiecutter CLI."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

TEMPLATE = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


@dataclass
class Bake:
    returncode: int
    stdout: str
    stderr: str
    output_dir: Path
    project: Path | None

    @property
    def error_line(self) -> str:
        """The last line cookiecutter's hooks wrote: our one-line message."""
        lines = [line for line in self.stderr.splitlines() if line.startswith("error: ")]
        return lines[-1] if lines else ""


def isolated_env(home: Path, *, git_identity: bool = True) -> dict[str, str]:
    """An environment with its own HOME, git config and cookiecutter config."""
    home.mkdir(parents=True, exist_ok=True)
    gitconfig = home / ".gitconfig"
    if git_identity:
        gitconfig.write_text(
            "[user]\n\tname = Template Tests\n\temail = tests@example.com\n"
            "[init]\n\tdefaultBranch = main\n",
            encoding="utf-8",
        )
    else:  # no identity, and no guessing one from the host name either
        gitconfig.write_text("[user]\n\tuseConfigOnly = true\n", encoding="utf-8")
    (home / ".cookiecutterrc").write_text(
        f"replay_dir: {home / 'replay'}\ncookiecutters_dir: {home / 'cookiecutters'}\n",
        encoding="utf-8",
    )
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("GIT_", "VIRTUAL_ENV", "PYTHONPATH", "EMAIL", "PYENV_VERSION"))
    }
    real_home = Path.home()
    # Keep the package caches and the interpreters of the real home: reusing
    # downloads is honest, reusing configuration is not.
    env.setdefault("UV_CACHE_DIR", str(real_home / ".cache" / "uv"))
    env.setdefault("PIP_CACHE_DIR", str(real_home / ".cache" / "pip"))
    # pre-commit's hook environments: built once, then shared by every project.
    env.setdefault("PRE_COMMIT_HOME", str(real_home / ".cache" / "pre-commit"))
    if (real_home / ".pyenv").is_dir():
        env.setdefault("PYENV_ROOT", str(real_home / ".pyenv"))
    env.update(
        HOME=str(home),
        GIT_CONFIG_GLOBAL=str(gitconfig),
        GIT_CONFIG_NOSYSTEM="1",
        COOKIECUTTER_CONFIG=str(home / ".cookiecutterrc"),
        PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        DVC_NO_ANALYTICS="1",
        GX_ANALYTICS_ENABLED="false",
    )
    return env


def bake(
    output_dir: Path,
    answers: dict[str, str] | None = None,
    *,
    env: dict[str, str] | None = None,
    extra_args: tuple[str, ...] = (),
) -> Bake:
    """Run `cookiecutter --no-input` on the template with the given answers."""
    output_dir.mkdir(parents=True, exist_ok=True)
    before = set(output_dir.iterdir())
    pairs = [f"{key}={value}" for key, value in (answers or {}).items()]
    result = subprocess.run(
        [BIN / "cookiecutter", "--no-input", *extra_args, "-o", output_dir, TEMPLATE, *pairs],
        capture_output=True,
        text=True,
        env=env or isolated_env(output_dir.parent / "home"),
        check=False,
    )
    created = [p for p in output_dir.iterdir() if p not in before and p.is_dir()]
    project = created[0] if len(created) == 1 else None
    return Bake(result.returncode, result.stdout, result.stderr, output_dir, project)


def audit_workflows(workflows: list[Path], audit_target: Path) -> None:
    """GitHub's workflow schema (check-jsonschema) and zizmor's offline audit both pass."""
    schema = subprocess.run(
        [BIN / "check-jsonschema", "--builtin-schema", "vendor.github-workflows", *workflows],
        capture_output=True,
        text=True,
    )
    assert schema.returncode == 0, schema.stdout + schema.stderr
    audit = subprocess.run(
        [BIN / "zizmor", "--offline", "--no-progress", "--format", "plain", audit_target],
        capture_output=True,
        text=True,
    )
    assert audit.returncode == 0, audit.stdout + audit.stderr
    assert "No findings to report" in audit.stdout + audit.stderr


def check_actions(actions: list[Path]) -> None:
    """GitHub's action metadata schema (check-jsonschema's vendored copy) accepts each one."""
    if not actions:
        return
    schema = subprocess.run(
        [BIN / "check-jsonschema", "--builtin-schema", "vendor.github-actions", *actions],
        capture_output=True,
        text=True,
    )
    assert schema.returncode == 0, schema.stdout + schema.stderr


def check_dependabot(config: Path) -> None:
    """Dependabot's configuration schema (check-jsonschema's vendored copy) accepts it."""
    schema = subprocess.run(
        [BIN / "check-jsonschema", "--builtin-schema", "vendor.dependabot", config],
        capture_output=True,
        text=True,
    )
    assert schema.returncode == 0, schema.stdout + schema.stderr


def set_param(params_file: Path, dotted: str, value: object) -> None:
    """Change one value of a params.yaml, as a person editing it would."""
    params = yaml.safe_load(params_file.read_text(encoding="utf-8"))
    *parents, key = dotted.split(".")
    node = params
    for part in parents:
        node = node[part]
    node[key] = value
    params_file.write_text(yaml.safe_dump(params, sort_keys=False), encoding="utf-8")


@pytest.fixture
def baker(tmp_path: Path) -> Callable[..., Bake]:
    """Bake into a fresh output folder of this test."""

    def _bake(answers: dict[str, str] | None = None, **kwargs) -> Bake:
        return bake(tmp_path / "out", answers, env=isolated_env(tmp_path / "home"), **kwargs)

    return _bake


# The longest tests first, so that the workers finish together instead of one of them
# running the last act scenario alone (longest first); the order within a file is kept.
# pytest-xdist's worksteal (pyproject.toml) then lets an idle worker take tests still queued
# on the other, rather than wait while it runs a file's last minutes alone.
LONGEST_FIRST = ("test_workflows", "test_bench", "test_spark", "test_pipeline", "test_owner_edits")


def pytest_collection_modifyitems(items) -> None:
    def rank(item) -> int:
        stem = item.path.stem
        return next(
            (i for i, prefix in enumerate(LONGEST_FIRST) if stem.startswith(prefix)),
            len(LONGEST_FIRST),
        )

    items.sort(key=rank)
