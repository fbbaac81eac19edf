"""Fixtures for the CI modules: a fake GitHub API on a local port, git and DVC repositories,
and parameters of their own."""

from __future__ import annotations

import copy
import hashlib
import json
import os
import re
import shutil
import subprocess
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from mlops_kit.remote import sync

REPO = "owner/repo"
# (method, route) -> the kind of write FakeGitHub.lose counts
KINDS = {
    ("POST", "new_release"): "release",
    ("POST", "upload"): "upload",
    ("PATCH", "edit_release"): "patch",
    ("POST", "new_tag"): "tag",
    ("POST", "new_ref"): "ref",
}
TOKEN = "test-token"


class FakeGitHub:
    """Just enough of GitHub's REST API, in memory: issue comments, releases and their assets,
    tag objects and refs. Lists are paginated ``per_page`` items at a time with Link headers.

    Modes: ``failures`` is a list of statuses answered (one per request) before normal
    service resumes, each a status or (status, headers, message); ``read_only`` answers 403
    to every write, as for a fork's token; ``lose`` maps a kind of write ("release",
    "upload", "patch", "tag", "ref") to how many of the next ones are applied but answered
    502, as when the reply is lost; ``refuse`` maps a kind to how many of the next ones are
    answered 503 and not applied. Releases are drafts until a PATCH sets draft false;
    assets carry GitHub's `size` and `digest`."""

    def __init__(self):
        self.comments: dict[int, list[dict]] = {}
        self.releases: list[dict] = []
        self.tags: dict[str, dict] = {}  # tag object sha -> tag object
        self.refs: dict[str, dict] = {}  # "refs/tags/x" -> {"type", "sha"}
        self.assets: dict[int, bytes] = {}
        self.approvals: dict[int, list[dict]] = {}  # run id -> its environment reviews
        self.per_page = 2
        self.failures: list = []
        self.lose: dict[str, int] = {}
        self.refuse: dict[str, int] = {}
        self.read_only = False
        self.login = "github-actions[bot]"
        self.log: list[tuple[str, str]] = []
        self.download_headers: list[dict] = []
        self.ids = iter(range(1, 10**6))
        self.url = ""

    @property
    def writes(self) -> list[tuple[str, str]]:
        return [(method, path) for method, path in self.log if method != "GET"]

    def add_comment(self, number: int, body: str, login: str) -> dict:
        comment = {"id": next(self.ids), "body": body, "user": {"login": login}}
        self.comments.setdefault(number, []).append(comment)
        return comment

    def handle(self, method: str, target: str, headers, body: bytes):
        """(status, extra headers, JSON-able payload or bytes) for one request."""
        self.log.append((method, target))
        path, query = urlsplit(target).path, parse_qs(urlsplit(target).query)
        if path.startswith("/download/"):
            self.download_headers.append(dict(headers))
            return 200, {}, self.assets[int(path.rsplit("/", 1)[1])]
        if headers.get("Authorization") != f"Bearer {TOKEN}":
            return 401, {}, {"message": "Bad credentials"}
        if self.failures:
            failure = self.failures.pop(0)
            status, extra, message = failure if isinstance(failure, tuple) else (failure, {}, "")
            return status, extra, {"message": message or "injected failure"}
        if self.read_only and method != "GET":
            return 403, {}, {"message": "Resource not accessible by integration"}
        data = json.loads(body) if body and "json" in headers.get("Content-Type", "") else body
        for pattern, route in self.routes():
            match = re.fullmatch(pattern, f"{method} {path}")
            if match:
                kind = KINDS.get((method, getattr(route, "__name__", "")))
                if kind and self.refuse.get(kind):
                    self.refuse[kind] -= 1
                    return 503, {}, {"message": "Service Unavailable"}
                answer = route(query, data, *match.groups())
                if kind and answer[0] < 300 and self.lose.get(kind):
                    self.lose[kind] -= 1
                    return 502, {}, {"message": "Server Error"}  # applied, reply lost
                return answer
        return 404, {}, {"message": "Not Found"}

    def routes(self):
        repo = f"/repos/{REPO}"
        return [
            (rf"GET {repo}/issues/(\d+)/comments", self.list_comments),
            (rf"POST {repo}/issues/(\d+)/comments", self.new_comment),
            (rf"PATCH {repo}/issues/comments/(\d+)", self.edit_comment),
            (rf"GET {repo}/releases", self.list_releases),
            (rf"POST {repo}/releases", self.new_release),
            (rf"GET {repo}/releases/(\d+)", self.get_release),
            (rf"PATCH {repo}/releases/(\d+)", self.edit_release),
            (rf"DELETE {repo}/releases/(\d+)", self.delete_release),
            (rf"GET {repo}/releases/assets/(\d+)", self.get_asset),
            (rf"DELETE {repo}/releases/assets/(\d+)", self.delete_asset),
            (rf"POST /uploads{repo}/releases/(\d+)/assets", self.upload),
            (rf"GET {repo}/git/matching-refs/(.+)", self.matching_refs),
            (rf"GET {repo}/git/ref/(.+)", self.get_ref),
            (rf"POST {repo}/git/refs", self.new_ref),
            (rf"GET {repo}/git/tags/(\w+)", lambda q, d, sha: (200, {}, self.tags[sha])),
            (rf"POST {repo}/git/tags", self.new_tag),
            (rf"GET {repo}/commits/(\w+)", lambda q, d, sha: (200, {}, {"sha": sha})),
            (
                rf"GET {repo}/actions/runs/(\d+)/approvals",
                lambda q, d, run: (200, {}, self.approvals.get(int(run), [])),
            ),
        ]

    def page(self, items: list, query: dict, path: str):
        number = int(query.get("page", ["1"])[0])
        start = (number - 1) * self.per_page
        headers = {}
        if start + self.per_page < len(items):
            headers["Link"] = f'<{self.url}{path}?per_page=100&page={number + 1}>; rel="next"'
        return 200, headers, items[start : start + self.per_page]

    def list_comments(self, query, data, number):
        path = f"/repos/{REPO}/issues/{number}/comments"
        return self.page(self.comments.get(int(number), []), query, path)

    def new_comment(self, query, data, number):
        return 201, {}, self.add_comment(int(number), data["body"], self.login)

    def edit_comment(self, query, data, comment_id):
        for comment in (c for cs in self.comments.values() for c in cs):
            if comment["id"] == int(comment_id):
                comment["body"] = data["body"]
                return 200, {}, comment
        return 404, {}, {"message": "Not Found"}

    def list_releases(self, query, data):
        return self.page(self.releases[::-1], query, f"/repos/{REPO}/releases")

    def release(self, release_id) -> dict | None:
        return next((r for r in self.releases if r["id"] == int(release_id)), None)

    def new_release(self, query, data):
        public = [r for r in self.releases if not r["draft"]]
        if any(r["tag_name"] == data["tag_name"] for r in public):  # drafts may share one
            return 422, {}, {"message": "Validation Failed: tag_name already_exists"}
        number = next(self.ids)
        uploads = f"{self.url}/uploads/repos/{REPO}/releases/{number}/assets"
        release = {
            **data,
            "id": number,
            "draft": bool(data.get("draft")),
            "prerelease": bool(data.get("prerelease")),
            "assets": [],
            "html_url": f"https://github.example/{REPO}/releases/tag/{data['tag_name']}",
            "upload_url": uploads + "{?name,label}",
        }
        self.releases.append(release)
        if not release["draft"]:
            self.tag_at_publication(release)
        return 201, {}, release

    def tag_at_publication(self, release):
        """GitHub creates the release's tag, at target_commitish, when it has none yet."""
        self.refs.setdefault(
            f"refs/tags/{release['tag_name']}",
            {"type": "commit", "sha": release.get("target_commitish") or "0" * 40},
        )

    def get_release(self, query, data, release_id):
        found = self.release(release_id)
        return (200, {}, found) if found else (404, {}, {"message": "Not Found"})

    def edit_release(self, query, data, release_id):
        found = self.release(release_id)
        if found is None:
            return 404, {}, {"message": "Not Found"}
        found.update({k: v for k, v in data.items() if k != "make_latest"})
        if not found["draft"]:
            self.tag_at_publication(found)
        return 200, {}, found

    def delete_release(self, query, data, release_id):
        found = self.release(release_id)
        if found is None:
            return 404, {}, {"message": "Not Found"}
        self.releases.remove(found)
        return 204, {}, b""

    def delete_asset(self, query, data, asset_id):
        for release in self.releases:
            for asset in release["assets"]:
                if asset["id"] == int(asset_id):
                    release["assets"].remove(asset)
                    del self.assets[asset["id"]]
                    return 204, {}, b""
        return 404, {}, {"message": "Not Found"}

    def upload(self, query, data, release_id):
        release = next(r for r in self.releases if r["id"] == int(release_id))
        name = query["name"][0]
        if any(a["name"] == name for a in release["assets"]):
            return 422, {}, {"message": "Validation Failed: already_exists"}
        digest = "sha256:" + hashlib.sha256(data).hexdigest()
        asset = {"id": next(self.ids), "name": name, "size": len(data), "digest": digest}
        self.assets[asset["id"]] = data
        release["assets"].append(asset)
        return 201, {}, asset

    def get_asset(self, query, data, asset_id):
        return 302, {"Location": f"{self.url}/download/{asset_id}"}, b""

    def matching_refs(self, query, data, prefix):
        found = [{"ref": ref, "object": obj} for ref, obj in sorted(self.refs.items())]
        return 200, {}, [item for item in found if item["ref"].startswith(f"refs/{prefix}")]

    def get_ref(self, query, data, ref):
        if f"refs/{ref}" not in self.refs:
            return 404, {}, {"message": "Not Found"}
        return 200, {}, {"ref": f"refs/{ref}", "object": self.refs[f"refs/{ref}"]}

    def new_ref(self, query, data):
        if data["ref"] in self.refs:
            return 422, {}, {"message": "Reference already exists"}
        kind = "tag" if data["sha"] in self.tags else "commit"
        self.refs[data["ref"]] = {"type": kind, "sha": data["sha"]}
        return 201, {}, {"ref": data["ref"], "object": self.refs[data["ref"]]}

    def new_tag(self, query, data):
        sha = uuid.uuid4().hex + "00000000"
        target = {"sha": data["object"], "type": data["type"]}
        self.tags[sha] = {
            "sha": sha,
            "tag": data["tag"],
            "message": data["message"],
            "object": target,
        }
        return 201, {}, self.tags[sha]


