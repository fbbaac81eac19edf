"""Slow tier: run the generated GitHub Actions workflows for real, under act.

The generated project's own `python3 tasks.py ci-local` runs them on this machine: the
marketplace actions are replaced by the project's stand-ins, GitHub's REST API by a local
server that records every call, GitHub's git hosting by a bare repository reached through
`url.<bare>.insteadOf`, and the DVC remote by a folder (or a local S3 server).
"""

from __future__ import annotations

import hashlib
import json
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import BIN, bake, isolated_env, set_param
from fake_github import FakeGitHub

pytestmark = pytest.mark.slow

OWNER = "acme"
MARKER = "<!-- mlops-template:pipeline-report -->"
WRITES = ("/git/tags", "/git/refs", "/releases", "/uploads/")
# The Pipeline workflow alone: what most pull-request tests check. The Test workflow runs
# for a pull request in test_pull_request_without_write_access..., and for a push in
# test_push_to_main_tests_trains_and_publishes.
PIPELINE = ("-W", ".github/workflows/pipeline.yml")


class CiProject:
    """A generated project with an origin, a DVC remote and a fake GitHub behind it."""

    def __init__(self, tmp_path: Path, answers: dict[str, str] | None = None) -> None:
        self.tmp = tmp_path
        self.env = isolated_env(tmp_path / "home")
        baked = bake(tmp_path / "out", answers or {}, env=self.env)
        assert baked.returncode == 0, baked.stderr
        self.root = baked.project
        self.slug = self.root.name
        self.repo = f"{OWNER}/{self.slug}"
        self.origin = tmp_path / "origin.git"
        subprocess.run(["git", "init", "-q", "--bare", str(self.origin)], check=True)
        url = f"https://github.com/{self.repo}.git"
        with Path(self.env["GIT_CONFIG_GLOBAL"]).open("a", encoding="utf-8") as config:
            config.write(f'[url "{self.origin}"]\n\tinsteadOf = {url}\n')
        self.git("remote", "add", "origin", url)
        self.fake = FakeGitHub(self.repo, bare_repo=self.origin).start()
        self.storage = tmp_path / "dvc-storage"
        self.timings: dict[str, float] = {}
        self.runs = 0
        self.setup()

    def close(self) -> None:
        self.fake.stop()

    def start_over(self) -> None:
        """Back on a clean main with a new fake GitHub and no artifacts: what the next test
        sees is what a new pull request's run sees, whatever the last test left."""
        self.fake.stop()
        self.fake = FakeGitHub(self.repo, bare_repo=self.origin).start()
        self.git("checkout", "-q", "--force", "main")
        self.git("clean", "-q", "--force", "-d")
        shutil.rmtree(self.root / ".ci-local" / "artifacts", ignore_errors=True)
        self.timings = {}

    def git(self, *args: str) -> str:
        result = subprocess.run(
            ["git", *args], cwd=self.root, env=self.env, capture_output=True, text=True
        )
        assert result.returncode == 0, result.stderr
        return result.stdout.strip()

    def run(self, *args: str | Path, label: str | None = None) -> subprocess.CompletedProcess:
        start = time.perf_counter()
        result = subprocess.run(
            [str(a) for a in args], cwd=self.root, env=self.env, capture_output=True, text=True
        )
        if label:
            self.timings[label] = round(time.perf_counter() - start, 1)
        return result

    def dvc(self, *args: str) -> None:
        result = self.run(self.root / ".venv" / "bin" / "dvc", *args)
        assert result.returncode == 0, result.stdout + result.stderr

    def use_folder_remote(self) -> None:
        """Point the DVC remote at a folder that persists between runs, and commit it."""
        self.storage.mkdir(exist_ok=True)
        self.dvc("remote", "modify", "storage", "url", str(self.storage))
        self.git("commit", "-qam", "Store DVC data in the team folder")

    def set_param(self, dotted: str, value: object) -> None:
        set_param(self.root / "params.yaml", dotted, value)

    def setup(self) -> None:
        result = self.run(sys.executable, "tasks.py", "setup", label="setup")
        assert result.returncode == 0, result.stdout + result.stderr

    def commit_corrupted_data(self) -> list[str]:
        """Commit a data delivery whose first column is far outside its range (tracked by
        DVC and pushed to the remote); returns the data's header."""
        import pandas as pd

        frame = pd.read_parquet(self.root / "data" / "raw" / "data.parquet")
        frame[frame.columns[0]] = -5000
        bad = self.root / "data" / "external" / "delivery.csv"
        bad.parent.mkdir(parents=True, exist_ok=True)
        frame.to_csv(bad, index=False)
        self.dvc("add", "data/external/delivery.csv")
        self.dvc("push")
        self.set_param("ingest.source", "data/external/delivery.csv")
        self.git("add", "--all")
        self.git("commit", "-qm", "New data delivery")
        return [str(column) for column in frame.columns]

    def commit_baseline(self) -> None:
        """What a team does first: reproduce locally, commit the lock and metrics."""
        result = self.run(sys.executable, "tasks.py", "repro", label="local repro")
        assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
        self.git("add", "--all")
        self.git("commit", "-qm", "Baseline: reproduce the pipeline")

    def branch_with_params(self, branch: str, message: str, **changes: object) -> None:
        """A branch off main that changes parameters, committed and pushed."""
        self.git("checkout", "-q", "-B", branch, "main")
        for dotted, value in changes.items():
            self.set_param(dotted.replace("__", "."), value)
        self.git("commit", "-qam", message)
        self.push(branch)

    def push(self, branch: str = "main") -> None:
        self.git("push", "-q", "--force", "origin", f"HEAD:refs/heads/{branch}")

    def act(
        self,
        event: str,
        *args: str,
        payload: dict | None = None,
        label: str,
    ) -> subprocess.CompletedProcess:
        self.runs += 1
        extra = list(args)
        if payload is not None:
            event_file = self.tmp / f"event-{self.runs}.json"
            event_file.write_text(json.dumps(payload), encoding="utf-8")
            extra += ["--eventpath", str(event_file)]
        extra += ["--env", f"GITHUB_API_URL={self.fake.url}", "--env", "GITHUB_API_RETRY_DELAY=0"]
        result = self.run(sys.executable, "tasks.py", "ci-local", event, *extra, label=label)
        log = self.tmp / f"act-{self.runs}-{event}.log"
        log.write_text(result.stdout + result.stderr, encoding="utf-8")
        return result

    def pull_request(
        self, number: int, branch: str, *args: str, label: str
    ) -> subprocess.CompletedProcess:
        """A pull request from ``branch`` into main; ``args`` go to act (-W: one workflow)."""
        head = self.git("rev-parse", "HEAD")
        base = self.git("rev-parse", "main")
        payload = {
            "number": number,
            "pull_request": {
                "number": number,
                "head": {"ref": branch, "sha": head},
                "base": {"ref": "main", "sha": base},
            },
            "repository": {"full_name": self.repo, "default_branch": "main"},
        }
        return self.act("pull_request", *args, payload=payload, label=label)

    def writes(self, since: int = 0) -> list[dict]:
        return [
            call
            for call in self.fake.calls[since:]
            if call["method"] in {"POST", "PATCH", "PUT", "DELETE"}
            and any(part in call["path"] for part in WRITES)
        ]


