"""Finish the generated project: drop files of answers not chosen, record the
answers, lock the dependencies (uv.lock), and make it a git + DVC repository
with a first commit, whose findings the secret scanner records (.secrets.baseline).

Runs inside the new project directory. A failure prints one line and exits
non-zero; cookiecutter then removes the directory, so nothing is half-made.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

# The answers, injected once; everything below is plain Python.
ANSWERS_JSON = r"""{{ cookiecutter | tojson }}"""

SUITES = {
    "breast_cancer": "expectations/breast_cancer.json",
    "wine": "expectations/wine.json",
    "diabetes": "expectations/diabetes.json",
}
SUITE = "expectations/suite.json"

# The workflows' local composite actions that only some answers use.
REMOTE_CREDENTIALS = ".github/actions/remote-credentials"
SETUP_JAVA = ".github/actions/setup-java"

# {question: {answer: [paths that belong to that answer]}}. The paths of every answer
# not chosen are removed, unless the chosen answer lists them too; {package} stands for
# the package's folder name.
FILES_BY_ANSWER: dict[str, dict[str, list[str]]] = {
    "dataset": {name: [path] for name, path in SUITES.items()} | {"custom": []},
    "dvc_remote": {
        "s3": [REMOTE_CREDENTIALS, ".github/act/configure-aws-credentials"],
        "gcs": [REMOTE_CREDENTIALS],
        "azure": [REMOTE_CREDENTIALS],
        "ssh": [REMOTE_CREDENTIALS],
    },
    "compute": {
        "spark": [
            "tests/code/test_spark.py",
            SETUP_JAVA,
            ".github/act/setup-java",
        ],
    },
}

# Paths of a project with many models only (segment_by answered), and of one model only.
MANY_MODELS_ONLY = ["src/{package}/plan.py", "tests/model/test_shipped_models.py"]
ONE_MODEL_ONLY = ["tests/model/test_shipped_model.py", "tests/model/test_shipped_slices.py"]

DVCIGNORE = "__pycache__/\n*.pyc\n"

# Seconds `uv lock` may take at generation (about 5 with a warm cache).
LOCK_TIMEOUT = 60

# Keys of the cookiecutter context that describe the run, not the answers.
RUN_KEYS = ("_output_dir", "_repo_dir", "_checkout")

NEUTRAL_IDENTITY = ("Project Template", "template@localhost")
ENV = {
    **os.environ,
    "DVC_NO_ANALYTICS": "1",
    "GX_ANALYTICS_ENABLED": "false",
    "GIT_TERMINAL_PROMPT": "0",
}


class HookError(RuntimeError):
    """A step of project set-up that failed, with what to do about it."""


def paths_to_remove(answers: dict, table: dict = FILES_BY_ANSWER) -> list[str]:
    """Paths that belong to answers that were not chosen, and not to the chosen one."""
    doomed = set()
    for question, by_answer in table.items():
        kept = set(by_answer.get(answers[question], []))
        for answer, paths in by_answer.items():
            if answers[question] != answer:
                doomed.update(p for p in paths if p not in kept)
    doomed.update(ONE_MODEL_ONLY if answers.get("segment_by") else MANY_MODELS_ONLY)
    return sorted(p.format(package=answers["package_name"]) for p in doomed)


def remove_paths(root: Path, paths: list[str]) -> None:
    """Remove each path, and the folders it leaves empty (.github/actions/, say)."""
    for rel in paths:
        target = root / rel
        if target.is_dir():
            shutil.rmtree(target)
        elif target.exists():
            target.unlink()
        else:
            continue
        for parent in target.parents:
            if parent == root or any(parent.iterdir()):
                break
            parent.rmdir()


def template_commit(repo_dir: str) -> str | None:
    """The template's git commit, when it was generated from a git checkout."""
    if not repo_dir or not (Path(repo_dir) / ".git").exists():
        return None
    result = subprocess.run(
        ["git", "-C", repo_dir, "rev-parse", "HEAD"], capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        return None
    return result.stdout.strip() or None


def invocation_dir() -> Path | None:
    """The folder cookiecutter was started from, as the shell says ($PWD).

    Hooks run inside the new project, so a relative template path given on the
    command line has to be resolved against this; callers check the result.
    """
    pwd = os.environ.get("PWD")
    return Path(pwd) if pwd else None


# A `cd` into the project is written relative to the user's folder when the
# project lies inside it at most this many folders down, else as an absolute path.
MAX_RELATIVE_DEPTH = 3


def next_command(root: Path, start: Path | None) -> str:
    """What to type next, from the folder cookiecutter was started in."""
    target = root.resolve()
    if start is not None and start.is_dir() and target.is_relative_to(start.resolve()):
        relative = target.relative_to(start.resolve())
        # `cd -x` would read a folder named -x as an option
        if 0 < len(relative.parts) <= MAX_RELATIVE_DEPTH and not str(relative).startswith("-"):
            target = relative
    return f"cd {shlex.quote(str(target))} && python3 tasks.py repro"


def template_location(template: str, start: Path | None) -> str:
    """Where `cruft update` can clone the template again, from any folder.

    A git URL stays as it is, an abbreviation (gh:, gl:, bb:) is expanded the way
    cookiecutter expands it, and a local path becomes absolute.
    """
    try:
        from cookiecutter.config import BUILTIN_ABBREVIATIONS
        from cookiecutter.repository import expand_abbreviations, is_repo_url
    except ImportError:  # run by something other than cookiecutter's own interpreter
        return template
    expanded = expand_abbreviations(template, BUILTIN_ABBREVIATIONS)
    if is_repo_url(expanded) or expanded != template:
        return expanded
    path = Path(template).expanduser()
    if not path.is_absolute() and start is not None:
        path = start / path
    return str(path.resolve()) if (path / "cookiecutter.json").is_file() else template


# Written into the record instead of the path given at generation time: where
# the hook copied the file, so that `cruft update`, run from the project root,
# finds it there (after `dvc pull`).
def in_project_data_path(answers: dict) -> str:
    return answers["__source"] if answers["dataset"] == "custom" else answers["custom_data_path"]


def answers_record(answers: dict) -> dict:
    """The answers as `cruft create` writes them, so `cruft update` can bring template changes."""
    start = invocation_dir()
    template = template_location(answers.get("_template", ""), start)
    repo_dir = Path(answers.get("_repo_dir") or ".")
    if not repo_dir.is_absolute() and start is not None:
        repo_dir = start / repo_dir
    commit = template_commit(str(repo_dir)) if answers.get("_repo_dir") else None
    context = {k: v for k, v in answers.items() if k not in RUN_KEYS}
    context["custom_data_path"] = in_project_data_path(answers)
    context["_template"] = template
    if commit:
        context["_commit"] = commit
    return {
        "template": template,
        "commit": commit,
        "checkout": answers.get("_checkout"),
        "context": {"cookiecutter": context},
        "directory": None,
    }


def cruft_json(record: dict) -> str:
    """cruft's own layout of .cruft.json, so that its first update is not a reformat."""
    return json.dumps(record, ensure_ascii=False, indent=2, separators=(",", ": ")) + "\n"


def run(args: list[str], cwd: Path, what: str, env: dict | None = None) -> str:
    try:
        result = subprocess.run(
            args, cwd=cwd, env={**ENV, **(env or {})}, capture_output=True, text=True, check=False
        )
    except FileNotFoundError as exc:
        raise HookError(f"{what}: `{args[0]}` is not installed or not on PATH") from exc
    if result.returncode != 0:
        detail = (result.stderr or result.stdout).strip().splitlines()
        raise HookError(f"{what} failed: {detail[-1] if detail else 'no output'}")
    return result.stdout


def dvc_command() -> list[str]:
    """DVC from this interpreter when it has it, else the `dvc` on PATH."""
    try:
        import dvc  # noqa: F401
    except ImportError:
        if shutil.which("dvc"):
            return ["dvc"]
        raise HookError(
            "DVC is needed to set up the project: install it beside cookiecutter "
            "(pip install cookiecutter dvc)"
        ) from None
    return [sys.executable, "-m", "dvc"]


def git_identity(root: Path) -> list[str]:
    """`-c` options giving a neutral identity when git has none configured."""
    probe = subprocess.run(
        ["git", "var", "GIT_COMMITTER_IDENT"], cwd=root, env=ENV, capture_output=True, check=False
    )
    if probe.returncode == 0:
        return []
    name, email = NEUTRAL_IDENTITY
    print(
        f"note: git has no user.name/user.email; the first commit is by '{name} <{email}>'. "
        "Set yours with `git config --global user.name ...` and `user.email ...`."
    )
    return ["-c", f"user.name={name}", "-c", f"user.email={email}"]


def copy_custom_data(answers: dict, root: Path) -> Path:
    """Copy the user's file to where params.yaml expects it."""
    source = Path(answers["custom_data_path"]).expanduser()
    start = invocation_dir()
    source = (source if source.is_absolute() or start is None else start / source).resolve()
    target = root / answers["__source"]
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)
    return target


