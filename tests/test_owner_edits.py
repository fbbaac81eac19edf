"""A generated project's tests belong to its owners, whose first change is to params.yaml:
each such edit leaves the project's own tests green. Only an edit that makes the model
worse than the project's quality floor fails, and then only the model tests, naming it.
Their next changes are to their code (tests/owner_code.py): a feature column, a model of
their own, a stage between prepare and train; after each, `dvc repro` and every test pass.

The fast test reads the rendered tests; the slow ones install one project (custom data)
and run its tests as its owners do, `python3 tasks.py test`, before and after `dvc repro`.
The unit tests (tests/code) run once, with the files the owners edit taken away:
passing so, no edit of those files can change their outcome, and each edit is judged by the
tests that read them (every other folder, and the unit tests about those files).
"""

from __future__ import annotations

import ast
import csv
import os
import shutil
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import pytest
import yaml
from conftest import bake, isolated_env, set_param
from custom_data import write_churn_csv
from owner_code import DEDUPED, NEW_MODEL, NEW_STAGE, add_feature, add_model, add_stage

TARGET = "churned"
ANSWERS = {"dataset": "custom", "custom_target": TARGET, "custom_task": "classification"}

# {id: (the owner's changes to params.yaml by dotted key, whether they change the model
# the pipeline trains, so that the tests run again after `dvc repro` and judge it)}
EDITS = {
    "compare-metrics-emptied": ({"compare.metrics": {}}, False),
    "compare-one-metric": (
        {"compare.metrics": {"balanced_accuracy": {"direction": "higher", "tolerance": 0.02}}},
        False,
    ),
    "compare-other-tolerance": (
        {
            "compare.metrics.balanced_accuracy.tolerance": 0.05,
            "compare.metrics.log_loss.tolerance": 0.1,
        },
        False,
    ),
    "importance-repeats": ({"evaluate.importance_repeats": 2}, False),
    "random-forest-smaller": (
        {"train.model": "random_forest", "train.random_forest.n_estimators": 20},
        True,
    ),
    "gradient-boosting": ({"train.model": "gradient_boosting"}, True),
    "linear": ({"train.model": "linear"}, True),
    "split-and-seeds": (
        {"prepare.test_size": 0.3, "prepare.seed": 7, "train.seed": 7, "evaluate.seed": 7},
        True,
    ),
    "hyperparameters-added": (
        {"train.random_forest.max_features": 0.5, "train.random_forest.min_samples_split": 4},
        True,
    ),
}
# Far too much regularisation: the model predicts the majority class, as the dummy does.
BELOW_THE_FLOOR = {"train.model": "linear", "train.linear.C": 1e-6}
FLOOR_TEST = "test_beats_a_dummy_baseline"
SHIPPED = "tests.model.test_shipped_model"
# The tests of what the trained pipeline wrote: they skip until `dvc repro` has run.
ARTIFACTS = {SHIPPED, "tests.model.test_shipped_slices", "tests.model.test_shipped_outputs"}
BEHAVIOUR = "tests.model.test_model_behaviour"

# Unit tests (tests/code) use fixtures of their own. These fixtures hold the
# project's files; only the tests about those files may ask for them (or read them).
PROJECT_FIXTURES = {"root", "project_params", "raw_data", "model_data"}
ABOUT_THE_PROJECT_FILES = {
    # where they are made, and the skip of data tests when DVC-tracked data is not checked out
    "tests/conftest.py": PROJECT_FIXTURES | {"skip_without_data"},
    "tests/code/test_dvc_yaml.py": "*",  # dvc.yaml, and the params it names
    "tests/code/test_workflow.py": "*",  # the workflow files' job permissions
    "tests/code/test_train.py": {"test_every_model_has_a_section_and_an_estimator_for_the_task"},
}
# What the owners edit: taken out of the project while its unit tests run once.
OWNERS_FILES = ("params.yaml", "dvc.yaml", "dvc.lock", "data", "expectations")
UNIT_FOLDERS = ("tests/code",)


def about_the_project_files() -> list[str]:
    """The unit tests about the project's files, as pytest node ids."""
    ids = []
    for rel, names in ABOUT_THE_PROJECT_FILES.items():
        if rel.endswith("conftest.py"):
            continue
        ids += [rel] if names == "*" else [f"{rel}::{name}" for name in sorted(names)]
    return ids


