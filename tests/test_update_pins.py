"""Fast tier: tools/update_pins.py against a local package index and a local GitHub.

The real script runs as a subprocess in a copy of this repository (a git repository with a
bare `origin`), with PYPI_URL and GITHUB_API_URL pointing at local servers."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import threading
import tomllib
from fnmatch import fnmatch
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from conftest import BIN, TEMPLATE, audit_workflows, isolated_env
from fake_github import FakeGitHub

SLUG = "{{cookiecutter.project_slug}}"
HOOKS = f"{SLUG}/.pre-commit-config.yaml"
REPO = "acme/mlops-template"
PY_PIN = re.compile(r"([\w-]+)(?:\[[\w-]+\]|\{\{[^}]*\}\})?==(\d+(?:\.\d+)*)")
ACTION = re.compile(r"uses:\s*([\w.-]+/[\w.-]+)@([0-9a-f]{40}) # (v\d+(?:\.\d+)*)")
WORKFLOWS = (
    f"{SLUG}/.github/workflows/*.yml",
    f"{SLUG}/.github/actions/*/action.yml",
    ".github/workflows/*.yml",
)


class FakePyPI:
    """PyPI's JSON API (`/pypi/<name>/json`) for the packages it is given."""

    def __init__(self) -> None:
        self.packages: dict[str, dict] = {}
        self.calls: list[str] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_GET(self) -> None:
                fake.calls.append(self.path)
                match = re.fullmatch(r"/pypi/([^/]+)/json", self.path)
                data = fake.packages.get(match.group(1)) if match else None
                body = json.dumps(data if data else {"message": "Not Found"}).encode()
                self.send_response(200 if data else 404)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def release(self, name: str, *versions: str, latest: str, yanked: tuple[str, ...] = ()):
        """`name` with these releases; `latest` is what the index calls info.version."""
        releases = {
            v: [{"filename": f"{name}-{v}.tar.gz", "yanked": v in yanked}] for v in versions
        }
        self.packages[name] = {"info": {"name": name, "version": latest}, "releases": releases}

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def current_pins() -> tuple[dict[str, str], dict[str, tuple[str, str]]]:
    """{package: version} of the hooks, {owner/repo: (sha, tag)} of every pinned action."""
    python = dict(PY_PIN.findall((TEMPLATE / HOOKS).read_text(encoding="utf-8")))
    actions = {}
    for pattern in WORKFLOWS:
        for workflow in TEMPLATE.glob(pattern):
            for repo, sha, tag in ACTION.findall(workflow.read_text(encoding="utf-8")):
                actions[repo] = (sha, tag)
    return python, actions


PYTHON, ACTIONS = current_pins()
NEW_SHA = {repo: f"{index:x}".rjust(40, "a") for index, repo in enumerate(sorted(ACTIONS))}


