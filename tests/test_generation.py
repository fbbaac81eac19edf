"""Fast tier: bake every supported combination and check what comes out."""

from __future__ import annotations

import ast
import difflib
import hashlib
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml
from conftest import (
    BIN,
    TEMPLATE,
    Bake,
    audit_workflows,
    bake,
    check_actions,
    check_dependabot,
    isolated_env,
)
from custom_data import write_churn_csv, write_churn_parquet

# Answers that change which files exist or how they are wired are multiplied;
# the rest (python version, license) rotate through them.
SUPPORTED_COMBINATIONS = {
    "defaults": {},
    "wine-s3-py312-apache": {
        "dataset": "wine",
        "dvc_remote": "s3",
        "dvc_remote_url": "s3://ml-data/wine",
        "python_version": "3.12",
        "license": "Apache-2.0",
    },
    "diabetes-gcs-py311-bsd": {
        "dataset": "diabetes",
        "dvc_remote": "gcs",
        "python_version": "3.11",
        "license": "BSD-3-Clause",
    },
    "breast_cancer-azure-proprietary": {"dvc_remote": "azure", "license": "Proprietary"},
    "wine-ssh": {"dataset": "wine", "dvc_remote": "ssh"},
    "wine-spark-py312": {"dataset": "wine", "compute": "spark", "python_version": "3.12"},
    "diabetes-no-remote": {"dataset": "diabetes", "dvc_remote": "none"},
    "custom-csv-classification": {
        "dataset": "custom",
        "custom_task": "classification",
        "custom_slices": "city, plan",
    },
    "custom-csv-many-models": {
        "dataset": "custom",
        "custom_task": "classification",
        "segment_by": "plan",
    },
    "custom-parquet-regression-no-remote": {
        "dataset": "custom",
        "custom_task": "regression",
        "dvc_remote": "none",
        "python_version": "3.12",
    },
}

# The owners' package: the stages' entry points, their features and their models.
PACKAGE_FILES = [
    "__init__.py",
    "evaluate.py",
    "features.py",
    "ingest.py",
    "model.py",
    "prepare.py",
    "train.py",
    "validate.py",
]
# The template's kit, copied as it is (no Jinja): the same files in every project.
KIT = TEMPLATE / "{{cookiecutter.project_slug}}" / "src" / "mlops_kit"
KIT_FILES = sorted(
    str(path.relative_to(KIT.parents[1]))
    for path in KIT.rglob("*")
    if path.is_file() and "__pycache__" not in path.parts
)
# The project's own tests: its code, its data, its model. The kit's are in this repository
# (tests/kit), run once for every project.
TEST_FILES = [
    "tests/conftest.py",
    "tests/code/test_dvc_yaml.py",
    "tests/code/test_train.py",
    "tests/code/test_workflow.py",
    "tests/data/test_suite_on_data.py",
    "tests/model/conftest.py",
    "tests/model/test_model_explanations.py",
    "tests/model/test_model_behaviour.py",
    "tests/model/test_shipped_model.py",
    "tests/model/test_shipped_outputs.py",
    "tests/model/test_shipped_slices.py",
]
COMMON_FILES = [
    ".cruft.json",
    ".github/dependabot.yml",
    ".github/act/README.md",
    ".github/act/checkout/action.yml",
    ".github/act/download-artifact/action.yml",
    ".github/act/setup-uv/action.yml",
    ".github/act/upload-artifact/action.yml",
    ".github/workflows/monitor.yml",
    ".github/workflows/pipeline.yml",
    ".github/workflows/promote.yml",
    ".github/workflows/publish.yml",
    ".github/workflows/test.yml",
    ".dvc/.gitignore",
    ".dvc/config",
    ".dvcignore",
    ".gitignore",
    ".pre-commit-config.yaml",
    ".python-version",
    # The secret scanner's record of the first commit, written by the post-generation
    # hook with the pinned detect-secrets (from the package index, like uv.lock).
    ".secrets.baseline",
    "LICENSE",
    "README.md",
    # The team's words on intended use and limitations, copied into every model card.
    "docs/model_card/intended_use.md",
    "dvc.yaml",
    "expectations/suite.json",
    "params.yaml",
    "pyproject.toml",
    "tasks.py",
    # Written by the post-generation hook (`uv lock`), which needs the package index; so
    # does this tier (pre-commit builds its hook environments from it).
    "uv.lock",
    *TEST_FILES,
]
CUSTOM_FILES = ["data/external/.gitignore", "data/external/dataset.{ext}.dvc"]
# One model per segment (segment_by): the plan stage, and the tests of every shipped model
# in place of those of the one model.
MANY_MODELS_FILES = ["src/{package}/plan.py", "tests/model/test_shipped_models.py"]
ONE_MODEL_FILES = ["tests/model/test_shipped_model.py", "tests/model/test_shipped_slices.py"]
# The local composite action that sets the cloud remote's credentials from the secrets.
CLOUD_REMOTES = ("s3", "gcs", "azure", "ssh")
CLOUD_REMOTE_FILES = [".github/actions/remote-credentials/action.yml"]
S3_FILES = [".github/act/configure-aws-credentials/action.yml"]
SPARK_FILES = [
    ".github/act/setup-java/action.yml",
    ".github/actions/setup-java/action.yml",
    "tests/code/test_spark.py",
]
# `${{ ... }}` is a GitHub Actions expression and `${#x}` shell: neither is Jinja.
JINJA_LEFTOVER = re.compile(r"(?<!\$){{|{%|(?<!\$){#")


def custom_answers(tmp_path: Path, answers: dict[str, str]) -> dict[str, str]:
    """Point a custom combination at a synthetic file of the right kind."""
    if answers.get("dataset") != "custom":
        return answers
    if answers["custom_task"] == "regression":
        path = write_churn_parquet(tmp_path / "incoming" / "churn.parquet")
        return {**answers, "custom_data_path": str(path), "custom_target": "spend"}
    path = write_churn_csv(tmp_path / "incoming" / "churn.csv")
    return {**answers, "custom_data_path": str(path), "custom_target": "churned"}