def succeeded(result: subprocess.CompletedProcess, job: str) -> bool:
    return any(
        line.startswith(f"[{job}") and "Job succeeded" in line
        for line in result.stdout.splitlines()
    )


def report(result: subprocess.CompletedProcess) -> str:
    return result.stdout[-6000:] + result.stderr[-3000:]


@pytest.fixture
def project(tmp_path):
    ci = CiProject(tmp_path)
    yield ci
    ci.close()
    print(f"\nact timings (s): {json.dumps(ci.timings)}")


@pytest.fixture(scope="module")
def shared_baseline(tmp_path_factory):
    """A project whose main branch carries reproduced metrics, pushed to origin: baked, set
    up and reproduced once for the pull-request tests of a module (each has its branch)."""
    ci = CiProject(tmp_path_factory.mktemp("baseline"))
    ci.use_folder_remote()
    ci.commit_baseline()
    ci.push("main")
    print(f"\nact timings (s): {json.dumps(ci.timings)}")
    yield ci
    ci.close()
    shutil.rmtree(ci.tmp, ignore_errors=True)  # its .venv: the disk is shared by the whole run


@pytest.fixture
def baseline_project(shared_baseline):
    shared_baseline.start_over()
    yield shared_baseline
    print(f"\nact timings (s): {json.dumps(shared_baseline.timings)}")


