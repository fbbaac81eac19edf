"""Fetching a published model (serve --release) from a local stand-in for GitHub's releases API,
and refusing one whose download does not match the published digest."""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import pytest
from mlops_kit import common
from mlops_kit.serving import download, serve

REPO = "acme/shop"


class Handler(BaseHTTPRequestHandler):
    """GET releases (paginated), a release by tag, an asset (a redirect to its download)."""

    def log_message(self, *args) -> None:
        pass

    def answer(self, status: int, body: bytes | object, headers: dict | None = None) -> None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(status)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:  # noqa: N802 (the name http.server calls)
        fake = self.server.fake
        fake.seen.append((self.path, self.headers.get("Authorization")))
        path, api = urlsplit(self.path).path, f"/repos/{REPO}"
        page = re.search(r"[?&]page=(\d+)", self.path)
        if path == f"{api}/releases":
            return self.answer(200, fake.releases if not page or page[1] == "1" else [])
        if path.startswith(f"{api}/releases/tags/"):
            tag = path.rsplit("/", 1)[1].replace("%40", "@")
            found = [r for r in fake.releases if r["tag_name"] == tag]
            return self.answer(200, found[0]) if found else self.answer(404, {"message": "x"})
        asset = re.fullmatch(rf"{api}/releases/assets/(\d+)", path)
        if asset:
            return self.answer(302, b"", {"Location": f"{fake.url}/download/{asset[1]}"})
        if path.startswith("/download/"):
            return self.answer(200, fake.files[int(path.rsplit("/", 1)[1])])
        return self.answer(404, {"message": "Not Found"})


class Releases:
    def __init__(self):
        self.releases, self.files, self.seen = [], {}, []
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.fake = self
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def publish(
        self,
        tag: str,
        model: bytes,
        *,
        listed: bool = True,
        recorded: bool = True,
        prerelease: bool = False,
    ) -> dict:
        """A release with model.joblib and lineage.json; ``listed``: GitHub shows the
        model's digest; ``recorded``: lineage.json holds it."""
        sha = hashlib.sha256(model).hexdigest()
        record = {
            "release": None,
            "commit": "c" * 40,
            "model": {"sha256": sha if recorded else None},
        }
        assets = []
        for name, data in (("model.joblib", model), ("lineage.json", json.dumps(record).encode())):
            number = len(self.files) + 1
            self.files[number] = data
            digest = f"sha256:{hashlib.sha256(data).hexdigest()}" if listed else None
            assets.append({"id": number, "name": name, "digest": digest})
        entry = {"tag_name": tag, "draft": False, "prerelease": prerelease, "assets": assets}
        self.releases.append(entry)
        return entry


@pytest.fixture
def github(monkeypatch):
    fake = Releases()
    monkeypatch.setenv("GITHUB_API_URL", fake.url)
    monkeypatch.setenv("GITHUB_REPOSITORY", REPO)
    monkeypatch.setenv("GITHUB_TOKEN", "secret")
    yield fake
    fake.server.shutdown()
    fake.server.server_close()


def test_latest_is_the_highest_published_version(github):
    github.publish("model@v0.1.0", b"first")
    github.publish("model@v0.3.0", b"pre", prerelease=True)
    github.publish("model@v0.2.0", b"second")
    github.publish("other@v9.0.0", b"another model")
    model, record = download.fetch("latest")
    assert (model, record["release"]) == (b"second", "model@v0.2.0")
    assert download.fetch("model@v0.1.0")[0] == b"first"


def test_the_token_goes_to_the_api_not_to_the_download_host(github):
    github.publish("model@v0.1.0", b"first")
    download.fetch("model@v0.1.0")
    sent = dict(github.seen)
    assert sent["/repos/acme/shop/releases/tags/model%40v0.1.0"] == "Bearer secret"
    assert sent["/download/1"] is None


def test_a_download_that_differs_from_the_listed_digest_is_refused(github):
    github.publish("model@v0.1.0", b"published")
    github.files[1] = b"changed on the way"
    with pytest.raises(common.UserError, match="not the published model; not serving it"):
        download.fetch("model@v0.1.0")


def test_without_a_listed_digest_lineage_json_s_is_checked(github):
    github.publish("model@v0.1.0", b"published", listed=False)
    github.files[1] = b"changed on the way"
    with pytest.raises(common.UserError, match="not the published model"):
        download.fetch("model@v0.1.0")


def test_a_model_without_any_digest_is_refused(github):
    github.publish("model@v0.1.0", b"published", listed=False, recorded=False)
    with pytest.raises(common.UserError, match="lists no sha256 digest for model.joblib"):
        download.fetch("model@v0.1.0")


def test_serve_stops_with_one_line_before_listening(github, capsys):
    github.publish("model@v0.1.0", b"published")
    github.files[1] = b"changed on the way"
    assert serve.main(["--release", "model@v0.1.0", "--port", "0"]) == 2
    error = capsys.readouterr().err
    assert error.startswith("error: model.joblib of model@v0.1.0 has sha256 ")
    assert error.count("\n") == 1
    assert serve.main(["--release", "model@v9.9.9"]) == 2
    assert "HTTP 404" in capsys.readouterr().err
    assert serve.main(["--release", "v1"]) == 2
    assert "give a tag like model@v1.2.0, or latest" in capsys.readouterr().err


@pytest.fixture
def checkout(tmp_path, monkeypatch):
    """A git checkout whose commits carry version tags and stage tags (GTO's format)."""
    monkeypatch.chdir(tmp_path)
    for key, value in {"GIT_CONFIG_GLOBAL": "/dev/null", "GIT_CONFIG_NOSYSTEM": "1"}.items():
        monkeypatch.setenv(key, value)
    identity = ["-c", "user.name=Tests", "-c", "user.email=tests@example.com"]

    def run(*args: str) -> str:
        done = subprocess.run(["git", *identity, *args], capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        return done.stdout.strip()

    run("init", "-q", "-b", "main")
    return run


def tagged(git, *tags: str) -> str:
    """A new commit with these annotated tags."""
    git("commit", "-q", "--allow-empty", "-m", f"Commit of {tags[0]}")
    for tag in tags:
        git("tag", "-a", tag, "-m", tag)
    return git("rev-parse", "HEAD")


def test_serve_stage_fetches_the_release_the_stage_holds(github, checkout, capsys):
    assert serve.main(["--stage", "production", "--port", "0"]) == 2
    error = capsys.readouterr().err
    assert error == (
        "error: --stage production: no model#production#N tag here holds a version; promote "
        "one (Actions > Promote), or `git fetch --tags` to see the latest promotions\n"
    )
    github.publish("model@v0.1.0", b"first")
    github.publish("model@v0.2.0", b"second")
    tagged(checkout, "model@v0.1.0", "model#staging#1", "model#production#1")
    tagged(checkout, "model@v0.2.0", "model#staging#2", "model#production#2")
    assert download.for_stage("production") == "model@v0.2.0"
    checkout("tag", "-a", "model#production#3", "-m", "roll back", "model@v0.1.0^{commit}")
    assert download.for_stage("production") == "model@v0.1.0"
    assert download.for_stage("staging") == "model@v0.2.0"
    assert download.fetch(download.for_stage("production"))[0] == b"first"
    github.files[1] = b"changed on the way"  # the stage's model, as downloaded
    assert serve.main(["--stage", "production", "--port", "0"]) == 2
    error = capsys.readouterr().err
    assert error.startswith("serve: production holds model@v0.1.0\n")
    assert "error: model.joblib of model@v0.1.0 has sha256 " in error