def expected_files(project: Path, answers: dict[str, str]) -> set[str]:
    package = project.name.replace("-", "_")
    files = {*COMMON_FILES, *(f"src/{package}/{name}" for name in PACKAGE_FILES)}
    files |= set(KIT_FILES)
    if answers.get("dataset") == "custom":
        ext = Path(answers["custom_data_path"]).suffix.lstrip(".")
        files |= {name.format(ext=ext) for name in CUSTOM_FILES}
    if answers.get("dvc_remote") in CLOUD_REMOTES:
        files |= set(CLOUD_REMOTE_FILES)
    if answers.get("dvc_remote") == "s3":
        files |= set(S3_FILES)
    if answers.get("compute") == "spark":
        files |= {name.format(package=package) for name in SPARK_FILES}
    if answers.get("segment_by"):
        files |= {name.format(package=package) for name in MANY_MODELS_FILES}
        files -= set(ONE_MODEL_FILES)
    return files


def tracked_files(project: Path) -> set[str]:
    out = subprocess.run(
        ["git", "ls-files"], cwd=project, capture_output=True, text=True, check=True
    ).stdout
    return set(out.splitlines())


def git(project: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=project, capture_output=True, text=True, check=True
    ).stdout.strip()


def text_files(project: Path):
    for path in sorted(project.rglob("*")):
        inside = set(path.relative_to(project).parts[:-1])
        if inside & {".git", ".dvc"} or not path.is_file() or path.suffix == ".parquet":
            continue
        yield path


def parse_every_config(project: Path) -> None:
    for path in text_files(project):
        text = path.read_text(encoding="utf-8")
        if path.suffix in {".yaml", ".yml"}:
            yaml.safe_load(text)
        elif path.suffix == ".toml":
            tomllib.loads(text)
        elif path.suffix == ".json":
            json.loads(text)
        elif path.suffix == ".dvc":
            yaml.safe_load(text)


@pytest.fixture(scope="module", params=list(SUPPORTED_COMBINATIONS), ids=str)
def combination(request, tmp_path_factory) -> tuple[Bake, dict[str, str]]:
    tmp_path = tmp_path_factory.mktemp(request.param)
    answers = custom_answers(tmp_path, SUPPORTED_COMBINATIONS[request.param])
    result = bake(tmp_path / "out", answers, env=isolated_env(tmp_path / "home"))
    assert result.returncode == 0, result.stderr
    return result, answers


def test_exact_file_set(combination):
    result, answers = combination
    # A missing uv.lock: the hook's note in its output says why.
    assert tracked_files(result.project) == expected_files(result.project, answers), result.stdout


def markdown_outside_code(text: str) -> list[str]:
    """The lines of ``text`` outside fenced code blocks (a fence's own lines are dropped)."""
    kept, fenced = [], False
    for line in text.splitlines():
        if line.lstrip().startswith("```"):
            fenced = not fenced
        elif not fenced:
            kept.append(line)
    return kept


def test_readme_tables_are_whole_and_quote_only_this_projects_data(combination):
    result, answers = combination
    text = (result.project / "README.md").read_text(encoding="utf-8")
    lines = markdown_outside_code(text)
    runs, run = [], []
    for line in [*lines, ""]:
        if line.startswith("|"):
            run.append(line)
        elif run:
            runs.append(run)
            run = []
    assert runs
    for table in runs:  # a header, its separator, then rows of as many cells
        assert len(table) >= 2, table
        assert set(table[1].replace("|", "").replace(":", "").split()) == {"---"}, table[:2]
        cells = table[1].count("|")
        assert all(row.count("|") - row.count("\\|") >= cells for row in table), table[0]
    if answers.get("dataset", "breast_cancer") != "breast_cancer":
        # the measured numbers of Explanations and Experiments are the default data's, only there
        for quoted in ("breast cancer set", "mean area", "0.219", "0.62 to 0.57", "0.8214"):
            assert quoted not in text, quoted


@pytest.mark.parametrize(
    ("override", "line"),
    [
        ("train.seed=43", "  seed: 43  # the estimator's random_state"),
        (
            "evaluate.bootstrap.seed=7",
            "  bootstrap: {resamples: 1000, seed: 7, confidence: 0.95, max_rows: 20000}",
        ),
    ],
    ids=["scalar", "nested"],
)
def test_params_yaml_is_as_dvcs_writer_keeps_it(combination, tmp_path, override, line):
    """`dvc exp run -S` rewrites the whole params.yaml with DVC's YAML writer: every other line
    stays as generated, so an applied experiment's diff is its one change."""
    from dvc.utils.hydra import apply_overrides

    result, answers = combination
    before = (result.project / "params.yaml").read_text(encoding="utf-8")
    params = tmp_path / "params.yaml"
    params.write_text(before, encoding="utf-8")
    apply_overrides(params, [override])
    after = params.read_text(encoding="utf-8")
    changed = [
        d for d in difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=0)
        if d[:1] in "+-" and d[:3] not in ("+++", "---")
    ]  # fmt: skip
    if answers.get("segment_by"):  # many models: each model's own intervals, fewer resamples
        line = line.replace("resamples: 1000", "resamples: 200")
    assert [d for d in changed if d.startswith("+")] == [f"+{line}"], changed
    assert len(changed) == 2, changed
    expected = yaml.safe_load(before)  # and every value reads back the same
    *path, key = override.split("=")[0].split(".")
    node = expected
    for part in path:
        node = node[part]
    node[key] = yaml.safe_load(override.split("=", 1)[1])
    assert yaml.safe_load(after) == expected