class Checkout:
    """A copy of this repository with an origin, a local index and a local GitHub."""

    def __init__(self, tmp_path: Path) -> None:
        self.tmp = tmp_path
        self.root = tmp_path / "template"
        files = subprocess.run(
            ["git", "ls-files", "-z"], cwd=TEMPLATE, capture_output=True, text=True, check=True
        ).stdout.split("\0")
        files += ["tools/update_pins.py", ".github/workflows/update-pins.yml"]
        for name in filter(None, files):
            if (TEMPLATE / name).is_file():
                (self.root / name).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(TEMPLATE / name, self.root / name)
        self.env = isolated_env(tmp_path / "home")
        self.origin = tmp_path / "origin.git"
        self.git("init", "-q", "-b", "main")
        self.git("add", "--all")
        self.git("commit", "-qm", "Template")
        subprocess.run(["git", "init", "-q", "--bare", str(self.origin)], check=True)
        url = f"https://github.com/{REPO}.git"  # GitHub's address, served by the bare origin
        with Path(self.env["GIT_CONFIG_GLOBAL"]).open("a", encoding="utf-8") as config:
            config.write(f'[url "{self.origin}"]\n\tinsteadOf = {url}\n')
        self.git("remote", "add", "origin", url)
        self.git("push", "-q", "origin", "main")
        self.original = {name: self.text(name) for name in self.tracked()}
        self.pypi = FakePyPI()
        self.github = FakeGitHub(REPO, bare_repo=self.origin).start()
        self.env.update(
            PYPI_URL=self.pypi.url,
            GITHUB_API_URL=self.github.url,
            GITHUB_TOKEN="dummy-token",
            GITHUB_REPOSITORY=REPO,
            GITHUB_REF_NAME="main",
        )
        for name, version in PYTHON.items():  # by default: nothing newer anywhere
            self.pypi.release(name, version, latest=version)
        for repo, (sha, tag) in ACTIONS.items():
            self.github.add_upstream_release(repo, tag, sha)

    def close(self) -> None:
        self.pypi.stop()
        self.github.stop()

    def git(self, *args: str, cwd: Path | None = None) -> str:
        result = subprocess.run(
            ["git", *args], cwd=cwd or self.root, env=self.env, capture_output=True, text=True
        )
        assert result.returncode == 0, result.stderr
        return result.stdout.strip()

    def tracked(self) -> list[str]:
        return self.git("ls-files").splitlines()

    def text(self, name: str) -> str | bytes:
        """A file's text; its bytes when it is not text (the benchmark plot)."""
        data = (self.root / name).read_bytes()
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            return data

    def run(self, *args: str, **env: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "tools/update_pins.py", *args],
            cwd=self.root,
            env={**self.env, **env},
            capture_output=True,
            text=True,
            timeout=120,
        )

    def newer_releases(self, ruff: str = "0.99.1") -> None:
        """ruff and dvc: newer; zizmor: a newer pre-release (info.version) and a newer yanked
        release above the newest good one; checkout: a major bump; setup-uv: a minor one;
        configure-aws-credentials: no releases at all."""
        self.pypi.release("ruff", PYTHON["ruff"], ruff, latest=ruff)
        self.pypi.release("dvc", PYTHON["dvc"], "3.99.0", latest="3.99.0")
        self.pypi.release(
            "zizmor", PYTHON["zizmor"], "1.98.0", "1.99.0", "2.0.0rc1", latest="2.0.0rc1",
            yanked=("1.99.0",),
        )  # fmt: skip
        self.github.add_upstream_release("actions/checkout", "v9.0.0", NEW_SHA["actions/checkout"])
        self.github.add_upstream_release(
            "astral-sh/setup-uv", "v6.99.0", NEW_SHA["astral-sh/setup-uv"]
        )
        self.github.upstream_latest.pop("aws-actions/configure-aws-credentials", None)

    def expected(self, ruff: str = "0.99.1") -> dict[str, str]:
        """Every tracked file as it must be after --write: only the version strings differ."""
        swaps = {
            f"ruff=={PYTHON['ruff']}": f"ruff=={ruff}",
            f"=={PYTHON['dvc']}": "==3.99.0",  # dvc, dvc{{ extra }}
            f"zizmor=={PYTHON['zizmor']}": "zizmor==1.98.0",
        }
        for repo, version in (("actions/checkout", "v9.0.0"), ("astral-sh/setup-uv", "v6.99.0")):
            sha, tag = ACTIONS[repo]
            swaps[f"{repo}@{sha} # {tag}"] = f"{repo}@{NEW_SHA[repo]} # {version}"
        pin_files = (HOOKS, f"{SLUG}/pyproject.toml", "pyproject.toml", *WORKFLOWS)
        out = {}
        for name, text in self.original.items():
            if any(fnmatch(name, pattern) for pattern in pin_files):  # the others stay as they are
                for old, new in swaps.items():
                    text = text.replace(old, new)
            out[name] = text
        return out


@pytest.fixture
def checkout(tmp_path):
    repo = Checkout(tmp_path)
    yield repo
    repo.close()


def one_line_error(result: subprocess.CompletedProcess) -> str:
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: "), result.stderr
    return lines[0]