def judged_by_the_owners_files(root: Path) -> list[str]:
    """The tests whose outcome an edit of the owners' files can change: every test folder
    but the unit tests', and the unit tests about those files."""
    folders = sorted(
        p.relative_to(root).as_posix()
        for p in (root / "tests").iterdir()
        if p.is_dir() and p.name != "__pycache__"
    )
    others = [folder for folder in folders if folder not in UNIT_FOLDERS]
    assert set(UNIT_FOLDERS) <= set(folders), folders
    assert others, folders
    return [*others, *about_the_project_files()]


@dataclass
class Results:
    """One run of the project's tests, from its JUnit XML report."""

    outcomes: dict[str, tuple[str, str]] = field(default_factory=dict)  # id -> (kind, message)
    seconds: float = 0.0
    output: str = ""

    def having(self, kind: str) -> dict[str, str]:
        return {name: text for name, (got, text) in self.outcomes.items() if got == kind}

    @property
    def failed(self) -> dict[str, str]:
        return {**self.having("failure"), **self.having("error")}

    @property
    def counts(self) -> str:
        kinds = [got for got, _ in self.outcomes.values()]
        shown = {"passed": "passed", "failure": "failed", "error": "errors", "skipped": "skipped"}
        parts = [f"{kinds.count(kind)} {word}" for kind, word in shown.items() if kind in kinds]
        return f"{', '.join(parts)} in {self.seconds:.0f} s"


def read_junit(path: Path) -> dict[str, tuple[str, str]]:
    outcomes = {}
    for case in ET.parse(path).iter("testcase"):
        name = f"{case.get('classname')}::{case.get('name')}"
        found = [child for child in case if child.tag in {"failure", "error", "skipped"}]
        if found:
            outcomes[name] = (found[0].tag, f"{found[0].get('message')}\n{found[0].text or ''}")
        else:
            outcomes[name] = ("passed", "")
    return outcomes


class OwnedProject:
    """One baked and installed project, brought back to its first commit for each edit."""

    def __init__(self, root: Path, env: dict[str, str]) -> None:
        self.root = root
        venv = root / ".venv"  # as `source .venv/bin/activate` would
        env = {k: v for k, v in env.items() if k != "REQUIRE_MODEL"}
        path = f"{venv / 'bin'}{os.pathsep}{env['PATH']}"
        self.env = {**env, "VIRTUAL_ENV": str(venv), "PATH": path}
        self.first_commit = self.ok("git", "rev-parse", "HEAD").stdout.strip()
        self.package = root.name.replace("-", "_")
        self.python = venv / "bin" / "python"
        self.runs = 0

    def run(self, *args: str | Path) -> subprocess.CompletedProcess:
        return subprocess.run(
            [str(a) for a in args],
            cwd=self.root,
            env=self.env,
            capture_output=True,
            text=True,
            check=False,
        )

    def ok(self, *args: str | Path) -> subprocess.CompletedProcess:
        result = self.run(*args)
        assert result.returncode == 0, f"{args}: {result.stdout[-3000:]}{result.stderr[-3000:]}"
        return result

    def dvc(self, *args: str) -> subprocess.CompletedProcess:
        return self.ok(self.python.with_name("dvc"), *args)

    def fresh(self) -> None:
        """As a fresh clone with its data pulled: the first commit, nothing the pipeline
        writes (so no trained model), the installed .venv and DVC's cache kept."""
        self.ok("git", "reset", "-q", "--hard", self.first_commit)
        self.ok("git", "clean", "-fdxq", "-e", "/.venv", "-e", "/.dvc/cache", "-e", "/.dvc/tmp")
        self.dvc("checkout", "-q", "data/external/dataset.csv.dvc")

    def edit(self, changes: dict[str, object]) -> None:
        for dotted, value in changes.items():
            set_param(self.root / "params.yaml", dotted, value)

    def tests(self, *selection: str) -> Results:
        """`python3 tasks.py test`, as the owners run it; the outcome of every test. By
        default the tests an edit of the owners' files can change (see the module's doc)."""
        self.runs += 1
        report = self.root.parent / f"junit-{self.runs}.xml"
        selection = selection or tuple(judged_by_the_owners_files(self.root))
        start = time.perf_counter()
        result = self.run(
            sys.executable, "tasks.py", "test", "-q", f"--junitxml={report}", *selection
        )
        seconds = time.perf_counter() - start
        output = result.stdout[-4000:] + result.stderr[-2000:]
        assert report.is_file(), output
        outcomes = read_junit(report)
        assert outcomes, output
        failed = any(kind in {"failure", "error"} for kind, _ in outcomes.values())
        assert (result.returncode != 0) == failed, output
        return Results(outcomes, seconds, output)


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> OwnedProject:
    tmp = tmp_path_factory.mktemp("owner-edits")
    data = write_churn_csv(tmp / "incoming" / "churn.csv")
    env = isolated_env(tmp / "home")
    baked = bake(tmp / "out", {**ANSWERS, "custom_data_path": str(data)}, env=env)
    assert baked.returncode == 0, baked.stderr
    project = OwnedProject(baked.project, env)
    project.ok(sys.executable, "tasks.py", "setup")
    yield project
    shutil.rmtree(tmp, ignore_errors=True)  # its .venv: the disk is shared by the whole run