def test_the_kit_is_the_templates_byte_for_byte(combination):
    """Every combination gets the same kit: the template's files as they are, unrendered, so a
    breast_cancer, a wine, a diabetes and a custom project from one commit hold the same bytes."""
    result, _ = combination
    for rel in KIT_FILES:
        made = (result.project / rel).read_bytes()
        assert made == (KIT.parents[1] / rel).read_bytes(), rel


def test_the_kit_never_imports_the_owners_package(combination):
    result, _ = combination
    package = result.project.name.replace("-", "_")
    for path in (result.project / "src" / "mlops_kit").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and not node.level:
                names = [node.module or ""]
            assert not [n for n in names if n.split(".")[0] == package], path


def test_one_clean_commit_on_main(combination):
    result, _ = combination
    project = result.project
    assert git(project, "branch", "--show-current") == "main"
    assert git(project, "rev-list", "--count", "HEAD") == "1"
    assert git(project, "status", "--porcelain") == ""


def test_no_template_syntax_left(combination):
    result, _ = combination
    for path in text_files(result.project):
        text = path.read_text(encoding="utf-8")
        match = JINJA_LEFTOVER.search(text)
        assert match is None, f"{path}: {text[max(0, match.start() - 40) : match.end() + 40]!r}"


def test_every_config_file_parses(combination):
    result, _ = combination
    parse_every_config(result.project)


def test_ruff_passes_on_generated_code(combination):
    result, _ = combination
    for args in (["check", "--no-cache"], ["format", "--check", "--no-cache"]):
        run = subprocess.run(
            [BIN / "ruff", *args, "."], cwd=result.project, capture_output=True, text=True
        )
        assert run.returncode == 0, run.stdout + run.stderr


def test_workflows_are_valid_and_pass_zizmor(combination):
    result, _ = combination
    workflows = sorted((result.project / ".github" / "workflows").glob("*.yml"))
    assert [w.name for w in workflows] == [
        "monitor.yml",
        "pipeline.yml",
        "promote.yml",
        "publish.yml",
        "test.yml",
    ]
    # .github as a whole: the workflows, the local composite actions, the act stand-ins'
    # action.yml files, dependabot.yml
    audit_workflows(workflows, result.project / ".github")
    actions = sorted((result.project / ".github" / "actions").glob("*/action.yml"))
    check_actions(actions)
    check_dependabot(result.project / ".github" / "dependabot.yml")
    used = set()
    for workflow in workflows:
        text = workflow.read_text(encoding="utf-8")
        assert "pull_request_target" not in text
        assert "permissions: {}" in text
        used |= set(re.findall(r"uses: \./\.github/actions/([\w-]+)", text))
    for path in [*workflows, *actions]:
        text = path.read_text(encoding="utf-8")
        for line in text.splitlines():
            uses = re.match(r"\s*(?:- )?uses: (.*)", line)
            if uses and not uses.group(1).startswith("./"):
                assert re.search(r"@[0-9a-f]{40} # v\d", line), line
        data = yaml.safe_load(text)
        if "runs" in data:  # a composite action
            steps = data["runs"]["steps"]
        else:
            steps = [step for job in data["jobs"].values() for step in job.get("steps", [])]
        for step in steps:
            assert "${{" not in step.get("run", ""), (path.name, step)
    # Every local action generated is used, and every one used is generated.
    assert used == {path.parent.name for path in actions}


def workflow_jobs(project: Path) -> dict[str, dict]:
    """{"<workflow>/<job>": job} for the three workflows."""
    jobs = {}
    for path in sorted((project / ".github" / "workflows").glob("*.yml")):
        for name, job in yaml.safe_load(path.read_text(encoding="utf-8"))["jobs"].items():
            jobs[f"{path.name}/{name}"] = job
    return jobs


def test_promote_writes_only_in_the_environment_named_after_the_stage(combination):
    result, answers = combination
    text = (result.project / ".github" / "workflows" / "promote.yml").read_text(encoding="utf-8")
    workflow = yaml.safe_load(text)
    inputs = workflow[True]["workflow_dispatch"]["inputs"]  # YAML 1.1 reads `on` as True
    assert inputs["stage"]["options"] == ["staging", "production"]
    many = bool(answers.get("segment_by"))  # many models: the model is an input too
    assert ("name" in inputs) == many
    writers = {
        where: job["permissions"]
        for where, job in workflow_jobs(result.project).items()
        if "write" in job.get("permissions", {}).values()
    }
    assert writers["promote.yml/promote"] == {"contents": "write", "actions": "read"}
    assert not [w for w in writers if w.startswith("promote.yml/") and w != "promote.yml/promote"]
    jobs = workflow["jobs"]
    assert jobs["promote"]["environment"] == "${{ inputs.stage }}"
    assert jobs["promote"]["needs"] == "check"
    assert "environment" not in jobs["check"]  # refusals never wait for a reviewer
    for job in jobs.values():
        (step,) = [s for s in job["steps"] if "run" in s]
        assert step["env"]["VERSION"] == "${{ inputs.version }}"
        assert "${{" not in step["run"]
        assert ('--name "$NAME"' in step["run"]) == many
        assert step["env"].get("NAME") == ("${{ inputs.name }}" if many else None)


def test_every_workflow_installs_exactly_what_uv_lock_says(combination):
    result, _ = combination
    syncs = []
    for where, job in workflow_jobs(result.project).items():
        for step in job.get("steps", []):
            if "setup-uv" in step.get("uses", "") and step["with"]["enable-cache"]:
                globs = step["with"]["cache-dependency-glob"].split()
                assert globs == ["pyproject.toml", "uv.lock"], where
            if "uv sync" in step.get("run", ""):
                syncs.append(where)
                assert "uv sync --locked" in step["run"], (where, step["run"])
    assert sorted(syncs) == [
        "monitor.yml/check",
        "pipeline.yml/pipeline",
        "publish.yml/publish",
        "test.yml/test",
    ]
    steps = workflow_jobs(result.project)["test.yml/test"]["steps"]
    names = [step.get("name") for step in steps]
    assert names.index("uv.lock matches pyproject.toml") < names.index(
        "Install (Python from .python-version, versions from uv.lock)"
    )