def _handler(fake: FakeGitHub):
    class Handler(BaseHTTPRequestHandler):
        def answer(self):
            size = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(size) if size else b""
            status, headers, payload = fake.handle(self.command, self.path, self.headers, body)
            data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
            self.send_response(status)
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PATCH = do_DELETE = answer

        def log_message(self, *args):
            pass

    return Handler


@pytest.fixture
def fake_github(monkeypatch):
    """A running FakeGitHub, with the environment pointing the client at it."""
    fake = FakeGitHub()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake))
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    for name in ("GITHUB_STEP_SUMMARY", "PR_NUMBER", "COMMENT_AUTHOR", "GITHUB_RUN_ID"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("GITHUB_API_URL", fake.url)
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    monkeypatch.setenv("GITHUB_REPOSITORY", REPO)
    monkeypatch.setenv("GITHUB_API_RETRY_DELAY", "0")
    yield fake
    server.shutdown()
    server.server_close()


# The tests' own parameters: nothing here reads the project's params.yaml, dvc.yaml or data,
# so the owners may change their gate (even to `compare.metrics: {}`) without breaking them.
RULES = {
    "f1": {"direction": "higher", "tolerance": 0.02},
    "loss": {"direction": "lower", "tolerance": 0.05},
}
PARAMS = {
    "ingest": {"source": "data/external/flowers.csv", "target": "kind", "task": "classification"},
    "prepare": {"test_size": 0.25, "seed": 3},
    "train": {"model": "random_forest", "seed": 1, "random_forest": {"n_estimators": 100}},
    "compare": {"metrics": RULES},
}


@pytest.fixture
def params() -> dict:
    """A fresh copy of the tests' own parameters (not the project's params.yaml)."""
    return copy.deepcopy(PARAMS)


@pytest.fixture
def workdir(tmp_path, monkeypatch) -> Path:
    """An empty current folder."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


# git's identity and configuration of the tests' own
GIT_ENV = {
    "GIT_CONFIG_GLOBAL": "/dev/null",
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_AUTHOR_NAME": "Tests",
    "GIT_AUTHOR_EMAIL": "tests@example.com",
    "GIT_COMMITTER_NAME": "Tests",
    "GIT_COMMITTER_EMAIL": "tests@example.com",
}


@pytest.fixture
def git(workdir, monkeypatch):
    """A git repository in the current folder, with an identity and configuration of its own;
    call it with git arguments, get stdout."""
    for key, value in GIT_ENV.items():
        monkeypatch.setenv(key, value)

    def run(*args: str) -> str:
        result = subprocess.run(["git", *args], capture_output=True, text=True, check=False)
        assert result.returncode == 0, f"git {' '.join(args)}: {result.stderr}"
        return result.stdout.strip()

    run("init", "-q", "-b", "main")
    return run


@pytest.fixture
def commit(git):
    """Stage everything and commit it; refuses a commit that would change nothing."""

    def run(message: str) -> str:
        git("add", "-A")
        assert git("status", "--porcelain"), f"nothing new to commit for {message!r}"
        git("commit", "-qm", message)
        return git("rev-parse", "HEAD")

    return run


# What `dvc init` writes that git keeps (.dvc/tmp is DVC's own, made when needed).
DVC_INIT_FILES = (".dvc/config", ".dvc/.gitignore", ".dvcignore")


@pytest.fixture(scope="session")
def dvc_init(tmp_path_factory) -> Path:
    """A folder where the real `dvc init` ran once (in a git repository of its own)."""
    folder = tmp_path_factory.mktemp("dvc-init")
    env = {**os.environ, "DVC_NO_ANALYTICS": "1"}
    subprocess.run(["git", "init", "-q"], cwd=folder, check=True, capture_output=True)
    result = subprocess.run(
        [sync.executable(), "init", "-q"], cwd=folder, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert all((folder / name).is_file() for name in DVC_INIT_FILES), list(folder.rglob("*"))
    return folder


@pytest.fixture
def dvc_repo(git, commit, dvc_init, monkeypatch) -> None:
    """The git repository made a DVC project by the files `dvc init` wrote, and committed."""
    monkeypatch.setenv("DVC_NO_ANALYTICS", "1")
    for name in DVC_INIT_FILES:
        Path(name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(dvc_init / name, name)
    commit("Initialise DVC")