def test_the_pins_the_tool_maintains_are_the_ones_the_tests_expect():
    assert {"ruff", "zizmor", "dvc", "pre-commit-hooks", "nbstripout"} <= set(PYTHON)
    assert {"actions/checkout", "astral-sh/setup-uv", "actions/upload-artifact"} <= set(ACTIONS)
    # from the generated project's local composite actions (.github/actions/)
    assert {"aws-actions/configure-aws-credentials", "actions/setup-java"} <= set(ACTIONS)


def test_write_changes_only_the_version_strings_and_opens_one_pull_request(checkout):
    checkout.newer_releases()
    result = checkout.run("--write", "--open-pr", PIN_UPDATE_TESTS="success")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "| action | `actions/checkout` | v4.2.2" in result.stdout
    assert "v9.0.0" in result.stdout
    assert "note: aws-actions/configure-aws-credentials: no releases" in result.stdout

    # Exactly the expected edits, in exactly the expected files, nothing else.
    expected = checkout.expected()
    for name in checkout.tracked():
        assert checkout.text(name) == expected[name], name
    changed = set(checkout.git("diff", "--name-only").splitlines())
    assert changed == {
        HOOKS,
        f"{SLUG}/pyproject.toml",
        "pyproject.toml",
        f"{SLUG}/.github/workflows/monitor.yml",
        f"{SLUG}/.github/workflows/pipeline.yml",
        f"{SLUG}/.github/workflows/promote.yml",
        f"{SLUG}/.github/workflows/publish.yml",
        f"{SLUG}/.github/workflows/test.yml",
        ".github/workflows/template-tests.yml",
        ".github/workflows/update-pins.yml",
    }
    diff = checkout.git("diff", "-U0", "--no-color")
    removed = [line[1:] for line in diff.splitlines() if line.startswith("-") and "---" not in line]
    added = [line[1:] for line in diff.splitlines() if line.startswith("+") and "+++" not in line]
    assert len(removed) == len(added)
    version = re.compile(r"[0-9a-f]{40}|v?\d+(?:\.\d+)+")
    for old, new in zip(removed, added, strict=True):
        assert version.sub("#", old) == version.sub("#", new), (old, new)
    assert checkout.git("status", "--porcelain", "--untracked-files=all").count("??") == 0

    # The template's own tooling stays equal to the hooks'.
    pyproject = tomllib.loads(checkout.text("pyproject.toml"))["project"]
    own = dict(
        r.split("==")
        for r in [*pyproject["dependencies"], *pyproject["optional-dependencies"]["test"]]
    )
    hooks = dict(PY_PIN.findall(checkout.text(HOOKS)))
    assert own["ruff"] == hooks["ruff"] == "0.99.1"
    assert own["zizmor"] == hooks["zizmor"] == "1.98.0"
    assert own["dvc"] == hooks["dvc"] == "3.99.0"
    assert '"dvc{{ extra }}==3.99.0"' in checkout.text(HOOKS)

    # One pull request, from a branch whose commit holds the new pins on top of main.
    (pr,) = checkout.github.pulls.values()
    assert pr["head"]["ref"].startswith("update-pins/")
    assert pr["base"]["ref"] == "main"
    assert not pr["draft"]
    majors = next(line for line in pr["body"].splitlines() if "Major version bumps" in line)
    assert "`actions/checkout`" in majors  # v4 -> v9
    assert "`ruff`" in majors  # 0.17 -> 0.99: a 0.y bump may break
    assert "`dvc`" not in majors
    assert "The fast tier passed" in pr["body"]
    assert "starts no other workflow" in pr["body"]
    branch = pr["head"]["ref"]
    bare = checkout.origin
    assert checkout.git("rev-parse", f"{branch}~1", cwd=bare) == checkout.git("rev-parse", "main")
    assert set(checkout.git("diff", "--name-only", "main", branch, cwd=bare).splitlines()) == (
        changed
    )
    for name in changed:
        assert checkout.git("show", f"{branch}:{name}", cwd=bare) + "\n" == expected[name]
    # The checkout itself was left alone: still on main, nothing staged.
    assert checkout.git("rev-parse", "--abbrev-ref", "HEAD") == "main"
    assert checkout.git("diff", "--cached", "--name-only") == ""
    assert all(c["authorization"] == "Bearer dummy-token" for c in checkout.github.calls)