def lock_check(project: Path, tmp_path: Path) -> subprocess.CompletedProcess:
    """The Test workflow's lock step, run as GitHub runs a `run:` script."""
    steps = workflow_steps(project, "test.yml", "test")
    (step,) = [s for s in steps if s.get("name") == "uv.lock matches pyproject.toml"]
    script = tmp_path / "lock-step.sh"
    script.write_text(step["run"], encoding="utf-8")
    return subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", script],
        cwd=project,
        env=isolated_env(tmp_path / "home"),
        capture_output=True,
        text=True,
    )


@pytest.mark.parametrize("combination", ["defaults"], indirect=True)
def test_a_stale_lock_fails_the_test_workflow_saying_how_to_refresh_it(combination, tmp_path):
    result, _ = combination
    project = tmp_path / result.project.name
    shutil.copytree(result.project, project, symlinks=True)
    fresh = lock_check(project, tmp_path)
    assert fresh.returncode == 0, fresh.stdout + fresh.stderr
    assert "::error" not in fresh.stdout

    pyproject = project / "pyproject.toml"
    text = pyproject.read_text(encoding="utf-8")
    pyproject.write_text(text.replace('"joblib>=1.4",', '"joblib>=1.4",\n    "six",'), "utf-8")
    stale = lock_check(project, tmp_path)
    assert stale.returncode == 1
    errors = [line for line in stale.stdout.splitlines() if line.startswith("::error")]
    assert errors == [
        "::error file=uv.lock::uv.lock is missing or out of date: run `uv lock` "
        "(or python3 tasks.py setup) and commit uv.lock"
    ]


def test_without_the_package_index_generation_succeeds_without_a_lock(tmp_path):
    empty_index = tmp_path / "empty-index"
    empty_index.mkdir()
    env = {**isolated_env(tmp_path / "home"), "UV_DEFAULT_INDEX": empty_index.as_uri()}
    result = bake(tmp_path / "out", {}, env=env)
    assert result.returncode == 0, result.stderr
    notes = [line for line in result.stdout.splitlines() if "uv.lock" in line]
    assert len(notes) == 1, result.stdout
    assert notes[0].startswith("note: no uv.lock yet (uv lock failed: ")
    assert notes[0].endswith("; the first `python3 tasks.py setup` writes it")
    expected = expected_files(result.project, {}) - {"uv.lock", ".secrets.baseline"}
    assert tracked_files(result.project) == expected
    assert git(result.project, "status", "--porcelain") == ""


def test_dependabot_updates_actions_and_python_weekly_in_groups(combination):
    result, _ = combination
    project = result.project
    config = yaml.safe_load((project / ".github" / "dependabot.yml").read_text(encoding="utf-8"))
    updates = {update["package-ecosystem"]: update for update in config["updates"]}
    assert set(updates) == {"github-actions", "uv"}
    assert updates["uv"]["directory"] == "/"
    # Dependabot reads the actions of .github/workflows/ (through "/") and of each folder
    # listed: every local composite action's, or their pins would never be updated.
    actions = sorted(path.parent.name for path in (project / ".github").glob("actions/*/*.yml"))
    local = [f"/.github/actions/{name}" for name in actions]
    assert updates["github-actions"]["directories"] == ["/", *local]
    for update in updates.values():
        assert update["schedule"]["interval"] == "weekly"
        assert [group["patterns"] for group in update["groups"].values()] == [["*"]]
    # ruff is pinned in two files and bumped in both by hand: Dependabot leaves it alone.
    hooks = (project / ".pre-commit-config.yaml").read_text(encoding="utf-8")
    assert "ruff==" in hooks
    assert updates["uv"]["ignore"] == [{"dependency-name": "ruff"}]


def dvc_yaml_test(project: Path) -> subprocess.CompletedProcess:
    """The project's own tests/code/test_dvc_yaml.py, run with the template's interpreter."""
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
        + ["tests/code/test_dvc_yaml.py"],
        cwd=project,
        env={**os.environ, "PYTHONPATH": "src"},
        capture_output=True,
        text=True,
    )


@pytest.mark.parametrize("combination", ["defaults"], indirect=True)
def test_project_test_of_dvc_deps_fails_when_they_differ_from_the_imports(combination, tmp_path):
    """A stage's `deps:` must name exactly the package modules it imports: the generated
    test passes as generated, and fails on a missing or an unneeded module."""
    result, _ = combination
    project = tmp_path / result.project.name
    shutil.copytree(result.project, project, symlinks=True)
    package = project.name.replace("-", "_")
    run = dvc_yaml_test(project)
    assert run.returncode == 0, run.stdout + run.stderr
    dvc_file = project / "dvc.yaml"
    generated = dvc_file.read_text(encoding="utf-8")

    def run_with(change) -> subprocess.CompletedProcess:
        pipeline = yaml.safe_load(generated)
        change(pipeline["stages"])
        dvc_file.write_text(yaml.safe_dump(pipeline, sort_keys=False), encoding="utf-8")
        return dvc_yaml_test(project)

    def fails_with(change, message: str) -> None:
        run = run_with(change)
        assert run.returncode == 1, run.stdout + run.stderr
        assert message in run.stdout, run.stdout
        assert "1 failed" in run.stdout, run.stdout

    common = "src/mlops_kit/common.py"
    fails_with(
        lambda stages: stages["train"]["deps"].remove(common),
        f"dvc.yaml: stage train runs ['{common}']; add them to its deps",
    )
    suite = "src/mlops_kit/validation/suite.py"
    fails_with(
        lambda stages: stages["prepare"]["deps"].append(suite),
        f"dvc.yaml: stage prepare never imports ['{suite}']; remove them from its deps",
    )
    # A new module imported inside a function of evaluate, through the package's name.
    (project / "src" / package / "helpers.py").write_text("VALUE = 1\n", encoding="utf-8")
    evaluate = project / "src" / package / "evaluate.py"
    evaluate.write_text(
        evaluate.read_text(encoding="utf-8")
        + f"\n\ndef later():\n    from {package}.helpers import VALUE\n\n    return VALUE\n",
        encoding="utf-8",
    )
    helpers = f"src/{package}/helpers.py"
    fails_with(lambda stages: None, f"dvc.yaml: stage evaluate runs ['{helpers}']")
    run = run_with(lambda stages: stages["evaluate"]["deps"].append(helpers))
    assert run.returncode == 0, run.stdout + run.stderr