def write_suite(answers: dict, root: Path, data: Path | None) -> None:
    """Put the expectation suite for the chosen data at expectations/suite.json."""
    if data is None:
        (root / SUITES[answers["dataset"]]).replace(root / SUITE)
        return
    run(
        [
            sys.executable,
            "-m",
            "mlops_kit.validation.suite",
            "--data",
            str(data.relative_to(root)),
            "--out",
            SUITE,
        ],
        root,
        "writing the expectation suite from your data",
        env={"PYTHONPATH": "src"},
    )


def uv_command() -> str | None:
    """uv from this interpreter when it has it, else the `uv` on PATH."""
    try:
        from uv import find_uv_bin

        return find_uv_bin()
    except (ImportError, FileNotFoundError):
        return shutil.which("uv")


def lock_dependencies(root: Path) -> None:
    """Write uv.lock for the first commit; without it, the first `tasks.py setup` does."""
    uv = uv_command()
    why = "uv is not installed beside cookiecutter"
    if uv is not None:
        # No Python downloads here: with the project's Python missing, set-up installs it.
        env = {"UV_PYTHON_DOWNLOADS": "never", **ENV}
        try:
            result = subprocess.run(
                [uv, "lock", "--quiet"],
                cwd=root,
                env=env,
                capture_output=True,
                text=True,
                timeout=LOCK_TIMEOUT,
                check=False,
            )
            last = (result.stderr.strip().splitlines() or ["no output"])[-1]
            why = None if result.returncode == 0 else f"uv lock failed: {last}"
        except subprocess.TimeoutExpired:
            why = f"the package index did not answer within {LOCK_TIMEOUT} s"
    if why is not None:
        (root / "uv.lock").unlink(missing_ok=True)
        print(f"note: no uv.lock yet ({why}); the first `python3 tasks.py setup` writes it")


