"""Template changes reach existing projects through `cruft update`.

Each test copies the working tree of this template into a git repository of its
own, generates a project from it with the real cookiecutter (started from a shell
in another folder, with a relative template path, as a user would), commits a
change to the template, and runs the real `cruft update` inside the project.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import BIN, TEMPLATE, isolated_env, set_param
from custom_data import write_churn_csv
from owner_code import add_feature, add_model, package_of

README_LINE = "## Data validation"
CHANGED_LINE = "## Data validation (on every run)"
LOCAL_LINE = "## Data validation, as our team runs it"
OWNED = ("features.py", "model.py")  # what the owners edit in their package, with params.yaml
NOT_COPIED = (".git", ".venv", "build", "__pycache__", ".ruff_cache", ".pytest_cache")


class Setup:
    """A template repository, a project generated from it, and ways to change both."""

    def __init__(self, tmp_path: Path, answers: tuple[str, ...] = ()) -> None:
        self.env = isolated_env(tmp_path / "home")
        self.template = tmp_path / "template"
        shutil.copytree(TEMPLATE, self.template, ignore=shutil.ignore_patterns(*NOT_COPIED))
        self.git(self.template, "init", "-q", "-b", "main")
        self.commit_template("Template as tested")
        self.work = tmp_path / "work"
        self.work.mkdir(exist_ok=True)
        # From a shell, which sets $PWD: the hooks resolve relative paths against it.
        self.shell(self.work, "cookiecutter", "--no-input", "-o", "out", "../template", *answers)
        (self.project,) = (self.work / "out").iterdir()

    def shell(self, cwd: Path, *command: str | Path) -> subprocess.CompletedProcess:
        result = subprocess.run(
            ["bash", "-c", 'cd "$1" && shift && exec "$@"', "-", cwd, *command],
            env=self.env,
            capture_output=True,
            text=True,
            check=False,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        return result

    def git(self, cwd: Path, *args: str) -> str:
        result = subprocess.run(
            ["git", *args], cwd=cwd, env=self.env, capture_output=True, text=True, check=False
        )
        assert result.returncode == 0, result.stderr
        return result.stdout

    def commit_template(self, message: str) -> str:
        self.git(self.template, "add", "-A")
        self.git(self.template, "commit", "-q", "-m", message)
        return self.git(self.template, "rev-parse", "HEAD").strip()

    def edit(self, path: Path, old: str, new: str) -> None:
        text = path.read_text(encoding="utf-8")
        assert old in text
        path.write_text(text.replace(old, new, 1), encoding="utf-8")

    def change_template(self) -> str:
        """A later template commit: an edited README line and a new rendered file."""
        source = self.template / "{{cookiecutter.project_slug}}"
        self.edit(source / "README.md", README_LINE, CHANGED_LINE)
        (source / "CONTRIBUTING.md").write_text(
            "# Contributing to {{ cookiecutter.project_name }}\n", encoding="utf-8"
        )
        return self.commit_template("Template: README wording, CONTRIBUTING.md")

    def commit_project(self, message: str, cwd: Path | None = None) -> None:
        self.git(cwd or self.project, "add", "-A")
        self.git(cwd or self.project, "commit", "-q", "--no-verify", "-m", message)

    def cruft(self, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
        return subprocess.run(
            ["bash", "-c", 'cd "$1" && shift && exec "$@"', "-", cwd or self.project, BIN / "cruft"]
            + list(args),
            env=self.env,
            capture_output=True,
            text=True,
            check=False,
        )

    def template_updates_job(self, cwd: Path) -> subprocess.CompletedProcess:
        """The generated Test workflow's `template-updates` job, under act (ci-local)."""
        return subprocess.run(
            [sys.executable, "tasks.py", "ci-local", "push", "-j", "template-updates"],
            cwd=cwd,
            env=self.env,
            capture_output=True,
            text=True,
            check=False,
        )

    def conflict_markers(self, cwd: Path | None = None) -> list[str]:
        result = subprocess.run(
            ["git", "grep", "-n", "-I", "-E", "^(<<<<<<<|>>>>>>>)( |$)"],
            cwd=cwd or self.project,
            env=self.env,
            capture_output=True,
            text=True,
            check=False,
        )
        return result.stdout.splitlines()


@pytest.fixture
def setup(tmp_path: Path) -> Setup:
    return Setup(tmp_path)