def load_credentials_module(project: Path):
    """The generated project's credentials.py (standard library only), imported from its file."""
    path = project / "src" / "mlops_kit" / "remote" / "credentials.py"
    spec = importlib.util.spec_from_file_location(f"credentials_of_{project.name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def workflow_steps(project: Path, workflow: str, job: str) -> list[dict]:
    text = (project / ".github" / "workflows" / workflow).read_text(encoding="utf-8")
    return yaml.safe_load(text)["jobs"][job]["steps"]


def local_action(project: Path, name: str) -> dict:
    text = (project / ".github" / "actions" / name / "action.yml").read_text(encoding="utf-8")
    return yaml.safe_load(text)


CREDENTIALS_STEP = "Credentials for the DVC remote"


def credential_secrets(project: Path) -> list[str]:
    """The secrets Publish declares for the DVC remote (it is called with them)."""
    publish = yaml.safe_load(
        (project / ".github" / "workflows" / "publish.yml").read_text(encoding="utf-8")
    )
    triggers = publish.get("on", publish.get(True))  # YAML 1.1 reads a bare `on` as true
    return list((triggers["workflow_call"] or {}).get("secrets") or {})


def test_credential_message_docs_and_workflows_name_the_same_secrets(combination, tmp_path):
    result, answers = combination
    project = result.project
    secrets = credential_secrets(project)
    kind = answers.get("dvc_remote", "local")
    if kind in {"local", "none"}:
        assert secrets == []
        return
    assert secrets
    remote = load_credentials_module(project)
    config = remote.read_config(project / ".dvc")
    problem = remote.missing_credentials(config, {}, tmp_path / "empty-home")
    ci_advice = problem.split("has no credentials: ", 1)[1].split(";")[0]
    readme = (project / "README.md").read_text(encoding="utf-8")
    for name in secrets:
        assert name in ci_advice, problem  # the secret the workflows read, named first
        assert f"`{name}`" in readme
        for workflow, job in (("pipeline.yml", "pipeline"), ("publish.yml", "publish")):
            steps = workflow_steps(project, workflow, job)
            assert any(name in json.dumps(step) for step in steps), (workflow, name)
    # Each job hands the secrets to the credentials action as inputs it declares.
    inputs = local_action(project, "remote-credentials")["inputs"]
    for workflow, job in (
        ("pipeline.yml", "pipeline"),
        ("publish.yml", "publish"),
        ("monitor.yml", "check"),
    ):
        (step,) = [
            s for s in workflow_steps(project, workflow, job) if s.get("name") == CREDENTIALS_STEP
        ]
        assert step["uses"].startswith("./.github/actions/remote-credentials")
        assert set(step["with"]) == set(inputs), (workflow, step["with"])
        for name in secrets:
            assert f"${{{{ secrets.{name} }}}}" in step["with"].values(), (workflow, name)


@pytest.mark.parametrize("combination", ["wine-ssh"], indirect=True)
def test_ssh_step_sets_the_keyfile_dvc_reads(combination, tmp_path):
    """Run the rendered SSH credentials step (of the remote-credentials action) as GitHub
    does, with `uv run` standing for the project's environment. DVC's SSH client takes a
    given key from the remote's `keyfile` setting only (not from an environment variable),
    so that is what the step must set."""
    result, answers = combination
    assert answers["dvc_remote"] == "ssh"
    for workflow, job in (("pipeline.yml", "pipeline"), ("publish.yml", "publish")):
        steps = workflow_steps(result.project, workflow, job)
        names = [step.get("name") for step in steps]
        at = names.index(CREDENTIALS_STEP)
        assert names.index("Install") < at < names.index("Get data from the DVC remote")
        assert steps[at]["with"] == {"dvc-ssh-private-key": "${{ secrets.DVC_SSH_PRIVATE_KEY }}"}
    action = local_action(result.project, "remote-credentials")
    (ssh_step,) = [s for s in action["runs"]["steps"] if s.get("name") == "SSH key from secrets"]
    assert ssh_step["shell"] == "bash"
    assert ssh_step["env"] == {"KEY": "${{ inputs.dvc-ssh-private-key }}"}
    script = tmp_path / "step.sh"
    script.write_text(ssh_step["run"], encoding="utf-8")
    project = tmp_path / result.project.name
    shutil.copytree(result.project, project, symlinks=True)
    shims = tmp_path / "shims"
    shims.mkdir()
    (shims / "uv").write_text(
        '#!/bin/sh\n[ "$1" = run ] || exit 2\nshift\nexec "$@"\n', encoding="utf-8"
    )
    (shims / "uv").chmod(0o755)
    runner_temp, github_env = tmp_path / "runner", tmp_path / "github_env"
    runner_temp.mkdir()
    github_env.touch()
    env = isolated_env(tmp_path / "home")
    env.pop("SSH_AUTH_SOCK", None)
    env.update(
        PATH=f"{shims}:{env['PATH']}", RUNNER_TEMP=str(runner_temp), GITHUB_ENV=str(github_env)
    )
    remote = load_credentials_module(project)
    before = remote.missing_credentials(remote.read_config(project / ".dvc"), {}, tmp_path / "h")
    assert "set the secret DVC_SSH_PRIVATE_KEY" in before

    def step(key: str) -> None:
        run = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", script],
            cwd=project,
            env={**env, "KEY": key},
            capture_output=True,
            text=True,
        )
        assert run.returncode == 0, run.stdout + run.stderr

    step("")  # the secret is not set: nothing written
    assert list(runner_temp.iterdir()) == []
    assert not (project / ".dvc" / "config.local").exists()

    key = "-----BEGIN OPENSSH PRIVATE KEY-----\nbm90IGEga2V5\n-----END OPENSSH PRIVATE KEY-----"
    step(key)
    key_file = runner_temp / "dvc-ssh-key"
    assert key_file.read_text(encoding="utf-8") == key + "\n"
    assert key_file.stat().st_mode & 0o777 == 0o600
    keyfile = subprocess.run(
        [BIN / "dvc", "config", "remote.storage.keyfile"],  # `storage`: the hook's remote
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert keyfile.stdout.strip() == str(key_file)
    assert "keyfile" in (project / ".dvc" / "config.local").read_text(encoding="utf-8")
    assert "keyfile" not in (project / ".dvc" / "config").read_text(encoding="utf-8")
    assert git(project, "status", "--porcelain") == ""  # the key's path stays out of git
    assert github_env.read_text(encoding="utf-8") == ""
    after = remote.read_config(project / ".dvc")
    assert after["name"] == "storage"
    assert remote.missing_credentials(after, {}, tmp_path / "h") is None


def pre_commit(project: Path, *args: str) -> subprocess.CompletedProcess:
    """The template's pre-commit in the project, with the session's shared hook environments."""
    return subprocess.run(
        [BIN / "pre-commit", *args],
        cwd=project,
        env=isolated_env(project.parent.parent / "home"),
        capture_output=True,
        text=True,
    )


def test_pre_commit_config_installs_pinned_tools_from_the_index(combination):
    result, answers = combination
    project = result.project
    config = yaml.safe_load((project / ".pre-commit-config.yaml").read_text(encoding="utf-8"))
    hooks = {hook["id"]: hook for repo in config["repos"] for hook in repo["hooks"]}
    assert {repo["repo"] for repo in config["repos"]} == {"local"}  # nothing cloned from GitHub
    pins = {}
    for hook in hooks.values():
        if hook["language"] in ("fail", "pygrep"):  # built into pre-commit; nothing to install
            assert "additional_dependencies" not in hook, hook["id"]
            continue
        assert hook["language"] == "python", hook["id"]
        for requirement in hook["additional_dependencies"]:
            name, version = re.fullmatch(r"([\w-]+)(?:\[[\w-]+\])?==([\w.]+)", requirement).groups()
            assert pins.setdefault(name, version) == version, f"two versions of {name}"
    # The tools the template itself pins and tests with, at the same versions.
    template = tomllib.loads((TEMPLATE / "pyproject.toml").read_text(encoding="utf-8"))
    template_pins = dict(
        r.split("==")
        for r in [
            *template["project"]["dependencies"],
            *template["project"]["optional-dependencies"]["test"],
        ]
    )
    for name in ("ruff", "zizmor", "dvc"):
        assert pins[name] == template_pins[name], name
    pyproject = tomllib.loads((project / "pyproject.toml").read_text(encoding="utf-8"))
    assert f"ruff=={pins['ruff']}" in pyproject["project"]["optional-dependencies"]["dev"]

    assert config["default_install_hook_types"] == ["pre-commit", "pre-push", "post-checkout"]
    dvc_hooks = {
        hook["entry"]: hook["stages"] for hook in hooks.values() if hook["entry"].startswith("dvc ")
    }
    expected = {
        "dvc git-hook pre-commit": ["pre-commit"],
        "dvc git-hook post-checkout": ["post-checkout"],
    }
    remote = answers.get("dvc_remote", "local")
    if remote != "none":  # `dvc push` with no remote would refuse every `git push`
        expected["dvc git-hook pre-push"] = ["pre-push"]
        extra = {"s3": "[s3]", "gcs": "[gs]", "azure": "[azure]", "ssh": "[ssh]"}.get(remote, "")
        assert hooks["dvc-pre-push"]["additional_dependencies"] == [f"dvc{extra}=={pins['dvc']}"]
    assert dvc_hooks == expected


def test_pre_commit_passes_on_a_fresh_project_and_changes_nothing(combination):
    result, _ = combination
    run = pre_commit(
        result.project, "run", "--all-files", "--show-diff-on-failure", "--color=never"
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert git(result.project, "status", "--porcelain") == ""


def refused_commit(project: Path, message: str) -> str:
    """`git commit` through the installed hooks, which must refuse it; their output."""
    commit = subprocess.run(
        ["git", "commit", "-m", message],
        cwd=project,
        env=isolated_env(project.parent.parent / "home"),
        capture_output=True,
        text=True,
    )
    output = commit.stdout + commit.stderr
    assert commit.returncode != 0, output
    return output


def test_pre_commit_install_wires_dvc_hooks_and_refuses_what_must_not_be_committed(baker):
    result = baker()
    project = result.project
    install = pre_commit(project, "install")
    assert install.returncode == 0, install.stdout + install.stderr
    for hook in ("pre-commit", "pre-push", "post-checkout"):
        script = project / ".git" / "hooks" / hook
        assert "File generated by pre-commit" in script.read_text(encoding="utf-8"), hook
        assert f".git/hooks/{hook}" in install.stdout

    # Just past the limit: every other hook (detect-secrets among them) reads the whole file.
    (project / "big.csv").write_bytes(b"0,1\n" * (600 * 1024 // 4))
    git(project, "add", "big.csv")
    output = refused_commit(project, "Add a big file")
    failed = [line for line in output.splitlines() if line.endswith("Failed")]
    assert len(failed) == 1, output
    assert "dvc add" in failed[0]  # the guard's name: what to do instead
    assert "big.csv (600 KB) exceeds 500 KB" in output
    assert "dvc status" in output  # DVC's pre-commit hook ran too
    assert git(project, "rev-list", "--count", "HEAD") == "1"
    git(project, "rm", "-q", "--cached", "big.csv")

    # What `cruft update` leaves on a conflict: neither may be committed.
    (project / "README.md.rej").write_text("@@ -1 +1 @@\n-a\n+b\n", encoding="utf-8")
    readme = project / "README.md"
    readme.write_text(
        readme.read_text(encoding="utf-8") + "<<<<<<< ours\nmine\n=======\ntheirs\n>>>>>>> b\n",
        encoding="utf-8",
    )
    git(project, "add", "README.md.rej", "README.md")
    output = refused_commit(project, "Take the template update")
    failed = sorted(line for line in output.splitlines() if line.endswith("Failed"))
    assert [line.split(".")[0] for line in failed] == ["no *", "no conflict markers"], output
    assert "README.md:" in output  # the file with the markers is named
    assert git(project, "rev-list", "--count", "HEAD") == "1"


def test_answers_are_wired_through(combination):
    result, answers = combination
    project = result.project
    params = yaml.safe_load((project / "params.yaml").read_text(encoding="utf-8"))
    pyproject = tomllib.loads((project / "pyproject.toml").read_text(encoding="utf-8"))
    dvc_config = (project / ".dvc" / "config").read_text(encoding="utf-8")
    dataset = answers.get("dataset", "breast_cancer")
    python = answers.get("python_version", "3.13")

    assert (project / ".python-version").read_text(encoding="utf-8").strip() == python
    assert pyproject["project"]["requires-python"] == f">={python}"
    assert "analytics = false" in dvc_config
    assert "autostage = true" in dvc_config
    remote = answers.get("dvc_remote", "local")
    if remote == "none":
        assert "remote" not in dvc_config
    else:
        assert "remote = storage" in dvc_config
    if remote == "local":
        assert "url = ../../" in dvc_config  # a folder beside the repository
    elif "dvc_remote_url" in answers:
        assert f"url = {answers['dvc_remote_url']}" in dvc_config
    if dataset == "custom":
        suffix = Path(answers["custom_data_path"]).suffix
        assert params["ingest"]["source"] == f"data/external/dataset{suffix}"
        assert params["ingest"]["target"] == answers["custom_target"]
        assert params["ingest"]["task"] == answers["custom_task"]
        assert (project / f"data/external/dataset{suffix}").is_file()
        suite = json.loads((project / "expectations" / "suite.json").read_text(encoding="utf-8"))
        columns = {e["kwargs"].get("column") for e in suite["expectations"]}
        assert answers["custom_target"] in columns
    else:
        assert params["ingest"]["source"] == f"sklearn:{dataset}"
        task = "regression" if dataset == "diabetes" else "classification"
        assert params["ingest"]["task"] == task
    license_text = (project / "LICENSE").read_text(encoding="utf-8")
    first = {
        "MIT": "MIT License",
        "Apache-2.0": "Apache License",
        "BSD-3-Clause": "BSD 3-Clause License",
        "Proprietary": "All rights reserved",
    }[answers.get("license", "MIT")]
    assert first in license_text
    cruft = json.loads((project / ".cruft.json").read_text(encoding="utf-8"))
    assert cruft["context"]["cookiecutter"]["dataset"] == dataset
    named = [name.strip() for name in answers.get("custom_slices", "").split(",") if name.strip()]
    expected_slices = {"diabetes": ["sex"], "custom": named}.get(dataset, [])
    assert params["evaluate"]["slices"] == expected_slices
    assert set(params["compare"]["slices"]) <= set(params["compare"]["metrics"])


def test_awkward_names_give_valid_files(baker):
    name = 'Zoë\'s "Quoted" \\ Modèl'
    author = 'Seán O\'Brien "Bob" \\ Ñoño'
    description = "Predicts \"things\" \\ with ümlauts and 'quotes'"
    result = baker({"project_name": name, "author_name": author, "description": description})
    assert result.returncode == 0, result.stderr
    project = result.project
    assert project.name == "zoe-s-quoted-model"
    parse_every_config(project)
    pyproject = tomllib.loads((project / "pyproject.toml").read_text(encoding="utf-8"))
    assert pyproject["project"]["description"] == description
    assert pyproject["project"]["authors"][0]["name"] == author
    dvc_yaml = yaml.safe_load((project / "dvc.yaml").read_text(encoding="utf-8"))
    assert dvc_yaml["artifacts"]["model"]["desc"] == description
    readme = (project / "README.md").read_text(encoding="utf-8")
    assert name in readme
    cruft = json.loads((project / ".cruft.json").read_text(encoding="utf-8"))
    assert cruft["context"]["cookiecutter"]["author_name"] == author
    assert author in (project / "LICENSE").read_text(encoding="utf-8")


BAD_ANSWERS = {
    "empty-name": ({"project_name": ""}, "error: project_name='' is not valid"),
    "slug-not-a-directory-name": (
        {"project_slug": "My Project!"},
        "error: project_slug='My Project!' is not valid",
    ),
    "package-keyword": ({"package_name": "class"}, "a Python keyword"),
    "package-leading-digit": ({"package_name": "1model"}, "not starting with a digit"),
    "package-shadows-pandas": ({"package_name": "pandas"}, "shadow a dependency"),
    "package-shadows-dvc": ({"package_name": "dvc"}, "shadow a dependency"),
    "package-shadows-sklearn": ({"package_name": "sklearn"}, "shadow a dependency"),
    "package-shadows-test": ({"package_name": "test"}, "shadow a dependency"),
    "package-src": ({"package_name": "src"}, "shadow a dependency"),
    "custom-path-missing": (
        {"dataset": "custom", "custom_data_path": "/no/such/file.csv", "custom_target": "y"},
        "error: custom_data_path='/no/such/file.csv' is not valid: no such file",
    ),
    "custom-target-missing": (
        {"dataset": "custom", "custom_target": "label"},
        "error: custom_target='label' is not valid: the columns of churn.csv are",
    ),
    "custom-slice-not-a-column": (
        {"dataset": "custom", "custom_target": "churned", "custom_slices": "plan, region"},
        "error: custom_slices='plan, region' is not valid: 'region' is not a column; they are:",
    ),
    "slices-for-a-bundled-dataset": (
        {"dataset": "wine", "custom_slices": "alcohol"},
        "error: custom_slices='alcohol' is not valid: only dataset=custom takes it",
    ),
    "segments-not-a-column": (
        {"dataset": "custom", "custom_target": "churned", "segment_by": "region"},
        "error: segment_by='region' is not valid: not a column; they are: tenure_months,",
    ),
    "segments-by-the-target": (
        {"dataset": "custom", "custom_target": "churned", "segment_by": "churned"},
        "error: segment_by='churned' is not valid: that is the target",
    ),
    "segments-also-a-slice": (
        {
            "dataset": "custom",
            "custom_target": "churned",
            "custom_slices": "city, plan",
            "segment_by": "city",
        },
        "error: segment_by='city' is not valid: it is also in custom_slices",
    ),
    "segments-of-a-bundled-dataset": (
        {"dataset": "wine", "segment_by": "alcohol"},
        "error: segment_by='alcohol' is not valid: only dataset=custom takes it",
    ),
    "s3-url-malformed": (
        {"dvc_remote": "s3", "dvc_remote_url": "https://bucket/path"},
        "error: dvc_remote_url='https://bucket/path' is not valid: dvc_remote=s3 needs a URL",
    ),
    "ssh-url-malformed": (
        {"dvc_remote": "ssh", "dvc_remote_url": "host:/srv"},
        "dvc_remote=ssh needs a URL like ssh://",
    ),
}


def error_lines(result: Bake) -> list[str]:
    """The lines the pre-generation hook wrote, one per bad answer."""
    return [line for line in result.stderr.splitlines() if line.startswith("error: ")]


@pytest.mark.parametrize("case", list(BAD_ANSWERS), ids=str)
def test_bad_answer_fails_with_its_message_and_leaves_nothing(tmp_path, baker, case):
    answers, message = BAD_ANSWERS[case]
    if answers.get("dataset") == "custom" and "custom_data_path" not in answers:
        answers = {**answers, "custom_data_path": str(write_churn_csv(tmp_path / "churn.csv"))}
    result = baker(answers)
    assert result.returncode != 0
    assert any(message in line for line in error_lines(result)), result.stderr
    assert list(result.output_dir.iterdir()) == []


def test_custom_data_without_pyarrow_beside_cookiecutter_names_it(tmp_path):
    # an interpreter where `import pyarrow` fails, as when only cookiecutter, dvc and pandas
    # were installed: one line naming what to install, before anything is generated
    (tmp_path / "shadow").mkdir()
    (tmp_path / "shadow" / "pyarrow.py").write_text("raise ImportError('no pyarrow here')\n")
    env = {**isolated_env(tmp_path / "home"), "PYTHONPATH": str(tmp_path / "shadow")}
    answers = {"dataset": "custom", "custom_target": "churned"}
    answers["custom_data_path"] = str(write_churn_csv(tmp_path / "churn.csv"))
    result = bake(tmp_path / "out", answers, env=env)
    assert result.returncode != 0
    assert error_lines(result) == [
        "error: dataset='custom' is not valid: writing the expectation suite from your file "
        "needs pyarrow beside cookiecutter (pip install pandas pyarrow)"
    ]
    assert list(result.output_dir.iterdir()) == []


def test_three_bad_answers_give_three_lines_in_one_run(baker):
    result = baker(
        {
            "author_email": "nobody",
            "github_owner": "bad owner",
            "dvc_remote": "s3",
            "dvc_remote_url": "https://bucket/path",
        }
    )
    assert result.returncode != 0
    assert error_lines(result) == [
        "error: author_email='nobody' is not valid: use an address like name@example.com",
        "error: github_owner='bad owner' is not valid: use a GitHub user or organisation name "
        "(letters, digits, single '-')",
        "error: dvc_remote_url='https://bucket/path' is not valid: dvc_remote=s3 needs a URL "
        "like s3://bucket/path",
    ]
    assert list(result.output_dir.iterdir()) == []


def test_unsupported_python_version_is_refused(baker):
    result = baker({"python_version": "3.9"})
    assert result.returncode != 0
    assert "3.9 provided for choice variable python_version" in result.stderr
    assert list(result.output_dir.iterdir()) == []


def snapshot(project: Path) -> dict[str, str]:
    return {
        str(p.relative_to(project)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(project.rglob("*"))
        if p.is_file()
    }


def test_second_run_into_same_folder_is_refused_and_overwrites_nothing(baker):
    first = baker({"dataset": "wine"})
    assert first.returncode == 0, first.stderr
    (first.project / "params.yaml").write_text("edited: true\n", encoding="utf-8")
    before = snapshot(first.project)

    again = baker({"dataset": "wine"})
    assert again.returncode != 0
    assert "already exists" in again.stdout + again.stderr
    assert snapshot(first.project) == before

    forced = baker({"dataset": "wine"}, extra_args=("--overwrite-if-exists",))
    assert forced.returncode != 0
    assert "already holds a project" in forced.error_line
    assert snapshot(first.project) == before


def test_works_without_a_git_identity(tmp_path):
    env = isolated_env(tmp_path / "home", git_identity=False)
    result = bake(tmp_path / "out", {}, env=env)
    assert result.returncode == 0, result.stderr
    assert "git has no user.name/user.email" in result.stdout
    author = git(result.project, "log", "-1", "--format=%an <%ae>")
    assert author == "Project Template <template@localhost>"
    assert git(result.project, "status", "--porcelain") == ""