# The secret scanner's baseline: what it finds in the first commit is recorded, so that
# only new findings stop a commit. The lock files and .dvc files hold hashes written by
# tools, and .cruft.json the template's commit, which changes on every update.
BASELINE = ".secrets.baseline"
SCAN_EXCLUDE_FILES = r"(^|/)(uv|dvc)\.lock$|\.dvc$"
SCAN_EXCLUDE_LINES = r'^\s*"_?commit": "[0-9a-f]{40}",?$'
SCAN_TIMEOUT = 60


def scanner_requirement(root: Path) -> str:
    """detect-secrets at the version the project's pre-commit hook pins."""
    config = (root / ".pre-commit-config.yaml").read_text(encoding="utf-8")
    match = re.search(r"detect-secrets==[\w.]+", config)
    if match is None:
        raise HookError(".pre-commit-config.yaml pins no detect-secrets version")
    return match.group(0)


def write_secrets_baseline(root: Path) -> bool:
    """Scan the staged files with the pinned detect-secrets (through uv, from the package
    index) and write .secrets.baseline; without uv or the index, a note says how."""
    requirement = scanner_requirement(root)
    uv = uv_command()
    why = "uv is not installed beside cookiecutter"
    if uv is not None:
        args = [uv, "tool", "run", "--quiet", "--from", requirement, "detect-secrets", "scan"]
        args += ["--exclude-files", SCAN_EXCLUDE_FILES, "--exclude-lines", SCAN_EXCLUDE_LINES]
        try:
            result = subprocess.run(
                args,
                cwd=root,
                env={"UV_PYTHON_DOWNLOADS": "never", **ENV},
                capture_output=True,
                text=True,
                timeout=SCAN_TIMEOUT,
                check=False,
            )
            last = (result.stderr.strip().splitlines() or ["no output"])[-1]
            why = None if result.returncode == 0 else f"the scan failed: {last}"
        except subprocess.TimeoutExpired:
            why = f"the package index did not answer within {SCAN_TIMEOUT} s"
    if why is None:
        try:
            json.loads(result.stdout)["results"]
        except (ValueError, KeyError, TypeError):
            why = "the scan wrote no baseline"
    if why is not None:
        print(
            f"note: no {BASELINE} yet ({why}); `python3 tasks.py setup` (or any task) "
            "writes it, before your first commit with pre-commit installed"
        )
        return False
    (root / BASELINE).write_text(result.stdout, encoding="utf-8")
    return True