def test_answers_file_leads_back_to_the_template(setup: Setup):
    record = json.loads((setup.project / ".cruft.json").read_text(encoding="utf-8"))
    head = setup.git(setup.template, "rev-parse", "HEAD").strip()
    assert record["template"] == str(setup.template)  # absolute, though given as ../template
    assert record["commit"] == head
    assert record["context"]["cookiecutter"]["project_name"] == "Breast Cancer Classifier"
    check = setup.cruft("check")
    assert check.returncode == 0, check.stdout + check.stderr


def test_update_brings_a_template_change_without_conflict(setup: Setup):
    params = setup.project / "params.yaml"
    set_param(params, "train.random_forest.n_estimators", 250)  # a local change elsewhere
    setup.commit_project("Tune the forest")
    new_head = setup.change_template()

    check = setup.cruft("check")
    assert check.returncode != 0
    assert "out of date" in check.stdout + check.stderr

    update = setup.cruft("update", "-y")
    assert update.returncode == 0, update.stdout + update.stderr
    readme = (setup.project / "README.md").read_text(encoding="utf-8")
    assert CHANGED_LINE in readme
    contributing = (setup.project / "CONTRIBUTING.md").read_text(encoding="utf-8")
    assert contributing == "# Contributing to Breast Cancer Classifier\n"
    assert "n_estimators: 250" in params.read_text(encoding="utf-8")
    status = setup.git(setup.project, "status", "--porcelain").splitlines()
    assert sorted(line[3:] for line in status) == [".cruft.json", "CONTRIBUTING.md", "README.md"]
    assert not list(setup.project.rglob("*.rej"))
    assert not setup.conflict_markers()
    record = json.loads((setup.project / ".cruft.json").read_text(encoding="utf-8"))
    assert record["commit"] == new_head
    setup.commit_project("Update from the template")
    assert setup.cruft("check").returncode == 0


def test_conflicting_local_change_is_left_as_conflict_markers(setup: Setup):
    setup.edit(setup.project / "README.md", README_LINE, LOCAL_LINE)
    setup.commit_project("Our own heading")
    setup.change_template()

    update = setup.cruft("update", "-y")
    assert update.returncode == 0, update.stdout + update.stderr
    status = setup.git(setup.project, "status", "--porcelain")
    assert "UU README.md" in status  # an unfinished 3-way merge, as git shows it
    setup.git(setup.project, "add", "-A")
    markers = setup.conflict_markers()
    assert [line.split(":")[0] for line in markers] == ["README.md", "README.md"]
    readme = (setup.project / "README.md").read_text(encoding="utf-8")
    assert LOCAL_LINE in readme
    assert CHANGED_LINE in readme


def test_custom_data_project_updates_from_its_own_copy_of_the_data(tmp_path: Path):
    """The data file given at generation may be gone; the update uses the project's copy."""
    (tmp_path / "work").mkdir()
    write_churn_csv(tmp_path / "work" / "churn.csv")
    setup = Setup(
        tmp_path,
        ("dataset=custom", "custom_data_path=churn.csv", "custom_target=churned"),
    )
    (setup.work / "churn.csv").unlink()
    record = json.loads((setup.project / ".cruft.json").read_text(encoding="utf-8"))
    assert record["context"]["cookiecutter"]["custom_data_path"] == "data/external/dataset.csv"
    setup.change_template()

    update = setup.cruft("update", "-y")
    assert update.returncode == 0, update.stdout + update.stderr
    assert CHANGED_LINE in (setup.project / "README.md").read_text(encoding="utf-8")
    status = setup.git(setup.project, "status", "--porcelain").splitlines()
    assert sorted(line[3:] for line in status) == [".cruft.json", "CONTRIBUTING.md", "README.md"]


@pytest.mark.slow
def test_conflict_without_history_leaves_rej_file_that_the_test_workflow_flags(
    setup: Setup, tmp_path: Path
):
    """A shallow clone lacks the template's original blobs, so cruft cannot merge
    three ways and writes the hunk it could not place to README.md.rej."""
    setup.edit(setup.project / "README.md", README_LINE, LOCAL_LINE)
    setup.commit_project("Our own heading")
    clone = tmp_path / "clone"
    setup.git(tmp_path, "clone", "-q", "--depth", "1", f"file://{setup.project}", str(clone))
    setup.change_template()

    update = setup.cruft("update", "-y", cwd=clone)
    assert update.returncode == 0, update.stdout + update.stderr
    assert "*.rej files" in update.stdout + update.stderr
    assert (clone / "README.md.rej").is_file()
    assert CHANGED_LINE in (clone / "README.md.rej").read_text(encoding="utf-8")
    assert LOCAL_LINE in (clone / "README.md").read_text(encoding="utf-8")
    # Committed anyway (hooks skipped): the Test workflow is the last line of defence.
    setup.commit_project("Update from the template", cwd=clone)

    act = setup.template_updates_job(clone)
    output = act.stdout + act.stderr
    assert act.returncode != 0, output
    assert "Unresolved template update: apply the hunks in README.md.rej" in output

    # Resolved by hand: the same job passes.
    (clone / "README.md.rej").unlink()
    setup.commit_project("Resolve the template update", cwd=clone)
    act = setup.template_updates_job(clone)
    assert act.returncode == 0, act.stdout + act.stderr
    assert "Job succeeded" in act.stdout + act.stderr


