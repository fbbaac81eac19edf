"""Slow tier: a generated project's own pre-commit hooks, installed with `pre-commit install`,
refuse commits of secrets and of files that grew too large, and let the rest through."""

from __future__ import annotations

import secrets
import string
import subprocess
from pathlib import Path

import pytest
from conftest import BIN, bake, isolated_env

pytestmark = pytest.mark.slow

SECRET_HOOK = "no secrets (detect-secrets, known findings in .secrets.baseline)"
KEY_HOOK = "no private keys"
AWS_HOOK = "no AWS credentials"
DVC_CONFIG_HOOK = "credentials go in .dvc/config.local - use `dvc remote modify --local`"
SIZE_HOOK = "large files (over 500 KB) go to DVC, not git - use `dvc add <file>`"


def random_text(length: int, alphabet: str = string.ascii_letters + string.digits) -> str:
    """Made up here, so that no secret-looking text sits in this file."""
    return "".join(secrets.choice(alphabet) for _ in range(length))


AWS_KEY_ID = "AKIA" + random_text(16, string.ascii_uppercase + "234567")
AWS_SECRET = random_text(40, string.ascii_letters + string.digits + "/+")
GITHUB_TOKEN = "ghp_" + random_text(36)
PASSWORD = random_text(12)


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    """One generated project (S3 remote) with its hooks installed, shared by the tests."""
    out = tmp_path_factory.mktemp("secrets")
    answers = {"dvc_remote": "s3", "dvc_remote_url": "s3://ml-data/project"}
    result = bake(out / "out", answers, env=isolated_env(out / "home"))
    assert result.returncode == 0, result.stderr
    install = run(result.project, [BIN / "pre-commit", "install"])
    assert install.returncode == 0, install.stdout + install.stderr
    return result.project


def run(project: Path, args: list, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        args,
        cwd=project,
        env={**isolated_env(project.parent.parent / "home"), **env},
        capture_output=True,
        text=True,
    )


def git(project: Path, *args: str) -> str:
    result = run(project, ["git", *args])
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout.strip()


def commit(project: Path, message: str, **env: str) -> tuple[bool, list[str], str]:
    """`git commit` through the installed hooks: (committed?, the hooks that failed, output)."""
    before = git(project, "rev-parse", "HEAD")
    result = run(project, ["git", "commit", "-m", message], **env)
    output = result.stdout + result.stderr
    failed = [
        line.rsplit(".", 1)[0].rstrip(".")
        for line in output.splitlines()
        if line.endswith("Failed")
    ]
    committed = git(project, "rev-parse", "HEAD") != before
    assert committed == (result.returncode == 0), output
    return committed, failed, output


@pytest.fixture
def clean(project):
    """Each test starts from the committed state and leaves nothing staged behind."""
    yield project
    git(project, "reset", "-q", "--hard")
    git(project, "clean", "-qfdx", "-e", ".venv")


def refused(project: Path, message: str, expected: set[str], **env: str) -> str:
    committed, failed, output = commit(project, message, **env)
    assert not committed, output
    assert expected <= set(failed), output
    return output


def test_a_harmless_change_is_committed(clean):
    notes = clean / "NOTES.md"
    notes.write_text("# Notes\n\nThe first experiment.\n", encoding="utf-8")
    git(clean, "add", "NOTES.md")
    committed, failed, output = commit(clean, "Add notes")
    assert committed, output
    assert failed == [], output
    git(clean, "reset", "-q", "--hard", "HEAD~1")


def test_an_aws_key_pair_in_a_file_is_refused(clean):
    (clean / "aws.ini").write_text(
        f"[default]\naws_access_key_id = {AWS_KEY_ID}\naws_secret_access_key = {AWS_SECRET}\n",
        encoding="utf-8",
    )
    git(clean, "add", "aws.ini")
    # detect-aws-credentials knows the keys of your own AWS configuration or environment.
    output = refused(
        clean, "Add AWS keys", {SECRET_HOOK, AWS_HOOK}, AWS_SECRET_ACCESS_KEY=AWS_SECRET
    )
    assert "AWS Access Key" in output
    assert AWS_SECRET not in output


def test_an_ssh_private_key_is_refused(clean):
    header = "-----BEGIN OPENSSH " + "PRIVATE KEY-----"
    body = "\n".join(random_text(70, string.ascii_letters + string.digits + "+/") for _ in range(5))
    key = clean / "deploy_key"
    key.write_text(f"{header}\n{body}\n-----END OPENSSH PRIVATE KEY-----\n", encoding="utf-8")
    git(clean, "add", "deploy_key")
    refused(clean, "Add a deploy key", {KEY_HOOK, SECRET_HOOK})


def test_a_github_token_in_dot_env_is_refused(clean):
    (clean / ".env").write_text(f"GITHUB_TOKEN={GITHUB_TOKEN}\n", encoding="utf-8")
    git(clean, "add", "-f", ".env")
    output = refused(clean, "Add settings", {SECRET_HOOK})
    assert "GitHub Token" in output
    assert GITHUB_TOKEN not in output


@pytest.mark.parametrize(
    "setting",
    [
        ["secret_access_key", AWS_SECRET],
        ["url", f"ssh://bob:{PASSWORD}@host.example.com/srv/dvc"],
    ],
    ids=["secret_access_key", "password-in-url"],
)
def test_credentials_in_dvc_config_are_refused_and_belong_in_config_local(clean, setting):
    modify = run(clean, [BIN / "dvc", "remote", "modify", "storage", *setting])
    assert modify.returncode == 0, modify.stderr
    git(clean, "add", ".dvc/config")
    refused(clean, "Set the remote's credentials", {DVC_CONFIG_HOOK})
    git(clean, "reset", "-q", "--hard")
    # Where they belong: .dvc/config.local, which git ignores; nothing to commit.
    local = run(clean, [BIN / "dvc", "remote", "modify", "--local", "storage", *setting])
    assert local.returncode == 0, local.stderr
    assert setting[1] in (clean / ".dvc" / "config.local").read_text(encoding="utf-8")
    assert git(clean, "status", "--porcelain") == ""
    (clean / ".dvc" / "config.local").unlink()


def test_a_file_that_grows_past_the_limit_is_refused(clean):
    data = clean / "lookup.csv"
    data.write_text("code,label\n" + "".join(f"{i},x\n" for i in range(100)), encoding="utf-8")
    git(clean, "add", "lookup.csv")
    committed, failed, output = commit(clean, "Add a small lookup table")
    assert committed, output
    assert failed == [], output
    # Just past the limit: every other hook (detect-secrets among them) reads the whole file.
    with data.open("a", encoding="utf-8") as handle:
        handle.write("".join(f"{i},x\n" for i in range(100, 100 + 600 * 1024 // 8)))
    assert data.stat().st_size > 500 * 1024
    git(clean, "add", "lookup.csv")
    output = refused(clean, "Grow the lookup table", {SIZE_HOOK})
    assert "lookup.csv (" in output
    assert "exceeds 500 KB" in output
    git(clean, "reset", "-q", "--hard", "HEAD~1")