def data_ci_cannot_reach(answers: dict) -> str | None:
    """A note when the project's data lives only in DVC and CI has no remote to get it from."""
    if answers["dataset"] != "custom" or answers["dvc_remote"] not in ("local", "none"):
        return None
    where = (
        f"cannot reach the local folder remote {answers['dvc_remote_url']}"
        if answers["dvc_remote"] == "local"
        else "has no DVC remote to get it from"
    )
    how = (
        "`dvc remote modify storage url s3://bucket/path`"
        if answers["dvc_remote"] == "local"
        else "`dvc remote add -d storage s3://bucket/path`"
    )
    return (
        f"note: your data ({answers['__source']}) is tracked by DVC, not git, and CI {where}: "
        f"set a remote CI can reach ({how}, or gs://, azure://, ssh://), `dvc push`, and its "
        "CI secrets (README, 'Data and model storage'); until then the Pipeline workflow stops "
        "at its data step and the data tests are skipped"
    )


def set_up_repository(answers: dict, root: Path, data: Path | None) -> None:
    dvc = dvc_command()
    run(["git", "init", "-q", "-b", "main"], root, "git init")
    run([*dvc, "init", "-q"], root, "dvc init")
    with (root / ".dvcignore").open("a", encoding="utf-8") as ignore:
        # The stages' deps include the kit's sub-package folders: Python's byte-code caches
        # inside them are no part of the code, and would rerun the stages that use them.
        ignore.write(DVCIGNORE)
    run([*dvc, "config", "core.analytics", "false"], root, "turning DVC analytics off")
    run([*dvc, "config", "core.autostage", "true"], root, "turning DVC autostage on")
    if answers["dvc_remote"] != "none":
        run(
            # `--`: the URL is never read as an option of dvc, whatever it starts with
            [*dvc, "remote", "add", "--default", "--", "storage", answers["dvc_remote_url"]],
            root,
            "adding the DVC remote",
        )
    if data is not None:
        run([*dvc, "add", "-q", str(data.relative_to(root))], root, "dvc add of your data")
    run(["git", "add", "--all"], root, "git add")
    if write_secrets_baseline(root):
        run(["git", "add", "--", BASELINE], root, "git add")
    run(
        [
            "git",
            *git_identity(root),
            "commit",
            "-q",
            "--no-verify",
            "-m",
            f"Generate {answers['project_name']} from the MLOps template",
        ],
        root,
        "first commit",
    )


def main(answers: dict, root: Path) -> int:
    try:
        remove_paths(root, paths_to_remove(answers))
        data = copy_custom_data(answers, root) if answers["dataset"] == "custom" else None
        write_suite(answers, root, data)
        (root / ".cruft.json").write_text(cruft_json(answers_record(answers)), "utf-8")
        lock_dependencies(root)
        set_up_repository(answers, root, data)
    except HookError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    note = data_ci_cannot_reach(answers)
    if note:
        print(note)
    print(f"Created {root}. Next: {next_command(root, invocation_dir())}")
    return 0


if __name__ == "__main__":
    sys.exit(main(json.loads(ANSWERS_JSON), Path.cwd()))