def released_assets(ci: CiProject, tag: str) -> dict[str, bytes]:
    (release,) = [r for r in ci.fake.releases if r["tag_name"] == tag]
    return {asset["name"]: ci.fake.assets[asset["id"]] for asset in release["assets"]}


def test_push_to_main_tests_trains_and_publishes(tmp_path, s3_server):
    """A push to main with an S3 remote: refused in one line without its keys, then
    tested, trained and published with them. (A folder remote is pushed to by the
    pull-request tests' baseline and by test_publishing_twice_for_one_commit...)"""
    import boto3

    bucket = "ml-data"
    s3 = boto3.client(
        "s3",
        endpoint_url=s3_server,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        region_name="us-east-1",
    )
    s3.create_bucket(Bucket=bucket)
    ci = CiProject(tmp_path, {"dvc_remote": "s3", "dvc_remote_url": f"s3://{bucket}/project"})
    try:
        ci.push("main")
        refused = ci.act("push", *PIPELINE, label="push to main, no credentials")
        assert refused.returncode != 0
        assert "AWS_ACCESS_KEY_ID" in refused.stdout
        assert ci.fake.releases == []
        assert ci.writes() == []
        # What the refused run uploaded goes: the reports checked below are the next run's.
        shutil.rmtree(ci.root / ".ci-local" / "artifacts")

        result = ci.act(
            "push",
            "-s",
            "AWS_ACCESS_KEY_ID=testing",
            "-s",
            "AWS_SECRET_ACCESS_KEY=testing",
            "--var",
            f"AWS_ENDPOINT_URL={s3_server}",
            label="push to main, s3 remote",
        )
        assert result.returncode == 0, report(result)
        jobs = ("Test/Lint and test", "Test/Template updates resolved", "Pipeline/", "Publish/")
        for job in jobs:
            assert succeeded(result, job), (job, report(result))

        artifacts = ci.root / ".ci-local" / "artifacts" / "pipeline-reports"
        assert (artifacts / "reports" / "ci-report.md").is_file()
        assert (artifacts / "dvc_plots" / "index.html").is_file()

        tag = "model@v0.1.0"
        assets = released_assets(ci, tag)
        assert set(assets) == {
            "model.joblib",
            "metrics.json",
            "MODEL_CARD.md",
            "model_card.json",
            "lineage.json",
            "profile.json",
        }
        metrics = json.loads(assets["metrics.json"])
        assert metrics["balanced_accuracy"] > 0.8
        card = assets["MODEL_CARD.md"].decode()
        assert ci.git("rev-parse", "HEAD") in card
        assert "md5" in card.lower()
        tags = subprocess.run(
            ["git", "ls-remote", "--tags", str(ci.origin)], capture_output=True, text=True
        ).stdout
        assert f"refs/tags/{tag}" in tags
        # The data and the model reached the S3 remote: the released model is in it.
        keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])]
        model_md5 = hashlib.md5(assets["model.joblib"]).hexdigest()
        assert f"project/files/md5/{model_md5[:2]}/{model_md5[2:]}" in keys
        assert len([key for key in keys if key.startswith("project/files/md5/")]) > 3
    finally:
        ci.close()
        print(f"\nact timings (s): {json.dumps(ci.timings)}")


def test_pull_request_comment_is_created_once_then_updated(baseline_project):
    ci = baseline_project
    for number in range(120):  # other people's comments, so the marker is on a later page
        ci.fake.add_comment(1, f"comment {number}", "someone")
    ci.fake.add_comment(1, f"{MARKER}\nquoted by a human", "someone")
    old = json.loads((ci.root / "reports" / "metrics.json").read_text(encoding="utf-8"))

    ci.branch_with_params("tune", "Fewer trees", train__random_forest__n_estimators=20)
    first = ci.pull_request(1, "tune", *PIPELINE, label="pull request, first push")
    assert first.returncode == 0, report(first)
    ours = [c for c in ci.fake.comments_on(1) if c["user"]["login"] == "github-actions[bot]"]
    assert len(ours) == 1
    body = ours[0]["body"]
    assert body.startswith(MARKER)
    assert "balanced_accuracy" in body
    assert f"{old['balanced_accuracy']:.4f}"[:5] in body  # the baseline value is shown
    assert "train.random_forest.n_estimators" in body
    assert "100" in body
    assert "20" in body
    assert "```mermaid" in body
    (ci.tmp / "comment-as-received.md").write_text(body, encoding="utf-8")

    ci.set_param("train.random_forest.n_estimators", 30)
    ci.git("commit", "-qam", "A few more trees")
    ci.push("tune")
    patches_before = sum(1 for c in ci.fake.calls if c["method"] == "PATCH")
    second = ci.pull_request(1, "tune", *PIPELINE, label="pull request, second push")
    assert second.returncode == 0, report(second)
    ours = [c for c in ci.fake.comments_on(1) if c["user"]["login"] == "github-actions[bot]"]
    assert len(ours) == 1
    assert "30" in ours[0]["body"]
    assert sum(1 for c in ci.fake.calls if c["method"] == "PATCH") == patches_before + 1
    assert not ci.writes()  # a pull request never tags or releases