def test_a_second_run_updates_the_same_pull_request(checkout):
    checkout.newer_releases()
    first = checkout.run("--write", "--open-pr")
    assert first.returncode == 0, first.stderr
    (pr,) = checkout.github.pulls.values()
    first_head = checkout.git("rev-parse", pr["head"]["ref"], cwd=checkout.origin)

    checkout.newer_releases(ruff="0.99.2")  # a week later, another ruff
    second = checkout.run("--write", "--open-pr")
    assert second.returncode == 0, second.stderr
    assert f"Updated pull request #{pr['number']}" in second.stdout
    assert list(checkout.github.pulls) == [pr["number"]]
    assert [c["method"] for c in checkout.github.calls if "/pulls" in c["path"]].count("POST") == 1
    assert "0.99.2" in checkout.github.pulls[pr["number"]]["body"]
    branch = pr["head"]["ref"]
    head = checkout.git("rev-parse", branch, cwd=checkout.origin)
    assert head != first_head  # force-pushed
    assert checkout.git("rev-parse", f"{branch}~1", cwd=checkout.origin) == checkout.git(
        "rev-parse", "main"
    )
    hooks = checkout.git("show", f"{branch}:{HOOKS}", cwd=checkout.origin)
    assert "ruff==0.99.2" in hooks
    assert hooks + "\n" == checkout.expected(ruff="0.99.2")[HOOKS]


def test_a_token_that_may_not_change_workflows_proposes_the_rest(checkout):
    """GitHub refuses .github/workflows/ changes from a token without the Workflows
    permission (the workflow's own GITHUB_TOKEN); here a pre-receive hook of the origin."""
    hook = checkout.origin / "hooks" / "pre-receive"
    hook.write_text(
        "#!/bin/sh\n"
        "while read old new ref; do\n"
        "  if git diff --name-only refs/heads/main \"$new\" | grep -q '^.github/workflows/'; then\n"
        "    echo 'refusing to allow a GitHub App to create or update workflow"
        " `.github/workflows/x.yml` without `workflows` permission' >&2; exit 1\n"
        "  fi\n"
        "done\n",
        encoding="utf-8",
    )
    hook.chmod(0o755)
    checkout.newer_releases()
    result = checkout.run("--write", "--open-pr")
    assert result.returncode == 0, result.stderr
    (pr,) = checkout.github.pulls.values()
    assert "**Not included:**" in pr["body"]
    assert "`actions/checkout` v4.2.2 -> v9.0.0" in pr["body"]
    branch = pr["head"]["ref"]
    changed = checkout.git("diff", "--name-only", "main", branch, cwd=checkout.origin)
    assert f"{SLUG}/.github/workflows/test.yml" in changed.splitlines()
    assert not [f for f in changed.splitlines() if f.startswith(".github/")]


def test_failing_tests_open_a_draft_marked_failing(checkout):
    checkout.newer_releases()
    assert checkout.run("--write").returncode == 0
    result = checkout.run("--open-pr", "--tests", "failure")
    assert result.returncode == 0, result.stderr
    (pr,) = checkout.github.pulls.values()
    assert pr["draft"]
    assert "failing" in pr["title"]
    assert "The fast tier failed" in pr["body"]


def test_nothing_to_do_exits_0_and_opens_nothing(checkout):
    result = checkout.run("--write", "--open-pr")
    assert result.returncode == 0, result.stderr
    assert "up to date" in result.stdout
    assert "Nothing to propose" in result.stdout
    assert checkout.github.pulls == {}
    assert not [c for c in checkout.github.calls if c["method"] != "GET"]
    assert checkout.git("status", "--porcelain") == ""
    assert checkout.git("ls-remote", "--heads", str(checkout.origin)).count("refs/heads/") == 1