# A later template commit that changes the kit in several places and a workflow.
KIT_VERSION = re.search(
    r'^__version__ = "(.+)"$',
    (TEMPLATE / "{{cookiecutter.project_slug}}/src/mlops_kit/__init__.py").read_text("utf-8"),
    re.MULTILINE,
)[1]
KIT_CHANGES = {
    "src/mlops_kit/__init__.py": (
        f'__version__ = "{KIT_VERSION}"',
        f'__version__ = "{KIT_VERSION}.post1"',
    ),
    "src/mlops_kit/reporting/markdown.py": (
        "Standard library only: the comment job runs it without installing.",
        "Standard library only: the comment job runs it before anything is installed.",
    ),
    "src/mlops_kit/evaluation/slices.py": (
        "fairlearn's MetricFrame splits the rows by slice;",
        "fairlearn's MetricFrame splits the test rows by slice;",
    ),
}
NEW_KIT_MODULE = "src/mlops_kit/evaluation/rounding.py"
WORKFLOW = (".github/workflows/test.yml", "name: Lint and test", "name: Lint, then test")


def change_the_kit_and_a_workflow(setup: Setup) -> str:
    source = setup.template / "{{cookiecutter.project_slug}}"
    for rel, (old, new) in KIT_CHANGES.items():
        setup.edit(source / rel, old, new)
    (source / NEW_KIT_MODULE).write_text(
        '"""Numbers as the reports show them."""\n\n\n'
        "def shown(value: float, digits: int = 3) -> float:\n"
        "    return round(value, digits)\n",
        encoding="utf-8",
    )
    rel, old, new = WORKFLOW
    setup.edit(source / rel, old, new)
    return setup.commit_template("Kit: wording, a rounding helper; the test job's name")


@pytest.mark.slow
def test_update_of_the_kit_keeps_the_owners_code_and_their_tests_pass(setup: Setup):
    """The owners changed features.py, model.py and params.yaml; the template changed its kit
    and a workflow. `cruft update` applies cleanly, and the project's tests pass after it."""
    root = setup.project
    add_feature(root, "area_per_perimeter", "mean area", "mean perimeter")
    add_model(root)
    setup.commit_project("Our feature and our model")
    ours = {
        rel: (root / rel).read_bytes()
        for rel in ("params.yaml", *(f"src/{package_of(root).name}/{n}" for n in OWNED))
    }
    head = change_the_kit_and_a_workflow(setup)

    update = setup.cruft("update", "-y")
    assert update.returncode == 0, update.stdout + update.stderr
    assert not list(root.rglob("*.rej"))
    assert not setup.conflict_markers()
    status = setup.git(root, "status", "--porcelain").splitlines()
    changed = sorted(line[3:] for line in status)
    assert changed == sorted([".cruft.json", *KIT_CHANGES, NEW_KIT_MODULE, WORKFLOW[0]]), status
    source = setup.template / "{{cookiecutter.project_slug}}"
    kit = sorted(p.relative_to(source) for p in (source / "src/mlops_kit").rglob("*.py"))
    assert kit == sorted(p.relative_to(root) for p in (root / "src/mlops_kit").rglob("*.py"))
    for rel in kit:
        assert (root / rel).read_bytes() == (source / rel).read_bytes(), rel
    for rel, before in ours.items():
        assert (root / rel).read_bytes() == before, rel
    assert json.loads((root / ".cruft.json").read_text(encoding="utf-8"))["commit"] == head
    setup.commit_project("Update from the template")

    setup.shell(root, sys.executable, "tasks.py", "repro")  # sets up .venv, then `dvc repro`
    tests = setup.shell(root, sys.executable, "tasks.py", "test", "-q")
    summary = tests.stdout.strip().splitlines()[-1]
    assert " passed" in summary, tests.stdout[-2000:]
    assert "skipped" not in summary, tests.stdout[-2000:]  # the trained model's tests ran