def assert_green_without_a_model(results: Results) -> None:
    """Every test passes but the shipped-model ones, which skip: no model trained yet."""
    assert not results.failed, f"{results.counts}: {results.failed}"
    skipped = results.having("skipped")
    assert skipped, results.output
    assert {name.split("::")[0] for name in skipped} == ARTIFACTS, skipped
    assert all("no trained model yet" in reason for reason in skipped.values()), skipped


def assert_green_on_the_trained_model(results: Results) -> None:
    assert not results.failed, f"{results.counts}: {results.failed}"
    assert not results.having("skipped"), results.having("skipped")
    assert any(name.startswith(f"{SHIPPED}::") for name in results.outcomes)


@pytest.mark.slow
def test_the_unit_tests_pass_without_the_files_the_owners_edit(project):
    """So that no edit of those files changes them, and the edits below need not run them."""
    project.fresh()
    aside = project.root.parent / "owners-files"
    aside.mkdir(exist_ok=True)
    for name in OWNERS_FILES:
        if (project.root / name).exists():
            (project.root / name).rename(aside / name)
    assert not (project.root / "params.yaml").exists()
    about = about_the_project_files()
    deselect = [f"--deselect={node}" for node in about]
    try:
        results = project.tests(*UNIT_FOLDERS, *deselect)
    finally:
        for moved in aside.iterdir():
            moved.rename(project.root / moved.name)
    assert not results.failed, f"{results.counts}: {results.failed}"
    assert not results.having("skipped"), results.having("skipped")
    ran = {name.split("::")[0] for name in results.outcomes}
    assert {name.split(".")[1] for name in ran} == {"code"}, ran
    assert len(results.outcomes) >= 5, results.counts  # the kit's own are in tests/kit
    print(f"unit tests without the owners' files: {results.counts}")


@pytest.mark.slow
@pytest.mark.parametrize("edit", list(EDITS), ids=str)
def test_the_project_tests_pass_after_an_owner_edit(project, edit):
    changes, retrains = EDITS[edit]
    project.fresh()
    project.edit(changes)
    before = project.tests()
    assert_green_without_a_model(before)
    line = f"{edit}: {before.counts} before dvc repro"
    if retrains:
        project.dvc("repro", "-q")
        after = project.tests()
        assert_green_on_the_trained_model(after)
        line += f"; {after.counts} after"
    print(line)


NEW_COLUMN = "charges_per_call"
CODE_EDITS = {
    "feature-column": partial(
        add_feature, name=NEW_COLUMN, numerator="monthly_charges", denominator="support_calls"
    ),
    "new-estimator": add_model,
    "new-stage": add_stage,
}
SHOW_MODEL = (
    "import joblib; model = joblib.load('models/model.joblib');"
    "print(type(model.named_steps['model']).__name__);"
    "features = model.named_steps['features'];"
    "columns = features[-1] if hasattr(features, 'steps') else features;"
    "print(*columns.transformers_[0][2])"
)


@pytest.mark.slow
@pytest.mark.parametrize("edit", list(CODE_EDITS), ids=str)
def test_the_project_tests_pass_after_a_code_edit(project, edit):
    """Every test this time, the unit tests too: they read features.py and model.py."""
    project.fresh()
    CODE_EDITS[edit](project.root)
    project.dvc("repro", "-q")
    after = project.tests("tests")
    assert_green_on_the_trained_model(after)
    estimator, numeric = project.ok(project.python, "-c", SHOW_MODEL).stdout.splitlines()
    assert (estimator == "HistGradientBoostingClassifier") == (edit == "new-estimator")
    assert (NEW_COLUMN in numeric.split()) == (edit == "feature-column"), numeric
    lock = yaml.safe_load((project.root / "dvc.lock").read_text(encoding="utf-8"))["stages"]
    assert (NEW_STAGE in lock) == (edit == "new-stage"), list(lock)
    if edit == "new-stage":
        assert DEDUPED in {dep["path"] for dep in lock["train"]["deps"]}
    elif edit == "new-estimator":
        assert lock["train"]["params"]["params.yaml"]["train"]["model"] == NEW_MODEL
    assert len(after.outcomes) > 50, after.counts
    print(f"{edit}: {after.counts} after dvc repro")