def test_pull_request_that_makes_the_model_worse_fails(baseline_project):
    ci = baseline_project
    ci.branch_with_params(
        "worse", "Regularise everything away", train__model="linear", train__linear__C=1.0e-6
    )
    result = ci.pull_request(2, "worse", *PIPELINE, label="pull request, regression")
    assert result.returncode != 0
    (comment,) = ci.fake.comments_on(2)
    assert "balanced_accuracy" in comment["body"]
    assert "regress" in comment["body"].lower()
    assert "The new model is worse than the baseline" in result.stdout


def test_pull_request_without_write_access_reports_in_the_job_summary(baseline_project):
    ci = baseline_project
    ci.fake.deny_writes = True
    ci.branch_with_params("fork", "Larger leaves", train__random_forest__min_samples_leaf=2)
    result = ci.pull_request(3, "fork", label="pull request, read-only token")
    assert result.returncode == 0, report(result)
    # Every workflow a pull request starts ran, and passed.
    for job in (
        "Test/Lint and test",
        "Test/Template updates resolved",
        "Pipeline/Reproduce, compare, report",
        "Pipeline/Report on the pull request",
    ):
        assert succeeded(result, job), (job, report(result))
    assert ci.fake.comments_on(3) == []
    assert any(call["status"] == 403 for call in ci.fake.calls)
    assert "::warning::" in result.stdout
    summary = result.stdout.split(f"Summary - {MARKER}", 1)
    assert len(summary) == 2, report(result)
    assert "| `balanced_accuracy` |" in summary[1]


def test_pull_request_with_corrupted_data_stops_at_validation(baseline_project):
    ci = baseline_project
    ci.git("checkout", "-q", "-b", "bad-data")
    header = ci.commit_corrupted_data()
    ci.push("bad-data")
    since = len(ci.fake.calls)
    result = ci.pull_request(4, "bad-data", *PIPELINE, label="pull request, corrupted data")
    assert result.returncode != 0
    assert "validation failed: expect_column_values_to_be_between" in result.stdout
    assert f"'{header[0]}'" in result.stdout
    assert not ci.writes(since)
    assert ci.fake.releases == []


def test_publishing_twice_for_one_commit_creates_nothing_new(project):
    project.use_folder_remote()
    project.push("main")
    first = project.act("workflow_dispatch", "-W", ".github/workflows/publish.yml", label="publish")
    assert first.returncode == 0, report(first)
    created = project.writes()
    assert [c["path"] for c in created if c["path"].endswith("/releases")]
    # The data and the model reached the folder remote: the released model is in it.
    model = released_assets(project, "model@v0.1.0")["model.joblib"]
    model_md5 = hashlib.md5(model).hexdigest()
    assert (project.storage / "files" / "md5" / model_md5[:2] / model_md5[2:]).is_file()
    assert len(list((project.storage / "files" / "md5").rglob("*"))) > 3
    since = len(project.fake.calls)
    second = project.act(
        "workflow_dispatch", "-W", ".github/workflows/publish.yml", label="publish again"
    )
    assert second.returncode == 0, report(second)
    assert project.writes(since) == []
    assert len(project.fake.releases) == 1
    assert "already published" in second.stdout


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def s3_server(tmp_path):
    port = free_port()
    server = subprocess.Popen(
        [BIN / "moto_server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.1)
    yield url
    server.terminate()
    server.wait(timeout=10)