def test_without_write_nothing_changes(checkout):
    checkout.newer_releases()
    result = checkout.run()
    assert result.returncode == 0, result.stderr
    assert "0.99.1" in result.stdout
    assert checkout.git("status", "--porcelain") == ""


def test_unreachable_index_is_one_line_and_changes_nothing(checkout):
    checkout.newer_releases()
    result = checkout.run("--write", "--open-pr", PYPI_URL="http://127.0.0.1:9")
    assert result.returncode == 1
    line = one_line_error(result)
    assert "cannot reach the package index at http://127.0.0.1:9" in line
    assert "PYPI_URL" in line
    assert checkout.git("status", "--porcelain") == ""
    assert checkout.github.pulls == {}


def test_a_refused_token_is_one_line_and_changes_nothing(checkout):
    checkout.newer_releases()  # the package look-ups succeed; the first action's fails
    result = checkout.run("--write", GITHUB_TOKEN="")
    assert result.returncode == 1
    line = one_line_error(result)
    assert "401" in line
    assert "GITHUB_TOKEN" in line
    assert checkout.git("status", "--porcelain") == ""


def test_denied_writes_are_one_line(checkout):
    checkout.newer_releases()
    checkout.github.deny_writes = True
    result = checkout.run("--write", "--open-pr")
    assert result.returncode == 1
    line = one_line_error(result)
    assert "403" in line
    assert "pull-requests: write" in line


def test_this_repositorys_workflows_are_valid_and_pass_zizmor():
    workflows = sorted((TEMPLATE / ".github" / "workflows").glob("*.yml"))
    assert any(w.name == "update-pins.yml" for w in workflows)
    audit_workflows(workflows, TEMPLATE / ".github" / "workflows")


def test_the_workflow_under_act_opens_the_pull_request(checkout):
    """The Update pins workflow itself, run by act on the host: the checkout stand-in of
    generated projects clones the bare origin; the fast tier is skipped (the workflow's
    skip-tests input), which keeps this a few seconds."""
    checkout.newer_releases()
    checkout_pin = re.search(
        r"uses: (actions/checkout@[0-9a-f]{40})",
        checkout.text(".github/workflows/update-pins.yml"),
    ).group(1)
    stand_in = TEMPLATE / SLUG / ".github" / "act" / "checkout"
    result = subprocess.run(
        [
            BIN / "act",
            "workflow_dispatch",
            "-W",
            ".github/workflows/update-pins.yml",
            "-P",
            "ubuntu-latest=-self-hosted",
            "--action-cache-path",
            checkout.tmp / "act",
            "--local-repository",
            f"{checkout_pin}={stand_in}",
            "--input",
            "skip-tests=true",
            "-s",
            "GITHUB_TOKEN=dummy-token",
            "--env",
            f"GITHUB_API_URL={checkout.github.url}",
            "--env",
            f"PYPI_URL={checkout.pypi.url}",
            "--env",
            f"CI_LOCAL_SOURCE={checkout.origin}",
        ],
        cwd=checkout.root,
        env=checkout.env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    log = result.stdout[-6000:] + result.stderr[-3000:]
    assert result.returncode == 0, log
    assert "Job succeeded" in result.stdout, log
    assert "Opened pull request #1 (update-pins/" in result.stdout, log
    assert "Run Main Look up and write newer pins" in result.stdout, log
    assert "Run Main Fast tier" not in result.stdout, log  # skip-tests=true
    (pr,) = checkout.github.pulls.values()
    assert pr["head"]["ref"].startswith("update-pins/")
    assert "The fast tier was not run" in pr["body"]
    assert "`actions/checkout`" in pr["body"]
    hooks = checkout.git("show", f"{pr['head']['ref']}:{HOOKS}", cwd=checkout.origin)
    assert hooks + "\n" == checkout.expected()[HOOKS]
    assert checkout.git("status", "--porcelain") == ""  # act worked in its own clone