@pytest.mark.slow
def test_a_model_below_the_quality_floor_fails_the_model_tests_only(project):
    project.fresh()
    project.edit(BELOW_THE_FLOOR)
    before = project.tests()
    assert set(before.failed) == {f"{BEHAVIOUR}::{FLOOR_TEST}"}, before.failed
    project.dvc("repro", "-q")  # the pipeline trains it: judging it is the tests' job
    after = project.tests()
    assert set(after.failed) == {f"{BEHAVIOUR}::{FLOOR_TEST}", f"{SHIPPED}::{FLOOR_TEST}"}
    for message in [*before.failed.values(), *after.failed.values()]:
        assert "quality.min_lift (0.2, params.yaml)" in message, message
        assert "below the dummy's" in message, message
    assert not after.having("skipped"), after.having("skipped")
    print(f"below the floor: {before.counts} before dvc repro; {after.counts} after")


def rename_column(path: Path, old: str, new: str) -> None:
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    rows[0] = [new if name == old else name for name in rows[0]]
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(rows)


@pytest.mark.slow
def test_renaming_the_target_in_the_data_and_params(project):
    """As the generated README's "Bring your own data" says: the new version of the file
    tracked by DVC, ingest.target changed, the suite rebuilt by the project's own command."""
    project.fresh()
    data = project.root / "data" / "external" / "dataset.csv"
    rename_column(data, TARGET, "left_us")
    project.dvc("add", "-q", "data/external/dataset.csv")
    project.edit({"ingest.target": "left_us"})
    project.dvc("repro", "-q", "ingest")
    suite = ["-m", "mlops_kit.validation.suite", "--data", "data/raw/data.parquet"]
    project.ok(
        project.root / ".venv" / "bin" / "python", *suite, "--out", "expectations/suite.json"
    )
    changed = project.ok("git", "status", "--porcelain").stdout
    assert {line[3:] for line in changed.splitlines()} >= {
        "data/external/dataset.csv.dvc",
        "expectations/suite.json",
        "params.yaml",
    }, changed
    before = project.tests()
    assert_green_without_a_model(before)
    project.dvc("repro", "-q")
    after = project.tests()
    assert_green_on_the_trained_model(after)
    print(f"target renamed: {before.counts} before dvc repro; {after.counts} after")


def from_the_project_folder(tree: ast.Module) -> set[str]:
    """``__file__`` and the module-level names whose value is made from it (the project's
    folder, then what is read from it)."""
    names = {"__file__"}
    for node in tree.body:
        if not isinstance(node, ast.Assign | ast.AnnAssign) or node.value is None:
            continue
        if names & {n.id for n in ast.walk(node.value) if isinstance(n, ast.Name)}:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names |= {t.id for t in targets if isinstance(t, ast.Name)}
    return names


def test_unit_tests_use_the_project_files_only_when_about_them(tmp_path):
    """Static: no function of tests/code, nor of the fixtures it shares, takes
    a fixture holding the project's params.yaml, dvc.yaml or data, or reads the project's
    folder itself, unless it is a test of those files."""
    baked = bake(
        tmp_path / "out", env=isolated_env(tmp_path / "home"), extra_args=("--accept-hooks", "no")
    )
    assert baked.returncode == 0, baked.stderr
    tests = baked.project / "tests"
    files = [
        tests / "conftest.py",
        *sorted(tests.glob("code/*.py")),
    ]
    offenders, checked = [], 0
    for path in files:
        rel = path.relative_to(baked.project).as_posix()
        allowed = ABOUT_THE_PROJECT_FILES.get(rel, set())
        tree = ast.parse(path.read_text(encoding="utf-8"))
        project_names = from_the_project_folder(tree)
        for node in ast.walk(tree):
            if not isinstance(node, ast.FunctionDef):
                continue
            checked += 1
            asked = PROJECT_FIXTURES & {a.arg for a in node.args.args}
            used = project_names & {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}
            if (asked or used) and allowed != "*" and node.name not in allowed:
                offenders.append(f"{rel}::{node.name} uses {sorted(asked | used)}")
    assert checked > 30
    assert not offenders, "unit tests reading the owners' files:\n" + "\n".join(offenders)
